/**
 * The shared ledger's counters as Prometheus metrics, read from the store when scraped: how many
 * round trips, commits, rollbacks and retries it made, whether the database is reachable, its pool
 * and the trades other executors booked that reached this one. Nothing is counted on the trade path
 * here: the store keeps the numbers, these metrics only read them.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the store reports (store/postgres PostgresLedgerStats has these fields). */
export interface LedgerStatsSource {
  readonly roundTrips: number;
  readonly commits: number;
  readonly rollbacks: number;
  readonly retries: number;
  readonly connectionFailures: number;
  readonly available: boolean;
  readonly remoteTrades: number;
  readonly poolTotal: number;
  readonly poolIdle: number;
  readonly poolWaiting: number;
}

/** A counter whose value is a running total kept elsewhere. */
function total(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

export function registerLedgerMetrics(registry: Registry, stats: () => LedgerStatsSource): void {
  total(registry, 'pte_ledger_round_trips_total', 'Queries sent to the ledger database (a multi-statement query is one)', () => stats().roundTrips);
  total(registry, 'pte_ledger_commits_total', 'Ledger transactions committed', () => stats().commits);
  total(registry, 'pte_ledger_rollbacks_total', 'Ledger transactions rolled back (nothing to write, or refused)', () => stats().rollbacks);
  total(registry, 'pte_ledger_retries_total', 'Ledger transactions retried after a serialization failure or a lost connection', () => stats().retries);
  total(registry, 'pte_ledger_connection_failures_total', 'Connection-level failures of the ledger database', () => stats().connectionFailures);
  total(registry, 'pte_ledger_remote_trades_total', 'Trades booked by other executors delivered to this one\'s streams', () => stats().remoteTrades);
  new Gauge({
    name: 'pte_ledger_available',
    help: '1 while the ledger database answers, 0 from a connection failure until a probe succeeds',
    registers: [registry],
    collect() {
      this.set(stats().available ? 1 : 0);
    },
  });
  new Gauge({
    name: 'pte_ledger_pool_connections',
    help: 'The ledger connection pool: connections open, idle, and requests waiting for one',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const s = stats();
      this.labels('open').set(s.poolTotal);
      this.labels('idle').set(s.poolIdle);
      this.labels('waiting').set(s.poolWaiting);
    },
  });
}
