import { parseBalance } from '../domain/amount.js';
import { ExecutorError, invalidArgument } from '../domain/errors.js';
import { applyEvent, type LedgerEvent, type PortfolioState, type StartingBalance } from '../domain/ledger.js';
import type { QuoteRequest, UsdPrice } from '../domain/market.js';
import { nanoUsd, sides } from '../domain/pricing.js';
import { ratioToString } from '../domain/ratio.js';
import type { RawTradeRequest, TradeRequest } from '../domain/request.js';
import { deriveSeed } from '../domain/rng.js';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import type { Trade, TradeLanding } from '../domain/trade.js';
import { requestFingerprint, validatePortfolioId, validateTradeRequest } from '../domain/validation.js';
import { createKeyedMutex } from './keyed-mutex.js';
import { drawLandingDelay, effectivePricing, waitForLanding } from './landing-stage.js';
import { buildTrade, draftTrade, type MarketSnapshot, type PipelineOptions } from './pipeline.js';
import type { ExecutorMetricsSink, Log, PriceFreshness, PriceProvider, Stage, TradeJournal, TradeRecorder } from './ports.js';
import { portfolioStateHash } from './state-hash.js';
import { summarize } from './summary.js';
import type { ExecuteOptions, ExecutionMetrics, Executor, PortfolioSummary, ReportQuery, TradePage, TradeResult } from './types.js';
import { buildReport, computeMark, MAX_CURVE_POINTS, type Mark, type PortfolioReport } from '../report/index.js';
import { markOfRecord, markRecordOf } from './marks.js';

export type { DriftEvaluator, MevEvaluator } from './pipeline.js';

export interface ExecutorOptions {
  readonly tokens: TokenRegistry;
  readonly prices: PriceProvider;
  /** Steps 4-8: models, fees, MEV, drift (see pipeline.ts). */
  readonly pipeline: PipelineOptions;
  /** Starting balances of a portfolio: symbol or mint -> decimal amount. */
  readonly startingBalances: (portfolioId: string) => Readonly<Record<string, string>>;
  /** The configured seed; each trade's seed is derived from it and the request_id. */
  readonly seed: bigint;
  readonly journal: TradeJournal;
  readonly log: Log;
  readonly recorder?: TradeRecorder | undefined;
  readonly metrics?: ExecutorMetricsSink | undefined;
  /** A trade slower than this end to end gets a warning. Default 50 ms. */
  readonly slowExecutionMs?: number;
  /** Wall clock, ms since epoch. */
  readonly now?: () => number;
  /**
   * Portfolios restored from a journal's snapshot and tail at start-up (store/image.ts). Their trades
   * (history and idempotency index) stay with the journal.
   */
  readonly restored?: ReadonlyMap<string, RestoredPortfolio>;
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
}

/** Marks a report reads at most (the range is thinned by min-max buckets beyond it). */
export const MAX_REPORT_MARKS = 20_000;
/** Trades a report reads at most; a longer range is REPORT_UNAVAILABLE (narrow it). */
export const MAX_REPORT_TRADES = 50_000;

/** A portfolio as recovered from the journal. */
export interface RestoredPortfolio {
  readonly state: PortfolioState;
}

/** A request id already seen: its original payload's fingerprint and its result. */
interface Known {
  /** A promise while the original trade is read back from the journal. */
  readonly fingerprint: string | Promise<string>;
  readonly result: Promise<TradeResult>;
  settled: boolean;
}

interface PortfolioEntry {
  /** Durable state: what reads and results show. */
  state: PortfolioState;
  /**
   * State including events handed to the journal but not yet durable: what the next trade is built
   * on, so trades of one portfolio can share a group commit instead of waiting for each fsync in turn.
   */
  pending: PortfolioState;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1_000;
const DEFAULT_RESULT_CACHE = 1_024;

/** Idempotency key: request ids are UUIDs, compared case-insensitively, per portfolio. */
const knownKey = (portfolioId: string, requestId: string): string => `${portfolioId}\n${requestId.toLowerCase()}`;

const elapsedUs = (from: bigint, to: bigint): number => Number((to - from) / 1000n);

/**
 * Whether a stored fingerprint is the request's payload. Metadata `{}` is now the same payload as no
 * metadata, but a trade booked before that stored a fingerprint with `{}` in it: a request without
 * metadata also matches that earlier form.
 */
function samePayload(stored: string, fingerprint: string, request: TradeRequest): boolean {
  if (stored === fingerprint) return true;
  return request.metadata === undefined && stored === requestFingerprint({ ...request, metadata: {} });
}

export function createExecutor(options: ExecutorOptions): MarkingExecutor {
  const { tokens, prices, journal, log, metrics } = options;
  const now = options.now ?? Date.now;
  const slowExecutionMs = options.slowExecutionMs ?? 50;
  const pipeline = options.pipeline;
  const portfolios = new Map<string, PortfolioEntry>();
  const mutex = createKeyedMutex();
  const resultCache = options.resultCache ?? DEFAULT_RESULT_CACHE;
  /**
   * Request ids in flight and the most recent completed ones, oldest first. Every other request id
   * booked since its portfolio's last reset is found through the journal (journal.findTrade).
   */
  const known = new Map<string, Known>();
  /** StreamTrades listeners per portfolio; kept apart so one may subscribe before the portfolio exists. */
  const subscribers = new Map<string, Set<(t: Trade) => void>>();
  /** Mark listeners per portfolio, like `subscribers`. */
  const markSubscribers = new Map<string, Set<(m: Mark) => void>>();
  /** The last mark taken of each portfolio (sequence, time): marks of one portfolio never go back. */
  const lastMarks = new Map<string, { sequence: number; atMs: number }>();
  /** The prices starting balances were valued at, by the balances array: the creation or reset mark uses them. */
  const startPrices = new WeakMap<readonly StartingBalance[], ReadonlyMap<Mint, UsdPrice>>();
  const sol = tokens.sol;
  const maxPortfolios = options.maxPortfolios ?? Infinity;
  /** Portfolios being created (their first event handed to the journal, not yet durable): they count toward the cap. */
  const creating = new Set<string>();

  for (const [id, p] of options.restored ?? []) portfolios.set(id, { state: p.state, pending: p.state });

  /** Keeps `k` until it fails (the id may then be retried) or is among the oldest completed beyond the cache. */
  function track(key: string, k: Known): void {
    known.set(key, k);
    k.result.then(
      () => {
        k.settled = true;
        if (known.size <= resultCache) return;
        for (const [old, v] of known) {
          if (known.size <= resultCache) break;
          if (v.settled) known.delete(old);
        }
      },
      () => {
        if (known.get(key) === k) known.delete(key);
      },
    );
  }

  const observe = (stage: Stage, us: number): void => metrics?.observeStage(stage, us / 1e6);

  async function usdPrices(mints: readonly Mint[], freshness?: PriceFreshness): Promise<{ map: ReadonlyMap<Mint, UsdPrice>; cacheHit: boolean; attempts: number }> {
    const lookup = await (freshness === undefined ? prices.getUsdPrices(mints) : prices.getUsdPrices(mints, freshness));
    for (const m of mints) {
      if (!lookup.prices.has(m)) {
        const t = tokens.find(m);
        throw new ExecutorError('PRICE_UNAVAILABLE', `no price for ${t?.symbol ?? m} from ${prices.sourceName}`, { mint: m });
      }
    }
    return { map: lookup.prices, cacheHit: lookup.cacheHit, attempts: lookup.attempts };
  }

  /** Resolves symbol-or-mint balances into starting balances valued at current prices. */
  async function startingBalances(balances: Readonly<Record<string, string>>, field: string): Promise<StartingBalance[]> {
    const parsed = new Map<Mint, bigint>();
    for (const [key, text] of Object.entries(balances)) {
      const token = tokens.resolve(key, `${field}[${key}]`);
      if (parsed.has(token.mint)) throw invalidArgument(`${field}[${key}]`, `${token.symbol} is given twice`);
      parsed.set(token.mint, parseBalance(text, token.decimals, `${field}[${key}]`));
    }
    const held = [...parsed.keys()];
    const { map } = held.length > 0 ? await usdPrices(held) : { map: new Map<Mint, UsdPrice>() };
    const out = held.map((mint) => {
      const token = tokens.find(mint);
      const price = map.get(mint);
      const units = parsed.get(mint) ?? 0n;
      return { mint, amount: units, costNanoUsd: token && price ? nanoUsd(units, token.decimals, price.usd) : 0n };
    });
    startPrices.set(out, map);
    return out;
  }

  /**
   * Takes a mark of `state` at `prices` (computeMark: the valuation GetPortfolio uses) and hands it to
   * the journal (written with the next group commit; nobody waits for it), the mark subscribers and
   * the recorder. A state older than the portfolio's last mark is not marked: marks never go back.
   */
  function takeMark(state: PortfolioState, priced: ReadonlyMap<Mint, UsdPrice>, atMs: number): Mark | undefined {
    const last = lastMarks.get(state.portfolioId);
    if (last && state.sequence < last.sequence) return undefined;
    const mark = computeMark(state, tokens, priced, Math.max(atMs, last?.atMs ?? atMs));
    lastMarks.set(state.portfolioId, { sequence: mark.sequence, atMs: mark.atMs });
    const record = markRecordOf(mark);
    const failed = (err: unknown): void => {
      metrics?.countSideFailure('marks');
      log.warn({ portfolio_id: state.portfolioId, err: err instanceof Error ? err.message : String(err) }, 'mark not journaled');
    };
    try {
      journal.appendMark(record).catch(failed);
    } catch (err) {
      failed(err);
    }
    for (const s of markSubscribers.get(state.portfolioId) ?? []) {
      try {
        s(mark);
      } catch (err) {
        log.error({ err }, 'mark subscriber failed');
      }
    }
    try {
      options.recorder?.recordMark?.(record);
    } catch (err) {
      metrics?.countSideFailure('recorder');
      log.error({ err }, 'mark recorder failed');
    }
    return mark;
  }

  /** The creation or reset mark: the new state at the prices its starting balances were valued at. */
  function startMark(state: PortfolioState, event: LedgerEvent): void {
    if (event.kind === 'trade') return;
    takeMark(state, startPrices.get(event.balances) ?? new Map<Mint, UsdPrice>(), event.atMs);
  }

  const heldMints = (state: PortfolioState): Mint[] => [...state.positions.entries()].filter(([, p]) => p.amount > 0n).map(([m]) => m);

  /**
   * Books an event: checks it against the pending state (all-or-nothing), hands it to the journal
   * (call order is journal order) and makes it visible only once the journal says it is durable.
   * Returns as soon as the event is handed over, so the caller can release the portfolio's lock
   * before the fsync and concurrent trades share one group commit; the caller must await `durable`
   * before answering. Call inside the portfolio's lock.
   */
  function book(entry: PortfolioEntry | undefined, event: LedgerEvent): { entry: PortfolioEntry; durable: Promise<void> } {
    const next = applyEvent(entry?.pending, event, sol);
    const target: PortfolioEntry = entry ?? { state: next, pending: next };
    let appended: Promise<void>;
    try {
      appended = journal.append(event);
    } catch (cause) {
      appended = Promise.reject(cause instanceof Error ? cause : new Error(String(cause)));
    }
    target.pending = next;
    const durable = appended.then(
      () => {
        // The journal resolves in sequence order, so these run in booking order.
        if (next.sequence >= target.state.sequence) target.state = next;
        if (!portfolios.has(event.portfolioId)) portfolios.set(event.portfolioId, target);
      },
      (cause: unknown) => {
        target.pending = target.state;
        throw new ExecutorError('JOURNAL_UNAVAILABLE', 'the journal cannot be written; the trade was not booked', {}, { cause });
      },
    );
    durable.catch(() => undefined); // handled by the caller; this keeps an early failure from counting as unhandled
    return { entry: target, durable };
  }

  /** The event that creates a portfolio with its configured starting balances, valued at current prices. */
  async function creationEvent(portfolioId: string): Promise<LedgerEvent> {
    const balances = await startingBalances(options.startingBalances(portfolioId), 'starting_balances');
    return { kind: 'portfolio_created', portfolioId, atMs: now(), balances };
  }

  /**
   * Counts a portfolio about to be created toward portfolios.max, or refuses it. Call inside the
   * portfolio's lock, for an id not in `portfolios`; the slot is given back by `booked` (kept once
   * the creation is durable, when the portfolio is in `portfolios`) or by `abandon`.
   */
  function reserveCreation(portfolioId: string): { booked: (durable: Promise<void>) => void; abandon: () => void } {
    const held = portfolios.size + creating.size;
    if (held >= maxPortfolios) {
      throw new ExecutorError(
        'PORTFOLIO_LIMIT',
        `portfolio_id: this server holds ${held} portfolios, the most allowed (portfolios.max); trade in or reset an existing portfolio`,
        { field: 'portfolio_id' },
      );
    }
    creating.add(portfolioId);
    const abandon = (): void => {
      creating.delete(portfolioId);
    };
    return { booked: (durable) => void durable.then(abandon, abandon), abandon };
  }

  /** The portfolio's summary and the prices it was valued at (a mark taken with them has its total value). */
  async function valuation(state: PortfolioState): Promise<{ summary: PortfolioSummary; prices: ReadonlyMap<Mint, UsdPrice> }> {
    const held = heldMints(state);
    const { map } = held.length > 0 ? await usdPrices(held) : { map: new Map<Mint, UsdPrice>() };
    return { summary: { ...summarize(state, tokens, map, prices.sourceName), stateHash: portfolioStateHash(state) }, prices: map };
  }

  async function valuate(state: PortfolioState): Promise<PortfolioSummary> {
    return (await valuation(state)).summary;
  }

  /**
   * What a portfolio that does not exist yet would start with, valued now, without creating it: its
   * configured starting balances, no trades, no update time and no state hash (nothing is journaled).
   */
  async function notYetCreated(portfolioId: string): Promise<PortfolioSummary> {
    const balances = await startingBalances(options.startingBalances(portfolioId), 'starting_balances');
    const state = applyEvent(undefined, { kind: 'portfolio_created', portfolioId, atMs: 0, balances }, sol);
    const held = balances.filter((b) => b.amount > 0n).map((b) => b.mint);
    const { map } = held.length > 0 ? await usdPrices(held) : { map: new Map<Mint, UsdPrice>() };
    return summarize(state, tokens, map, prices.sourceName);
  }

  /**
   * The answer to a duplicate whose original result is no longer kept (booked before this process
   * started, or longer ago than the result cache reaches). The trade is the original, exactly as
   * journaled; the portfolio is valued now (the original valuation's prices were not all recorded);
   * execution metrics are zero, since nothing was executed this time.
   */
  async function recoveredResult(trade: Trade): Promise<TradeResult> {
    const entry = portfolios.get(trade.portfolioId);
    if (!entry) throw new ExecutorError('INTERNAL', `portfolio ${trade.portfolioId} of a recovered trade is missing`);
    const portfolio = await valuate(entry.state);
    const metrics: ExecutionMetrics = {
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
    return { requestId: trade.requestId, trade, portfolio, metrics, warnings };
  }

  /** Step 3: market data for the request; steps 4-7 then run on it in the pure pipeline. */
  async function priceRequest(request: TradeRequest, freshness?: PriceFreshness): Promise<{ market: MarketSnapshot; cacheHit: boolean; attempts: number }> {
    const { input, output } = sides(request);
    const quoteRequest: QuoteRequest | undefined =
      request.action === 'SWAP'
        ? {
            inputMint: input.mint,
            outputMint: output.mint,
            amount: request.amount,
            swapMode: 'ExactIn',
            slippageBps: request.slippageToleranceBps ?? pipeline.defaultToleranceBps,
          }
        : undefined;
    const [usd, quoteLookup] = await Promise.all([
      usdPrices([request.base.mint, request.quote.mint], freshness),
      quoteRequest ? prices.getQuote(quoteRequest) : Promise.resolve(undefined),
    ]);
    const base = usd.map.get(request.base.mint);
    const quote = usd.map.get(request.quote.mint);
    if (!base || !quote) throw new ExecutorError('PRICE_UNAVAILABLE', 'price lookup returned no price');
    log.debug({ request_id: request.requestId, base_usd: ratioToString(base.usd), quote_usd: ratioToString(quote.usd), source: base.source, cache_hit: usd.cacheHit }, 'priced');
    return {
      market: { base, quote, route: quoteLookup?.quote },
      cacheHit: usd.cacheHit,
      attempts: usd.attempts + (quoteLookup?.attempts ?? 0),
    };
  }

  async function execute(asked: TradeRequest, fingerprint: string, t0: bigint, validationUs: number, signal: AbortSignal | undefined): Promise<TradeResult> {
    const timings: Partial<Record<Stage, number>> = { validation: validationUs };
    const rlog = log.child({ request_id: asked.requestId });
    const seed = deriveSeed(options.seed, asked.requestId);
    // Execution timing (landing-stage.ts): the request's execution_pricing, else the server's.
    const request: TradeRequest = { ...asked, executionPricing: effectivePricing(asked.executionPricing, pipeline.landingTime) };
    let landing: TradeLanding | undefined;
    if (request.executionPricing === 'LANDING') {
      const timing = pipeline.landingTime;
      if (timing === undefined) throw new ExecutorError('INTERNAL', 'landing-time pricing is not configured on this executor');
      // Wait out the seeded landing delay outside any lock, then price on a market observed no
      // earlier than the landing instant: other trades of the portfolio go on meanwhile.
      const sentAtMs = now();
      const delay = drawLandingDelay(seed, request.priorityFee, timing);
      const tWait = process.hrtime.bigint();
      const pricedAtMs = await waitForLanding(sentAtMs, delay.delayMs, now, signal);
      timings.landing_wait = elapsedUs(tWait, process.hrtime.bigint());
      landing = { pricing: 'LANDING', slots: delay.slots, delayMs: delay.delayMs, sentAtMs, pricedAtMs };
      rlog.debug({ slots: delay.slots, delay_ms: delay.delayMs }, 'landed; pricing on the market as it is now');
    }
    const tPrice = process.hrtime.bigint();
    const fetch = await priceRequest(request, landing === undefined ? undefined : { notBeforeMs: landing.sentAtMs + landing.delayMs });
    timings.price_lookup = elapsedUs(tPrice, process.hrtime.bigint());
    const drafted = draftTrade(request, fingerprint, fetch.market, seed, pipeline, rlog);
    const d = landing === undefined ? drafted : { ...drafted, landing };
    timings.slippage = d.slippageUs;
    timings.mev = d.mevUs;
    if (d.mevFailed) metrics?.countSideFailure('mev');

    const { trade, entry, tLock, tJournal, durable } = await mutex.run(request.portfolioId, async () => {
      if (signal?.aborted) throw new ExecutorError('DEADLINE_EXCEEDED', 'the request was cancelled or its deadline passed before the trade was booked');
      const tLock = process.hrtime.bigint();
      const existing = portfolios.get(request.portfolioId);
      if (existing) {
        const trade = buildTrade(d, existing.pending, pipeline, now());
        const tJournal = process.hrtime.bigint();
        const booked = book(existing, { kind: 'trade', portfolioId: request.portfolioId, atMs: trade.executedAtMs, trade });
        return { trade, entry: existing, tLock, tJournal, durable: booked.durable };
      }
      // The portfolio's first trade creates it: creation and trade are checked together and written
      // together, so a trade refused (insufficient balance, the cap) leaves no portfolio behind.
      const slot = reserveCreation(request.portfolioId);
      let trade: Trade;
      let created: LedgerEvent;
      let event: LedgerEvent;
      try {
        created = await creationEvent(request.portfolioId);
        const start = applyEvent(undefined, created, sol);
        trade = buildTrade(d, start, pipeline, now());
        event = { kind: 'trade', portfolioId: request.portfolioId, atMs: trade.executedAtMs, trade };
        applyEvent(start, event, sol); // throws (INSUFFICIENT_BALANCE) before anything is written
      } catch (err) {
        slot.abandon();
        throw err;
      }
      const tJournal = process.hrtime.bigint();
      const first = book(undefined, created);
      slot.booked(first.durable);
      const booked = book(first.entry, event);
      // Held until the portfolio is in `portfolios`, so the next trade of it finds it there (it is
      // built on the pending state, this trade included) instead of creating it a second time.
      await first.durable;
      startMark(applyEvent(undefined, created, sol), created);
      return { trade, entry: first.entry, tLock, tJournal, durable: booked.durable };
    });
    // Outside the lock: the next trade of this portfolio is built while this one's fsync runs.
    await durable;
    const tDone = process.hrtime.bigint();
    timings.journal = elapsedUs(tJournal, tDone);
    timings.portfolio_update = elapsedUs(tLock, tJournal);

    for (const s of subscribers.get(request.portfolioId) ?? []) {
      try {
        s(trade);
      } catch (err) {
        rlog.error({ err }, 'trade subscriber failed');
      }
    }
    if (options.recorder) {
      try {
        options.recorder.record(trade);
      } catch (err) {
        metrics?.countSideFailure('recorder');
        rlog.error({ err }, 'trade recorder failed; the trade is booked');
      }
    }
    // The reply's valuation; the trade's mark reuses its prices (no second lookup).
    const valued = entry.state;
    const { summary: portfolio, prices: valuedAt } = await valuation(valued);
    takeMark(valued, valuedAt, now());
    const totalUs = elapsedUs(t0, process.hrtime.bigint());
    timings.total = totalUs;
    const warnings = [...trade.warnings];
    // The landing wait is the mode's point, not slowness: only the work around it counts.
    const workUs = totalUs - (timings.landing_wait ?? 0);
    if (workUs / 1000 > slowExecutionMs) {
      warnings.push(`slow execution: ${(workUs / 1000).toFixed(1)} ms (threshold ${slowExecutionMs} ms)`);
      rlog.warn({ total_us: totalUs }, 'slow execution');
    }
    if (trade.status === 'FAILED_SLIPPAGE') rlog.warn({ slippage_bps: trade.slippageBps, tolerance_bps: d.toleranceBps }, 'fill worse than tolerance');
    for (const [stage, us] of Object.entries(timings)) observe(stage as Stage, us);
    metrics?.countTrade(trade.action, trade.status);
    const execMetrics: ExecutionMetrics = {
      totalUs,
      validationUs: timings.validation ?? 0,
      priceLookupUs: timings.price_lookup ?? 0,
      slippageUs: timings.slippage ?? 0,
      mevUs: timings.mev ?? 0,
      portfolioUpdateUs: timings.portfolio_update ?? 0,
      journalUs: timings.journal ?? 0,
      cacheHit: fetch.cacheHit,
      priceFetchAttempts: fetch.attempts,
      priceSource: trade.priceSource,
      ...(timings.landing_wait === undefined ? {} : { landingWaitUs: timings.landing_wait }),
    };
    rlog.info(
      {
        trade_id: trade.tradeId,
        status: trade.status,
        action: trade.action,
        input: `${trade.inputAmount} ${trade.input.symbol}`,
        output: `${trade.outputAmount} ${trade.output.symbol}`,
        slippage_bps: trade.slippageBps,
        fee_lamports: trade.fees.total.toString(),
        total_us: totalUs,
      },
      'trade completed',
    );
    return { requestId: request.requestId, trade, portfolio, metrics: execMetrics, warnings };
  }

  return {
    async executeTrade(raw: RawTradeRequest, opts: ExecuteOptions = {}): Promise<TradeResult> {
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
      log.info({ request_id: request.requestId, portfolio_id: request.portfolioId, action: request.action, base: request.base.symbol, quote: request.quote.symbol, amount: raw.amount }, 'trade received');

      // Idempotency: the same request_id returns the original result; a changed payload is refused.
      const key = knownKey(request.portfolioId, request.requestId);
      const fingerprint = requestFingerprint(request);
      let seen = known.get(key);
      if (!seen) {
        const original = journal.findTrade(request.portfolioId, request.requestId);
        if (original) {
          seen = { fingerprint: original.then((t) => t.inputs.fingerprint), result: original.then(recoveredResult), settled: false };
          track(key, seen);
        }
      }
      if (seen) {
        if (!samePayload(await seen.fingerprint, fingerprint, request)) {
          throw new ExecutorError('DUPLICATE_REQUEST', `request_id ${request.requestId} was already used with a different payload`, { field: 'request_id' });
        }
        return seen.result;
      }
      const result = execute(request, fingerprint, t0, validationUs, opts.signal);
      track(key, { fingerprint, result, settled: false }); // a failure forgets the id, so it may be retried
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
      const entry = portfolios.get(id);
      return entry ? valuate(entry.state) : notYetCreated(id);
    },

    async resetPortfolio(portfolioId: string, balances: Readonly<Record<string, string>>): Promise<PortfolioSummary> {
      const id = validatePortfolioId(portfolioId);
      const wanted = Object.keys(balances).length > 0 ? balances : options.startingBalances(id);
      const field = Object.keys(balances).length > 0 ? 'balances' : 'starting_balances';
      const entry = await mutex.run(id, async () => {
        const existing = portfolios.get(id);
        const slot = existing ? undefined : reserveCreation(id);
        let event: LedgerEvent;
        try {
          const start = await startingBalances(wanted, field);
          event = { kind: 'portfolio_reset', portfolioId: id, atMs: now(), balances: start };
        } catch (err) {
          slot?.abandon();
          throw err;
        }
        const booked = book(existing, event);
        slot?.booked(booked.durable);
        await booked.durable;
        const e = booked.entry;
        startMark(e.state, event);
        for (const key of known.keys()) if (key.startsWith(`${id}\n`)) known.delete(key);
        return e;
      });
      log.info({ portfolio_id: id }, 'portfolio reset');
      return valuate(entry.state);
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
      const id = validatePortfolioId(portfolioId);
      let subs = subscribers.get(id);
      if (!subs) {
        subs = new Set();
        subscribers.set(id, subs);
      }
      const set = subs;
      set.add(onTrade);
      return () => {
        set.delete(onTrade);
        if (set.size === 0 && subscribers.get(id) === set) subscribers.delete(id);
      };
    },

    async listPortfolios(): Promise<readonly PortfolioSummary[]> {
      const states = [...portfolios.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e.state);
      // One batched lookup for every token held by any portfolio, however many portfolios there are.
      const held = [...new Set(states.flatMap(heldMints))];
      const { map } = held.length > 0 ? await usdPrices(held) : { map: new Map<Mint, UsdPrice>() };
      return states.map((state) => ({ ...summarize(state, tokens, map, prices.sourceName), stateHash: portfolioStateHash(state) }));
    },

    async getReport(portfolioId: string, query: ReportQuery): Promise<PortfolioReport> {
      const id = validatePortfolioId(portfolioId);
      const { fromMs, toMs } = query;
      for (const [field, ms] of [['from', fromMs], ['to', toMs]] as const) {
        if (ms !== undefined && !Number.isSafeInteger(ms)) throw invalidArgument(field, `${String(ms)} is not a whole number of milliseconds`);
      }
      if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
        throw invalidArgument('from', `${new Date(fromMs).toISOString()} is after to (${new Date(toMs).toISOString()})`);
      }
      const entry = portfolios.get(id);
      if (!entry) throw new ExecutorError('PORTFOLIO_NOT_FOUND', `portfolio_id: no portfolio ${JSON.stringify(id)} (it comes into being with its first trade or reset)`, { field: 'portfolio_id' });
      const state = entry.state;
      // The series since the last reset, thinned to MAX_REPORT_MARKS; a range that ends now closes on a
      // mark taken now at current prices (not journaled: reads never write).
      const read = await journal.readMarks(id, { fromMs, toMs, limit: MAX_REPORT_MARKS });
      const marks = read.marks.map((r) => markOfRecord(r, tokens));
      if (toMs === undefined) {
        const last = marks.at(-1);
        if (!last || state.sequence >= last.sequence) {
          const { prices: at } = await valuation(state);
          marks.push(computeMark(state, tokens, at, Math.max(now(), last?.atMs ?? 0)));
        }
      }
      const start = marks[0];
      const end = marks.at(-1);
      let trades: Trade[] = [];
      if (start && end && end.sequence > start.sequence) {
        const count = end.sequence - start.sequence;
        if (count > MAX_REPORT_TRADES) {
          throw new ExecutorError('REPORT_UNAVAILABLE', `from: the range holds ${count} ledger events, more than the ${MAX_REPORT_TRADES} a report reads; narrow the range`, { field: 'from' });
        }
        trades = [...(await journal.listTrades(id, end.sequence + 1, count)).trades];
      }
      const maxPoints = query.maxPoints === undefined || query.maxPoints === 0 ? MAX_CURVE_POINTS : query.maxPoints;
      return buildReport({ portfolioId: id, trades, marks, fromMs, toMs, groupBy: query.groupBy, maxPoints, sol });
    },

    subscribeMarks(portfolioId: string, onMark: (mark: Mark) => void): () => void {
      const id = validatePortfolioId(portfolioId);
      let subs = markSubscribers.get(id);
      if (!subs) {
        subs = new Set();
        markSubscribers.set(id, subs);
      }
      const set = subs;
      set.add(onMark);
      return () => {
        set.delete(onMark);
        if (set.size === 0 && markSubscribers.get(id) === set) markSubscribers.delete(id);
      };
    },

    async markAll(): Promise<number> {
      const states = [...portfolios.values()].map((e) => e.state).filter((s) => heldMints(s).length > 0);
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
        if (takeMark(state, own, atMs)) taken++;
      }
      return taken;
    },
  };
}
