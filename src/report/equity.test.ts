import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cmp, ratio } from '../domain/ratio.js';
import { dailyReturns, downsample, drawdownStats, sharpe, sortino, withRunningDrawdown } from './equity.js';

const DAY = 86_400_000;
const pt = (atMs: number, usd: bigint) => ({ atMs, valueUsd: ratio(usd) });

describe('Sharpe and Sortino', () => {
  it('on returns 1 %, -1 %, 2 %', () => {
    // mean 0.02 / 3 = 0.0066667; deviations 0.0033333, -0.0166667, 0.0133333
    // sample variance (0.0000111 + 0.0002778 + 0.0001778) / 2 = 0.00023333 -> sd 0.0152753
    expect(sharpe([0.01, -0.01, 0.02])).toBeCloseTo((0.02 / 3 / Math.sqrt(0.0007 / 3)) * Math.sqrt(365), 9);
    // downside deviation sqrt(0.01^2 / 3) = 0.0057735
    expect(sortino([0.01, -0.01, 0.02])).toBeCloseTo((0.02 / 3 / Math.sqrt(0.0001 / 3)) * Math.sqrt(365), 9);
  });
  it('are undefined with fewer than two returns, no variation, or no losing day', () => {
    expect(sharpe([0.01])).toBeUndefined();
    expect(sharpe([0.01, 0.01])).toBeUndefined();
    expect(sortino([0.01, 0.02])).toBeUndefined();
  });
});

describe('drawdownStats', () => {
  it('100 -> 80 -> 120 -> 90: max 25 % from 120, open since the 120 peak', () => {
    const s = drawdownStats([pt(0, 100n), pt(10, 80n), pt(20, 120n), pt(50, 90n)]);
    // 100 -> 80 is 20 %; 120 -> 90 is 30 / 120 = 25 %
    expect(s.maxDrawdown).toBe(0.25);
    expect(s.maxDrawdownUsd).toEqual(ratio(30n));
    expect(s.currentDrawdown).toBe(0.25);
    // first dip 0 -> 20 (20 ms), second 20 -> 50 unrecovered (30 ms)
    expect(s.longestDurationMs).toBe(30);
  });
  it('a rising series has no drawdown', () => {
    const s = drawdownStats([pt(0, 1n), pt(1, 2n), pt(2, 2n)]);
    expect(s.maxDrawdown).toBe(0);
    expect(s.longestDurationMs).toBe(0);
    expect(s.maxDrawdownPeakMs).toBeUndefined();
  });
});

describe('dailyReturns', () => {
  it('closes each UTC day on its last point; days without points have no return', () => {
    const r = dailyReturns([pt(0, 100n), pt(DAY - 1, 110n), pt(DAY + 5, 99n), pt(3 * DAY, 198n)]);
    expect(r.map((x) => x.day)).toEqual(['1970-01-01', '1970-01-02', '1970-01-04']);
    // 110 / 100 - 1, 99 / 110 - 1, 198 / 99 - 1
    expect(r.map((x) => x.return)).toEqual([0.1, -0.1, 1]);
  });
});

describe('downsample', () => {
  it('property: at most maxPoints, first and last kept, and the global min and max kept', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10_000n }), { minLength: 1, maxLength: 600 }), fc.integer({ min: 4, max: 200 }), (values, maxPoints) => {
        const points = values.map((v, i) => pt(i, v));
        const out = downsample(points, maxPoints);
        expect(out.length).toBeLessThanOrEqual(maxPoints);
        expect(out[0]).toBe(points[0]);
        expect(out[out.length - 1]).toBe(points[points.length - 1]);
        const lo = values.reduce((a, b) => (b < a ? b : a));
        const hi = values.reduce((a, b) => (b > a ? b : a));
        expect(out.some((p) => cmp(p.valueUsd, ratio(lo)) === 0)).toBe(true);
        expect(out.some((p) => cmp(p.valueUsd, ratio(hi)) === 0)).toBe(true);
        // time order is kept
        for (let i = 1; i < out.length; i++) expect(out[i]?.atMs).toBeGreaterThan(out[i - 1]?.atMs ?? -1);
      }),
    );
  });
  it('leaves short series alone and caps 5,000 points at 2,000', () => {
    const many = Array.from({ length: 5000 }, (_, i) => pt(i, BigInt(i % 97)));
    expect(downsample(many.slice(0, 10))).toHaveLength(10);
    expect(downsample(many).length).toBeLessThanOrEqual(2000);
  });
});

describe('withRunningDrawdown', () => {
  it('100 -> 80 -> 120 -> 90 -> 130: the fall from the highest value so far', () => {
    const d = withRunningDrawdown([pt(0, 100n), pt(1, 80n), pt(2, 120n), pt(3, 90n), pt(4, 130n)]).map((p) => p.drawdown);
    expect(d).toEqual([0, 0.2, 0, 0.25, 0]);
  });
  it('is 0 while the peak is zero', () => {
    expect(withRunningDrawdown([pt(0, 0n), pt(1, 0n), pt(2, 50n), pt(3, 25n)]).map((p) => p.drawdown)).toEqual([0, 0, 0, 0.5]);
  });
});
