/**
 * Where the server's CPU goes per trade: the bench server (bench/server.ts) runs under
 * `node --cpu-prof`, pinned to its own CPU, and the load generator of bench/closed.ts drives it at
 * 64 streams for N seconds after a warm-up. The server is then stopped so V8 writes the profile,
 * and the samples taken inside the measured window (start-up and warm-up left out) are summed by
 * self time, per area of the code and per function.
 *
 *   npm run bench:profile   (PTE_BENCH_SECONDS default 10, PTE_BENCH_STREAMS default 64,
 *                            PTE_BENCH_LOG_LEVEL default info: logging to /dev/null as in production;
 *                            PTE_BENCH_KEEP_PROFILE=1 keeps the .cpuprofile for a closer look;
 *                            PTE_BENCH_TOP: how many functions to list, default 15;
 *                            PTE_BENCH_SERVER_NODE_ARGS: extra node flags for the server, space-separated)
 *
 * Shares are of the busy time (idle samples left out). The profile's clock is CLOCK_MONOTONIC
 * (µs), the same as the server's process.hrtime, which is how the window is cut.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkPinned, placement, reply, SERVER_NODE_FLAGS, type Command, type PhaseResult } from './closed.js';
import { table } from './table.js';

/** The subset of a .cpuprofile this tool reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The areas self time is summed by, in the order they are printed. */
export const AREAS = ['transport', 'executor/domain', 'GC', 'journal', 'logging', 'protobuf', 'handlers and mapping', 'metrics', 'market', 'other'] as const;
export type Area = (typeof AREAS)[number];

const TRANSPORT_INTERNALS = /^node:(?:http2|net|stream|_stream|internal\/(?:http2|streams|stream_base_commons|net|js_stream_socket))/;

/** The area a function belongs to, from its script's URL (or its name for V8's pseudo-frames). */
/** The functions protobufjs generates per message type (no script URL: they are built with new Function). */
const PROTOBUF_GENERATED = /^[A-Za-z_][\w]*\$(?:encode|decode|fromObject|toObject|verify)$/;

export function areaOf(functionName: string, url: string): Area {
  if (functionName === '(garbage collector)') return 'GC';
  if (url === '' && PROTOBUF_GENERATED.test(functionName)) return 'protobuf';
  if (url.includes('node_modules/@grpc/') || TRANSPORT_INTERNALS.test(url)) return 'transport';
  if (/\/src\/(?:executor|domain|report)\//.test(url)) return 'executor/domain';
  if (url.includes('/src/store/')) return 'journal';
  if (/node_modules\/(?:pino|sonic-boom|thread-stream|@pinojs|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|fast-safe-stringify)/.test(url)) return 'logging';
  if (/node_modules\/(?:protobufjs|@protobufjs|@bufbuild|long)\//.test(url) || url.includes('/src/contract/')) return 'protobuf';
  if (url.includes('/src/server/')) return 'handlers and mapping';
  if (/node_modules\/(?:prom-client|tdigest|bintrees)\//.test(url) || url.includes('/src/observability/')) return 'metrics';
  if (url.includes('/src/market/')) return 'market';
  return 'other';
}

export interface ProfileSummary {
  readonly busyUs: number;
  readonly idleUs: number;
  readonly areas: ReadonlyMap<Area, number>;
  /** Self time per function, largest first. */
  readonly functions: readonly { readonly name: string; readonly where: string; readonly area: Area; readonly us: number }[];
}

/** V8's pseudo-frames: no caller to charge them to. */
const PSEUDO = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/**
 * Self time per area and per function of the samples in [fromUs, toUs] (profile clock). A sample's
 * self time is the interval up to the next sample (the last one gets the mean interval). Native
 * functions and Node internals outside the transport (a hash's digest, a buffer write, fdatasync)
 * count toward the area of their nearest caller that has one: the digest of the state hash is the
 * executor's, the write of a journal record the journal's.
 */
export function summarize(profile: CpuProfile, fromUs = -Infinity, toUs = Infinity): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaById = new Map<number, Area>();
  const areaOfNode = (id: number): Area => {
    const known = areaById.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id);
    let area: Area = 'other';
    if (frame) {
      area = areaOf(frame.functionName, frame.url);
      const up = parent.get(id);
      if (area === 'other' && !PSEUDO.has(frame.functionName) && up !== undefined) area = areaOfNode(up);
    }
    areaById.set(id, area);
    return area;
  };
  const areas = new Map<Area, number>(AREAS.map((a) => [a, 0]));
  const functions = new Map<string, { name: string; where: string; area: Area; us: number }>();
  let busyUs = 0;
  let idleUs = 0;
  const { samples, timeDeltas } = profile;
  const meanUs = timeDeltas.length > 1 ? timeDeltas.slice(1).reduce((a, b) => a + b, 0) / (timeDeltas.length - 1) : 0;
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const id = samples[i] ?? -1;
    const frame = byId.get(id);
    if (!frame) continue;
    const us = timeDeltas[i + 1] ?? meanUs;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const area = areaOfNode(id);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const file = frame.url.replace(/^.*\/(node_modules\/|dist\/)/, '$1');
    const where = file === '' ? '(native)' : `${file}:${frame.lineNumber + 1}`;
    // By area too: a native function (a buffer write) counts apart for each area that calls it.
    const key = `${frame.functionName}@${where}@${area}`;
    const f = functions.get(key) ?? { name: frame.functionName || '(anonymous)', where, area, us: 0 };
    f.us += us;
    functions.set(key, f);
  }
  return { busyUs, idleUs, areas, functions: [...functions.values()].sort((a, b) => b.us - a.us) };
}

/** The area table and the top functions, Markdown. */
export function formatSummary(s: ProfileSummary, trades: number, top = 15): string {
  const share = (us: number): string => `${((100 * us) / Math.max(1, s.busyUs)).toFixed(1)} %`;
  const perTrade = (us: number): string => (trades > 0 ? (us / trades).toFixed(1) : '-');
  const areaRows = [...s.areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => [area, share(us), perTrade(us)]);
  areaRows.push(['total (busy)', '100 %', perTrade(s.busyUs)]);
  const fnRows = s.functions.slice(0, top).map((f) => [f.name, f.where, f.area, share(f.us), perTrade(f.us)]);
  return [
    table(['area', 'self time', 'µs/trade'], areaRows),
    '',
    `Top ${top} functions by self time`,
    '',
    table(['function', 'where', 'area', 'self time', 'µs/trade'], fnRows),
  ].join('\n');
}

async function main(): Promise<void> {
  const seconds = Number(process.env.PTE_BENCH_SECONDS ?? '10');
  const streams = Number(process.env.PTE_BENCH_STREAMS ?? '64');
  const logLevel = process.env.PTE_BENCH_LOG_LEVEL ?? 'info';
  const where = placement();
  const dir = mkdtempSync(join(tmpdir(), 'pte-profile-'));
  process.stderr.write(`profile: ${where.description}; ${streams} streams for ${seconds} s; server log level ${logLevel}\n`);
  try {
    const env = { ...process.env, PTE_BENCH_LOG_LEVEL: logLevel };
    const nodeArgs = (process.env.PTE_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const server = forkPinned(fileURLToPath(new URL('./server.js', import.meta.url)), [], where.server, env, ['--cpu-prof', '--cpu-prof-dir', dir, ...SERVER_NODE_FLAGS, ...nodeArgs]);
    const port = await reply<number>(server, 'port');
    const generator = forkPinned(fileURLToPath(new URL('./closed.js', import.meta.url)), ['--generator'], where.generator, { ...process.env, PTE_BENCH_PORT: String(port) });
    await reply(generator, 'ready');
    const ask = async <T>(child: typeof server, what: string): Promise<T> => {
      const p = reply<T>(child, what);
      child.send(what);
      return p;
    };
    const load = async (seconds: number): Promise<PhaseResult> => {
      const p = reply<PhaseResult>(generator, 'result');
      generator.send({ cmd: 'load', kind: 'trade', streams, seconds } satisfies Command);
      return p;
    };
    await load(3); // warm-up: JIT, price cache, the portfolios
    const cpu0 = await ask<NodeJS.CpuUsage>(server, 'cpu');
    const from = await ask<number>(server, 'mark');
    const r = await load(seconds);
    const to = await ask<number>(server, 'mark');
    const cpu1 = await ask<NodeJS.CpuUsage>(server, 'cpu');
    generator.send('stop');
    server.send('stop');
    await Promise.all([new Promise((x) => generator.once('exit', x)), new Promise((x) => server.once('exit', x))]);

    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no .cpuprofile written in ${dir}`);
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const s = summarize(profile, from, to);
    const cpuUs = cpu1.user + cpu1.system - (cpu0.user + cpu0.system);
    console.log(
      [
        `Server CPU profile at ${streams} streams, ${seconds} s after a 3 s warm-up (${where.description}; log level ${logLevel}): ` +
          `${r.ok} trades OK (${(r.ok / r.seconds).toFixed(0)}/s), ${r.errors} errors; server CPU ${(cpuUs / Math.max(1, r.ok)).toFixed(1)} µs/trade (every thread); ` +
          `main thread busy ${(s.busyUs / 1e3).toFixed(0)} ms, idle ${(s.idleUs / 1e3).toFixed(0)} ms. Self time by area (shares of busy time):`,
        '',
        formatSummary(s, r.ok, Number(process.env.PTE_BENCH_TOP ?? 15)),
      ].join('\n'),
    );
  } finally {
    if (process.env.PTE_BENCH_KEEP_PROFILE === '1') process.stderr.write(`profile: kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
