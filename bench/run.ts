/**
 * `npm run bench`: end-to-end gRPC load against the real server in a child process, closed loop at
 * 1, 64 and 1,000 concurrent callers, beside the same load on a no-op method of the same server
 * stack; then the in-process stage timings reported by the server. Prints Markdown tables.
 *
 * Options (env): PTE_BENCH_SECONDS (per level, default 5), PTE_BENCH_LEVELS (default "1,64,1000").
 *
 * `node dist/bench/run.js --dashboard`: only the dashboard's cost to trading (bench/dashboard.ts).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createExecutorClient } from '../src/client/index.js';
import { benchInProcess } from './inprocess.js';
import { benchJournal } from './journal.js';
import { benchDashboard } from './dashboard.js';
import { benchMev } from './mev.js';
import { closedLoop, noopCall, STAGES, tradeCall, type LoadResult } from './load.js';
import { ms, table } from './table.js';

const seconds = Number(process.env.PTE_BENCH_SECONDS ?? '5');
const levels = (process.env.PTE_BENCH_LEVELS ?? '1,64,1000').split(',').map(Number);
const PORTFOLIOS = 16;

async function main(): Promise<void> {
  const child = fork(fileURLToPath(new URL('./server.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const client = createExecutorClient(`127.0.0.1:${port}`);
  await client.waitForReady(5_000);
  process.stderr.write(`bench: server on 127.0.0.1:${port}; ${seconds}s per level; levels ${levels.join(', ')}\n`);

  // Warm-up: JIT, price cache, portfolio creation.
  await closedLoop(32, 1, tradeCall(client.grpcClient, PORTFOLIOS));
  await closedLoop(32, 0.5, noopCall(client.grpcClient));

  const rows: string[][] = [];
  const trades: LoadResult[] = [];
  for (const c of levels) {
    process.stderr.write(`bench: ${c} concurrent ...\n`);
    const t = await closedLoop(c, seconds, tradeCall(client.grpcClient, PORTFOLIOS));
    const n = await closedLoop(c, seconds, noopCall(client.grpcClient));
    trades.push(t);
    const tps = (t.requests - t.errors) / t.seconds;
    const nps = (n.requests - n.errors) / n.seconds;
    rows.push([
      String(c),
      tps.toFixed(0),
      ms(t.latency.getValueAtPercentile(50)),
      ms(t.latency.getValueAtPercentile(99)),
      ms(t.latency.getValueAtPercentile(99.9)),
      String(t.errors),
      nps.toFixed(0),
      ms(n.latency.getValueAtPercentile(99)),
      (tps / nps).toFixed(2),
    ]);
  }
  console.log('\nEnd to end over gRPC (closed loop; latency in ms)\n');
  console.log(table(['concurrency', 'trades/s', 'p50', 'p99', 'p99.9', 'errors', 'no-op/s', 'no-op p99', 'trade/no-op'], rows));

  console.log('\nIn-process stage timings reported by the server, all levels together (µs)\n');
  const stageRows = STAGES.map((s) => {
    const [first, ...rest] = trades.map((t) => t.stages.get(s)).filter((h) => h !== undefined);
    if (!first) return [s, '-', '-', '-'];
    for (const h of rest) first.add(h);
    const p = (q: number): string => first.getValueAtPercentile(q).toFixed(0);
    return [s.replace(/Us$/, ''), p(50), p(99), p(99.9)];
  });
  console.log(table(['stage', 'p50', 'p99', 'p99.9'], stageRows));
  console.log('\n(the server runs in its own process on the same 2 cores as the load generator)');

  console.log('\nThe executor alone, in process: no transport, in-memory journal, simulated market (goal: p99 under 1 ms)\n');
  console.log(await benchInProcess());

  console.log('\nThe durable journal: the same trade load at 1,000 concurrent, journal off (memory) and on (fdatasync)\n');
  console.log(await benchJournal(seconds));

  const mev = await benchMev();
  console.log('\nMEV simulator alone, in process (µs; goal p99 under 20 µs, budget 5 ms)\n');
  console.log(table(['stage', 'p50', 'p99'], [['mev simulation', mev.p50Us.toFixed(2), mev.p99Us.toFixed(2)]]));

  client.close();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
}

if (process.argv.includes('--dashboard')) {
  console.log('\nThe dashboard\'s cost: 64 concurrent callers on one portfolio, without and with dashboards following it live (latency in ms)\n');
  console.log(await benchDashboard(seconds));
} else await main();
