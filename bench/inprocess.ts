import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { build, type Histogram } from 'hdr-histogram-js';
import { buildExecutor } from '../src/app.js';
import { configSchema } from '../src/config/schema.js';
import type { RawTradeRequest } from '../src/domain/request.js';
import type { ExecutionMetrics } from '../src/executor/types.js';
import { createMetrics } from '../src/observability/metrics.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMemoryJournal } from '../src/store/memory-journal.js';
import { startAllocationMeter } from './alloc.js';
import { table } from './table.js';
import { STAGES } from './load.js';


const request = (i: number): RawTradeRequest => ({
  requestId: randomUUID(),
  action: i % 2 === 0 ? 'BUY' : 'SELL',
  baseToken: 'SOL',
  quoteToken: 'USDC',
  amount: '0.01',
  isBaseInput: true,
  priorityFee: '0',
  simulateMev: true,
  portfolioId: `p${i % 16}`,
  mevProtection: 'UNSPECIFIED',
});

/** Heap in use after a full collection when the process runs with --expose-gc, else as it stands. */
function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/**
 * The executor alone, in process, no transport and an in-memory journal: what a trade costs the
 * pipeline itself. Sequential (one trade at a time) and in waves of 1,000 concurrent trades; the
 * CPU time per trade of each mode (process.cpuUsage, user + system); the bytes each trade allocates
 * (bench/alloc.ts: freed by the collector plus heap growth, what GC pressure is made of); the heap
 * each trade and each portfolio retains (the in-memory journal keeps every trade, so this is the
 * trade as held in memory; exact with --expose-gc).
 *
 *   npm run build && node --expose-gc dist/bench/inprocess.js
 */
export async function benchInProcess(trades = 20_000): Promise<string> {
  const { executor } = buildExecutor(configSchema.parse({}), silentLogger(), createMetrics({ defaultMetrics: false }), {
    journal: createMemoryJournal(),
  });
  const rows: string[][] = [];
  for (const mode of ['sequential', '1,000 concurrent'] as const) {
    const hist = new Map<string, Histogram>(STAGES.map((s) => [s, build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 })]));
    const record = (m: ExecutionMetrics): void => {
      for (const s of STAGES) hist.get(s)?.recordValue(Math.max(1, m[s]));
    };
    for (let i = 0; i < 2_000; i++) await executor.executeTrade(request(i)); // warm-up
    const heapBefore = heapUsed();
    const allocation = startAllocationMeter();
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    if (mode === 'sequential') {
      for (let i = 0; i < trades; i++) record((await executor.executeTrade(request(i))).metrics);
    } else {
      for (let wave = 0; wave < trades / 1_000; wave++) {
        const results = await Promise.all(Array.from({ length: 1_000 }, (_, i) => executor.executeTrade(request(i))));
        for (const r of results) record(r.metrics);
      }
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    const allocatedPerTrade = allocation.stop() / trades;
    const cpuUsPerTrade = (used.user + used.system) / trades;
    const heapPerTrade = (heapUsed() - heapBefore) / trades;
    // In waves of 1,000 every stage timing also holds the wait behind the other 999 trades on one
    // thread: only the throughput says something there.
    if (mode === 'sequential') {
      for (const s of STAGES) {
        const h = hist.get(s);
        if (h) rows.push([mode, s.replace(/Us$/, ''), String(h.getValueAtPercentile(50)), String(h.getValueAtPercentile(99)), String(h.getValueAtPercentile(99.9))]);
      }
    }
    rows.push([mode, 'trades/s', (trades / seconds).toFixed(0), '', '']);
    rows.push([mode, 'CPU µs/trade', cpuUsPerTrade.toFixed(1), '', '']);
    rows.push([mode, 'allocated bytes/trade', allocatedPerTrade.toFixed(0), '', '']);
    rows.push([mode, 'retained heap bytes/trade', heapPerTrade.toFixed(0), '', '']);
  }
  // A portfolio on its own: created by a reset, no trades (its state, its entry in the book, its mark).
  const portfolios = 5_000;
  const heapBefore = heapUsed();
  for (let i = 0; i < portfolios; i++) await executor.resetPortfolio(`empty-${i}`, {});
  rows.push(['portfolios', 'heap bytes/portfolio', ((heapUsed() - heapBefore) / portfolios).toFixed(0), '', '']);
  return table(['mode', 'stage', 'p50 µs', 'p99 µs', 'p99.9 µs'], rows);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await benchInProcess(Number(process.env.PTE_BENCH_TRADES ?? '20000')));
