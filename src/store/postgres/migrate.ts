/**
 * The ledger's schema, created and migrated by the service at start and by `pte db migrate`.
 *
 * Migrations are versioned SQL files (migrations/NNNN_name.sql), applied in order, each in its own
 * transaction together with its row in `schema_migrations` (version, name, applied_at, checksum).
 * Several executors may start at once: the migrator holds a session advisory lock on its own
 * connection for the whole run, so one applies what is missing and the others then find nothing to
 * do. A database whose schema is newer than this code (a version it has no file for), or whose
 * applied migration differs from the file of the same version, is refused with LedgerConfigError:
 * running against a schema one does not know could write what a newer executor cannot read.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Log } from '../../executor/ports.js';
import { configErrorOf, connectOnce, LEDGER_URL_SETTING, LedgerConfigError, redactUrl } from './pg-errors.js';

/** One versioned schema change. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** SHA-256 of the file: an applied migration whose file changed since is refused. */
  readonly checksum: string;
}

/** What a migration run found and did. */
export interface MigrationReport {
  /** The schema version before and after the run. */
  readonly from: number;
  readonly to: number;
  readonly applied: readonly { readonly version: number; readonly name: string }[];
}

/** Any 64-bit key, the same in every executor: the advisory lock that serializes migrators. */
const MIGRATION_LOCK_KEY = 7_315_046_871_220_933n;
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * The folder of the SQL files: next to this module when it runs from src/ (tests), or src/'s
 * when it runs from dist/src/ (tsc does not copy .sql files, so the package ships src/store/postgres/migrations).
 */
export function migrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'migrations');
  if (existsSync(beside)) return beside;
  let dir = here;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'src', 'store', 'postgres', 'migrations');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('the ledger migrations (src/store/postgres/migrations/*.sql) are not found next to the package');
}

/** Every migration file, in version order; versions must run 1, 2, 3... without a gap. */
export function loadMigrations(dir = migrationsDir()): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = FILE.exec(file);
    if (!m) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    out.push({ version: Number(m[1]), name: m[2] ?? file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`ledger migrations: expected version ${i + 1}, found ${m.version} (${m.name})`);
  });
  return out;
}

/** The newest schema version this code knows. */
export function latestSchemaVersion(migrations: readonly Migration[] = loadMigrations()): number {
  return migrations.at(-1)?.version ?? 0;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  checksum   text NOT NULL
)`;

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/** The applied versions, read-only; an empty list when the table does not exist yet. */
export async function appliedMigrations(client: pg.ClientBase): Promise<AppliedRow[]> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (exists.rows[0]?.t == null) return [];
  const r = await client.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  return r.rows;
}

/**
 * Refuses a schema this code does not know: a version newer than its newest file, or an applied
 * migration whose file is different. `url` is only for the message (redacted).
 */
export function checkApplied(applied: readonly AppliedRow[], migrations: readonly Migration[], url: string): void {
  const latest = latestSchemaVersion(migrations);
  const newest = applied.at(-1)?.version ?? 0;
  if (newest > latest) {
    throw new LedgerConfigError(
      `${LEDGER_URL_SETTING} ${redactUrl(url)}: the database's ledger schema is version ${newest}, newer than this executor knows (${latest}); upgrade the executor or point ${LEDGER_URL_SETTING} at another database`,
    );
  }
  for (const row of applied) {
    const m = migrations[row.version - 1];
    if (m?.checksum !== row.checksum) {
      throw new LedgerConfigError(
        `${LEDGER_URL_SETTING} ${redactUrl(url)}: ledger schema migration ${row.version} (${row.name}) in the database differs from this executor's; it is a schema this executor does not know`,
      );
    }
  }
}

/**
 * Brings the database's schema to this code's newest version, safely when several executors start
 * at once. `target` is a URL (a connection is opened and closed) or a pool. Start-up failures that
 * mean bad configuration reject LedgerConfigError (nothing is written before the checks pass).
 */
export async function migrate(target: string | pg.Pool, log?: Pick<Log, 'info'>, migrations: readonly Migration[] = loadMigrations()): Promise<MigrationReport> {
  const url = typeof target === 'string' ? target : connectionUrl(target);
  let client: pg.ClientBase;
  let done: () => Promise<void>;
  try {
    if (typeof target === 'string') {
      const c = await connectOnce(target, 'pte migrate');
      client = c;
      done = () => c.end();
    } else {
      const c = await target.connect();
      client = c;
      done = () => Promise.resolve(c.release());
    }
  } catch (err) {
    throw configErrorOf(err, url) ?? err;
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      // Checked before anything is written: an unknown schema is left exactly as it is.
      const before = await appliedMigrations(client);
      checkApplied(before, migrations, url);
      const from = before.at(-1)?.version ?? 0;
      const applied: { version: number; name: string }[] = [];
      for (const m of migrations) {
        if (m.version <= from) continue;
        await client.query('BEGIN');
        try {
          await client.query(CREATE_TABLE);
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        applied.push({ version: m.version, name: m.name });
        log?.info({ version: m.version, name: m.name }, 'ledger: schema migration applied');
      }
      return { from, to: latestSchemaVersion(migrations), applied };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch(() => undefined);
    }
  } finally {
    await done().catch(() => undefined);
  }
}

/** A pool's URL for messages only: rebuilt from its options, without the password. */
function connectionUrl(pool: pg.Pool): string {
  const o = pool.options;
  if (typeof o.connectionString === 'string') return o.connectionString;
  return `postgres://${o.user ?? ''}@${o.host ?? ''}:${o.port ?? 5432}/${o.database ?? ''}`;
}

/** The database's schema version against this code's migrations (`pte db status`). */
export interface LedgerSchemaStatus {
  readonly version: number;
  readonly latest: number;
  readonly pending: readonly { readonly version: number; readonly name: string }[];
}

/**
 * Reads the applied migrations in a read-only transaction: nothing is created, not even the
 * migrations table. A schema this code does not know is refused as the migrator refuses it.
 */
export async function ledgerSchemaStatus(url: string): Promise<LedgerSchemaStatus> {
  const migrations = loadMigrations();
  const client = await connectOnce(url, 'pte db status');
  try {
    await client.query('BEGIN READ ONLY');
    const applied = await appliedMigrations(client);
    await client.query('COMMIT');
    checkApplied(applied, migrations, url);
    const version = applied.at(-1)?.version ?? 0;
    return {
      version,
      latest: migrations.at(-1)?.version ?? 0,
      pending: migrations.filter((m) => m.version > version).map((m) => ({ version: m.version, name: m.name })),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

