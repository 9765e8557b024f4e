/** Shared by the store's tests and the durability tests: a realistic mix of journaled events. */
import { randomUUID } from 'node:crypto';
import { buildExecutor } from '../../src/app.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../../src/domain/ledger.js';
import { createTokenRegistry } from '../../src/domain/tokens.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { FileJournal } from '../../src/store/file-journal.js';
import { createMemoryJournal } from '../../src/store/memory-journal.js';

/** Every model, MEV at its peak regime, the landing delay: trades with every optional part set. */
export const mixedConfig: Config = configSchema.parse({
  slippage: { model: { name: 'random', params: {} }, landingDelay: { enabled: true } },
  mev: { regime: 'peak' },
  portfolios: { startingBalances: { SOL: '1000', USDC: '10000000' } },
});

/** `n` trade attempts over three portfolios (buys, sells, swaps, failures, one reset) and their events. */
export async function mixedEvents(n = 60): Promise<LedgerEvent[]> {
  const journal = createMemoryJournal();
  const { executor } = buildExecutor(mixedConfig, silentLogger(), createMetrics({ defaultMetrics: false }), { journal });
  const pairs = [
    ['SOL', 'USDC'],
    ['BOME', 'USDC'],
    ['JUP', 'SOL'],
    ['BONK', 'SOL'],
  ] as const;
  for (let i = 0; i < n; i++) {
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
        maxPriceImpactBps: i % 7 === 0 ? 9_000 : undefined,
        portfolioId: `p${i % 3}`,
        slippageModel: i % 6 === 0 ? { name: 'fixed', params: { bps: 42 } } : undefined,
        mevProtection: 'UNSPECIFIED',
      })
      .catch(() => undefined); // refused trades leave no event
    if (i === Math.floor(n / 2)) await executor.resetPortfolio('p1', {});
  }
  return [...journal.events];
}

/**
 * Appends through a minimal portfolio book, the journal's source of snapshot states: each event is
 * applied when its append resolves, in the append's first reaction, as the executor's book does.
 */
export function bookedAppend(journal: FileJournal): (e: LedgerEvent) => Promise<void> {
  const sol = createTokenRegistry().sol;
  const states = new Map<string, PortfolioState>();
  journal.takeSnapshotsFrom(() => states.values());
  return (e) => {
    const next = applyEvent(states.get(e.portfolioId), e, sol);
    return journal.append(e).then(() => {
      states.set(e.portfolioId, next);
    });
  };
}
