import type { QuoteRequest, RouteQuote, UsdPrice } from '../domain/market.js';
import type { LedgerEvent, PortfolioState } from '../domain/ledger.js';
import type { Trade } from '../domain/trade.js';
import type { Ratio } from '../domain/ratio.js';
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

/**
 * A bound on how old a price may be: only a price fetched from its source at or after notBeforeMs
 * (ms since epoch, not in the future) is served; an older cache entry, or a call already in flight
 * since before it, is passed over and the price fetched again. Landing-time pricing sets it to the
 * landing instant.
 */
export interface PriceFreshness {
  readonly notBeforeMs?: number | undefined;
}

/** Price discovery as the executor sees it: cached USD prices and uncached route quotes. */
export interface PriceProvider {
  readonly sourceName: string;
  getUsdPrices(mints: readonly Mint[], freshness?: PriceFreshness): Promise<PriceLookup>;
  getQuote(request: QuoteRequest): Promise<QuoteLookup>;
}

/** Pipeline stages timed for metrics; the same names label the stage histogram. */
export type Stage = 'validation' | 'landing_wait' | 'price_lookup' | 'slippage' | 'mev' | 'portfolio_update' | 'journal' | 'total';

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

/**
 * A mark as the journal keeps it (docs/reports.md, Marks): the balances and prices it was taken with
 * and its exact value. It is not a ledger event: it changes no state and no state hash. The executor
 * turns it back into a report Mark with computeMark, which gives the same value from the same inputs.
 */
export interface MarkRecord {
  readonly portfolioId: string;
  /** The ledger sequence the mark was taken after. */
  readonly sequence: number;
  readonly atMs: number;
  /** Non-zero balances, base units, in registry order. */
  readonly holdings: readonly { readonly mint: Mint; readonly amount: bigint }[];
  /** Every price the mark was taken with, in registry order. */
  readonly prices: readonly { readonly mint: Mint; readonly usd: Ratio }[];
  /** Sum of the holdings' values (each floored to the nano-USD). */
  readonly valueUsd: Ratio;
}

/** Which marks of a portfolio (since its last reset) to read back. */
export interface MarkRange {
  /** The last mark at or before it opens the range (else the first mark); absent: the first mark. */
  readonly fromMs?: number | undefined;
  /** The last mark at or before it closes the range; absent: the last mark. */
  readonly toMs?: number | undefined;
  /**
   * At most this many marks are read (at least 4): a longer range is thinned by min-max buckets on
   * the marks' values, keeping its first and last mark and each bucket's lowest and highest.
   */
  readonly limit: number;
}

/** The marks of a portfolio: written with the ledger's records, read back by range. */
export interface MarkJournal {
  /** Enqueued in call order with the ledger's records; resolves once durable. */
  appendMark(mark: MarkRecord): Promise<void>;
  /** The range's marks in order, and how many marks the range holds before thinning. */
  readMarks(portfolioId: string, range: MarkRange): Promise<{ readonly marks: readonly MarkRecord[]; readonly inRange: number }>;
}

/**
 * Every existing portfolio's durable state, read when the journal writes a snapshot. The executor's
 * portfolio book is the source: it is the one owner of ledger state (DESIGN.md).
 */
export type SnapshotSource = () => Iterable<PortfolioState>;

/** The durable record of ledger events. A trade is acknowledged only after append resolves. */
export interface TradeJournal extends TradeHistory, MarkJournal {
  append(event: LedgerEvent): Promise<void>;
  /**
   * A journal that writes snapshots takes their states from `source` (the executor hands it its
   * book's durable states when it is built). A state is durable, for the source, from the first
   * reaction to its event's append: the journal reads the source after those reactions have run.
   */
  takeSnapshotsFrom?(source: SnapshotSource): void;
}

/** Write-behind trade recording (QuestDB). Must never throw into or slow the trade path. */
export interface TradeRecorder {
  record(trade: Trade): void;
  /** A mark, written behind like trades (the `portfolio_marks` table); optional for recorders without one. */
  recordMark?(mark: MarkRecord): void;
}

/** The structured logger the executor writes to; pino's Logger satisfies it. */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Log;
  /** Whether a level is logged (pino's); a line whose fields cost something to build is skipped without it. */
  isLevelEnabled?(level: LogLevel): boolean;
}

/** The levels the executor asks about before it builds a line. */
export type LogLevel = 'debug' | 'info';

/**
 * A ledger store several executors share (PostgreSQL): portfolio state lives in it, not in any
 * process, and every change is one transaction holding the portfolio's exclusive lock. The executor's
 * portfolio book still applies every event (domain/ledger.ts); the store keeps the events, the state
 * they give and the indexes, and answers reads from what is committed.
 */
export interface SharedLedgerStore extends TradeHistory, MarkJournal {
  /**
   * Runs `fn` in one transaction that holds the portfolio's exclusive lock (its row, locked; created
   * empty if it did not exist, so concurrent first trades serialize too) and commits what it wrote
   * when it returns; rejects, committing nothing, when it throws. Serialization failures and lost
   * connections are retried with backoff until `signal` aborts: `fn` may run more than once and must
   * have no effect but through `tx`. An outcome lost with the connection (COMMIT sent, no answer)
   * is found by the retry: the request id is then already booked (`tx.booked`).
   * Rejects ExecutorError JOURNAL_UNAVAILABLE when the database cannot be reached in time,
   * DEADLINE_EXCEEDED when `signal` aborts first.
   */
  transaction<T>(portfolioId: string, fn: (tx: LedgerTransaction) => Promise<T>, options?: LedgerTransactionOptions): Promise<T>;
  /** The committed state of a portfolio; undefined when it was never created. */
  readState(portfolioId: string): Promise<PortfolioState | undefined>;
  /** Every existing portfolio's committed state. */
  readStates(): Promise<PortfolioState[]>;
  /**
   * Calls `listener` for every trade booked by another executor, once committed, in sequence order
   * for each portfolio (LISTEN/NOTIFY); returns the unsubscribe. With `wants`, only trades of the
   * portfolios it accepts at the time they are booked are read and delivered.
   */
  onRemoteTrade(listener: (trade: Trade) => void, wants?: (portfolioId: string) => boolean): () => void;
}

export interface LedgerTransactionOptions {
  /** The request being booked: its trade, if one is already booked, is read with the lock (`tx.booked`). */
  readonly requestId?: string | undefined;
  /** Retries stop, and the transaction rejects DEADLINE_EXCEEDED, once it aborts. */
  readonly signal?: AbortSignal | undefined;
}

/** What a ledger transaction sees and writes (SharedLedgerStore.transaction). */
export interface LedgerTransaction {
  /** The portfolio's committed state, read under its lock; undefined when it does not exist yet. */
  readonly state: PortfolioState | undefined;
  /** The trade booked under options.requestId (case-insensitive) since the portfolio's last reset. */
  readonly booked: Trade | undefined;
  /** How many portfolios exist (for portfolios.max), counted in this transaction. */
  portfolioCount(): Promise<number>;
  /**
   * Appends the events (in order, each one sequence after the last) and sets the portfolio's state to
   * `state`, the result of applying them; written when the transaction commits. Call once.
   */
  write(events: readonly LedgerEvent[], state: PortfolioState): Promise<void>;
}
