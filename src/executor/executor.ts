import { parseBalance } from '../domain/amount.js';
import { ExecutorError, invalidArgument } from '../domain/errors.js';
import { applyEvent, type LedgerEvent, type PortfolioState, type StartingBalance } from '../domain/ledger.js';
import type { QuoteRequest, UsdPrice } from '../domain/market.js';
import { nanoUsd, sides } from '../domain/pricing.js';
import { ratioToString } from '../domain/ratio.js';
import type { RawTradeRequest, TradeRequest } from '../domain/request.js';
import { deriveSeed } from '../domain/rng.js';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { requestFingerprint, validatePortfolioId, validateTradeRequest } from '../domain/validation.js';
import { createKeyedMutex } from './keyed-mutex.js';
import { buildTrade, draftTrade, type MarketSnapshot, type PipelineOptions } from './pipeline.js';
import type { ExecutorMetricsSink, Log, PriceProvider, Stage, TradeJournal, TradeRecorder } from './ports.js';
import { portfolioStateHash } from './state-hash.js';
import { summarize } from './summary.js';
import type { ExecuteOptions, ExecutionMetrics, Executor, PortfolioSummary, TradePage, TradeResult } from './types.js';

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

export function createExecutor(options: ExecutorOptions): Executor {
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

  async function usdPrices(mints: readonly Mint[]): Promise<{ map: ReadonlyMap<Mint, UsdPrice>; cacheHit: boolean; attempts: number }> {
    const lookup = await prices.getUsdPrices(mints);
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
    return held.map((mint) => {
      const token = tokens.find(mint);
      const price = map.get(mint);
      const units = parsed.get(mint) ?? 0n;
      return { mint, amount: units, costNanoUsd: token && price ? nanoUsd(units, token.decimals, price.usd) : 0n };
    });
  }

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

  async function valuate(state: PortfolioState): Promise<PortfolioSummary> {
    const held = [...state.positions.entries()].filter(([, p]) => p.amount > 0n).map(([m]) => m);
    const { map } = held.length > 0 ? await usdPrices(held) : { map: new Map<Mint, UsdPrice>() };
    return { ...summarize(state, tokens, map, prices.sourceName), stateHash: portfolioStateHash(state) };
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
  async function priceRequest(request: TradeRequest): Promise<{ market: MarketSnapshot; cacheHit: boolean; attempts: number }> {
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
      usdPrices([request.base.mint, request.quote.mint]),
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

  async function execute(request: TradeRequest, fingerprint: string, t0: bigint, validationUs: number, signal: AbortSignal | undefined): Promise<TradeResult> {
    const timings: Partial<Record<Stage, number>> = { validation: validationUs };
    const rlog = log.child({ request_id: request.requestId });
    const tPrice = process.hrtime.bigint();
    const fetch = await priceRequest(request);
    timings.price_lookup = elapsedUs(tPrice, process.hrtime.bigint());
    const d = draftTrade(request, fingerprint, fetch.market, deriveSeed(options.seed, request.requestId), pipeline, rlog);
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
    const portfolio = await valuate(entry.state);
    const totalUs = elapsedUs(t0, process.hrtime.bigint());
    timings.total = totalUs;
    const warnings = [...trade.warnings];
    if (totalUs / 1000 > slowExecutionMs) {
      warnings.push(`slow execution: ${(totalUs / 1000).toFixed(1)} ms (threshold ${slowExecutionMs} ms)`);
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
        if ((await seen.fingerprint) !== fingerprint) {
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
  };
}
