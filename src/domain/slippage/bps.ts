import { ceil, fromBps, min, mul, ratio, ZERO } from '../ratio.js';
import type { Ratio } from '../ratio.js';

/**
 * Every model's ceiling, in bps. Just under 50 %: the request's tolerance must stay below 5,000 bps,
 * and a fill priced at half the market is no longer "slippage" but a broken market.
 */
export const MAX_SLIPPAGE_BPS = 4_999;
export const MAX_SLIPPAGE: Ratio = fromBps(MAX_SLIPPAGE_BPS);

/** Granularity of every model's output: 1e-6 bps, i.e. a fraction with denominator 10^10. */
const GRANULES = 10_000_000_000n;
const MICRO_BPS_PER_BP = 1_000_000;

/**
 * A float bps figure (the output of sqrt, exp, a random draw) as an exact fraction, rounded UP to
 * 1e-6 bps (against the trader) and capped at MAX_SLIPPAGE_BPS. Negative input becomes 0: models
 * are adverse-only. Float noise below one part in 10^9 of the value (0.1 + 0.2 style) is not
 * rounded up, so hand-computed values stay exact; every other fraction of a granule is.
 */
export function fractionFromBpsCeil(bps: number): Ratio {
  if (Number.isNaN(bps)) throw new RangeError('fractionFromBpsCeil: NaN');
  if (bps <= 0) return ZERO;
  if (bps >= MAX_SLIPPAGE_BPS) return MAX_SLIPPAGE;
  const x = bps * MICRO_BPS_PER_BP;
  const nearest = Math.round(x);
  const units = Math.abs(x - nearest) <= 1e-9 * x ? nearest : Math.ceil(x);
  return ratio(BigInt(units), GRANULES);
}

/** An exact fraction rounded UP to 1e-6 bps and capped: keeps every model's output on one grid. */
export function capFraction(f: Ratio): Ratio {
  if (f.n <= 0n) return ZERO;
  const rounded = ratio(ceil(mul(f, ratio(GRANULES))), GRANULES);
  return min(rounded, MAX_SLIPPAGE);
}

/** bps of a fraction, as a float for explanations and reports only. */
export function toBps(f: Ratio): number {
  return Number((f.n * 10_000n * 1_000_000n) / f.d) / 1_000_000;
}

/** "5.4 bps", "0.0012 bps": enough digits for a human to check the arithmetic. */
export function formatBps(bps: number): string {
  if (bps === 0) return '0 bps';
  const digits = bps >= 1 ? 2 : bps >= 0.01 ? 4 : 6;
  return `${Number(bps.toFixed(digits))} bps`;
}

/** "$600M", "$3M", "$1.5k", "$100". */
export function formatUsd(usd: number): string {
  const fmt = (x: number): string => `${Number(x.toPrecision(3))}`;
  if (usd >= 1e9) return `$${fmt(usd / 1e9)}B`;
  if (usd >= 1e6) return `$${fmt(usd / 1e6)}M`;
  if (usd >= 1e3) return `$${fmt(usd / 1e3)}k`;
  return `$${fmt(usd)}`;
}
