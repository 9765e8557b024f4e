/**
 * Overload benchmark: open-loop arrivals at stepped rates past the server's capacity. Requests are
 * sent on a schedule (rate r: one every 1/r s) whether or not earlier ones have answered, and each
 * latency is measured from its intended send time, so a stalled server is charged for the requests
 * it kept waiting (corrected for coordinated omission). The table shows achieved vs offered rate, the
 * latency of accepted requests, the share refused RESOURCE_EXHAUSTED and why the server refused them
 * (event-loop delay or the in-flight bound, told apart by the status details).
 *
 *   npm run build && node dist/bench/overload.js
 *   node dist/bench/overload.js --soak 600     (10 minutes at a steady rate; heap and RSS every 30 s)
 *   node dist/bench/overload.js --silent-streams 2000   (StreamTrades readers that never read: memory, trades/s)
 *
 * Env: PTE_OVERLOAD_RATES (default "500,1000,2000,4000,8000"), PTE_OVERLOAD_SECONDS (per step, 5),
 * PTE_OVERLOAD_MAX_IN_FLIGHT (server.maxInFlight; default 64, the soak 256),
 * PTE_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS (server.maxEventLoopDelayMs; default 50, the soak 0 = the service's default),
 * PTE_OVERLOAD_PIN=0 (no CPU pinning), PTE_OVERLOAD_CLIENT=grpc-js (send through grpc-js instead of
 * bare HTTP/2), PTE_SOAK_RATE (default 500/s), PTE_OVERLOAD_MAX_STREAMS (server.maxStreams; unset =
 * the service's default), PTE_SILENT_TRADES (trades per phase of --silent-streams, default 1,000).
 *
 * The server runs in a child process (this file with --server); traffic goes to 127.0.0.1 only. With
 * `taskset` and at least two CPUs the stepped run pins the server to one CPU and this load generator
 * to another, so neither steals the other's CPU; the placement is printed with the table. The
 * generator's own lateness against its schedule is a column (send lag): latency from the intended
 * send time includes it. The soak is unchanged: unpinned, grpc-js, maxInFlight 256.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { Metadata, status, type Client } from '@grpc/grpc-js';
import { build } from 'hdr-histogram-js';
import { createExecutorClient } from '../src/client/index.js';
import { serviceDefinition, type TradeRequestMessageInput } from '../src/contract/index.js';
import { SERVER_NODE_FLAGS } from './closed.js';
import { benchTrade } from './load.js';
import { ms, table } from './table.js';

interface Mem {
  readonly heapUsed: number;
  readonly rss: number;
  /** The journal's trade index: entries and bytes (off-heap, part of RSS). */
  readonly indexedTrades: number;
  readonly indexBytes: number;
  /** The slowest fdatasync so far (over the journal's recent syncs), µs. */
  readonly syncMaxUs: number;
  /** Marks in the journal's mark index. */
  readonly indexedMarks?: number;
}

async function serve(): Promise<void> {
  const { startApp } = await import('../src/app.js');
  const { configSchema } = await import('../src/config/schema.js');
  const { silentLogger } = await import('../src/observability/logger.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'pte-overload-'));
  // Both set by main(); the stream bound only when asked for.
  const maxStreams = process.env.PTE_OVERLOAD_MAX_STREAMS;
  const server = {
    maxInFlight: Number(process.env.PTE_OVERLOAD_MAX_IN_FLIGHT),
    maxEventLoopDelayMs: Number(process.env.PTE_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS),
    ...(maxStreams === undefined ? {} : { maxStreams: Number(maxStreams) }),
  };
  const app = await startApp(
    // Marks on: one per trade, and periodic ones every PTE_OVERLOAD_MARKS_INTERVAL_MS (default 1 s, far more often than the service's 60 s).
    configSchema.parse({ dataDir, grpc: { port: 0 }, metrics: { port: 0 }, http: { port: 0 }, server, journal: { snapshotEvery: 50_000 }, marks: { intervalMs: Number(process.env.PTE_OVERLOAD_MARKS_INTERVAL_MS ?? '1000') } }),
    { logger: silentLogger() },
  );
  process.send?.({ port: app.grpcPort });
  process.on('disconnect', () => process.exit(1));
  process.on('message', (m) => {
    if (m === 'mem' || m === 'mem-gc') {
      // --silent-streams runs the server with --expose-gc, so heap figures are live data, not garbage.
      const gc = (globalThis as { gc?: () => void }).gc;
      if (m === 'mem-gc' && gc) gc();
      const u = process.memoryUsage();
      const j = app.journal?.stats();
      process.send?.({ mem: { heapUsed: u.heapUsed, rss: u.rss, indexedTrades: j?.indexedTrades ?? 0, indexBytes: j?.indexBytes ?? 0, indexedMarks: j?.indexedMarks ?? 0, syncMaxUs: j?.syncMaxUs ?? 0 } });
    } else if (m === 'stop') {
      void app.stop(2_000).then(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
    }
  });
}

/** Where the server and the load generator run (taskset), or why they are not pinned. */
interface Placement {
  readonly serverCpu?: number;
  readonly generatorCpu?: number;
  readonly description: string;
}

/** "0-2,5" -> [0, 1, 2, 5] */
function cpuList(text: string): number[] {
  return text.split(',').flatMap((part) => {
    const [a, b] = part.trim().split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) return [];
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

/** Picks a CPU for the server and another for this process, when taskset exists and two are allowed. */
function choosePlacement(pin: boolean): Placement {
  if (!pin) return { description: 'unpinned (PTE_OVERLOAD_PIN=0): server and generator share every CPU' };
  let allowed: number[];
  try {
    // "pid 123's current affinity list: 0,1"
    allowed = cpuList(execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' }).split(':').pop() ?? '');
  } catch {
    return { description: 'unpinned (no taskset): server and generator share every CPU' };
  }
  const [serverCpu, generatorCpu] = allowed;
  if (serverCpu === undefined || generatorCpu === undefined) return { description: `unpinned (only CPU ${allowed.join(',')} allowed)` };
  // -a: every thread of this process, so libuv's pool threads created later inherit it too.
  execFileSync('taskset', ['-a', '-pc', String(generatorCpu), String(process.pid)], { stdio: 'ignore' });
  return { serverCpu, generatorCpu, description: `server pinned to CPU ${serverCpu}, load generator to CPU ${generatorCpu} (taskset)` };
}

interface Step {
  readonly offered: number;
  readonly sent: number;
  /** From the first send to one interval after the last (the answers may come later). */
  readonly sendSeconds: number;
  /** How late the generator sent, against the schedule (its own lag, µs). */
  readonly sendLagP99Us: number;
  readonly ok: number;
  readonly exhausted: number;
  /** RESOURCE_EXHAUSTED because the server's event loop lagged (server.maxEventLoopDelayMs). */
  readonly byLoopDelay: number;
  /** RESOURCE_EXHAUSTED because server.maxInFlight calls were in flight. */
  readonly byInFlight: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

/** A call's outcome: gRPC status code (0 = OK) and details. */
interface Outcome {
  readonly code: status;
  readonly details: string;
}

/** Sends one ExecuteTrade and reports its outcome once. */
type Send = (req: TradeRequestMessageInput, done: (o: Outcome) => void) => void;

/** Through grpc-js, as a strategy would call (the soak and the warm-up). */
function grpcSender(client: Client): Send {
  const m = serviceDefinition('paper_trader.v1.PaperTradeExecutor').ExecuteTrade;
  return (req, done) => {
    client.makeUnaryRequest(m.path, m.requestSerialize, (b: Buffer) => b, req, new Metadata(), { deadline: Date.now() + 30_000 }, (err) => {
      done(err ? { code: err.code, details: err.details } : { code: status.OK, details: '' });
    });
  };
}

/**
 * The same gRPC request bytes over a bare HTTP/2 stream (what h2load or ghz would send): a 5-byte
 * length prefix, the protobuf message, `grpc-timeout`; the status is read from the trailers (or the
 * headers of a trailers-only answer). grpc-js's client costs several hundred microseconds of CPU a
 * call, so on one core it cannot offer much more than the server accepts; this one costs a fraction
 * of that, so the stepped run can offer rates well past capacity. The server sees the same calls.
 */
function h2Sender(session: ClientHttp2Session): Send {
  const m = serviceDefinition('paper_trader.v1.PaperTradeExecutor').ExecuteTrade;
  return (req, done) => {
    const body = m.requestSerialize(req);
    const frame = Buffer.allocUnsafe(5 + body.length);
    frame[0] = 0; // not compressed
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    let code = status.UNKNOWN;
    let details = 'no grpc-status';
    const readStatus = (h: IncomingHttpHeaders): void => {
      const s = h['grpc-status'];
      if (s === undefined) return;
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- a gRPC status number off the wire
      code = Number(s);
      const msg = h['grpc-message'];
      try {
        details = typeof msg === 'string' ? decodeURIComponent(msg) : '';
      } catch {
        details = String(msg);
      }
    };
    let stream: ClientHttp2Stream;
    try {
      stream = session.request({ ':method': 'POST', ':path': m.path, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '30S' });
    } catch (e) {
      // The session is gone (its error was reported once): every further call is an error.
      done({ code: status.UNAVAILABLE, details: e instanceof Error ? e.message : String(e) });
      return;
    }
    stream.on('response', readStatus);
    stream.on('trailers', readStatus);
    stream.on('data', () => undefined); // the TradeResult itself is not needed
    stream.on('error', (e: Error) => {
      code = status.UNAVAILABLE;
      details = e.message;
    });
    stream.on('close', () => done({ code, details }));
    stream.end(frame);
  };
}

/** Open loop at `rate` per second for `seconds`; latency from each request's intended send time. */
async function openLoop(send: Send, rate: number, seconds: number, onError?: (e: string) => void): Promise<Step> {
  const accepted = build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const sendLag = build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const total = Math.round(rate * seconds);
  let sent = 0;
  let ok = 0;
  let exhausted = 0;
  let byLoopDelay = 0;
  let byInFlight = 0;
  let errors = 0;
  let answered = 0;
  const start = performance.now();
  let lastSend = start;
  const interval = 1000 / rate;
  await new Promise<void>((resolve) => {
    const sendDue = (): void => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const intended = start + sent * interval;
        const i = sent++;
        // i % 16 picks the portfolio, so each portfolio alternates BUY and SELL on its own count.
        const req = benchTrade(Math.floor(i / 16), `ovl-${i % 16}`, false);
        lastSend = performance.now();
        sendLag.recordValue(Math.max(1, Math.round((lastSend - intended) * 1000)));
        send(req, ({ code, details }) => {
          const us = Math.max(1, Math.round((performance.now() - intended) * 1000));
          if (code === status.OK) {
            ok++;
            accepted.recordValue(us);
          } else if (code === status.RESOURCE_EXHAUSTED) {
            exhausted++;
            // Both are OVERLOADED (the pte-error-code trailer); the details say which check refused.
            if (details.includes('event loop delay')) byLoopDelay++;
            else if (details.includes('in flight')) byInFlight++;
          } else {
            errors++;
            onError?.(`${status[code]}: ${details}`);
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
    sendSeconds: (lastSend - start + interval) / 1000, // n sends span n - 1 intervals
    sendLagP99Us: sendLag.getValueAtPercentile(99),
    ok,
    exhausted,
    byLoopDelay,
    byInFlight,
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
  const silentIndex = process.argv.indexOf('--silent-streams');
  const silentStreams = silentIndex >= 0 ? Number(process.argv[silentIndex + 1] ?? '2000') : 0;
  const placement = soakSeconds > 0 ? undefined : choosePlacement(process.env.PTE_OVERLOAD_PIN !== '0');
  if (placement) process.stderr.write(`overload: ${placement.description}\n`);
  // --silent-streams measures the service as configured by default: no shedding, the default bound.
  const maxInFlight = process.env.PTE_OVERLOAD_MAX_IN_FLIGHT ?? (silentStreams > 0 ? '2048' : soakSeconds > 0 ? '256' : '64');
  const loopDelay = process.env.PTE_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS ?? (soakSeconds > 0 || silentStreams > 0 ? '0' : '50');
  const nodeArgs = [...process.execArgv, ...SERVER_NODE_FLAGS, ...(silentStreams > 0 ? ['--expose-gc'] : [])];
  const pinned =
    placement?.serverCpu === undefined
      ? { execArgv: nodeArgs }
      : { execPath: 'taskset', execArgv: ['-c', String(placement.serverCpu), process.execPath, ...nodeArgs] };
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, PTE_OVERLOAD_MAX_IN_FLIGHT: maxInFlight, PTE_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: loopDelay },
    ...pinned,
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (msg) => resolve((msg as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const mem = (kind: 'mem' | 'mem-gc' = 'mem'): Promise<Mem> =>
    new Promise((resolve) => {
      const on = (msg: unknown): void => {
        const m = (msg as { mem?: Mem }).mem;
        if (m) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.send(kind);
    });
  const client = createExecutorClient(`127.0.0.1:${port}`);
  await client.waitForReady(5_000);
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);

  // Warm-up: JIT, price cache, portfolios.
  await openLoop(grpcSender(client.grpcClient), 300, 2);

  if (silentStreams > 0) {
    await silentStreamsRun(port, client.grpcClient, silentStreams, mem);
  } else if (soakSeconds > 0) {
    const rate = Number(process.env.PTE_SOAK_RATE ?? '500');
    const errorsSeen: string[] = [];
    const samples: { t: number; mem: Mem; p99Us: number; errors: number; exhausted: number }[] = [];
    process.stderr.write(`soak: ${soakSeconds} s at ${rate}/s\n`);
    const rows: string[][] = [];
    for (let t = 0; t < soakSeconds; t += 30) {
      const step = await openLoop(grpcSender(client.grpcClient), rate, Math.min(30, soakSeconds - t), (e) => errorsSeen.push(e));
      const m = await mem();
      samples.push({ t: t + 30, mem: m, p99Us: step.p99Us, errors: step.errors, exhausted: step.exhausted });
      const row = [String(t + 30), (step.ok / step.seconds).toFixed(0), ms(step.p99Us), String(step.errors), String(step.exhausted), mb(m.heapUsed), mb(m.rss), String(m.indexedTrades), mb(m.indexBytes), String(m.indexedMarks ?? 0), ms(m.syncMaxUs)];
      rows.push(row);
      process.stderr.write(`soak: ${row.join('  ')}\n`);
    }
    console.log(`\nSoak: ${soakSeconds} s at ${rate} trades/s (open loop; server heap and RSS after each 30 s)\n`);
    console.log(table(['t (s)', 'trades/s', 'p99 ms', 'errors', 'RESOURCE_EXHAUSTED', 'heap MiB', 'RSS MiB', 'indexed trades', 'index MiB', 'indexed marks', 'slowest fsync so far ms'], rows));
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
    const useGrpcJs = process.env.PTE_OVERLOAD_CLIENT === 'grpc-js';
    const session = useGrpcJs ? undefined : connect(`http://127.0.0.1:${port}`, { maxSessionMemory: 1_000 });
    session?.on('error', (e: Error) => process.stderr.write(`overload: HTTP/2 session error: ${e.message}\n`));
    const send = session ? h2Sender(session) : grpcSender(client.grpcClient);
    const rows: string[][] = [];
    for (const rate of rates) {
      process.stderr.write(`overload: ${rate}/s for ${seconds} s ...\n`);
      const s = await openLoop(send, rate, seconds);
      const pct = (n: number): string => `${((100 * n) / Math.max(1, s.sent)).toFixed(1)} %`;
      rows.push([
        String(rate),
        (s.sent / s.sendSeconds).toFixed(0),
        ms(s.sendLagP99Us),
        (s.ok / s.seconds).toFixed(0),
        ms(s.p50Us),
        ms(s.p99Us),
        ms(s.maxUs),
        pct(s.exhausted),
        `${pct(s.byLoopDelay)} / ${pct(s.byInFlight)}`,
        String(s.errors),
      ]);
    }
    session?.close();
    console.log(
      `\nOverload: open loop, latency from the intended send time (ms); server.maxInFlight ${maxInFlight}, ` +
        `server.maxEventLoopDelayMs ${loopDelay}; ${useGrpcJs ? 'grpc-js client' : 'bare HTTP/2 client'}; ${placement?.description ?? ''}\n`,
    );
    console.log(
      table(
        ['offered/s', 'sent/s', 'send lag p99', 'accepted/s', 'p50 accepted', 'p99 accepted', 'max accepted', 'RESOURCE_EXHAUSTED', 'loop delay / in flight', 'other errors'],
        rows,
      ),
    );
  }
  client.close();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
}

/** `count` trades in a closed loop, 16 at a time, over grpc-js (as a strategy would send them); trades/s. */
async function closedLoop(client: Client, count: number, offset: number): Promise<{ perSec: number; errors: number }> {
  const send = grpcSender(client);
  let next = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < count; i = next++) {
        const k = offset + i;
        // k % 16 picks the portfolio, so each portfolio alternates BUY and SELL on its own count.
        const o = await new Promise<Outcome>((resolve) => send(benchTrade(Math.floor(k / 16), `ovl-${k % 16}`, false), resolve));
        if (o.code !== status.OK) errors++;
      }
    }),
  );
  return { perSec: count / ((performance.now() - start) / 1000), errors };
}

/** One StreamTrades call over bare HTTP/2 that never reads (paused: no window updates). */
function silentStream(session: ClientHttp2Session, portfolioId: string): { readonly refused: () => boolean; close: () => void } {
  const m = serviceDefinition('paper_trader.v1.PaperTradeExecutor').StreamTrades;
  const body = m.requestSerialize({ portfolioId });
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  let refused = false;
  const stream = session.request({ ':method': 'POST', ':path': m.path, 'content-type': 'application/grpc', te: 'trailers' });
  stream.pause();
  stream.on('response', (h: IncomingHttpHeaders) => {
    // A trailers-only answer: the server refused the stream (RESOURCE_EXHAUSTED past server.maxStreams).
    if (h['grpc-status'] !== undefined && h['grpc-status'] !== '0') refused = true;
  });
  stream.on('error', () => undefined);
  stream.end(frame);
  return { refused: () => refused, close: () => stream.close() };
}

/**
 * StreamTrades readers that never read: trades/s and server memory without them, then with `count`
 * of them open on the traded portfolios (spread over 8 connections). What the stream bound refuses
 * is counted; each open one is a reader the server must not buffer for without bound.
 */
async function silentStreamsRun(port: number, client: Client, count: number, mem: (kind: 'mem' | 'mem-gc') => Promise<Mem>): Promise<void> {
  const trades = Number(process.env.PTE_SILENT_TRADES ?? '1000');
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
  process.stderr.write(`silent streams: ${trades} trades without readers ...\n`);
  const before = await mem('mem-gc');
  const base = await closedLoop(client, trades, 0);
  const afterBase = await mem('mem');
  const sessions = Array.from({ length: 8 }, () => connect(`http://127.0.0.1:${port}`, { maxSessionMemory: 1_000 }));
  for (const s of sessions) s.on('error', (e: Error) => process.stderr.write(`silent streams: HTTP/2 session error: ${e.message}\n`));
  const streams = Array.from({ length: count }, (_, i) => silentStream(sessions[i % sessions.length] as ClientHttp2Session, `ovl-${i % 16}`));
  await new Promise((r) => setTimeout(r, 1_000));
  const refused = streams.filter((s) => s.refused()).length;
  const opened = await mem('mem-gc');
  process.stderr.write(`silent streams: ${count - refused} open, ${refused} refused; ${trades} trades ...\n`);
  const loaded = await closedLoop(client, trades, trades);
  const afterLoaded = await mem('mem');
  const settled = await mem('mem-gc');
  for (const s of streams) s.close();
  for (const s of sessions) s.close();
  const row = (what: string, open: string, m: Mem, perSec: string): string[] => [what, open, mb(m.heapUsed), mb(m.rss), perSec];
  console.log(
    `\nSilent StreamTrades readers: ${count} asked for, ${count - refused} open, ${refused} refused RESOURCE_EXHAUSTED ` +
      `(server.maxStreams ${process.env.PTE_OVERLOAD_MAX_STREAMS ?? 'default'}); ${trades} trades per phase, closed loop, 16 at a time, grpc-js client\n`,
  );
  console.log(
    table(
      ['phase', 'open streams', 'heap MiB', 'RSS MiB', 'trades/s'],
      [
        row('start (after GC)', '0', before, '-'),
        row(`after ${trades} trades, no streams`, '0', afterBase, base.perSec.toFixed(0)),
        row('streams opened (after GC)', String(count - refused), opened, '-'),
        row(`after ${trades} trades with the streams`, String(count - refused), afterLoaded, loaded.perSec.toFixed(0)),
        row('end (after GC)', String(count - refused), settled, '-'),
      ],
    ),
  );
  const rssGrowth = settled.rss - afterBase.rss;
  console.log(
    `\nRSS growth with the streams: ${mb(Math.max(afterLoaded.rss, settled.rss) - afterBase.rss)} MiB (peak after the loaded phase vs the unloaded one; ${mb(rssGrowth)} after GC); ` +
      `trades/s ${((100 * loaded.perSec) / base.perSec).toFixed(0)} % of the rate without them; errors ${base.errors + loaded.errors}`,
  );
}

if (process.argv.includes('--server')) await serve();
else await main();
