import { pow10, ratio, toDecimalString, toNumber, type Ratio } from '../domain/ratio.js';
import type { Token } from '../domain/tokens.js';

/**
 * Units shared by the report: every USD figure is an exact Ratio of US dollars, turned into text only
 * at the edge by the two formatters below, each with its rounding named.
 */

/** Nano-USD (the ledger's unit) as exact USD. */
export const usdFromNano = (nano: bigint): Ratio => ratio(nano, 1_000_000_000n);

/** Base units of a token as whole tokens, exactly. */
export const wholeTokens = (units: bigint, token: Pick<Token, 'decimals'>): Ratio => ratio(units, pow10(token.decimals));

/** Lamports as whole SOL, exactly. */
export const solFromLamports = (lamports: bigint): Ratio => ratio(lamports, 1_000_000_000n);

/**
 * A value, a PnL or a return in USD as text, floored at `places` (default 6, as GetPortfolio's USD
 * strings): presentation rounding that never flatters the portfolio.
 */
export const formatUsd = (usd: Ratio, places = 6): string => toDecimalString(usd, places, 'floor');

/** A cost in USD as text, rounded up at `places` (default 6): a cost shown is never understated. */
export const formatCostUsd = (usd: Ratio, places = 6): string => toDecimalString(usd, places, 'ceil');

/**
 * A ratio as a float, for statistics that are real-valued by nature (returns, drawdown %, win rate).
 * Computed from exact values at the very end; never fed back into money.
 */
export const real = (r: Ratio): number => toNumber(r);
