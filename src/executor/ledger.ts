import { ExecutorError } from '../domain/errors.js';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import type { Token } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { createKeyedMutex } from './keyed-mutex.js';
import { createPortfolioBook, type PortfolioEntry } from './portfolio-book.js';
import type { SharedLedgerStore, TradeJournal } from './ports.js';

/**
 * The ledger as the executor uses it, whichever store keeps it (DESIGN.md, Ledger stores): reads of
 * durable state, and changes made under the portfolio's exclusive lock. Events are applied here (the
 * portfolio book for the embedded journal, the same pure applyEvent for a shared store) and nowhere
 * else.
 *
 * - Local (file or memory journal): this process owns its portfolios. The book holds every state; a
 *   change is decided under an in-process lock on the pending state and answered once its group
 *   commit is durable, so trades of one portfolio share fsyncs.
 * - Shared (PostgreSQL): any number of executors share every portfolio. State is read from the store
 *   under its row lock, the change is one transaction, and it is answered after the commit. The
 *   in-process lock in front keeps this process's trades of one portfolio from queueing on the row
 *   lock with a database connection each.
 */
export interface Ledger {
  /** The durable state of a portfolio; undefined when it was never created. */
  state(portfolioId: string): Promise<PortfolioState | undefined>;
  /** Every existing portfolio's durable state, in no particular order. */
  states(): Promise<PortfolioState[]>;
  /**
   * Runs `decide` with the portfolio's current state under its exclusive lock and books the events it
   * returns, all or nothing (an event that does not apply throws and nothing is written). Resolves
   * once they are durable. `decide` may run more than once with a shared store (a retried
   * transaction), so it must have no effect but its result.
   */
  change<T>(portfolioId: string, decide: Decide<T>, options?: ChangeOptions): Promise<Changed<T>>;
}

/** What is decided under the lock: the events to book (none: nothing changes) and a value for the caller. */
export interface Decision<T> {
  readonly events: readonly LedgerEvent[];
  readonly value: T;
}

/**
 * Decides a change from the portfolio's current state (undefined: it does not exist yet) and, with a
 * shared store, the trade already booked under the request id (another executor's, or one whose
 * answer was lost), which a local ledger's idempotency has found before.
 */
export type Decide<T> = (state: PortfolioState | undefined, booked: Trade | undefined) => Decision<T> | Promise<Decision<T>>;

export interface ChangeOptions {
  /** The request being booked: a shared store reads its already booked trade with the lock. */
  readonly requestId?: string | undefined;
  /** A change not yet started when it aborts is not made (DEADLINE_EXCEEDED). */
  readonly signal?: AbortSignal | undefined;
}

export interface Changed<T> {
  readonly value: T;
  /** The state after each booked event, in order (empty when nothing was booked). */
  readonly states: readonly PortfolioState[];
}

const deadline = (): ExecutorError => new ExecutorError('DEADLINE_EXCEEDED', 'the request was cancelled or its deadline passed before the trade was booked');

const portfolioLimit = (held: number): ExecutorError =>
  new ExecutorError('PORTFOLIO_LIMIT', `portfolio_id: ${held} portfolios exist, the most allowed (portfolios.max); trade in or reset an existing portfolio`, {
    field: 'portfolio_id',
  });

/** The states the events give, each applied to the last; throws (INSUFFICIENT_BALANCE) if one does not apply. */
function applyAll(state: PortfolioState | undefined, events: readonly LedgerEvent[], sol: Token): PortfolioState[] {
  const out: PortfolioState[] = [];
  let s = state;
  for (const e of events) {
    s = applyEvent(s, e, sol);
    out.push(s);
  }
  return out;
}

export interface LocalLedgerOptions {
  readonly journal: TradeJournal;
  readonly sol: Token;
  /** States recovered from the journal at start-up; the book owns them from then on. */
  readonly restored?: Iterable<readonly [string, PortfolioState]> | undefined;
  readonly maxPortfolios?: number | undefined;
}

/** The embedded ledger: the portfolio book over the file (or memory) journal. */
export function createLocalLedger(options: LocalLedgerOptions): Ledger & { durableStates(): IterableIterator<PortfolioState> } {
  const book = createPortfolioBook(options);
  // The journal's snapshots are taken from the book, the one place events are applied.
  options.journal.takeSnapshotsFrom?.(() => book.durableStates());
  const mutex = createKeyedMutex();

  return {
    state: (id) => Promise.resolve(book.get(id)?.state),
    states: () => Promise.resolve([...book.durableStates()]),
    durableStates: () => book.durableStates(),
    async change<T>(portfolioId: string, decide: Decide<T>, changeOptions?: ChangeOptions): Promise<Changed<T>> {
      const signal = changeOptions?.signal;
      const locked = await mutex.run(portfolioId, async () => {
        if (signal?.aborted) throw deadline();
        const existing = book.get(portfolioId);
        const slot = existing ? undefined : book.reserveCreation(portfolioId);
        let decision: Decision<T>;
        try {
          // A trade on an existing portfolio is decided synchronously: awaited only when it is a promise.
          const decided = decide(existing?.pending, undefined);
          decision = decided instanceof Promise ? await decided : decided;
          // All or nothing: with several events, every one must apply before the first is written
          // (a single event is checked by the book before it is handed to the journal).
          if (decision.events.length > 1) applyAll(existing?.pending, decision.events, options.sol);
        } catch (err) {
          slot?.abandon();
          throw err;
        }
        if (decision.events.length === 0) {
          slot?.abandon();
          return { decision, states: [], durable: undefined };
        }
        let entry: PortfolioEntry | undefined = existing;
        let first: Promise<void> | undefined;
        let durable: Promise<void> | undefined;
        const states: PortfolioState[] = [];
        for (const event of decision.events) {
          const booked = book.book(entry, event);
          entry = booked.entry;
          states.push(entry.pending);
          first ??= booked.durable;
          durable = booked.durable;
        }
        if (first) slot?.booked(first);
        // Held until a new portfolio is in the book, so the next change of it finds it there (built
        // on the pending state) instead of creating it a second time.
        if (!existing && first) await first;
        return { decision, states, durable };
      });
      // Outside the lock: the next change of this portfolio is decided while this one's fsync runs.
      await locked.durable;
      return { value: locked.decision.value, states: locked.states };
    },
  };
}

export interface SharedLedgerOptions {
  readonly store: SharedLedgerStore;
  readonly sol: Token;
  readonly maxPortfolios?: number | undefined;
}

/** The ledger in a store several executors share: one transaction per change, answered after its commit. */
export function createSharedLedger(options: SharedLedgerOptions): Ledger {
  const { store, sol } = options;
  const maxPortfolios = options.maxPortfolios ?? Infinity;
  const mutex = createKeyedMutex();

  return {
    state: (id) => store.readState(id),
    states: () => store.readStates(),
    change<T>(portfolioId: string, decide: Decide<T>, changeOptions?: ChangeOptions): Promise<Changed<T>> {
      const signal = changeOptions?.signal;
      return mutex.run(portfolioId, async () => {
        if (signal?.aborted) throw deadline();
        return store.transaction(
          portfolioId,
          async (tx): Promise<Changed<T>> => {
            const decision = await decide(tx.state, tx.booked);
            if (decision.events.length === 0) return { value: decision.value, states: [] };
            if (tx.state === undefined && Number.isFinite(maxPortfolios)) {
              const held = await tx.portfolioCount();
              if (held >= maxPortfolios) throw portfolioLimit(held);
            }
            const states = applyAll(tx.state, decision.events, sol);
            const last = states.at(-1);
            if (last) await tx.write(decision.events, last);
            return { value: decision.value, states };
          },
          { requestId: changeOptions?.requestId, signal },
        );
      });
    },
  };
}
