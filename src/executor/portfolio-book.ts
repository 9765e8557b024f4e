import { ExecutorError } from '../domain/errors.js';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import type { Token } from '../domain/tokens.js';
import type { TradeJournal } from './ports.js';

/**
 * The portfolio book: the one owner of ledger state (DESIGN.md). Every ledger event is applied here
 * and nowhere else; the journal keeps the events' bytes and indexes, and takes its snapshots of the
 * states from here (`durableStates`).
 */
export interface PortfolioEntry {
  /** Durable state: what reads and results show. */
  state: PortfolioState;
  /**
   * State including events handed to the journal but not yet durable: what the next trade is built
   * on, so trades of one portfolio can share a group commit instead of waiting for each fsync in turn.
   */
  pending: PortfolioState;
}

export interface PortfolioBookOptions {
  readonly journal: TradeJournal;
  readonly sol: Token;
  /** States recovered from the journal at start-up; the book owns them from then on. */
  readonly restored?: Iterable<readonly [string, PortfolioState]> | undefined;
  /** Portfolios held at most (portfolios.max); default no limit. */
  readonly maxPortfolios?: number | undefined;
}

export interface PortfolioBook {
  get(portfolioId: string): PortfolioEntry | undefined;
  /** Portfolios that exist (their creation is durable). */
  readonly size: number;
  /** Every existing portfolio's durable state, in no particular order. */
  durableStates(): IterableIterator<PortfolioState>;
  /**
   * Books an event: checks it against the pending state (all-or-nothing: an event that does not
   * apply throws and changes nothing), hands it to the journal (call order is journal order) and
   * makes it visible only once the journal says it is durable. Returns as soon as the event is
   * handed over, so the caller can release the portfolio's lock before the fsync and concurrent
   * trades share one group commit; the caller must await `durable` before answering. The durable
   * state is updated in the first reaction to the journal's append (the journal's snapshots rely
   * on it: see docs/durability.md). Call inside the portfolio's lock.
   */
  book(entry: PortfolioEntry | undefined, event: LedgerEvent): { entry: PortfolioEntry; durable: Promise<void> };
  /**
   * Counts a portfolio about to be created toward the cap, or refuses it (PORTFOLIO_LIMIT). Call
   * inside the portfolio's lock, for an id not in the book; the slot is given back by `booked` (kept
   * once the creation is durable, when the portfolio is in the book) or by `abandon`.
   */
  reserveCreation(portfolioId: string): { booked: (durable: Promise<void>) => void; abandon: () => void };
}

export function createPortfolioBook(options: PortfolioBookOptions): PortfolioBook {
  const { journal, sol } = options;
  const maxPortfolios = options.maxPortfolios ?? Infinity;
  const portfolios = new Map<string, PortfolioEntry>();
  /** Portfolios being created (their first event handed to the journal, not yet durable): they count toward the cap. */
  const creating = new Set<string>();
  for (const [id, state] of options.restored ?? []) portfolios.set(id, { state, pending: state });

  return {
    get: (id) => portfolios.get(id),
    get size() {
      return portfolios.size;
    },
    *durableStates() {
      for (const e of portfolios.values()) yield e.state;
    },
    book(entry, event) {
      const next = applyEvent(entry?.pending, event, sol);
      const target: PortfolioEntry = entry ?? { state: next, pending: next };
      let appended: Promise<void>;
      try {
        appended = journal.append(event);
      } catch (cause) {
        appended = Promise.reject(cause instanceof Error ? cause : new Error(String(cause)));
      }
      target.pending = next;
      const durable = appended.then(
        () => {
          // The journal resolves in sequence order, so these run in booking order.
          if (next.sequence >= target.state.sequence) target.state = next;
          if (!portfolios.has(event.portfolioId)) portfolios.set(event.portfolioId, target);
        },
        (cause: unknown) => {
          target.pending = target.state;
          throw new ExecutorError('JOURNAL_UNAVAILABLE', 'the journal cannot be written; the trade was not booked', {}, { cause });
        },
      );
      durable.catch(() => undefined); // handled by the caller; this keeps an early failure from counting as unhandled
      return { entry: target, durable };
    },
    reserveCreation(portfolioId) {
      const held = portfolios.size + creating.size;
      if (held >= maxPortfolios) {
        throw new ExecutorError(
          'PORTFOLIO_LIMIT',
          `portfolio_id: this server holds ${held} portfolios, the most allowed (portfolios.max); trade in or reset an existing portfolio`,
          { field: 'portfolio_id' },
        );
      }
      creating.add(portfolioId);
      const abandon = (): void => {
        creating.delete(portfolioId);
      };
      return { booked: (durable) => void durable.then(abandon, abandon), abandon };
    },
  };
}
