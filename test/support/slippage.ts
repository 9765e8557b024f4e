import { fromNumber, ZERO } from '../../src/domain/ratio.js';
import type { Ratio } from '../../src/domain/ratio.js';
import { createRng } from '../../src/domain/rng.js';
import type { Rng } from '../../src/domain/rng.js';
import { createTokenRegistry } from '../../src/domain/tokens.js';
import type { Token } from '../../src/domain/tokens.js';
import type { SlippageContext } from '../../src/domain/slippage/model.js';

/** Contexts for the slippage models' tests and the calibration bench: a pair, a size, a seed. */
const tokens = createTokenRegistry();
export const tokenOf = (symbol: string): Token => tokens.bySymbol(symbol);

export interface ContextOptions {
  readonly base?: string;
  readonly quote?: string;
  readonly tradeUsd?: number | Ratio;
  readonly priceImpact?: number | Ratio;
  /** Depth in USD; null for "the market does not know". */
  readonly liquidityUsd?: number | null;
  readonly quoted?: boolean;
  readonly priorityFeeLamports?: bigint;
  readonly seed?: bigint;
  readonly rng?: Rng;
}

const asRatio = (x: number | Ratio): Ratio => (typeof x === 'number' ? fromNumber(x) : x);

export function makeContext(o: ContextOptions = {}): SlippageContext {
  const base = tokenOf(o.base ?? 'SOL');
  const quote = tokenOf(o.quote ?? 'USDC');
  return {
    action: 'BUY',
    input: quote,
    output: base,
    base,
    quote,
    tradeUsd: asRatio(o.tradeUsd ?? 1_000),
    priceImpact: o.priceImpact === undefined ? ZERO : asRatio(o.priceImpact),
    liquidityUsd: o.liquidityUsd === null ? undefined : fromNumber(o.liquidityUsd ?? 600_000_000),
    quoted: o.quoted ?? false,
    priorityFeeLamports: o.priorityFeeLamports ?? 0n,
    rng: o.rng ?? createRng(o.seed ?? 1n, 'slippage'),
  };
}

/** An Rng that returns fixed draws, for hand-computed values. */
export function fixedRng(u: number, z = 0): Rng {
  return { next: () => u, normal: () => z, beta: () => 0.5 };
}
