import type { MevParams, MevRegime } from '../domain/mev/params.js';
import { simulateSandwich } from '../domain/mev/simulator.js';
import { fromNumber, min, mul, ONE, sub, toDecimalString, toNumber, ZERO } from '../domain/ratio.js';
import { createRng } from '../domain/rng.js';
import type { TokenClass } from '../domain/tokens.js';
import type { MevEvaluator } from './pipeline.js';

const CLASS_RISK: Readonly<Record<TokenClass, number>> = { stable: 0, major: 1, mid: 2, meme: 3 };

/**
 * Step 6: the calibrated sandwich model (domain/mev) applied to a priced, slipped trade. The pair's
 * asset class is its riskier token's (a memecoin paired with SOL trades like a memecoin).
 */
export function createMevEvaluator(params: MevParams, regime: MevRegime): MevEvaluator {
  return ({ request, priced, slippage, tolerance, seed }) => {
    const assetClass = CLASS_RISK[request.base.class] >= CLASS_RISK[request.quote.class] ? request.base.class : request.quote.class;
    const sim = simulateSandwich(
      {
        tradeUsd: toNumber(priced.tradeUsd),
        tolerance: toNumber(tolerance),
        drift: toNumber(slippage),
        inputDepthUsd: priced.liquidityUsd ? toNumber(priced.liquidityUsd) / 2 : undefined,
        priceImpact: priced.liquidityUsd ? undefined : toNumber(priced.priceImpact),
        protection: request.mevProtection,
        assetClass,
        regime,
        priorityFeeLamports: request.priorityFee,
        rng: createRng(seed, 'mev'),
      },
      params,
    );
    // The model's loss is a fraction of the no-attack output, (1 - s) of the expected; the fill applies
    // adverse fractions to the expected price, so scale it, and never past the unused tolerance (min out).
    const slack = sub(tolerance, slippage);
    const loss = sim.lossFraction > 0 && slack.n > 0n ? min(slack, mul(fromNumber(sim.lossFraction), sub(ONE, slippage))) : ZERO;
    return {
      outcome: {
        simulated: true,
        attackProbability: sim.probability,
        attacked: sim.attacked,
        reverted: sim.reverted,
        // Most trades are not attacked: their zero loss is "0" without the arithmetic.
        lossUsd: loss.n === 0n ? '0' : toDecimalString(mul(loss, priced.tradeUsd), 6, 'ceil'),
        riskLevel: sim.riskLevel,
      },
      lossFraction: loss,
      warnings: sim.warnings,
    };
  };
}

