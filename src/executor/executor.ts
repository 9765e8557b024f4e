import { ExecutorError, invalidArgument } from '../domain/errors.js';
import type { LedgerEvent, PortfolioState } from '../domain/ledger.js';
import type { UsdPrice } from '../domain/market.js';
import type { RawTradeRequest, TradeRequest } from '../domain/request.js';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { requestFingerprint, validatePortfolioId, validateTradeRequest } from '../domain/validation.js';
import type { Mark, PortfolioReport } from '../report/index.js';
import { executeTrade, type TradeRunContext } from './execute-trade.js';
import { createIdempotency, samePayload } from './idempotency.js';
import { createLocalLedger, createSharedLedger, type Ledger } from './ledger.js';
import { createMarkTaker } from './mark-taker.js';
import type { PipelineOptions } from './pipeline.js';
import type { ExecutorMetricsSink, Log, MarkJournal, PriceProvider, SharedLedgerStore, TradeHistory, TradeJournal, TradeRecorder } from './ports.js';
import { listPortfolios, portfolioReport, type ReportContext } from './reports.js';
import { createTradeFeed } from './trade-feed.js';
import type { ExecuteOptions, ExecutionMetrics, Executor, PortfolioSummary, ReportQuery, TradePage, TradeResult } from './types.js';
import { createValuation, heldMints } from './valuation.js';

/**
 * The executor: composes the portfolio book (portfolio-book.ts, the one owner of ledger state),
 * idempotency (idempotency.ts), the trade and mark feeds (trade-feed.ts), marks (mark-taker.ts),
 * the orchestration of one trade (execute-trade.ts) and reports (reports.ts).
 */

export type { DriftEvaluator, MevEvaluator } from './pipeline.js';
export { MAX_REPORT_MARKS, MAX_REPORT_TRADES } from './reports.js';

/**
 * Where the ledger is kept: the embedded journal this process owns (with the portfolios it recovered),
 * or a store several executors share (PostgreSQL), which keeps state, history and marks itself.
 */
export type LedgerChoice =
  | {
      readonly journal: TradeJournal;
      /**
       * Portfolios recovered from a journal's snapshot and tail at start-up (store/image.ts): the book owns
       * their states from then on. Their trades (history and idempotency index) stay with the journal.
       */
      readonly restored?: ReadonlyMap<string, RestoredPortfolio>;
      readonly shared?: undefined;
    }
  | { readonly shared: SharedLedgerStore; readonly journal?: undefined; readonly restored?: undefined };

export type ExecutorOptions = ExecutorParts & LedgerChoice;

export interface ExecutorParts {
  readonly tokens: TokenRegistry;
  readonly prices: PriceProvider;
  /** Steps 4-8: models, fees, MEV, drift (see pipeline.ts). */
  readonly pipeline: PipelineOptions;
  /** Starting balances of a portfolio: symbol or mint -> decimal amount. */
  readonly startingBalances: (portfolioId: string) => Readonly<Record<string, string>>;
  /** The configured seed; each trade's seed is derived from it and the request_id. */
  readonly seed: bigint;
  readonly log: Log;
  /**
   * Where the two INFO lines of every trade ("trade received", "trade completed") go; default `log`.
   * Their fields are fixed in code (ids, symbols, amounts, figures) and never hold config or headers,
   * so the service passes a logger that skips the redaction walk (logger.ts, fixedFieldsLogger).
   */
  readonly tradeLog?: Log | undefined;
  readonly recorder?: TradeRecorder | undefined;
  readonly metrics?: ExecutorMetricsSink | undefined;
  /** A trade slower than this end to end gets a warning. Default 50 ms. */
  readonly slowExecutionMs?: number;
  /** Wall clock, ms since epoch. */
  readonly now?: () => number;
  /**
   * Completed results kept whole, so a retry soon after gets exactly the original answer. An older
   * duplicate gets the original trade from the journal with the portfolio as it is now. Default 1,024.
   */
  readonly resultCache?: number;
  /**
   * Portfolios held at most: a trade or reset that would create one more is refused (PORTFOLIO_LIMIT)
   * before anything is written. Restored portfolios count but are never dropped. Default: no limit.
   */
  readonly maxPortfolios?: number;
}

/** The real executor: the Executor contract plus what the composition root drives. */
export interface MarkingExecutor extends Executor {
  /** Marks every portfolio that holds anything, with one batched price lookup; returns the marks taken. */
  markAll(): Promise<number>;
  /** Every existing portfolio's durable state. */
  states(): Promise<PortfolioState[]>;
}

/** A portfolio as recovered from the journal. */
export interface RestoredPortfolio {
  readonly state: PortfolioState;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1_000;

const elapsedUs = (from: bigint, to: bigint): number => Number((to - from) / 1000n);

export function createExecutor(options: ExecutorOptions): MarkingExecutor {
  const { tokens, prices, log, metrics } = options;
  const tradeLog = options.tradeLog ?? log;
  const now = options.now ?? Date.now;
  const sol = tokens.sol;
  const maxPortfolios = options.maxPortfolios;
  // The journal (or the shared store) keeps history and marks; the ledger keeps state.
  const journal: TradeHistory & MarkJournal = options.shared ?? options.journal;
  const ledger: Ledger = options.shared
    ? createSharedLedger({ store: options.shared, sol, maxPortfolios })
    : createLocalLedger({ journal: options.journal, sol, maxPortfolios, restored: options.restored && [...options.restored].map(([id, p]) => [id, p.state] as const) });
  const valuation = createValuation(tokens, prices);
  const feed = createTradeFeed();
  const marks = createMarkTaker({ tokens, journal, feed: feed.marks, log, recorder: options.recorder, metrics });
  // Trades other executors book reach this one's streams (only the portfolios someone here follows are read).
  options.shared?.onRemoteTrade(
    (trade) => feed.trades.publish(trade.portfolioId, trade, log),
    (portfolioId) => feed.trades.followed(portfolioId),
  );

  /**
   * The answer to a duplicate whose original result is no longer kept (booked before this process
   * started, or longer ago than the result cache reaches). The trade is the original, exactly as
   * journaled; the portfolio is valued now (the original valuation's prices were not all recorded);
   * execution metrics are zero, since nothing was executed this time.
   */
  async function recoveredResult(trade: Trade): Promise<TradeResult> {
    const state = await ledger.state(trade.portfolioId);
    if (!state) throw new ExecutorError('INTERNAL', `portfolio ${trade.portfolioId} of a recovered trade is missing`);
    const { summary: portfolio } = await valuation.value(state);
    const none: ExecutionMetrics = {
      totalUs: 0,
      validationUs: 0,
      priceLookupUs: 0,
      slippageUs: 0,
      mevUs: 0,
      portfolioUpdateUs: 0,
      journalUs: 0,
      cacheHit: false,
      priceFetchAttempts: 0,
      priceSource: trade.priceSource,
    };
    const warnings = [...trade.warnings, 'duplicate request_id: this is the original trade as journaled; portfolio_state is current'];
    return { requestId: trade.requestId, trade, portfolio, metrics: none, warnings };
  }

  const idempotency = createIdempotency({ history: journal, recovered: recoveredResult, resultCache: options.resultCache });

  /** The event that creates a portfolio with its configured starting balances, valued at current prices. */
  async function creationEvent(portfolioId: string): Promise<LedgerEvent> {
    const balances = await valuation.startingBalances(options.startingBalances(portfolioId), 'starting_balances');
    return { kind: 'portfolio_created', portfolioId, atMs: now(), balances };
  }

  const run: TradeRunContext = {
    tokens,
    prices,
    pipeline: options.pipeline,
    seed: options.seed,
    ledger,
    valuation,
    marks,
    trades: feed.trades,
    creationEvent,
    async duplicate(request, fingerprint, booked) {
      if (!samePayload(booked.inputs.fingerprint, fingerprint, request)) {
        throw new ExecutorError('DUPLICATE_REQUEST', `request_id ${request.requestId} was already used with a different payload`, { field: 'request_id' });
      }
      return recoveredResult(booked);
    },
    log,
    tradeLog,
    now,
    slowExecutionMs: options.slowExecutionMs ?? 50,
    recorder: options.recorder,
    metrics,
  };
  const reports: ReportContext = { tokens, ledger, journal, valuation, now };

  return {
    async executeTrade(raw: RawTradeRequest, opts?: ExecuteOptions): Promise<TradeResult> {
      const t0 = process.hrtime.bigint();
      let request: TradeRequest;
      try {
        request = validateTradeRequest(raw, tokens);
      } catch (err) {
        const e = ExecutorError.from(err);
        log.info({ request_id: raw.requestId.slice(0, 64), code: e.code, err: e.message }, 'trade rejected');
        throw e;
      }
      const validationUs = elapsedUs(t0, process.hrtime.bigint());
      if (tradeLog.isLevelEnabled?.('info') !== false) {
        tradeLog.info({ request_id: request.requestId, portfolio_id: request.portfolioId, action: request.action, base: request.base.symbol, quote: request.quote.symbol, amount: raw.amount }, 'trade received');
      }

      // Idempotency: the same request_id returns the original result; a changed payload is refused.
      const fingerprint = requestFingerprint(request);
      const original = idempotency.lookup(request, fingerprint);
      if (original) return original;
      const result = executeTrade(run, request, fingerprint, t0, validationUs, opts?.signal);
      idempotency.track(request, fingerprint, result); // a failure forgets the id, so it may be retried
      try {
        return await result;
      } catch (err) {
        const e = ExecutorError.from(err);
        const level = e.code === 'INTERNAL' ? 'error' : 'info';
        log[level]({ request_id: request.requestId, code: e.code, err: e.message }, 'trade not executed');
        throw e;
      }
    },

    async getPortfolio(portfolioId: string): Promise<PortfolioSummary> {
      const id = validatePortfolioId(portfolioId);
      // A read never writes (DESIGN.md, Portfolios): an id not seen yet answers its starting state.
      const state = await ledger.state(id);
      return state ? (await valuation.value(state)).summary : valuation.notYetCreated(id, options.startingBalances(id));
    },

    async resetPortfolio(portfolioId: string, balances: Readonly<Record<string, string>>): Promise<PortfolioSummary> {
      const id = validatePortfolioId(portfolioId);
      const wanted = Object.keys(balances).length > 0 ? balances : options.startingBalances(id);
      const field = Object.keys(balances).length > 0 ? 'balances' : 'starting_balances';
      const { value: event, states } = await ledger.change(id, async () => {
        const start = await valuation.startingBalances(wanted, field);
        const reset = { kind: 'portfolio_reset', portfolioId: id, atMs: now(), balances: start } as const;
        return { events: [reset], value: reset };
      });
      const [state] = states;
      if (!state) throw new ExecutorError('INTERNAL', `the reset of portfolio ${id} was booked without a state`);
      marks.start(state, event, valuation.startPrices(event.balances));
      idempotency.forgetPortfolio(id);
      log.info({ portfolio_id: id }, 'portfolio reset');
      return (await valuation.value(state)).summary;
    },

    async listTrades(portfolioId: string, limit: number, pageToken: string): Promise<TradePage> {
      const id = validatePortfolioId(portfolioId);
      const size = limit === 0 ? DEFAULT_PAGE : Math.min(limit, MAX_PAGE);
      // The token is the sequence to continue below (newest first); stable while trades are appended.
      let before = Number.MAX_SAFE_INTEGER;
      if (pageToken !== '') {
        if (!/^\d{1,15}$/.test(pageToken)) throw invalidArgument('page_token', 'not a token this server issued');
        before = Number(pageToken);
      }
      const { trades, more } = await journal.listTrades(id, before, size);
      const last = trades.at(-1);
      return { trades, nextPageToken: more && last ? String(last.sequence) : '' };
    },

    subscribe(portfolioId: string, onTrade: (trade: Trade) => void): () => void {
      return feed.trades.subscribe(validatePortfolioId(portfolioId), onTrade);
    },

    listPortfolios(): Promise<readonly PortfolioSummary[]> {
      return listPortfolios(reports);
    },

    getReport(portfolioId: string, query: ReportQuery): Promise<PortfolioReport> {
      return portfolioReport(reports, validatePortfolioId(portfolioId), query);
    },

    subscribeMarks(portfolioId: string, onMark: (mark: Mark) => void): () => void {
      return feed.marks.subscribe(validatePortfolioId(portfolioId), onMark);
    },

    states: () => ledger.states(),

    async markAll(): Promise<number> {
      const states = (await ledger.states()).filter((s) => heldMints(s).length > 0);
      if (states.length === 0) return 0;
      const lookup = await prices.getUsdPrices([...new Set(states.flatMap(heldMints))]);
      const atMs = now();
      let taken = 0;
      for (const state of states) {
        const held = heldMints(state);
        const own = new Map<Mint, UsdPrice>();
        for (const m of held) {
          const p = lookup.prices.get(m);
          if (p) own.set(m, p);
        }
        // A token without a price would read as a drop to zero: such a portfolio waits for the next round.
        if (own.size < held.length) continue;
        if (marks.take(state, own, atMs)) taken++;
      }
      return taken;
    },
  };
}
