import { landingDrift, parseLandingParams } from '../../src/domain/slippage/landing.js';
import { createSlippageRegistry } from '../../src/domain/slippage/registry.js';
import { createRng } from '../../src/domain/rng.js';
import { createTokenRegistry } from '../../src/domain/tokens.js';
import type { PipelineOptions } from '../../src/executor/pipeline.js';
import { landingAt, type OptionsFactory } from '../../src/fidelity/evaluate.js';

/**
 * Pipeline options for tests, built from the same domain parts as the composition root (which the
 * CLI uses; src/fidelity may not import it): the model under test as default, fees off.
 */
export const testOptions: OptionsFactory = (model, k): PipelineOptions => {
  const tokens = createTokenRegistry();
  const slippage = createSlippageRegistry();
  const landing = model.landing ? parseLandingParams(landingAt(model.landing, k), 'landing') : undefined;
  return {
    slippage,
    defaultSlippageModel: model.spec,
    defaultToleranceBps: 4_999,
    nearToleranceRatio: 0.8,
    fees: { signatureLamports: 0n, rentLamports: 0n, chargeRent: false },
    sol: tokens.sol,
    drift: landing
      ? ({ priced, request, seed }) => {
          const d = landingDrift({ input: priced.input, output: priced.output, priorityFeeLamports: request.priorityFee, rng: createRng(seed, 'landing') }, landing);
          return { fraction: d.driftFraction, explanation: d.explanation };
        }
      : undefined,
  };
};
