import type { Amount } from '../domain/amount.js';
import type { RawTradeRequest } from '../domain/request.js';
import type { Token } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import type { Mark } from '../report/marks.js';
import type { PortfolioReport } from '../report/report.js';

/** Per-stage timings of one ExecuteTrade, in microseconds (see DESIGN.md, data flow). */
export interface ExecutionMetrics {
  readonly totalUs: number;
  readonly validationUs: number;
  readonly priceLookupUs: number;
  readonly slippageUs: number;
  readonly mevUs: number;
  readonly portfolioUpdateUs: number;
  readonly journalUs: number;
  readonly cacheHit: boolean;
  readonly priceFetchAttempts: number;
  readonly priceSource: string;
  /** Time spent waiting for the landing instant (landing-time pricing); absent or 0 otherwise. */
  readonly landingWaitUs?: number;
}

export interface BalanceView {
  readonly token: Token;
  readonly amount: Amount;
  /** Decimal strings in USD. */
  readonly usdValue: string;
  readonly avgCostUsd: string;
}

export interface PortfolioSummary {
  readonly portfolioId: string;
  readonly balances: readonly BalanceView[];
  readonly totalValueUsd: string;
  readonly realizedPnlUsd: string;
  readonly unrealizedPnlUsd: string;
  readonly tradeCount: number;
  readonly feesPaidLamports: bigint;
  readonly updatedAtMs: number;
  /** Source of the prices the USD values were computed with. */
  readonly priceSource: string;
  /**
   * Canonical SHA-256 of the portfolio's ledger state (state-hash.ts): equal to what `pte replay`
   * computes from the journal. Absent from executors that do not compute it (test fakes).
   */
  readonly stateHash?: string;
}

export interface TradeResult {
  readonly requestId: string;
  readonly trade: Trade;
  readonly portfolio: PortfolioSummary;
  readonly metrics: ExecutionMetrics;
  readonly warnings: readonly string[];
}

export interface TradePage {
  readonly trades: readonly Trade[];
  /** "" when there are no more. */
  readonly nextPageToken: string;
}

/** GetReport's range and grouping; every field optional (report/report.ts resolves the defaults). */
export interface ReportQuery {
  /** ms since epoch; absent: the portfolio's first mark. */
  readonly fromMs?: number | undefined;
  /** ms since epoch, inclusive; absent: now. */
  readonly toMs?: number | undefined;
  /** Metadata key of the per-tag results; absent or "" = "strategy". */
  readonly groupBy?: string | undefined;
  /** Bound on the equity curve's points; absent or 0 = 2,000. */
  readonly maxPoints?: number | undefined;
}

export interface ExecuteOptions {
  /**
   * Aborted when the client's deadline passes or it cancels: work not yet booked is abandoned. Used
   * only until the trade's promise settles, and every listener added to it is removed by then: the
   * transport hands a signal that never aborted to a later call (server/call-signal.ts).
   */
  readonly signal?: AbortSignal;
}

/**
 * The executor as the transport sees it. Every method throws ExecutorError (see domain/errors.ts)
 * for anything a client must be told; the transport maps its code to a gRPC status.
 */
export interface Executor {
  executeTrade(raw: RawTradeRequest, options?: ExecuteOptions): Promise<TradeResult>;
  /**
   * The portfolio as it stands. An id not seen yet answers its configured starting state without
   * creating it (no trades, updatedAtMs 0, no stateHash): reads never write.
   */
  getPortfolio(portfolioId: string): Promise<PortfolioSummary>;
  /** balances: symbol or mint -> decimal amount; empty = the configured starting balances. */
  resetPortfolio(portfolioId: string, balances: Readonly<Record<string, string>>): Promise<PortfolioSummary>;
  /** Newest first. limit 0 = the default page size (50), capped at 1,000. */
  listTrades(portfolioId: string, limit: number, pageToken: string): Promise<TradePage>;
  /** Calls onTrade for every trade booked on the portfolio from now on; returns the unsubscribe. */
  subscribe(portfolioId: string, onTrade: (trade: Trade) => void): () => void;
  /** Every portfolio that exists (created by a trade or reset), with its summary, sorted by id. Reads never write. */
  listPortfolios(): Promise<readonly PortfolioSummary[]>;
  /**
   * How the portfolio did over the range: a pure report (report/report.ts) of its trades and marks.
   * NOT_FOUND for a portfolio that does not exist; INVALID_ARGUMENT naming `from`/`to`/`group_by` for a bad query.
   */
  getReport(portfolioId: string, query: ReportQuery): Promise<PortfolioReport>;
  /** Calls onMark for every mark taken of the portfolio from now on (after each booked trade or reset, and periodically); returns the unsubscribe. */
  subscribeMarks(portfolioId: string, onMark: (mark: Mark) => void): () => void;
}
