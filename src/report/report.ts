import { ExecutorError, invalidArgument } from '../domain/errors.js';
import { add, div, sub, ZERO, type Ratio } from '../domain/ratio.js';
import type { JsonValue, TradeStatus } from '../domain/request.js';
import type { Mint, Token } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { NO_COSTS, sumCosts, tradeCosts, type CostBreakdown } from './costs.js';
import {
  dailyReturns,
  downsample,
  drawdownStats,
  MAX_CURVE_POINTS,
  RATIO_METHOD,
  sharpe,
  sortino,
  withRunningDrawdown,
  type DailyReturn,
  type DrawdownStats,
  type EquityPoint,
} from './equity.js';
import { valueAt, type Mark } from './marks.js';
import { closeStats, replayPositions, type CloseStats, type TradePnl } from './positions.js';
import { real, usdFromNano } from './usd.js';

/**
 * What the report reads of a trade: the journal's Trade plus the request's metadata (the strategy tag),
 * which the Trade does not carry itself. Wiring a journaled trade in is `{ ...trade, metadata }`.
 */
export type ReportTrade = Trade & { readonly metadata?: Readonly<Record<string, JsonValue>> | undefined };

export interface ReportInput {
  readonly portfolioId: string;
  /** The portfolio's trades (any order); only those booked between the start and end marks count. */
  readonly trades: readonly ReportTrade[];
  /** The portfolio's marks in time order. */
  readonly marks: readonly Mark[];
  /** Start of the range, ms since epoch; default: the first mark. */
  readonly fromMs?: number | undefined;
  /** End of the range, ms since epoch, inclusive; default: the last mark. */
  readonly toMs?: number | undefined;
  /** Metadata key to group trades by; undefined or "" means "strategy". */
  readonly groupBy?: string | undefined;
  /** Bound on the equity curve's points (at least 4); default 2,000. */
  readonly maxPoints?: number | undefined;
  /** The fee token. */
  readonly sol: Token;
}

export interface ReportPoint {
  readonly atMs: number;
  readonly sequence: number;
  readonly valueUsd: Ratio;
  readonly valueSol: Ratio | undefined;
}

export interface TokenPnl {
  readonly token: Token;
  readonly startAmount: bigint;
  readonly endAmount: bigint;
  /** Realized on disposals of this token; SOL's includes the fees (they dispose of SOL at its average cost). */
  readonly realizedUsd: Ratio;
  /** Average-cost basis of what is held at the end. */
  readonly costBasisUsd: Ratio;
  /** Value at the end mark. */
  readonly endValueUsd: Ratio;
  /** endValue - costBasis. */
  readonly unrealizedUsd: Ratio;
}

export type TradeCounts = Readonly<Record<TradeStatus, number>> & { readonly total: number };

/** The results of the trades carrying one value of the group key. */
export interface GroupResult {
  /** The metadata value (non-strings as JSON text); null for trades without the key. */
  readonly value: string | null;
  readonly trades: TradeCounts;
  /** Recorded input value of the FILLED trades. */
  readonly volumeUsd: Ratio;
  /** Sum of what the group's trades realized (fees included). */
  readonly realizedPnlUsd: Ratio;
  readonly closes: CloseStats;
  readonly costs: CostBreakdown;
}

export interface PortfolioReport {
  readonly portfolioId: string;
  /** The range the report covers (defaults resolved). */
  readonly fromMs: number;
  readonly toMs: number;
  /** The last mark at or before `fromMs` (else the first one after it), and the last one at or before `toMs`. */
  readonly start: ReportPoint;
  readonly end: ReportPoint;
  /** end / start - 1; undefined when the start value is zero. */
  readonly totalReturn: number | undefined;
  /** realized + unrealized = end value - start value, exactly. */
  readonly pnl: { readonly realizedUsd: Ratio; readonly unrealizedUsd: Ratio; readonly totalUsd: Ratio };
  /** Downsampled curve (min-max buckets), at most maxPoints points. */
  readonly equity: readonly EquityPoint[];
  /** Number of marks in the range: what the statistics were computed on. */
  readonly markCount: number;
  readonly drawdown: DrawdownStats;
  readonly daily: {
    readonly returns: readonly DailyReturn[];
    readonly sharpe: number | undefined;
    readonly sortino: number | undefined;
    readonly method: string;
  };
  readonly benchmark: {
    readonly startValueUsd: Ratio;
    readonly endValueUsd: Ratio;
    readonly totalReturn: number | undefined;
    /** totalReturn - benchmark's totalReturn. */
    readonly excessReturn: number | undefined;
  };
  readonly trades: TradeCounts;
  readonly closes: CloseStats;
  readonly tokens: readonly TokenPnl[];
  readonly groupBy: string;
  readonly groups: readonly GroupResult[];
  readonly costs: CostBreakdown;
}

export const DEFAULT_GROUP_KEY = 'strategy';
const MAX_GROUP_KEY_CHARS = 128;

const unavailable = (field: string, problem: string): ExecutorError =>
  new ExecutorError('REPORT_UNAVAILABLE', `${field}: ${problem}`, { field });

const iso = (ms: number): string => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));

function checkTime(ms: number | undefined, field: string): void {
  if (ms !== undefined && !Number.isSafeInteger(ms)) throw invalidArgument(field, `${String(ms)} is not a whole number of milliseconds`);
}

/** The group key a query names: "" or absent is "strategy"; INVALID_ARGUMENT (field group_by) when too long or holding control characters. */
export function groupKey(key: string | undefined): string {
  if (key === undefined || key === '') return DEFAULT_GROUP_KEY;
  if (key.length > MAX_GROUP_KEY_CHARS) throw invalidArgument('group_by', `longer than ${MAX_GROUP_KEY_CHARS} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw invalidArgument('group_by', 'must not contain control characters');
  return key;
}

const ratioRatio = (a: Ratio, b: Ratio): number | undefined => (b.n === 0n ? undefined : real(div(sub(a, b), b)));

function countTrades(trades: readonly Trade[]): TradeCounts {
  const c = { FILLED: 0, FAILED_SLIPPAGE: 0, FAILED_MEV: 0, total: trades.length };
  for (const t of trades) c[t.status]++;
  return c;
}

/** The group value of a trade: strings as they are, other JSON as its text, missing as null. */
function groupValue(t: ReportTrade, key: string): string | null {
  const v = t.metadata && Object.hasOwn(t.metadata, key) ? t.metadata[key] : undefined;
  if (v === undefined) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Picks the marks of the range: [start, end] indexes into `marks`. */
function selectMarks(marks: readonly Mark[], portfolioId: string, fromMs: number | undefined, toMs: number | undefined): [number, number] {
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i];
    const prev = marks[i - 1];
    if (m?.portfolioId !== portfolioId) throw unavailable('marks', `mark ${i} belongs to portfolio ${JSON.stringify(m?.portfolioId)}, not ${JSON.stringify(portfolioId)}`);
    if (prev && (m.atMs < prev.atMs || m.sequence < prev.sequence)) throw unavailable('marks', `mark ${i} is earlier than mark ${i - 1}: marks must be in time order`);
  }
  let end = marks.length - 1;
  if (toMs !== undefined) while (end >= 0 && (marks[end]?.atMs ?? 0) > toMs) end--;
  if (end < 0) throw unavailable(toMs === undefined ? 'marks' : 'to', toMs === undefined ? 'the portfolio has no marks' : `the portfolio has no mark at or before ${iso(toMs)}`);
  let start = 0;
  if (fromMs !== undefined) {
    // The last mark at or before `from` holds the value at `from`; failing that, the first one after.
    let last = -1;
    for (let i = 0; i <= end && (marks[i]?.atMs ?? 0) <= fromMs; i++) last = i;
    start = last >= 0 ? last : 0;
  }
  return [start, end];
}

/**
 * The report of one portfolio over [from, to]: a pure function of its trades and marks (definitions in
 * docs/reports.md). Throws INVALID_ARGUMENT for a bad field (from after to, a bad group key or bound) and
 * REPORT_UNAVAILABLE when the range holds no mark or the marks and trades disagree.
 */
export function buildReport(input: ReportInput): PortfolioReport {
  const { portfolioId, marks, sol } = input;
  checkTime(input.fromMs, 'from');
  checkTime(input.toMs, 'to');
  if (input.fromMs !== undefined && input.toMs !== undefined && input.fromMs > input.toMs) {
    throw invalidArgument('from', `${iso(input.fromMs)} is after to (${iso(input.toMs)})`);
  }
  const key = groupKey(input.groupBy);
  const maxPoints = input.maxPoints ?? MAX_CURVE_POINTS;
  if (!Number.isSafeInteger(maxPoints) || maxPoints < 4) throw invalidArgument('max_points', `must be a whole number of at least 4, got ${String(maxPoints)}`);

  const [si, ei] = selectMarks(marks, portfolioId, input.fromMs, input.toMs);
  const range = marks.slice(si, ei + 1);
  const startMark = range[0];
  const endMark = range[range.length - 1];
  if (!startMark || !endMark) throw unavailable('marks', 'the portfolio has no marks');

  // Trades between the two marks, which must be every ledger event between them.
  const trades = input.trades
    .filter((t) => t.portfolioId === portfolioId && t.sequence > startMark.sequence && t.sequence <= endMark.sequence)
    .sort((a, b) => a.sequence - b.sequence);
  trades.forEach((t, i) => {
    if (t.sequence !== startMark.sequence + 1 + i) {
      throw unavailable('trades', `no trade with sequence ${startMark.sequence + 1 + i} between the marks (a reset inside the range, or trades missing): start the range after the reset`);
    }
  });
  if (trades.length !== endMark.sequence - startMark.sequence) {
    throw unavailable('trades', `ledger events ${startMark.sequence + trades.length + 1}..${endMark.sequence} are not trades (a reset inside the range?): start the range after the reset`);
  }

  const replay = replayPositions(startMark, trades, sol);
  const endHeld = new Map(endMark.holdings.map((h) => [h.token.mint, h] as const));
  for (const [mint, p] of replay.positions) {
    if (p.amount !== (endHeld.get(mint)?.amount ?? 0n)) {
      throw unavailable('marks', `the end mark holds ${String(endHeld.get(mint)?.amount ?? 0n)} base units of ${p.token.symbol}, the trades leave ${String(p.amount)}`);
    }
  }
  for (const h of endMark.holdings) {
    if (!replay.positions.has(h.token.mint)) throw unavailable('marks', `the end mark holds ${h.token.symbol}, which no trade in the range acquired`);
  }

  // Equity curve and buy-and-hold benchmark, prices carried forward per mint.
  const book = new Map<Mint, Ratio>();
  const held = new Map(startMark.holdings.map((h) => [h.token.mint, { token: h.token, amount: h.amount }] as const));
  const points: EquityPoint[] = withRunningDrawdown(
    range.map((m) => {
      for (const p of m.prices) book.set(p.mint, p.usd);
      return { atMs: m.atMs, valueUsd: m.valueUsd, valueSol: m.valueSol, benchmarkUsd: valueAt(held, book) };
    }),
  );
  const benchmarkStart = points[0]?.benchmarkUsd ?? ZERO;
  const benchmarkEnd = points[points.length - 1]?.benchmarkUsd ?? ZERO;

  // Costs, fees valued at SOL's price of the moment: the trade's own when SOL is a side, else the mark
  // taken with (or next after) the trade, else the latest one before it.
  const solPrice = (t: Trade): Ratio => {
    if (t.base.mint === sol.mint) return t.inputs.baseUsd;
    if (t.quote.mint === sol.mint) return t.inputs.quoteUsd;
    const after = range.find((m) => m.sequence >= t.sequence && m.solUsd);
    const before = range.findLast((m) => m.sequence < t.sequence && m.solUsd);
    const p = after?.solUsd ?? before?.solUsd;
    if (!p) throw unavailable('marks', `no SOL price in the range to value the fees of trade ${t.tradeId}`);
    return p;
  };
  const costOf = new Map(trades.map((t) => [t.tradeId, tradeCosts(t, solPrice(t))] as const));

  // PnL per token.
  const tokens: TokenPnl[] = [];
  const seen = new Set<Mint>();
  const order = [...startMark.holdings.map((h) => h.token), ...trades.flatMap((t) => [sol, t.input, t.output])];
  for (const token of order) {
    if (seen.has(token.mint)) continue;
    const p = replay.positions.get(token.mint);
    const realized = replay.realizedByToken.get(token.mint);
    if (!p && !realized) continue;
    seen.add(token.mint);
    const costBasisUsd = p?.costUsd ?? ZERO;
    const endValueUsd = endHeld.get(token.mint)?.valueUsd ?? ZERO;
    tokens.push({
      token,
      startAmount: held.get(token.mint)?.amount ?? 0n,
      endAmount: p?.amount ?? 0n,
      realizedUsd: realized ?? ZERO,
      costBasisUsd,
      endValueUsd,
      unrealizedUsd: sub(endValueUsd, costBasisUsd),
    });
  }
  const realizedUsd = tokens.reduce((s, t) => add(s, t.realizedUsd), ZERO);
  const unrealizedUsd = tokens.reduce((s, t) => add(s, t.unrealizedUsd), ZERO);

  // Groups by the metadata key, in order of first appearance; trades without the key last (value null).
  const groups = new Map<string | null, TradePnl<ReportTrade>[]>();
  for (const p of replay.trades) {
    const v = groupValue(p.trade, key);
    const g = groups.get(v) ?? [];
    g.push(p);
    groups.set(v, g);
  }
  const groupResults = [...groups.entries()]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : 0))
    .map(([value, list]): GroupResult => ({
      value,
      trades: countTrades(list.map((p) => p.trade)),
      volumeUsd: list.reduce((s, p) => (p.trade.status === 'FILLED' ? add(s, usdFromNano(p.trade.inputValueNanoUsd)) : s), ZERO),
      realizedPnlUsd: list.reduce((s, p) => add(s, p.realizedUsd), ZERO),
      closes: closeStats(list),
      costs: sumCosts(list.map((p) => costOf.get(p.trade.tradeId) ?? NO_COSTS)),
    }));

  const drawdown = drawdownStats(points);
  const returns = dailyReturns(points);
  const daily = returns.map((r) => r.return);
  const totalReturn = ratioRatio(endMark.valueUsd, startMark.valueUsd);
  const benchmarkReturn = ratioRatio(benchmarkEnd, benchmarkStart);
  const point = (m: Mark): ReportPoint => ({ atMs: m.atMs, sequence: m.sequence, valueUsd: m.valueUsd, valueSol: m.valueSol });
  return {
    portfolioId,
    fromMs: input.fromMs ?? startMark.atMs,
    toMs: input.toMs ?? endMark.atMs,
    start: point(startMark),
    end: point(endMark),
    totalReturn,
    pnl: { realizedUsd, unrealizedUsd, totalUsd: add(realizedUsd, unrealizedUsd) },
    equity: downsample(points, maxPoints),
    markCount: points.length,
    drawdown,
    daily: { returns, sharpe: sharpe(daily), sortino: sortino(daily), method: RATIO_METHOD },
    benchmark: {
      startValueUsd: benchmarkStart,
      endValueUsd: benchmarkEnd,
      totalReturn: benchmarkReturn,
      excessReturn: totalReturn !== undefined && benchmarkReturn !== undefined ? totalReturn - benchmarkReturn : undefined,
    },
    trades: countTrades(trades),
    closes: closeStats(replay.trades),
    tokens,
    groupBy: key,
    groups: groupResults,
    costs: sumCosts(costOf.values()),
  };
}
