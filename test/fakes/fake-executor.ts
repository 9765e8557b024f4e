/**
 * FAKE executor for TRANSPORT tests only: it returns fixed domain objects and records what it was
 * called with. It prices nothing and books nothing; it exists so the gRPC layer (mapping, status
 * codes, streams, deadlines) can be tested without the real pipeline.
 */
import { amount, lamports } from '../../src/domain/amount.js';
import { ExecutorError } from '../../src/domain/errors.js';
import { ratio } from '../../src/domain/ratio.js';
import type { RawTradeRequest } from '../../src/domain/request.js';
import { defaultTokens, type Token } from '../../src/domain/tokens.js';
import { NO_MEV, type Trade } from '../../src/domain/trade.js';
import type { ExecuteOptions, Executor, PortfolioSummary, ReportQuery, TradePage, TradeResult } from '../../src/executor/types.js';
import { buildReport } from '../../src/report/report.js';
import { sampleReportInput } from '../support/report.js';

const tokens = defaultTokens();
function token(symbol: string): Token {
  const t = tokens.find((x) => x.symbol === symbol);
  if (!t) throw new Error(`fixture token ${symbol} missing`);
  return t;
}
export const SOL = token('SOL');
export const USDC = token('USDC');

/** A filled BUY of 1.5 SOL for 225.000001 USDC; prices are thirds so rounding shows. */
export function sampleTrade(overrides: Partial<Trade> = {}): Trade {
  return {
    tradeId: 'trade-1',
    requestId: '6f1c1f1e-9a0b-4c4d-8e8f-0a1b2c3d4e5f',
    portfolioId: 'default',
    sequence: 7,
    action: 'BUY',
    status: 'FILLED',
    base: SOL,
    quote: USDC,
    input: USDC,
    output: SOL,
    inputAmount: amount(225_000_001n),
    outputAmount: amount(1_500_000_000n),
    expectedPrice: ratio(449n, 3n), // 149.666...
    executedPrice: ratio(451n, 3n), // 150.333...
    slippageBps: 44.5,
    mevImpactBps: 0,
    priceImpactBps: 1.25,
    fees: { signatures: 1, baseFee: lamports(5_000n), priorityFee: lamports(10_000n), rent: lamports(2_039_280n), total: lamports(2_054_280n) },
    executedAtMs: 1_700_000_000_123,
    priceSource: 'sim',
    mev: NO_MEV,
    slippageModel: 'fixed',
    slippageExplanation: 'fixed 44.5 bps',
    seed: 18_446_744_073_709_551_615n,
    route: [{ label: 'Orca', inputMint: USDC.mint, outputMint: SOL.mint, inAmount: 225_000_001n, outAmount: 1_500_000_000n, percent: 100 }],
    failureReason: undefined,
    inputValueNanoUsd: 225_000_001_000n,
    inputs: {
      amount: amount(1_500_000_000n),
      isBaseInput: true,
      maxPriceImpactBps: undefined,
      fingerprint: 'fake',
      priceSource: 'fake',
      baseUsd: ratio(74_833n, 500n),
      quoteUsd: ratio(1n),
      baseLiquidityUsd: undefined,
      quoteLiquidityUsd: undefined,
      quote: undefined,
      slippageModel: { name: 'fixed', params: {} },
      slippageToleranceBps: 100,
      priorityFee: lamports(10_000n),
      simulateMev: false,
      mevProtection: 'PUBLIC',
    },
    warnings: [],
    ...overrides,
  };
}

export function samplePortfolio(portfolioId = 'default'): PortfolioSummary {
  return {
    portfolioId,
    balances: [
      { token: SOL, amount: amount(98_500_000_000n), usdValue: '14742.15', avgCostUsd: '149.5' },
      { token: USDC, amount: amount(1_000_000n), usdValue: '1', avgCostUsd: '1' },
    ],
    totalValueUsd: '14743.15',
    realizedPnlUsd: '-0.5',
    unrealizedPnlUsd: '12.25',
    tradeCount: 3,
    feesPaidLamports: 2_054_280n,
    updatedAtMs: 1_700_000_000_500,
    priceSource: 'sim',
  };
}

export interface FakeExecutor extends Executor {
  /** The portfolios that exist: listPortfolios lists them, getReport of any other id is NOT_FOUND. Default ["default"]. */
  portfolios: string[];
  readonly calls: {
    executeTrade: { raw: RawTradeRequest; options: ExecuteOptions | undefined }[];
    getPortfolio: string[];
    resetPortfolio: { portfolioId: string; balances: Readonly<Record<string, string>> }[];
    listTrades: { portfolioId: string; limit: number; pageToken: string }[];
    subscribe: string[];
    listPortfolios: number;
    getReport: { portfolioId: string; query: ReportQuery }[];
  };
  /** Replaces executeTrade's behaviour (e.g. throw, or wait for the abort signal). */
  onExecute: ((raw: RawTradeRequest, options: ExecuteOptions | undefined) => Promise<TradeResult>) | undefined;
  /** Makes every method other than executeTrade throw this (synchronously for subscribe). */
  failWith: Error | undefined;
  /** Delivers a trade to the current subscribers of its portfolio. */
  publish(trade: Trade): void;
  subscriberCount(portfolioId: string): number;
}

export function createFakeExecutor(): FakeExecutor {
  const subscribers = new Map<string, Set<(t: Trade) => void>>();
  const fake: FakeExecutor = {
    portfolios: ['default'],
    calls: { executeTrade: [], getPortfolio: [], resetPortfolio: [], listTrades: [], subscribe: [], listPortfolios: 0, getReport: [] },
    onExecute: undefined,
    failWith: undefined,
    executeTrade(raw, options) {
      fake.calls.executeTrade.push({ raw, options });
      if (fake.onExecute) return fake.onExecute(raw, options);
      const trade = sampleTrade({ requestId: raw.requestId });
      return Promise.resolve({
        requestId: raw.requestId,
        trade,
        portfolio: samplePortfolio(),
        metrics: {
          totalUs: 812.6,
          validationUs: 3.2,
          priceLookupUs: 40,
          slippageUs: 5,
          mevUs: 0,
          portfolioUpdateUs: 20,
          journalUs: 700,
          cacheHit: true,
          priceFetchAttempts: 0,
          priceSource: 'sim',
        },
        warnings: ['price is 3 s old'],
      });
    },
    getPortfolio(portfolioId) {
      fake.calls.getPortfolio.push(portfolioId);
      if (fake.failWith !== undefined) return Promise.reject(fake.failWith);
      return Promise.resolve(samplePortfolio(portfolioId));
    },
    resetPortfolio(portfolioId, balances) {
      fake.calls.resetPortfolio.push({ portfolioId, balances });
      if (fake.failWith !== undefined) return Promise.reject(fake.failWith);
      return Promise.resolve(samplePortfolio(portfolioId));
    },
    listTrades(portfolioId, limit, pageToken): Promise<TradePage> {
      fake.calls.listTrades.push({ portfolioId, limit, pageToken });
      if (fake.failWith !== undefined) return Promise.reject(fake.failWith);
      return Promise.resolve({ trades: [sampleTrade(), sampleTrade({ tradeId: 'trade-0', action: 'SELL', status: 'FAILED_SLIPPAGE' })], nextPageToken: 'next' });
    },
    subscribe(portfolioId, onTrade) {
      fake.calls.subscribe.push(portfolioId);
      if (fake.failWith !== undefined) throw fake.failWith;
      let set = subscribers.get(portfolioId);
      if (!set) {
        set = new Set();
        subscribers.set(portfolioId, set);
      }
      set.add(onTrade);
      return () => set.delete(onTrade);
    },
    listPortfolios() {
      fake.calls.listPortfolios++;
      if (fake.failWith !== undefined) return Promise.reject(fake.failWith);
      return Promise.resolve([...fake.portfolios].sort().map((id) => samplePortfolio(id)));
    },
    getReport(portfolioId, query) {
      fake.calls.getReport.push({ portfolioId, query });
      if (fake.failWith !== undefined) return Promise.reject(fake.failWith);
      const id = portfolioId === '' ? 'default' : portfolioId;
      if (!fake.portfolios.includes(id)) {
        return Promise.reject(new ExecutorError('PORTFOLIO_NOT_FOUND', `portfolio_id: no portfolio ${JSON.stringify(id)}`, { field: 'portfolio_id' }));
      }
      try {
        return Promise.resolve(buildReport({ ...sampleReportInput(id), ...query }));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    subscribeMarks() {
      return () => undefined;
    },
    publish(trade) {
      for (const s of subscribers.get(trade.portfolioId) ?? []) s(trade);
    },
    subscriberCount: (portfolioId) => subscribers.get(portfolioId)?.size ?? 0,
  };
  return fake;
}
