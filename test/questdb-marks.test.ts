/**
 * Equity marks in QuestDB: the executor hands every mark (on each trade, on creation and reset, and
 * periodically) to the recorder, which writes it behind as a `portfolio_marks` row through the same
 * queue as trades, against the strict local line-protocol receiver.
 */
import { describe, expect, it } from 'vitest';
import { toNumber } from '../src/domain/ratio.js';
import type { MarkingExecutor } from '../src/executor/executor.js';
import type { ExecutorMetricsSink, MarkRecord, TradeRecorder } from '../src/executor/ports.js';
import { buy as trade, testExecutor } from './support/executor.js';
import type { IlpRow, QuestDbReceiver } from './fakes/questdb-receiver.js';
import { questDbHarness, quiet } from './support/questdb.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const { startReceiver, start } = questDbHarness();

/** An executor over `rec` whose clock moves 1 s per reading, so no two marks share a timestamp. */
function executorWith(rec: TradeRecorder, metrics?: ExecutorMetricsSink) {
  let clock = 1_700_000_000_000;
  const { executor, journal } = testExecutor({ recorder: rec, now: () => (clock += 1_000), ...(metrics ? { metrics } : {}) });
  return { executor: executor as MarkingExecutor, journal };
}

const markRows = (r: QuestDbReceiver): IlpRow[] => r.rows('portfolio_marks');
const num = (row: IlpRow | undefined, col: string): number | bigint | undefined => {
  const v = row?.fields[col];
  return v?.type === 'double' || v?.type === 'long' ? v.value : undefined;
};
const rowOf = (r: QuestDbReceiver, m: MarkRecord): IlpRow | undefined =>
  markRows(r).find((row) => row.timestampUs === BigInt(m.atMs) * 1000n && row.symbols.portfolio_id === m.portfolioId && num(row, 'sequence') === BigInt(m.sequence));

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(10);
}

describe('equity marks in QuestDB', () => {
  it('after trades and a periodic round the receiver holds one valid portfolio_marks row per mark, with its values', async () => {
    const receiver = await startReceiver();
    const rec = start(receiver);
    const { executor, journal } = executorWith(rec);
    const booked = [];
    for (let i = 0; i < 3; i++) booked.push(await executor.executeTrade(trade({ amount: '0.5' })));
    await executor.executeTrade(trade({ portfolioId: 'alt', action: 'SELL', amount: '2' }));
    expect(await executor.markAll()).toBe(2); // the periodic round: both portfolios hold something
    expect(await rec.drain(10_000)).toBe(0);

    const marks = journal.marks;
    expect(marks.length).toBe(1 + 3 + 1 + 1 + 2); // creation + trades of each portfolio + the round
    expect(receiver.stats.rejected).toBe(0);
    expect(markRows(receiver)).toHaveLength(marks.length);
    expect(receiver.rows('trades')).toHaveLength(4);
    for (const m of marks) {
      const row = rowOf(receiver, m);
      expect(row, `mark ${m.portfolioId}#${m.sequence} at ${m.atMs}`).toBeDefined();
      expect(num(row, 'value_usd')).toBeCloseTo(toNumber(m.valueUsd), 6);
      expect(num(row, 'holdings')).toBe(BigInt(m.holdings.length));
      const sol = m.prices.find((p) => p.mint === 'So11111111111111111111111111111111111111112')?.usd;
      expect(sol).toBeDefined();
      if (sol) {
        expect(num(row, 'sol_usd')).toBe(150);
        expect(num(row, 'value_sol')).toBeCloseTo(toNumber(m.valueUsd) / 150, 9);
      }
    }
    // The creation mark is the starting balances at the starting prices: 100 SOL x 150 + 10,000 USDC.
    const first = rowOf(receiver, marks[0] as MarkRecord);
    expect(first?.symbols.portfolio_id).toBe('default');
    expect(num(first, 'value_usd')).toBe(25_000);
    expect(num(first, 'value_sol')).toBeCloseTo(25_000 / 150, 9);
    expect(num(first, 'holdings')).toBe(2n);
    // Each trade's mark carries the trade's ledger sequence.
    for (const r of booked) expect(markRows(receiver).some((row) => num(row, 'sequence') === BigInt(r.trade.sequence))).toBe(true);
    expect(rec.stats().recorded).toBe(4 + marks.length);
  });

  it('QuestDB down: trades and marks book as usual, the rows wait in the queue and arrive once it is back', async () => {
    const receiver = await startReceiver();
    await receiver.setMode('refuse');
    const rec = start(receiver);
    const { executor, journal } = executorWith(rec);
    for (let i = 0; i < 5; i++) expect((await executor.executeTrade(trade({ amount: '0.1' }))).trade.status).toBe('FILLED');
    expect(await executor.markAll()).toBe(1);
    expect(rec.stats().depth).toBe(5 + journal.marks.length);
    await until(() => rec.stats().sendFailures > 0);
    expect(markRows(receiver)).toHaveLength(0);
    await receiver.setMode('ok');
    expect(await rec.drain(10_000)).toBe(0);
    expect(markRows(receiver)).toHaveLength(journal.marks.length);
    expect(receiver.rows('trades')).toHaveLength(5);
  });

  it('a failing mark recorder never fails a trade: it counts as a recorder side failure', async () => {
    const failures: string[] = [];
    const metrics: ExecutorMetricsSink = {
      observeStage: () => undefined,
      countTrade: () => undefined,
      countError: () => undefined,
      countPriceLookup: () => undefined,
      countSideFailure: (c) => failures.push(c),
    };
    const recorded: string[] = [];
    const broken: TradeRecorder = {
      record: (t) => recorded.push(t.tradeId),
      recordMark: () => {
        throw new Error('recorder broken');
      },
    };
    const { executor, journal } = executorWith(broken, metrics);
    for (let i = 0; i < 3; i++) expect((await executor.executeTrade(trade({ amount: '0.1' }))).trade.status).toBe('FILLED');
    expect(await executor.markAll()).toBe(1);
    expect(recorded).toHaveLength(3);
    expect(journal.marks).toHaveLength(1 + 3 + 1); // still journaled
    expect(failures.filter((c) => c === 'recorder')).toHaveLength(journal.marks.length);
  });

  it('a mark queued behind trades on shutdown is reported unsent with them', async () => {
    const receiver = await startReceiver();
    const warned: Record<string, unknown>[] = [];
    const rec = start(receiver, { flushRows: 1_000, flushIntervalMs: 60_000, log: { ...quiet, warn: (o) => warned.push(o as Record<string, unknown>) } });
    await receiver.setMode('stall');
    const { executor, journal } = executorWith(rec);
    for (let i = 0; i < 2; i++) await executor.executeTrade(trade({ amount: '0.1' }));
    const report = await rec.close(300);
    expect(report.unsent).toBe(2 + journal.marks.length);
    expect(warned.find((o) => o.unsent !== undefined)).toMatchObject({ unsent: 2 + journal.marks.length, unsent_trades: 2, unsent_marks: journal.marks.length });
    rec.recordMark(journal.marks[0] as MarkRecord); // after close: ignored, no throw
    expect(rec.stats().depth).toBe(2 + journal.marks.length);
  });
});
