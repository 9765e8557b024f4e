import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import type { Token } from '../domain/tokens.js';
import { MarkIndex, type MarkList, type MarkRef } from './mark-index.js';
import { TradeIndex, type TradeList, type TradeRef } from './trade-index.js';

/**
 * What the executor needs to resume after a restart: each portfolio's ledger state, and the trade
 * index (store/trade-index.ts): where each trade since the portfolio's last reset is in the journal,
 * which is both the ListTrades history and the idempotency index. The trades stay in the journal.
 * It is also what a snapshot holds.
 */
export interface PortfolioImage {
  readonly state: PortfolioState;
  /** The portfolio's trade list and how many of its entries belong to the image. */
  readonly trades: { readonly list: TradeList; readonly count: number } | undefined;
  /** The portfolio's mark list (since its last reset) and how many of its entries belong to the image. */
  readonly marks?: { readonly list: MarkList; readonly count: number } | undefined;
}

export interface RecoveryImage {
  /** Journal sequence number of the last event applied (0: none). */
  readonly seq: number;
  readonly portfolios: ReadonlyMap<string, PortfolioImage>;
}

/** A portfolio's index lists, with their lengths, as of one journal sequence. */
export interface IndexLists {
  readonly trades: { readonly list: TradeList; readonly count: number } | undefined;
  readonly marks: { readonly list: MarkList; readonly count: number } | undefined;
}

/**
 * The journal's own indexes, kept at run time: the trade index (history and idempotency) and the
 * mark index. No ledger state: the executor's portfolio book is the one place events are applied.
 */
export interface JournalIndexes {
  /** Indexes a ledger event: a trade's `ref` says where its record is; a reset starts new lists. */
  addEvent(event: LedgerEvent, seq: number, ref: TradeRef | undefined): void;
  /** Indexes a mark record; marks change no ledger state. */
  addMark(portfolioId: string, seq: number, ref: MarkRef): void;
  /** Every portfolio's lists as of now; later adds do not change them (lists are append-only; a reset replaces one). */
  lists(): ReadonlyMap<string, IndexLists>;
  /** The last sequence indexed. */
  readonly seq: number;
  readonly index: TradeIndex;
  readonly marks: MarkIndex;
}

export function createJournalIndexes(from: RecoveryImage = { seq: 0, portfolios: new Map() }): JournalIndexes {
  let seq = from.seq;
  const index = new TradeIndex();
  const marks = new MarkIndex();
  for (const [id, p] of from.portfolios) {
    if (p.marks) {
      if (p.marks.count !== p.marks.list.count) throw new Error(`image of ${id}: its mark list has moved on`);
      marks.set(id, p.marks.list);
    }
    if (p.trades) {
      if (p.trades.count !== p.trades.list.count) throw new Error(`image of ${id}: its trade list has moved on`);
      index.set(id, p.trades.list);
    }
  }
  return {
    get seq() {
      return seq;
    },
    index,
    marks,
    addMark(portfolioId, at, ref) {
      marks.add(portfolioId, ref);
      seq = at;
    },
    addEvent(event, at, ref) {
      if (event.kind === 'trade') {
        if (!ref) throw new Error(`trade event ${at} has no journal position`);
        index.add(event.portfolioId, event.trade.requestId, ref);
      } else if (event.kind === 'portfolio_reset') {
        index.reset(event.portfolioId);
        marks.reset(event.portfolioId);
      }
      seq = at;
    },
    lists() {
      const out = new Map<string, IndexLists>();
      for (const [id, list] of index.entries()) out.set(id, { trades: { list, count: list.count }, marks: undefined });
      for (const [id, list] of marks.entries()) out.set(id, { trades: out.get(id)?.trades, marks: { list, count: list.count } });
      return out;
    },
  };
}

/**
 * Start-up only: the snapshot's states with the journal's tail applied, in journal order, beside the
 * indexes the journal keeps from then on. The states are handed to the executor (RecoveryImage) and
 * not kept here.
 */
export interface Recovery {
  /** Applies and indexes an event; throws when it does not apply (the journal then refuses to start). */
  apply(event: LedgerEvent, seq: number, ref: TradeRef | undefined): void;
  readonly indexes: JournalIndexes;
  /** The recovered image: the states and the index lists as of the last record applied. */
  image(): RecoveryImage;
}

export function createRecovery(sol: Token, from: RecoveryImage = { seq: 0, portfolios: new Map() }): Recovery {
  const states = new Map<string, PortfolioState>();
  for (const [id, p] of from.portfolios) states.set(id, p.state);
  const indexes = createJournalIndexes(from);
  return {
    indexes,
    apply(event, at, ref) {
      indexes.addEvent(event, at, ref);
      states.set(event.portfolioId, applyEvent(states.get(event.portfolioId), event, sol));
    },
    image() {
      return imageOf(indexes.seq, states.values(), indexes.lists());
    },
  };
}

/**
 * The image of `states` with the index lists taken at the same journal sequence; undefined when they
 * disagree (a portfolio with indexed trades but no state, or a state older than its last indexed
 * trade): such an image must not be written as a snapshot.
 */
export function consistentImage(seq: number, states: Iterable<PortfolioState>, lists: ReadonlyMap<string, IndexLists>): RecoveryImage | { readonly problem: string } {
  const image = imageOf(seq, states, lists);
  for (const [id, l] of lists) {
    const p = image.portfolios.get(id);
    if (!p) return { problem: `portfolio ${id} is in the journal's index but has no state` };
    const last = l.trades && l.trades.count > 0 ? l.trades.list.at(l.trades.count - 1).sequence : 0;
    if (p.state.sequence < last) return { problem: `portfolio ${id}: its state is at sequence ${p.state.sequence}, its last indexed trade at ${last}` };
  }
  return image;
}

function imageOf(seq: number, states: Iterable<PortfolioState>, lists: ReadonlyMap<string, IndexLists>): RecoveryImage {
  const portfolios = new Map<string, PortfolioImage>();
  for (const state of states) {
    const l = lists.get(state.portfolioId);
    portfolios.set(state.portfolioId, { state, trades: l?.trades, marks: l?.marks });
  }
  return { seq, portfolios };
}
