import { ONE, ratio, sub } from '../domain/ratio.js';
import type { Ratio } from '../domain/ratio.js';

/**
 * Constant-product (x * y = k) pool arithmetic in base units, exact bigint. The fee is taken from the
 * input, as Raydium and Orca's classic pools do. Every result is rounded against the trader: what they
 * receive is floored, what they pay is ceiled.
 */

const BPS = 10_000n;

/** Output for exactly `amountIn` paid in: floor(rOut * a' / (rIn + a')), a' = a * (1 - fee). */
export function cpmmExactIn(reserveIn: bigint, reserveOut: bigint, amountIn: bigint, feeBps: bigint): bigint {
  const inAfterFee = amountIn * (BPS - feeBps);
  return (reserveOut * inAfterFee) / (reserveIn * BPS + inAfterFee);
}

/**
 * Smallest input that yields at least `amountOut`: ceil(rIn * b / ((rOut - b) * (1 - fee))).
 * Undefined when the pool cannot pay `amountOut` at any price (b >= rOut).
 */
export function cpmmExactOut(reserveIn: bigint, reserveOut: bigint, amountOut: bigint, feeBps: bigint): bigint | undefined {
  if (amountOut >= reserveOut) return undefined;
  const num = reserveIn * amountOut * BPS;
  const den = (reserveOut - amountOut) * (BPS - feeBps);
  return (num + den - 1n) / den;
}

/**
 * Price impact of one hop as a fraction, fees excluded (as Jupiter's priceImpactPct): the shortfall of
 * the pool's average rate against its mid rate, a' / (rIn + a') for the hop's actual input a.
 * Returned as its complement, the fraction of the mid rate the trader keeps, so hops multiply.
 */
export function hopRateKept(reserveIn: bigint, amountIn: bigint, feeBps: bigint): Ratio {
  const inAfterFee = amountIn * (BPS - feeBps);
  return ratio(reserveIn * BPS, reserveIn * BPS + inAfterFee);
}

/** Route impact from the product of each hop's kept fraction: 1 - prod(kept). */
export const impactFromKept = (kept: Ratio): Ratio => sub(ONE, kept);
