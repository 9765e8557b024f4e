import { amount, type Amount } from './amount.js';
import type { RouteQuote, UsdPrice } from './market.js';
import { add, ceil, div, floor, floorDiv, min, mul, mulInt, ONE, pow10, ratio, sub, ZERO, type Ratio } from './ratio.js';
import type { TradeRequest } from './request.js';
import type { Token } from './tokens.js';

/**
 * The trade before slippage: who pays what, at which expected price, how big it is. Pure: given the
 * same request and market data it is the same, which is what makes replay exact.
 */
export interface PricedTrade {
  readonly input: Token;
  readonly output: Token;
  /** Quote per one base, whole tokens. BUY/SELL: base_usd / quote_usd; SWAP: the route quote's rate. */
  readonly expectedPrice: Ratio;
  /** USD value of `amount` (the trade's size). */
  readonly tradeUsd: Ratio;
  /** USD value of what the trader gives, at market (cost basis of what they receive). */
  readonly inputUsdPrice: Ratio;
  /** Fraction; from the route quote for SWAP, from pool depth for BUY/SELL (0 when depth is unknown). */
  readonly priceImpact: Ratio;
  /** Depth of the thinner side of the pair, when known. */
  readonly liquidityUsd: Ratio | undefined;
}

export interface Fill {
  readonly inputAmount: Amount;
  readonly outputAmount: Amount;
  /** Quote per one base. */
  readonly executedPrice: Ratio;
}

/** The tokens a request pays and receives (DESIGN.md, semantics: amount and is_base_input). */
export function sides(r: Pick<TradeRequest, 'action' | 'base' | 'quote' | 'isBaseInput'>): { input: Token; output: Token } {
  switch (r.action) {
    case 'BUY':
      return { input: r.quote, output: r.base };
    case 'SELL':
      return { input: r.base, output: r.quote };
    case 'SWAP':
      return r.isBaseInput ? { input: r.base, output: r.quote } : { input: r.quote, output: r.base };
  }
}

/** Base units of `t` to whole tokens, as a ratio. */
const whole = (units: bigint, t: Token): Ratio => ratio(units, pow10(t.decimals));

export function priceTrade(r: TradeRequest, base: UsdPrice, quote: UsdPrice, routeQuote: RouteQuote | undefined): PricedTrade {
  const { input, output } = sides(r);
  const usdOf = (t: Token): Ratio => (t.mint === r.base.mint ? base.usd : quote.usd);
  const amountToken = r.isBaseInput ? r.base : r.quote;
  const tradeUsd = mul(whole(r.amount, amountToken), usdOf(amountToken));
  const liquidityUsd =
    base.liquidityUsd && quote.liquidityUsd ? min(base.liquidityUsd, quote.liquidityUsd) : (base.liquidityUsd ?? quote.liquidityUsd);

  if (r.action === 'SWAP') {
    if (!routeQuote) throw new Error('priceTrade: a SWAP needs a route quote');
    const inWhole = whole(routeQuote.inAmount, input);
    const outWhole = whole(routeQuote.outAmount, output);
    const expectedPrice = input.mint === r.base.mint ? div(outWhole, inWhole) : div(inWhole, outWhole);
    return { input, output, expectedPrice, tradeUsd, inputUsdPrice: usdOf(input), priceImpact: routeQuote.priceImpact, liquidityUsd };
  }
  return {
    input,
    output,
    expectedPrice: div(base.usd, quote.usd),
    tradeUsd,
    inputUsdPrice: usdOf(input),
    priceImpact: depthImpact(tradeUsd, liquidityUsd),
    liquidityUsd,
  };
}

/**
 * Price impact of a trade of `tradeUsd` on a constant-product pool whose total depth is `depthUsd`
 * (half of it on the input side): dx / (x + dx). Zero when the depth is unknown.
 */
export function depthImpact(tradeUsd: Ratio, depthUsd: Ratio | undefined): Ratio {
  if (!depthUsd || depthUsd.n <= 0n) return ZERO;
  const inputSide = ratio(depthUsd.n, depthUsd.d * 2n);
  return div(tradeUsd, add(inputSide, tradeUsd));
}

/**
 * Applies an adverse fraction `a` (slippage plus any MEV loss) and rounds every amount against the
 * trader: what they receive is floored, what they pay is ceiled, to the base unit.
 * BUY executes at expected x (1 + a), SELL at expected x (1 - a); a SWAP's output is reduced by a.
 */
export function fillTrade(r: TradeRequest, priced: PricedTrade, routeQuote: RouteQuote | undefined, a: Ratio): Fill {
  // Quote base units per base base-unit at a given price (quote per base, whole tokens).
  const unitRate = (p: Ratio): Ratio => mul(p, ratio(pow10(r.quote.decimals), pow10(r.base.decimals)));
  switch (r.action) {
    case 'BUY': {
      const executedPrice = mul(priced.expectedPrice, add(ONE, a));
      const rate = unitRate(executedPrice);
      return r.isBaseInput
        ? { inputAmount: amount(ceil(mulInt(rate, r.amount))), outputAmount: r.amount, executedPrice }
        : { inputAmount: r.amount, outputAmount: amount(floor(div(ratio(r.amount), rate))), executedPrice };
    }
    case 'SELL': {
      const executedPrice = mul(priced.expectedPrice, sub(ONE, a));
      const rate = unitRate(executedPrice);
      return r.isBaseInput
        ? { inputAmount: r.amount, outputAmount: amount(floor(mulInt(rate, r.amount))), executedPrice }
        : { inputAmount: amount(ceil(div(ratio(r.amount), rate))), outputAmount: r.amount, executedPrice };
    }
    case 'SWAP': {
      if (!routeQuote) throw new Error('fillTrade: a SWAP needs a route quote');
      const keep = sub(ONE, a);
      const outputAmount = amount(floor(mulInt(keep, routeQuote.outAmount)));
      // Selling base: fewer quote per base. Buying base with quote: more quote per base received.
      const executedPrice = r.isBaseInput ? mul(priced.expectedPrice, keep) : div(priced.expectedPrice, keep);
      return { inputAmount: r.amount, outputAmount, executedPrice };
    }
  }
}

/** USD value of `units` of a token priced at `usd` per whole token, in nano-USD, floored. */
export function nanoUsd(units: bigint, decimals: number, usd: Ratio): bigint {
  // floor(units x 10^9 / 10^decimals x usd), in one bigint division (it values every balance of every reply).
  return floorDiv(units * 1_000_000_000n * usd.n, pow10(decimals) * usd.d);
}

/** Basis points of a fraction, as the double the contract reports. */
export const toBps = (fraction: Ratio): number => Number((fraction.n * 10_000_000_000n) / fraction.d) / 1_000_000;
