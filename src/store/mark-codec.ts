/**
 * The journal's encoding of a mark: a record of its own kind in the same segments as the ledger's
 * events, so marks share the group commit and the checksums. Exact like every record (codec.ts):
 * amounts as decimal strings, prices and the value as "n/d" ratios, tokens as mints.
 *
 *   {"kind":"mark","portfolioId":"p","atMs":1700000000000,"sequence":12,
 *    "holdings":[["<mint>","1000000000"]],"prices":[["<mint>","150/1"]],"valueUsd":"150/1"}
 *
 * A mark is not a ledger event: start-up, `pte replay` and the state hash pass over it.
 */
import { exactText, ratioFromString, ratioToString, type Ratio } from '../domain/ratio.js';
import { isMint, type Mint } from '../domain/tokens.js';
import type { MarkRecord } from '../executor/ports.js';
import { CodecError } from './codec.js';

export const MARK_KIND = 'mark';

export const encodeMark = (m: MarkRecord): string =>
  JSON.stringify({
    kind: MARK_KIND,
    portfolioId: m.portfolioId,
    atMs: m.atMs,
    sequence: m.sequence,
    holdings: m.holdings.map((h) => [h.mint, h.amount.toString()]),
    // The prices are shared from mark to mark (remembered texts); the value is new with every mark.
    prices: m.prices.map((p) => [p.mint, ratioToString(p.usd)]),
    valueUsd: exactText(m.valueUsd),
  });

/** Whether a record's parsed event JSON is a mark (and so not a ledger event). */
export const isMarkJson = (v: unknown): boolean => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === MARK_KIND;

function pairs<T>(v: unknown, path: string, second: (s: string, at: string) => T): { mint: Mint; value: T }[] {
  if (!Array.isArray(v)) throw new CodecError(`${path}: expected a list`);
  return v.map((p: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string') throw new CodecError(`${at}: expected [mint, value]`);
    if (!isMint(p[0])) throw new CodecError(`${at}: ${JSON.stringify(p[0])} is not a mint address`);
    return { mint: p[0], value: second(p[1], at) };
  });
}

function exact(s: string, at: string): Ratio {
  try {
    return ratioFromString(s);
  } catch {
    throw new CodecError(`${at}: expected an exact ratio "n/d", got ${JSON.stringify(s)}`);
  }
}

function units(s: string, at: string): bigint {
  if (!/^\d+$/.test(s)) throw new CodecError(`${at}: expected a decimal integer string, got ${JSON.stringify(s)}`);
  return BigInt(s);
}

export function markFromJson(v: unknown, path = 'mark'): MarkRecord {
  if (!isMarkJson(v)) throw new CodecError(`${path}: not a mark record`);
  const o = v as Record<string, unknown>;
  const { portfolioId, atMs, sequence, valueUsd } = o;
  if (typeof portfolioId !== 'string') throw new CodecError(`${path}.portfolioId: expected a string`);
  if (typeof atMs !== 'number' || !Number.isFinite(atMs)) throw new CodecError(`${path}.atMs: expected a number`);
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence)) throw new CodecError(`${path}.sequence: expected a whole number`);
  if (typeof valueUsd !== 'string') throw new CodecError(`${path}.valueUsd: expected an exact ratio "n/d"`);
  return {
    portfolioId,
    atMs,
    sequence,
    holdings: pairs(o.holdings, `${path}.holdings`, units).map((p) => ({ mint: p.mint, amount: p.value })),
    prices: pairs(o.prices, `${path}.prices`, exact).map((p) => ({ mint: p.mint, usd: p.value })),
    valueUsd: exact(valueUsd, `${path}.valueUsd`),
  };
}
