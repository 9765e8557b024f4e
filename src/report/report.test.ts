import { describe, expect, it } from 'vitest';
import { isExecutorError } from '../domain/errors.js';
import { div, fromDecimalString as d, mul, sub, ZERO } from '../domain/ratio.js';
import { formatCostUsd, formatUsd } from './usd.js';
import { buildReport, type ReportInput } from './report.js';
import { markOf, REPORT_T0, sampleReportInput, SOL, USDC } from '../../test/support/report.js';

/*
 * The scripted scenario. Start: 10 SOL and 1,000 USDC, SOL at $100, USDC at $1 (value $2,000).
 *  T1 (seq 2, day 1 12:00) BUY 1 SOL with USDC, 100 bps slippage: executed 101, pays 101 USDC, fee 5,000 lamports.
 *  T2 (seq 3, day 3 13:00) SELL 2 SOL at $90, 50 bps slippage + 50 bps MEV, pool depth $119,640 (impact
 *     180 / (59,820 + 180) = 0.3 %), priority fee 10,000 lamports: executed 90 x 0.99 = 89.1, receives 178.2 USDC.
 *  T3 (seq 4, day 4 12:00) BUY 1 SOL that fails on slippage at SOL $110: only its 5,000 lamports are paid.
 * Balances: after T1 10.999995 SOL / 899 USDC; after T2 8.99998 SOL / 1,077.2 USDC; after T3 8.999975 SOL.
 */
const T0 = REPORT_T0;
const H = 3_600_000;
const SOL_3 = 8_999_975_000n;

const input: ReportInput = sampleReportInput();
const { trades, marks } = input;

describe('buildReport on a scripted scenario', () => {
  const r = buildReport(input);

  it('the scenario trades fill as scripted', () => {
    expect(trades[0]?.inputAmount).toBe(101_000_000n);
    expect(trades[1]?.outputAmount).toBe(178_200_000n);
    expect(trades[1]?.priceImpactBps).toBe(30);
  });

  it('start and end value, total return', () => {
    expect(r.start.valueUsd).toEqual(d('2000'));
    expect(r.end.valueUsd).toEqual(d('2067.19725'));
    // 67.19725 / 2000
    expect(r.totalReturn).toBeCloseTo(0.033598625, 12);
    // value in SOL at the end: 2067.19725 / 110
    expect(r.end.valueSol).toEqual(div(d('2067.19725'), d('110')));
    expect(formatUsd(r.end.valueUsd)).toBe('2067.19725');
  });

  it('realized and unrealized PnL on average cost add up to the change in value', () => {
    // SOL cost after T1: 1000 - 0.0005 (fee at $100/SOL) + 101 = 1100.9995 for 10.999995 SOL.
    // T2 and T3 dispose of 2 + 0.000015 + 0.000005 SOL at that average; T2's proceeds are 2 x 90 = 180.
    const disposed = div(mul(d('1100.9995'), d('2.00002')), d('10.999995'));
    const realized = sub(sub(d('180'), d('0.0005')), disposed);
    expect(r.pnl.realizedUsd).toEqual(realized);
    expect(r.pnl.unrealizedUsd).toEqual(sub(d('67.19725'), realized));
    expect(r.pnl.totalUsd).toEqual(d('67.19725'));
    const usdc = r.tokens.find((t) => t.token.symbol === 'USDC');
    // USDC spent on T1 at exactly its cost: no PnL on it.
    expect(usdc?.realizedUsd).toEqual(ZERO);
    expect(usdc?.endAmount).toBe(1_077_200_000n);
  });

  it('drawdown: maximum, current and longest duration over the full series', () => {
    // Peak 2218.9994 (day 2 12:00), trough 1887.1982 (day 3 13:00): 331.8012 / 2218.9994.
    expect(r.drawdown.maxDrawdownUsd).toEqual(d('331.8012'));
    expect(r.drawdown.maxDrawdown).toBeCloseTo(331.8012 / 2218.9994, 12);
    expect(r.drawdown.maxDrawdownPeakMs).toBe(T0 + 36 * H);
    expect(r.drawdown.maxDrawdownTroughMs).toBe(T0 + 61 * H);
    // Now 2067.19725 against the peak: 151.80215 below it.
    expect(r.drawdown.currentDrawdownUsd).toEqual(d('151.80215'));
    // First dip from day 1 00:00 recovers at day 2 12:00 (36 h); the second, from day 2 12:00, is still open at day 4 12:00 (48 h).
    expect(r.drawdown.longestDurationMs).toBe(48 * H);
  });

  it('daily returns by UTC day from the last mark of each day', () => {
    expect(r.daily.returns.map((x) => x.day)).toEqual(['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04']);
    const expected = [-1.0005 / 2000, 219.9999 / 1998.9995, -331.8012 / 2218.9994, 179.99905 / 1887.1982];
    r.daily.returns.forEach((x, i) => expect(x.return).toBeCloseTo(expected[i] ?? NaN, 12));
    expect(r.daily.method).toContain('sqrt(365)');
    expect(r.daily.sharpe).toBeDefined();
  });

  it('buy-and-hold benchmark: 10 SOL + 1000 USDC held, at $110 at the end', () => {
    expect(r.benchmark.startValueUsd).toEqual(d('2000'));
    expect(r.benchmark.endValueUsd).toEqual(d('2100'));
    expect(r.benchmark.totalReturn).toBeCloseTo(0.05, 12);
    expect(r.benchmark.excessReturn).toBeCloseTo(0.033598625 - 0.05, 12);
    // the benchmark at the day 2 mark: 10 x 120 + 1000
    expect(r.equity[2]?.benchmarkUsd).toEqual(d('2200'));
  });

  it('cost breakdown in USD, each component by hand', () => {
    const c = r.costs;
    // base fees of filled trades: T1 5,000 lamports at $100 = 0.0005; T2 5,000 at $90 = 0.00045
    expect(c.baseFeesUsd).toEqual(d('0.00095'));
    // T2's priority fee: 10,000 lamports at $90
    expect(c.priorityFeesUsd).toEqual(d('0.0009'));
    expect(c.rentUsd).toEqual(ZERO);
    // T2 notional 2 x 90 = 180: MEV 0.5 % = 0.9; impact min(0.3 %, 1 % - 0.5 %) = 0.54; gap (90 - 89.1) x 2 = 1.8
    expect(c.mevLossUsd).toEqual(d('0.9'));
    expect(c.priceImpactUsd).toEqual(d('0.54'));
    // slippage: T1 (101 - 100) x 1 = 1, plus T2 1.8 - 0.9 - 0.54 = 0.36
    expect(c.slippageUsd).toEqual(d('1.36'));
    // T3 failed: 5,000 lamports at $110
    expect(c.failedTradeFeesUsd).toEqual(d('0.00055'));
    expect(c.totalUsd).toEqual(d('2.8024'));
    expect(formatCostUsd(c.totalUsd)).toBe('2.8024');
  });

  it('trades by status, win rate and profit factor over closes', () => {
    expect(r.trades).toEqual({ total: 3, FILLED: 2, FAILED_SLIPPAGE: 1, FAILED_MEV: 0 });
    // T1 spends USDC (opens), T3 failed: only T2 closes, at a loss (sold at 90 what cost about 100.09)
    expect(r.closes.count).toBe(1);
    expect(r.closes.wins).toBe(0);
    expect(r.closes.losses).toBe(1);
    expect(r.closes.winRate).toBe(0);
    expect(r.closes.profitFactor).toBe(0);
  });

  it('groups by strategy, untagged trades last', () => {
    expect(r.groupBy).toBe('strategy');
    expect(r.groups.map((g) => g.value)).toEqual(['momentum', null]);
    const [momentum, untagged] = r.groups;
    expect(momentum?.trades).toEqual({ total: 2, FILLED: 1, FAILED_SLIPPAGE: 1, FAILED_MEV: 0 });
    // 0.00045 + 0.0009 + 0.36 + 0.54 + 0.9 + 0.00055
    expect(momentum?.costs.totalUsd).toEqual(d('1.8019'));
    expect(momentum?.volumeUsd).toEqual(d('180'));
    // T1: 0.0005 fee + 1 slippage
    expect(untagged?.costs.totalUsd).toEqual(d('1.0005'));
  });

  it('an unknown group key is one group of untagged trades', () => {
    const g = buildReport({ ...input, groupBy: 'desk' });
    expect(g.groups).toHaveLength(1);
    expect(g.groups[0]?.value).toBeNull();
    expect(g.groups[0]?.trades.total).toBe(3);
  });

  it('a sub-range starts from the last mark at or before from', () => {
    const s = buildReport({ ...input, fromMs: T0 + 24 * H, toMs: T0 + 60 * H + 30 * 60_000 });
    expect(s.start.atMs).toBe(T0 + 12 * H);
    expect(s.end.atMs).toBe(T0 + 60 * H);
    expect(s.trades.total).toBe(0);
    // 1888.99955 - 1998.9995, all unrealized
    expect(s.pnl.unrealizedUsd).toEqual(d('-109.99995'));
    expect(s.costs.totalUsd).toEqual(ZERO);
  });
});

describe('buildReport rejects bad input with the field named', () => {
  const codeAndField = (f: () => unknown): [string, unknown] => {
    try {
      f();
    } catch (e) {
      if (isExecutorError(e)) return [e.code, e.context.field];
      throw e;
    }
    throw new Error('did not throw');
  };

  it('from after to', () => {
    expect(codeAndField(() => buildReport({ ...input, fromMs: T0 + H, toMs: T0 }))).toEqual(['INVALID_ARGUMENT', 'from']);
  });
  it('a time that is not whole milliseconds', () => {
    expect(codeAndField(() => buildReport({ ...input, toMs: Number.NaN }))).toEqual(['INVALID_ARGUMENT', 'to']);
  });
  it('a group key with control characters', () => {
    expect(codeAndField(() => buildReport({ ...input, groupBy: 'a\nb' }))).toEqual(['INVALID_ARGUMENT', 'group_by']);
  });
  it('a curve bound below 4', () => {
    expect(codeAndField(() => buildReport({ ...input, maxPoints: 3 }))).toEqual(['INVALID_ARGUMENT', 'max_points']);
  });
  it('no mark at or before to', () => {
    expect(codeAndField(() => buildReport({ ...input, toMs: T0 - 1 }))).toEqual(['REPORT_UNAVAILABLE', 'to']);
  });
  it('a trade missing between the marks (as after a reset)', () => {
    expect(codeAndField(() => buildReport({ ...input, trades: [trades[0], trades[2]].filter((t) => t !== undefined) }))).toEqual(['REPORT_UNAVAILABLE', 'trades']);
  });
  it('marks out of time order', () => {
    expect(codeAndField(() => buildReport({ ...input, marks: [...marks].reverse() }))).toEqual(['REPORT_UNAVAILABLE', 'marks']);
  });
  it('an end mark whose holdings the trades do not explain', () => {
    const last = marks[marks.length - 1];
    if (!last) throw new Error('no marks');
    const wrong = markOf(4, last.atMs + 1, [[SOL, SOL_3 + 1n], [USDC, 1_077_200_000n]], [[SOL, '110'], [USDC, '1']]);
    expect(codeAndField(() => buildReport({ ...input, marks: [...marks, wrong] }))).toEqual(['REPORT_UNAVAILABLE', 'marks']);
  });
});
