import { describe, expect, it } from 'vitest';
import { isExecutorError } from '../domain/errors.js';
import { applyEvent, type LedgerEvent } from '../domain/ledger.js';
import { createTokenRegistry } from '../domain/tokens.js';
import { createMemoryJournal } from '../store/memory-journal.js';
import { createPortfolioBook } from './portfolio-book.js';
import type { TradeJournal } from './ports.js';
import { makeTrade } from '../../test/support/report.js';

const tokens = createTokenRegistry();
const sol = tokens.sol;
const USDC = tokens.bySymbol('USDC');
const created = (portfolioId: string, units = 5_000_000_000n): LedgerEvent => ({ kind: 'portfolio_created', portfolioId, atMs: 1, balances: [{ mint: sol.mint, amount: units, costNanoUsd: 0n }] });
const reset = (portfolioId: string, units: bigint): LedgerEvent => ({ kind: 'portfolio_reset', portfolioId, atMs: 2, balances: [{ mint: USDC.mint, amount: units, costNanoUsd: 0n }] });

/** A memory journal whose appends resolve only when the test says so. */
function heldJournal(): { journal: TradeJournal; release: () => void; fail: (err: Error) => void; appended: LedgerEvent[] } {
  const inner = createMemoryJournal();
  const waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  return {
    journal: {
      ...inner,
      append(event) {
        void inner.append(event);
        return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
      },
    },
    release: () => {
      for (const w of waiting.splice(0)) w.resolve();
    },
    fail: (err) => {
      for (const w of waiting.splice(0)) w.reject(err);
    },
    appended: inner.events as LedgerEvent[],
  };
}

describe('portfolio book', () => {
  it('shows a booked event in reads only once the journal says it is durable; the next event builds on the pending state', async () => {
    const { journal, release } = heldJournal();
    const book = createPortfolioBook({ journal, sol });
    const first = book.book(undefined, created('a'));
    expect(book.get('a')).toBeUndefined(); // not durable: the portfolio does not exist yet
    expect(book.size).toBe(0);
    const second = book.book(first.entry, reset('a', 7n));
    expect(first.entry.pending.sequence).toBe(2);
    release();
    await Promise.all([first.durable, second.durable]);
    expect(book.get('a')?.state).toEqual(applyEvent(applyEvent(undefined, created('a'), sol), reset('a', 7n), sol));
    expect([...book.durableStates()].map((s) => s.portfolioId)).toEqual(['a']);
  });

  it('applies all or nothing: a trade the balance cannot pay throws, and neither the journal nor the state sees it', async () => {
    const journal = createMemoryJournal();
    const book = createPortfolioBook({ journal, sol });
    const { entry, durable } = book.book(undefined, created('a', 1_000_000_000n)); // 1 SOL
    await durable;
    const before = entry.state;
    const trade = { ...makeTrade({ sequence: 2, atMs: 3, action: 'SELL', base: sol, quote: USDC, amount: 2_000_000_000n, isBaseInput: true, baseUsd: '150', quoteUsd: '1', portfolioId: 'a' }), sequence: 2 };
    expect(() => book.book(entry, { kind: 'trade', portfolioId: 'a', atMs: 3, trade })).toThrow(/insufficient SOL/);
    expect(journal.events).toHaveLength(1);
    expect(entry.state).toBe(before);
    expect(entry.pending).toBe(before);
  });

  it('rolls the pending state back when the journal cannot take the event, and answers JOURNAL_UNAVAILABLE', async () => {
    const { journal, release, fail } = heldJournal();
    const book = createPortfolioBook({ journal, sol });
    const first = book.book(undefined, created('a'));
    release();
    await first.durable;
    const next = book.book(first.entry, reset('a', 3n));
    expect(first.entry.pending.sequence).toBe(2);
    fail(new Error('disk full'));
    const err = await next.durable.catch((e: unknown) => e);
    expect(isExecutorError(err, 'JOURNAL_UNAVAILABLE')).toBe(true);
    expect(first.entry.pending).toBe(first.entry.state);
    expect(first.entry.state.sequence).toBe(1);
  });

  it('counts portfolios being created toward the cap and gives a slot back when the creation is abandoned', async () => {
    const book = createPortfolioBook({ journal: createMemoryJournal(), sol, maxPortfolios: 1 });
    const slot = book.reserveCreation('a');
    expect(() => book.reserveCreation('b')).toThrow(/the most allowed/);
    slot.abandon();
    const again = book.reserveCreation('b');
    const { durable } = book.book(undefined, created('b'));
    again.booked(durable);
    await durable;
    await Promise.resolve();
    expect(() => book.reserveCreation('c')).toThrow(/holds 1 portfolios/);
  });

  it('starts from restored states and owns them', () => {
    const state = applyEvent(undefined, created('r'), sol);
    const book = createPortfolioBook({ journal: createMemoryJournal(), sol, restored: [['r', state]] });
    expect(book.get('r')).toEqual({ state, pending: state });
    expect(book.size).toBe(1);
  });
});
