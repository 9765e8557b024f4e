import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../src/domain/ledger.js';
import { ratio } from '../src/domain/ratio.js';
import type { MarkRecord } from '../src/executor/ports.js';
import { portfolioStateHash } from '../src/executor/state-hash.js';
import { openFileJournal } from '../src/store/file-journal.js';
import { createPostgresLedger, readPostgresLedger, type PostgresLedger } from '../src/store/postgres/index.js';
import { bookTrade, createTestDatabase, fold, resetPortfolio, SOL, tokens, type TestDatabase } from './support/postgres.js';

describe('PostgreSQL ledger store', () => {
  let db: TestDatabase;
  let ledger: PostgresLedger;
  beforeAll(async () => {
    db = await createTestDatabase();
    ledger = await createPostgresLedger({ url: db.url, tokens, poolSize: 4 });
  });
  afterAll(async () => {
    await ledger.close();
    await db.drop();
  });

  it('creates a portfolio with its first trade and books trades on the committed state, two round trips each', async () => {
    expect(await ledger.readState('alpha')).toBeUndefined();
    const first = await bookTrade(ledger, 'alpha', randomUUID());
    expect(first.trade.sequence).toBe(2);
    const before = ledger.stats().roundTrips;
    const second = await bookTrade(ledger, 'alpha', randomUUID());
    expect(ledger.stats().roundTrips - before).toBe(2);
    expect(second.trade.sequence).toBe(3);
    const state = await ledger.readState('alpha');
    expect(state?.sequence).toBe(3);
    expect(state?.tradeCount).toBe(2);
    expect((await ledger.readStates()).map((s) => s.portfolioId)).toContain('alpha');
  });

  it('finds a booked request id case-insensitively inside the transaction, and findTrade leaves it to the transaction', async () => {
    const id = randomUUID();
    const original = await bookTrade(ledger, 'beta', id);
    const again = await bookTrade(ledger, 'beta', id.toUpperCase());
    expect(again.duplicate).toBe(true);
    expect(again.trade).toEqual(original.trade);
    expect((await ledger.readState('beta'))?.tradeCount).toBe(1);
    expect(ledger.findTrade('beta', id)).toBeUndefined();
  });

  it('a transaction that writes nothing or throws leaves no portfolio behind', async () => {
    expect(await ledger.transaction('ghost', (tx) => Promise.resolve(tx.state))).toBeUndefined();
    await expect(
      ledger.transaction('ghost', async (tx) => {
        await tx.write([], applyEvent(undefined, { kind: 'portfolio_created', portfolioId: 'ghost', atMs: 1, balances: [] }, SOL));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await ledger.readState('ghost')).toBeUndefined();
    expect((await ledger.readStates()).map((s) => s.portfolioId)).not.toContain('ghost');
    const counted = await ledger.transaction('ghost', (tx) => tx.portfolioCount());
    expect(counted).toBe((await ledger.readStates()).length);
  });

  it('pages trades since the last reset newest first, saying whether older ones remain', async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push((await bookTrade(ledger, 'paged', randomUUID())).trade.requestId);
    const page1 = await ledger.listTrades('paged', Number.MAX_SAFE_INTEGER, 3);
    expect(page1.trades.map((t) => t.requestId)).toEqual(ids.slice(4).reverse());
    expect(page1.more).toBe(true);
    const page2 = await ledger.listTrades('paged', page1.trades.at(-1)?.sequence ?? 0, 3);
    expect(page2.trades.map((t) => t.requestId)).toEqual(ids.slice(1, 4).reverse());
    expect(page2.more).toBe(true);
    const page3 = await ledger.listTrades('paged', page2.trades.at(-1)?.sequence ?? 0, 3);
    expect(page3.trades.map((t) => t.requestId)).toEqual([ids[0]]);
    expect(page3.more).toBe(false);
    expect(await ledger.listTrades('nobody', Number.MAX_SAFE_INTEGER, 3)).toEqual({ trades: [], more: false });
  });

  it('a reset clears request ids and marks but keeps every event', async () => {
    const id = randomUUID();
    const booked = await bookTrade(ledger, 'gamma', id);
    await ledger.appendMark(mark('gamma', booked.trade.sequence, 1_000, 5n));
    expect((await ledger.readMarks('gamma', { limit: 10 })).inRange).toBe(1);
    const reset = await resetPortfolio(ledger, 'gamma');
    expect(reset.sequence).toBe(booked.trade.sequence + 1);
    expect(await ledger.readMarks('gamma', { limit: 10 })).toEqual({ marks: [], inRange: 0 });
    expect(await ledger.listTrades('gamma', Number.MAX_SAFE_INTEGER, 10)).toEqual({ trades: [], more: false });
    // The same request id books a new trade after the reset.
    const rebooked = await bookTrade(ledger, 'gamma', id);
    expect(rebooked.duplicate).toBe(false);
    expect(rebooked.trade.sequence).toBe(reset.sequence + 1);
    const events: LedgerEvent[] = [];
    await readPostgresLedger(db.url, tokens, (e) => {
      if (e.portfolioId === 'gamma') events.push(e);
    });
    expect(events.map((e) => e.kind)).toEqual(['portfolio_created', 'trade', 'portfolio_reset', 'trade']);
  });

  it('reads marks thinned exactly as the file journal does for the same marks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pte-marks-'));
    const { journal } = await openFileJournal({ dir, tokens });
    try {
      await bookTrade(ledger, 'marked', randomUUID());
      let seed = 12_345;
      let value = 1_000_000n;
      for (let i = 0; i < 150; i++) {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        value += BigInt((seed % 2_001) - 1_000);
        const m = mark('marked', 2, 10_000 + i * 1_000 + (i % 4 === 0 ? 0 : 1), value);
        await ledger.appendMark(m);
        await journal.appendMark(m);
      }
      const ranges = [{ limit: 500 }, { limit: 20 }, { limit: 4 }, { fromMs: 40_500, toMs: 120_000, limit: 12 }, { fromMs: 5, limit: 9 }, { toMs: 9_000, limit: 10 }];
      for (const range of ranges) {
        const fromDb = await ledger.readMarks('marked', range);
        const fromFile = await journal.readMarks('marked', range);
        expect(fromDb, JSON.stringify(range)).toEqual(fromFile);
      }
      expect((await ledger.readMarks('marked', { limit: 20 })).marks).toHaveLength(20);
    } finally {
      await journal.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives replay every event, which folds to the stored states', async () => {
    for (let i = 0; i < 5; i++) await bookTrade(ledger, `replayed-${i % 2}`, randomUUID());
    const events = new Map<string, LedgerEvent[]>();
    let lastKey = '';
    const report = await readPostgresLedger(db.url, tokens, (e, sequence) => {
      const key = `${e.portfolioId}\u0000${String(sequence).padStart(12, '0')}`;
      expect(key > lastKey).toBe(true);
      lastKey = key;
      events.set(e.portfolioId, [...(events.get(e.portfolioId) ?? []), e]);
    });
    const stored = await ledger.readStates();
    expect([...report.states.keys()]).toEqual(stored.map((s) => s.portfolioId));
    for (const s of stored) {
      const rebuilt = fold(events.get(s.portfolioId) ?? []) as PortfolioState;
      expect(portfolioStateHash(rebuilt)).toBe(portfolioStateHash(s));
      expect(portfolioStateHash(report.states.get(s.portfolioId) as PortfolioState)).toBe(portfolioStateHash(s));
    }
    expect(report.events).toBe([...events.values()].reduce((n, l) => n + l.length, 0));
  });
});

/** A mark of one SOL holding whose value is `value` millionths of a USD. */
function mark(portfolioId: string, sequence: number, atMs: number, value: bigint): MarkRecord {
  return {
    portfolioId,
    sequence,
    atMs,
    holdings: [{ mint: SOL.mint, amount: value * 1_000n }],
    prices: [{ mint: SOL.mint, usd: ratio(1n, 1_000_000_000n) }],
    valueUsd: ratio(value, 1_000_000n),
  };
}
