import { randomUUID } from 'node:crypto';
import { Metadata, type Client } from '@grpc/grpc-js';
import { build, type Histogram } from 'hdr-histogram-js';
import type { TradeResultMessage } from '../src/client/index.js';
import { serviceDefinition, type TradeRequestMessageInput } from '../src/contract/index.js';

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

/**
 * One unary call that leaves the response encoded. The load generator shares the machine's two cores
 * with the server; decoding every response would make it, not the server, the bottleneck. A sample of
 * trade responses (1 in SAMPLE_EVERY) is decoded for the server's stage timings.
 */
function rawUnary(client: Client, path: string, serialize: (req: never) => Buffer, req: unknown): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(path, serialize as (r: unknown) => Buffer, (b: Buffer) => b, req, new Metadata(), {}, (err, res) => {
      if (err) reject(err);
      else resolve(res ?? Buffer.alloc(0));
    });
  });
}

const SAMPLE_EVERY = 8;

/** The benchmarks' trade: small, alternating BUY and SELL so a long run never drains a portfolio. */
export function benchTrade(i: number, portfolioId: string, simulateMev: boolean): TradeRequestMessageInput {
  return {
    requestId: randomUUID(),
    action: i % 2 === 0 ? 'TRADE_ACTION_BUY' : 'TRADE_ACTION_SELL',
    baseToken: 'SOL',
    quoteToken: 'USDC',
    amount: '0.01',
    isBaseInput: true,
    priorityFee: '0',
    simulateMev,
    portfolioId,
    mevProtection: 'MEV_PROTECTION_UNSPECIFIED',
    metadata: null,
    slippageModel: null,
  };
}

export function tradeCall(client: Client, portfolios: number) {
  const m = serviceDefinition('paper_trader.v1.PaperTradeExecutor').ExecuteTrade;
  return async (worker: number, i: number): Promise<TradeResultMessage | undefined> => {
    const req = benchTrade(i, `bench-${worker % portfolios}`, true);
    const raw = await rawUnary(client, m.path, m.requestSerialize, req);
    return i % SAMPLE_EVERY === 0 ? m.responseDeserialize(raw) : undefined;
  };
}

