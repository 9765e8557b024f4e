/**
 * Reports on the wire: GetReportRequest in, PortfolioReport out. Exact report values become the
 * contract's decimal strings at 6 places, each rounding against the portfolio (report/usd.ts): values,
 * returns in USD and PnL are floored; costs, losses and drawdowns in USD are rounded up. Values in SOL
 * have 9 places (one lamport), floored. Token amounts are exact in token units.
 */
import { formatAmount } from '../domain/amount.js';
import { invalidArgument } from '../domain/errors.js';
import { toDecimalString, type Ratio } from '../domain/ratio.js';
import type { ReportQuery } from '../executor/types.js';
import type { CostBreakdown } from '../report/costs.js';
import type { CloseStats } from '../report/positions.js';
import { groupKey, type PortfolioReport, type TradeCounts } from '../report/report.js';
import { formatCostUsd, formatUsd } from '../report/usd.js';
import type {
  CloseStatsMessage,
  CostBreakdownMessage,
  GetReportRequestMessage,
  PortfolioReportMessage,
  TimestampMessage,
  TradeCountsMessage,
} from '../contract/index.js';
import { timestampFromMs, tokenRefToWire } from './mapping.js';

/** Fraction digits of values in SOL: one lamport. */
export const SOL_PLACES = 9;
/** Most equity points a client may ask for (max_points): 20,000 points is about 2 MB on the wire. */
export const MAX_REPORT_POINTS = 20_000;

/** Largest instant a Timestamp may hold: 9999-12-31T23:59:59Z (the well-known type's own bound). */
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;

/** A Timestamp as ms since the epoch (floored); undefined when absent; INVALID_ARGUMENT naming the field when out of the well-known type's range. */
export function msFromTimestamp(t: TimestampMessage | null | undefined, field: string): number | undefined {
  if (t === null || t === undefined) return undefined;
  let seconds: bigint;
  try {
    seconds = BigInt(t.seconds);
  } catch {
    throw invalidArgument(field, `seconds ${JSON.stringify(t.seconds)} is not a whole number`);
  }
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) {
    throw invalidArgument(field, `seconds ${String(seconds)} is outside 0001-01-01..9999-12-31`);
  }
  if (!Number.isInteger(t.nanos) || t.nanos < 0 || t.nanos > 999_999_999) {
    throw invalidArgument(field, `nanos ${String(t.nanos)} is outside 0..999999999`);
  }
  return Number(seconds) * 1000 + Math.floor(t.nanos / 1_000_000);
}

/**
 * The decoded GetReportRequest as the executor's query, checked: each timestamp in range, `from` not
 * after `to`, the group key, max_points 0 (the default) or 4..MAX_REPORT_POINTS. Every error is
 * INVALID_ARGUMENT naming the field; nothing is read before the request is known to be good.
 */
export function reportQueryFromWire(m: GetReportRequestMessage): { portfolioId: string; query: ReportQuery } {
  const fromMs = msFromTimestamp(m.from, 'from');
  const toMs = msFromTimestamp(m.to, 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
    throw invalidArgument('from', `${new Date(fromMs).toISOString()} is after to (${new Date(toMs).toISOString()})`);
  }
  const groupBy = groupKey(typeof m.groupBy === 'string' ? m.groupBy : '');
  const points = typeof m.maxPoints === 'number' ? m.maxPoints : 0;
  if (points !== 0 && (points < 4 || points > MAX_REPORT_POINTS)) {
    throw invalidArgument('max_points', `must be 0 (the default, 2000) or 4..${MAX_REPORT_POINTS}, got ${points}`);
  }
  return {
    portfolioId: typeof m.portfolioId === 'string' ? m.portfolioId : '',
    query: { fromMs, toMs, groupBy, maxPoints: points === 0 ? undefined : points },
  };
}

/** A float statistic for a proto3 optional double: absent when undefined or not finite. */
const finite = (x: number | undefined): number | undefined => (x !== undefined && Number.isFinite(x) ? x : undefined);
const sol = (r: Ratio | undefined): string => (r === undefined ? '' : toDecimalString(r, SOL_PLACES, 'floor'));

export function costsToWire(c: CostBreakdown): CostBreakdownMessage {
  return {
    baseFeesUsd: formatCostUsd(c.baseFeesUsd),
    priorityFeesUsd: formatCostUsd(c.priorityFeesUsd),
    rentUsd: formatCostUsd(c.rentUsd),
    slippageUsd: formatCostUsd(c.slippageUsd),
    priceImpactUsd: formatCostUsd(c.priceImpactUsd),
    mevLossUsd: formatCostUsd(c.mevLossUsd),
    failedTradeFeesUsd: formatCostUsd(c.failedTradeFeesUsd),
    totalUsd: formatCostUsd(c.totalUsd),
  };
}

export const countsToWire = (c: TradeCounts): TradeCountsMessage => ({
  total: String(c.total),
  filled: String(c.FILLED),
  failedSlippage: String(c.FAILED_SLIPPAGE),
  failedMev: String(c.FAILED_MEV),
});

export function closesToWire(c: CloseStats): CloseStatsMessage {
  const m: CloseStatsMessage = {
    closes: String(c.count),
    wins: String(c.wins),
    losses: String(c.losses),
    grossProfitUsd: formatUsd(c.grossProfitUsd),
    grossLossUsd: formatCostUsd(c.grossLossUsd),
  };
  const winRate = finite(c.winRate);
  const profitFactor = finite(c.profitFactor);
  if (winRate !== undefined) m.winRate = winRate;
  if (profitFactor !== undefined) m.profitFactor = profitFactor;
  return m;
}

export function reportToWire(r: PortfolioReport): PortfolioReportMessage {
  const d = r.drawdown;
  const m: PortfolioReportMessage = {
    portfolioId: r.portfolioId,
    from: timestampFromMs(r.fromMs),
    to: timestampFromMs(r.toMs),
    startValueUsd: formatUsd(r.start.valueUsd),
    endValueUsd: formatUsd(r.end.valueUsd),
    realizedPnlUsd: formatUsd(r.pnl.realizedUsd),
    unrealizedPnlUsd: formatUsd(r.pnl.unrealizedUsd),
    equity: r.equity.map((p) => ({
      at: timestampFromMs(p.atMs),
      valueUsd: formatUsd(p.valueUsd),
      valueSol: sol(p.valueSol),
      benchmarkUsd: formatUsd(p.benchmarkUsd),
      drawdown: p.drawdown,
    })),
    markCount: String(r.markCount),
    drawdown: {
      max: d.maxDrawdown,
      maxUsd: formatCostUsd(d.maxDrawdownUsd),
      maxPeakAt: d.maxDrawdownPeakMs === undefined ? null : timestampFromMs(d.maxDrawdownPeakMs),
      maxTroughAt: d.maxDrawdownTroughMs === undefined ? null : timestampFromMs(d.maxDrawdownTroughMs),
      current: d.currentDrawdown,
      currentUsd: formatCostUsd(d.currentDrawdownUsd),
      longestDurationMs: String(Math.max(0, Math.round(d.longestDurationMs))),
    },
    dailyReturns: r.daily.returns.map((x) => ({ day: x.day, dailyReturn: x.return, valueUsd: formatUsd(x.closeUsd) })),
    ratioMethod: r.daily.method,
    benchmarkStartUsd: formatUsd(r.benchmark.startValueUsd),
    benchmarkEndUsd: formatUsd(r.benchmark.endValueUsd),
    trades: countsToWire(r.trades),
    closes: closesToWire(r.closes),
    tokens: r.tokens.map((t) => ({
      token: tokenRefToWire(t.token),
      startAmount: formatAmount(t.startAmount, t.token.decimals),
      endAmount: formatAmount(t.endAmount, t.token.decimals),
      realizedPnlUsd: formatUsd(t.realizedUsd),
      costBasisUsd: formatCostUsd(t.costBasisUsd),
      endValueUsd: formatUsd(t.endValueUsd),
      unrealizedPnlUsd: formatUsd(t.unrealizedUsd),
    })),
    groupBy: r.groupBy,
    groups: r.groups.map((g) => ({
      value: g.value ?? '',
      untagged: g.value === null,
      trades: countsToWire(g.trades),
      volumeUsd: formatUsd(g.volumeUsd),
      realizedPnlUsd: formatUsd(g.realizedPnlUsd),
      closes: closesToWire(g.closes),
      costs: costsToWire(g.costs),
    })),
    costs: costsToWire(r.costs),
    startValueSol: sol(r.start.valueSol),
    endValueSol: sol(r.end.valueSol),
  };
  const optional = {
    totalReturn: finite(r.totalReturn),
    sharpe: finite(r.daily.sharpe),
    sortino: finite(r.daily.sortino),
    benchmarkReturn: finite(r.benchmark.totalReturn),
    excessReturn: finite(r.benchmark.excessReturn),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) m[k as keyof typeof optional] = v;
  return m;
}
