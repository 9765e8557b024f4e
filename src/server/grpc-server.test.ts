/**
 * TRANSPORT tests: a real gRPC server on 127.0.0.1 and the real typed client, with a FAKE executor
 * (test/fakes/fake-executor.ts) that returns fixed domain objects. They protect the wire contract:
 * mapping both ways, status codes, health, reflection, streams, deadlines and cancellation.
 */
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorClient, isServiceError, type ExecutorClient } from '../client/index.js';
import { ERROR_CODES, ExecutorError, type ErrorCode } from '../domain/errors.js';
import type { RawTradeRequest } from '../domain/request.js';
import type { ExecuteOptions, TradeResult } from '../executor/types.js';
import { createMetrics } from '../observability/metrics.js';
import { createGrpcServer, type GrpcServer } from './grpc-server.js';
import { createFakeExecutor, sampleTrade, type FakeExecutor } from '../../test/fakes/fake-executor.js';

const UUID = '6f1c1f1e-9a0b-4c4d-8e8f-0a1b2c3d4e5f';

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function captureLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

async function until(cond: () => boolean, timeoutMs = 2_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    if (isServiceError(e)) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

let fake: FakeExecutor;
let server: GrpcServer;
let client: ExecutorClient;
let address: string;
let logs: LogLine[];
let metrics: ReturnType<typeof createMetrics>;

beforeAll(async () => {
  fake = createFakeExecutor();
  const captured = captureLogger();
  logs = captured.lines;
  metrics = createMetrics({ defaultMetrics: false });
  server = createGrpcServer({ executor: fake, logger: captured.logger, metrics: metrics.sink, rpcMetrics: metrics.rpc, diagnostics: true });
  const port = await server.start('127.0.0.1', 0);
  address = `127.0.0.1:${port}`;
  client = createExecutorClient(address, { defaultDeadlineMs: 5_000 });
  await client.waitForReady(5_000);
});

afterAll(async () => {
  client.close();
  await server.shutdown(1_000);
});

afterEach(() => {
  fake.onExecute = undefined;
  fake.failWith = undefined;
  server.setServing(true);
});

const lastRaw = (): RawTradeRequest => {
  const last = fake.calls.executeTrade.at(-1);
  if (!last) throw new Error('executor not called');
  return last.raw;
};

describe('ExecuteTrade round trip', () => {
  it('maps a full request to RawTradeRequest with enums named and metadata as plain JSON', async () => {
    await client.executeTrade({
      requestId: UUID,
      action: 'BUY',
      baseToken: 'SOL',
      quoteToken: 'USDC',
      amount: '1.5',
      isBaseInput: true,
      slippageToleranceBps: 0,
      priorityFee: 10_000n,
      simulateMev: true,
      maxPriceImpactBps: 250,
      metadata: { strategy: 'mean-revert', nested: { n: 1.5, ok: true, none: null, list: [1, 'two', { three: 3 }] } },
      portfolioId: 'alpha',
      slippageModel: { name: 'fixed', params: { bps: 75 } },
      mevProtection: 'JITO_BUNDLE',
    });
    expect(lastRaw()).toEqual({
      requestId: UUID,
      action: 'BUY',
      baseToken: 'SOL',
      quoteToken: 'USDC',
      amount: '1.5',
      isBaseInput: true,
      slippageToleranceBps: 0,
      priorityFee: '10000',
      simulateMev: true,
      maxPriceImpactBps: 250,
      metadata: { strategy: 'mean-revert', nested: { n: 1.5, ok: true, none: null, list: [1, 'two', { three: 3 }] } },
      portfolioId: 'alpha',
      slippageModel: { name: 'fixed', params: { bps: 75 } },
      mevProtection: 'JITO_BUNDLE',
    } satisfies RawTradeRequest);
  });

  it('keeps absent optional fields absent (undefined), distinct from zero', async () => {
    await client.executeTrade({ requestId: UUID, action: 'SELL', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true });
    const raw = lastRaw();
    expect(raw.slippageToleranceBps).toBeUndefined();
    expect(raw.maxPriceImpactBps).toBeUndefined();
    expect(raw.metadata).toBeUndefined();
    expect(raw.slippageModel).toBeUndefined();
    expect(raw.action).toBe('SELL');
    expect(raw.mevProtection).toBe('UNSPECIFIED');
    expect(raw.priorityFee).toBe('0');
    expect(raw.portfolioId).toBe('');
  });

  it('passes unknown enum numbers through as numbers, so validation can reject them', async () => {
    await client.executeTrade({ requestId: UUID, action: 7, baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true, mevProtection: 42 });
    expect(lastRaw().action).toBe(7);
    expect(lastRaw().mevProtection).toBe(42);
    await client.executeTrade({ requestId: UUID, action: 0, baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true });
    expect(lastRaw().action).toBe('UNSPECIFIED');
  });

  it('keeps an empty metadata Struct present; a __proto__ key pollutes no prototype', async () => {
    await client.executeTrade({ requestId: UUID, action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true, metadata: {} });
    expect(lastRaw().metadata).toEqual({});
    const hostile = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, null>;
    await client.executeTrade({ requestId: UUID, action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true, metadata: hostile });
    const md = lastRaw().metadata ?? {};
    // protobufjs drops the key while decoding the map; what matters is that nothing is polluted.
    expect(Object.getPrototypeOf(md)).toBe(Object.prototype);
    expect((md as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns the domain result on the wire: exact decimal strings, rounded against the trader', async () => {
    const r = await client.executeTrade({ requestId: UUID, action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1.5', isBaseInput: true });
    expect(r.requestId).toBe(UUID);
    expect(r.warnings).toEqual(['price is 3 s old']);
    const t = r.trade;
    expect(t).not.toBeNull();
    expect(t).toMatchObject({
      tradeId: 'trade-1',
      action: 'TRADE_ACTION_BUY',
      status: 'TRADE_STATUS_FILLED',
      inputAmount: '225.000001',
      outputAmount: '1.5',
      expectedPrice: '149.666666666666666666',
      executedPrice: '150.333333333333333334',
      networkFeeLamports: '2054280',
      seed: '18446744073709551615',
      sequence: '7',
      executedAt: { seconds: '1700000000', nanos: 123_000_000 },
      fees: { baseFeeLamports: '5000', priorityFeeLamports: '10000', rentLamports: '2039280', signatures: 1 },
      base: { symbol: 'SOL', mint: 'So11111111111111111111111111111111111111112', decimals: 9 },
      route: [{ label: 'Orca', inAmount: '225000001', outAmount: '1500000000', percent: 100 }],
      mev: { simulated: false, attacked: false, lossUsd: '0', riskLevel: 'none' },
      failureReason: '',
    });
    expect(r.portfolioState).toMatchObject({
      balances: [
        { token: { symbol: 'SOL' }, amount: '98.5', usdValue: '14742.15' },
        { token: { symbol: 'USDC' }, amount: '1' },
      ],
      tradeCount: '3',
      feesPaidLamports: '2054280',
      updatedAt: { seconds: '1700000000', nanos: 500_000_000 },
    });
    expect(r.executionMetrics).toMatchObject({ totalUs: '813', journalUs: '700', cacheHit: true, priceSource: 'sim' });
  });
});

describe('other methods round trip', () => {
  it('GetPortfolio, ResetPortfolio, ListTrades and Noop reach the executor and come back', async () => {
    const p = await client.getPortfolio('alpha');
    expect(fake.calls.getPortfolio.at(-1)).toBe('alpha');
    expect(p.portfolioId).toBe('alpha');
    expect(p.totalValueUsd).toBe('14743.15');
    expect(p.realizedPnlUsd).toBe('-0.5');

    await client.resetPortfolio('beta', { SOL: '10', USDC: '1000.5' });
    expect(fake.calls.resetPortfolio.at(-1)).toEqual({ portfolioId: 'beta', balances: { SOL: '10', USDC: '1000.5' } });
    await client.resetPortfolio('beta');
    expect(fake.calls.resetPortfolio.at(-1)?.balances).toEqual({});

    const page = await client.listTrades({ portfolioId: 'alpha', limit: 2, pageToken: 'abc' });
    expect(fake.calls.listTrades.at(-1)).toEqual({ portfolioId: 'alpha', limit: 2, pageToken: 'abc' });
    expect(page.nextPageToken).toBe('next');
    expect(page.trades.map((t) => [t.tradeId, t.action, t.status])).toEqual([
      ['trade-1', 'TRADE_ACTION_BUY', 'TRADE_STATUS_FILLED'],
      ['trade-0', 'TRADE_ACTION_SELL', 'TRADE_STATUS_FAILED_SLIPPAGE'],
    ]);
    // SELL prices round down (the seller receives less).
    expect(page.trades[1]?.executedPrice).toBe('150.333333333333333333');

    expect(await client.noop('echo-me')).toEqual({ requestId: 'echo-me' });
  });
});

describe('errors', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it.each(codes)('ExecutorError %s maps to its gRPC status, message and pte-error-code', async (code) => {
    fake.onExecute = () => Promise.reject(new ExecutorError(code, `boom ${code}`, { field: 'amount' }));
    const e = await rejection(client.executeTrade({ requestId: UUID, action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true }));
    expect(e.code).toBe(ERROR_CODES[code].status);
    expect(e.details).toBe(`boom ${code}`);
    expect(e.metadata.get('pte-error-code')).toEqual([code]);
    expect(e.metadata.get('pte-error-field')).toEqual(['amount']);
  });

  it('an unexpected error becomes INTERNAL with no stack trace, and is logged at error level', async () => {
    fake.onExecute = () => Promise.reject(new TypeError('cannot read x of undefined'));
    const e = await rejection(client.executeTrade({ requestId: UUID, action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true }));
    expect(e.code).toBe(status.INTERNAL);
    expect(e.details).toBe('internal error: cannot read x of undefined');
    expect(e.details).not.toMatch(/\bat .*:\d+/);
    const line = logs.filter((l) => l.level === 50 && l.msg === 'internal error').at(-1);
    expect(line).toBeDefined();
    expect(line?.request_id).toBe(UUID);
    expect(JSON.stringify(line?.err)).toContain('cannot read x of undefined');
  });

  it('an executor that throws synchronously is answered, and the server keeps serving', async () => {
    fake.onExecute = () => {
      throw new Error('sync throw');
    };
    const e = await rejection(client.executeTrade({ requestId: UUID, action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true }));
    expect(e.code).toBe(status.INTERNAL);
    fake.failWith = new ExecutorError('TOKEN_NOT_FOUND', 'portfolio_id: nope', { field: 'portfolio_id' });
    expect((await rejection(client.getPortfolio('x'))).code).toBe(status.NOT_FOUND);
    expect((await rejection(client.resetPortfolio('x'))).code).toBe(status.NOT_FOUND);
    expect((await rejection(client.listTrades())).code).toBe(status.NOT_FOUND);
    fake.failWith = undefined;
    expect(await client.noop('still-here')).toEqual({ requestId: 'still-here' });
  });

  it('a Struct nested too deep is INVALID_ARGUMENT naming metadata, before the executor', async () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const before = fake.calls.executeTrade.length;
    const e = await rejection(
      client.executeTrade({ requestId: UUID, action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true, metadata: deep as never }),
    );
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toMatch(/^metadata: /);
    expect(fake.calls.executeTrade.length).toBe(before);
  });

  it('counts errors by executor code and times calls by method and status', async () => {
    fake.onExecute = () => Promise.reject(new ExecutorError('DUPLICATE_REQUEST', 'dup', { field: 'request_id' }));
    await rejection(client.executeTrade({ requestId: UUID, action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true }));
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/pte_errors_total\{code="DUPLICATE_REQUEST"\} [1-9]/);
    expect(text).toMatch(/pte_rpc_duration_seconds_count\{method="ExecuteTrade",code="ALREADY_EXISTS"\} [1-9]/);
    expect(text).toMatch(/pte_rpc_duration_seconds_count\{method="Noop",code="OK"\} [1-9]/);
  });
});

describe('deadlines and cancellation', () => {
  const waitForAbort = (_raw: RawTradeRequest, options: ExecuteOptions | undefined): Promise<TradeResult> =>
    new Promise((_resolve, reject) => {
      const signal = options?.signal;
      if (!signal) {
        reject(new Error('no signal given'));
        return;
      }
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });

  it("aborts the executor's signal when the client's deadline passes", async () => {
    fake.onExecute = waitForAbort;
    const e = await rejection(
      client.executeTrade({ requestId: UUID, action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true }, { deadlineMs: 150 }),
    );
    expect(e.code).toBe(status.DEADLINE_EXCEEDED);
    const signal = fake.calls.executeTrade.at(-1)?.options?.signal;
    await until(() => signal?.aborted === true);
  });

  it("aborts the executor's signal when the client cancels", async () => {
    fake.onExecute = waitForAbort;
    const controller = new AbortController();
    const before = fake.calls.executeTrade.length;
    const pending = client.executeTrade(
      { requestId: UUID, action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true },
      { signal: controller.signal, deadlineMs: 10_000 },
    );
    await until(() => fake.calls.executeTrade.length > before);
    controller.abort();
    expect((await rejection(pending)).code).toBe(status.CANCELLED);
    const signal = fake.calls.executeTrade.at(-1)?.options?.signal;
    await until(() => signal?.aborted === true);
    expect(await client.noop('after-cancel')).toEqual({ requestId: 'after-cancel' });
  });
});

describe('StreamTrades', () => {
  it('delivers booked trades and unsubscribes when the client cancels', async () => {
    const stream = client.streamTrades('live');
    await until(() => fake.subscriberCount('live') === 1);
    fake.publish(sampleTrade({ portfolioId: 'live', tradeId: 'a' }));
    fake.publish(sampleTrade({ portfolioId: 'other', tradeId: 'not-mine' }));
    fake.publish(sampleTrade({ portfolioId: 'live', tradeId: 'b', action: 'SELL' }));
    const got: string[] = [];
    for await (const t of stream) {
      got.push(`${t.tradeId}:${t.action}`);
      if (got.length === 2) stream.cancel();
    }
    expect(got).toEqual(['a:TRADE_ACTION_BUY', 'b:TRADE_ACTION_SELL']);
    await until(() => fake.subscriberCount('live') === 0);
  });

  it('unsubscribes when the consumer breaks out of the loop', async () => {
    const stream = client.streamTrades('brk');
    await until(() => fake.subscriberCount('brk') === 1);
    fake.publish(sampleTrade({ portfolioId: 'brk' }));
    for await (const t of stream) {
      expect(t.portfolioId).toBe('brk');
      break;
    }
    await until(() => fake.subscriberCount('brk') === 0);
  });

  it('a subscribe failure ends the stream with the mapped status', async () => {
    fake.failWith = new ExecutorError('INVALID_ARGUMENT', 'portfolio_id: bad', { field: 'portfolio_id' });
    const stream = client.streamTrades('bad id');
    let caught: unknown;
    try {
      for await (const t of stream) throw new Error(`no trade expected, got ${t.tradeId}`);
    } catch (e) {
      caught = e;
    }
    expect(isServiceError(caught) && caught.code).toBe(status.INVALID_ARGUMENT);
    expect(isServiceError(caught) && caught.details).toBe('portfolio_id: bad');
  });
});

function rawUnary<Req, Res>(m: MethodDefinition<Req, Res>, req: Req): Promise<Res> {
  const c = new Client(address, credentials.createInsecure());
  return new Promise<Res>((resolve, reject) => {
    c.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, new Metadata(), {}, (err, res) => {
      c.close();
      if (err) reject(err);
      else if (res === undefined) reject(new Error('no response'));
      else resolve(res);
    });
  });
}

describe('health', () => {
  interface HealthCheckRequest {
    service: string;
  }
  interface HealthCheckResponse {
    status: string;
  }
  const check = healthService.Check as unknown as MethodDefinition<HealthCheckRequest, HealthCheckResponse>;

  it('answers SERVING for the server and the executor service, NOT_SERVING after setServing(false)', async () => {
    expect((await rawUnary(check, { service: '' })).status).toBe('SERVING');
    expect((await rawUnary(check, { service: 'paper_trader.v1.PaperTradeExecutor' })).status).toBe('SERVING');
    server.setServing(false);
    expect((await rawUnary(check, { service: '' })).status).toBe('NOT_SERVING');
    expect((await rawUnary(check, { service: 'paper_trader.v1.PaperTradeExecutor' })).status).toBe('NOT_SERVING');
    await expect(rawUnary(check, { service: 'no.such.Service' })).rejects.toMatchObject({ code: status.NOT_FOUND });
  });
});

describe('reflection', () => {
  interface ReflectionRequest {
    listServices?: string;
    fileContainingSymbol?: string;
  }
  interface ReflectionResponse {
    listServicesResponse?: { service: { name: string }[] } | null;
    fileDescriptorResponse?: { fileDescriptorProto: Buffer[] } | null;
    errorResponse?: { errorCode: number; errorMessage: string } | null;
  }

  async function reflect(req: ReflectionRequest): Promise<ReflectionResponse> {
    // The standard reflection proto, vendored in proto/grpc/ (a client brings its own copy, as grpcurl does).
    const protoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');
    const pkg = loadSync('grpc/reflection/v1/reflection.proto', { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [protoDir] });
    const svc = pkg['grpc.reflection.v1.ServerReflection'] as unknown as Record<string, MethodDefinition<ReflectionRequest, ReflectionResponse>>;
    const m = svc.ServerReflectionInfo;
    if (!m) throw new Error('reflection proto has no ServerReflectionInfo');
    const c = new Client(address, credentials.createInsecure());
    try {
      const call = c.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata(), {});
      const first = new Promise<ReflectionResponse>((resolve, reject) => {
        call.once('data', resolve);
        call.once('error', reject);
      });
      call.write(req);
      const res = await first;
      call.end();
      return res;
    } finally {
      c.close();
    }
  }

  it('lists the executor, diagnostics and health services', async () => {
    const res = await reflect({ listServices: '*' });
    const names = res.listServicesResponse?.service.map((s) => s.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(['paper_trader.v1.PaperTradeExecutor', 'paper_trader.v1.Diagnostics', 'grpc.health.v1.Health']));
  });

  it('serves the file descriptor of the executor service', async () => {
    const res = await reflect({ fileContainingSymbol: 'paper_trader.v1.PaperTradeExecutor' });
    const files = res.fileDescriptorResponse?.fileDescriptorProto ?? [];
    expect(files.length).toBeGreaterThan(0);
    expect(Buffer.concat(files).toString('latin1')).toContain('ExecuteTrade');
  });
});

describe('shutdown', () => {
  it('ends open trade streams so a graceful shutdown completes, and refuses a second start', async () => {
    const f = createFakeExecutor();
    const s = createGrpcServer({ executor: f, logger: pino({ level: 'silent' }) });
    const port = await s.start('127.0.0.1', 0);
    const c = createExecutorClient(`127.0.0.1:${port}`);
    const stream = c.streamTrades('p');
    await until(() => f.subscriberCount('p') === 1);
    await expect(s.start('127.0.0.1', 0)).rejects.toThrow(/already started/);
    const started = Date.now();
    const consumed = (async () => {
      const got: string[] = [];
      for await (const t of stream) got.push(t.tradeId);
      return got;
    })();
    await s.shutdown(5_000);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await consumed).toEqual([]);
    expect(f.subscriberCount('p')).toBe(0);
    c.close();
  });
});
