import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildExecutor } from '../src/app.js';
import { configSchema } from '../src/config/schema.js';
import type { RawTradeRequest } from '../src/domain/request.js';
import { createMetrics } from '../src/observability/metrics.js';
import { silentLogger } from '../src/observability/logger.js';

const executorAt = (regime: 'current' | 'peak') =>
  buildExecutor(configSchema.parse({ mev: { regime }, portfolios: { startingBalances: { SOL: '1000', USDC: '100000000' } } }), silentLogger(), createMetrics({ defaultMetrics: false })).executor;

const memeBuy = (requestId: string): RawTradeRequest => ({
  requestId,
  action: 'BUY',
  baseToken: 'BOME', // $3M of depth in the simulated market: a $20k buy moves it past its pool fee
  quoteToken: 'USDC',
  amount: '20000',
  isBaseInput: false,
  slippageToleranceBps: 1_500,
  priorityFee: '0',
  simulateMev: true,
  portfolioId: '',
  mevProtection: 'PUBLIC',
});

describe('MEV simulation in the pipeline', () => {
  it('attacks memecoin buys at a wide tolerance; losses stay within the unused tolerance; reverts fail with the fee', async () => {
    const executor = executorAt('peak');
    const trades = [];
    for (let i = 0; i < 300; i++) trades.push((await executor.executeTrade(memeBuy(randomUUID()))).trade);
    const attacked = trades.filter((t) => t.mev.attacked);
    expect(trades.every((t) => t.mev.simulated && t.mev.attackProbability > 0)).toBe(true);
    expect(attacked.length).toBeGreaterThan(0);
    expect(attacked.length).toBeLessThan(trades.length);
    for (const t of attacked) {
      if (t.status === 'FAILED_MEV') {
        expect(t.outputAmount).toBe(0n);
        expect(t.fees.total).toBeGreaterThan(0n);
      } else {
        expect(t.mevImpactBps).toBeGreaterThan(0);
        expect(t.mevImpactBps + t.slippageBps).toBeLessThanOrEqual(1_500 + 1e-6);
      }
    }
    expect(trades.filter((t) => !t.mev.attacked).every((t) => t.mevImpactBps === 0)).toBe(true);
  });

  it('the same request id gives the same outcome on a fresh executor; the peak regime attacks more', async () => {
    const ids = Array.from({ length: 200 }, () => randomUUID());
    const run = async (regime: 'current' | 'peak') => {
      const executor = executorAt(regime);
      const out = [];
      for (const id of ids) out.push((await executor.executeTrade(memeBuy(id))).trade);
      return out;
    };
    const [a, b, peak] = [await run('current'), await run('current'), await run('peak')];
    expect(a.map((t) => [t.seed, t.mev.attacked, t.mevImpactBps])).toEqual(b.map((t) => [t.seed, t.mev.attacked, t.mevImpactBps]));
    const rate = (ts: typeof a) => ts.filter((t) => t.mev.attacked).length;
    expect(rate(peak)).toBeGreaterThan(rate(a));
  });
});
