import type { LedgerEvent } from '../domain/ledger.js';
import type { MarkRecord, TradeJournal } from '../executor/ports.js';
import { MarkIndex } from './mark-index.js';
import { createTradeHistory } from './trade-history.js';
import { TradeIndex } from './trade-index.js';

/**
 * A journal that keeps events in memory only: state is lost on restart. It exists for tests and for
 * `--no-journal`. Its history uses the same index as the file journal (so request ids behave the
 * same); a trade's ref points at its position in `events` (segment 1, offset = position).
 */
export interface MemoryJournal extends TradeJournal {
  readonly events: readonly LedgerEvent[];
  /** Every mark appended, in order (marks are not ledger events). */
  readonly marks: readonly MarkRecord[];
}

export function createMemoryJournal(): MemoryJournal {
  const events: LedgerEvent[] = [];
  const index = new TradeIndex();
  const marks: MarkRecord[] = [];
  const markIndex = new MarkIndex();
  const history = createTradeHistory(index, (refs) =>
    Promise.resolve(
      refs.map((r) => {
        const e = events[r.offset];
        if (e?.kind !== 'trade') throw new Error(`memory journal: no trade at ${r.offset}`);
        return e.trade;
      }),
    ),
  );
  return {
    ...history,
    events,
    marks,
    append(event) {
      events.push(event);
      if (event.kind === 'trade') index.add(event.portfolioId, event.trade.requestId, { sequence: event.trade.sequence, segment: 1, offset: events.length - 1, length: 1 });
      else if (event.kind === 'portfolio_reset') {
        index.reset(event.portfolioId);
        markIndex.reset(event.portfolioId);
      }
      return Promise.resolve();
    },
    appendMark(mark) {
      marks.push(mark);
      const value = Number(mark.valueUsd.n) / Number(mark.valueUsd.d);
      markIndex.add(mark.portfolioId, { sequence: mark.sequence, atMs: mark.atMs, value: Number.isFinite(value) ? value : 0, segment: 1, offset: marks.length - 1, length: 1 });
      return Promise.resolve();
    },
    readMarks(portfolioId, range) {
      const list = markIndex.list(portfolioId);
      if (!list) return Promise.resolve({ marks: [], inRange: 0 });
      const { positions, inRange } = list.select(range.fromMs, range.toMs, range.limit);
      return Promise.resolve({ marks: positions.map((i) => marks[list.at(i).offset] as MarkRecord), inRange });
    },
  };
}
