import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/io.js';
import { run } from '../src/cli/run.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import type { Executor } from '../src/executor/types.js';
import { createPostgresLedger, latestSchemaVersion, loadMigrations, type PostgresLedger } from '../src/store/postgres/index.js';
import { buy, testExecutor } from './support/executor.js';
import { createTestDatabase, tablesOf, type TestDatabase } from './support/postgres.js';

/** `pte db`, `pte replay` and `pte export` against a PostgreSQL ledger on the machine's server. */

function capture(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env,
    connect: () => {
      throw new Error('these commands never call the executor');
    },
  };
  return { io, out, err, text: () => out.join('\n'), errText: () => err.join('\n') };
}

async function pte(argv: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const c = capture(env);
  const code = await run(argv, c.io);
  return { code, out: c.text(), err: c.errText(), lines: c.out };
}


async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * A server that speaks just enough of the PostgreSQL protocol to ask for a password and refuse it
 * (SQLSTATE 28P01), as a server with password authentication does: the machine's server trusts
 * every local connection, so it cannot refuse a password itself.
 */
async function passwordRefusingServer(): Promise<{ url: (password: string) => string; close(): Promise<void> }> {
  const message = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(5);
    head.write(type, 0);
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const server = net.createServer((socket) => {
    let startup = true;
    socket.on('data', () => {
      if (startup) {
        startup = false;
        const cleartext = Buffer.alloc(4);
        cleartext.writeInt32BE(3, 0);
        socket.write(message('R', cleartext));
        return;
      }
      const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "pte"'];
      socket.end(message('E', Buffer.from(`${fields.join('\0')}\0\0`)));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: (password) => `postgres://pte:${password}@127.0.0.1:${port}/pte`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('pte db migrate and pte db status', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('status on a fresh database lists every migration as pending and exits 1, creating nothing', async () => {
    const r = await pte(['db', 'status', '--ledger-url', db.url, '--json']);
    expect(r.code).toBe(1);
    const status = JSON.parse(r.out) as { version: number; latest: number; pending: { version: number; name: string }[] };
    expect(status.version).toBe(0);
    expect(status.latest).toBe(latestSchemaVersion());
    expect(status.pending.map((m) => m.version)).toEqual(loadMigrations().map((m) => m.version));
    expect(await tablesOf(db.url)).toEqual([]);
  });

  it('migrate creates the schema on a fresh database; a second run says it is already current', async () => {
    const first = await pte(['db', 'migrate', '--ledger-url', db.url]);
    expect(first.code).toBe(0);
    for (const m of loadMigrations()) expect(first.out).toContain(`applied ${String(m.version).padStart(4, '0')} ${m.name}`);
    expect(first.out).toContain(`schema version 0 -> ${latestSchemaVersion()}`);
    expect(await tablesOf(db.url)).toEqual(expect.arrayContaining(['ledger_events', 'portfolios', 'schema_migrations']));
    const versions = await query(db.url, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.rows.map((row: { version: number }) => row.version)).toEqual(loadMigrations().map((m) => m.version));

    const second = await pte(['db', 'migrate'], { PTE_LEDGER_URL: db.url });
    expect(second.code).toBe(0);
    expect(second.out).toContain(`already at version ${latestSchemaVersion()}`);
    expect(second.out).not.toContain('applied');

    const status = await pte(['db', 'status', '--ledger-url', db.url]);
    expect(status.code).toBe(0);
    expect(status.out).toContain('up to date');
  });

  it('without a ledger URL from the flag, the environment or the config file it is a usage error naming all three', async () => {
    const r = await pte(['db', 'migrate']);
    expect(r.code).toBe(64);
    expect(r.err).toContain('--ledger-url');
    expect(r.err).toContain('PTE_LEDGER_URL');
    expect(r.err).toContain('ledger.url');
    expect((await pte(['db'])).code).toBe(64);
    expect((await pte(['db', 'drop', '--ledger-url', db.url])).code).toBe(64);
  });
});

describe('bad ledger configuration: exit 78, the setting named, no password shown, nothing written', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('a refused password', async () => {
    const server = await passwordRefusingServer();
    try {
      for (const argv of [['db', 'migrate'], ['db', 'status'], ['replay'], ['export']]) {
        const r = await pte([...argv, '--ledger-url', server.url('hunter2-secret')]);
        expect(r.code, argv.join(' ')).toBe(78);
        expect(r.err).toContain('ledger.url');
        expect(r.err).toContain('password was refused');
        expect(r.err).not.toContain('hunter2-secret');
        expect(r.out).toBe('');
      }
    } finally {
      await server.close();
    }
  });

  it('a role the server does not know leaves the database without a table, and export creates no file', async () => {
    const url = db.url.replace('postgres://postgres@', 'postgres://pte_no_such_role:s3cret-pw@');
    const out = join(mkdtempSync(join(tmpdir(), 'pte-export-')), 'trades.csv');
    for (const argv of [['db', 'migrate'], ['replay'], ['export', '--out', out]]) {
      const r = await pte([...argv, '--ledger-url', url]);
      expect(r.code, argv.join(' ')).toBe(78);
      expect(r.err).toMatch(/ledger\.url .*not allowed to connect/);
      expect(r.err).not.toContain('s3cret-pw');
    }
    expect(await tablesOf(db.url)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it('a URL that is not a PostgreSQL URL, or names no reachable database', async () => {
    const bad = await pte(['db', 'migrate', '--ledger-url', 'http://127.0.0.1:5432/x']);
    expect(bad.code).toBe(78);
    expect(bad.err).toContain('ledger.url');
    const missing = await pte(['replay'], { PTE_LEDGER_URL: 'postgres://postgres:s3cret-pw@127.0.0.1:5432/pte_no_such_database_x' });
    expect(missing.code).toBe(78);
    expect(missing.err).toMatch(/ledger\.url .*database does not exist/);
    expect(missing.err).not.toContain('s3cret-pw');
  });

  it('a database whose schema version this executor does not know is left as it is', async () => {
    const other = await createTestDatabase();
    try {
      await query(other.url, "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), checksum text NOT NULL); INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')");
      for (const argv of [['db', 'migrate'], ['db', 'status'], ['replay'], ['export']]) {
        const r = await pte([...argv, '--ledger-url', other.url]);
        expect(r.code, argv.join(' ')).toBe(78);
        expect(r.err).toMatch(/ledger\.url .*version 999/);
      }
      expect(await tablesOf(other.url)).toEqual(['schema_migrations']);
      expect((await query(other.url, 'SELECT version FROM schema_migrations')).rows).toEqual([{ version: 999 }]);
    } finally {
      await other.drop();
    }
  });

  it('replay and export refuse a database that holds no ledger, and create none', async () => {
    const empty = await createTestDatabase();
    try {
      for (const argv of [['replay'], ['export']]) {
        const r = await pte([...argv, '--ledger-url', empty.url]);
        expect(r.code).toBe(78);
        expect(r.err).toMatch(/ledger\.url .*no ledger/);
      }
      expect(await tablesOf(empty.url)).toEqual([]);
    } finally {
      await empty.drop();
    }
  });
});

describe('pte replay and pte export from a ledger an executor wrote', () => {
  let db: TestDatabase;
  let store: PostgresLedger;
  let executor: Executor;
  const tradeIds: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const tokens = createTokenRegistry();
    store = await createPostgresLedger({ url: db.url, tokens });
    executor = testExecutor({ shared: store }).executor;
    const book = async (patch: Parameters<typeof buy>[0]): Promise<void> => {
      tradeIds.push((await executor.executeTrade(buy(patch))).trade.tradeId);
    };
    await book({ portfolioId: 'alice' });
    await book({ portfolioId: 'alice', action: 'SELL', amount: '0.5' });
    await book({ portfolioId: 'bob', amount: '2' });
    await executor.resetPortfolio('alice', { SOL: '5', USDC: '500' });
    await book({ portfolioId: 'alice', amount: '0.25' });
    await book({ portfolioId: 'bob', baseToken: 'JUP', amount: '10' });
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it("rebuilds every portfolio from its events alone, with the executor's state hashes", async () => {
    const json = await pte(['replay', '--ledger-url', db.url, '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as {
      source: { ledgerUrl: string; schemaVersion: number };
      portfolios: { portfolioId: string; tradeCount: number; stateHash: string }[];
      stateHash: string;
      stored: { compared: number; mismatches: unknown[] };
    };
    const alice = await executor.getPortfolio('alice');
    const bob = await executor.getPortfolio('bob');
    expect(report.portfolios.map((p) => [p.portfolioId, p.tradeCount, p.stateHash])).toEqual([
      ['alice', alice.tradeCount, alice.stateHash],
      ['bob', bob.tradeCount, bob.stateHash],
    ]);
    expect(alice.stateHash).toMatch(/\S/);
    expect(report.stored).toEqual({ compared: 2, mismatches: [] });
    expect(report.source.schemaVersion).toBe(latestSchemaVersion());

    const text = await pte(['replay'], { PTE_LEDGER_URL: db.url });
    expect(text.code).toBe(0);
    expect(text.lines.find((l) => l.includes('alice'))).toContain(alice.stateHash);
    expect(text.lines.find((l) => l.includes('bob'))).toContain(bob.stateHash);
    expect(text.out).toContain(`state hash (all portfolios): ${report.stateHash}`);
    expect(text.out).toContain('2 compared with their rebuilt states; every one equal');
  });

  it('--verify re-executes every trade booked in the database', async () => {
    const r = await pte(['replay', '--ledger-url', db.url, '--verify', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { verify: { trades: number; mismatches: unknown[] } };
    expect(report.verify.trades).toBe(tradeIds.length);
    expect(report.verify.mismatches).toEqual([]);
  });

  it('a stored state that differs from its events is named and exits 1', async () => {
    const url = db.url.replace('postgres://postgres@', 'postgres://postgres:s3cret-pw@');
    const bobHash = (await executor.getPortfolio('bob')).stateHash;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(
        "UPDATE portfolios SET state = jsonb_set(state, '{feesPaidLamports}', to_jsonb(((state->>'feesPaidLamports')::numeric + 1)::text)) WHERE portfolio_id = 'bob'",
      );
      const text = await pte(['replay', '--ledger-url', url]);
      expect(text.code).toBe(1);
      expect(text.lines.filter((l) => l.startsWith('  portfolio '))).toEqual([expect.stringMatching(/^ {2}portfolio bob: stored [0-9a-f]+, rebuilt from its events [0-9a-f]+$/)]);
      const json = await pte(['replay', '--ledger-url', url, '--json']);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.out) as { source: { ledgerUrl: string }; stored: { mismatches: { portfolioId: string; rebuiltHash: string }[] } };
      expect(report.stored.mismatches.map((m) => m.portfolioId)).toEqual(['bob']);
      expect(report.stored.mismatches[0]?.rebuiltHash).toBe(bobHash);
      expect(report.source.ledgerUrl).toContain('***');
      expect(json.out).not.toContain('s3cret-pw');
    } finally {
      await admin.query(
        "UPDATE portfolios SET state = jsonb_set(state, '{feesPaidLamports}', to_jsonb(((state->>'feesPaidLamports')::numeric - 1)::text)) WHERE portfolio_id = 'bob'",
      );
      await admin.end();
    }
    expect((await pte(['replay', '--ledger-url', db.url])).code).toBe(0);
  });

  it('export writes one row per trade ever booked, in (portfolio, sequence) order, numbered 1, 2, 3...', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pte-export-'));
    const csv = join(dir, 'all.csv');
    const r = await pte(['export', '--ledger-url', db.url, '--out', csv]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`${tradeIds.length} trades written`);
    const [header, ...rows] = readFileSync(csv, 'utf8').trimEnd().split('\n');
    const columns = (header ?? '').split(',');
    const at = (name: string): number => columns.indexOf(name);
    const cells = rows.map((line) => line.split(','));
    expect(cells).toHaveLength(tradeIds.length);
    const booked = new Set(tradeIds);
    expect(new Set(cells.map((c) => c[at('trade_id')]))).toEqual(booked);
    const keys = cells.map((c) => [c[at('portfolio_id')] ?? '', Number(c[at('sequence')])] as const);
    const sorted = [...keys].sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
    expect(keys).toEqual(sorted);
    expect(keys.filter((k) => k[0] === 'alice')).toHaveLength(3); // the trades from before the reset too
    expect(cells.map((c) => Number(c[at('journal_seq')]))).toEqual(cells.map((_, i) => i + 1));

    const out = join(dir, 'bob.jsonl');
    const file = await pte(['export', '--format', 'jsonl', '--portfolio', 'bob', '--out', out], { PTE_LEDGER_URL: db.url });
    expect(file.code).toBe(0);
    const objects = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { journalSeq: number; portfolioId: string; tradeId: string });
    expect(objects.map((o) => o.portfolioId)).toEqual(['bob', 'bob']);
    expect(objects.map((o) => o.tradeId)).toEqual(cells.filter((c) => c[at('portfolio_id')] === 'bob').map((c) => c[at('trade_id')]));
    expect(objects.map((o) => o.journalSeq)).toEqual([1, 2]);
  });

  it('export questdb from a ledger URL is refused as a usage error', async () => {
    const r = await pte(['export', 'questdb', '--questdb', 'http::addr=127.0.0.1:9;'], { PTE_LEDGER_URL: db.url });
    expect(r.code).toBe(64);
    expect(r.err).toContain('file journal only');
    expect((await pte(['replay', '--ledger-url', db.url, '--data-dir', '/tmp/x'])).code).toBe(64);
  });
});
