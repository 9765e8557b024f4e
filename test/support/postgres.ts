/** PostgreSQL for tests: a fresh database per test file on the machine's server, and ledger fixtures. */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../../src/domain/ledger.js';
import type { Trade } from '../../src/domain/trade.js';
import type { SharedLedgerStore } from '../../src/executor/ports.js';
import { makeTrade, registry, SOL, USDC } from './report.js';

export const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly adminUrl: string;
  /** Runs one statement as the administrator (on the server's `postgres` database). */
  admin(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Terminates the database's connections and drops it. */
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `pte_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  return {
    name,
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    adminUrl: ADMIN_URL,
    admin: (sql, values) => admin.query(sql, values),
    async drop() {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A TCP proxy to the server that can be stopped (connections cut, new ones refused) and started again. */
export async function createPostgresProxy(): Promise<{
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * The next client message containing `marker` reaches the server, but the client's connection is
   * cut right after it: the server runs the query, its answer is lost.
   */
  loseAnswerTo(marker: string): void;
}> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  let cutMarker: string | undefined;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(5432, '127.0.0.1');
        sockets.add(client).add(upstream);
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop);
        upstream.on('error', drop).on('close', drop);
        let cut = false;
        client.on('close', () => {
          if (cut) upstream.end(); // the server reads what was sent, runs it, then sees the end
          else drop();
        });
        client.on('data', (chunk: Buffer) => {
          upstream.write(chunk);
          if (cutMarker !== undefined && chunk.includes(cutMarker)) {
            cutMarker = undefined;
            cut = true;
            client.destroy();
          }
        });
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const a = s.address();
        if (a && typeof a === 'object') port = a.port;
        server = s;
        resolve();
      });
    });
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    get port() {
      return port;
    },
    stop,
    start: listen,
    close: stop,
    loseAnswerTo(marker) {
      cutMarker = marker;
    },
  };
}

export { registry as tokens, SOL, USDC };

/** The event that creates (or resets) a portfolio with 1,000 SOL and 1,000,000 USDC. */
export function startEvent(portfolioId: string, atMs: number, kind: 'portfolio_created' | 'portfolio_reset' = 'portfolio_created'): LedgerEvent {
  return {
    kind,
    portfolioId,
    atMs,
    balances: [
      { mint: SOL.mint, amount: 1_000n * 10n ** 9n, costNanoUsd: 150_000n * 10n ** 9n },
      { mint: USDC.mint, amount: 1_000_000n * 10n ** 6n, costNanoUsd: 1_000_000n * 10n ** 9n },
    ],
  };
}

/** A BUY of SOL for `usdc` USDC, as the executor would book it as the portfolio's next event. */
export function tradeEvent(state: PortfolioState, requestId: string, atMs: number, usdc = 1n + BigInt(state.sequence % 7)): LedgerEvent {
  const t = makeTrade({
    sequence: state.sequence + 1,
    atMs,
    action: state.sequence % 3 === 2 ? 'SELL' : 'BUY',
    base: SOL,
    quote: USDC,
    amount: state.sequence % 3 === 2 ? 1_000_000n : usdc * 10n ** 6n,
    isBaseInput: state.sequence % 3 === 2,
    baseUsd: '150',
    quoteUsd: '1',
    priorityFee: BigInt(state.sequence * 10),
    portfolioId: state.portfolioId,
  });
  const trade: Trade = { ...t, tradeId: `trade-${requestId}`, requestId, inputs: { ...t.inputs, fingerprint: `fp-${requestId}` } };
  return { kind: 'trade', portfolioId: state.portfolioId, atMs, trade };
}

/**
 * Books one trade the way the executor does: the original when the request id is booked, else the
 * portfolio created if needed and the trade written. `onLocked` runs under the lock, before writing.
 */
export function bookTrade(
  store: SharedLedgerStore,
  portfolioId: string,
  requestId: string,
  options: { atMs?: number; signal?: AbortSignal; onLocked?: () => Promise<void> } = {},
): Promise<{ trade: Trade; duplicate: boolean }> {
  const atMs = options.atMs ?? 1_700_000_000_000;
  return store.transaction(
    portfolioId,
    async (tx) => {
      if (tx.booked) return { trade: tx.booked, duplicate: true };
      const events: LedgerEvent[] = [];
      let state = tx.state;
      if (!state) {
        const created = startEvent(portfolioId, atMs);
        state = applyEvent(undefined, created, SOL);
        events.push(created);
      }
      const e = tradeEvent(state, requestId, atMs);
      state = applyEvent(state, e, SOL);
      events.push(e);
      await options.onLocked?.();
      await tx.write(events, state);
      if (e.kind !== 'trade') throw new Error('not a trade');
      return { trade: e.trade, duplicate: false };
    },
    { requestId, ...(options.signal ? { signal: options.signal } : {}) },
  );
}

/** Resets a portfolio (creating it if needed). */
export function resetPortfolio(store: SharedLedgerStore, portfolioId: string, atMs = 1_700_000_100_000): Promise<PortfolioState> {
  return store.transaction(portfolioId, async (tx) => {
    const e = startEvent(portfolioId, atMs, tx.state ? 'portfolio_reset' : 'portfolio_created');
    const state = applyEvent(tx.state, e, SOL);
    await tx.write([e], state);
    return state;
  });
}

/** The fold of a portfolio's events, as replay computes it. */
export function fold(events: readonly LedgerEvent[]): PortfolioState | undefined {
  let state: PortfolioState | undefined;
  for (const e of events) state = applyEvent(state, e, SOL);
  return state;
}

/** The tables in a database's public schema, sorted: what a refused start must not have created. */
export async function tablesOf(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    return r.rows.map((row) => row.t);
  } finally {
    await c.end();
  }
}
