/**
 * End to end against the real server (bench/server.ts, default configuration: durable journal on),
 * driven from a separate load-generator process (this file with --generator) over bare HTTP/2 with
 * pre-serialized gRPC frames. With `taskset` and at least two CPUs the server is pinned to one CPU
 * and the generator to another, so the generator's CPU never competes with the server's.
 *
 * Closed loop: N streams in flight (N = 1, 64, 1,000 by default), each answered request replaced at
 * once by the next, for a fixed duration per level. Every ExecuteTrade carries its own request_id
 * (UUIDs generated before the timed window and patched into an encoded template). The yardstick is
 * the standard health check (grpc.health.v1.Health/Check) on the same server in the same run: the
 * same transport, the same process, no trading. Then the burst: 1,000 trades sent at once on one
 * portfolio, cold (the first traffic after the server starts) and warm (after the closed-loop levels).
 *
 * Only answers with grpc-status 0 count as trades; everything else is an error, counted apart.
 * Server CPU per trade is the server process's CPU time (user + system, every thread) over the phase
 * divided by the trades answered OK. The generator's own CPU use is a column: near 100 % it, not the
 * server, is the limit.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, createServer, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build, type Histogram } from 'hdr-histogram-js';
import { serviceDefinition } from '../src/contract/index.js';
import { benchTrade } from './load.js';
import { ms, table } from './table.js';

const PORTFOLIOS = 16;
const BURST = 1_000;
/** Streams per HTTP/2 session: 1 and 64 streams share one session, 1,000 spread over four. */
const STREAMS_PER_SESSION = 256;

export type Kind = 'trade' | 'health';

/** One phase as the generator saw it (latencies of OK answers only, µs). */
export interface PhaseResult {
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  /** From the first send to the last answer. */
  readonly seconds: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
  /** The generator's CPU time over the phase / its wall time. */
  readonly generatorCpu: number;
  /** Bursts: when the generator had handed the last request to HTTP/2, and when the first answer came (µs from the start). */
  readonly sentUs?: number;
  readonly firstUs?: number;
}

export type Command = { readonly cmd: 'load'; readonly kind: Kind; readonly streams: number; readonly seconds: number } | { readonly cmd: 'burst'; readonly portfolio: string; readonly count: number };

const histogram = (): Histogram => build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });

/** A gRPC message frame: uncompressed flag, 4-byte length, the message. */
function grpcFrame(body: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  return frame;
}

const tradeMethod = serviceDefinition('paper_trader.v1.PaperTradeExecutor').ExecuteTrade;
const healthMethod = serviceDefinition('grpc.health.v1.Health').Check;

/**
 * ExecuteTrade frames with distinct request ids: one encoded template per (portfolio, side), its
 * request_id (a UUID, always 36 ASCII bytes) overwritten in a copy. Request i goes to portfolio
 * i % portfolios and alternates BUY and SELL on that portfolio, so a long run never drains one.
 */
class TradeFrames {
  private readonly templates: { readonly frame: Buffer; readonly at: number }[] = [];

  constructor(private readonly portfolios: readonly string[]) {
    for (const p of portfolios) {
      for (const side of [0, 1]) {
        const id = randomUUID();
        const frame = grpcFrame(tradeMethod.requestSerialize({ ...benchTrade(side, p, true), requestId: id }));
        this.templates.push({ frame, at: frame.indexOf(id, 5, 'latin1') });
      }
    }
  }

  frame(i: number, id: string = randomUUID()): Buffer {
    const p = i % this.portfolios.length;
    const side = Math.floor(i / this.portfolios.length) % 2;
    const t = this.templates[p * 2 + side];
    if (!t) throw new Error('no template');
    const frame = Buffer.from(t.frame);
    frame.write(id, t.at, 'latin1');
    return frame;
  }

  /** `count` frames, built before the timed window. */
  prepare(count: number): Buffer[] {
    return Array.from({ length: count }, (_, i) => this.frame(i));
  }
}

/** One unary call on a bare HTTP/2 stream; `done(true)` only for grpc-status 0. */
function call(session: ClientHttp2Session, path: string, frame: Buffer, done: (ok: boolean, error?: string) => void): void {
  let code: string | undefined;
  let message = 'no grpc-status';
  const read = (h: IncomingHttpHeaders): void => {
    const s = h['grpc-status'];
    if (s === undefined) return;
    code = String(s);
    message = `grpc-status ${code} ${String(h['grpc-message'] ?? '')}`;
  };
  let stream;
  try {
    stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
  } catch (e) {
    setImmediate(() => done(false, e instanceof Error ? e.message : String(e)));
    return;
  }
  stream.on('response', read);
  stream.on('trailers', read);
  stream.on('data', () => undefined); // the answer's body is not needed, its status is
  stream.on('error', (e: Error) => {
    code = undefined;
    message = e.message;
  });
  stream.on('close', () => done(code === '0', message));
  stream.end(frame);
}

function summarize(h: Histogram, ok: number, errors: number, firstError: string | undefined, startMs: number, cpu0: NodeJS.CpuUsage): PhaseResult {
  const wallMs = performance.now() - startMs;
  const cpu = process.cpuUsage(cpu0);
  return {
    ok,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    seconds: wallMs / 1000,
    p50Us: h.getValueAtPercentile(50),
    p99Us: h.getValueAtPercentile(99),
    p999Us: h.getValueAtPercentile(99.9),
    maxUs: h.maxValue,
    generatorCpu: (cpu.user + cpu.system) / 1000 / wallMs,
  };
}

/**
 * Warms the generator's own HTTP/2 client up before it measures anything: bursts of `count` calls
 * against a stand-in server in this process that answers each with grpc-status 0 at once. Without it
 * the cold burst's figures would also hold the generator compiling its client code (its "all sent"
 * was 98 ms cold against 18-39 ms warm), which is not the server's cold start.
 */
async function warmGenerator(frame: Buffer, count: number, rounds: number): Promise<void> {
  const server = createServer();
  server.on('stream', (stream) => {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { maxSessionMemory: 1_000 });
  for (let r = 0; r < rounds; r++) {
    await new Promise<void>((resolve) => {
      let answered = 0;
      for (let i = 0; i < count; i++) call(session, tradeMethod.path, frame, () => (++answered === count ? resolve() : undefined));
    });
  }
  session.close();
  await new Promise((resolve) => server.close(resolve));
}

/** The generator process: connects, then runs what the parent asks for and reports each result. */
async function generator(): Promise<void> {
  const port = Number(process.env.PTE_BENCH_PORT);
  const open = (): Promise<ClientHttp2Session> =>
    new Promise((resolve, reject) => {
      const s = connect(`http://127.0.0.1:${port}`, { maxSessionMemory: 1_000 });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  const sessions: ClientHttp2Session[] = [await open()];
  for (const s of sessions) s.on('error', (e: Error) => process.stderr.write(`bench generator: HTTP/2 session error: ${e.message}\n`));
  const frames = new TradeFrames(Array.from({ length: PORTFOLIOS }, (_, i) => `bench-${i}`));
  await warmGenerator(frames.frame(0), BURST, 5);
  const healthFrame = grpcFrame(healthMethod.requestSerialize({ service: '' }));

  const load = async (kind: Kind, streams: number, seconds: number): Promise<PhaseResult> => {
    while (sessions.length < Math.ceil(streams / STREAMS_PER_SESSION)) sessions.push(await open());
    // Room for far more trades than a phase answers; past it, frames are built as they go.
    const prepared = kind === 'trade' ? frames.prepare(Math.ceil(seconds * 20_000)) : [];
    const path = kind === 'trade' ? tradeMethod.path : healthMethod.path;
    const h = histogram();
    let next = 0;
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const end = start + seconds * 1000;
    await new Promise<void>((resolve) => {
      let active = streams;
      const fire = (slot: number): void => {
        const t0 = performance.now();
        if (t0 >= end) {
          if (--active === 0) resolve();
          return;
        }
        const i = next++;
        const frame = kind === 'trade' ? (prepared[i] ?? frames.frame(i)) : healthFrame;
        call(sessions[slot % sessions.length] as ClientHttp2Session, path, frame, (good, error) => {
          if (good) {
            ok++;
            h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
          } else {
            errors++;
            firstError ??= error;
          }
          fire(slot);
        });
      };
      for (let s = 0; s < streams; s++) fire(s);
    });
    return summarize(h, ok, errors, firstError, start, cpu0);
  };

  /** `count` trades on one portfolio, all sent at once on one session; latency from the burst's start. */
  const burst = async (portfolio: string, count: number): Promise<PhaseResult> => {
    const burstFrames = new TradeFrames([portfolio]).prepare(count);
    const session = sessions[0] as ClientHttp2Session;
    const h = histogram();
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    let sentUs = 0;
    let firstUs: number | undefined;
    await new Promise<void>((resolve) => {
      let answered = 0;
      for (const frame of burstFrames) {
        call(session, tradeMethod.path, frame, (good, error) => {
          const us = Math.max(1, Math.round((performance.now() - start) * 1000));
          firstUs ??= us;
          if (good) {
            ok++;
            h.recordValue(us);
          } else {
            errors++;
            firstError ??= error;
          }
          if (++answered === count) resolve();
        });
      }
      sentUs = (performance.now() - start) * 1000;
    });
    return { ...summarize(h, ok, errors, firstError, start, cpu0), sentUs, firstUs: firstUs ?? 0 };
  };

  process.on('message', (m: Command | 'stop') => {
    if (m === 'stop') {
      for (const s of sessions) s.close();
      process.exit(0);
    }
    void (m.cmd === 'load' ? load(m.kind, m.streams, m.seconds) : burst(m.portfolio, m.count)).then((result) => process.send?.({ result }));
  });
  process.on('disconnect', () => process.exit(1));
  process.send?.({ ready: true });
}

/** "0-2,5" -> [0, 1, 2, 5] */
function cpuList(text: string): number[] {
  return text.split(',').flatMap((part) => {
    const [a, b] = part.trim().split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) return [];
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

/** The server's CPU and the generator's (taskset -c), or why they are not pinned. */
export function placement(): { readonly server?: number; readonly generator?: number; readonly description: string } {
  let allowed: number[];
  try {
    // "pid 123's current affinity list: 0,1"
    allowed = cpuList(execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' }).split(':').pop() ?? '');
  } catch {
    return { description: 'unpinned (no taskset): server and generator share every CPU' };
  }
  const [server, generator] = allowed;
  if (server === undefined || generator === undefined) return { description: `unpinned (only CPU ${allowed.join(',')} allowed)` };
  return { server, generator, description: `server pinned to CPU ${server}, load generator to CPU ${generator} (taskset)` };
}

/**
 * The node flags the service runs with: `pte` (the shebang of src/cli/main.ts) and `npm start` give
 * the young generation 64 MiB semi-spaces instead of 16, so a burst's short-lived objects are
 * collected in fewer scavenges (docs/deployment.md). Every benchmark starts its server with them.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** Forks `path` pinned to `cpu` (taskset) when given; `nodeArgs` go to node after the parent's own. */
export function forkPinned(path: string, args: string[], cpu: number | undefined, env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): ChildProcess {
  const execArgv = [...process.execArgv, ...nodeArgs];
  const pin = cpu === undefined ? { execArgv } : { execPath: 'taskset', execArgv: ['-c', String(cpu), process.execPath, ...execArgv] };
  return fork(path, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env, ...pin });
}

/** The next IPC message from `child` that has `key`. */
export function reply<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && key in m) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve((m as Record<string, T>)[key] as T);
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`bench child exited with ${code} before sending ${key}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Starts the server and the generator, runs the closed-loop levels and the bursts, stops both and
 * returns the tables (Markdown).
 */
export async function benchEndToEnd(seconds: number, levels: readonly number[]): Promise<string> {
  const where = placement();
  process.stderr.write(`bench: ${where.description}\n`);
  const server = forkPinned(fileURLToPath(new URL('./server.js', import.meta.url)), [], where.server, process.env, SERVER_NODE_FLAGS);
  const port = await reply<number>(server, 'port');
  const generator = forkPinned(fileURLToPath(import.meta.url), ['--generator'], where.generator, { ...process.env, PTE_BENCH_PORT: String(port) });
  await reply(generator, 'ready');
  process.stderr.write(`bench: server on 127.0.0.1:${port}; ${seconds} s per level; levels ${levels.join(', ')}\n`);

  const serverCpuUs = async (): Promise<number> => {
    const p = reply<NodeJS.CpuUsage>(server, 'cpu');
    server.send('cpu');
    const c = await p;
    return c.user + c.system;
  };
  /** Runs one command; the result and the server's CPU time over it (µs). */
  const run = async (c: Command): Promise<{ r: PhaseResult; cpuUs: number }> => {
    const before = await serverCpuUs();
    const p = reply<PhaseResult>(generator, 'result');
    generator.send(c);
    const r = await p;
    const cpuUs = (await serverCpuUs()) - before;
    if (r.firstError !== undefined) process.stderr.write(`bench: ${r.errors} errors (first: ${r.firstError})\n`);
    return { r, cpuUs };
  };
  const perOk = (x: { r: PhaseResult; cpuUs: number }): string => (x.r.ok > 0 ? (x.cpuUs / x.r.ok).toFixed(0) : '-');
  const pct = (r: PhaseResult): string => `${(100 * r.generatorCpu).toFixed(0)} %`;

  process.stderr.write(`bench: cold burst of ${BURST} trades ...\n`);
  const cold = await run({ cmd: 'burst', portfolio: 'burst-cold', count: BURST });
  // Warm-up: JIT, price cache, the portfolios the levels trade on.
  await run({ cmd: 'load', kind: 'trade', streams: 64, seconds: 2 });
  await run({ cmd: 'load', kind: 'health', streams: 64, seconds: 1 });

  const rows: string[][] = [];
  for (const streams of levels) {
    process.stderr.write(`bench: ${streams} streams ...\n`);
    const t = await run({ cmd: 'load', kind: 'trade', streams, seconds });
    const h = await run({ cmd: 'load', kind: 'health', streams, seconds });
    const tps = t.r.ok / t.r.seconds;
    const hps = h.r.ok / h.r.seconds;
    rows.push([
      String(streams),
      tps.toFixed(0),
      ms(t.r.p50Us),
      ms(t.r.p99Us),
      ms(t.r.p999Us),
      String(t.r.errors),
      perOk(t),
      hps.toFixed(0),
      ms(h.r.p50Us),
      ms(h.r.p99Us),
      ms(h.r.p999Us),
      String(h.r.errors),
      perOk(h),
      hps > 0 ? (tps / hps).toFixed(2) : '-',
      `${pct(t.r)} / ${pct(h.r)}`,
    ]);
  }

  process.stderr.write(`bench: warm burst of ${BURST} trades ...\n`);
  const warm = await run({ cmd: 'burst', portfolio: 'burst-warm', count: BURST });
  const burstRow = (what: string, b: { r: PhaseResult; cpuUs: number }): string[] => [
    what,
    String(b.r.ok),
    String(b.r.errors),
    ms(b.r.sentUs ?? 0),
    ms(b.r.firstUs ?? 0),
    ms(b.r.p50Us),
    ms(b.r.seconds * 1e6),
    perOk(b),
  ];

  generator.send('stop');
  server.send('stop');
  await Promise.all([new Promise((r) => generator.once('exit', r)), new Promise((r) => server.once('exit', r))]);

  return [
    `End to end over bare HTTP/2, closed loop, ${seconds} s per level; pre-serialized requests, distinct request ids; ` +
      `the yardstick is grpc.health.v1.Health/Check on the same server; ${where.description}. Latency in ms, server CPU in µs per answer.\n`,
    table(
      ['streams', 'trades/s', 'p50', 'p99', 'p99.9', 'errors', 'server CPU/trade', 'checks/s', 'check p50', 'check p99', 'check p99.9', 'check errors', 'server CPU/check', 'trades/checks', 'generator CPU (trade / check)'],
      rows,
    ),
    `\nBurst: ${BURST} trades sent at once on one portfolio, cold (the first traffic after the server starts) and warm (after the levels above). ` +
      'Times from the burst\'s start, ms: when the generator had handed its last request to HTTP/2 (its own floor), the first answer, ' +
      'the median and the last; server CPU in µs per trade.\n',
    table(['burst', 'trades OK', 'errors', 'all sent', 'first answer', 'p50', 'last answer', 'server CPU/trade'], [burstRow('cold', cold), burstRow('warm', warm)]),
  ].join('\n');
}

if (process.argv.includes('--generator')) await generator();
