import { fromNumber, isPositive } from '../ratio.js';
import type { Ratio } from '../ratio.js';
import type { TokenClass } from '../tokens.js';
import { formatUsd } from './bps.js';
import type { SlippageContext } from './model.js';

/**
 * Depth to assume when the market does not report one (a Jupiter price without `liquidity`).
 * Deliberately thinner than typical, so a missing figure costs the trader rather than flatters him:
 * SOL/USDC aggregates well over $500M across pools, mid caps a few $M to tens of $M.
 */
export const FALLBACK_DEPTH_USD: Readonly<Record<TokenClass, number>> = {
  stable: 200_000_000,
  major: 100_000_000,
  mid: 2_000_000,
  meme: 1_000_000,
};

export interface ResolvedDepth {
  readonly depthUsd: Ratio;
  /** Empty when the market's own figure was used; otherwise says where the depth came from. */
  readonly note: string;
}

/**
 * The depth a depth-based model uses: an override from the model's params (> 0), else the market's
 * depth of the thinner side, else the thinner of the two classes' fallbacks (named in the note).
 */
export function resolveDepth(ctx: SlippageContext, overrideUsd: number): ResolvedDepth {
  if (overrideUsd > 0) return { depthUsd: fromNumber(overrideUsd), note: ` (depth ${formatUsd(overrideUsd)} from params)` };
  if (ctx.liquidityUsd !== undefined && isPositive(ctx.liquidityUsd)) return { depthUsd: ctx.liquidityUsd, note: '' };
  const base = FALLBACK_DEPTH_USD[ctx.base.class];
  const quote = FALLBACK_DEPTH_USD[ctx.quote.class];
  const fallback = Math.min(base, quote);
  const cls = base <= quote ? ctx.base.class : ctx.quote.class;
  return {
    depthUsd: fromNumber(fallback),
    note: ` (market depth unknown: assumed ${formatUsd(fallback)}, the ${cls}-class fallback)`,
  };
}
