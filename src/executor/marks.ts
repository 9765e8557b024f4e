import type { Position } from '../domain/ledger.js';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import { computeMark, type Mark } from '../report/marks.js';
import type { Log, MarkRecord } from './ports.js';

/** What the journal keeps of a mark: its inputs and its value (docs/durability.md, Marks). */
export function markRecordOf(m: Mark): MarkRecord {
  return {
    portfolioId: m.portfolioId,
    sequence: m.sequence,
    atMs: m.atMs,
    holdings: m.holdings.map((h) => ({ mint: h.token.mint, amount: h.amount })),
    prices: m.prices.map((p) => ({ mint: p.mint, usd: p.usd })),
    valueUsd: m.valueUsd,
  };
}

/**
 * A journaled mark as the report's Mark: computed again from its balances and prices with the same
 * function, so its value is the value recorded. A token no longer in the registry is left out.
 */
export function markOfRecord(r: MarkRecord, tokens: TokenRegistry): Mark {
  const positions = new Map<Mint, Pick<Position, 'amount'>>(r.holdings.map((h) => [h.mint, { amount: h.amount }]));
  const prices = new Map<Mint, { usd: MarkRecord['valueUsd'] }>(r.prices.map((p) => [p.mint, { usd: p.usd }]));
  return computeMark({ portfolioId: r.portfolioId, sequence: r.sequence, positions }, tokens, prices, r.atMs);
}

/**
 * Periodic marks: every `intervalMs`, `markAll` marks every portfolio that holds anything (one
 * batched price lookup). A round still running when the next is due is not overlapped. The timer is
 * unref'd (it never keeps the process alive); the returned stop waits for a running round.
 */
export function startPeriodicMarks(markAll: () => Promise<number>, intervalMs: number, log: Log): () => Promise<void> {
  if (intervalMs <= 0) return () => Promise.resolve();
  let running: Promise<void> | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = markAll()
      .then(
        (n) => log.debug({ marks: n }, 'periodic marks taken'),
        (err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'periodic marks skipped: prices unavailable'),
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
