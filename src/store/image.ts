import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import type { Token } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';

/**
 * What the executor needs to resume after a restart: each portfolio's ledger state and its trades
 * since its last reset (oldest first). The trades are both the ListTrades history and the
 * idempotency index, since a request_id's original trade, with its payload fingerprint in
 * `trade.inputs.fingerprint`, is exactly the trade recorded for it. A reset drops the history, as
 * it does live.
 */
export interface PortfolioImage {
  readonly state: PortfolioState;
  readonly trades: readonly Trade[];
}

export interface RecoveryImage {
  /** Journal sequence number of the last event applied (0: none). */
  readonly seq: number;
  readonly portfolios: ReadonlyMap<string, PortfolioImage>;
}

/** A recovery image that events are applied to one by one, in journal order. */
export interface ImageBuilder {
  apply(event: LedgerEvent, seq: number): void;
  /** The image as of now; later applies do not change it (trade lists are copied). */
  snapshot(): RecoveryImage;
  readonly seq: number;
}

export function createImageBuilder(sol: Token, from: RecoveryImage = { seq: 0, portfolios: new Map() }): ImageBuilder {
  let seq = from.seq;
  const portfolios = new Map<string, { state: PortfolioState; trades: Trade[] }>();
  for (const [id, p] of from.portfolios) portfolios.set(id, { state: p.state, trades: [...p.trades] });
  return {
    get seq() {
      return seq;
    },
    apply(event, at) {
      const entry = portfolios.get(event.portfolioId);
      const state = applyEvent(entry?.state, event, sol);
      if (!entry) portfolios.set(event.portfolioId, { state, trades: event.kind === 'trade' ? [event.trade] : [] });
      else {
        entry.state = state;
        if (event.kind === 'trade') entry.trades.push(event.trade);
        else entry.trades.length = 0;
      }
      seq = at;
    },
    snapshot() {
      const copy = new Map<string, PortfolioImage>();
      for (const [id, p] of portfolios) copy.set(id, { state: p.state, trades: p.trades.slice() });
      return { seq, portfolios: copy };
    },
  };
}
