import type { LedgerEvent } from '../domain/ledger.js';
import type { TradeJournal } from '../executor/ports.js';

/**
 * A journal that keeps events in memory only: state is lost on restart. It exists for tests and for
 * `--data-dir none`; the durable file journal is the default once available.
 */
export interface MemoryJournal extends TradeJournal {
  readonly events: readonly LedgerEvent[];
}

export function createMemoryJournal(): MemoryJournal {
  const events: LedgerEvent[] = [];
  return {
    events,
    append(event) {
      events.push(event);
      return Promise.resolve();
    },
  };
}
