import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildExecutor, pipelineOptions } from '../src/app.js';
import { configSchema } from '../src/config/schema.js';
import type { LedgerEvent } from '../src/domain/ledger.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { verifyEvents } from '../src/executor/replay.js';
import { createMetrics } from '../src/observability/metrics.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMemoryJournal } from '../src/store/memory-journal.js';

const config = configSchema.parse({
  slippage: { model: { name: 'random', params: {} }, landingDelay: { enabled: true } },
  mev: { regime: 'peak' },
  portfolios: { startingBalances: { SOL: '1000', USDC: '10000000' } },
});

describe('replay --verify', () => {
  it('re-executes every trade of a mixed run bit for bit from its recorded inputs', async () => {
    const journal = createMemoryJournal();
    const { executor } = buildExecutor(config, silentLogger(), createMetrics({ defaultMetrics: false }), { journal });
    const pairs = [['SOL', 'USDC'], ['BOME', 'USDC'], ['JUP', 'SOL'], ['BONK', 'SOL']] as const;
    for (let i = 0; i < 120; i++) {
      const [base, quote] = pairs[i % pairs.length] ?? pairs[0];
      await executor
        .executeTrade({
          requestId: randomUUID(),
          action: (['BUY', 'SELL', 'SWAP'] as const)[i % 3] ?? 'BUY',
          baseToken: base,
          quoteToken: quote,
          amount: String(1 + (i % 50)),
          isBaseInput: i % 4 !== 0,
          slippageToleranceBps: i % 5 === 0 ? 20 : 1_500,
          priorityFee: String((i * 7919) % 900_000),
          simulateMev: i % 2 === 0,
          portfolioId: `p${i % 3}`,
          mevProtection: 'UNSPECIFIED',
        })
        .catch(() => undefined); // refused trades leave no event
      if (i === 60) await executor.resetPortfolio('p1', {});
    }
    const trades = journal.events.filter((e) => e.kind === 'trade');
    expect(trades.length).toBeGreaterThan(60);
    expect(trades.some((e) => e.trade.status !== 'FILLED')).toBe(true);
    const pipeline = pipelineOptions(config);
    const sol = createTokenRegistry().sol;
    const report = verifyEvents(journal.events, pipeline, sol);
    expect(report.trades).toBe(trades.length);
    expect(report.mismatches).toEqual([]);

    // A tampered record is caught, with the field named.
    const tampered: LedgerEvent[] = journal.events.map((e) =>
      e.kind === 'trade' && e.trade.sequence === 2 && e.portfolioId === 'p0'
        ? { ...e, trade: { ...e.trade, inputs: { ...e.trade.inputs, slippageToleranceBps: e.trade.inputs.slippageToleranceBps + 1 }, slippageBps: e.trade.slippageBps + 1 } }
        : e,
    );
    const bad = verifyEvents(tampered, pipeline, sol);
    expect(bad.mismatches).toHaveLength(1);
    expect(bad.mismatches[0]?.differences.join('\n')).toMatch(/slippage_bps/);
  });
});
