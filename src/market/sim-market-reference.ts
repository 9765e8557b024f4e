import type { Token, TokenClass } from '../domain/tokens.js';

/**
 * Calibration of the simulated market: where each token's price starts and reverts to, how deep its
 * pool is and what the pool charges. These are model parameters, not money: floats are fine here,
 * every price leaves the simulator as an exact Ratio and every amount as a bigint.
 *
 * Levels are rounded 2025 market levels (SOL, USDC and JUP from the Jupiter Price v3 fixtures in
 * reference/jupiter); depths are the order of magnitude Jupiter reports as `liquidity`.
 */
export interface SimTokenReference {
  /** USD price at the walk's epoch, and the level the mean-reverting walk returns to. */
  readonly usd: number;
  /** Depth in USD of the token's pool against USDC (both sides together); reported as liquidityUsd. */
  readonly liquidityUsd: number;
  /** Fee of that pool in basis points. USDC has no pool of its own (its only pool is SOL/USDC). */
  readonly poolFeeBps: number;
  /**
   * Liquid staking tokens: the price is SOL's walk times a tight walk of their own (the stake rate
   * drifting), so mSOL/SOL stays near its peg instead of wandering like an unrelated asset.
   */
  readonly tracks?: 'SOL';
}

/** Per-token calibration, keyed by registry symbol (the 24 tokens of src/domain/token-list.ts). */
export const SIM_REFERENCE: Readonly<Record<string, SimTokenReference>> = {
  SOL: { usd: 147.48, liquidityUsd: 621_679_197, poolFeeBps: 4 },
  USDC: { usd: 1, liquidityUsd: 522_175_174, poolFeeBps: 4 },
  USDT: { usd: 1, liquidityUsd: 180_000_000, poolFeeBps: 1 },
  JUP: { usd: 0.85, liquidityUsd: 3_036_749, poolFeeBps: 25 },
  BONK: { usd: 0.00002, liquidityUsd: 12_000_000, poolFeeBps: 25 },
  WIF: { usd: 0.8, liquidityUsd: 10_000_000, poolFeeBps: 25 },
  JTO: { usd: 2, liquidityUsd: 5_000_000, poolFeeBps: 25 },
  RAY: { usd: 2.5, liquidityUsd: 15_000_000, poolFeeBps: 25 },
  PYTH: { usd: 0.15, liquidityUsd: 4_000_000, poolFeeBps: 25 },
  mSOL: { usd: 184, liquidityUsd: 40_000_000, poolFeeBps: 4, tracks: 'SOL' },
  JitoSOL: { usd: 180, liquidityUsd: 120_000_000, poolFeeBps: 4, tracks: 'SOL' },
  JupSOL: { usd: 170, liquidityUsd: 30_000_000, poolFeeBps: 4, tracks: 'SOL' },
  bSOL: { usd: 175, liquidityUsd: 15_000_000, poolFeeBps: 4, tracks: 'SOL' },
  JLP: { usd: 4.5, liquidityUsd: 60_000_000, poolFeeBps: 10 },
  ORCA: { usd: 2.2, liquidityUsd: 3_000_000, poolFeeBps: 25 },
  POPCAT: { usd: 0.35, liquidityUsd: 6_000_000, poolFeeBps: 50 },
  MEW: { usd: 0.003, liquidityUsd: 5_000_000, poolFeeBps: 50 },
  BOME: { usd: 0.0015, liquidityUsd: 3_000_000, poolFeeBps: 100 },
  W: { usd: 0.08, liquidityUsd: 2_000_000, poolFeeBps: 25 },
  RENDER: { usd: 3.5, liquidityUsd: 3_000_000, poolFeeBps: 25 },
  HNT: { usd: 3, liquidityUsd: 4_000_000, poolFeeBps: 25 },
  KMNO: { usd: 0.06, liquidityUsd: 2_000_000, poolFeeBps: 25 },
  DRIFT: { usd: 0.6, liquidityUsd: 2_000_000, poolFeeBps: 25 },
  TNSR: { usd: 0.15, liquidityUsd: 1_000_000, poolFeeBps: 25 },
};

/** Fallback for a token a custom registry adds without calibration: so every registry token is priced. */
export const SIM_CLASS_DEFAULTS: Readonly<Record<TokenClass, SimTokenReference>> = {
  stable: { usd: 1, liquidityUsd: 50_000_000, poolFeeBps: 1 },
  major: { usd: 100, liquidityUsd: 50_000_000, poolFeeBps: 5 },
  mid: { usd: 1, liquidityUsd: 2_000_000, poolFeeBps: 25 },
  meme: { usd: 0.001, liquidityUsd: 500_000, poolFeeBps: 100 },
};

/**
 * Annualised volatility of the log price per class. Per 1-second step the walk's shock has standard
 * deviation vol / sqrt(seconds per year).
 */
export const SIM_CLASS_VOLATILITY: Readonly<Record<TokenClass, number>> = {
  stable: 0.01,
  major: 0.6,
  mid: 0.9,
  meme: 1.5,
};

/**
 * Mean-reversion half-life per class, in seconds. Two days keeps intraday moves realistic while the
 * stationary spread stays bounded (major ~4 %, mid ~6 %, meme ~9 % one-sigma), so long runs never drift
 * off; stables snap back within the hour like a peg.
 */
export const SIM_CLASS_HALF_LIFE_S: Readonly<Record<TokenClass, number>> = {
  stable: 3_600,
  major: 2 * 86_400,
  mid: 2 * 86_400,
  meme: 2 * 86_400,
};

export function simReferenceFor(token: Token): SimTokenReference {
  return SIM_REFERENCE[token.symbol] ?? SIM_CLASS_DEFAULTS[token.class];
}
