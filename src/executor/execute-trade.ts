import { formatAmount } from '../domain/amount.js';
import { ExecutorError } from '../domain/errors.js';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import type { QuoteRequest, UsdPrice } from '../domain/market.js';
import { sides } from '../domain/pricing.js';
import { ratioToString } from '../domain/ratio.js';
import type { TradeRequest } from '../domain/request.js';
import { deriveSeed } from '../domain/rng.js';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import type { Trade, TradeLanding } from '../domain/trade.js';
import { drawLandingDelay, effectivePricing, waitForLanding } from './landing-stage.js';
import type { MarkTaker } from './mark-taker.js';
import { buildTrade, draftTrade, type MarketSnapshot, type PipelineOptions } from './pipeline.js';
import type { Decision, Ledger } from './ledger.js';
import type { ExecutorMetricsSink, Log, LogLevel, PriceFreshness, PriceProvider, QuoteLookup, TradeRecorder } from './ports.js';
import type { Feed } from './trade-feed.js';
import type { ExecutionMetrics, TradeResult } from './types.js';
import type { PricedMints, Valuation } from './valuation.js';

/** What the orchestration of one trade is wired to (executor.ts builds it). */
export interface TradeRunContext {
  readonly tokens: TokenRegistry;
  readonly prices: PriceProvider;
  readonly pipeline: PipelineOptions;
  readonly seed: bigint;
  readonly ledger: Ledger;
  readonly valuation: Valuation;
  readonly marks: MarkTaker;
  readonly trades: Feed<Trade>;
  /** The event that creates a portfolio with its configured starting balances, valued at current prices. */
  creationEvent(portfolioId: string): Promise<LedgerEvent>;
  /** The answer to a request whose trade the ledger already holds: the original, or DUPLICATE_REQUEST. */
  duplicate(request: TradeRequest, fingerprint: string, booked: Trade): Promise<TradeResult>;
  readonly log: Log;
  /**
   * Where the "trade completed" line goes: its fields are fixed in code and never hold config or
   * headers, so the service gives a logger that skips redaction (logger.ts, fixedFieldsLogger).
   */
  readonly tradeLog: Log;
  readonly now: () => number;
  readonly slowExecutionMs: number;
  readonly recorder?: TradeRecorder | undefined;
  readonly metrics?: ExecutorMetricsSink | undefined;
}

/** What the trade's change decided: the trade booked (with its portfolio's creation), or the one booked before. */
type Booking = { readonly trade: Trade; readonly created: LedgerEvent | undefined } | { readonly duplicate: Trade };

const elapsedUs = (from: bigint, to: bigint): number => Number((to - from) / 1000n);

/**
 * The trade's logger, with its request_id: the child is made only when something is logged through
 * it (a warning, an error, a debug line that is on), since most trades log nothing but their two INFO
 * lines, which carry the request_id themselves. One object per trade, its methods shared.
 */
class RequestLog implements Log {
  private made: Log | undefined;

  constructor(
    private readonly log: Log,
    private readonly requestId: string,
  ) {}

  private get target(): Log {
    return (this.made ??= this.log.child({ request_id: this.requestId }));
  }

  debug(obj: object, msg?: string): void {
    if (this.log.isLevelEnabled?.('debug') !== false) this.target.debug(obj, msg);
  }

  info(obj: object, msg?: string): void {
    this.target.info(obj, msg);
  }

  warn(obj: object, msg?: string): void {
    this.target.warn(obj, msg);
  }

  error(obj: object, msg?: string): void {
    this.target.error(obj, msg);
  }

  child(bindings: Record<string, unknown>): Log {
    return this.target.child(bindings);
  }

  isLevelEnabled(level: LogLevel): boolean {
    return this.log.isLevelEnabled?.(level) ?? true;
  }
}

/** Step 3: market data for the request; steps 4-7 then run on it in the pure pipeline. */
async function priceRequest(ctx: TradeRunContext, request: TradeRequest, freshness?: PriceFreshness): Promise<{ market: MarketSnapshot; prices: ReadonlyMap<Mint, UsdPrice>; cacheHit: boolean; attempts: number }> {
  const { input, output } = sides(request);
  const quoteRequest: QuoteRequest | undefined =
    request.action === 'SWAP'
      ? {
          inputMint: input.mint,
          outputMint: output.mint,
          amount: request.amount,
          swapMode: 'ExactIn',
          slippageBps: request.slippageToleranceBps ?? ctx.pipeline.defaultToleranceBps,
        }
      : undefined;
  const usdLookup = ctx.valuation.usdPrices([request.base.mint, request.quote.mint], freshness);
  // Both lookups at once for a SWAP; a BUY or SELL awaits its one lookup (no Promise.all per trade).
  let usd: PricedMints;
  let quoteLookup: QuoteLookup | undefined;
  if (quoteRequest) [usd, quoteLookup] = await Promise.all([usdLookup, ctx.prices.getQuote(quoteRequest)]);
  else usd = await usdLookup;
  const base = usd.map.get(request.base.mint);
  const quote = usd.map.get(request.quote.mint);
  if (!base || !quote) throw new ExecutorError('PRICE_UNAVAILABLE', 'price lookup returned no price');
  if (ctx.log.isLevelEnabled?.('debug') !== false) ctx.log.debug({ request_id: request.requestId, base_usd: ratioToString(base.usd), quote_usd: ratioToString(quote.usd), source: base.source, cache_hit: usd.cacheHit }, 'priced');
  return {
    market: { base, quote, route: quoteLookup?.quote },
    prices: usd.map,
    cacheHit: usd.cacheHit,
    attempts: usd.attempts + (quoteLookup?.attempts ?? 0),
  };
}

/**
 * One trade, validated and new (idempotency is the caller's): landing wait, prices, the pure
 * pipeline, booking under the portfolio's lock, then the side paths (feed, recorder, mark), the
 * valuation, metrics and the "trade completed" log line.
 */
export async function executeTrade(ctx: TradeRunContext, asked: TradeRequest, fingerprint: string, t0: bigint, validationUs: number, signal: AbortSignal | undefined): Promise<TradeResult> {
  const { pipeline, metrics, now } = ctx;
  const sol = ctx.tokens.sol;
  const rlog = new RequestLog(ctx.log, asked.requestId);
  const seed = deriveSeed(ctx.seed, asked.requestId);
  // Execution timing (landing-stage.ts): the request's execution_pricing, else the server's. The
  // pipeline reads it only to tell a landing-time trade, so the request is copied only to make one.
  const pricing = effectivePricing(asked.executionPricing, pipeline.landingTime);
  const request: TradeRequest = pricing === 'LANDING' && asked.executionPricing !== 'LANDING' ? { ...asked, executionPricing: pricing } : asked;
  let landing: TradeLanding | undefined;
  let landingWaitUs: number | undefined;
  if (pricing === 'LANDING') {
    const timing = pipeline.landingTime;
    if (timing === undefined) throw new ExecutorError('INTERNAL', 'landing-time pricing is not configured on this executor');
    // Wait out the seeded landing delay outside any lock, then price on a market observed no
    // earlier than the landing instant: other trades of the portfolio go on meanwhile.
    const sentAtMs = now();
    const delay = drawLandingDelay(seed, request.priorityFee, timing);
    const tWait = process.hrtime.bigint();
    const pricedAtMs = await waitForLanding(sentAtMs, delay.delayMs, now, signal);
    landingWaitUs = elapsedUs(tWait, process.hrtime.bigint());
    landing = { pricing: 'LANDING', slots: delay.slots, delayMs: delay.delayMs, sentAtMs, pricedAtMs };
    rlog.debug({ slots: delay.slots, delay_ms: delay.delayMs }, 'landed; pricing on the market as it is now');
  }
  const tPrice = process.hrtime.bigint();
  const fetch = await priceRequest(ctx, request, landing === undefined ? undefined : { notBeforeMs: landing.sentAtMs + landing.delayMs });
  const priceLookupUs = elapsedUs(tPrice, process.hrtime.bigint());
  const drafted = draftTrade(request, fingerprint, fetch.market, seed, pipeline, rlog);
  const d = landing === undefined ? drafted : { ...drafted, landing };
  if (d.mevFailed) metrics?.countSideFailure('mev');

  // Under the portfolio's lock: the trade is built on its current state and booked (with the
  // portfolio's creation when it is its first), all or nothing: a trade refused (insufficient
  // balance, the cap) leaves no portfolio behind.
  let tLock = 0n;
  let tJournal = 0n;
  const book = (base: PortfolioState, created: LedgerEvent | undefined): Decision<Booking> => {
    const trade = buildTrade(d, base, pipeline, now());
    const event: LedgerEvent = { kind: 'trade', portfolioId: request.portfolioId, atMs: trade.executedAtMs, trade };
    tJournal = process.hrtime.bigint();
    return { events: created ? [created, event] : [event], value: { trade, created } };
  };
  const changed = await ctx.ledger.change<Booking>(
    request.portfolioId,
    (state, booked) => {
      if (booked) return { events: [], value: { duplicate: booked } };
      tLock = process.hrtime.bigint();
      if (state) return book(state, undefined);
      // The portfolio's first trade: its creation, valued at current prices, is booked with it.
      return ctx.creationEvent(request.portfolioId).then((created) => book(applyEvent(undefined, created, sol), created));
    },
    { requestId: request.requestId, signal },
  );
  const booking = changed.value;
  // Booked before (on another executor sharing the ledger, or an answer lost with its connection);
  // compared as the request with its effective execution pricing.
  if ('duplicate' in booking) return ctx.duplicate({ ...asked, executionPricing: pricing }, fingerprint, booking.duplicate);
  const { trade, created } = booking;
  const tDone = process.hrtime.bigint();
  const journalUs = elapsedUs(tJournal, tDone);
  const portfolioUpdateUs = elapsedUs(tLock, tJournal);
  const states = changed.states;
  const first = states[0];
  if (created && created.kind !== 'trade' && first) ctx.marks.start(first, created, ctx.valuation.startPrices(created.balances));

  ctx.trades.publish(request.portfolioId, trade, rlog);
  if (ctx.recorder) {
    try {
      ctx.recorder.record(trade);
    } catch (err) {
      metrics?.countSideFailure('recorder');
      rlog.error({ err }, 'trade recorder failed; the trade is booked');
    }
  }
  // The reply's valuation, of the state this trade left, at the trade's own prices when they cover
  // every held token, else after one lookup of them all; the trade's mark reuses those prices.
  const valued = states[states.length - 1];
  if (!valued) throw new ExecutorError('INTERNAL', `trade ${trade.tradeId} was booked without a state`);
  const { summary: portfolio, prices: valuedAt } = ctx.valuation.valueAt(valued, fetch.prices) ?? (await ctx.valuation.value(valued));
  ctx.marks.take(valued, valuedAt, now());
  const totalUs = elapsedUs(t0, process.hrtime.bigint());
  // The trade's own warnings, shared with the reply unless this trade adds one.
  let warnings = trade.warnings;
  // The landing wait is the mode's point, not slowness: only the work around it counts.
  const workUs = totalUs - (landingWaitUs ?? 0);
  if (workUs / 1000 > ctx.slowExecutionMs) {
    warnings = [...warnings, `slow execution: ${(workUs / 1000).toFixed(1)} ms (threshold ${ctx.slowExecutionMs} ms)`];
    rlog.warn({ total_us: totalUs }, 'slow execution');
  }
  if (trade.status === 'FAILED_SLIPPAGE') rlog.warn({ slippage_bps: trade.slippageBps, tolerance_bps: d.toleranceBps }, 'fill worse than tolerance');
  if (metrics) {
    metrics.observeStage('validation', validationUs / 1e6);
    if (landingWaitUs !== undefined) metrics.observeStage('landing_wait', landingWaitUs / 1e6);
    metrics.observeStage('price_lookup', priceLookupUs / 1e6);
    metrics.observeStage('slippage', d.slippageUs / 1e6);
    metrics.observeStage('mev', d.mevUs / 1e6);
    metrics.observeStage('journal', journalUs / 1e6);
    metrics.observeStage('portfolio_update', portfolioUpdateUs / 1e6);
    metrics.observeStage('total', totalUs / 1e6);
    metrics.countTrade(trade.action, trade.status);
  }
  const timed: ExecutionMetrics = {
    totalUs,
    validationUs,
    priceLookupUs,
    slippageUs: d.slippageUs,
    mevUs: d.mevUs,
    portfolioUpdateUs,
    journalUs,
    cacheHit: fetch.cacheHit,
    priceFetchAttempts: fetch.attempts,
    priceSource: trade.priceSource,
  };
  const execMetrics: ExecutionMetrics = landingWaitUs === undefined ? timed : { ...timed, landingWaitUs };
  // Amounts in token units ("1.5 SOL"), as a client reads them; not even built when INFO is off.
  if (ctx.tradeLog.isLevelEnabled?.('info') !== false) {
    ctx.tradeLog.info(
      {
        request_id: request.requestId,
        trade_id: trade.tradeId,
        status: trade.status,
        action: trade.action,
        input: `${formatAmount(trade.inputAmount, trade.input.decimals)} ${trade.input.symbol}`,
        output: `${formatAmount(trade.outputAmount, trade.output.decimals)} ${trade.output.symbol}`,
        slippage_bps: trade.slippageBps,
        fee_lamports: trade.fees.total.toString(),
        total_us: totalUs,
      },
      'trade completed',
    );
  }
  return { requestId: request.requestId, trade, portfolio, metrics: execMetrics, warnings };
}
