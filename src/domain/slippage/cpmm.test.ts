import { describe, expect, it } from 'vitest';
import { ratio } from '../ratio.js';
import { cpmmModel } from './cpmm.js';
import { makeContext } from '../../../test/support/slippage.js';

const model = (params: Record<string, number> = {}) => cpmmModel.create(params, 'slippage_model');
const GRID = 10_000_000_000n;

describe('cpmm model', () => {
  it('$100k into half of $600M: 100k / 300.1M = 1/3001, rounded up to 1e-6 bps', () => {
    const r = model().apply(makeContext({ tradeUsd: 100_000, liquidityUsd: 600_000_000 }));
    expect(r.fraction).toEqual(ratio(3_332_223n, GRID)); // 3.3322225... bps
  });
  it('$10k into half of $3M JUP: 10k / 1.51M = 1/151 (66.225 bps)', () => {
    const r = model().apply(makeContext({ base: 'JUP', tradeUsd: 10_000, liquidityUsd: 3_000_000 }));
    expect(r.fraction).toEqual(ratio(66_225_166n, GRID));
  });
  it('uses the whole depth as the reserve when reserveShare is 1: 1000 / (1M + 1000) = 1/1001', () => {
    const r = model({ reserveShare: 1, depthUsd: 1_000_000 }).apply(makeContext({ tradeUsd: 1_000 }));
    expect(r.fraction).toEqual(ratio(9_990_010n, GRID));
    expect(r.explanation).toContain('from params');
  });
  it('charges a quoted trade only the excess over the route quote: 1/151 - 50 bps = 49/30200', () => {
    const r = model().apply(makeContext({ base: 'JUP', tradeUsd: 10_000, liquidityUsd: 3_000_000, quoted: true, priceImpact: 0.005 }));
    expect(r.fraction).toEqual(ratio(16_225_166n, GRID));
    expect(r.explanation).toContain('charged the rest');
  });
  it('charges nothing more when the quote already priced more than cpmm says', () => {
    const r = model().apply(makeContext({ tradeUsd: 1_000, quoted: true, priceImpact: 0.01 }));
    expect(r.fraction.n).toBe(0n);
  });
  it('falls back to the thinner class depth when the market has none, and says so', () => {
    const r = model().apply(makeContext({ base: 'BONK', quote: 'SOL', tradeUsd: 5_000, liquidityUsd: null }));
    expect(r.fraction).toEqual(ratio(99_009_901n, GRID)); // 5k / (500k + 5k) = 1/101
    expect(r.explanation).toContain('assumed $1M, the meme-class fallback');
  });
});
