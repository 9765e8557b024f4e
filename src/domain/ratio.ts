/**
 * Exact rational numbers over bigint, for prices and ratios. Money never touches floating point:
 * a price is a ratio of integers, and every conversion back to base units names its rounding.
 * Hand-written rather than a decimal library because division must stay exact (decimal libraries
 * round every quotient to a precision) and the whole surface is a dozen lines of bigint arithmetic.
 */

export interface Ratio {
  /** Numerator; carries the sign. */
  readonly n: bigint;
  /** Denominator; always > 0. */
  readonly d: bigint;
}

/** Below this both terms are exact as doubles, where Euclid's steps cost no bigint allocation. */
const EXACT_AS_NUMBER = 1n << 53n;

/**
 * Euclid's gcd: in bigint while a term is 2^53 or more, then in doubles (the remainder of two
 * integers below 2^53 is exact in floating point, so the result is the same integer).
 */
function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) {
    if (x < EXACT_AS_NUMBER && y < EXACT_AS_NUMBER) return BigInt(gcdOfSafe(Number(x), Number(y)));
    const rest = x % y;
    x = y;
    y = rest;
  }
  return x;
}

/** Euclid's gcd of two non-negative integers below 2^53, in doubles (every remainder is exact). */
function gcdOfSafe(p: number, q: number): number {
  while (q !== 0) {
    const rest = p % q;
    p = q;
    q = rest;
  }
  return p;
}

/**
 * Reduction is skipped while both terms stay below 2^256: bigint arithmetic on such numbers is cheap,
 * while Euclid's gcd on every operation was the hottest spot of a trade. Equality goes through cmp
 * (cross-multiplication), so an unreduced value is the same number; terms are reduced once they grow.
 */
const REDUCE_ABOVE = 1n << 256n;

/** Builds n/d (reduced to lowest terms once its terms grow large). */
export function ratio(n: bigint, d = 1n): Ratio {
  if (d === 0n) throw new RangeError('ratio: zero denominator');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  if (d < REDUCE_ABOVE && n < REDUCE_ABOVE && n > -REDUCE_ABOVE) return { n, d };
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

/** n/d in lowest terms, always. */
export function reduced(r: Ratio): Ratio {
  const g = gcd(r.n, r.d);
  return g > 1n ? { n: r.n / g, d: r.d / g } : r;
}

export const ZERO: Ratio = { n: 0n, d: 1n };
export const ONE: Ratio = { n: 1n, d: 1n };

export const add = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.n, a.d * b.d);
export function div(a: Ratio, b: Ratio): Ratio {
  if (b.n === 0n) throw new RangeError('ratio: division by zero');
  return ratio(a.n * b.d, a.d * b.n);
}
export const mulInt = (a: Ratio, k: bigint): Ratio => ratio(a.n * k, a.d);
export const cmp = (a: Ratio, b: Ratio): -1 | 0 | 1 => {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
};
export const isPositive = (a: Ratio): boolean => a.n > 0n;
export const min = (a: Ratio, b: Ratio): Ratio => (cmp(a, b) <= 0 ? a : b);
export const max = (a: Ratio, b: Ratio): Ratio => (cmp(a, b) >= 0 ? a : b);

/**
 * Largest integer <= n/d, for d > 0: the floor of a quotient without building a Ratio for it (the
 * hot paths divide bigints they already hold).
 */
export function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n < 0n && q * d !== n ? q - 1n : q;
}

/** Smallest integer >= n/d, for d > 0. */
export function ceilDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n > 0n && q * d !== n ? q + 1n : q;
}

/** Largest integer <= r. */
export const floor = (r: Ratio): bigint => floorDiv(r.n, r.d);

/** Smallest integer >= r. */
export const ceil = (r: Ratio): bigint => ceilDiv(r.n, r.d);

/** 10^k as a bigint; cached because it sits on the hot path of every amount conversion. */
const POW10: bigint[] = [];
export function pow10(k: number): bigint {
  let p = POW10[k];
  if (p === undefined) {
    p = 10n ** BigInt(k);
    POW10[k] = p;
  }
  return p;
}

/** Fraction from basis points: 75 -> 75/10000. */
export const fromBps = (bps: bigint | number): Ratio => ratio(BigInt(bps), 10_000n);

/**
 * Exact value of a decimal string such as "147.48" or "-0.003" (no exponent). Used for values that
 * are already validated; request amounts go through parseAmount in amount.ts with its strict rules.
 */
export function fromDecimalString(s: string): Ratio {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) throw new RangeError(`not a plain decimal: ${JSON.stringify(s)}`);
  const frac = m[3] ?? '';
  const n = BigInt((m[2] ?? '0') + frac);
  return ratio(m[1] === '-' ? -n : n, pow10(frac.length));
}

/**
 * Exact value of a finite JS number as written in its shortest round-trip decimal form (what JSON
 * carried). Prices from Jupiter and the simulated market arrive as numbers; this is the boundary.
 */
export function fromNumber(x: number): Ratio {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const s = String(x);
  const e = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!e) return fromDecimalString(s);
  const frac = e[3] ?? '';
  const digits = BigInt((e[2] ?? '0') + frac);
  const exp = Number(e[4]) - frac.length;
  const signed = e[1] === '-' ? -digits : digits;
  return exp >= 0 ? ratio(signed * pow10(exp)) : ratio(signed, pow10(-exp));
}

export type Rounding = 'floor' | 'ceil';

/** r as a decimal string with at most `places` fraction digits, rounded as named, trailing zeros cut. */
export function toDecimalString(r: Ratio, places: number, rounding: Rounding): string {
  const scaled = r.n * pow10(places);
  return formatScaled(rounding === 'floor' ? floorDiv(scaled, r.d) : ceilDiv(scaled, r.d), places);
}

/** Formats integer q as q / 10^places, trimming trailing zeros ("1500000", 6 -> "1.5"). */
export function formatScaled(q: bigint, places: number): string {
  const neg = q < 0n;
  const abs = neg ? -q : q;
  let s = abs.toString();
  if (places > 0) {
    if (s.length <= places) s = s.padStart(places + 1, '0');
    const point = s.length - places;
    // Trailing zeros of the fraction cut by index (no regular expression: this formats every price).
    let end = s.length;
    while (end > point && s.charCodeAt(end - 1) === 48) end--;
    s = end > point ? `${s.slice(0, point)}.${s.slice(point, end)}` : s.slice(0, point);
  }
  return neg && abs !== 0n ? `-${s}` : s;
}

/** Approximate float value, for reporting fields declared as double (bps) and for metrics only. */
const TO_NUMBER_SCALE = 10n ** 18n;
export function toNumber(r: Ratio): number {
  // Scale first so huge numerators and denominators keep their precision.
  const scaled = (r.n * TO_NUMBER_SCALE) / r.d;
  return Number(scaled) / 1e18;
}

/**
 * A function of a Ratio with its last few results remembered by object identity (ratios are
 * immutable). The same price objects, shared by every trade priced from one cache entry, are written
 * into each trade's record and each mark, so their texts repeat trade after trade, among ratios made
 * fresh for each trade (prices paid, mark values). A WeakMap would remember them as well, but
 * inserting each of the fresh ones into it cost about a microsecond (its ephemeron table), several
 * times the text itself; this keeps a fixed handful and finds a hit in a few comparisons.
 */
function rememberRecent<T>(compute: (r: Ratio) => T, slots: number): (r: Ratio) => T {
  const keys: (Ratio | undefined)[] = new Array<Ratio | undefined>(slots).fill(undefined);
  const values: T[] = [];
  let next = 0;
  return (r) => {
    for (let i = 0; i < slots; i++) if (keys[i] === r) return values[i] as T;
    const value = compute(r);
    keys[next] = r;
    values[next] = value;
    next = (next + 1) % slots;
    return value;
  };
}

/**
 * Exact text form, "n/d" in lowest terms: what the journal records, so a replay reads back the very
 * same value. Terms below 2^53 are reduced and printed as doubles, where both are exact (an integer
 * double prints as its digits, like the bigint): the same text without a bigint gcd and divisions.
 */
export function exactText(r: Ratio): string {
  const { n, d } = r;
  if (d < EXACT_AS_NUMBER && n < EXACT_AS_NUMBER && n > -EXACT_AS_NUMBER) {
    const a = Number(n);
    const b = Number(d);
    const g = gcdOfSafe(a < 0 ? -a : a, b);
    return `${a / g}/${b / g}`;
  }
  const x = reduced(r);
  return `${x.n}/${x.d}`;
}

/**
 * exactText, remembering the texts of recent ratios: for ratios shared from trade to trade (a cache
 * entry's prices). A ratio made fresh for one record is better printed with exactText directly, so it
 * takes no slot from the shared ones.
 */
export const ratioToString: (r: Ratio) => string = rememberRecent(exactText, 16);

/**
 * `reduced`, for ratios that repeat from trade to trade (a cache entry's prices): the same price
 * object gives the same reduced object, whose text ratioToString then finds among its recent ones.
 */
export const reducedShared: (r: Ratio) => Ratio = rememberRecent(reduced, 8);

export function ratioFromString(s: string): Ratio {
  const m = /^(-?\d+)\/(\d+)$/.exec(s);
  if (!m) throw new RangeError(`not an exact ratio: ${JSON.stringify(s)}`);
  return ratio(BigInt(m[1] ?? '0'), BigInt(m[2] ?? '1'));
}
