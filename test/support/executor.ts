import { randomUUID } from 'node:crypto';
import { ExecutorError, isExecutorError } from '../../src/domain/errors.js';
import type { QuoteRequest, RouteQuote, UsdPrice } from '../../src/domain/market.js';
import type { RawTradeRequest } from '../../src/domain/request.js';
import { cpmmQuote } from './cpmm-quote.js';
import { fromDecimalString } from '../../src/domain/ratio.js';
import { createSlippageRegistry } from '../../src/domain/slippage/registry.js';
import { DEFAULT_FEES } from '../../src/domain/fees.js';
import { createTokenRegistry, type Mint } from '../../src/domain/tokens.js';
import { createMemoryJournal, type MemoryJournal } from '../../src/store/memory-journal.js';
import { createExecutor, type ExecutorParts, type RestoredPortfolio } from '../../src/executor/executor.js';
import type { PipelineOptions } from '../../src/executor/pipeline.js';
import type { Log, PriceProvider, SharedLedgerStore, TradeJournal } from '../../src/executor/ports.js';
import type { Executor } from '../../src/executor/types.js';

/**
 * A price provider with fixed prices, for executor tests that must hand-compute results. The real
 * sources (simulated market, Jupiter) have their own tests; this one only removes their motion.
 */
export function fixedPrices(table: Readonly<Record<string, string>>, liquidityUsd = '100000000'): PriceProvider & { calls: number } {
  const tokens = createTokenRegistry();
  const bySymbol = new Map<Mint, UsdPrice>();
  for (const [symbol, price] of Object.entries(table)) {
    const t = tokens.bySymbol(symbol);
    bySymbol.set(t.mint, { mint: t.mint, usd: fromDecimalString(price), liquidityUsd: fromDecimalString(liquidityUsd), source: 'fixed', observedAtMs: 0 });
  }
  const provider = {
    sourceName: 'fixed',
    calls: 0,
    getUsdPrices(mints: readonly Mint[]) {
      provider.calls++;
      const prices = new Map<Mint, UsdPrice>();
      for (const m of mints) {
        const p = bySymbol.get(m);
        if (p) prices.set(m, p);
      }
      return Promise.resolve({ prices, cacheHit: true, attempts: 0 });
    },
    getQuote(q: QuoteRequest): Promise<{ quote: RouteQuote; attempts: number }> {
      const i = bySymbol.get(q.inputMint);
      const o = bySymbol.get(q.outputMint);
      const it = tokens.find(q.inputMint);
      const ot = tokens.find(q.outputMint);
      if (!i || !o || !it || !ot) return Promise.reject(new ExecutorError('NO_ROUTE', 'no route'));
      return Promise.resolve({ quote: cpmmQuote(q, it, ot, i, o), attempts: 1 });
    },
  };
  return provider;
}

export const silentLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLog,
};

export function testExecutor(
  overrides: Partial<ExecutorParts> & { readonly journal?: TradeJournal; readonly restored?: ReadonlyMap<string, RestoredPortfolio>; readonly shared?: SharedLedgerStore } = {},
  pipeline?: Pick<PipelineOptions, 'mev' | 'drift'>,
): { executor: Executor; journal: MemoryJournal } {
  const journal = createMemoryJournal();
  const { journal: ownJournal, restored, shared, ...parts } = overrides;
  const executor = createExecutor({
    tokens: createTokenRegistry(),
    prices: fixedPrices({ SOL: '150', USDC: '1', JUP: '0.85', BONK: '0.00002' }),
    pipeline: {
      slippage: createSlippageRegistry(),
      defaultSlippageModel: { name: 'fixed', params: { bps: 100 } },
      defaultToleranceBps: 300,
      nearToleranceRatio: 0.8,
      fees: DEFAULT_FEES,
      sol: createTokenRegistry().sol,
      mev: pipeline?.mev,
      drift: pipeline?.drift,
    },
    startingBalances: () => ({ SOL: '100', USDC: '10000' }),
    seed: 1n,
    log: silentLog,
    ...parts,
    ...(shared ? { shared } : { journal: ownJournal ?? journal, ...(restored ? { restored } : {}) }),
  });
  return { executor, journal };
}

/** A raw request to BUY 1 SOL with USDC under a fresh request id, as a client would send it; `patch` overrides any field. */
export const buy = (patch: Partial<RawTradeRequest> = {}): RawTradeRequest => ({
  requestId: randomUUID(),
  action: 'BUY',
  baseToken: 'SOL',
  quoteToken: 'USDC',
  amount: '1',
  isBaseInput: true,
  priorityFee: '0',
  simulateMev: false,
  portfolioId: '',
  mevProtection: 'UNSPECIFIED',
  ...patch,
});

/** The ExecutorError code `promise` rejects with, or 'OK' if it resolves; any other error is rethrown. */
export async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    if (isExecutorError(e)) return e.code;
    throw e;
  }
  return 'OK';
}
