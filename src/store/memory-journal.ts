import type { LedgerEvent } from '../domain/ledger.js';
import type { TradeJournal } from '../executor/ports.js';
import { createTradeHistory } from './trade-history.js';
import { TradeIndex } from './trade-index.js';

/**
 * A journal that keeps events in memory only: state is lost on restart. It exists for tests and for
 * `--no-journal`. Its history uses the same index as the file journal (so request ids behave the
 * same); a trade's ref points at its position in `events` (segment 1, offset = position).
 */
export interface MemoryJournal extends TradeJournal {
  readonly events: readonly LedgerEvent[];
}

export function createMemoryJournal(): MemoryJournal {
  const events: LedgerEvent[] = [];
  const index = new TradeIndex();
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
    append(event) {
      events.push(event);
      if (event.kind === 'trade') index.add(event.portfolioId, event.trade.requestId, { sequence: event.trade.sequence, segment: 1, offset: events.length - 1, length: 1 });
      else if (event.kind === 'portfolio_reset') index.reset(event.portfolioId);
      return Promise.resolve();
    },
  };
}
