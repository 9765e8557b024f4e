import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Trade } from '../src/domain/trade.js';
import { sampleTrade } from './fakes/fake-executor.js';
import { createQuestDbMetrics } from '../src/store/questdb/metrics.js';
import type { QuestDbReceiver } from './fakes/questdb-receiver.js';
import { questDbHarness, quiet } from './support/questdb.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const trade = (patch: Partial<Trade> = {}): Trade => sampleTrade({ tradeId: randomUUID(), executedAtMs: 1_700_000_000_000 + seq++, ...patch });

const { startReceiver, start } = questDbHarness();

const ids = (r: QuestDbReceiver): string[] => r.rows('trades').map((row) => String(row.fields.trade_id?.value));

describe('QuestDB recorder', () => {
  it('flushes a partial batch by time, not only by row count', async () => {
    const receiver = await startReceiver();
    const rec = start(receiver, { flushRows: 1_000 });
    const t = trade();
    rec.record(t);
    while (receiver.rows().length === 0) await sleep(20);
    expect(ids(receiver)).toEqual([t.tradeId]);
  });

  it('keeps every trade through a short outage under steady load and ends with one row per trade', async () => {
    const receiver = await startReceiver();
    const rec = start(receiver);
    const sent: string[] = [];
    const load = async (ms: number): Promise<void> => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const t = trade();
        rec.record(t); // synchronous, never throws: the trade path is untouched
        sent.push(t.tradeId);
        await sleep(2);
      }
    };
    await load(300);
    await receiver.setMode('refuse');
    await load(1_500); // QuestDB down (CI length; the bench runs 30 s)
    await receiver.setMode('error');
    await load(500); // up but failing with 500
    await receiver.setMode('ok');
    await load(300);
    expect(await rec.drain(10_000)).toBe(0);
    const got = ids(receiver);
    expect(new Set(got).size).toBe(got.length);
    expect(got.sort()).toEqual([...sent].sort());
    const s = rec.stats();
    expect(s.sendFailures).toBeGreaterThan(0);
    expect(s.dropped.overflow).toBe(0);
    expect(s.maxDepth).toBeGreaterThan(100);
  });

  it('bounds memory by the queue cap in a long outage, dropping the oldest and exporting the count', async () => {
    const receiver = await startReceiver();
    const registry = new Registry();
    let depth = (): number => 0;
    const rec = start(receiver, { queueCap: 100, flushRows: 10, metrics: createQuestDbMetrics(registry, () => depth()) });
    depth = () => rec.stats().depth;
    await receiver.setMode('refuse');
    const all = Array.from({ length: 500 }, () => trade());
    for (const t of all) {
      rec.record(t);
      expect(rec.stats().depth).toBeLessThanOrEqual(100);
    }
    expect(rec.stats().dropped.overflow).toBe(400);
    const text = await registry.metrics();
    expect(text).toContain('pte_questdb_rows_dropped_total{reason="overflow"} 400');
    expect(text).toMatch(/pte_questdb_queue_depth \d+/);
    await receiver.setMode('ok');
    expect(await rec.drain(10_000)).toBe(0);
    // the newest 100 survived; the journal backfill (test/questdb-app.test.ts) completes the rest
    expect(ids(receiver).sort()).toEqual(all.slice(400).map((t) => t.tradeId).sort());
    expect(await registry.metrics()).toContain('pte_questdb_rows_sent_total 100');
  });

  it('isolates and drops only the rows QuestDB rejects with 400, sending the rest', async () => {
    const receiver = await startReceiver();
    // the table already holds failure_reason as a LONG: a trade with a reason (a string) is a cast error
    await fetch(`http://127.0.0.1:${receiver.port}/write`, { method: 'POST', body: 'trades failure_reason=1i 1\n' });
    const rec = start(receiver, { flushRows: 10 });
    const good = Array.from({ length: 18 }, () => trade());
    const bad = [trade({ status: 'FAILED_SLIPPAGE', failureReason: 'worse than tolerance' }), trade({ status: 'FAILED_MEV', failureReason: 'sandwiched' })];
    for (const t of [...good.slice(0, 5), bad[0] as Trade, ...good.slice(5), bad[1] as Trade]) rec.record(t);
    expect(await rec.drain(10_000)).toBe(0);
    expect(rec.stats().dropped.rejected).toBe(2);
    expect(ids(receiver).filter((id) => id !== 'undefined').sort()).toEqual(good.map((t) => t.tradeId).sort());
  });

  it('starts while QuestDB is down and sends once it comes up (the /settings probe is retried)', async () => {
    const receiver = await startReceiver();
    await receiver.setMode('refuse');
    const rec = start(receiver);
    const t = trade();
    rec.record(t);
    await sleep(200);
    await receiver.setMode('ok');
    expect(await rec.drain(10_000)).toBe(0);
    expect(ids(receiver)).toEqual([t.tradeId]);
  });

  it('flushes what is queued on close', async () => {
    const receiver = await startReceiver();
    const rec = start(receiver, { flushRows: 1_000, flushIntervalMs: 60_000 });
    const all = Array.from({ length: 50 }, () => trade());
    for (const t of all) rec.record(t);
    expect(await rec.close(5_000)).toEqual({ sent: 50, unsent: 0 });
    expect(ids(receiver)).toHaveLength(50);
    rec.record(trade()); // after close: ignored, no throw
  });

  it('gives up at the shutdown deadline when QuestDB stalls, reporting what is unsent', async () => {
    const receiver = await startReceiver();
    const warnings: string[] = [];
    const rec = start(receiver, { flushRows: 1_000, flushIntervalMs: 60_000, log: { ...quiet, warn: (_o, msg) => warnings.push(msg ?? '') } });
    await receiver.setMode('stall');
    for (let i = 0; i < 20; i++) rec.record(trade());
    const report = await rec.close(300);
    expect(report.unsent).toBe(20);
    expect(warnings.some((w) => w.includes('pte export questdb'))).toBe(true);
  });

  it('never logs the conf or its credentials', async () => {
    const receiver = await startReceiver();
    const lines: string[] = [];
    const log = { info: (o: object) => lines.push(JSON.stringify(o)), warn: (o: object) => lines.push(JSON.stringify(o)), error: (o: object) => lines.push(JSON.stringify(o)) };
    await receiver.setMode('refuse');
    const rec = start(receiver, { conf: `${receiver.conf}username=admin;password=hunter2;request_timeout=300;retry_timeout=300;`, log });
    rec.record(trade());
    await rec.close(400);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines.join('\n')).toContain(`127.0.0.1:${receiver.port}`);
  });
});
