/**
 * StreamTrades under hostile readers, over real gRPC connections with the real executor and journal:
 * the number of open streams is bounded (server.maxStreams overall, server.maxStreamsPerKey per API
 * key), a stream past the bound is refused RESOURCE_EXHAUSTED (TOO_MANY_STREAMS) and a closed one
 * frees its slot; a subscriber that never reads is ended RESOURCE_EXHAUSTED (STREAM_TOO_SLOW) after a
 * bounded number of trades instead of buffering every trade the portfolio makes. Behaviour only:
 * memory and throughput are measured by `bench/overload.ts --silent-streams`, never asserted here.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, constants as http2constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDefinition } from '../src/contract/index.js';
import { ERROR_CODE_METADATA_KEY } from '../src/server/index.js';
import { apiKeyHash } from '../src/server/guards/index.js';
import { startTestServer, trade } from './support.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not reached in time: ${what}`);
    await sleep(5);
  }
}

interface Ended {
  readonly code: number;
  readonly details: string;
  readonly errorCode: unknown;
}

interface Opened {
  /** Starts reading: counts the trades received until the status. */
  resume(): void;
  cancel(): void;
  /** Trades received so far. */
  readonly received: number;
  /** Resolves with the call's final status (OK for a clean end). */
  readonly ended: Promise<Ended>;
}

/**
 * A StreamTrades call over a bare HTTP/2 stream that reads nothing until told to: unlike grpc-js's
 * client, which reads whatever arrives into its own memory, a paused HTTP/2 stream sends no window
 * updates, so HTTP/2 flow control pushes back on the server, as a reader that hangs would.
 */
function openStream(session: ClientHttp2Session, portfolioId: string, apiKey?: string): Opened {
  const m = serviceDefinition('paper_trader.v1.PaperTradeExecutor').StreamTrades;
  const body = m.requestSerialize({ portfolioId });
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  const headers: Record<string, string> = { ':method': 'POST', ':path': m.path, 'content-type': 'application/grpc', te: 'trailers' };
  if (apiKey !== undefined) headers['x-api-key'] = apiKey;
  const stream = session.request(headers);
  stream.pause();
  stream.end(frame);
  let received = 0;
  let pending = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
      pending = pending.subarray(5 + pending.readUInt32BE(1));
      received++;
    }
  });
  const ended = new Promise<Ended>((resolve) => {
    const readStatus = (h: IncomingHttpHeaders): void => {
      const st = h['grpc-status'];
      if (st === undefined) return;
      const msg = h['grpc-message'];
      resolve({ code: Number(st), details: typeof msg === 'string' ? decodeURIComponent(msg) : '', errorCode: h[ERROR_CODE_METADATA_KEY] });
    };
    stream.on('response', readStatus);
    stream.on('trailers', readStatus);
    stream.on('error', () => undefined);
    stream.on('close', () => resolve({ code: status.CANCELLED, details: `stream closed, rst ${stream.rstCode}`, errorCode: undefined }));
  });
  return {
    resume: () => stream.resume(),
    cancel: () => stream.close(http2constants.NGHTTP2_CANCEL),
    get received() {
      return received;
    },
    ended,
  };
}

describe('StreamTrades: bound on open streams', () => {
  let s: Server;
  const KEY_A = `key-a-${randomUUID()}`;
  const KEY_B = `key-b-${randomUUID()}`;

  let session: ClientHttp2Session;

  beforeAll(async () => {
    s = await startTestServer({
      server: {
        maxStreams: 3,
        maxStreamsPerKey: 2,
        apiKeys: [
          { name: 'alpha', keyHash: apiKeyHash(KEY_A), portfolios: ['*'] },
          { name: 'beta', keyHash: apiKeyHash(KEY_B), portfolios: ['*'] },
        ],
      },
    });
    session = connect(`http://127.0.0.1:${s.app.grpcPort}`);
  });
  afterAll(async () => {
    session.close();
    await s.stop();
  });

  it('refuses a stream past maxStreamsPerKey and past maxStreams with RESOURCE_EXHAUSTED; a closed stream frees its slot', async () => {
    const a1 = openStream(session, 'sa', KEY_A);
    const a2 = openStream(session, 'sa', KEY_A);
    await until(() => s.app.guard.streams.open === 2, 'two streams open');
    // A third stream of the same key: its own bound.
    const a3 = await openStream(session, 'sa', KEY_A).ended;
    expect(a3.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(a3.errorCode).toBe('TOO_MANY_STREAMS');
    expect(a3.details).toMatch(/API key alpha has 2 trade streams open, the most allowed \(server\.maxStreamsPerKey\)/);
    // Another key still gets one, then the server's bound is reached.
    const b1 = openStream(session, 'sb', KEY_B);
    await until(() => s.app.guard.streams.open === 3, 'three streams open');
    const b2 = await openStream(session, 'sb', KEY_B).ended;
    expect(b2.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(b2.errorCode).toBe('TOO_MANY_STREAMS');
    expect(b2.details).toMatch(/3 trade streams open, the most allowed \(server\.maxStreams\)/);
    expect(s.app.guard.streams.open).toBe(3);

    // The open streams work: a trade reaches both of the key's streams.
    await s.client.resetPortfolio('sa', {}, { metadata: withKey(KEY_A) });
    await s.client.executeTrade(trade({ portfolioId: 'sa', amount: '0.01' }), { metadata: withKey(KEY_A) });
    a1.resume();
    a2.resume();
    await until(() => a1.received === 1 && a2.received === 1, 'the trade on both streams');

    // Cancelling one frees its slot: the other key can open its second stream now.
    a1.cancel();
    await until(() => s.app.guard.streams.open === 2, 'slot freed');
    const b3 = openStream(session, 'sb', KEY_B);
    await until(() => s.app.guard.streams.open === 3, 'slot reused');
    for (const o of [a2, b1, b3]) o.cancel();
    await until(() => s.app.guard.streams.open === 0, 'all closed');
  });
});

function withKey(key: string): Metadata {
  const md = new Metadata();
  md.set('x-api-key', key);
  return md;
}

describe('StreamTrades: a subscriber that never reads', () => {
  let s: Server;

  let session: ClientHttp2Session;

  beforeAll(async () => {
    s = await startTestServer();
    session = connect(`http://127.0.0.1:${s.app.grpcPort}`);
  });
  afterAll(async () => {
    session.close();
    await s.stop();
  });

  it('is ended RESOURCE_EXHAUSTED (STREAM_TOO_SLOW) after a bounded number of trades; the portfolio keeps trading', async () => {
    const pid = 'silent';
    await s.client.resetPortfolio(pid, { SOL: '1000', USDC: '1000000' });
    const silent = openStream(session, pid);
    await until(() => s.app.guard.streams.open === 1, 'stream open');
    const TRADES = 600;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < TRADES) {
          const i = next++;
          await s.client.executeTrade(trade({ portfolioId: pid, amount: '0.01', action: i % 2 === 0 ? 'BUY' : 'SELL' }));
        }
      }),
    );
    // Only now does the client read: what the server kept for it, then the status.
    silent.resume();
    const end = await Promise.race([silent.ended, sleep(5_000).then(() => undefined)]);
    const received = silent.received;
    expect(end, `no status after ${received} of ${TRADES} trades: the stream was never ended`).toBeDefined();
    expect(end?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(end?.errorCode).toBe('STREAM_TOO_SLOW');
    expect(end?.details).toMatch(/stream reader too slow: more than \d+ trades behind/);
    // Bounded: it was ended once 128 trades (server.streamQueueTrades) waited behind what HTTP/2 flow
    // control had let through (one 64 KiB stream window, about 140 trades); it gets those, then the
    // status. Nowhere near the 600 made.
    expect(received).toBeLessThanOrEqual(300);
    expect(received).toBeGreaterThan(0);
    await until(() => s.app.guard.streams.open === 0, 'slot freed');
    expect((await s.client.getPortfolio(pid)).tradeCount).toBe(String(TRADES));
  });
});
