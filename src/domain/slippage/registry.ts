import { invalidArgument } from '../errors.js';
import type { SlippageModelSpec } from '../request.js';
import { cpmmModel } from './cpmm.js';
import { fixedModel } from './fixed.js';
import type { SlippageModel, SlippageModelFactory } from './model.js';
import { quoteModel } from './quote.js';
import { randomModel } from './random.js';
import { sqrtModel } from './sqrt.js';

/** The models users choose by name, in the config or per request through `slippage_model`. */
export interface SlippageRegistry {
  readonly names: readonly string[];
  /** Builds the model for a spec; INVALID_ARGUMENT naming `field` for an unknown name or bad parameter. */
  create(spec: SlippageModelSpec, field: string): SlippageModel;
}

export const BUILTIN_MODELS: readonly SlippageModelFactory[] = [fixedModel, quoteModel, cpmmModel, sqrtModel, randomModel];

export function createSlippageRegistry(factories: readonly SlippageModelFactory[] = BUILTIN_MODELS): SlippageRegistry {
  const byName = new Map(factories.map((f) => [f.name, f]));
  // Built models are cached by their canonical spec: a model is immutable once built, and building
  // one validates parameters, which need not happen again for every trade.
  const cache = new Map<string, SlippageModel>();
  return {
    names: [...byName.keys()],
    create(spec, field) {
      const key = `${spec.name}:${JSON.stringify(spec.params, Object.keys(spec.params).sort())}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const factory = byName.get(spec.name);
      if (!factory) {
        throw invalidArgument(`${field}.name`, `unknown model ${JSON.stringify(spec.name.slice(0, 32))}; known: ${[...byName.keys()].join(', ')}`);
      }
      const model = factory.create(spec.params, field);
      if (cache.size < 1_000) cache.set(key, model);
      return model;
    },
  };
}
