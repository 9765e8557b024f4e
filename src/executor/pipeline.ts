import { hash } from 'node:crypto';
import { amount } from '../domain/amount.js';
import { ExecutorError, invalidArgument } from '../domain/errors.js';
import { networkFee, type FeeSchedule } from '../domain/fees.js';
import type { PortfolioState } from '../domain/ledger.js';
import type { RouteQuote, UsdPrice } from '../domain/market.js';
import { fillTrade, nanoUsd, priceTrade, toBps, type PricedTrade } from '../domain/pricing.js';
import { add, cmp, fromBps, reduced, reducedShared, ZERO, type Ratio } from '../domain/ratio.js';
import type { SlippageModelSpec, TradeRequest, TradeStatus } from '../domain/request.js';
import { createRng } from '../domain/rng.js';
import type { SlippageModel } from '../domain/slippage/model.js';
import type { SlippageRegistry } from '../domain/slippage/registry.js';
import type { Token } from '../domain/tokens.js';
import { NO_MEV, type MevOutcome, type Trade, type TradeInputs, type TradeLanding } from '../domain/trade.js';
import type { LandingTimeOptions } from './landing-stage.js';
import type { Log } from './ports.js';

/**
 * Steps 4-8 of the pipeline (DESIGN.md, data flow) as pure functions of the request, the market data,
 * the seed and the portfolio's state. The executor calls them live; replay calls them on the inputs
 * recorded with each trade, which is why a replay reproduces a trade exactly: it is the same code.
 */

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

/** The MEV simulation as the pipeline uses it (step 6); a failure here never fails the trade. */
export type MevEvaluator = (ctx: MevContext) => MevVerdict;

/** An extra adverse drift applied after the slippage model (the landing delay). */
export type DriftEvaluator = (ctx: { readonly request: TradeRequest; readonly priced: PricedTrade; readonly seed: bigint }) => {
  readonly fraction: Ratio;
  readonly explanation: string;
};

export interface PipelineOptions {
  readonly slippage: SlippageRegistry;
  readonly defaultSlippageModel: SlippageModelSpec;
  /** Applied when a request carries no slippage_tolerance_bps. */
  readonly defaultToleranceBps: number;
  /** Warn when slippage reaches this share of the tolerance. */
  readonly nearToleranceRatio: number;
  readonly fees: FeeSchedule;
  readonly sol: Token;
  readonly mev?: MevEvaluator | undefined;
  readonly drift?: DriftEvaluator | undefined;
  /** Landing-time pricing (execution.pricing, execution.slotMs, the slot model); absent = immediate only. */
  readonly landingTime?: LandingTimeOptions | undefined;
}

/** The market data one trade is priced on. */
export interface MarketSnapshot {
  readonly base: UsdPrice;
  readonly quote: UsdPrice;
  /** The route quote, for a SWAP. */
  readonly route: RouteQuote | undefined;
}

/** A trade decided but not yet booked: everything but what depends on the portfolio (rent, sequence). */
export interface Draft {
  readonly request: TradeRequest;
  readonly fingerprint: string;
  readonly priced: PricedTrade;
  readonly market: MarketSnapshot;
  readonly status: TradeStatus;
  readonly failureReason: string | undefined;
  readonly slippage: Ratio;
  readonly slippageExplanation: string;
  readonly modelSpec: SlippageModelSpec;
  readonly toleranceBps: number;
  readonly mev: MevOutcome;
  readonly mevLoss: Ratio;
  /** The MEV simulator threw; the trade went on without MEV impact (counted as a side failure). */
  readonly mevFailed: boolean;
  readonly seed: bigint;
  readonly warnings: readonly string[];
  /** Microseconds spent in the slippage and MEV stages. */
  readonly slippageUs: number;
  readonly mevUs: number;
  /** A landing-time trade's timing, carried onto the trade. */
  readonly landing?: TradeLanding | undefined;
}

const elapsedUs = (from: bigint, to: bigint): number => Number((to - from) / 1000n);

/** The configured default model, built once per pipeline rather than looked up on every trade. */
const defaults = new WeakMap<PipelineOptions, SlippageModel>();
function defaultModel(opts: PipelineOptions): SlippageModel {
  let m = defaults.get(opts);
  if (!m) {
    m = opts.slippage.create(opts.defaultSlippageModel, 'config.slippage.model');
    defaults.set(opts, m);
  }
  return m;
}

/**
 * Steps 4-7: expected price, slippage model (and landing drift), MEV, guards. Throws
 * PRICE_IMPACT_TOO_HIGH (before any fee) and INVALID_ARGUMENT for a bad model; a fill worse than the
 * tolerance or a reverted attack is a FAILED_* status, not an error.
 */
export function draftTrade(request: TradeRequest, fingerprint: string, market: MarketSnapshot, seed: bigint, opts: PipelineOptions, log?: Log): Draft {
  const t0 = process.hrtime.bigint();
  const priced = priceTrade(request, market.base, market.quote, market.route);
  const tolerance = request.slippageToleranceBps ?? opts.defaultToleranceBps;
  const modelSpec = request.slippageModel ?? opts.defaultSlippageModel;
  const model = request.slippageModel ? opts.slippage.create(modelSpec, 'slippage_model') : defaultModel(opts);
  const slipped = model.apply({
    action: request.action,
    input: priced.input,
    output: priced.output,
    base: request.base,
    quote: request.quote,
    tradeUsd: priced.tradeUsd,
    priceImpact: priced.priceImpact,
    liquidityUsd: priced.liquidityUsd,
    quoted: market.route !== undefined,
    priorityFeeLamports: request.priorityFee,
    rng: createRng(seed, 'slippage'),
  });
  let slippage = slipped.fraction;
  let slippageExplanation = slipped.explanation;
  // Priced at landing, the market has already moved over the delay: no modelled drift on top.
  if (opts.drift && request.executionPricing !== 'LANDING') {
    const drift = opts.drift({ request, priced, seed });
    slippage = add(slippage, drift.fraction);
    slippageExplanation = `${slippageExplanation}; ${drift.explanation}`;
  }
  const t1 = process.hrtime.bigint();

  // Step 7 (guards) before MEV: a live client would not even send a trade above its impact limit.
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
  } else if (tolerance > 0 && slippageBps >= tolerance * opts.nearToleranceRatio) {
    warnings.push(`slippage ${slippageBps.toFixed(2)} bps is close to the tolerance of ${tolerance} bps`);
  }

  // Step 6: MEV, only on request, only on a trade that would land.
  let mev = NO_MEV;
  let mevLoss = ZERO;
  let mevFailed = false;
  if (request.simulateMev && status === 'FILLED') {
    if (!opts.mev) {
      warnings.push('MEV simulation was requested but is not enabled on this server');
    } else {
      try {
        const verdict = opts.mev({ request, priced, slippage, tolerance: toleranceFraction, seed });
        mev = verdict.outcome;
        mevLoss = verdict.lossFraction;
        warnings.push(...verdict.warnings);
        if (mev.reverted) {
          status = 'FAILED_MEV';
          failureReason = 'a simulated sandwich attack made the swap revert';
        }
        if (mev.attacked) log?.warn({ loss_usd: mev.lossUsd, reverted: mev.reverted }, 'simulated sandwich attack');
      } catch (err) {
        mevFailed = true;
        log?.error({ err }, 'MEV simulation failed; the trade continues without MEV impact');
        warnings.push('MEV simulation failed; the trade was executed without MEV impact');
      }
    }
  }
  const t2 = process.hrtime.bigint();
  if (impactBps > 100) warnings.push(`price impact ${impactBps.toFixed(2)} bps: consider splitting the trade`);
  if (market.base.source === 'sim') warnings.push('prices are simulated (market: sim), not live market prices');
  return {
    request,
    fingerprint,
    priced,
    market,
    status,
    failureReason,
    slippage,
    slippageExplanation,
    modelSpec,
    toleranceBps: tolerance,
    mev,
    mevLoss,
    mevFailed,
    seed,
    warnings,
    slippageUs: elapsedUs(t0, t1),
    mevUs: elapsedUs(t1, t2),
  };
}

/** Step 8: the trade record, given the portfolio's state (rent depends on its open token accounts). */
export function buildTrade(d: Draft, state: PortfolioState, opts: PipelineOptions, atMs: number): Trade {
  const r = d.request;
  const fill = fillTrade(r, d.priced, d.market.route, add(d.slippage, d.mevLoss));
  const { input, output } = d.priced;
  if (fill.outputAmount === 0n || fill.inputAmount === 0n) {
    throw invalidArgument('amount', `too small: the trade would ${fill.outputAmount === 0n ? 'receive' : 'pay'} less than one base unit`);
  }
  const filled = d.status === 'FILLED';
  const opensAccount = filled && output.mint !== opts.sol.mint && !state.accounts.has(output.mint);
  const fees = networkFee(opts.fees, r.priorityFee, opensAccount);
  const { base, quote, route } = d.market;
  const inputs: TradeInputs = {
    amount: r.amount,
    isBaseInput: r.isBaseInput,
    maxPriceImpactBps: r.maxPriceImpactBps,
    fingerprint: d.fingerprint,
    // The market's price objects are shared by every trade priced from one cache entry: reduced
    // once, so each trade records the same object and the journal writes its text from memory.
    baseUsd: reducedShared(base.usd),
    quoteUsd: reducedShared(quote.usd),
    baseLiquidityUsd: base.liquidityUsd && reducedShared(base.liquidityUsd),
    quoteLiquidityUsd: quote.liquidityUsd && reducedShared(quote.liquidityUsd),
    priceSource: base.source,
    quote: route && {
      inAmount: route.inAmount,
      outAmount: route.outAmount,
      priceImpact: reduced(route.priceImpact),
      route: route.route,
      source: route.source,
    },
    slippageModel: d.modelSpec,
    slippageToleranceBps: d.toleranceBps,
    priorityFee: r.priorityFee,
    simulateMev: r.simulateMev,
    mevProtection: r.mevProtection,
  };
  const trade: Trade = {
    tradeId: tradeIdOf(r.portfolioId, r.requestId),
    requestId: r.requestId,
    portfolioId: r.portfolioId,
    sequence: state.sequence + 1,
    action: r.action,
    status: d.status,
    base: r.base,
    quote: r.quote,
    input,
    output,
    inputAmount: fill.inputAmount,
    outputAmount: filled ? fill.outputAmount : amount(0n),
    expectedPrice: d.priced.expectedPrice,
    executedPrice: fill.executedPrice,
    slippageBps: toBps(d.slippage),
    mevImpactBps: toBps(d.mevLoss),
    priceImpactBps: toBps(d.priced.priceImpact),
    fees,
    executedAtMs: atMs,
    priceSource: base.source,
    mev: d.mev,
    slippageModel: d.modelSpec.name,
    slippageExplanation: d.slippageExplanation,
    seed: d.seed,
    route: route?.route ?? [],
    failureReason: d.failureReason,
    inputValueNanoUsd: nanoUsd(fill.inputAmount, input.decimals, d.priced.inputUsdPrice),
    inputs,
    warnings: d.warnings,
  };
  // Landing timing and metadata only on the trades that have them (copied then; most trades have neither).
  if (d.landing === undefined && r.metadata === undefined) return trade;
  return {
    ...trade,
    ...(d.landing === undefined ? {} : { landing: d.landing }),
    ...(r.metadata === undefined ? {} : { metadata: r.metadata }),
  };
}

/** A stable id for the trade of (portfolio, request_id): the same request always names the same trade. */
export function tradeIdOf(portfolioId: string, requestId: string): string {
  const h = hash('sha256', `${portfolioId}\u0000${requestId}`, 'hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The request a recorded trade was executed for. */
export function recordedRequest(t: Trade): TradeRequest {
  return {
    requestId: t.requestId,
    portfolioId: t.portfolioId,
    action: t.action,
    base: t.base,
    quote: t.quote,
    amount: t.inputs.amount,
    isBaseInput: t.inputs.isBaseInput,
    slippageToleranceBps: t.inputs.slippageToleranceBps,
    priorityFee: t.inputs.priorityFee,
    simulateMev: t.inputs.simulateMev,
    maxPriceImpactBps: t.inputs.maxPriceImpactBps,
    metadata: undefined,
    slippageModel: t.inputs.slippageModel,
    mevProtection: t.inputs.mevProtection,
    ...(t.landing === undefined ? {} : { executionPricing: t.landing.pricing }),
  };
}

/** The market data a recorded trade was priced on. */
export function recordedMarket(t: Trade): MarketSnapshot {
  const i = t.inputs;
  const usd = (token: Token, price: Ratio, liquidity: Ratio | undefined): UsdPrice => ({
    mint: token.mint,
    usd: price,
    liquidityUsd: liquidity,
    source: i.priceSource,
    observedAtMs: t.executedAtMs,
  });
  const { input, output } = t;
  return {
    base: usd(t.base, i.baseUsd, i.baseLiquidityUsd),
    quote: usd(t.quote, i.quoteUsd, i.quoteLiquidityUsd),
    route: i.quote && {
      inputMint: input.mint,
      outputMint: output.mint,
      inAmount: i.quote.inAmount,
      outAmount: i.quote.outAmount,
      swapMode: 'ExactIn',
      priceImpact: i.quote.priceImpact,
      route: i.quote.route,
      source: i.quote.source,
      contextSlot: undefined,
    },
  };
}
