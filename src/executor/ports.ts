import type { QuoteRequest, RouteQuote, UsdPrice } from '../domain/market.js';
import type { LedgerEvent } from '../domain/ledger.js';
import type { Trade } from '../domain/trade.js';
import type { Mint } from '../domain/tokens.js';

/**
 * What the executor needs from price discovery. Sources (the simulated market, Jupiter) implement
 * PriceSource; caches wrap a source and implement PriceProvider, adding hit and attempt counts.
 */
export interface PriceSource {
  /** Short name for results and logs: "sim", "jupiter". */
  readonly name: string;
  /**
   * USD prices for the mints. A mint the source cannot price is absent from the map (not an error);
   * a source that cannot answer at all throws ExecutorError PRICE_UNAVAILABLE.
   */
  getUsdPrices(mints: readonly Mint[]): Promise<ReadonlyMap<Mint, UsdPrice>>;
  /** A route quote; ExecutorError NO_ROUTE when there is none, PRICE_UNAVAILABLE when it cannot answer. */
  getQuote(request: QuoteRequest): Promise<RouteQuote>;
}

export interface PriceLookup {
  readonly prices: ReadonlyMap<Mint, UsdPrice>;
  /** True when every price came from a cache. */
  readonly cacheHit: boolean;
  /** Upstream attempts made for this lookup (0 on a full cache hit). */
  readonly attempts: number;
}

export interface QuoteLookup {
  readonly quote: RouteQuote;
  readonly attempts: number;
}

/** Price discovery as the executor sees it: cached USD prices and uncached route quotes. */
export interface PriceProvider {
  readonly sourceName: string;
  getUsdPrices(mints: readonly Mint[]): Promise<PriceLookup>;
  getQuote(request: QuoteRequest): Promise<QuoteLookup>;
}

/** Pipeline stages timed for metrics; the same names label the stage histogram. */
export type Stage = 'validation' | 'price_lookup' | 'slippage' | 'mev' | 'portfolio_update' | 'journal' | 'total';

/** What the executor reports to metrics. prom-client implements it in observability/; tests may record. */
export interface ExecutorMetricsSink {
  observeStage(stage: Stage, seconds: number): void;
  countTrade(action: string, status: string): void;
  countError(code: string): void;
  countPriceLookup(hit: boolean): void;
  /** A side path (MEV, recorder, cache) failed without failing the trade. */
  countSideFailure(component: string): void;
}

/**
 * Durable trades of each portfolio since its last reset, as the journal keeps them: the idempotency
 * index and the ListTrades history. A trade is in it before its append resolves.
 */
export interface TradeHistory {
  /**
   * The trade booked for the request id (a UUID, compared case-insensitively), or undefined when
   * there is none; whether there is one is known at once, the trade itself may be read from disk.
   */
  findTrade(portfolioId: string, requestId: string): Promise<Trade> | undefined;
  /** Up to `limit` trades with a sequence below `before`, newest first, and whether older ones remain. */
  listTrades(portfolioId: string, before: number, limit: number): Promise<{ readonly trades: readonly Trade[]; readonly more: boolean }>;
}

/** The durable record of ledger events. A trade is acknowledged only after append resolves. */
export interface TradeJournal extends TradeHistory {
  append(event: LedgerEvent): Promise<void>;
}

/** Write-behind trade recording (QuestDB). Must never throw into or slow the trade path. */
export interface TradeRecorder {
  record(trade: Trade): void;
}

/** The structured logger the executor writes to; pino's Logger satisfies it. */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Log;
}
