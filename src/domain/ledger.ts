import { formatAmount } from './amount.js';
import { ExecutorError } from './errors.js';
import { ceilDiv } from './ratio.js';
import type { Mint, Token } from './tokens.js';
import type { Trade } from './trade.js';

/**
 * The virtual portfolio as a ledger: state changes only by applying one event with one pure function.
 * Events are what the journal stores; replaying them from the start rebuilds the state exactly.
 * USD figures are nano-USD (10^-9 USD) bigints; cost basis is average cost.
 */
export interface Position {
  /** Base units. */
  readonly amount: bigint;
  /** Average-cost basis of the whole position, nano-USD. */
  readonly costNanoUsd: bigint;
}

export interface PortfolioState {
  readonly portfolioId: string;
  readonly positions: ReadonlyMap<Mint, Position>;
  /** Tokens with an open token account (held at start, or rent paid): no rent is due for them. */
  readonly accounts: ReadonlySet<Mint>;
  readonly realizedPnlNanoUsd: bigint;
  readonly feesPaidLamports: bigint;
  readonly tradeCount: number;
  /** Number of events applied; the next trade's sequence is sequence + 1. */
  readonly sequence: number;
  readonly updatedAtMs: number;
}

export interface StartingBalance {
  readonly mint: Mint;
  readonly amount: bigint;
  /** Cost basis at the market price of the moment, nano-USD. */
  readonly costNanoUsd: bigint;
}

export type LedgerEvent =
  | {
      readonly kind: 'portfolio_created' | 'portfolio_reset';
      readonly portfolioId: string;
      readonly atMs: number;
      readonly balances: readonly StartingBalance[];
    }
  | { readonly kind: 'trade'; readonly portfolioId: string; readonly atMs: number; readonly trade: Trade };

/** Applies one event. Throws INSUFFICIENT_BALANCE (and changes nothing) if a balance would go negative. */
export function applyEvent(state: PortfolioState | undefined, event: LedgerEvent, sol: Token): PortfolioState {
  if (event.kind !== 'trade') {
    const positions = new Map<Mint, Position>();
    for (const b of event.balances) positions.set(b.mint, { amount: b.amount, costNanoUsd: b.costNanoUsd });
    return {
      portfolioId: event.portfolioId,
      positions,
      accounts: new Set(event.balances.filter((b) => b.amount > 0n).map((b) => b.mint)),
      realizedPnlNanoUsd: 0n,
      feesPaidLamports: 0n,
      tradeCount: 0,
      sequence: (state?.sequence ?? 0) + 1,
      updatedAtMs: event.atMs,
    };
  }
  if (!state) throw new Error(`ledger: trade for portfolio ${event.portfolioId} before it was created`);
  const t = event.trade;
  const positions = new Map(state.positions);
  let realized = state.realizedPnlNanoUsd;

  // Disposing of `units` removes their share of the cost basis, rounded up: realized PnL is never flattered.
  const dispose = (token: Token, units: bigint, why: string): bigint => {
    const p = positions.get(token.mint) ?? { amount: 0n, costNanoUsd: 0n };
    if (p.amount < units) {
      throw new ExecutorError(
        'INSUFFICIENT_BALANCE',
        `insufficient ${token.symbol}: ${why} needs ${formatAmount(units, token.decimals)}, the portfolio has ${formatAmount(p.amount, token.decimals)}`,
        { token: token.symbol },
      );
    }
    const removed = p.amount === 0n ? 0n : ceilDiv(p.costNanoUsd * units, p.amount);
    positions.set(token.mint, { amount: p.amount - units, costNanoUsd: p.costNanoUsd - removed });
    return removed;
  };

  const filled = t.status === 'FILLED';
  const fee = t.fees.total;
  if (filled && t.input.mint === sol.mint) {
    // One check for input and fee together, so the message states the whole need.
    const have = positions.get(sol.mint)?.amount ?? 0n;
    if (have < t.inputAmount + fee) {
      throw new ExecutorError(
        'INSUFFICIENT_BALANCE',
        `insufficient SOL: the trade needs ${formatAmount(t.inputAmount, 9)} plus ${formatAmount(fee, 9)} in fees, the portfolio has ${formatAmount(have, 9)}`,
        { token: 'SOL' },
      );
    }
  }
  realized -= dispose(sol, fee, 'the network fee');
  let accounts = state.accounts;
  if (filled) {
    realized += t.inputValueNanoUsd - dispose(t.input, t.inputAmount, 'the trade');
    const out = positions.get(t.output.mint) ?? { amount: 0n, costNanoUsd: 0n };
    positions.set(t.output.mint, { amount: out.amount + t.outputAmount, costNanoUsd: out.costNanoUsd + t.inputValueNanoUsd });
    if (!accounts.has(t.output.mint)) accounts = new Set(accounts).add(t.output.mint);
  }
  return {
    portfolioId: state.portfolioId,
    positions,
    accounts,
    realizedPnlNanoUsd: realized,
    feesPaidLamports: state.feesPaidLamports + fee,
    tradeCount: state.tradeCount + 1,
    sequence: state.sequence + 1,
    updatedAtMs: event.atMs,
  };
}
