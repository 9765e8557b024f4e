/**
 * Access control and limits over real gRPC connections: API keys (x-api-key and Bearer), portfolio
 * isolation (including request ids), per-key rate limits, the in-flight bound, the default deadline,
 * metadata and message size caps, malformed bytes, TLS, and the guard metrics.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, credentials, status, type Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorClient, type ExecutorClient } from '../src/client/index.js';
import { serviceDefinition } from '../src/contract/index.js';
import { startJupiterEmulator, type JupiterEmulator } from '../src/market/jupiter-emulator.js';
import { apiKeyHash } from '../src/server/guards/index.js';
import { rejection, startTestServer, trade } from './support.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const KEY_A = 'key-a-' + randomUUID();
const KEY_B = 'key-b-' + randomUUID();
const KEY_SLOW = 'key-slow-' + randomUUID();

/** One raw unary call with caller-made bytes and metadata: what a hostile client can send. */
function rawCall(client: Client, path: string, bytes: Buffer, metadata = new Metadata()): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, metadata, {}, (err) => {
      resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '' });
    });
  });
}

describe('API keys and portfolio isolation', () => {
  let s: Server;
  let a: ExecutorClient;
  let b: ExecutorClient;
  let slow: ExecutorClient;
  const clients: ExecutorClient[] = [];
  const connect = (opts: Parameters<typeof createExecutorClient>[1] = {}): ExecutorClient => {
    const c = createExecutorClient(`127.0.0.1:${s.app.grpcPort}`, opts);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    process.env.PTE_TEST_KEY_B = KEY_B;
    s = await startTestServer({
      server: {
        diagnostics: true, // Noop: a call that reaches the guard without trading
        apiKeys: [
          { name: 'alpha', keyHash: `sha256:${apiKeyHash(KEY_A)}`, portfolios: ['a', 'default'] },
          { name: 'beta', keyEnv: 'PTE_TEST_KEY_B', portfolios: ['b'] },
          { name: 'slow', keyHash: apiKeyHash(KEY_SLOW), portfolios: ['*'], ratePerSec: 0.01, burst: 3 },
        ],
      },
    });
    a = connect({ apiKey: KEY_A });
    b = connect({ apiKey: KEY_B });
    slow = connect({ apiKey: KEY_SLOW });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await s.stop();
    delete process.env.PTE_TEST_KEY_B;
  });

  it('refuses a call without a key, or with a wrong one, as UNAUTHENTICATED', async () => {
    const none = await rejection(s.client.getPortfolio('a'));
    expect(none.code).toBe(status.UNAUTHENTICATED);
    expect(none.details).toMatch(/missing API key/);
    const wrong = await rejection(connect({ apiKey: KEY_A + 'x' }).executeTrade(trade({ portfolioId: 'a' })));
    expect(wrong).toEqual({ code: status.UNAUTHENTICATED, details: 'invalid API key' });
    // Same length, one character off: still refused (the comparison is on digests, in constant time).
    const close = await rejection(connect({ apiKey: KEY_A.slice(0, -1) + (KEY_A.endsWith('0') ? '1' : '0') }).noop());
    expect(close.code).toBe(status.UNAUTHENTICATED);
    const unauthNoop = await rejection(s.client.noop('x'));
    expect(unauthNoop.code).toBe(status.UNAUTHENTICATED);
  });

  it('accepts the key as x-api-key or as authorization: Bearer, from a hash or from the environment', async () => {
    expect((await a.getPortfolio('a')).portfolioId).toBe('a');
    expect((await a.getPortfolio('')).portfolioId).toBe('default');
    const md = new Metadata();
    md.set('authorization', `Bearer ${KEY_B}`);
    expect((await s.client.getPortfolio('b', { metadata: md })).portfolioId).toBe('b');
  });

  it("answers PERMISSION_DENIED for another key's portfolio, on every method", async () => {
    const denied = [
      await rejection(a.executeTrade(trade({ portfolioId: 'b' }))),
      await rejection(a.getPortfolio('b')),
      await rejection(a.listTrades({ portfolioId: 'b' })),
      await rejection(a.resetPortfolio('b')),
      await rejection(b.getPortfolio('')),
      await rejection(
        (async () => {
          for await (const t of a.streamTrades('b')) return t;
          return undefined;
        })(),
      ),
    ];
    for (const d of denied) {
      expect(d.code).toBe(status.PERMISSION_DENIED);
      expect(d.details).toMatch(/^portfolio_id: /);
      expect(d.details).not.toContain('"b"');
    }
  });

  it("never reveals one key's result through a request id reused by another key", async () => {
    const rid = randomUUID();
    const before = await b.getPortfolio('b');
    const original = await b.executeTrade(trade({ requestId: rid, portfolioId: 'b', amount: '0.5' }));
    expect(original.trade?.portfolioId).toBe('b');
    // Same request id and payload, key A: it cannot reach portfolio b at all...
    expect((await rejection(a.executeTrade(trade({ requestId: rid, portfolioId: 'b', amount: '0.5' })))).code).toBe(status.PERMISSION_DENIED);
    // ...and in its own portfolio the id starts a new trade of its own, never B's.
    const own = await a.executeTrade(trade({ requestId: rid, portfolioId: 'a', amount: '0.5' }));
    expect(own.trade?.portfolioId).toBe('a');
    expect(own.trade?.tradeId).not.toBe(original.trade?.tradeId);
    expect(own.portfolioState?.portfolioId).toBe('a');
    // B's portfolio saw exactly its own trade.
    const after = await b.getPortfolio('b');
    expect(BigInt(after.tradeCount)).toBe(BigInt(before.tradeCount) + 1n);
    const listed = await b.listTrades({ portfolioId: 'b' });
    expect(listed.trades.filter((t) => t.requestId === rid)).toHaveLength(1);
  });

  it('answers RESOURCE_EXHAUSTED past a key’s rate, without touching other keys', async () => {
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await slow.noop(`n${i}`).then(() => 'OK', (e: unknown) => e));
    expect(results.slice(0, 3)).toEqual(['OK', 'OK', 'OK']);
    for (const r of results.slice(3)) {
      expect(r).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
      expect((r as { details: string }).details).toMatch(/rate limit of API key slow/);
    }
    expect((await a.noop('still-fine')).requestId).toBe('still-fine');
  });
});

describe('limits: in-flight bound, deadlines, sizes, malformed bytes', () => {
  let emu: JupiterEmulator;
  let s: Server;

  beforeAll(async () => {
    // Every price lookup takes 300 ms: trades stay in flight long enough to fill the bound.
    emu = await startJupiterEmulator({ faults: ['latency=300'] });
    s = await startTestServer({
      market: { kind: 'jupiter', jupiterUrls: [emu.url], perEndpointRatePerSec: 10_000, priceTtlMs: 0, requestTimeoutMs: 5_000 },
      server: { maxInFlight: 4, defaultDeadlineMs: 100, maxMetadataBytes: 2_048, diagnostics: true },
    });
  });
  afterAll(async () => {
    await s.stop();
    await emu.close();
  });

  it('answers RESOURCE_EXHAUSTED at once past maxInFlight instead of queueing', async () => {
    const order: string[] = [];
    const calls = Array.from({ length: 24 }, (_, i) =>
      s.client.executeTrade(trade({ amount: '0.01', portfolioId: `o${i % 3}` }), { deadlineMs: 10_000 }).then(
        () => order.push('OK'),
        (e: unknown) => {
          const err = e as { code: status; details: string };
          order.push(err.code === status.RESOURCE_EXHAUSTED ? 'RE' : `other:${err.code}:${err.details}`);
        },
      ),
    );
    await Promise.all(calls);
    expect(order.filter((o) => o.startsWith('other'))).toEqual([]);
    const firstOk = order.indexOf('OK');
    expect(firstOk).toBeGreaterThan(0);
    // The refusals were answered while the admitted trades were still waiting on their price.
    expect(order.slice(0, firstOk).every((o) => o === 'RE')).toBe(true);
    expect(order.filter((o) => o === 'OK').length).toBeGreaterThanOrEqual(4);
    expect(order.filter((o) => o === 'RE').length).toBeGreaterThanOrEqual(1);
  });

  it('gives a call without a deadline the default one, and abandons it without a trade', async () => {
    const before = await s.client.getPortfolio('dl');
    const r = await rejection(s.client.executeTrade(trade({ portfolioId: 'dl', amount: '0.01' })));
    expect(r.code).toBe(status.DEADLINE_EXCEEDED);
    // The abandoned work finishes its price lookup after the answer; nothing may be booked then either.
    await new Promise((res) => setTimeout(res, 400));
    const after = await s.client.getPortfolio('dl');
    expect(after.tradeCount).toBe(before.tradeCount);
    const amounts = (p: typeof before): string[] => p.balances.map((x) => `${x.token?.symbol}=${x.amount}`);
    expect(amounts(after)).toEqual(amounts(before));
  });

  it('abandons a trade whose client deadline passed before the portfolio step', async () => {
    const before = await s.client.getPortfolio('dl2');
    const r = await rejection(s.client.executeTrade(trade({ portfolioId: 'dl2', amount: '0.01' }), { deadlineMs: 50 }));
    expect(r.code).toBe(status.DEADLINE_EXCEEDED);
    const controller = new AbortController();
    const cancelled = s.client.executeTrade(trade({ portfolioId: 'dl2', amount: '0.01' }), { deadlineMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await rejection(cancelled)).code).toBe(status.CANCELLED);
    await new Promise((res) => setTimeout(res, 400));
    expect((await s.client.getPortfolio('dl2')).tradeCount).toBe(before.tradeCount);
  });

  it('refuses oversized call metadata with RESOURCE_EXHAUSTED naming it', async () => {
    const md = new Metadata();
    md.set('x-junk', 'j'.repeat(4_000));
    const r = await rejection(s.client.getPortfolio('', { metadata: md }));
    expect(r.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(r.details).toMatch(/^metadata: \d+ bytes of headers, more than 2048$/);
  });

  it('refuses a message above the size limit and bytes that are no protobuf, naming the request', async () => {
    const path = serviceDefinition('paper_trader.v1.PaperTradeExecutor').ExecuteTrade.path;
    const bad = await rawCall(s.client.grpcClient, path, Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/^request: not a valid protobuf message/);
    const big = await rawCall(s.client.grpcClient, path, Buffer.alloc(2 * 1024 * 1024, 0x0a));
    expect(big.code).toBe(status.RESOURCE_EXHAUSTED);
    // The server is still fine.
    expect((await s.client.noop('after')).requestId).toBe('after');
  });

  it('exports event-loop delay, the in-flight count and guard refusals as metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${s.app.metricsPort}/metrics`)).text();
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_max_seconds \d/m);
    expect(text).toMatch(/^pte_grpc_in_flight \d+$/m);
    expect(text).toMatch(/^pte_guard_rejections_total\{code="OVERLOADED"\} [1-9]/m);
    expect(text).toMatch(/^pte_guard_rejections_total\{code="METADATA_TOO_LARGE"\} 1$/m);
  });
});

describe('TLS', () => {
  let dir = '';
  let s: Server | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pte-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
  });
  afterAll(async () => {
    await s?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a client that trusts the certificate', async () => {
    const { startApp } = await import('../src/app.js');
    const { configSchema } = await import('../src/config/schema.js');
    const { silentLogger } = await import('../src/observability/logger.js');
    const app = await startApp(
      configSchema.parse({
        dataDir: join(dir, 'data'),
        grpc: { host: '127.0.0.1', port: 0 },
        metrics: { host: '127.0.0.1', port: 0 },
        http: { port: 0 },
        server: { tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') }, diagnostics: true, warmUpTrades: 0 },
      }),
      { logger: silentLogger() },
    );
    const tlsClient = createExecutorClient(`127.0.0.1:${app.grpcPort}`, { credentials: credentials.createSsl(readFileSync(join(dir, 'cert.pem'))) });
    const plain = createExecutorClient(`127.0.0.1:${app.grpcPort}`);
    try {
      expect((await tlsClient.noop('tls')).requestId).toBe('tls');
      const r = await rejection(plain.noop('plain', { deadlineMs: 1_000 }));
      expect([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]).toContain(r.code);
    } finally {
      tlsClient.close();
      plain.close();
      await app.stop(500);
    }
  });
});
