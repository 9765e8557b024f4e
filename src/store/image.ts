import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import type { Token } from '../domain/tokens.js';
import { MarkIndex, type MarkList, type MarkRef } from './mark-index.js';
import { TradeIndex, type TradeList, type TradeRef } from './trade-index.js';

/**
 * What the executor needs to resume after a restart: each portfolio's ledger state, and the trade
 * index (store/trade-index.ts): where each trade since the portfolio's last reset is in the journal,
 * which is both the ListTrades history and the idempotency index. The trades stay in the journal.
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

/** A recovery image that events are applied to one by one, in journal order. */
export interface ImageBuilder {
  /** Applies an event; a trade's `ref` says where its record is in the journal. */
  apply(event: LedgerEvent, seq: number, ref: TradeRef | undefined): void;
  /** Indexes a mark record; marks change no ledger state. */
  applyMark(portfolioId: string, seq: number, ref: MarkRef): void;
  /** The image as of now; later applies do not change it (lists are append-only; a reset replaces one). */
  snapshot(): RecoveryImage;
  readonly seq: number;
  /** The live index: every trade applied so far. */
  readonly index: TradeIndex;
  /** The live mark index. */
  readonly marks: MarkIndex;
}

export function createImageBuilder(sol: Token, from: RecoveryImage = { seq: 0, portfolios: new Map() }): ImageBuilder {
  let seq = from.seq;
  const states = new Map<string, PortfolioState>();
  const index = new TradeIndex();
  const marks = new MarkIndex();
  for (const [id, p] of from.portfolios) {
    if (p.marks) {
      if (p.marks.count !== p.marks.list.count) throw new Error(`image of ${id}: its mark list has moved on`);
      marks.set(id, p.marks.list);
    }
    states.set(id, p.state);
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
    applyMark(portfolioId, at, ref) {
      marks.add(portfolioId, ref);
      seq = at;
    },
    apply(event, at, ref) {
      // The index first: it serves duplicates and history, and must stay whole even if a state
      // cannot be applied (the journal then stops writing snapshots, nothing else).
      if (event.kind === 'trade') {
        if (!ref) throw new Error(`trade event ${at} has no journal position`);
        index.add(event.portfolioId, event.trade.requestId, ref);
      } else if (event.kind === 'portfolio_reset') {
        index.reset(event.portfolioId);
        marks.reset(event.portfolioId);
      }
      states.set(event.portfolioId, applyEvent(states.get(event.portfolioId), event, sol));
      seq = at;
    },
    snapshot() {
      const copy = new Map<string, PortfolioImage>();
      for (const [id, state] of states) {
        const list = index.list(id);
        const ml = marks.list(id);
        copy.set(id, { state, trades: list ? { list, count: list.count } : undefined, marks: ml ? { list: ml, count: ml.count } : undefined });
      }
      return { seq, portfolios: copy };
    },
  };
}
