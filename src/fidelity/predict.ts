import { amount, lamports } from '../domain/amount.js';
import { ExecutorError } from '../domain/errors.js';
import type { PortfolioState } from '../domain/ledger.js';
import type { RouteQuote, UsdPrice } from '../domain/market.js';
import { ONE, pow10, ratio, ZERO, type Ratio } from '../domain/ratio.js';
import type { TradeRequest } from '../domain/request.js';
import { buildTrade, draftTrade, type MarketSnapshot, type PipelineOptions } from '../executor/pipeline.js';
import { poolImpact, poolOutput, type ObservedTrade, type PoolState } from './trades.js';

/**
 * One paper fill for one real trade: the request a strategy would have sent, the route quote a live
 * quote would have returned on the (possibly stale) pool state, and then the executor's own steps
 * 4-8 (draftTrade + buildTrade), the code ExecuteTrade runs. Nothing here re-implements pricing or
 * slippage; this file only builds their inputs.
 */
export interface Prediction {
  /** Output the paper trade gives (0 when it fails). */
  readonly output: bigint;
  /** Why the paper trade would not have landed (slippage beyond tolerance, min_out), if so. */
  readonly failure: string | undefined;
}

/** The information a prediction is made from: a pool state, or (for quoted rows) the quote itself. */
export type Basis = { readonly kind: 'state'; readonly state: PoolState } | { readonly kind: 'quote' };

const EMPTY_PORTFOLIO: PortfolioState = {
  portfolioId: 'fidelity',
  positions: new Map(),
  accounts: new Set(),
  realizedPnlNanoUsd: 0n,
  feesPaidLamports: 0n,
  tradeCount: 0,
  sequence: 0,
  updatedAtMs: 0,
};

/** The route quote's output on `basis`, with no slippage model: the naive baseline. */
export function quotedOutput(t: ObservedTrade, basis: Basis): bigint {
  if (basis.kind === 'state') return poolOutput(t, basis.state);
  if (t.quotedOut === undefined) throw new Error('quotedOutput: a quote basis needs quoted_out');
  return t.quotedOut;
}

/** The request a strategy sends for `t`: a SWAP of exactly the input it paid. */
export function requestFor(t: ObservedTrade): TradeRequest {
  return {
    requestId: t.id,
    portfolioId: 'fidelity',
    action: 'SWAP',
    base: t.base,
    quote: t.quote,
    amount: amount(t.amountIn),
    isBaseInput: t.side === 'sell',
    slippageToleranceBps: t.slippageBps === undefined ? undefined : Math.min(4_999, t.slippageBps),
    priorityFee: lamports(t.priorityFeeLamports),
    simulateMev: false,
    maxPriceImpactBps: undefined,
    metadata: undefined,
    slippageModel: undefined,
    mevProtection: 'PUBLIC',
  };
}

/**
 * Market data as the executor would have seen it on `basis`. Prices are in units of the quote token
 * (1 quote token = 1 "USD"): every model reads sizes and depths as ratios, so the numeraire cancels.
 * Depth is both sides of the pool (2 x the quote reserve), which is how Jupiter reports liquidity.
 */
export function snapshotFor(t: ObservedTrade, basis: Basis): MarketSnapshot {
  const out = quotedOutput(t, basis);
  const bd = pow10(t.base.decimals);
  const qd = pow10(t.quote.decimals);
  let baseUsd: Ratio;
  let liquidity: Ratio | undefined;
  let impact = ZERO;
  if (basis.kind === 'state') {
    baseUsd = ratio(basis.state.quote * bd, basis.state.base * qd);
    liquidity = ratio(2n * basis.state.quote, qd);
    const i = poolImpact(t, basis.state);
    impact = ratio(i.n, i.d);
  } else {
    baseUsd = t.side === 'buy' ? ratio(t.amountIn * bd, out * qd) : ratio(out * bd, t.amountIn * qd);
  }
  const at = t.timeMs ?? 0;
  const price = (mint: ObservedTrade['base']['mint'], usd: Ratio): UsdPrice => ({
    mint,
    usd,
    liquidityUsd: liquidity,
    source: 'fidelity',
    observedAtMs: at,
  });
  const input = t.side === 'buy' ? t.quote : t.base;
  const output = t.side === 'buy' ? t.base : t.quote;
  const route: RouteQuote = {
    inputMint: input.mint,
    outputMint: output.mint,
    inAmount: amount(t.amountIn),
    outAmount: amount(out),
    swapMode: 'ExactIn',
    priceImpact: impact,
    route: [],
    source: 'fidelity',
    contextSlot: undefined,
  };
  return { base: price(t.base.mint, baseUsd), quote: price(t.quote.mint, ONE), route };
}

/** The paper fill of `t` on `basis` through the executor's pipeline with `opts`. */
export function predictFill(t: ObservedTrade, basis: Basis, opts: PipelineOptions, seed: bigint): Prediction {
  const request = requestFor(t);
  const market = snapshotFor(t, basis);
  let output: bigint;
  try {
    const draft = draftTrade(request, t.id, market, seed, opts);
    const trade = buildTrade(draft, EMPTY_PORTFOLIO, opts, t.timeMs ?? 0);
    if (trade.status !== 'FILLED') return { output: 0n, failure: trade.failureReason ?? trade.status };
    output = trade.outputAmount;
  } catch (e) {
    if (e instanceof ExecutorError) return { output: 0n, failure: e.message };
    throw e;
  }
  return belowMinOut(t, output) ?? { output, failure: undefined };
}

/** The baseline: the quote's output as the fill, with no slippage model. */
export function predictBaseline(t: ObservedTrade, basis: Basis): Prediction {
  const output = quotedOutput(t, basis);
  if (output === 0n) return { output: 0n, failure: 'the quote gives no output' };
  return belowMinOut(t, output) ?? { output, failure: undefined };
}

function belowMinOut(t: ObservedTrade, output: bigint): Prediction | undefined {
  if (t.minOut !== undefined && output < t.minOut) return { output: 0n, failure: `output ${output} below min_out ${t.minOut}: the swap would revert` };
  return undefined;
}
