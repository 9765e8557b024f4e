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

function computeStateHash(s: PortfolioState): string {
  const positions = [...s.positions]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([mint, p]) => [mint, p.amount.toString(), p.costNanoUsd.toString()]);
  const canonical = JSON.stringify([
    'pte-state/1',
    s.portfolioId,
    positions,
    [...s.accounts].sort(),
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
