import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresLedger, LedgerConfigError, loadMigrations, migrate, readPostgresLedger } from '../src/store/postgres/index.js';
import { configErrorOf } from '../src/store/postgres/pg-errors.js';
import { createTestDatabase, tablesOf, tokens, type TestDatabase } from './support/postgres.js';


async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const a = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return a && typeof a === 'object' ? a.port : 1;
}

describe('PostgreSQL ledger schema migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('five executors migrating a fresh database at once create one set of tables and one row per version', async () => {
    const reports = await Promise.all(Array.from({ length: 5 }, () => migrate(db.url)));
    const versions = loadMigrations().map((m) => m.version);
    expect(reports.filter((r) => r.applied.length > 0)).toHaveLength(1);
    expect(reports.flatMap((r) => r.applied.map((a) => a.version))).toEqual(versions);
    expect(await tablesOf(db.url)).toEqual(['ledger_events', 'marks', 'portfolios', 'schema_migrations', 'trade_requests']);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const rows = await c.query<{ version: number; n: string }>('SELECT version, count(*) OVER (PARTITION BY version) AS n FROM schema_migrations ORDER BY version');
    await c.end();
    expect(rows.rows.map((r) => [r.version, Number(r.n)])).toEqual(versions.map((v) => [v, 1]));
    // A second run finds nothing to do.
    expect((await migrate(db.url)).applied).toEqual([]);
  });

  it('refuses a database whose schema is newer than the code, naming ledger.url and the versions, writing nothing', async () => {
    const newer = await createTestDatabase();
    try {
      const c = new pg.Client({ connectionString: newer.url });
      await c.connect();
      await c.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), checksum text NOT NULL)');
      await c.query("INSERT INTO schema_migrations (version, name, checksum) VALUES (1, 'ledger', $1), (99, 'future', 'x')", [loadMigrations()[0]?.checksum]);
      await c.end();
      const latest = loadMigrations().length;
      const error = await createPostgresLedger({ url: newer.url, tokens }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerConfigError);
      expect((error as Error).message).toContain('ledger.url');
      expect((error as Error).message).toContain('version 99');
      expect((error as Error).message).toContain(`(${latest})`);
      await expect(migrate(newer.url)).rejects.toBeInstanceOf(LedgerConfigError);
      await expect(readPostgresLedger(newer.url, tokens, () => undefined)).rejects.toBeInstanceOf(LedgerConfigError);
      expect(await tablesOf(newer.url)).toEqual(['schema_migrations']);
    } finally {
      await newer.drop();
    }
  });

  it('refuses an applied migration that differs from the code', async () => {
    const other = await createTestDatabase();
    try {
      await migrate(other.url);
      const c = new pg.Client({ connectionString: other.url });
      await c.connect();
      await c.query("UPDATE schema_migrations SET checksum = 'changed' WHERE version = 1");
      await c.end();
      const error = await migrate(other.url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerConfigError);
      expect((error as Error).message).toMatch(/ledger\.url .*migration 1 \(ledger\) .*differs/);
    } finally {
      await other.drop();
    }
  });

  it('reports bad configuration as LedgerConfigError naming ledger.url, never the password', async () => {
    const port = await closedPort();
    const cases: [string, RegExp][] = [
      ['not a url', /ledger\.url: not a valid URL/],
      ['http://127.0.0.1:5432/x', /scheme must be postgres/],
      [`postgres://postgres:s3cret-pw@127.0.0.1:${port}/${db.name}`, /connection was refused/],
      [`postgres://no_such_role_pte:s3cret-pw@127.0.0.1:5432/${db.name}`, /not allowed to connect/],
      ['postgres://postgres:s3cret-pw@127.0.0.1:5432/pte_no_such_database', /database does not exist/],
    ];
    for (const [url, reason] of cases) {
      const error = await createPostgresLedger({ url, tokens }).catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(LedgerConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(/^ledger\.url/);
      expect(message).toMatch(reason);
      expect(message).not.toContain('s3cret-pw');
    }
    const mapped = configErrorOf(Object.assign(new Error('password authentication failed for user "u"'), { code: '28P01' }), 'postgres://u:hunter22@db/x');
    expect(mapped?.message).toBe('ledger.url postgres://u:***@db/x: the password was refused (password authentication failed)');
  });

  it('the reader refuses a database without a ledger and does not create one', async () => {
    const empty = await createTestDatabase();
    try {
      const error = await readPostgresLedger(empty.url, tokens, () => undefined).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerConfigError);
      expect((error as Error).message).toContain('no ledger');
      expect(await tablesOf(empty.url)).toEqual([]);
    } finally {
      await empty.drop();
    }
  });
});
