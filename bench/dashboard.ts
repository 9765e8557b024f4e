/**
 * The dashboard's cost to trading: trade throughput at 64 concurrent gRPC callers on one busy
 * portfolio, without and with N dashboards following that portfolio's live updates (server-sent
 * events, GET /api/v1/portfolios/:id/events). Phases alternate (without, with, with, without, ...) so drift
 * in the machine's speed falls on both alike. Each follower reads and counts what it receives, as a
 * browser's stream reader would; it does not render.
 *
 *   npm run build && node dist/bench/run.js --dashboard
 *
 * Env: PTE_BENCH_SECONDS (per phase, default 5), PTE_DASHBOARD_CLIENTS (followers, default 8),
 * PTE_DASHBOARD_ROUNDS (default 4; each is one phase without and one with, in A B B A order).
 */
import { fork } from 'node:child_process';
import { get, type ClientRequest } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createExecutorClient } from '../src/client/index.js';
import { closedLoop, tradeCall, type LoadResult } from './load.js';
import { ms, table } from './table.js';

const CONCURRENCY = 64;
const PORTFOLIO = 'bench-0';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

interface Follower {
  request: ClientRequest | undefined;
  events: number;
  bytes: number;
}

const DATA = Buffer.from('data: ');

/** Opens `n` live-update streams on the portfolio; resolves once each has been told it is connected. */
async function follow(httpPort: number, n: number): Promise<Follower[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Follower>((resolve, reject) => {
          const f: Follower = { request: undefined, events: 0, bytes: 0 };
          const req = get({ host: '127.0.0.1', port: httpPort, path: `/api/v1/portfolios/${PORTFOLIO}/events`, agent: false }, (res) => {
            if (res.statusCode !== 200) reject(new Error(`events: HTTP ${res.statusCode}`));
            let connected = false;
            res.on('data', (chunk: Buffer) => {
              f.bytes += chunk.length;
              for (let i = chunk.indexOf(DATA); i >= 0; i = chunk.indexOf(DATA, i + DATA.length)) f.events++;
              if (!connected) {
                connected = true;
                resolve(f);
              }
            });
            res.on('error', () => undefined);
          });
          req.on('error', reject);
          f.request = req;
        }),
    ),
  );
}

export async function benchDashboard(seconds: number): Promise<string> {
  const clients = Number(process.env.PTE_DASHBOARD_CLIENTS ?? '8');
  const rounds = Number(process.env.PTE_DASHBOARD_ROUNDS ?? '4');
  const httpPort = await freePort();
  const child = fork(fileURLToPath(new URL('./server.js', import.meta.url)), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, PTE_BENCH_HTTP_PORT: String(httpPort) },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const client = createExecutorClient(`127.0.0.1:${port}`);
  await client.waitForReady(5_000);
  process.stderr.write(`bench: dashboard cost, ${CONCURRENCY} callers on one portfolio, ${clients} followers, ${seconds}s per phase, ${rounds} rounds\n`);
  const call = tradeCall(client.grpcClient, 1);
  await closedLoop(CONCURRENCY, 3, call); // warm-up: JIT, price cache, the portfolio

  const rows: string[][] = [];
  const tps = { without: [] as number[], with: [] as number[] };
  const row = (mode: string, n: number, r: LoadResult, events: string, mb: string): void => {
    const rate = (r.requests - r.errors) / r.seconds;
    (n === 0 ? tps.without : tps.with).push(rate);
    rows.push([mode, String(n), rate.toFixed(0), ms(r.latency.getValueAtPercentile(50)), ms(r.latency.getValueAtPercentile(99)), String(r.errors), events, mb]);
  };
  const without = async (): Promise<void> => row('no dashboard', 0, await closedLoop(CONCURRENCY, seconds, call), '-', '-');
  const withFollowers = async (): Promise<void> => {
    const followers = await follow(httpPort, clients);
    const r = await closedLoop(CONCURRENCY, seconds, call);
    const events = followers.reduce((s, f) => s + f.events, 0);
    const bytes = followers.reduce((s, f) => s + f.bytes, 0);
    for (const f of followers) f.request?.destroy();
    row('dashboards following', clients, r, `${(events / clients / r.seconds).toFixed(1)}/s each`, (bytes / 1e6).toFixed(1));
  };
  // A B B A ...: a steady drift of the machine's speed (warm-up, the journal growing) falls on both alike.
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await without();
      await withFollowers();
    } else {
      await withFollowers();
      await without();
    }
  }
  client.close();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const change = (mean(tps.with) / mean(tps.without) - 1) * 100;
  return (
    table(['phase', 'followers', 'trades/s', 'p50', 'p99', 'errors', 'events', 'MB sent'], rows) +
    `\n\nthroughput with ${clients} dashboards following: ${change >= 0 ? '+' : ''}${change.toFixed(1)} % (mean of ${rounds} phases each; goal: no worse than -10 %)`
  );
}
