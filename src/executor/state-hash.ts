import { hash as digest } from 'node:crypto';
import type { PortfolioState } from '../domain/ledger.js';

/**
 * A canonical SHA-256 of ledger state. The live service reports it with every portfolio summary and
 * `pte replay` prints it after rebuilding the state from the journal alone; equal hashes mean the
 * journal holds exactly what the service believes. Canonical: positions and accounts sorted by mint,
 * integers as decimal strings, so the hash depends on the state and nothing else (not on map order,
 * not on whether it came from a snapshot or from replaying every event).
 */
export function portfolioStateHash(s: PortfolioState): string {
  let known = HASHES.get(s);
  if (known === undefined) {
    known = computeStateHash(s);
    HASHES.set(s, known);
  }
  return known;
}

/**
 * Hashes already computed, by state object: a PortfolioState is immutable (every change makes a new
 * one), so its hash is computed once however many replies, summaries and replays report it.
 */
const HASHES = new WeakMap<PortfolioState, string>();

/**
 * Inserts `item` into `sorted`, keeping it ordered by `key` (code-unit order, as `<` compares
 * strings). A portfolio holds a handful of tokens: inserting each in place costs less than copying
 * the map into an array and sorting it with Array#sort, on every reply.
 */
function insertSorted<T>(sorted: T[], item: T, key: (x: T) => string): void {
  const k = key(item);
  let i = sorted.length;
  sorted.push(item);
  for (; i > 0; i--) {
    const before = sorted[i - 1] as T;
    if (key(before) <= k) break;
    sorted[i] = before;
  }
  sorted[i] = item;
}

const mintOf = (row: readonly [string, string, string]): string => row[0];
const itself = (mint: string): string => mint;

function computeStateHash(s: PortfolioState): string {
  const positions: [string, string, string][] = [];
  for (const [mint, p] of s.positions) insertSorted(positions, [mint, p.amount.toString(), p.costNanoUsd.toString()], mintOf);
  const accounts: string[] = [];
  for (const mint of s.accounts) insertSorted(accounts, mint, itself);
  const canonical = JSON.stringify([
    'pte-state/1',
    s.portfolioId,
    positions,
    accounts,
    s.realizedPnlNanoUsd.toString(),
    s.feesPaidLamports.toString(),
    s.tradeCount,
    s.sequence,
    s.updatedAtMs,
  ]);
  return digest('sha256', canonical, 'hex');
}

/** One hash over every portfolio: the portfolios' own hashes, ordered by portfolio id. */
export function combinedStateHash(states: Iterable<PortfolioState>): string {
  const lines = [...states].map((s) => `${s.portfolioId}\u0000${portfolioStateHash(s)}`).sort();
  return digest('sha256', ['pte-states/1', ...lines].join('\n'), 'hex');
}
