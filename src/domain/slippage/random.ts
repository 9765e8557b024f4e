import type { SlippageModelFactory } from './model.js';
import { invalidArgument } from '../errors.js';
import { numberParam, rejectUnknownParams } from './params.js';
import { formatBps, fractionFromBpsCeil, toBps } from './bps.js';

/**
 * Seeded noise around a base, for strategies that must survive variance rather than one number:
 *
 *   s = baseBps + spreadBps x (2u - 1),  u ~ U[0, 1) from the trade's slippage stream
 *
 * uniform on [baseBps - spreadBps, baseBps + spreadBps], so bounded on both sides, and never below 0
 * (spread may not exceed base: a favourable fill would break "always adverse"). Independent of size
 * on purpose: combine with a depth model's numbers by choosing base and spread from the calibration
 * table. The same seed gives the same draw.
 */
export const randomModel: SlippageModelFactory = {
  name: 'random',
  description: 'uniform seeded noise in [base - spread, base + spread] bps (params: baseBps 0-4999, default 10; spreadBps 0-baseBps, default 10)',
  create(params, field) {
    rejectUnknownParams(params, ['baseBps', 'spreadBps'], field);
    const baseBps = numberParam(params, 'baseBps', field, { min: 0, max: 4_999, default: 10 });
    const spreadBps = numberParam(params, 'spreadBps', field, { min: 0, max: 4_999, default: Math.min(10, baseBps) });
    if (spreadBps > baseBps) throw invalidArgument(`${field}.params.spreadBps`, `must not exceed baseBps (${baseBps}): slippage is never favourable`);
    if (baseBps + spreadBps > 4_999) throw invalidArgument(`${field}.params.spreadBps`, 'baseBps + spreadBps must not exceed 4999');
    return {
      name: 'random',
      apply(ctx) {
        const u = ctx.rng.next();
        const fraction = fractionFromBpsCeil(baseBps + spreadBps * (2 * u - 1));
        return { fraction, explanation: `random: ${formatBps(toBps(fraction))} drawn uniformly from ${formatBps(baseBps - spreadBps)} to ${formatBps(baseBps + spreadBps)}` };
      },
    };
  },
};
