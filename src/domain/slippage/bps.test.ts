import { describe, expect, it } from 'vitest';
import { ratio, ZERO } from '../ratio.js';
import { capFraction, fractionFromBpsCeil, MAX_SLIPPAGE, toBps } from './bps.js';

describe('fractionFromBpsCeil', () => {
  it('is exact for whole and decimal bps', () => {
    expect(fractionFromBpsCeil(5)).toEqual(ratio(1n, 2_000n));
    expect(fractionFromBpsCeil(12.5)).toEqual(ratio(125n, 100_000n));
  });
  it('rounds a fraction of a micro-bp up, against the trader', () => {
    expect(fractionFromBpsCeil(1.0000001)).toEqual(ratio(1_000_001n, 10_000_000_000n));
    expect(fractionFromBpsCeil(1e-9)).toEqual(ratio(1n, 10_000_000_000n));
  });
  it('does not round float noise up (0.1 + 0.2 bps is 0.3 bps)', () => {
    expect(fractionFromBpsCeil(0.1 + 0.2)).toEqual(ratio(3n, 100_000n));
  });
  it('treats negative bps as zero and caps at 4,999 bps', () => {
    expect(fractionFromBpsCeil(-3)).toEqual(ZERO);
    expect(fractionFromBpsCeil(12_000)).toEqual(MAX_SLIPPAGE);
    expect(toBps(MAX_SLIPPAGE)).toBe(4_999);
  });
  it('refuses NaN (a model bug, never a user input)', () => {
    expect(() => fractionFromBpsCeil(Number.NaN)).toThrow(RangeError);
  });
});

describe('capFraction', () => {
  it('rounds an exact ratio up to 1e-6 bps and caps it', () => {
    expect(capFraction(ratio(1n, 3_001n))).toEqual(ratio(3_332_223n, 10_000_000_000n));
    expect(capFraction(ratio(1n, 2n))).toEqual(MAX_SLIPPAGE);
    expect(capFraction(ratio(-1n, 2n))).toEqual(ZERO);
  });
});
