import type { Trade } from '../domain/trade.js';
import type { Mark } from '../report/marks.js';
import type { Log } from './ports.js';

/**
 * Live listeners of one kind of event (booked trades, marks) per portfolio. Kept apart from the book
 * so one may subscribe before the portfolio exists; a listener that throws is logged and skipped.
 */
export interface Feed<T> {
  /** Calls `listener` for every event of the portfolio from now on; returns the unsubscribe. */
  subscribe(portfolioId: string, listener: (value: T) => void): () => void;
  publish(portfolioId: string, value: T, log: Log): void;
  /** Whether the portfolio has a listener now. */
  followed(portfolioId: string): boolean;
}

export function createFeed<T>(what: string): Feed<T> {
  const listeners = new Map<string, Set<(value: T) => void>>();
  return {
    subscribe(portfolioId, listener) {
      let subs = listeners.get(portfolioId);
      if (!subs) {
        subs = new Set();
        listeners.set(portfolioId, subs);
      }
      const set = subs;
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(portfolioId) === set) listeners.delete(portfolioId);
      };
    },
    followed: (portfolioId) => listeners.has(portfolioId),
    publish(portfolioId, value, log) {
      const subs = listeners.get(portfolioId);
      if (!subs) return;
      for (const s of subs) {
        try {
          s(value);
        } catch (err) {
          log.error({ err }, `${what} subscriber failed`);
        }
      }
    },
  };
}

/** The executor's two feeds: StreamTrades and the marks behind live equity curves. */
export interface TradeFeed {
  readonly trades: Feed<Trade>;
  readonly marks: Feed<Mark>;
}

export const createTradeFeed = (): TradeFeed => ({ trades: createFeed<Trade>('trade'), marks: createFeed<Mark>('mark') });
