/**
 * Several executors serving one ledger in PostgreSQL, over gRPC: trades booked on one reach the
 * streams of the others, a request id books once whichever executor gets it, history, state hashes and
 * reports agree everywhere, an unreachable database answers UNAVAILABLE (health NOT_SERVING) and loses
 * nothing acknowledged, bad ledger settings stop `pte serve` with exit 78, and the shared price cache
 * keeps upstream calls at one per token per TTL across executors.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, Metadata, status, type MethodDefinition } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../src/cli/io.js';
import { parseServeArgs, runServe } from '../src/cli/serve.js';
import type { ExecutorClient, PortfolioSummaryMessage, TradeMessage, TradeRequestInput, TradeStream } from '../src/client/index.js';
import type { ConfigInput } from '../src/config/schema.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { REDIS_KEY_PREFIX } from '../src/market/redis-price-layer.js';
import { startLocalRedis } from './fakes/local-redis.js';
import { rejection, startTestServer, trade } from './support.js';
import { createPostgresProxy, createTestDatabase, tablesOf, type TestDatabase } from './support/postgres.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const STARTING = { SOL: '1000', USDC: '1000000', JUP: '50000' } as const;
const registry = createTokenRegistry();

/** A decimal string in token units as base units (exact; the wire never carries more decimals than the token has). */
function units(amount: string, decimals: number): bigint {
  const negative = amount.startsWith('-');
  const [whole = '0', frac = ''] = (negative ? amount.slice(1) : amount).split('.');
  if (frac.length > decimals) throw new Error(`${amount} has more than ${decimals} decimals`);
  const v = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
  return negative ? -v : v;
}

const settings = (url: string, extra: ConfigInput = {}): ConfigInput => ({
  ...extra,
  ledger: { url, ...extra.ledger },
  portfolios: { startingBalances: { ...STARTING } },
});

/** Every trade of a portfolio, newest first, read in pages of `limit`. */
async function allTrades(client: ExecutorClient, portfolioId: string, limit = 7): Promise<TradeMessage[]> {
  const out: TradeMessage[] = [];
  let pageToken = '';
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await client.listTrades({ portfolioId, limit, pageToken });
    expect(page.trades.length).toBeLessThanOrEqual(limit);
    out.push(...page.trades);
    if (page.nextPageToken === '') return out;
    pageToken = page.nextPageToken;
  }
  throw new Error('paging did not end');
}

/** The balances a portfolio must hold: its starting balances plus every listed trade, exactly. */
function expectedBalances(trades: readonly TradeMessage[]): Map<string, bigint> {
  const held = new Map<string, bigint>();
  for (const [symbol, amount] of Object.entries(STARTING)) {
    const t = registry.bySymbol(symbol);
    held.set(t.mint, units(amount, t.decimals));
  }
  const add = (mint: string, v: bigint): void => {
    held.set(mint, (held.get(mint) ?? 0n) + v);
  };
  for (const t of trades) {
    // The network fee is paid in SOL (lamports) whether or not the swap filled.
    add(registry.sol.mint, -BigInt(t.networkFeeLamports));
    if (t.status !== 'TRADE_STATUS_FILLED') continue;
    if (!t.input || !t.output) throw new Error(`trade ${t.tradeId} has no input or output token`);
    add(t.input.mint, -units(t.inputAmount, t.input.decimals));
    add(t.output.mint, units(t.outputAmount, t.output.decimals));
  }
  return held;
}

function heldBalances(p: PortfolioSummaryMessage): Map<string, bigint> {
  const held = new Map<string, bigint>();
  for (const b of p.balances) {
    if (!b.token) throw new Error('a balance without its token');
    held.set(b.token.mint, units(b.amount, b.token.decimals));
  }
  return held;
}

/** Zero balances may be listed or left out: compared without them. */
const nonZero = (m: Map<string, bigint>): Record<string, string> =>
  Object.fromEntries(
    [...m]
      .filter(([, v]) => v !== 0n)
      .sort((x, y) => (x[0] < y[0] ? -1 : 1))
      .map(([k, v]): [string, string] => [k, v.toString()]),
  );

/** Collects a StreamTrades stream in the background. */
function collect(stream: TradeStream): { trades: TradeMessage[]; cancel(): Promise<void> } {
  const trades: TradeMessage[] = [];
  const done = (async () => {
    try {
      for await (const t of stream) trades.push(t);
    } catch {
      // cancelled at the end of the test
    }
  })();
  return {
    trades,
    cancel: async () => {
      stream.cancel();
      await done;
    },
  };
}

/** grpc.health.v1.Health/Check for the whole server. */
function healthOf(port: number): { status(): Promise<string>; close(): void } {
  const health = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const check = healthService.Check as unknown as MethodDefinition<{ service: string }, { status: string }>;
  return {
    status: () =>
      new Promise((resolve, reject) => {
        health.makeUnaryRequest(check.path, check.requestSerialize, check.responseDeserialize, { service: '' }, new Metadata(), { deadline: Date.now() + 5_000 }, (err, res) =>
          err || !res ? reject(err ?? new Error('no response')) : resolve(res.status),
        );
      }),
    close: () => health.close(),
  };
}

describe('executors sharing one PostgreSQL ledger', () => {
  let db: TestDatabase;
  let a: Server;
  let b: Server;
  beforeAll(async () => {
    db = await createTestDatabase();
    // Both start (and migrate) at once against the fresh database.
    [a, b] = await Promise.all([startTestServer(settings(db.url)), startTestServer(settings(db.url))]);
    await vi.waitFor(() => expect(a.app.ledger?.stats().listening && b.app.ledger?.stats().listening).toBe(true), { timeout: 5_000 });
  }, 30_000);
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await db.drop();
  });

  it('a trade booked on one executor reaches the streams of both, once each, in sequence order', async () => {
    const portfolioId = 'streamed';
    const onA = collect(a.client.streamTrades(portfolioId));
    const onB = collect(b.client.streamTrades(portfolioId));
    try {
      // A first trade seen by both streams proves both are subscribed.
      const first = await a.client.executeTrade(trade({ portfolioId }));
      await vi.waitFor(() => expect([onA.trades.length, onB.trades.length]).toEqual([1, 1]), { timeout: 5_000 });
      const fromB: string[] = [];
      for (let i = 0; i < 8; i++) fromB.push((await b.client.executeTrade(trade({ portfolioId, action: i % 2 === 0 ? 'BUY' : 'SELL' }))).trade?.tradeId ?? '');
      // A last trade, on A: once both streams have it, everything booked before it has arrived.
      const last = await a.client.executeTrade(trade({ portfolioId }));
      const expected = [first.trade?.tradeId, ...fromB, last.trade?.tradeId];
      await vi.waitFor(() => expect(onA.trades.at(-1)?.tradeId).toBe(last.trade?.tradeId), { timeout: 5_000 });
      await vi.waitFor(() => expect(onB.trades.at(-1)?.tradeId).toBe(last.trade?.tradeId), { timeout: 5_000 });
      expect(onA.trades.map((t) => t.tradeId)).toEqual(expected);
      expect(onB.trades.map((t) => t.tradeId)).toEqual(expected);
      const sequences = onA.trades.map((t) => Number(t.sequence));
      expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
      expect(new Set(sequences).size).toBe(sequences.length);
      // What the streams carried is what the ledger holds.
      expect((await allTrades(a.client, portfolioId)).map((t) => t.tradeId).reverse()).toEqual(expected);
    } finally {
      await onA.cancel();
      await onB.cancel();
    }
  });

  it('a request id answers the original trade on any executor; a changed payload is ALREADY_EXISTS; sent to both at once it books once', async () => {
    const portfolioId = 'idempotent';
    const request: TradeRequestInput = trade({ portfolioId, amount: '2' });
    const original = await a.client.executeTrade(request);
    const again = await b.client.executeTrade(request);
    expect(again.trade?.tradeId).toBe(original.trade?.tradeId);
    expect(again.trade?.sequence).toBe(original.trade?.sequence);
    expect(again.trade?.outputAmount).toBe(original.trade?.outputAmount);
    const changed = await rejection(b.client.executeTrade({ ...request, amount: '3' }));
    expect(changed.code).toBe(status.ALREADY_EXISTS);
    expect(changed.details).toMatch(/request_id/);

    for (let round = 0; round < 10; round++) {
      const raced = trade({ portfolioId, action: round % 2 === 0 ? 'BUY' : 'SELL' });
      const [x, y] = await Promise.all([a.client.executeTrade(raced), b.client.executeTrade(raced)]);
      expect(y.trade?.tradeId).toBe(x.trade?.tradeId);
      expect(y.trade?.sequence).toBe(x.trade?.sequence);
    }
    const listed = await allTrades(b.client, portfolioId);
    expect(listed).toHaveLength(11);
    expect(new Set(listed.map((t) => t.requestId)).size).toBe(11);
    expect((await a.client.getPortfolio(portfolioId)).tradeCount).toBe('11');
  });

  it('200 concurrent trades over two executors: history, state hash and balances agree everywhere', async () => {
    const portfolios = ['mix-1', 'mix-2', 'mix-3'];
    const requests = Array.from({ length: 200 }, (_, i) => {
      const portfolioId = portfolios[i % 3] ?? 'mix-1';
      const kind = i % 4;
      if (kind === 0) return trade({ portfolioId, action: 'BUY', amount: '0.5' });
      if (kind === 1) return trade({ portfolioId, action: 'SELL', amount: '0.25', priorityFee: 5_000 + i });
      if (kind === 2) return trade({ portfolioId, action: 'BUY', baseToken: 'JUP', quoteToken: 'USDC', amount: '25', isBaseInput: false });
      return trade({ portfolioId, action: 'SWAP', baseToken: 'JUP', quoteToken: 'SOL', amount: '10' });
    });
    const results = await Promise.all(requests.map((r, i) => (i % 2 === 0 ? a : b).client.executeTrade(r, { deadlineMs: 30_000 })));
    expect(new Set(results.map((r) => r.trade?.tradeId)).size).toBe(200);

    for (const portfolioId of portfolios) {
      const [fromA, fromB] = await Promise.all([allTrades(a.client, portfolioId, 9), allTrades(b.client, portfolioId, 13)]);
      expect(fromA.length).toBeGreaterThan(0);
      expect(fromB).toEqual(fromA);
      const sent = requests.filter((r) => r.portfolioId === portfolioId).map((r) => r.requestId);
      expect(fromA.map((t) => t.requestId).sort()).toEqual([...sent].sort());
      // Sequences are 2..N+1 (1 created the portfolio), with no gap and no repeat.
      expect(fromA.map((t) => Number(t.sequence))).toEqual(Array.from({ length: fromA.length }, (_, i) => fromA.length + 1 - i));

      const [pa, pb] = await Promise.all([a.client.getPortfolio(portfolioId), b.client.getPortfolio(portfolioId)]);
      expect(pa.stateHash).toMatch(/^[0-9a-f]{64}$/);
      expect(pb.stateHash).toBe(pa.stateHash);
      expect(pa.tradeCount).toBe(String(fromA.length));
      expect(pb.tradeCount).toBe(String(fromA.length));
      expect(nonZero(heldBalances(pa))).toEqual(nonZero(expectedBalances(fromA)));
      expect(nonZero(heldBalances(pb))).toEqual(nonZero(heldBalances(pa)));
      const fees = fromA.reduce((sum, t) => sum + BigInt(t.networkFeeLamports), 0n);
      expect(pa.feesPaidLamports).toBe(fees.toString());
    }
    const [listA, listB] = await Promise.all([a.client.listPortfolios(), b.client.listPortfolios()]);
    const mixes = (list: typeof listA): [string, string][] => list.portfolios.filter((p) => portfolios.includes(p.portfolioId)).map((p) => [p.portfolioId, p.stateHash]);
    expect(mixes(listA)).toHaveLength(3);
    expect(mixes(listB)).toEqual(mixes(listA));
  }, 30_000);

  it('a reset on one executor is what every executor shows; reports work on both', async () => {
    const portfolioId = 'reset-me';
    for (let i = 0; i < 4; i++) await (i % 2 === 0 ? a : b).client.executeTrade(trade({ portfolioId, metadata: { strategy: 'before-reset' } }));
    const before = await b.client.getPortfolio(portfolioId);
    expect(before.tradeCount).toBe('4');
    const reset = await a.client.resetPortfolio(portfolioId);
    const seen = await b.client.getPortfolio(portfolioId);
    expect(seen.tradeCount).toBe('0');
    expect(seen.stateHash).toBe(reset.stateHash);
    expect(seen.stateHash).not.toBe(before.stateHash);
    expect(nonZero(heldBalances(seen))).toEqual(nonZero(expectedBalances([])));
    expect(await allTrades(a.client, portfolioId)).toEqual([]);
    expect(await allTrades(b.client, portfolioId)).toEqual([]);

    // After the reset the portfolio trades again from its starting state, on either executor.
    const next = await b.client.executeTrade(trade({ portfolioId, metadata: { strategy: 'after-reset' } }));
    const [ra, rb] = await Promise.all([a.client.getReport({ portfolioId }), b.client.getReport({ portfolioId })]);
    for (const report of [ra, rb]) {
      const text = JSON.stringify(report);
      expect(text).toContain('after-reset');
      expect(text).not.toContain('before-reset');
    }
    expect(JSON.stringify(ra.costs)).toBe(JSON.stringify(rb.costs));
    expect(await allTrades(a.client, portfolioId)).toEqual([next.trade]);
  });
});

describe('an executor whose ledger database cannot be reached', () => {
  it('answers UNAVAILABLE within its retry budget, reports NOT_SERVING, and recovers with nothing acknowledged lost', async () => {
    const db = await createTestDatabase();
    const proxy = await createPostgresProxy();
    const url = `postgres://postgres@127.0.0.1:${proxy.port}/${db.name}`;
    const s = await startTestServer(settings(url, { ledger: { url, retryBudgetMs: 1_000 } }));
    const health = healthOf(s.app.grpcPort);
    const portfolioId = 'outage';
    try {
      const acked: string[] = [];
      for (let i = 0; i < 5; i++) acked.push((await s.client.executeTrade(trade({ portfolioId }))).trade?.tradeId ?? '');
      expect(await health.status()).toBe('SERVING');
      const listedBefore = await allTrades(s.client, portfolioId, 2);
      expect(listedBefore.map((t) => t.tradeId).reverse()).toEqual(acked);

      await proxy.stop();
      const refusedRequest = trade({ portfolioId });
      const refused = await rejection(s.client.executeTrade(refusedRequest, { deadlineMs: 20_000 }));
      expect(refused.code).toBe(status.UNAVAILABLE);
      expect(refused.details).toMatch(/cannot be reached/);
      expect(await health.status()).toBe('NOT_SERVING');
      // A deadline shorter than the retry budget ends the call first; the trade is never booked later
      // either (the history after recovery holds exactly the acknowledged trades).
      const late = await rejection(s.client.executeTrade(trade({ portfolioId }), { deadlineMs: 300 }));
      expect(late.code).toBe(status.DEADLINE_EXCEEDED);
      // Reads need the database too.
      expect((await rejection(s.client.getPortfolio(portfolioId, { deadlineMs: 20_000 }))).code).toBe(status.UNAVAILABLE);
      expect((await rejection(s.client.listTrades({ portfolioId }, { deadlineMs: 20_000 }))).code).toBe(status.UNAVAILABLE);

      await proxy.start();
      await vi.waitFor(async () => expect(await health.status()).toBe('SERVING'), { timeout: 10_000, interval: 100 });
      // The refused request was not booked: sent again it executes now.
      const retried = await s.client.executeTrade(refusedRequest);
      acked.push(retried.trade?.tradeId ?? '');
      acked.push((await s.client.executeTrade(trade({ portfolioId }))).trade?.tradeId ?? '');
      const listedAfter = await allTrades(s.client, portfolioId, 2);
      expect(listedAfter.map((t) => t.tradeId).reverse()).toEqual(acked);
      expect(listedAfter.slice(2)).toEqual(listedBefore);
      expect((await s.client.getPortfolio(portfolioId)).tradeCount).toBe(String(acked.length));
    } finally {
      health.close();
      await s.stop();
      await proxy.close();
      await db.drop();
    }
  }, 30_000);
});

describe('pte serve with ledger settings it cannot use', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pte-serve-ledger-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function serve(url: string): Promise<{ code: number; err: string }> {
    const err: string[] = [];
    const io: CliIo = {
      out: () => undefined,
      err: (t) => err.push(t),
      env: { PTE_LOG_LEVEL: 'silent' },
      connect: () => {
        throw new Error('serve opens no client');
      },
    };
    const cmd = parseServeArgs(['--ledger-url', url, '--grpc-port', '0', '--metrics-port', '0', '--http-port', '0', '--data-dir', dataDir]);
    // Should the server start after all, it is stopped at once (and the exit code is 0, failing the test).
    const code = await runServe(cmd, io, { untilSignal: () => Promise.resolve('SIGTERM') });
    return { code, err: err.join('\n') };
  }



  it('exits 78 naming ledger.url, never showing the password, and writes nothing', async () => {
    const db = await createTestDatabase();
    const password = `pw-${randomUUID()}`;
    try {
      // Nothing listens on port 1.
      const refused = await serve(`postgres://postgres:${password}@127.0.0.1:1/${db.name}`);
      expect(refused.code).toBe(78);
      expect(refused.err).toContain('ledger.url');
      expect(refused.err).not.toContain(password);

      const unknownHost = await serve(`postgres://postgres:${password}@no-such-host.invalid:5432/${db.name}`);
      expect(unknownHost.code).toBe(78);
      expect(unknownHost.err).toContain('ledger.url');
      expect(unknownHost.err).not.toContain(password);

      // The server trusts every role from 127.0.0.1 (no password is ever checked here), so the
      // credentials refused are a role that does not exist.
      const role = `pte_nobody_${randomUUID().slice(0, 8)}`;
      const badRole = await serve(`postgres://${role}:${password}@127.0.0.1:5432/${db.name}`);
      expect(badRole.code).toBe(78);
      expect(badRole.err).toContain('ledger.url');
      expect(badRole.err).not.toContain(password);

      const missingDb = await serve(`postgres://postgres:${password}@127.0.0.1:5432/${db.name}_missing`);
      expect(missingDb.code).toBe(78);
      expect(missingDb.err).toContain('ledger.url');
      expect(missingDb.err).not.toContain(password);

      expect(await tablesOf(db.url)).toEqual([]);
    } finally {
      await db.drop();
    }
  }, 30_000);

  it('exits 78 on a database whose schema is newer than this executor, and changes nothing in it', async () => {
    const db = await createTestDatabase();
    try {
      // Migrated by a first executor, then marked as migrated by a later version.
      const first = await startTestServer(settings(db.url));
      await first.stop();
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        const columns = await c.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'schema_migrations' ORDER BY ordinal_position");
        const names = columns.rows.map((r) => r.column_name);
        expect(names).toContain('version');
        // Every other column copied from the latest row, so only the version is new.
        const others = names.filter((n) => n !== 'version').map((n) => `"${n}"`);
        await c.query(
          `INSERT INTO schema_migrations (version${others.map((o) => `, ${o}`).join('')}) SELECT 999${others.map((o) => `, ${o}`).join('')} FROM schema_migrations ORDER BY version DESC LIMIT 1`,
        );
        const snapshot = async (): Promise<string> => {
          const tables = await tablesOf(db.url);
          const counts: string[] = [];
          for (const t of tables) counts.push(`${t}:${(await c.query<{ n: string }>(`SELECT count(*) AS n FROM "${t}"`)).rows[0]?.n}`);
          const versions = await c.query<{ version: string }>('SELECT version::text FROM schema_migrations ORDER BY version');
          return JSON.stringify({ counts, versions: versions.rows.map((r) => r.version) });
        };
        const before = await snapshot();
        expect(before).toContain('999');
        const newer = await serve(db.url);
        expect(newer.code).toBe(78);
        expect(newer.err).toContain('ledger.url');
        expect(newer.err).toMatch(/999/);
        expect(await snapshot()).toBe(before);
      } finally {
        await c.end();
      }
    } finally {
      await db.drop();
    }
  }, 30_000);
});

describe('the shared price cache with several executors', () => {
  it('makes at most one upstream call per token per TTL across three executors trading the same tokens', async () => {
    const redis = await startLocalRedis();
    const db = await createTestDatabase();
    const ttlMs = 200;
    // Each upstream call writes its prices to Redis: SETs of a price key are the upstream calls for that token.
    const monitorClient = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    monitorClient.on('error', () => undefined);
    const monitor = await monitorClient.monitor();
    monitor.on('error', () => undefined);
    const sets = new Map<string, number[]>();
    monitor.on('monitor', (time: string, args: string[]) => {
      const [command, key] = args;
      if (command?.toLowerCase() !== 'set' || key === undefined || !key.startsWith(REDIS_KEY_PREFIX) || key.includes(':lock')) return;
      const at = sets.get(key) ?? [];
      at.push(Number(time) * 1000);
      sets.set(key, at);
    });
    const servers: Server[] = [];
    try {
      for (let i = 0; i < 3; i++) servers.push(await startTestServer(settings(db.url, { market: { redisUrl: redis.url, priceTtlMs: ttlMs } })));
      const rounds = 12;
      for (let round = 0; round < rounds; round++) {
        await Promise.all(
          servers.flatMap((s, i) => [
            s.client.executeTrade(trade({ portfolioId: `cache-${i}` })),
            s.client.executeTrade(trade({ portfolioId: `cache-${i}`, baseToken: 'JUP', quoteToken: 'USDC', amount: '5' })),
          ]),
        );
        await new Promise((resolve) => setTimeout(resolve, ttlMs / 2));
      }
      const priceKeys = [...sets.keys()].filter((k) => !k.includes('lock'));
      // SOL, USDC and JUP at least.
      expect(priceKeys.length).toBeGreaterThanOrEqual(3);
      for (const key of priceKeys) {
        const at = sets.get(key) ?? [];
        // A price stays in Redis for the TTL: the windows its calls could fall in, measured by the server's clock.
        const windows = Math.floor(((at.at(-1) ?? 0) - (at[0] ?? 0)) / ttlMs) + 1;
        expect(at.length, `upstream calls for ${key}`).toBeGreaterThan(1);
        expect(at.length, `upstream calls for ${key}`).toBeLessThanOrEqual(windows);
      }
    } finally {
      for (const s of servers) await s.stop();
      monitor.disconnect();
      monitorClient.disconnect();
      await redis.stop();
      await db.drop();
    }
  }, 40_000);
});
