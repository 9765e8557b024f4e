import { formatAmount } from '../domain/amount.js';
import { ExecutorError } from '../domain/errors.js';
import { applyEvent, type LedgerEvent } from '../domain/ledger.js';
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
import type { Ledger } from './ledger.js';
import type { ExecutorMetricsSink, Log, PriceFreshness, PriceProvider, Stage, TradeRecorder } from './ports.js';
import type { Feed } from './trade-feed.js';
import type { ExecutionMetrics, TradeResult } from './types.js';
import type { Valuation } from './valuation.js';

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
  readonly now: () => number;
  readonly slowExecutionMs: number;
  readonly recorder?: TradeRecorder | undefined;
  readonly metrics?: ExecutorMetricsSink | undefined;
}

/** What the trade's change decided: the trade booked (with its portfolio's creation), or the one booked before. */
type Booking = { readonly trade: Trade; readonly created: LedgerEvent | undefined } | { readonly duplicate: Trade };

const elapsedUs = (from: bigint, to: bigint): number => Number((to - from) / 1000n);

/**
 * The trade's logger, with its request_id: made only when something is logged through it (a warning,
 * an error, a debug line that is on), since most trades log nothing but their two INFO lines, which
 * carry the request_id themselves.
 */
function requestLog(log: Log, requestId: string): Log {
  let child: Log | undefined;
  const get = (): Log => (child ??= log.child({ request_id: requestId }));
  return {
    debug: (obj, msg) => {
      if (log.isLevelEnabled?.('debug') !== false) get().debug(obj, msg);
    },
    info: (obj, msg) => get().info(obj, msg),
    warn: (obj, msg) => get().warn(obj, msg),
    error: (obj, msg) => get().error(obj, msg),
    child: (bindings) => get().child(bindings),
    isLevelEnabled: (level) => log.isLevelEnabled?.(level) ?? true,
  };
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
  const [usd, quoteLookup] = await Promise.all([
    ctx.valuation.usdPrices([request.base.mint, request.quote.mint], freshness),
    quoteRequest ? ctx.prices.getQuote(quoteRequest) : Promise.resolve(undefined),
  ]);
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
  const timings: Partial<Record<Stage, number>> = { validation: validationUs };
  const rlog = requestLog(ctx.log, asked.requestId);
  const seed = deriveSeed(ctx.seed, asked.requestId);
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
  const fetch = await priceRequest(ctx, request, landing === undefined ? undefined : { notBeforeMs: landing.sentAtMs + landing.delayMs });
  timings.price_lookup = elapsedUs(tPrice, process.hrtime.bigint());
  const drafted = draftTrade(request, fingerprint, fetch.market, seed, pipeline, rlog);
  const d = landing === undefined ? drafted : { ...drafted, landing };
  timings.slippage = d.slippageUs;
  timings.mev = d.mevUs;
  if (d.mevFailed) metrics?.countSideFailure('mev');

  // Under the portfolio's lock: the trade is built on its current state and booked (with the
  // portfolio's creation when it is its first), all or nothing: a trade refused (insufficient
  // balance, the cap) leaves no portfolio behind.
  let tLock = 0n;
  let tJournal = 0n;
  const changed = await ctx.ledger.change<Booking>(
    request.portfolioId,
    async (state, booked) => {
      if (booked) return { events: [], value: { duplicate: booked } };
      tLock = process.hrtime.bigint();
      let base = state;
      let created: LedgerEvent | undefined;
      if (!base) {
        created = await ctx.creationEvent(request.portfolioId);
        base = applyEvent(undefined, created, sol);
      }
      const trade = buildTrade(d, base, pipeline, now());
      const event: LedgerEvent = { kind: 'trade', portfolioId: request.portfolioId, atMs: trade.executedAtMs, trade };
      tJournal = process.hrtime.bigint();
      return { events: created ? [created, event] : [event], value: { trade, created } };
    },
    { requestId: request.requestId, signal },
  );
  const booking = changed.value;
  // Booked before (on another executor sharing the ledger, or an answer lost with its connection).
  if ('duplicate' in booking) return ctx.duplicate(request, fingerprint, booking.duplicate);
  const { trade, created } = booking;
  const tDone = process.hrtime.bigint();
  timings.journal = elapsedUs(tJournal, tDone);
  timings.portfolio_update = elapsedUs(tLock, tJournal);
  const [first] = changed.states;
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
  // The reply's valuation, of the state this trade left; the trade's mark reuses its prices.
  const valued = changed.states.at(-1);
  if (!valued) throw new ExecutorError('INTERNAL', `trade ${trade.tradeId} was booked without a state`);
  const { summary: portfolio, prices: valuedAt } = await ctx.valuation.value(valued, fetch.prices);
  ctx.marks.take(valued, valuedAt, now());
  const totalUs = elapsedUs(t0, process.hrtime.bigint());
  timings.total = totalUs;
  const warnings = [...trade.warnings];
  // The landing wait is the mode's point, not slowness: only the work around it counts.
  const workUs = totalUs - (timings.landing_wait ?? 0);
  if (workUs / 1000 > ctx.slowExecutionMs) {
    warnings.push(`slow execution: ${(workUs / 1000).toFixed(1)} ms (threshold ${ctx.slowExecutionMs} ms)`);
    rlog.warn({ total_us: totalUs }, 'slow execution');
  }
  if (trade.status === 'FAILED_SLIPPAGE') rlog.warn({ slippage_bps: trade.slippageBps, tolerance_bps: d.toleranceBps }, 'fill worse than tolerance');
  if (metrics) for (const [stage, us] of Object.entries(timings)) metrics.observeStage(stage as Stage, us / 1e6);
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
  // Amounts in token units ("1.5 SOL"), as a client reads them.
  ctx.log.info(
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
  return { requestId: request.requestId, trade, portfolio, metrics: execMetrics, warnings };
}
