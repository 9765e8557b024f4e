import { describe, expect, it } from 'vitest';
import { toBps } from './bps.js';
import { sqrtModel } from './sqrt.js';
import { makeContext } from '../../../test/support/slippage.js';

const model = (params: Record<string, number> = {}) => sqrtModel.create(params, 'slippage_model');

describe('sqrt model', () => {
  it('k 2, 60 % a year, $10k on $1M: 2 x 0.6/sqrt(365) x sqrt(0.01) = 62.81 bps', () => {
    const r = model({ k: 2, volatility: 0.6 }).apply(makeContext({ tradeUsd: 10_000, liquidityUsd: 1_000_000 }));
    expect(toBps(r.fraction)).toBeCloseTo(62.810_871, 5);
  });
  it('SOL/USDC by class (60 %): $100k on $600M is 0.6/sqrt(365) x sqrt(1/6000) = 4.054 bps', () => {
    const r = model().apply(makeContext({ tradeUsd: 100_000, liquidityUsd: 600_000_000 }));
    expect(toBps(r.fraction)).toBeCloseTo(4.054_424, 5);
    expect(r.explanation).toMatch(/^sqrt: 1 x σ 3.14 %\/day x sqrt\(\$100k \/ \$600M\) = 4.05 bps$/);
  });
  it('BONK/SOL takes the riskier leg (150 %): $10k on $12M = 1.5/sqrt(365) x sqrt(1/1200) = 22.66 bps', () => {
    const r = model().apply(makeContext({ base: 'BONK', quote: 'SOL', tradeUsd: 10_000, liquidityUsd: 12_000_000 }));
    expect(toBps(r.fraction)).toBeCloseTo((1.5 / Math.sqrt(365)) * Math.sqrt(1 / 1_200) * 10_000, 5);
    expect(toBps(r.fraction)).toBeCloseTo(22.664_9, 3);
  });
  it('charges a quoted trade only the excess over the route quote', () => {
    const r = model({ k: 2, volatility: 0.6 }).apply(makeContext({ tradeUsd: 10_000, liquidityUsd: 1_000_000, quoted: true, priceImpact: 0.005 }));
    expect(toBps(r.fraction)).toBeCloseTo(12.810_871, 5);
  });
  it('falls back to a class depth when the market has none, and says so', () => {
    const r = model().apply(makeContext({ base: 'JUP', tradeUsd: 1_000, liquidityUsd: null }));
    expect(r.explanation).toContain('assumed $2M, the mid-class fallback');
  });
});
