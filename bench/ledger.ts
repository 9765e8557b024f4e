/**
 * The ledger stores side by side, in one run: the embedded file journal (one executor), and a
 * PostgreSQL ledger shared by 1, 2 and 3 executors. Each executor is the real service in its own
 * process (bench/server.ts); one closed-loop generator in this process keeps STREAMS trades in flight,
 * spread round robin over the executors (client-side round robin, as docs/deployment.md describes),
 * over 16 portfolios. Every configuration gets a fresh database on the machine's PostgreSQL.
 *
 * Columns: trades/s, p50/p99 latency, and database round trips per trade (the stores' own count of
 * queries sent, summed over the executors, over trades answered). On a 2-core machine the executors,
 * PostgreSQL and the generator share two CPUs, so the rows show the cost of a shared ledger, not its
 * scaling: more executors add processes, not cores.
 *
 *   npm run bench:ledger   (PTE_BENCH_SECONDS per configuration, default 5; PTE_BENCH_STREAMS default 64;
 *                           PTE_BENCH_PG admin URL, default postgres://postgres@127.0.0.1:5432/postgres)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'hdr-histogram-js';
import pg from 'pg';
import { createExecutorClient, type ExecutorClient } from '../src/client/index.js';
import { forkPinned, reply, SERVER_NODE_FLAGS } from './closed.js';
import { ms, table } from './table.js';

const SECONDS = Number(process.env.PTE_BENCH_SECONDS ?? '5');
const STREAMS = Number(process.env.PTE_BENCH_STREAMS ?? '64');
const ADMIN = process.env.PTE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PORTFOLIOS = 16;

interface Row {
  readonly ledger: string;
  readonly executors: number;
  readonly trades: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly roundTrips: number | undefined;
}

interface LedgerStats {
  readonly roundTrips: number;
}

async function startServer(config: Record<string, unknown>, cpu: number | undefined): Promise<{ child: ChildProcess; client: ExecutorClient }> {
  const child = forkPinned(fileURLToPath(new URL('./server.js', import.meta.url)), [], cpu, { ...process.env, PTE_BENCH_CONFIG: JSON.stringify(config) }, SERVER_NODE_FLAGS);
  const port = await reply<number>(child, 'port');
  const client = createExecutorClient(`127.0.0.1:${port}`, { defaultDeadlineMs: 30_000 });
  await client.waitForReady(10_000);
  return { child, client };
}

async function roundTrips(child: ChildProcess): Promise<number | undefined> {
  const p = reply<LedgerStats | null>(child, 'ledger');
  child.send('ledger');
  return (await p)?.roundTrips;
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send('stop');
  await exited;
}

/** STREAMS loops, each sending its next trade as soon as the last is answered, round robin over the clients. */
async function drive(clients: readonly ExecutorClient[], seconds: number): Promise<Omit<Row, 'ledger' | 'executors' | 'roundTrips'>> {
  const hist = build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  let trades = 0;
  let errors = 0;
  let next = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const loop = async (s: number): Promise<void> => {
    let i = 0;
    while (performance.now() < end) {
      const client = clients[next++ % clients.length];
      if (!client) return;
      const started = performance.now();
      try {
        await client.executeTrade({
          requestId: randomUUID(),
          portfolioId: `bench-${s % PORTFOLIOS}`,
          action: i++ % 2 === 0 ? 'BUY' : 'SELL',
          baseToken: 'SOL',
          quoteToken: 'USDC',
          amount: '0.01',
          isBaseInput: true,
        });
        hist.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
        trades++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: STREAMS }, (_, s) => loop(s)));
  return { trades, errors, seconds: (performance.now() - t0) / 1000, p50Us: hist.getValueAtPercentile(50), p99Us: hist.getValueAtPercentile(99) };
}

async function measure(ledger: string, executors: number, url: string | undefined): Promise<Row> {
  // Executors on the first CPU, this generator on the second (PostgreSQL runs where the OS puts it).
  const servers = [];
  for (let i = 0; i < executors; i++) servers.push(await startServer(url === undefined ? {} : { ledger: { url } }, 0));
  const clients = servers.map((s) => s.client);
  await drive(clients, Math.min(2, SECONDS)); // warm-up: JIT, pools, the portfolios created
  const before = await Promise.all(servers.map((s) => roundTrips(s.child)));
  const r = await drive(clients, SECONDS);
  const after = await Promise.all(servers.map((s) => roundTrips(s.child)));
  for (const s of servers) s.client.close();
  await Promise.all(servers.map((s) => stop(s.child)));
  const trips = url === undefined ? undefined : after.reduce<number>((sum, a, i) => sum + (a ?? 0) - (before[i] ?? 0), 0);
  return { ledger, executors, ...r, roundTrips: trips };
}

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  const name = `pte_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const u = new URL(ADMIN);
    u.pathname = `/${name}`;
    return await fn(u.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

export async function benchLedger(): Promise<string> {
  // This process is the generator: keep it off the executors' CPU where taskset exists.
  try {
    execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
  } catch {
    process.stderr.write('bench: taskset unavailable; the generator is not pinned\n');
  }
  const rows: Row[] = [await measure('file journal', 1, undefined)];
  for (const n of [1, 2, 3]) rows.push(await withDatabase((url) => measure('PostgreSQL', n, url)));
  return table(
    ['ledger', 'executors', 'trades/s', 'p50 ms', 'p99 ms', 'DB round trips / trade', 'errors'],
    rows.map((r) => [
      r.ledger,
      String(r.executors),
      (r.trades / r.seconds).toFixed(0),
      ms(r.p50Us),
      ms(r.p99Us),
      r.roundTrips === undefined ? '-' : (r.roundTrips / Math.max(1, r.trades)).toFixed(2),
      String(r.errors),
    ]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stderr.write(`bench: ledger stores, ${STREAMS} trades in flight, ${SECONDS} s per configuration\n`);
  console.log(await benchLedger());
}
