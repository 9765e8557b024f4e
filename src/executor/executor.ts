import { createHash } from 'node:crypto';
import { parseBalance } from '../domain/amount.js';
import { ExecutorError, invalidArgument } from '../domain/errors.js';
import { networkFee, type FeeSchedule } from '../domain/fees.js';
import { applyEvent, type LedgerEvent, type PortfolioState, type StartingBalance } from '../domain/ledger.js';
import type { QuoteRequest, RouteQuote, UsdPrice } from '../domain/market.js';
import { fillTrade, nanoUsd, priceTrade, sides, toBps, type PricedTrade } from '../domain/pricing.js';
import { add, cmp, fromBps, toDecimalString, ZERO, type Ratio } from '../domain/ratio.js';
import type { RawTradeRequest, SlippageModelSpec, TradeRequest, TradeStatus } from '../domain/request.js';
import { createRng, deriveSeed } from '../domain/rng.js';
import type { SlippageRegistry } from '../domain/slippage/registry.js';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import { NO_MEV, type MevOutcome, type Trade, type TradeInputs } from '../domain/trade.js';
import { requestFingerprint, validatePortfolioId, validateTradeRequest } from '../domain/validation.js';
import { createKeyedMutex } from './keyed-mutex.js';
import type { ExecutorMetricsSink, Log, PriceProvider, Stage, TradeJournal, TradeRecorder } from './ports.js';
import { summarize } from './summary.js';
import type { ExecuteOptions, ExecutionMetrics, Executor, PortfolioSummary, TradePage, TradeResult } from './types.js';

/** What the MEV stage sees: the trade as priced and slipped, before any attack. */
export interface MevContext {
  readonly request: TradeRequest;
  readonly priced: PricedTrade;
  /** Adverse fraction already applied by the slippage model (the drift the attacker cannot take). */
  readonly slippage: Ratio;
  readonly tolerance: Ratio;
  readonly seed: bigint;
}

export interface MevVerdict {
  readonly outcome: MevOutcome;
  /** Extra adverse fraction taken by the attack; never more than tolerance - slippage. */
  readonly lossFraction: Ratio;
  readonly warnings: readonly string[];
}

/** The MEV simulation as the executor uses it (step 6); a failure here never fails the trade. */
export type MevEvaluator = (ctx: MevContext) => MevVerdict;

/** An extra adverse drift applied after the slippage model (e.g. the landing delay). */
export type DriftEvaluator = (ctx: { readonly request: TradeRequest; readonly priced: PricedTrade; readonly seed: bigint }) => {
  readonly fraction: Ratio;
  readonly explanation: string;
};

export interface ExecutorOptions {
  readonly tokens: TokenRegistry;
  readonly prices: PriceProvider;
  readonly slippage: SlippageRegistry;
  readonly defaultSlippageModel: SlippageModelSpec;
  /** Applied when a request carries no slippage_tolerance_bps. */
  readonly defaultToleranceBps: number;
  readonly fees: FeeSchedule;
  /** Starting balances of a portfolio: symbol or mint -> decimal amount. */
  readonly startingBalances: (portfolioId: string) => Readonly<Record<string, string>>;
  /** The configured seed; each trade's seed is derived from it and the request_id. */
  readonly seed: bigint;
  readonly journal: TradeJournal;
  readonly log: Log;
  readonly recorder?: TradeRecorder;
  readonly metrics?: ExecutorMetricsSink;
  readonly mev?: MevEvaluator;
  readonly drift?: DriftEvaluator | undefined;
  readonly warnings?: { readonly slowExecutionMs: number; readonly nearToleranceRatio: number };
  /** Wall clock, ms since epoch. */
  readonly now?: () => number;
  /** State recovered from the journal at start-up, if any. */
  readonly recovered?: readonly LedgerEvent[];
}

interface PortfolioEntry {
  state: PortfolioState;
  /** Oldest first. */
  readonly trades: Trade[];
}

interface Draft {
  readonly request: TradeRequest;
  readonly priced: PricedTrade;
  readonly quote: RouteQuote | undefined;
  readonly prices: { readonly base: UsdPrice; readonly quote: UsdPrice };
  readonly status: TradeStatus;
  readonly failureReason: string | undefined;
  readonly slippage: Ratio;
  readonly slippageExplanation: string;
  readonly modelSpec: SlippageModelSpec;
  readonly toleranceBps: number;
  readonly mev: MevOutcome;
  readonly mevLoss: Ratio;
  readonly seed: bigint;
  readonly warnings: string[];
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1_000;

const elapsedUs = (from: bigint, to: bigint): number => Number((to - from) / 1000n);

export function createExecutor(options: ExecutorOptions): Executor {
  const { tokens, prices, journal, log, metrics } = options;
  const now = options.now ?? Date.now;
  const warnCfg = options.warnings ?? { slowExecutionMs: 50, nearToleranceRatio: 0.8 };
  const portfolios = new Map<string, PortfolioEntry>();
  const mutex = createKeyedMutex();
  /** Per portfolio: request_id -> fingerprint and the (possibly in-flight) result. */
  const idempotency = new Map<string, Map<string, { fingerprint: string; result: Promise<TradeResult> }>>();
  /** StreamTrades listeners per portfolio; kept apart so one may subscribe before the portfolio exists. */
  const subscribers = new Map<string, Set<(t: Trade) => void>>();
  const sol = tokens.sol;

  for (const event of options.recovered ?? []) replayEvent(event);

  function replayEvent(event: LedgerEvent): void {
    const entry = portfolios.get(event.portfolioId);
    const state = applyEvent(entry?.state, event, sol);
    if (!entry) portfolios.set(event.portfolioId, { state, trades: [] });
    else entry.state = state;
    if (event.kind === 'trade') portfolios.get(event.portfolioId)?.trades.push(event.trade);
    if (event.kind === 'portfolio_reset') {
      const e = portfolios.get(event.portfolioId);
      if (e) e.trades.length = 0;
    }
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

  /** Appends to the journal, then applies: nothing is visible before it is durable. */
  async function commit(entry: PortfolioEntry | undefined, event: LedgerEvent): Promise<PortfolioEntry> {
    const next = applyEvent(entry?.state, event, sol);
    try {
      await journal.append(event);
    } catch (cause) {
      throw new ExecutorError('JOURNAL_UNAVAILABLE', 'the journal cannot be written; the trade was not booked', {}, { cause });
    }
    if (!entry) {
      const created: PortfolioEntry = { state: next, trades: [] };
      portfolios.set(event.portfolioId, created);
      return created;
    }
    entry.state = next;
    if (event.kind === 'portfolio_reset') entry.trades.length = 0;
    return entry;
  }

  /** The portfolio, created with its starting balances on first use. Call inside the portfolio's lock. */
  async function ensurePortfolio(portfolioId: string): Promise<PortfolioEntry> {
    const existing = portfolios.get(portfolioId);
    if (existing) return existing;
    const balances = await startingBalances(options.startingBalances(portfolioId), 'starting_balances');
    return commit(undefined, { kind: 'portfolio_created', portfolioId, atMs: now(), balances });
  }

  async function valuate(state: PortfolioState): Promise<PortfolioSummary> {
    const held = [...state.positions.entries()].filter(([, p]) => p.amount > 0n).map(([m]) => m);
    const { map } = held.length > 0 ? await usdPrices(held) : { map: new Map<Mint, UsdPrice>() };
    return summarize(state, tokens, map, prices.sourceName);
  }

  /** Steps 3-7: everything that is pure given prices, clock and seed. */
  async function draft(request: TradeRequest, t0: bigint, timings: Partial<Record<Stage, number>>, fetch: { cacheHit: boolean; attempts: number }): Promise<Draft> {
    const { input, output } = sides(request);
    const seed = deriveSeed(options.seed, request.requestId);
    const tolerance = request.slippageToleranceBps ?? options.defaultToleranceBps;
    const quoteRequest: QuoteRequest | undefined =
      request.action === 'SWAP'
        ? { inputMint: input.mint, outputMint: output.mint, amount: request.amount, swapMode: 'ExactIn', slippageBps: tolerance }
        : undefined;
    const [usd, quoteLookup] = await Promise.all([
      usdPrices([request.base.mint, request.quote.mint]),
      quoteRequest ? prices.getQuote(quoteRequest) : Promise.resolve(undefined),
    ]);
    fetch.cacheHit = usd.cacheHit;
    fetch.attempts = usd.attempts + (quoteLookup?.attempts ?? 0);
    const basePrice = usd.map.get(request.base.mint);
    const quotePrice = usd.map.get(request.quote.mint);
    if (!basePrice || !quotePrice) throw new ExecutorError('PRICE_UNAVAILABLE', 'price lookup returned no price');
    const t1 = process.hrtime.bigint();
    timings.price_lookup = elapsedUs(t0, t1);

    const quote = quoteLookup?.quote;
    const priced = priceTrade(request, basePrice, quotePrice, quote);
    log.debug(
      { base_usd: toDecimalString(basePrice.usd, 12, 'floor'), quote_usd: toDecimalString(quotePrice.usd, 12, 'floor'), expected_price: toDecimalString(priced.expectedPrice, 12, 'floor'), source: basePrice.source, cache_hit: usd.cacheHit },
      'priced',
    );

    // Step 5: slippage model (and landing drift), from the trade's own seeded stream.
    const modelSpec = request.slippageModel ?? options.defaultSlippageModel;
    const model = options.slippage.create(modelSpec, request.slippageModel ? 'slippage_model' : 'config.slippage.model');
    const slipped = model.apply({
      action: request.action,
      input,
      output,
      base: request.base,
      quote: request.quote,
      tradeUsd: priced.tradeUsd,
      priceImpact: priced.priceImpact,
      liquidityUsd: priced.liquidityUsd,
      quoted: quote !== undefined,
      priorityFeeLamports: request.priorityFee,
      rng: createRng(seed, 'slippage'),
    });
    let slippage = slipped.fraction;
    let slippageExplanation = slipped.explanation;
    if (options.drift) {
      const drift = options.drift({ request, priced, seed });
      slippage = add(slippage, drift.fraction);
      slippageExplanation = `${slippageExplanation}; ${drift.explanation}`;
    }
    const t2 = process.hrtime.bigint();
    timings.slippage = elapsedUs(t1, t2);

    // Step 7 (guards), before MEV: a live client would not even send a trade above its impact limit.
    const warnings: string[] = [];
    const impactBps = toBps(priced.priceImpact);
    if (request.maxPriceImpactBps !== undefined && cmp(priced.priceImpact, fromBps(request.maxPriceImpactBps)) > 0) {
      throw new ExecutorError(
        'PRICE_IMPACT_TOO_HIGH',
        `max_price_impact_bps: price impact ${impactBps.toFixed(2)} bps exceeds the limit of ${request.maxPriceImpactBps} bps`,
        { field: 'max_price_impact_bps', priceImpactBps: impactBps },
      );
    }
    const toleranceFraction = fromBps(tolerance);
    let status: TradeStatus = 'FILLED';
    let failureReason: string | undefined;
    const slippageBps = toBps(slippage);
    if (cmp(slippage, toleranceFraction) > 0) {
      status = 'FAILED_SLIPPAGE';
      failureReason = `slippage ${slippageBps.toFixed(2)} bps exceeds the tolerance of ${tolerance} bps`;
    } else if (tolerance > 0 && slippageBps >= tolerance * warnCfg.nearToleranceRatio) {
      warnings.push(`slippage ${slippageBps.toFixed(2)} bps is close to the tolerance of ${tolerance} bps`);
    }

    // Step 6: MEV, only on request, only on a trade that would land.
    let mev = NO_MEV;
    let mevLoss = ZERO;
    if (request.simulateMev && status === 'FILLED') {
      if (!options.mev) {
        warnings.push('MEV simulation was requested but is not enabled on this server');
      } else {
        try {
          const verdict = options.mev({ request, priced, slippage, tolerance: toleranceFraction, seed });
          mev = verdict.outcome;
          mevLoss = verdict.lossFraction;
          warnings.push(...verdict.warnings);
          if (mev.reverted) {
            status = 'FAILED_MEV';
            failureReason = 'a simulated sandwich attack made the swap revert';
          }
          if (mev.attacked) log.warn({ loss_usd: mev.lossUsd, reverted: mev.reverted }, 'simulated sandwich attack');
        } catch (err) {
          metrics?.countSideFailure('mev');
          log.error({ err }, 'MEV simulation failed; the trade continues without MEV impact');
          warnings.push('MEV simulation failed; the trade was executed without MEV impact');
        }
      }
    }
    timings.mev = elapsedUs(t2, process.hrtime.bigint());
    if (impactBps > 100) warnings.push(`price impact ${impactBps.toFixed(2)} bps: consider splitting the trade`);
    if (basePrice.source === 'sim') warnings.push('prices are simulated (market: sim), not live market prices');
    return {
      request,
      priced,
      quote,
      prices: { base: basePrice, quote: quotePrice },
      status,
      failureReason,
      slippage,
      slippageExplanation,
      modelSpec,
      toleranceBps: tolerance,
      mev,
      mevLoss,
      seed,
      warnings,
    };
  }

  /** Step 8: the trade record, given the portfolio's state (rent depends on its open accounts). */
  function buildTrade(d: Draft, state: PortfolioState): Trade {
    const r = d.request;
    const adverse = add(d.slippage, d.mevLoss);
    const fill = fillTrade(r, d.priced, d.quote, adverse);
    const { input, output } = d.priced;
    if (fill.outputAmount === 0n || fill.inputAmount === 0n) {
      throw invalidArgument('amount', `too small: the trade would ${fill.outputAmount === 0n ? 'receive' : 'pay'} less than one base unit`);
    }
    const filled = d.status === 'FILLED';
    const opensAccount = filled && output.mint !== sol.mint && !state.accounts.has(output.mint);
    const fees = networkFee(options.fees, r.priorityFee, opensAccount);
    const sequence = state.sequence + 1;
    const inputs: TradeInputs = {
      baseUsd: toDecimalString(d.prices.base.usd, 18, 'floor'),
      quoteUsd: toDecimalString(d.prices.quote.usd, 18, 'floor'),
      baseLiquidityUsd: d.prices.base.liquidityUsd && toDecimalString(d.prices.base.liquidityUsd, 6, 'floor'),
      quoteLiquidityUsd: d.prices.quote.liquidityUsd && toDecimalString(d.prices.quote.liquidityUsd, 6, 'floor'),
      quote: d.quote && {
        inAmount: d.quote.inAmount.toString(),
        outAmount: d.quote.outAmount.toString(),
        priceImpact: toDecimalString(d.quote.priceImpact, 18, 'floor'),
        route: d.quote.route,
      },
      slippageModel: d.modelSpec,
      slippageToleranceBps: d.toleranceBps,
      priorityFee: r.priorityFee.toString(),
      simulateMev: r.simulateMev,
      mevProtection: r.mevProtection,
    };
    return {
      tradeId: tradeIdOf(r.portfolioId, r.requestId),
      requestId: r.requestId,
      portfolioId: r.portfolioId,
      sequence,
      action: r.action,
      status: d.status,
      base: r.base,
      quote: r.quote,
      input,
      output,
      inputAmount: fill.inputAmount,
      outputAmount: filled ? fill.outputAmount : (0n as typeof fill.outputAmount),
      expectedPrice: d.priced.expectedPrice,
      executedPrice: fill.executedPrice,
      slippageBps: toBps(d.slippage),
      mevImpactBps: toBps(d.mevLoss),
      priceImpactBps: toBps(d.priced.priceImpact),
      fees,
      executedAtMs: now(),
      priceSource: d.prices.base.source,
      mev: d.mev,
      slippageModel: d.modelSpec.name,
      slippageExplanation: d.slippageExplanation,
      seed: d.seed,
      route: d.quote?.route ?? [],
      failureReason: d.failureReason,
      inputValueNanoUsd: nanoUsd(fill.inputAmount, input.decimals, d.priced.inputUsdPrice),
      inputs,
      warnings: d.warnings,
    };
  }

  async function execute(request: TradeRequest, t0: bigint, validationUs: number, signal: AbortSignal | undefined): Promise<TradeResult> {
    const timings: Partial<Record<Stage, number>> = { validation: validationUs };
    const fetch = { cacheHit: false, attempts: 0 };
    const d = await draft(request, process.hrtime.bigint(), timings, fetch);
    const rlog = log.child({ request_id: request.requestId });

    const { trade, entry, tLock, tJournal, tDone } = await mutex.run(request.portfolioId, async () => {
      if (signal?.aborted) throw new ExecutorError('DEADLINE_EXCEEDED', 'the request was cancelled or its deadline passed before the trade was booked');
      const tLock = process.hrtime.bigint();
      const entry = await ensurePortfolio(request.portfolioId);
      const trade = buildTrade(d, entry.state);
      const tJournal = process.hrtime.bigint();
      await commit(entry, { kind: 'trade', portfolioId: request.portfolioId, atMs: trade.executedAtMs, trade });
      entry.trades.push(trade);
      return { trade, entry, tLock, tJournal, tDone: process.hrtime.bigint() };
    });
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
    if (totalUs / 1000 > warnCfg.slowExecutionMs) {
      warnings.push(`slow execution: ${(totalUs / 1000).toFixed(1)} ms (threshold ${warnCfg.slowExecutionMs} ms)`);
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
      let byId = idempotency.get(request.portfolioId);
      if (!byId) {
        byId = new Map();
        idempotency.set(request.portfolioId, byId);
      }
      const fingerprint = requestFingerprint(request);
      const seen = byId.get(request.requestId);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new ExecutorError('DUPLICATE_REQUEST', `request_id ${request.requestId} was already used with a different payload`, { field: 'request_id' });
        }
        return seen.result;
      }
      const result = execute(request, t0, validationUs, opts.signal);
      const ids = byId;
      ids.set(request.requestId, { fingerprint, result });
      try {
        return await result;
      } catch (err) {
        ids.delete(request.requestId); // not booked: the same id may be retried
        const e = ExecutorError.from(err);
        const level = e.code === 'INTERNAL' ? 'error' : 'info';
        log[level]({ request_id: request.requestId, code: e.code, err: e.message }, 'trade not executed');
        throw e;
      }
    },

    async getPortfolio(portfolioId: string): Promise<PortfolioSummary> {
      const id = validatePortfolioId(portfolioId);
      const entry = portfolios.get(id) ?? (await mutex.run(id, () => ensurePortfolio(id)));
      return valuate(entry.state);
    },

    async resetPortfolio(portfolioId: string, balances: Readonly<Record<string, string>>): Promise<PortfolioSummary> {
      const id = validatePortfolioId(portfolioId);
      const wanted = Object.keys(balances).length > 0 ? balances : options.startingBalances(id);
      const field = Object.keys(balances).length > 0 ? 'balances' : 'starting_balances';
      const entry = await mutex.run(id, async () => {
        const start = await startingBalances(wanted, field);
        const event: LedgerEvent = { kind: 'portfolio_reset', portfolioId: id, atMs: now(), balances: start };
        const e = await commit(portfolios.get(id), event);
        idempotency.delete(id);
        return e;
      });
      log.info({ portfolio_id: id }, 'portfolio reset');
      return valuate(entry.state);
    },

    listTrades(portfolioId: string, limit: number, pageToken: string): Promise<TradePage> {
      const id = validatePortfolioId(portfolioId);
      const size = limit === 0 ? DEFAULT_PAGE : Math.min(limit, MAX_PAGE);
      const trades = portfolios.get(id)?.trades ?? [];
      // The token is the sequence to continue below (newest first); stable while trades are appended.
      let before = Number.MAX_SAFE_INTEGER;
      if (pageToken !== '') {
        if (!/^\d{1,15}$/.test(pageToken)) return Promise.reject(invalidArgument('page_token', 'not a token this server issued'));
        before = Number(pageToken);
      }
      const page: Trade[] = [];
      for (let i = trades.length - 1; i >= 0 && page.length < size; i--) {
        const t = trades[i];
        if (t && t.sequence < before) page.push(t);
      }
      const last = page.at(-1);
      const more = last !== undefined && trades.length > 0 && (trades[0]?.sequence ?? 0) < last.sequence;
      return Promise.resolve({ trades: page, nextPageToken: more ? String(last.sequence) : '' });
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

/** A stable id for the trade of (portfolio, request_id): the same request always names the same trade. */
export function tradeIdOf(portfolioId: string, requestId: string): string {
  const h = createHash('sha256').update(`${portfolioId}\u0000${requestId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

