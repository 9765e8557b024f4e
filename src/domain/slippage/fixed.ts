import { fromBps } from '../ratio.js';
import type { SlippageModelFactory } from './model.js';
import { numberParam, rejectUnknownParams } from './params.js';

/** The MVP model: the same adverse slippage for every trade, whatever its size. */
export const fixedModel: SlippageModelFactory = {
  name: 'fixed',
  description: 'a constant adverse slippage in bps (params: bps, 0-4999, default 100)',
  create(params, field) {
    rejectUnknownParams(params, ['bps'], field);
    const bps = numberParam(params, 'bps', field, { min: 0, max: 4_999, default: 100, integer: true });
    const fraction = fromBps(bps);
    const explanation = `fixed ${bps} bps`;
    return { name: 'fixed', apply: () => ({ fraction, explanation }) };
  },
};
