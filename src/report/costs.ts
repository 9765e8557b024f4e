import { add, div, fromNumber, max, min, mul, ratio, sub, ZERO, type Ratio } from '../domain/ratio.js';
import type { Trade } from '../domain/trade.js';
import { solFromLamports, wholeTokens } from './usd.js';

/**
 * What realism cost, in exact USD. Every component is defined on one trade (docs/reports.md) and the
 * components of a trade add up to its total exactly, by construction: the price gap of a fill is split
 * into MEV, price impact and slippage with slippage taking the remainder, and fees are split by kind.
 */
export interface CostBreakdown {
  /** Signature fees (5,000 lamports each) of FILLED trades, at the SOL price of the trade. */
  readonly baseFeesUsd: Ratio;
  /** Priority fees of FILLED trades. */
  readonly priorityFeesUsd: Ratio;
  /** Token-account rent paid by FILLED trades that opened an account. */
  readonly rentUsd: Ratio;
  /** The part of the price gap (executed vs expected) that is neither price impact nor MEV; negative when a fill beat its expected price. */
  readonly slippageUsd: Ratio;
  /** The part of the price gap explained by the market's own price impact (BUY and SELL; a SWAP's impact is already in its expected price). */
  readonly priceImpactUsd: Ratio;
  /** The part of the price gap taken by a simulated sandwich attack. */
  readonly mevLossUsd: Ratio;
  /** All network fees of FAILED_SLIPPAGE and FAILED_MEV trades (they move no tokens, so they cost nothing else). */
  readonly failedTradeFeesUsd: Ratio;
  /** The sum of the seven components above. */
  readonly totalUsd: Ratio;
}

export const COST_COMPONENTS = [
  'baseFeesUsd',
  'priorityFeesUsd',
  'rentUsd',
  'slippageUsd',
  'priceImpactUsd',
  'mevLossUsd',
  'failedTradeFeesUsd',
] as const satisfies readonly (keyof CostBreakdown)[];

export type CostComponent = (typeof COST_COMPONENTS)[number];

export const NO_COSTS: CostBreakdown = {
  baseFeesUsd: ZERO,
  priorityFeesUsd: ZERO,
  rentUsd: ZERO,
  slippageUsd: ZERO,
  priceImpactUsd: ZERO,
  mevLossUsd: ZERO,
  failedTradeFeesUsd: ZERO,
  totalUsd: ZERO,
};

function withTotal(c: Omit<CostBreakdown, 'totalUsd'>): CostBreakdown {
  return { ...c, totalUsd: COST_COMPONENTS.reduce((sum, k) => add(sum, c[k]), ZERO) };
}

/** Component-wise sum; the total of the sum is the sum of the totals. */
export function sumCosts(list: Iterable<CostBreakdown>): CostBreakdown {
  let acc: Omit<CostBreakdown, 'totalUsd'> = NO_COSTS;
  for (const c of list) {
    acc = Object.fromEntries(COST_COMPONENTS.map((k) => [k, add(acc[k], c[k])])) as unknown as Omit<CostBreakdown, 'totalUsd'>;
  }
  return withTotal(acc);
}

/** A recorded bps double (slippage_bps, mev_impact_bps, price_impact_bps) as an exact fraction. */
const fractionOfBps = (bps: number): Ratio => mul(fromNumber(Number.isFinite(bps) ? bps : 0), ratio(1n, 10_000n));

/**
 * The price gap of a filled trade and the notional it is a fraction of, both in USD at the trade's own
 * quote-token price (the exact `inputs.quoteUsd` recorded with it).
 *
 * A trade that acquires base (BUY; SWAP paying quote) is worse the higher its executed price X is
 * against the expected price E, one that gives up base (SELL; SWAP paying base) the lower:
 *   gap = (X - E) x base  or  (E - X) x base   (base: whole base tokens the trade moved)
 * The fill applied an adverse fraction `a` to E (X = E(1+a) on a BUY, E(1-a) on a SELL and a SWAP of
 * base, E/(1-a) on a SWAP of quote), so gap = a x notional, with notional = E x base x quoteUsd, or
 * X x base x quoteUsd (the quote paid) on a SWAP of quote.
 */
export function priceGap(t: Trade): { readonly gapUsd: Ratio; readonly notionalUsd: Ratio } {
  const baseUnits = t.input.mint === t.base.mint ? t.inputAmount : t.outputAmount;
  const base = wholeTokens(baseUnits, t.base);
  const quoteUsd = t.inputs.quoteUsd;
  const acquiresBase = t.output.mint === t.base.mint;
  const perBase = acquiresBase ? sub(t.executedPrice, t.expectedPrice) : sub(t.expectedPrice, t.executedPrice);
  const notionalPrice = t.action === 'SWAP' && acquiresBase ? t.executedPrice : t.expectedPrice;
  return { gapUsd: mul(mul(perBase, base), quoteUsd), notionalUsd: mul(mul(notionalPrice, base), quoteUsd) };
}

/**
 * The costs of one trade. `solUsd` is SOL's USD price when the trade was booked (fees are paid in SOL).
 *
 * FILLED: fees by kind, and the price gap split as
 *   mevLoss     = m x notional, m = mev_impact_bps / 10^4 (the fraction the attack took)
 *   priceImpact = i x notional, i = max(0, min(price_impact_bps / 10^4, a - m)) on BUY/SELL, 0 on SWAP
 *   slippage    = gap - mevLoss - priceImpact
 * where a = gap / notional. The market's impact is counted only as far as the slippage model actually
 * charged it (a fixed model charging less than the impact is not billed the impact twice), and a SWAP's
 * impact is already inside the route quote's expected price, so it is not a cost on top of it.
 * FAILED_*: the whole network fee, and nothing else.
 */
export function tradeCosts(t: Trade, solUsd: Ratio): CostBreakdown {
  const usdOfLamports = (l: bigint): Ratio => mul(solFromLamports(l), solUsd);
  if (t.status !== 'FILLED') return withTotal({ ...NO_COSTS, failedTradeFeesUsd: usdOfLamports(t.fees.total) });
  const { gapUsd, notionalUsd } = priceGap(t);
  const m = max(ZERO, fractionOfBps(t.mevImpactBps));
  const mevLossUsd = mul(m, notionalUsd);
  let priceImpactUsd = ZERO;
  if (t.action !== 'SWAP' && notionalUsd.n > 0n) {
    const modelFraction = sub(div(gapUsd, notionalUsd), m);
    const i = max(ZERO, min(fractionOfBps(t.priceImpactBps), modelFraction));
    priceImpactUsd = mul(i, notionalUsd);
  }
  return withTotal({
    baseFeesUsd: usdOfLamports(t.fees.baseFee),
    priorityFeesUsd: usdOfLamports(t.fees.priorityFee),
    rentUsd: usdOfLamports(t.fees.rent),
    slippageUsd: sub(sub(gapUsd, mevLossUsd), priceImpactUsd),
    priceImpactUsd,
    mevLossUsd,
    failedTradeFeesUsd: ZERO,
  });
}
