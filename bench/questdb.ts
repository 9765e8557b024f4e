/**
 * What a QuestDB outage costs the trade path: end-to-end ExecuteTrade latency over gRPC with a
 * healthy QuestDB and with QuestDB down for PTE_QDB_OUTAGE_S seconds (default 30) under the same
 * steady closed-loop load, plus the recorder's queue depth, drain time after recovery and the rows
 * QuestDB ends with versus the trades booked. QuestDB is the local receiver
 * (test/fakes/questdb-receiver.ts): no QuestDB server can be installed here.
 *
 *   npm run build && node dist/bench/questdb.js   (PTE_QDB_OUTAGE_S=30, PTE_QDB_CONCURRENCY=8)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../src/app.js';
import { createExecutorClient } from '../src/client/index.js';
import { configSchema } from '../src/config/schema.js';
import { silentLogger } from '../src/observability/logger.js';
import { startQuestDbReceiver } from '../test/fakes/questdb-receiver.js';
import { table } from './table.js';

interface RunResult {
  readonly name: string;
  readonly trades: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p99OutageMs: number | undefined;
  readonly maxDepth: number;
  readonly drainMs: number | undefined;
  readonly rows: number;
  readonly uniqueRows: number;
}

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function runOnce(name: string, outageS: number, concurrency: number, totalS: number): Promise<RunResult> {
  const receiver = await startQuestDbReceiver();
  const dataDir = mkdtempSync(join(tmpdir(), 'pte-bench-qdb-'));
  const config = configSchema.parse({
    dataDir,
    grpc: { host: '127.0.0.1', port: 0 },
    metrics: { host: '127.0.0.1', port: 0 },
    http: { port: 0 },
    questdb: { conf: receiver.conf },
  });
  const app = await startApp(config, { logger: silentLogger() });
  const client = createExecutorClient(`127.0.0.1:${app.grpcPort}`);
  await client.waitForReady(5_000);
  const latencies: number[] = [];
  const outageLatencies: number[] = [];
  const booked = new Set<string>();
  let failed = 0;
  let down = false;
  const start = Date.now();
  const end = start + totalS * 1000;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      const t0 = performance.now();
      try {
        const r = await client.executeTrade({ requestId: randomUUID(), action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '0.001', isBaseInput: true });
        const ms = performance.now() - t0;
        latencies.push(ms);
        if (down) outageLatencies.push(ms);
        booked.add(r.trade?.tradeId ?? '');
      } catch {
        failed++;
      }
    }
  };
  const outage = async (): Promise<number | undefined> => {
    if (outageS === 0) return undefined;
    await new Promise((r) => setTimeout(r, 2_000));
    await receiver.setMode('refuse');
    down = true;
    await new Promise((r) => setTimeout(r, outageS * 1000));
    await receiver.setMode('ok');
    down = false;
    const t0 = Date.now();
    // drained: everything booked before recovery has been acknowledged by QuestDB
    const target = app.recorder?.stats().recorded ?? 0;
    while ((app.recorder?.stats().sent ?? target) < target) await new Promise((r) => setTimeout(r, 5));
    return Date.now() - t0;
  };
  const [drainMs] = await Promise.all([outage(), ...Array.from({ length: concurrency }, worker)]);
  await app.recorder?.drain(30_000);
  const maxDepth = app.recorder?.stats().maxDepth ?? 0;
  client.close();
  await app.stop(1_000);
  const rows = receiver.rows('trades').map((r) => String(r.fields.trade_id?.value));
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  outageLatencies.sort((a, b) => a - b);
  return {
    name,
    trades: booked.size,
    failed,
    p50Ms: pct(latencies, 0.5),
    p99Ms: pct(latencies, 0.99),
    p99OutageMs: outageLatencies.length > 0 ? pct(outageLatencies, 0.99) : undefined,
    maxDepth,
    drainMs,
    rows: rows.length,
    uniqueRows: rows.filter((id) => booked.has(id)).length,
  };
}

export async function benchQuestDb(): Promise<string> {
  const outageS = Number(process.env.PTE_QDB_OUTAGE_S ?? 30);
  const concurrency = Number(process.env.PTE_QDB_CONCURRENCY ?? 8);
  const totalS = outageS + 6;
  const healthy = await runOnce('healthy', 0, concurrency, totalS);
  const outage = await runOnce(`down ${outageS} s`, outageS, concurrency, totalS);
  const f = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(2));
  return table(
    ['run', 'trades', 'failed', 'p50 ms', 'p99 ms', 'p99 during outage ms', 'queue depth max', 'drain ms', 'rows received', 'rows = trades'],
    [healthy, outage].map((r) => [
      r.name,
      String(r.trades),
      String(r.failed),
      f(r.p50Ms),
      f(r.p99Ms),
      f(r.p99OutageMs),
      String(r.maxDepth),
      r.drainMs === undefined ? '-' : String(r.drainMs),
      String(r.rows),
      r.rows === r.trades && r.uniqueRows === r.trades ? 'yes' : 'NO',
    ]),
  );
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  console.log(`QuestDB recorder: ${process.env.PTE_QDB_CONCURRENCY ?? 8} concurrent callers, journal on, local receiver`);
  console.log(await benchQuestDb());
}
