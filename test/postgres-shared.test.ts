import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LedgerEvent } from '../src/domain/ledger.js';
import { isExecutorError } from '../src/domain/errors.js';
import type { Trade } from '../src/domain/trade.js';
import { portfolioStateHash } from '../src/executor/state-hash.js';
import { createPostgresLedger, readPostgresLedger, type PostgresLedger } from '../src/store/postgres/index.js';
import { bookTrade, createPostgresProxy, createTestDatabase, fold, tokens, type TestDatabase } from './support/postgres.js';

/** Several executors on one database: concurrency, lost connections, an unreachable server, the trade feed. */
describe('PostgreSQL ledger shared by several executors', () => {
  let db: TestDatabase;
  let a: PostgresLedger;
  let b: PostgresLedger;
  beforeAll(async () => {
    db = await createTestDatabase();
    [a, b] = await Promise.all([
      createPostgresLedger({ url: db.url, tokens, poolSize: 8, executorId: 'executor-a' }),
      createPostgresLedger({ url: db.url, tokens, poolSize: 8, executorId: 'executor-b' }),
    ]);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
  });

  async function eventsOf(portfolioId: string): Promise<LedgerEvent[]> {
    const out: LedgerEvent[] = [];
    await readPostgresLedger(db.url, tokens, (e) => {
      if (e.portfolioId === portfolioId) out.push(e);
    });
    return out;
  }

  it('two executors booking 200 trades on one portfolio at once give sequences 1..N with no gap or duplicate', async () => {
    const ids = Array.from({ length: 200 }, () => randomUUID());
    const results = await Promise.all(ids.map((id, i) => bookTrade(i % 2 === 0 ? a : b, 'contended', id)));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    const events = await eventsOf('contended');
    expect(events).toHaveLength(201);
    expect(events[0]?.kind).toBe('portfolio_created');
    const sequences = events.flatMap((e) => (e.kind === 'trade' ? [e.trade.sequence] : []));
    expect(sequences).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    expect(new Set(events.flatMap((e) => (e.kind === 'trade' ? [e.trade.requestId] : []))).size).toBe(200);
    const stored = await b.readState('contended');
    const folded = fold(events);
    expect(stored && folded && portfolioStateHash(stored)).toBe(folded && portfolioStateHash(folded));
    // The same requests again, on the other executor, return the originals.
    const again = await Promise.all(ids.slice(0, 20).map((id, i) => bookTrade(i % 2 === 0 ? b : a, 'contended', id)));
    expect(again.every((r) => r.duplicate)).toBe(true);
    expect(again.map((r) => r.trade.tradeId)).toEqual(results.slice(0, 20).map((r) => r.trade.tradeId));
    expect((await a.readState('contended'))?.tradeCount).toBe(200);
  });

  it('the same request id sent to both executors at once is booked once; the other gets the original', async () => {
    for (let round = 0; round < 10; round++) {
      const id = randomUUID();
      const [x, y] = await Promise.all([bookTrade(a, 'raced', id), bookTrade(b, 'raced', id.toUpperCase())]);
      expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
      expect(y.trade).toEqual(x.trade);
    }
    expect((await a.readState('raced'))?.tradeCount).toBe(10);
  });

  it('a transaction whose connection is killed while it holds the lock is retried and commits once', async () => {
    const id = randomUUID();
    let runs = 0;
    const retriesBefore = a.stats().retries;
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    try {
      const result = await bookTrade(a, 'killed', id, {
        onLocked: async () => {
          runs++;
          if (runs > 1) return;
          const killed = await admin.query(
            "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pte executor-a' AND state = 'idle in transaction'",
            [db.name],
          );
          expect(killed.rows).toHaveLength(1);
        },
      });
      expect(result.duplicate).toBe(false);
    } finally {
      await admin.end();
    }
    expect(runs).toBe(2);
    expect(a.stats().retries).toBeGreaterThan(retriesBefore);
    const events = await eventsOf('killed');
    expect(events.map((e) => e.kind)).toEqual(['portfolio_created', 'trade']);
    expect((await b.readState('killed'))?.tradeCount).toBe(1);
  });

  it('delivers a trade booked on one executor to listeners on the other, in order, and not its own', async () => {
    const seenOnA: Trade[] = [];
    const seenOnB: Trade[] = [];
    const offA = a.onRemoteTrade((t) => seenOnA.push(t));
    const offB = b.onRemoteTrade((t) => seenOnB.push(t));
    try {
      await vi.waitFor(() => expect(a.stats().listening && b.stats().listening).toBe(true));
      const fromB: string[] = [];
      for (let i = 0; i < 5; i++) fromB.push((await bookTrade(b, 'streamed', randomUUID())).trade.requestId);
      const fromA = (await bookTrade(a, 'streamed', randomUUID())).trade.requestId;
      fromB.push((await bookTrade(b, 'streamed', randomUUID())).trade.requestId);
      await vi.waitFor(() => expect(seenOnA).toHaveLength(6));
      expect(seenOnA.map((t) => t.requestId)).toEqual(fromB);
      const seq = seenOnA.map((t) => t.sequence);
      expect(seq).toEqual([...seq].sort((x, y) => x - y));
      await vi.waitFor(() => expect(seenOnB.map((t) => t.requestId)).toEqual([fromA]));
    } finally {
      offA();
      offB();
    }
    await vi.waitFor(() => expect(a.stats().listening).toBe(false));
  });

  it('the trade feed reconnects after losing its connection and delivers what was booked meanwhile', async () => {
    const seen: Trade[] = [];
    const off = a.onRemoteTrade((t) => seen.push(t));
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    try {
      await vi.waitFor(() => expect(a.stats().listening).toBe(true));
      const first = (await bookTrade(b, 'reconnected', randomUUID())).trade.requestId;
      await vi.waitFor(() => expect(seen.map((t) => t.requestId)).toEqual([first]));
      const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pte-listen executor-a'", [db.name]);
      expect(killed.rows).toHaveLength(1);
      await vi.waitFor(() => expect(a.stats().listening).toBe(false));
      const meanwhile: string[] = [];
      for (let i = 0; i < 3; i++) meanwhile.push((await bookTrade(b, 'reconnected', randomUUID())).trade.requestId);
      await vi.waitFor(() => expect(seen.map((t) => t.requestId)).toEqual([first, ...meanwhile]), { timeout: 10_000 });
    } finally {
      off();
      await admin.end();
    }
  });
});

describe('PostgreSQL ledger when connections are lost', () => {
  it('finds a trade whose COMMIT answer was lost; answers JOURNAL_UNAVAILABLE within its budget when unreachable, and recovers', async () => {
    const db = await createTestDatabase();
    const proxy = await createPostgresProxy();
    const ledger = await createPostgresLedger({ url: `postgres://postgres@127.0.0.1:${proxy.port}/${db.name}`, tokens, retryBudgetMs: 600, probeIntervalMs: 50 });
    const changes: boolean[] = [];
    ledger.onAvailability((up) => changes.push(up));
    try {
      await bookTrade(ledger, 'down', randomUUID());
      const lost = randomUUID();
      proxy.loseAnswerTo('COMMIT');
      const retried = await bookTrade(ledger, 'down', lost);
      // The first attempt committed and its answer was lost: the retry finds the trade under the lock.
      expect(retried.duplicate).toBe(true);
      expect(retried.trade.requestId).toBe(lost);
      expect((await ledger.readState('down'))?.tradeCount).toBe(2);
      changes.length = 0;

      await proxy.stop();
      const id = randomUUID();
      const error = await bookTrade(ledger, 'down', id).catch((e: unknown) => e);
      expect(isExecutorError(error, 'JOURNAL_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toContain('cannot be reached');
      expect(ledger.available).toBe(false);
      expect(changes).toEqual([false]);

      const aborted = new AbortController();
      const pending = bookTrade(ledger, 'down', id, { signal: aborted.signal }).catch((e: unknown) => e);
      aborted.abort();
      expect(isExecutorError(await pending, 'DEADLINE_EXCEEDED')).toBe(true);

      await proxy.start();
      await vi.waitFor(() => expect(ledger.available).toBe(true));
      expect(changes).toEqual([false, true]);
      const booked = await bookTrade(ledger, 'down', id);
      expect(booked.duplicate).toBe(false);
      expect((await ledger.readState('down'))?.tradeCount).toBe(3);
    } finally {
      await ledger.close();
      await proxy.close();
      await db.drop();
    }
  });
});
