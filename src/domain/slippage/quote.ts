import { add, max, ZERO } from '../ratio.js';
import type { SlippageModelFactory } from './model.js';
import { numberParam, rejectUnknownParams } from './params.js';
import { capFraction, formatBps, fractionFromBpsCeil, toBps } from './bps.js';

/**
 * The market's own price plus the measured gap between quote and fill.
 *
 * slippage = (quoted ? 0 : priceImpact) + driftBps x (1 - jitter + jitter x E),  E ~ Exp(1)
 *
 * A route quote's output already includes its price impact, so on a quoted trade (every SWAP) the
 * model adds only the drift: counting the impact again would charge it twice. A trade priced from two
 * USD prices has no impact in its price, so there the market's impact is added first. The drift term
 * is the third-party measurement of Jupiter fills landing about 5 bps under their quote on average:
 * its mean is exactly driftBps for any jitter; jitter spreads it (0 = always driftBps; 1 = exponential,
 * mostly small, now and then several times the mean). Exp(1) from a uniform in [0, 1) is at most
 * about 36.7, so the term is bounded. Set driftBps to 0 when the landing delay is on, which models
 * the same gap mechanically.
 */
export const quoteModel: SlippageModelFactory = {
  name: 'quote',
  description: 'the route quote (or market) price impact plus a drift term (params: driftBps 0-500, default 5; jitter 0-1, default 0.5)',
  create(params, field) {
    rejectUnknownParams(params, ['driftBps', 'jitter'], field);
    const driftBps = numberParam(params, 'driftBps', field, { min: 0, max: 500, default: 5 });
    const jitter = numberParam(params, 'jitter', field, { min: 0, max: 1, default: 0.5 });
    return {
      name: 'quote',
      apply(ctx) {
        const e = -Math.log(1 - ctx.rng.next());
        const drift = driftBps * (1 - jitter + jitter * e);
        const impact = ctx.quoted ? ZERO : max(ZERO, ctx.priceImpact);
        const fraction = capFraction(add(impact, fractionFromBpsCeil(drift)));
        const driftText = `drift ${formatBps(toBps(fractionFromBpsCeil(drift)))} (quote-to-fill gap, mean ${formatBps(driftBps)})`;
        const explanation = ctx.quoted
          ? `quote: route price already includes its ${formatBps(toBps(ctx.priceImpact))} impact; ${driftText}`
          : `quote: market impact ${formatBps(toBps(impact))} + ${driftText}`;
        return { fraction, explanation };
      },
    };
  },
};
