import { ExecutorError, invalidArgument } from '../domain/errors.js';
import type { Trade } from '../domain/trade.js';
import type { TokenRegistry } from '../domain/tokens.js';
import { buildReport, computeMark, MAX_CURVE_POINTS, type PortfolioReport } from '../report/index.js';
import { markOfRecord } from './marks.js';
import type { Ledger } from './ledger.js';
import type { MarkJournal, TradeHistory } from './ports.js';
import type { PortfolioSummary, ReportQuery } from './types.js';
import type { Valuation } from './valuation.js';

/** Marks a report reads at most (the range is thinned by min-max buckets beyond it). */
export const MAX_REPORT_MARKS = 20_000;
/** Trades a report reads at most; a longer range is REPORT_UNAVAILABLE (narrow it). */
export const MAX_REPORT_TRADES = 50_000;

export interface ReportContext {
  readonly tokens: TokenRegistry;
  readonly ledger: Ledger;
  readonly journal: TradeHistory & MarkJournal;
  readonly valuation: Valuation;
  readonly now: () => number;
}

/** ListPortfolios: every portfolio that exists, sorted by id, valued with one batched price lookup. */
export async function listPortfolios(ctx: ReportContext): Promise<PortfolioSummary[]> {
  const states = (await ctx.ledger.states()).sort((a, b) => (a.portfolioId < b.portfolioId ? -1 : a.portfolioId > b.portfolioId ? 1 : 0));
  return ctx.valuation.valueAll(states);
}

/** GetReport: a pure report (report/report.ts) of the portfolio's trades and marks over the range. */
export async function portfolioReport(ctx: ReportContext, id: string, query: ReportQuery): Promise<PortfolioReport> {
  const { tokens, journal } = ctx;
  const { fromMs, toMs } = query;
  for (const [field, ms] of [['from', fromMs], ['to', toMs]] as const) {
    if (ms !== undefined && !Number.isSafeInteger(ms)) throw invalidArgument(field, `${String(ms)} is not a whole number of milliseconds`);
  }
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
    throw invalidArgument('from', `${new Date(fromMs).toISOString()} is after to (${new Date(toMs).toISOString()})`);
  }
  const state = await ctx.ledger.state(id);
  if (!state) throw new ExecutorError('PORTFOLIO_NOT_FOUND', `portfolio_id: no portfolio ${JSON.stringify(id)} (it comes into being with its first trade or reset)`, { field: 'portfolio_id' });
  // The series since the last reset, thinned to MAX_REPORT_MARKS; a range that ends now closes on a
  // mark taken now at current prices (not journaled: reads never write).
  const read = await journal.readMarks(id, { fromMs, toMs, limit: MAX_REPORT_MARKS });
  const marks = read.marks.map((r) => markOfRecord(r, tokens));
  if (toMs === undefined) {
    const last = marks.at(-1);
    if (!last || state.sequence >= last.sequence) {
      const { prices: at } = await ctx.valuation.value(state);
      marks.push(computeMark(state, tokens, at, Math.max(ctx.now(), last?.atMs ?? 0)));
    }
  }
  const start = marks[0];
  const end = marks.at(-1);
  let trades: Trade[] = [];
  if (start && end && end.sequence > start.sequence) {
    const count = end.sequence - start.sequence;
    if (count > MAX_REPORT_TRADES) {
      throw new ExecutorError('REPORT_UNAVAILABLE', `from: the range holds ${count} ledger events, more than the ${MAX_REPORT_TRADES} a report reads; narrow the range`, { field: 'from' });
    }
    trades = [...(await journal.listTrades(id, end.sequence + 1, count)).trades];
  }
  const maxPoints = query.maxPoints === undefined || query.maxPoints === 0 ? MAX_CURVE_POINTS : query.maxPoints;
  return buildReport({ portfolioId: id, trades, marks, fromMs, toMs, groupBy: query.groupBy, maxPoints, sol: tokens.sol });
}
