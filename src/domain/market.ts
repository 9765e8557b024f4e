import type { Amount } from './amount.js';
import type { Ratio } from './ratio.js';
import type { Mint } from './tokens.js';

/**
 * Market data as it travels inward, already validated at the boundary by whichever source produced
 * it: a price here is positive and finite, an amount is a bigint.
 */
export interface UsdPrice {
  readonly mint: Mint;
  /** USD per one whole token; > 0. */
  readonly usd: Ratio;
  /** Pool depth in USD (Jupiter's `liquidity`, or the simulated market's depth), when known. */
  readonly liquidityUsd: Ratio | undefined;
  /** Which source produced it, e.g. "sim", "jupiter:https://api.jup.ag". */
  readonly source: string;
  /** When the source produced it (ms since epoch). */
  readonly observedAtMs: number;
}

export type SwapMode = 'ExactIn' | 'ExactOut';

export interface QuoteRequest {
  readonly inputMint: Mint;
  readonly outputMint: Mint;
  /** Base units of the input (ExactIn) or the output (ExactOut). */
  readonly amount: Amount;
  readonly swapMode: SwapMode;
  readonly slippageBps: number;
}

export interface RouteHop {
  readonly label: string;
  readonly inputMint: string;
  readonly outputMint: string;
  readonly inAmount: bigint;
  readonly outAmount: bigint;
  readonly percent: number;
}

/** A route quote: what the market would give for the amount, before slippage. */
export interface RouteQuote {
  readonly inputMint: Mint;
  readonly outputMint: Mint;
  readonly inAmount: Amount;
  /** After AMM and platform fees, before slippage. */
  readonly outAmount: Amount;
  readonly swapMode: SwapMode;
  /** Price impact as a fraction (0.0001 = 1 bp); >= 0. */
  readonly priceImpact: Ratio;
  readonly route: readonly RouteHop[];
  readonly source: string;
  readonly contextSlot: number | undefined;
}
