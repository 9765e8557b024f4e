import type { TokenClass } from '../tokens.js';

/**
 * Volatility by token class: the one place the slippage models and the landing delay read it from.
 *
 * Two horizons, two numbers, because they are measured differently:
 * - `annual`: annualised volatility of daily returns (the square-root impact law's sigma is a daily
 *   figure derived from it). The same figures the simulated market's walk uses
 *   (src/market/sim-market-reference.ts; the domain may not import it): SOL and LSTs 60 %, mid caps
 *   (JUP, JTO, RAY) 90 %, established memecoins (BONK, WIF) 150 %; stables a depeg-risk floor.
 * - `perSlotBps`: the standard deviation of the price move over ONE slot (400 ms), in bps. Scaling the
 *   annual figure down by sqrt(time) understates it badly (SOL: 0.6 / sqrt(78.9M slots a year) = 0.7 bps):
 *   at sub-second horizons, pool prices move in jumps as arbitrage, oracle-driven and CLMM tick
 *   crossings land (the "volatility signature" of high-frequency returns). Calibrated instead so that
 *   the landing delay reproduces the measured quote-to-fill gap: SOL/USDC mean adverse drift about
 *   2 bps at zero priority fee, inside Jupiter's measured 2-14 bps natural slippage, and realized fills
 *   a few bps under quote. Memecoins: 15 bps a slot is a middle figure; pump.fun bonding-curve tokens
 *   measured in reference/live-trades move 260-730 bps RMS a slot, so raise `volatilityScale` for them.
 */
export interface ClassVolatility {
  /** Annualised volatility, as a fraction (0.8 = 80 %). */
  readonly annual: number;
  /** One-slot standard deviation, in bps. */
  readonly perSlotBps: number;
}

export const CLASS_VOLATILITY: Readonly<Record<TokenClass, ClassVolatility>> = {
  stable: { annual: 0.01, perSlotBps: 0.1 },
  major: { annual: 0.6, perSlotBps: 3 },
  mid: { annual: 0.9, perSlotBps: 6 },
  meme: { annual: 1.5, perSlotBps: 15 },
};

export const SLOT_MS = 400;
export const DAYS_PER_YEAR = 365;

/**
 * A pair's volatility is the larger of its two legs'. Solana tokens co-move with SOL (correlation
 * 0.5-0.8), under which the pair's volatility sits near the riskier leg's; summing squares would
 * assume independence and overstate SOL-quoted pairs, the smaller leg alone would understate them.
 */
export function pairVolatility(a: TokenClass, b: TokenClass): ClassVolatility {
  const va = CLASS_VOLATILITY[a];
  const vb = CLASS_VOLATILITY[b];
  return { annual: Math.max(va.annual, vb.annual), perSlotBps: Math.max(va.perSlotBps, vb.perSlotBps) };
}

/** Daily volatility from an annualised figure (calendar days: crypto trades every day). */
export function dailyFromAnnual(annual: number): number {
  return annual / Math.sqrt(DAYS_PER_YEAR);
}
