import { amount } from '../domain/amount.js';
import type { PortfolioState } from '../domain/ledger.js';
import type { UsdPrice } from '../domain/market.js';
import { nanoUsd } from '../domain/pricing.js';
import { floorDiv, formatScaled, pow10 } from '../domain/ratio.js';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import type { BalanceView, PortfolioSummary } from './types.js';

/**
 * nano-USD to a USD decimal string with 6 places, floored (display never flatters the portfolio):
 * floor(nano / 10^9 x 10^6) is floor(nano / 1000), one bigint division.
 */
export const usdString = (nano: bigint): string => formatScaled(floorDiv(nano, 1_000n), 6);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Values a portfolio at the given prices: balances in registry order, USD values, average cost,
 * realized and unrealized PnL, and the state's hash when given. Pure; tokens without a price are
 * shown at zero value.
 */
export function summarize(state: PortfolioState, tokens: TokenRegistry, prices: ReadonlyMap<Mint, UsdPrice>, priceSource: string, stateHash?: string): PortfolioSummary {
  const balances: BalanceView[] = [];
  let total = 0n;
  let unrealized = 0n;
  for (const token of tokens.all) {
    const p = state.positions.get(token.mint);
    if (!p || p.amount === 0n) continue;
    const price = prices.get(token.mint);
    const value = price ? nanoUsd(p.amount, token.decimals, price.usd) : 0n;
    total += value;
    unrealized += value - p.costNanoUsd;
    balances.push({
      token,
      amount: amount(p.amount),
      usdValue: usdString(value),
      // cost per whole token = cost / (amount / 10^d), in USD with 9 places
      avgCostUsd: formatScaled((p.costNanoUsd * pow10(token.decimals)) / p.amount, 9),
    });
  }
  const summary: Mutable<PortfolioSummary> = {
    portfolioId: state.portfolioId,
    balances,
    totalValueUsd: usdString(total),
    realizedPnlUsd: usdString(state.realizedPnlNanoUsd),
    unrealizedPnlUsd: usdString(unrealized),
    tradeCount: state.tradeCount,
    feesPaidLamports: state.feesPaidLamports,
    updatedAtMs: state.updatedAtMs,
    priceSource,
  };
  // Added in place rather than by copying the summary: this runs for every reply.
  if (stateHash !== undefined) summary.stateHash = stateHash;
  return summary;
}
