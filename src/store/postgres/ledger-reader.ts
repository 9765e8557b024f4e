/**
 * Reads a PostgreSQL ledger for `pte replay` and `pte export`: every event of every portfolio in
 * (portfolio, sequence) order, each portfolio's stored state, and optionally the marks. It runs in
 * one read-only REPEATABLE READ transaction, so events and states are of one instant even while
 * executors keep booking, and it never migrates or writes: a database without the ledger schema,
 * or with one this code does not know, is refused with LedgerConfigError.
 */
import type { LedgerEvent, PortfolioState } from '../../domain/ledger.js';
import type { TokenRegistry } from '../../domain/tokens.js';
import type { MarkRecord } from '../../executor/ports.js';
import { eventFromJson, stateFromJson } from '../codec.js';
import { markFromJson } from '../mark-codec.js';
import { appliedMigrations, checkApplied, loadMigrations } from './migrate.js';
import { connectOnce, LEDGER_URL_SETTING, LedgerConfigError, redactUrl } from './pg-errors.js';

export interface ReadPostgresLedgerOptions {
  /** Called for every mark since its portfolio's last reset, by portfolio then time (marks are not ledger events). */
  readonly visitMark?: (mark: MarkRecord) => void | Promise<void>;
  /** Events fetched per query. Default 2,000. */
  readonly batch?: number;
}

/** What was read: the counts and the states the database holds (for comparing state hashes). */
export interface PostgresLedgerReadReport {
  readonly schemaVersion: number;
  readonly events: number;
  readonly marks: number;
  /** Every portfolio's stored state, by portfolio id. */
  readonly states: ReadonlyMap<string, PortfolioState>;
}

/**
 * Calls `visit` for every event in (portfolio, sequence) order, with the event's sequence in its
 * portfolio's ledger, and returns the stored states read in the same snapshot.
 */
export async function readPostgresLedger(
  url: string,
  tokens: TokenRegistry,
  visit: (event: LedgerEvent, sequence: number) => void | Promise<void>,
  options: ReadPostgresLedgerOptions = {},
): Promise<PostgresLedgerReadReport> {
  const batch = options.batch ?? 2_000;
  const client = await connectOnce(url, 'pte reader');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const applied = await appliedMigrations(client);
    checkApplied(applied, loadMigrations(), url);
    const schemaVersion = applied.at(-1)?.version ?? 0;
    if (schemaVersion === 0) throw new LedgerConfigError(`${LEDGER_URL_SETTING} ${redactUrl(url)}: the database holds no ledger (no schema_migrations table); run \`pte db migrate\` or check the URL`);

    const states = new Map<string, PortfolioState>();
    const s = await client.query<{ portfolio_id: string; state: unknown }>('SELECT portfolio_id, state FROM portfolios WHERE state IS NOT NULL ORDER BY portfolio_id');
    for (const row of s.rows) states.set(row.portfolio_id, stateFromJson(row.state, `portfolio ${row.portfolio_id}: state`));

    let events = 0;
    let after: [string, number] | undefined;
    for (;;) {
      const page = await client.query<{ portfolio_id: string; sequence: string; event: unknown }>(
        after === undefined
          ? 'SELECT portfolio_id, sequence, event FROM ledger_events ORDER BY portfolio_id, sequence LIMIT $1'
          : 'SELECT portfolio_id, sequence, event FROM ledger_events WHERE (portfolio_id, sequence) > ($2, $3) ORDER BY portfolio_id, sequence LIMIT $1',
        after === undefined ? [batch] : [batch, after[0], after[1]],
      );
      for (const row of page.rows) {
        const sequence = Number(row.sequence);
        await visit(eventFromJson(row.event, tokens, `portfolio ${row.portfolio_id} event ${sequence}`), sequence);
        events++;
        after = [row.portfolio_id, sequence];
      }
      if (page.rows.length < batch) break;
    }

    let marks = 0;
    if (options.visitMark) {
      const m = await client.query<{ record: unknown }>(
        `SELECT m.record FROM marks m JOIN portfolios p ON p.portfolio_id = m.portfolio_id
         WHERE m.sequence >= p.reset_sequence ORDER BY m.portfolio_id, m.at_ms, m.mark_id`,
      );
      for (const row of m.rows) {
        await options.visitMark(markFromJson(row.record));
        marks++;
      }
    }
    await client.query('COMMIT');
    return { schemaVersion, events, marks, states };
  } finally {
    await client.end().catch(() => undefined);
  }
}
