import type { Ratio } from '../ratio.js';
import type { JsonValue, TradeAction } from '../request.js';
import type { Rng } from '../rng.js';
import type { Token } from '../tokens.js';

/**
 * What a slippage model may look at. Everything is already known before the fill is computed, so a
 * model is a pure function of this context and its seeded random stream.
 */
export interface SlippageContext {
  readonly action: TradeAction;
  readonly input: Token;
  readonly output: Token;
  readonly base: Token;
  readonly quote: Token;
  /** USD size of the trade (the amount times its token's USD price). */
  readonly tradeUsd: Ratio;
  /** The market's own price impact for this size, as a fraction (from the route quote or pool depth). */
  readonly priceImpact: Ratio;
  /** Depth of the thinner side of the pair in USD, when the market knows it. */
  readonly liquidityUsd: Ratio | undefined;
  /** True when a route quote priced the trade (its output already includes the impact). */
  readonly quoted: boolean;
  readonly priorityFeeLamports: bigint;
  /** The model's own random stream, seeded from the trade's seed. */
  readonly rng: Rng;
}

export interface SlippageResult {
  /**
   * Slippage as a fraction of the expected price: BUY pays x(1+s), SELL gets x(1-s). Adverse (>= 0) for
   * every model but `empirical`, whose measured market moves may be favourable (< 0).
   */
  readonly fraction: Ratio;
  /** One line a user reads on the trade: why the fill came out as it did. */
  readonly explanation: string;
}

export interface SlippageModel {
  /** The spec name, e.g. "fixed". */
  readonly name: string;
  apply(ctx: SlippageContext): SlippageResult;
}

/**
 * Builds a model from user parameters. `create` validates every parameter and throws
 * INVALID_ARGUMENT naming `field.param` (e.g. "slippage_model.params.bps") when one is wrong.
 */
export interface SlippageModelFactory {
  readonly name: string;
  readonly description: string;
  create(params: Readonly<Record<string, JsonValue>>, field: string): SlippageModel;
}
