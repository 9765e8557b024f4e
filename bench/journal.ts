/**
 * What durability costs: end-to-end trades per second over gRPC at 1,000 concurrent callers with the
 * file journal on (fdatasync per group commit) and off (in-memory journal), plus the journal's own
 * fdatasync latency and group sizes, and the server's CPU time (process.cpuUsage, user + system, every
 * thread) and V8 heap allocation (bench/alloc.ts) per trade over the timed run. Goal: the journal
 * costs at most 30 % of throughput.
 *
 *   npm run build && node dist/bench/journal.js   (PTE_BENCH_SECONDS default 5, PTE_BENCH_ROUNDS default 2)
 *
 * Then ListTrades pages while running and after a restart (benchListTradesAfterRestart).
 *
 * or `benchJournal()` from bench/run.ts. The server runs in a child process (this same file with
 * --journal-bench-server), so the load generator's CPU stays out of it and the journal's statistics
 * can be read from it at the end.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createExecutorClient } from '../src/client/index.js';
import type { JournalStats } from '../src/store/file-journal.js';
import { startAllocationMeter, type AllocationMeter } from './alloc.js';
import { closedLoop, tradeCall } from './load.js';
import { ms, table } from './table.js';

const SERVER_FLAG = '--journal-bench-server';
const PORTFOLIOS = 16;

interface ModeResult {
  readonly journal: boolean;
  readonly tps: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly errors: number;
  readonly stats: JournalStats | undefined;
  /** The server process's CPU time (user + system, every thread) per trade answered, µs. */
  readonly cpuUsPerTrade: number;
  /** Bytes the server allocated on its V8 heap per trade answered (bench/alloc.ts). */
  readonly allocatedPerTrade: number;
}

/** What the server measured over the timed run: its CPU time and the bytes it allocated. */
interface ServerCost {
  readonly cpuUs: number;
  readonly allocated: number;
}

async function runMode(journal: boolean, seconds: number, concurrency: number): Promise<ModeResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pte-bench-journal-'));
  const child = fork(fileURLToPath(import.meta.url), [SERVER_FLAG], {
    env: { ...process.env, PTE_JOURNAL_BENCH_CONFIG: JSON.stringify({ dataDir, journal: { enabled: journal } }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`journal bench server exited with ${code}`)));
    });
    const client = createExecutorClient(`127.0.0.1:${port}`);
    await client.waitForReady(5_000);
    await closedLoop(64, 1, tradeCall(client.grpcClient, PORTFOLIOS)); // warm-up: JIT, price cache, portfolios
    const ask = <T>(what: string, key: string): Promise<T> =>
      new Promise<T>((resolve) => {
        const on = (m: unknown): void => {
          if (typeof m === 'object' && m !== null && key in m) {
            child.off('message', on);
            resolve((m as Record<string, T>)[key] as T);
          }
        };
        child.on('message', on);
        child.send(what);
      });
    await ask<boolean>('measure', 'measuring');
    const r = await closedLoop(concurrency, seconds, tradeCall(client.grpcClient, PORTFOLIOS));
    const cost = await ask<ServerCost>('measured', 'cost');
    client.close();
    const stats = await new Promise<JournalStats | undefined>((resolve) => {
      child.once('message', (m) => resolve((m as { stats: JournalStats | null }).stats ?? undefined));
      child.send('stats');
    });
    return {
      journal,
      tps: (r.requests - r.errors) / r.seconds,
      p50Us: r.latency.getValueAtPercentile(50),
      p99Us: r.latency.getValueAtPercentile(99),
      errors: r.errors,
      stats,
      cpuUsPerTrade: cost.cpuUs / Math.max(1, r.requests - r.errors),
      allocatedPerTrade: cost.allocated / Math.max(1, r.requests - r.errors),
    };
  } finally {
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs both modes and returns the printed report. */
export async function benchJournal(seconds = Number(process.env.PTE_BENCH_SECONDS ?? '5'), concurrency = 1_000): Promise<string> {
  // Alternating rounds, best of each: the bench shares the machine, and a noisy neighbour in one
  // round should not decide the comparison.
  const rounds = Number(process.env.PTE_BENCH_ROUNDS ?? '2');
  const offs: ModeResult[] = [];
  const ons: ModeResult[] = [];
  for (let i = 0; i < rounds; i++) {
    offs.push(await runMode(false, seconds, concurrency));
    ons.push(await runMode(true, seconds, concurrency));
  }
  const best = (list: readonly ModeResult[]): ModeResult => list.reduce((a, b) => (b.tps > a.tps ? b : a));
  const off = best(offs);
  const on = best(ons);
  const s = on.stats;
  const rows = [off, on].map((m) => [
    m.journal ? 'on (fdatasync)' : 'off (memory)',
    m.tps.toFixed(0),
    ms(m.p50Us),
    ms(m.p99Us),
    String(m.errors),
    m.cpuUsPerTrade.toFixed(0),
    m.allocatedPerTrade.toFixed(0),
    m.stats ? ms(m.stats.syncP50Us) : '-',
    m.stats ? ms(m.stats.syncP99Us) : '-',
    m.stats ? m.stats.meanGroupSize.toFixed(1) : '-',
    m.stats ? String(m.stats.maxGroupSize) : '-',
  ]);
  const cost = off.tps > 0 ? (1 - on.tps / off.tps) * 100 : 0;
  return [
    `Journal on vs off, ${concurrency} concurrent callers, ${seconds}s per run, best of ${rounds} alternating runs each, ${PORTFOLIOS} portfolios (latency in ms)`,
    '',
    table(['journal', 'trades/s', 'p50', 'p99', 'errors', 'server CPU µs/trade', 'allocated bytes/trade', 'fsync p50', 'fsync p99', 'group mean', 'group max'], rows),
    '',
    `journal cost: ${cost.toFixed(1)} % of throughput (goal: at most 30 %); ${s ? `${s.syncs} fdatasyncs for ${s.appends} records` : ''}`,
  ].join('\n');
}

/**
 * ListTrades pages of 50 (the first four pages, again and again) in process, on a file journal of
 * 5,000 trades: while it runs, and after a restart (the pages are then read from the segment files
 * once and served from the journal's decoded cache after that).
 */
export async function benchListTradesAfterRestart(seconds = 3): Promise<string> {
  const { buildExecutor } = await import('../src/app.js');
  const { configSchema } = await import('../src/config/schema.js');
  const { silentLogger } = await import('../src/observability/logger.js');
  const { createMetrics } = await import('../src/observability/metrics.js');
  const { openFileJournal } = await import('../src/store/file-journal.js');
  const { createTokenRegistry } = await import('../src/domain/tokens.js');
  const { randomUUID } = await import('node:crypto');
  const dir = mkdtempSync(join(tmpdir(), 'pte-bench-list-'));
  const config = configSchema.parse({});
  const start = async () => {
    const { journal, image } = await openFileJournal({ dir, tokens: createTokenRegistry() });
    const { executor } = buildExecutor(config, silentLogger(), createMetrics({ defaultMetrics: false }), { journal, restored: image.portfolios });
    return { journal, executor };
  };
  const pages = async (executor: Awaited<ReturnType<typeof start>>['executor']) => {
    let calls = 0;
    const t0 = performance.now();
    const cpu = process.cpuUsage();
    while (performance.now() - t0 < seconds * 1_000) {
      let token = '';
      for (let k = 0; k < 4; k++) {
        token = (await executor.listTrades('p', 50, token)).nextPageToken;
        calls++;
      }
    }
    const used = process.cpuUsage(cpu);
    return [String(Math.round(calls / ((performance.now() - t0) / 1_000))), ((used.user + used.system) / calls).toFixed(0)];
  };
  try {
    let run = await start();
    for (let wave = 0; wave < 10; wave++) {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          run.executor.executeTrade({ requestId: randomUUID(), action: i % 2 ? 'SELL' : 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '0.01', isBaseInput: true, priorityFee: '0', simulateMev: false, portfolioId: 'p', mevProtection: 'UNSPECIFIED' }),
        ),
      );
    }
    const live = await pages(run.executor);
    await run.journal.close();
    run = await start();
    const restarted = await pages(run.executor);
    const reads = run.journal.stats().tradeDiskReads;
    await run.journal.close();
    return [
      `ListTrades, pages of 50 (the newest 200 trades of 5,000, read again and again), ${seconds}s each, in process`,
      '',
      table(['journal', 'calls/s', 'CPU µs/call'], [['running', ...live], ['after a restart', ...restarted]]),
      '',
      `trades decoded from the segment files after the restart: ${reads}`,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function serve(): Promise<void> {
  const { startApp } = await import('../src/app.js');
  const { configSchema } = await import('../src/config/schema.js');
  const { silentLogger } = await import('../src/observability/logger.js');
  const overrides = JSON.parse(process.env.PTE_JOURNAL_BENCH_CONFIG ?? '{}') as Record<string, unknown>;
  const app = await startApp(configSchema.parse({ ...overrides, grpc: { port: 0 }, metrics: { port: 0 }, http: { port: 0 } }), { logger: silentLogger() });
  process.send?.({ port: app.grpcPort });
  let measuring: { readonly cpu: NodeJS.CpuUsage; readonly allocation: AllocationMeter } | undefined;
  process.on('message', (m) => {
    if (m === 'stats') process.send?.({ stats: app.journal?.stats() ?? null });
    if (m === 'measure') {
      measuring = { cpu: process.cpuUsage(), allocation: startAllocationMeter() };
      process.send?.({ measuring: true });
    }
    if (m === 'measured' && measuring) {
      const cpu = process.cpuUsage(measuring.cpu);
      process.send?.({ cost: { cpuUs: cpu.user + cpu.system, allocated: measuring.allocation.stop() } satisfies ServerCost });
      measuring = undefined;
    }
    if (m === 'stop') void app.stop(1_000).then(() => process.exit(0));
  });
}

if (process.argv[2] === SERVER_FLAG) await serve();
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await benchJournal());
  console.log(`\n${await benchListTradesAfterRestart()}`);
}
