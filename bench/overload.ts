/**
 * Overload benchmark: open-loop arrivals at stepped rates past the server's capacity. Requests are
 * sent on a schedule (rate r: one every 1/r s) whether or not earlier ones have answered, and each
 * latency is measured from its intended send time, so a stalled server is charged for the requests
 * it kept waiting (corrected for coordinated omission). The table shows achieved vs offered rate, the
 * latency of accepted requests and the share refused RESOURCE_EXHAUSTED by the in-flight bound.
 *
 *   npm run build && node dist/bench/overload.js
 *   node dist/bench/overload.js --soak 600     (10 minutes at a steady rate; heap and RSS every 30 s)
 *
 * Env: PTE_OVERLOAD_RATES (default "500,1000,2000,4000,8000"), PTE_OVERLOAD_SECONDS (per step, 5),
 * PTE_OVERLOAD_MAX_IN_FLIGHT (server.maxInFlight, default 256), PTE_SOAK_RATE (default 500/s).
 * The server runs in a child process (this file with --server); traffic goes to 127.0.0.1 only.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, status, type Client } from '@grpc/grpc-js';
import { build } from 'hdr-histogram-js';
import { createExecutorClient } from '../src/client/index.js';
import { executorMethods } from '../src/client/proto.js';
import { benchTrade } from './load.js';
import { ms, table } from './table.js';

interface Mem {
  readonly heapUsed: number;
  readonly rss: number;
}

async function serve(): Promise<void> {
  const { startApp } = await import('../src/app.js');
  const { configSchema } = await import('../src/config/schema.js');
  const { silentLogger } = await import('../src/observability/logger.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'pte-overload-'));
  const maxInFlight = Number(process.env.PTE_OVERLOAD_MAX_IN_FLIGHT ?? '256');
  const app = await startApp(
    configSchema.parse({ dataDir, grpc: { port: 0 }, metrics: { port: 0 }, server: { maxInFlight }, journal: { snapshotEvery: 50_000 } }),
    { logger: silentLogger() },
  );
  process.send?.({ port: app.grpcPort });
  process.on('message', (m) => {
    if (m === 'mem') {
      const u = process.memoryUsage();
      process.send?.({ mem: { heapUsed: u.heapUsed, rss: u.rss } });
    } else if (m === 'stop') {
      void app.stop(2_000).then(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
    }
  });
}

interface Step {
  readonly offered: number;
  readonly sent: number;
  readonly ok: number;
  readonly exhausted: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

/** Open loop at `rate` per second for `seconds`; latency from each request's intended send time. */
async function openLoop(client: Client, rate: number, seconds: number, onError?: (e: string) => void): Promise<Step> {
  const m = executorMethods().ExecuteTrade;
  const accepted = build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const total = Math.round(rate * seconds);
  let sent = 0;
  let ok = 0;
  let exhausted = 0;
  let errors = 0;
  let answered = 0;
  const start = performance.now();
  const interval = 1000 / rate;
  await new Promise<void>((resolve) => {
    const sendDue = (): void => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const intended = start + sent * interval;
        const i = sent++;
        // i % 16 picks the portfolio, so each portfolio alternates BUY and SELL on its own count.
        const req = benchTrade(Math.floor(i / 16), `ovl-${i % 16}`, false);
        client.makeUnaryRequest(m.path, m.requestSerialize, (b: Buffer) => b, req, new Metadata(), { deadline: Date.now() + 30_000 }, (err) => {
          const us = Math.max(1, Math.round((performance.now() - intended) * 1000));
          if (!err) {
            ok++;
            accepted.recordValue(us);
          } else if (err.code === status.RESOURCE_EXHAUSTED) exhausted++;
          else {
            errors++;
            onError?.(`${status[err.code]}: ${err.details}`);
          }
          if (++answered === total) resolve();
        });
      }
      if (sent < total) setTimeout(sendDue, 1);
    };
    sendDue();
  });
  const secs = (performance.now() - start) / 1000;
  return {
    offered: rate,
    sent,
    ok,
    exhausted,
    errors,
    seconds: secs,
    p50Us: accepted.getValueAtPercentile(50),
    p99Us: accepted.getValueAtPercentile(99),
    maxUs: accepted.maxValue,
  };
}

async function main(): Promise<void> {
  const soakIndex = process.argv.indexOf('--soak');
  const soakSeconds = soakIndex >= 0 ? Number(process.argv[soakIndex + 1] ?? '600') : 0;
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (msg) => resolve((msg as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const mem = (): Promise<Mem> =>
    new Promise((resolve) => {
      const on = (msg: unknown): void => {
        const m = (msg as { mem?: Mem }).mem;
        if (m) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.send('mem');
    });
  const client = createExecutorClient(`127.0.0.1:${port}`);
  await client.waitForReady(5_000);
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);

  // Warm-up: JIT, price cache, portfolios.
  await openLoop(client.grpcClient, 300, 2);

  if (soakSeconds > 0) {
    const rate = Number(process.env.PTE_SOAK_RATE ?? '500');
    const errorsSeen: string[] = [];
    const samples: { t: number; mem: Mem; p99Us: number; errors: number; exhausted: number }[] = [];
    process.stderr.write(`soak: ${soakSeconds} s at ${rate}/s\n`);
    const rows: string[][] = [];
    for (let t = 0; t < soakSeconds; t += 30) {
      const step = await openLoop(client.grpcClient, rate, Math.min(30, soakSeconds - t), (e) => errorsSeen.push(e));
      const m = await mem();
      samples.push({ t: t + 30, mem: m, p99Us: step.p99Us, errors: step.errors, exhausted: step.exhausted });
      const row = [String(t + 30), (step.ok / step.seconds).toFixed(0), ms(step.p99Us), String(step.errors), String(step.exhausted), mb(m.heapUsed), mb(m.rss)];
      rows.push(row);
      process.stderr.write(`soak: ${row.join('  ')}\n`);
    }
    console.log(`\nSoak: ${soakSeconds} s at ${rate} trades/s (open loop; server heap and RSS after each 30 s)\n`);
    console.log(table(['t (s)', 'trades/s', 'p99 ms', 'errors', 'RESOURCE_EXHAUSTED', 'heap MiB', 'RSS MiB'], rows));
    // Flat: the second half's peak within 25 % of the first half's peak (GC makes single samples noisy).
    const half = Math.max(1, Math.floor(samples.length / 2));
    const peak = (xs: typeof samples, f: (m: Mem) => number): number => Math.max(...xs.map((s) => f(s.mem)));
    const first = samples.slice(0, half);
    const second = samples.slice(half);
    const heapGrowth = second.length > 0 ? peak(second, (m) => m.heapUsed) / peak(first, (m) => m.heapUsed) : 1;
    const rssGrowth = second.length > 0 ? peak(second, (m) => m.rss) / peak(first, (m) => m.rss) : 1;
    const errors = samples.reduce((n, s) => n + s.errors, 0);
    const flat = heapGrowth < 1.25 && rssGrowth < 1.25;
    console.log(
      `\nverdict: ${flat && errors === 0 ? 'PASS' : 'FAIL'}: heap peak second half / first half ${heapGrowth.toFixed(2)}, RSS ${rssGrowth.toFixed(2)}, errors ${errors}` +
        (errorsSeen.length > 0 ? ` (first: ${errorsSeen[0]})` : ''),
    );
  } else {
    const rates = (process.env.PTE_OVERLOAD_RATES ?? '500,1000,2000,4000,8000').split(',').map(Number);
    const seconds = Number(process.env.PTE_OVERLOAD_SECONDS ?? '5');
    const rows: string[][] = [];
    for (const rate of rates) {
      process.stderr.write(`overload: ${rate}/s for ${seconds} s ...\n`);
      const s = await openLoop(client.grpcClient, rate, seconds);
      rows.push([
        String(rate),
        (s.sent / s.seconds).toFixed(0),
        (s.ok / s.seconds).toFixed(0),
        ms(s.p50Us),
        ms(s.p99Us),
        ms(s.maxUs),
        `${((100 * s.exhausted) / s.sent).toFixed(1)} %`,
        String(s.errors),
      ]);
    }
    console.log(`\nOverload: open loop, latency from the intended send time (ms), server.maxInFlight ${process.env.PTE_OVERLOAD_MAX_IN_FLIGHT ?? '256'}\n`);
    console.log(table(['offered/s', 'sent/s', 'accepted/s', 'p50 accepted', 'p99 accepted', 'max accepted', 'RESOURCE_EXHAUSTED', 'other errors'], rows));
  }
  client.close();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
}

if (process.argv.includes('--server')) await serve();
else await main();
