import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ceil, cmp, div, floor, fromDecimalString, fromNumber, mul, ratio, toDecimalString } from './ratio.js';

describe('ratio', () => {
  it('floors and ceils toward -inf and +inf, also for negatives', () => {
    expect(floor(ratio(7n, 2n))).toBe(3n);
    expect(ceil(ratio(7n, 2n))).toBe(4n);
    expect(floor(ratio(-7n, 2n))).toBe(-4n);
    expect(ceil(ratio(-7n, 2n))).toBe(-3n);
    expect(floor(ratio(6n, 2n))).toBe(3n);
    expect(ceil(ratio(6n, 2n))).toBe(3n);
  });

  it('reads JSON numbers exactly as written, including exponent forms', () => {
    expect(fromNumber(147.48)).toEqual(ratio(14748n, 100n));
    expect(fromNumber(2.1e-5)).toEqual(ratio(21n, 1_000_000n));
    expect(fromNumber(1e21)).toEqual(ratio(10n ** 21n));
    expect(() => fromNumber(Number.NaN)).toThrow();
    expect(() => fromNumber(Infinity)).toThrow();
  });

  it('formats with the named rounding and trims trailing zeros', () => {
    const third = ratio(1n, 3n);
    expect(toDecimalString(third, 6, 'floor')).toBe('0.333333');
    expect(toDecimalString(third, 6, 'ceil')).toBe('0.333334');
    expect(toDecimalString(ratio(3n, 2n), 6, 'floor')).toBe('1.5');
    expect(toDecimalString(ratio(-1n, 3n), 2, 'floor')).toBe('-0.34');
    expect(toDecimalString(fromDecimalString('150'), 18, 'ceil')).toBe('150');
  });

  it('division is exact: (a / b) * b == a', () => {
    const r = fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 30n }));
    fc.assert(
      fc.property(r, r, ([an, ad], [bn, bd]) => {
        fc.pre(bn !== 0n);
        const a = ratio(an, ad);
        const b = ratio(bn, bd);
        expect(cmp(mul(div(a, b), b), a)).toBe(0);
      }),
    );
  });
});
