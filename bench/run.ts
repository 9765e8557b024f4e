/**
 * `npm run bench`: the real server in its own process, driven over bare HTTP/2 from a separate
 * load-generator process (bench/closed.ts: closed loop at 1, 64 and 1,000 streams beside the
 * standard health check as the yardstick, the 1,000-trade burst cold and warm, server CPU per
 * trade); then the executor alone in process, the durable journal and the MEV simulator. Prints
 * Markdown tables.
 *
 * Options (env): PTE_BENCH_SECONDS (per level, default 5), PTE_BENCH_LEVELS (default "1,64,1000").
 *
 * `node dist/bench/run.js --dashboard`: only the dashboard's cost to trading (bench/dashboard.ts).
 */
import { benchEndToEnd } from './closed.js';
import { benchInProcess } from './inprocess.js';
import { benchJournal } from './journal.js';
import { benchDashboard } from './dashboard.js';
import { benchMev } from './mev.js';
import { table } from './table.js';

const seconds = Number(process.env.PTE_BENCH_SECONDS ?? '5');
const levels = (process.env.PTE_BENCH_LEVELS ?? '1,64,1000').split(',').map(Number);

async function main(): Promise<void> {
  console.log(`\n${await benchEndToEnd(seconds, levels)}`);

  console.log('\nThe executor alone, in process: no transport, in-memory journal, simulated market (goal: p99 under 1 ms)\n');
  console.log(await benchInProcess());

  console.log('\nThe durable journal: the same trade load at 1,000 concurrent, journal off (memory) and on (fdatasync)\n');
  console.log(await benchJournal(seconds));

  const mev = await benchMev();
  console.log('\nMEV simulator alone, in process (µs; goal p99 under 20 µs, budget 5 ms)\n');
  console.log(table(['stage', 'p50', 'p99'], [['mev simulation', mev.p50Us.toFixed(2), mev.p99Us.toFixed(2)]]));
}

if (process.argv.includes('--dashboard')) {
  console.log('\nThe dashboard\'s cost: 64 concurrent callers on one portfolio, without and with dashboards following it live (latency in ms)\n');
  console.log(await benchDashboard(seconds));
} else await main();
