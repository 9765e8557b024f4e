import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ceil, ceilDiv, cmp, div, exactText, floor, floorDiv, formatScaled, fromDecimalString, fromNumber, mul, ratio, ratioToString, reduced, reducedShared, toDecimalString } from './ratio.js';

/** Euclid in bigint all the way: the reference the reduction must equal. */
function referenceGcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** q / 10^places with trailing zeros cut, written the plainest way: the reference for formatScaled. */
function referenceFormat(q: bigint, places: number): string {
  const neg = q < 0n;
  const abs = neg ? -q : q;
  let s = abs.toString();
  if (places > 0) {
    s = s.padStart(places + 1, '0');
    const int = s.slice(0, s.length - places);
    const frac = s.slice(s.length - places).replace(/0+$/, '');
    s = frac.length > 0 ? `${int}.${frac}` : int;
  }
  return neg && abs !== 0n ? `-${s}` : s;
}

describe('ratio', () => {
  it('formats scaled integers as the plain decimal, trailing zeros cut', () => {
    expect(formatScaled(1_500_000n, 6)).toBe('1.5');
    expect(formatScaled(-5n, 3)).toBe('-0.005');
    expect(formatScaled(1000n, 3)).toBe('1');
    expect(formatScaled(0n, 18)).toBe('0');
    const q = fc.oneof(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.bigInt({ min: -1000n, max: 1000n }).map((x) => x * 10n ** 12n));
    fc.assert(
      fc.property(q, fc.integer({ min: 0, max: 24 }), (v, places) => {
        expect(formatScaled(v, places)).toBe(referenceFormat(v, places));
      }),
    );
  });

  it('reduces to lowest terms exactly as bigint Euclid does, on both sides of 2^53', () => {
    const term = fc.oneof(fc.bigInt({ min: -(1n << 60n), max: 1n << 60n }), fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }), fc.bigInt({ min: (1n << 53n) - 5n, max: (1n << 53n) + 5n }));
    fc.assert(
      fc.property(term, term, fc.bigInt({ min: 1n, max: 1n << 70n }), (n, d0, k) => {
        const d = d0 === 0n ? 1n : d0 < 0n ? -d0 : d0;
        const g = referenceGcd(n * k, d * k);
        const r = reduced({ n: n * k, d: d * k });
        expect(r).toEqual(g > 1n ? { n: (n * k) / g, d: (d * k) / g } : { n: n * k, d: d * k });
        expect(ratioToString({ n: n * k, d: d * k })).toBe(`${r.n}/${r.d}`);
        expect(exactText({ n: n * k, d: d * k })).toBe(`${r.n}/${r.d}`);
      }),
    );
  });

  it('exactText prints terms below 2^53 (reduced in doubles) exactly as the bigint reduction does', () => {
    const below = 1n << 53n;
    expect(exactText({ n: 0n, d: 1_000_000_000n })).toBe('0/1');
    expect(exactText({ n: -6n, d: 4n })).toBe('-3/2');
    expect(exactText({ n: below - 1n, d: 1n })).toBe(`${below - 1n}/1`);
    expect(exactText({ n: -(below - 1n), d: below - 2n })).toBe(`-${below - 1n}/${below - 2n}`);
    expect(exactText({ n: below, d: 2n })).toBe(`${below / 2n}/1`);
    // A mark's value: nano-USD over 10^9, on both sides of 2^53.
    const nano = fc.oneof(fc.bigInt({ min: -(1n << 54n), max: 1n << 54n }), fc.bigInt({ min: 0n, max: 10n ** 6n }).map((x) => x * 10n ** 9n));
    fc.assert(
      fc.property(nano, (n) => {
        const r = reduced({ n, d: 1_000_000_000n });
        expect(exactText({ n, d: 1_000_000_000n })).toBe(`${r.n}/${r.d}`);
      }),
    );
  });

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

  it('floorDiv, ceilDiv and toDecimalString round as the exact quotient does, whatever the signs', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.integer({ min: 0, max: 24 }), (n, d, places) => {
        // Reference: the floor by the definition, q x d <= n < (q + 1) x d.
        const q = floorDiv(n, d);
        expect(q * d <= n && n < (q + 1n) * d).toBe(true);
        expect(ceilDiv(n, d)).toBe(q * d === n ? q : q + 1n);
        const scaled = mul(ratio(n, d), ratio(10n ** BigInt(places)));
        expect(toDecimalString(ratio(n, d), places, 'floor')).toBe(formatScaled(floor(scaled), places));
        expect(toDecimalString(ratio(n, d), places, 'ceil')).toBe(formatScaled(ceil(scaled), places));
      }),
    );
  });

  it('ratioToString and reducedShared answer the same for an object seen before and one never seen, across many ratios', () => {
    const all = Array.from({ length: 100 }, (_, i) => ratio(BigInt(i * 6 - 300), BigInt(4 + (i % 9))));
    for (let round = 0; round < 3; round++) {
      for (const r of all) {
        const x = reduced(r);
        expect(ratioToString(r)).toBe(`${x.n}/${x.d}`);
        expect(reducedShared(r)).toEqual(x);
        expect(ratioToString({ n: r.n, d: r.d })).toBe(`${x.n}/${x.d}`);
      }
    }
    // The same object gives the same reduced object, while it is among the recent ones.
    const price = ratio(14748n, 100n);
    expect(reducedShared(price)).toBe(reducedShared(price));
  });
});
