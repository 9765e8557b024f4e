import { ExecutorError } from '../domain/errors.js';
import { add, cmp, div, mul, ratio, sub, ZERO, type Ratio } from '../domain/ratio.js';
import type { Mint, Token } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import type { Mark } from './marks.js';
import { real, usdFromNano } from './usd.js';

/**
 * Average-cost accounting over a report's range, exact. It mirrors the ledger (domain/ledger.ts): the
 * starting holdings cost what they were worth at the start mark, a fee disposes of SOL at its average
 * cost, a filled trade disposes of its input at average cost for the trade's recorded input value and
 * adds that value to the cost of its output. Unlike the ledger, the cost removed is not rounded to the
 * nano-USD, so realized + unrealized = end value - start value holds exactly.
 */

export interface BookPosition {
  readonly token: Token;
  /** Base units. */
  readonly amount: bigint;
  /** Average-cost basis of the whole position, USD. */
  readonly costUsd: Ratio;
}

/** What one trade realized: the change it made to realized PnL (fee included). */
export interface TradePnl<T extends Trade = Trade> {
  readonly trade: T;
  readonly realizedUsd: Ratio;
  /**
   * True for a FILLED trade whose input is not a stablecoin: it closes (part of) a position. Spending a
   * stablecoin opens one; its PnL is still realized, but it is not a close for win rate or profit factor.
   */
  readonly closes: boolean;
}

export interface PositionReplay<T extends Trade = Trade> {
  readonly positions: ReadonlyMap<Mint, BookPosition>;
  readonly realizedByToken: ReadonlyMap<Mint, Ratio>;
  readonly trades: readonly TradePnl<T>[];
}

/** Win rate and profit factor over closing trades. */
export interface CloseStats {
  readonly count: number;
  /** Closes with a realized PnL above zero. */
  readonly wins: number;
  /** Closes with a realized PnL below zero. */
  readonly losses: number;
  /** wins / count; undefined without closes. */
  readonly winRate: number | undefined;
  readonly grossProfitUsd: Ratio;
  /** Sum of the losing closes' losses, as a positive amount. */
  readonly grossLossUsd: Ratio;
  /** grossProfit / grossLoss; undefined when nothing was lost (no finite value to show). */
  readonly profitFactor: number | undefined;
}

const mismatch = (field: string, problem: string): ExecutorError =>
  new ExecutorError('REPORT_UNAVAILABLE', `${field}: ${problem}`, { field });

/** Replays `trades` (in sequence order) on the holdings of `start`, on average cost. */
export function replayPositions<T extends Trade>(start: Mark, trades: readonly T[], sol: Token): PositionReplay<T> {
  const positions = new Map<Mint, BookPosition>();
  for (const h of start.holdings) positions.set(h.token.mint, { token: h.token, amount: h.amount, costUsd: h.valueUsd });
  const realizedByToken = new Map<Mint, Ratio>();
  const realize = (token: Token, usd: Ratio): void => {
    realizedByToken.set(token.mint, add(realizedByToken.get(token.mint) ?? ZERO, usd));
  };

  /** Removes `units` at average cost; returns the cost removed. */
  const dispose = (token: Token, units: bigint, t: Trade): Ratio => {
    const p = positions.get(token.mint) ?? { token, amount: 0n, costUsd: ZERO };
    if (p.amount < units) {
      throw mismatch('trades', `trade ${t.tradeId} (sequence ${t.sequence}) spends more ${token.symbol} than the marks show the portfolio held`);
    }
    const removed = p.amount === 0n ? ZERO : div(mul(p.costUsd, ratio(units)), ratio(p.amount));
    positions.set(token.mint, { token, amount: p.amount - units, costUsd: sub(p.costUsd, removed) });
    return removed;
  };

  const out: TradePnl<T>[] = [];
  for (const t of trades) {
    const feeCost = dispose(sol, t.fees.total, t);
    realize(sol, sub(ZERO, feeCost));
    let realized = sub(ZERO, feeCost);
    const filled = t.status === 'FILLED';
    if (filled) {
      const value = usdFromNano(t.inputValueNanoUsd);
      const gain = sub(value, dispose(t.input, t.inputAmount, t));
      realize(t.input, gain);
      realized = add(realized, gain);
      const o = positions.get(t.output.mint) ?? { token: t.output, amount: 0n, costUsd: ZERO };
      positions.set(t.output.mint, { token: t.output, amount: o.amount + t.outputAmount, costUsd: add(o.costUsd, value) });
    }
    out.push({ trade: t, realizedUsd: realized, closes: filled && t.input.class !== 'stable' });
  }
  return { positions, realizedByToken, trades: out };
}

/** Win rate and profit factor of the closing trades among `pnl`. */
export function closeStats(pnl: readonly TradePnl[]): CloseStats {
  let count = 0;
  let wins = 0;
  let losses = 0;
  let profit = ZERO;
  let loss = ZERO;
  for (const p of pnl) {
    if (!p.closes) continue;
    count++;
    const sign = cmp(p.realizedUsd, ZERO);
    if (sign > 0) {
      wins++;
      profit = add(profit, p.realizedUsd);
    } else if (sign < 0) {
      losses++;
      loss = sub(loss, p.realizedUsd);
    }
  }
  return {
    count,
    wins,
    losses,
    winRate: count === 0 ? undefined : wins / count,
    grossProfitUsd: profit,
    grossLossUsd: loss,
    profitFactor: loss.n === 0n ? undefined : real(div(profit, loss)),
  };
}
