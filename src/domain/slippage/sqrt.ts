import { max, sub, toNumber, ZERO } from '../ratio.js';
import type { SlippageModelFactory } from './model.js';
import { numberParam, rejectUnknownParams } from './params.js';
import { capFraction, formatBps, formatUsd, fractionFromBpsCeil, toBps } from './bps.js';
import { resolveDepth } from './depth.js';
import { dailyFromAnnual, pairVolatility } from './volatility.js';

/**
 * Square-root market impact, the standard form in execution research (Almgren et al. 2005; Tóth et al.
 * 2011; Bouchaud's review): impact = k x sigma x sqrt(Q / V), with sigma the daily volatility, Q the
 * order size and V the daily volume. On an AMM aggregator the depth stands in for V:
 *
 *   s = k x sigma_daily x sqrt(tradeUsd / depthUsd)
 *
 * sigma_daily is the pair's annualised volatility (volatility.ts, or the `volatility` param) over
 * sqrt(365). k of order 1 is what equity and crypto studies fit (0.5-1.5). Concave in size: small
 * trades pay relatively more than cpmm says, large ones much less, which is how concentrated and
 * multi-pool liquidity behaves. As for cpmm, a quoted trade is charged only the excess over the route
 * quote's own impact.
 */
export const sqrtModel: SlippageModelFactory = {
  name: 'sqrt',
  description:
    'square-root impact k·σ_daily·sqrt(size/depth) (params: k 0-10, default 1; volatility 0-20 annualised, default 0 = by token class; depthUsd 0-1e12, default 0 = the market\'s)',
  create(params, field) {
    rejectUnknownParams(params, ['k', 'volatility', 'depthUsd'], field);
    const k = numberParam(params, 'k', field, { min: 0, max: 10, default: 1 });
    const volOverride = numberParam(params, 'volatility', field, { min: 0, max: 20, default: 0 });
    const depthOverride = numberParam(params, 'depthUsd', field, { min: 0, max: 1e12, default: 0 });
    return {
      name: 'sqrt',
      apply(ctx) {
        const { depthUsd, note } = resolveDepth(ctx, depthOverride);
        const annual = volOverride > 0 ? volOverride : pairVolatility(ctx.base.class, ctx.quote.class).annual;
        const sigma = dailyFromAnnual(annual);
        const size = Math.max(0, toNumber(ctx.tradeUsd));
        const impact = fractionFromBpsCeil(k * sigma * Math.sqrt(size / toNumber(depthUsd)) * 10_000);
        const charged = ctx.quoted ? max(ZERO, sub(impact, ctx.priceImpact)) : impact;
        const fraction = capFraction(charged);
        const head =
          `sqrt: ${k} x σ ${(sigma * 100).toFixed(2)} %/day x sqrt(${formatUsd(size)} / ${formatUsd(toNumber(depthUsd))})` +
          ` = ${formatBps(toBps(impact))}${note}`;
        const tail = ctx.quoted ? `; the route quote already priced ${formatBps(toBps(ctx.priceImpact))}, charged ${formatBps(toBps(fraction))}` : '';
        return { fraction, explanation: head + tail };
      },
    };
  },
};
