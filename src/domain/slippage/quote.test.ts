import { describe, expect, it } from 'vitest';
import { ratio } from '../ratio.js';
import { toBps } from './bps.js';
import { quoteModel } from './quote.js';
import { fixedRng, makeContext } from '../../../test/support/slippage.js';

const model = (params: Record<string, number> = {}) => quoteModel.create(params, 'slippage_model');

describe('quote model', () => {
  it('adds only the drift to a quoted trade: the quote already holds its impact', () => {
    const r = model({ jitter: 0 }).apply(makeContext({ quoted: true, priceImpact: 0.0012 }));
    expect(r.fraction).toEqual(ratio(5n, 10_000n));
    expect(r.explanation).toContain('already includes its 12 bps impact');
  });
  it('adds the market impact and the drift to a trade priced from USD prices', () => {
    const r = model({ jitter: 0 }).apply(makeContext({ quoted: false, priceImpact: 0.0012 }));
    expect(r.fraction).toEqual(ratio(17n, 10_000n));
  });
  it('spreads the drift exponentially around its mean (u = 0.5, jitter 0.5: 5 x (0.5 + 0.5 ln 2) bps)', () => {
    const r = model().apply(makeContext({ quoted: true, rng: fixedRng(0.5) }));
    expect(toBps(r.fraction)).toBeCloseTo(5 * (0.5 + 0.5 * Math.LN2), 5);
  });
  it('keeps the mean drift at driftBps whatever the jitter', () => {
    const m = model({ jitter: 1, driftBps: 5 });
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) sum += toBps(m.apply(makeContext({ quoted: true, seed: BigInt(i) })).fraction);
    expect(sum / n).toBeGreaterThan(4.85);
    expect(sum / n).toBeLessThan(5.15);
  });
});
