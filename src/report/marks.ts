import type { Position } from '../domain/ledger.js';
import type { UsdPrice } from '../domain/market.js';
import { nanoUsd } from '../domain/pricing.js';
import { div, type Ratio } from '../domain/ratio.js';
import type { Mint, Token, TokenRegistry } from '../domain/tokens.js';
import { usdFromNano } from './usd.js';

/** One token held at a mark, with its value at the mark's price. */
export interface MarkHolding {
  readonly token: Token;
  /** Base units. */
  readonly amount: bigint;
  /** USD per whole token used for the value; undefined when no price was known (valued at zero). */
  readonly usdPrice: Ratio | undefined;
  /** amount x usdPrice, floored to the nano-USD (exactly as GetPortfolio values a balance). */
  readonly valueUsd: Ratio;
}

/** A price the mark was taken with, including tokens not held (the benchmark needs them). */
export interface MarkPrice {
  readonly mint: Mint;
  readonly usd: Ratio;
}

/**
 * A portfolio's mark-to-market value at one moment: what the equity curve is made of. Taken on every
 * booked trade (and reset) and periodically while the portfolio holds anything; storing marks is the
 * caller's business, this is the value type.
 */
export interface Mark {
  readonly portfolioId: string;
  /**
   * The ledger sequence the mark was taken after (PortfolioState.sequence): a mark taken right after
   * trade k has sequence k, so the trades between two marks are exactly those with a sequence in
   * (earlier.sequence, later.sequence], with no ambiguity between trades and marks of the same ms.
   */
  readonly sequence: number;
  readonly atMs: number;
  /** Non-zero balances, in registry order. */
  readonly holdings: readonly MarkHolding[];
  /** Every registry token that had a price, in registry order. */
  readonly prices: readonly MarkPrice[];
  /** Sum of the holdings' values: equal to GetPortfolio's total_value_usd before its 6-place floor. */
  readonly valueUsd: Ratio;
  /** SOL's USD price at the mark; undefined when SOL had no price. */
  readonly solUsd: Ratio | undefined;
  /** valueUsd / solUsd, exact; undefined without a SOL price. */
  readonly valueSol: Ratio | undefined;
}

/** What a mark needs of the portfolio: PortfolioState satisfies it. */
export interface MarkedPortfolio {
  readonly portfolioId: string;
  readonly sequence: number;
  readonly positions: ReadonlyMap<Mint, Pick<Position, 'amount'>>;
}

/**
 * Marks a portfolio at the given prices. Pure. Each holding is valued with the same function and the
 * same per-balance floor as the executor's portfolio summary (domain `nanoUsd`), so a mark's value is
 * the total value GetPortfolio reports at the same prices; a token without a price counts as zero there
 * too.
 */
export function computeMark(portfolio: MarkedPortfolio, tokens: TokenRegistry, prices: ReadonlyMap<Mint, Pick<UsdPrice, 'usd'>>, atMs: number): Mark {
  const holdings: MarkHolding[] = [];
  const used: MarkPrice[] = [];
  let totalNano = 0n;
  for (const token of tokens.all) {
    const price = prices.get(token.mint)?.usd;
    if (price) used.push({ mint: token.mint, usd: price });
    const units = portfolio.positions.get(token.mint)?.amount ?? 0n;
    if (units === 0n) continue;
    const nano = price ? nanoUsd(units, token.decimals, price) : 0n;
    totalNano += nano;
    holdings.push({ token, amount: units, usdPrice: price, valueUsd: usdFromNano(nano) });
  }
  const valueUsd = usdFromNano(totalNano);
  const solUsd = prices.get(tokens.sol.mint)?.usd;
  return {
    portfolioId: portfolio.portfolioId,
    sequence: portfolio.sequence,
    atMs,
    holdings,
    prices: used,
    valueUsd,
    solUsd,
    valueSol: solUsd && solUsd.n > 0n ? div(valueUsd, solUsd) : undefined,
  };
}

/**
 * The value of fixed balances at a mark's prices (the buy-and-hold benchmark), with the same per-balance
 * floor as computeMark. `prices` is the report's running price book (the latest known price per mint),
 * so a token a later mark no longer prices keeps its last price instead of dropping to zero.
 */
export function valueAt(balances: ReadonlyMap<Mint, { readonly token: Token; readonly amount: bigint }>, prices: ReadonlyMap<Mint, Ratio>): Ratio {
  let nano = 0n;
  for (const { token, amount } of balances.values()) {
    const p = prices.get(token.mint);
    if (p && amount !== 0n) nano += nanoUsd(amount, token.decimals, p);
  }
  return usdFromNano(nano);
}
