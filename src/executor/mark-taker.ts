import type { LedgerEvent, PortfolioState } from '../domain/ledger.js';
import type { UsdPrice } from '../domain/market.js';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import { computeMark, type Mark } from '../report/index.js';
import { markRecordOf } from './marks.js';
import type { ExecutorMetricsSink, Log, MarkJournal, TradeRecorder } from './ports.js';
import type { Feed } from './trade-feed.js';

/** Takes equity marks (docs/reports.md, Marks) and hands them to the journal, the feed and the recorder. */
export interface MarkTaker {
  /**
   * Takes a mark of `state` at `prices` (computeMark: the valuation GetPortfolio uses). A state older
   * than the portfolio's last mark is not marked: marks never go back.
   */
  take(state: PortfolioState, prices: ReadonlyMap<Mint, UsdPrice>, atMs: number): Mark | undefined;
  /** The creation or reset mark: the new state at the prices its starting balances were valued at. */
  start(state: PortfolioState, event: LedgerEvent, prices: ReadonlyMap<Mint, UsdPrice>): void;
}

export interface MarkTakerOptions {
  readonly tokens: TokenRegistry;
  readonly journal: MarkJournal;
  readonly feed: Feed<Mark>;
  readonly log: Log;
  readonly recorder?: TradeRecorder | undefined;
  readonly metrics?: ExecutorMetricsSink | undefined;
}

export function createMarkTaker(options: MarkTakerOptions): MarkTaker {
  const { tokens, journal, feed, log, metrics } = options;
  /** The last mark taken of each portfolio (sequence, time): marks of one portfolio never go back. */
  const lastMarks = new Map<string, { sequence: number; atMs: number }>();

  const failed = (portfolioId: string, err: unknown): void => {
    metrics?.countSideFailure('marks');
    log.warn({ portfolio_id: portfolioId, err: err instanceof Error ? err.message : String(err) }, 'mark not journaled');
  };

  function take(state: PortfolioState, prices: ReadonlyMap<Mint, UsdPrice>, atMs: number): Mark | undefined {
    const last = lastMarks.get(state.portfolioId);
    if (last && state.sequence < last.sequence) return undefined;
    const mark = computeMark(state, tokens, prices, Math.max(atMs, last?.atMs ?? atMs));
    // Updated in place: a portfolio's entry is made once, not on every trade.
    if (last) {
      last.sequence = mark.sequence;
      last.atMs = mark.atMs;
    } else lastMarks.set(state.portfolioId, { sequence: mark.sequence, atMs: mark.atMs });
    const record = markRecordOf(mark);
    // Written with the next group commit; nobody waits for it.
    try {
      journal.appendMark(record).catch((err: unknown) => failed(state.portfolioId, err));
    } catch (err) {
      failed(state.portfolioId, err);
    }
    feed.publish(state.portfolioId, mark, log);
    try {
      options.recorder?.recordMark?.(record);
    } catch (err) {
      metrics?.countSideFailure('recorder');
      log.error({ err }, 'mark recorder failed');
    }
    return mark;
  }

  return {
    take,
    start(state, event, prices) {
      if (event.kind === 'trade') return;
      take(state, prices, event.atMs);
    },
  };
}
