import { add, cmp, div, fromNumber, max, mul, sub, toNumber, ZERO } from '../ratio.js';
import type { SlippageModelFactory } from './model.js';
import { numberParam, rejectUnknownParams } from './params.js';
import { capFraction, formatBps, formatUsd, toBps } from './bps.js';
import { resolveDepth } from './depth.js';

/**
 * Constant-product pool maths (x * y = k) on the pair's depth, computed exactly.
 *
 * Putting Δ (USD) into a pool whose input-side reserve is R (USD) returns y * Δ / (R + Δ) instead of
 * the mid-price amount y * Δ / R: the average fill is worse by
 *
 *   s = Δ / (R + Δ),   R = depth x reserveShare
 *
 * (the same s for ExactOut sized by the value received, to first order). Depth is the thinner side's
 * USD liquidity (Jupiter's `liquidity`, or the simulated market's depth); a token's liquidity counts
 * both sides of its pools, so by default the reserve facing the trade is half of it. s is 0 at zero
 * size, rises with size and stays below 1 (capped at 4,999 bps).
 *
 * On a quoted trade the route's output already carries the real impact; the model then charges only
 * what cpmm says beyond it, max(0, s - priceImpact), so the fill ends at max(real impact, cpmm).
 */
export const cpmmModel: SlippageModelFactory = {
  name: 'cpmm',
  description:
    'constant-product pool impact Δ/(R+Δ) on the pair depth (params: reserveShare 0.01-1, default 0.5; depthUsd 0-1e12, default 0 = the market\'s)',
  create(params, field) {
    rejectUnknownParams(params, ['reserveShare', 'depthUsd'], field);
    const reserveShare = numberParam(params, 'reserveShare', field, { min: 0.01, max: 1, default: 0.5 });
    const depthOverride = numberParam(params, 'depthUsd', field, { min: 0, max: 1e12, default: 0 });
    const share = fromNumber(reserveShare);
    return {
      name: 'cpmm',
      apply(ctx) {
        const { depthUsd, note } = resolveDepth(ctx, depthOverride);
        const size = max(ZERO, ctx.tradeUsd);
        const reserve = mul(depthUsd, share);
        const impact = div(size, add(reserve, size));
        const charged = ctx.quoted ? max(ZERO, sub(impact, ctx.priceImpact)) : impact;
        const fraction = capFraction(charged);
        const head = `cpmm: ${formatUsd(toNumber(size))} into a ${formatUsd(toNumber(reserve))} reserve moves the price ${formatBps(toBps(impact))}${note}`;
        const tail = !ctx.quoted
          ? ''
          : cmp(impact, ctx.priceImpact) > 0
            ? `; the route quote already priced ${formatBps(toBps(ctx.priceImpact))}, charged the rest`
            : `; the route quote already priced ${formatBps(toBps(ctx.priceImpact))}, nothing more charged`;
        return { fraction, explanation: head + tail };
      },
    };
  },
};
