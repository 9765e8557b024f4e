import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createExecutorClient } from '../src/client/index.js';
import { run } from '../src/cli/run.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { readJournal } from '../src/store/journal-reader.js';
import { startQuestDbReceiver, type QuestDbReceiver } from './fakes/questdb-receiver.js';
import { startTestServer, trade } from './support.js';

let receiver: QuestDbReceiver | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tradeIds = (r: QuestDbReceiver): string[] => r.rows('trades').map((row) => String(row.fields.trade_id?.value));

describe('QuestDB recording in the service', () => {
  it('keeps trading through a 3 s outage under steady load; the table ends with exactly one row per trade', async () => {
    receiver = await startQuestDbReceiver();
    const rcv = receiver;
    const conf = `${rcv.conf}request_timeout=500;retry_timeout=1000;`;
    const server = await startTestServer({ questdb: { conf, flushRows: 20, flushIntervalMs: 50 } });
    const booked: string[] = [];
    let failed = 0;
    try {
      const load = async (ms: number): Promise<void> => {
        const end = Date.now() + ms;
        const worker = async (): Promise<void> => {
          while (Date.now() < end) {
            try {
              const r = await server.client.executeTrade(trade({ amount: '0.01' }));
              booked.push(r.trade?.tradeId ?? '');
            } catch {
              failed++;
            }
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
      };
      await load(500);
      await rcv.setMode('refuse');
      await load(3_000);
      await rcv.setMode('ok');
      await load(500);
      const recorder = server.app.recorder;
      expect(recorder).toBeDefined();
      expect(await recorder?.drain(10_000)).toBe(0);
      expect(recorder?.stats().sendFailures).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
    expect(failed).toBe(0);
    const got = tradeIds(rcv);
    expect(new Set(got).size).toBe(got.length);
    expect(got.sort()).toEqual([...booked].sort());
  });

  it('after a long outage drops the oldest from memory only, and pte export questdb completes the table without duplicates', async () => {
    receiver = await startQuestDbReceiver();
    const rcv = receiver;
    const dataDir = mkdtempSync(join(tmpdir(), 'pte-qdb-'));
    dirs.push(dataDir);
    const conf = `${rcv.conf}request_timeout=300;retry_timeout=300;`;
    await rcv.setMode('refuse');
    const server = await startTestServer({ dataDir, questdb: { conf, queueCap: 30, flushRows: 10, flushIntervalMs: 50, shutdownDeadlineMs: 2_000 } });
    const results: { tradeId: string; status: string }[] = [];
    try {
      for (let i = 0; i < 80; i++) {
        const r = await server.client.executeTrade(trade({ amount: '0.01' }));
        results.push({ tradeId: r.trade?.tradeId ?? '', status: r.trade?.status ?? '' });
      }
      // Trades and their marks share the queue: a row each.
      const stats = server.app.recorder?.stats();
      expect(stats?.depth).toBeLessThanOrEqual(30);
      expect(stats?.recorded).toBeGreaterThan(160);
      expect(stats?.dropped.overflow).toBe((stats?.recorded ?? 0) - 30);
      const metrics = await (await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`)).text();
      expect(metrics).toContain(`pte_questdb_rows_dropped_total{reason="overflow"} ${stats?.dropped.overflow}`);
      await rcv.setMode('ok');
      expect(await server.app.recorder?.drain(10_000)).toBe(0);
    } finally {
      await server.stop();
    }
    expect(results.every((r) => r.status === 'TRADE_STATUS_FILLED')).toBe(true);
    expect(tradeIds(rcv).length + rcv.rows('portfolio_marks').length).toBe(30);
    let journaledMarks = 0;
    await readJournal(dataDir, createTokenRegistry(), () => undefined, {
      visitMark: () => {
        journaledMarks++;
      },
    });
    expect(journaledMarks).toBeGreaterThan(80); // the creation mark and one per trade

    const err: string[] = [];
    const io = { out: () => undefined, err: (t: string) => err.push(t), env: {}, connect: createExecutorClient };
    expect(await run(['export', 'questdb', '--data-dir', dataDir, '--questdb', rcv.conf, '--no-progress'], io)).toBe(0);
    expect(tradeIds(rcv).sort()).toEqual(results.map((r) => r.tradeId).sort());
    expect(rcv.rows('portfolio_marks')).toHaveLength(journaledMarks);
    // idempotent: again, and from the middle, adds nothing
    expect(await run(['export', 'questdb', '--from', '40', '--data-dir', dataDir, '--questdb', rcv.conf, '--no-progress'], io)).toBe(0);
    expect(tradeIds(rcv)).toHaveLength(80);
    expect(rcv.rows('portfolio_marks')).toHaveLength(journaledMarks);
    expect(rcv.stats.duplicates).toBeGreaterThan(30);
    expect(err.join('\n')).toContain(`80 trades and ${journaledMarks} marks sent`);
  });

  it('refuses a conf with credentials from a flag, pointing to QDB_CLIENT_CONF', async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (t: string) => err.push(t), env: {}, connect: createExecutorClient };
    const code = await run(['export', 'questdb', '--questdb', 'http::addr=127.0.0.1:1;password=hunter2;', '--data-dir', '/nonexistent'], io);
    expect(code).toBe(78);
    expect(err.join('\n')).toContain('QDB_CLIENT_CONF');
    expect(err.join('\n')).not.toContain('hunter2');
  });
});
