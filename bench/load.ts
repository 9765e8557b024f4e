import { randomUUID } from 'node:crypto';
import { build, type Histogram } from 'hdr-histogram-js';
import type { ExecutorClient, TradeResultMessage } from '../src/client/index.js';

/** Per-stage server-side timings, as reported in every TradeResult. */
export const STAGES = ['validationUs', 'priceLookupUs', 'slippageUs', 'mevUs', 'portfolioUpdateUs', 'journalUs', 'totalUs'] as const;
export type StageName = (typeof STAGES)[number];

export interface LoadResult {
  readonly concurrency: number;
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  /** Client-observed latency, microseconds. */
  readonly latency: Histogram;
  /** Server-side stage timings, microseconds (trade load only). */
  readonly stages: ReadonlyMap<StageName, Histogram>;
}

const histogram = (): Histogram => build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

/**
 * A closed loop: `concurrency` callers each send a request, wait for the answer, and send the next,
 * for `seconds`. The latency of every answer goes into an HDR histogram.
 */
export async function closedLoop(
  concurrency: number,
  seconds: number,
  call: (worker: number, i: number) => Promise<TradeResultMessage | undefined>,
): Promise<LoadResult> {
  const latency = histogram();
  const stages = new Map<StageName, Histogram>(STAGES.map((s) => [s, histogram()]));
  let requests = 0;
  let errors = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; process.hrtime.bigint() < end; i++) {
        const t0 = process.hrtime.bigint();
        try {
          const r = await call(worker, i);
          latency.recordValue(Number((process.hrtime.bigint() - t0) / 1000n));
          const m = r?.executionMetrics;
          if (m) for (const s of STAGES) stages.get(s)?.recordValue(Math.max(1, Number(m[s])));
        } catch {
          errors++;
        }
        requests++;
      }
    }),
  );
  return { concurrency, requests, errors, seconds: Number(process.hrtime.bigint() - start) / 1e9, latency, stages };
}

/** A small trade that alternates BUY and SELL so a long run never drains a portfolio. */
export function tradeCall(client: ExecutorClient, portfolios: number) {
  return (worker: number, i: number): Promise<TradeResultMessage> =>
    client.executeTrade({
      requestId: randomUUID(),
      action: i % 2 === 0 ? 'BUY' : 'SELL',
      baseToken: 'SOL',
      quoteToken: 'USDC',
      amount: '0.01',
      isBaseInput: true,
      portfolioId: `bench-${worker % portfolios}`,
      simulateMev: true,
    });
}

export const noopCall = (client: ExecutorClient) => async (): Promise<undefined> => {
  await client.noop('bench');
  return undefined;
};
