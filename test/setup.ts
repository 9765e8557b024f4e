import { expect } from 'vitest';

/**
 * Ratios are compared as numbers, not as term pairs: arithmetic leaves small terms unreduced (see
 * domain/ratio.ts), so 5/10000 and 1/2000 are the same value and must compare equal.
 */
function isRatio(v: unknown): v is { n: bigint; d: bigint } {
  return typeof v === 'object' && v !== null && Object.keys(v).length === 2 && typeof (v as { n?: unknown }).n === 'bigint' && typeof (v as { d?: unknown }).d === 'bigint';
}

expect.addEqualityTesters([
  (a: unknown, b: unknown) => (isRatio(a) && isRatio(b) ? a.n * b.d === b.n * a.d : undefined),
]);
