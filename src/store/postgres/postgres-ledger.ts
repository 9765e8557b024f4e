/**
 * The PostgreSQL ledger store: the SharedLedgerStore that lets any number of executors serve any
 * portfolio from one database. Each change is one transaction holding the portfolio's row lock; the
 * executor answers only after its COMMIT.
 *
 * Schema (migrations/0001_ledger.sql), and why:
 * - `portfolios`: one row a portfolio, the lock every change takes (SELECT ... FOR UPDATE) and the
 *   committed state (stateToJson, jsonb), so a transaction reads the state it builds on with the
 *   lock and no executor needs the history to serve a portfolio. `sequence` is the last event's,
 *   `reset_sequence` that of its last creation or reset (what "since the last reset" means below).
 * - `ledger_events`: every event, never changed, keyed (portfolio_id, sequence): the history that
 *   `pte replay` folds back to the states and `pte export` writes; trades are read from it for
 *   ListTrades and the remote trade feed. `executor_id` says which executor wrote it.
 * - `trade_requests`: the idempotency key (portfolio_id, lower-cased request_id) of each trade since
 *   the portfolio's last reset, pointing at its event; a reset deletes the portfolio's keys (the
 *   events stay), so a request id may be used again after a reset, as with the file journal.
 * - `marks`: marks since the last reset (deleted on reset; reads also ignore any older than the
 *   reset), with their value as a double only to thin a range, the exact mark in `record`.
 * Values are the journal's exact encodings (codec.ts, mark-codec.ts) stored as jsonb: bigints as
 * decimal strings and ratios as "n/d", so no amount is ever a floating-point number in the database.
 *
 * Round trips: a transaction is two in the usual case: (1) BEGIN, create-if-missing, lock and read
 * the state and the request's booked trade, as one simple query; (2) the writes, the notification
 * and COMMIT, as one simple query. Values in them are quoted with the driver's escapeLiteral. In a
 * simple query each statement takes its own snapshot, so the booked trade is read after the lock is
 * granted and sees what the transaction that held it committed.
 *
 * Failures: lost connections, serialization failures and deadlocks are retried with exponential
 * backoff and jitter until the caller's signal aborts (DEADLINE_EXCEEDED) or the retry budget is
 * spent (JOURNAL_UNAVAILABLE). A connection failure marks the database unavailable (health goes
 * NOT_SERVING) until a probe gets an answer again. The URL's password never reaches a message.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { LedgerEvent, PortfolioState } from '../../domain/ledger.js';
import { ExecutorError } from '../../domain/errors.js';
import type { TokenRegistry } from '../../domain/tokens.js';
import type { Trade } from '../../domain/trade.js';
import type { LedgerTransaction, LedgerTransactionOptions, Log, MarkRecord, SharedLedgerStore } from '../../executor/ports.js';
import { eventFromJson, eventToJson, stateFromJson, stateToJson } from '../codec.js';
import { encodeMark, markFromJson } from '../mark-codec.js';
import { markValue, selectMarks } from '../mark-thinning.js';
import { appliedMigrations, checkApplied, latestSchemaVersion, loadMigrations, migrate } from './migrate.js';
import { checkLedgerUrl, configErrorOf, isConnectionError, isRetryable, LEDGER_URL_SETTING, LedgerConfigError, redactUrl, scrub } from './pg-errors.js';
import { createRemoteTradeFeed, TRADES_CHANNEL, tradeNotification } from './remote-trades.js';

export interface PostgresLedgerOptions {
  /** postgres://user:password@host:port/database (the `ledger.url` setting). */
  readonly url: string;
  /** Decodes the stored trades (tokens are stored as mints). */
  readonly tokens: TokenRegistry;
  readonly log?: Log | undefined;
  /** Connections in the pool. Default 10. */
  readonly poolSize?: number | undefined;
  /** This process's id in notifications and events; default a random UUID. */
  readonly executorId?: string | undefined;
  /** statement_timeout of every statement, ms (a lock wait included). Default 5,000. */
  readonly statementTimeoutMs?: number | undefined;
  /** How long a call retries a database it cannot reach (or that keeps failing transiently), ms. Default 5,000. */
  readonly retryBudgetMs?: number | undefined;
  /** Creates or migrates the schema at start (default). When false the schema must be current already. */
  readonly migrate?: boolean | undefined;
  /** How often an unavailable database is probed, ms. Default 500. */
  readonly probeIntervalMs?: number | undefined;
  readonly now?: (() => number) | undefined;
}

/** Counters for metrics and tests. */
export interface PostgresLedgerStats {
  /** Queries sent (a multi-statement simple query is one). */
  readonly roundTrips: number;
  /** transaction() calls, and how many committed, rolled back (nothing written, or fn threw) or were retried. */
  readonly transactions: number;
  readonly commits: number;
  readonly rollbacks: number;
  readonly retries: number;
  /** Connection-level failures seen (each one marks the database unavailable). */
  readonly connectionFailures: number;
  readonly available: boolean;
  /** Whether the remote trade feed is listening, with its notifications and delivered trades. */
  readonly listening: boolean;
  readonly notifications: number;
  readonly remoteTrades: number;
  readonly poolTotal: number;
  readonly poolIdle: number;
  readonly poolWaiting: number;
}

/** The store with its lifecycle and health. */
export interface PostgresLedger extends SharedLedgerStore {
  readonly executorId: string;
  /** False from a connection failure until the database answers again. */
  readonly available: boolean;
  /** Called with each change of `available`; returns the unsubscribe. */
  onAvailability(callback: (up: boolean) => void): () => void;
  stats(): PostgresLedgerStats;
  /** Stops the probe and the feed and closes every connection. */
  close(): Promise<void>;
}

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
const DEFAULT_RETRY_BUDGET_MS = 5_000;
const DEFAULT_PROBE_MS = 500;
const BACKOFF_FIRST_MS = 20;
const BACKOFF_MAX_MS = 1_000;
const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

/** Waits `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The delay before retry `attempt` (1, 2, ...): doubling from 20 ms to 1 s, with jitter over its upper half. */
function backoff(attempt: number): number {
  const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (attempt - 1));
  return cap / 2 + Math.random() * (cap / 2);
}

const lit = (v: string): string => pg.escapeLiteral(v);
const num = (v: number): string => {
  if (!Number.isFinite(v)) throw new Error(`ledger: ${v} is not a finite number`);
  return String(v);
};

/** The sequence of the i-th event of a write on top of `base`. */
const sequenceOf = (event: LedgerEvent, expected: number): number => {
  if (event.kind === 'trade' && event.trade.sequence !== expected) {
    throw new Error(`ledger: trade of request ${event.trade.requestId} has sequence ${event.trade.sequence}, expected ${expected}`);
  }
  return expected;
};

/**
 * Connects, checks the schema (migrating it unless told not to) and returns the store. Bad
 * configuration (URL, host, credentials, database, an unknown schema) rejects LedgerConfigError
 * naming `ledger.url`, with nothing written.
 */
export async function createPostgresLedger(options: PostgresLedgerOptions): Promise<PostgresLedger> {
  const { url, tokens, log } = options;
  checkLedgerUrl(url);
  const executorId = options.executorId ?? randomUUID();
  const now = options.now ?? Date.now;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const budgetMs = options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  const probeMs = options.probeIntervalMs ?? DEFAULT_PROBE_MS;
  const redacted = redactUrl(url);

  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: 2_000,
    keepAlive: true,
    statement_timeout: statementTimeoutMs,
    // The client's own limit catches a connection that went silent (no reset, no answer).
    query_timeout: statementTimeoutMs + 2_000,
    application_name: `pte ${executorId}`,
  });

  let roundTrips = 0;
  let transactions = 0;
  let commits = 0;
  let rollbacks = 0;
  let retries = 0;
  let connectionFailures = 0;
  let available = true;
  let probeTimer: NodeJS.Timeout | undefined;
  let probing = false;
  let closed = false;
  const availabilityListeners = new Set<(up: boolean) => void>();

  function setAvailable(up: boolean): void {
    if (available === up) return;
    available = up;
    if (up) log?.info({ ledger: redacted }, 'ledger: the database answers again');
    for (const cb of availabilityListeners) {
      try {
        cb(up);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }

  function markDown(err: unknown): void {
    connectionFailures++;
    if (available) log?.error({ ledger: redacted, err: scrub(err instanceof Error ? err.message : String(err), url) }, 'ledger: the database cannot be reached');
    setAvailable(false);
    if (probeTimer || closed) return;
    probeTimer = setInterval(() => {
      if (probing) return;
      probing = true;
      pool
        .query('SELECT 1')
        .then(() => {
          roundTrips++;
          stopProbe();
          setAvailable(true);
        })
        .catch(() => undefined)
        .finally(() => {
          probing = false;
        });
    }, probeMs);
    probeTimer.unref();
  }

  function stopProbe(): void {
    if (probeTimer) clearInterval(probeTimer);
    probeTimer = undefined;
  }

  // An idle connection that breaks (the server restarted, the network went) is reported here;
  // without a listener it would crash the process.
  pool.on('error', (err) => markDown(err));

  const query = async (text: string, values?: readonly unknown[]): Promise<pg.QueryResult<Record<string, unknown>>> => {
    roundTrips++;
    try {
      const r = await pool.query<Record<string, unknown>>(text, values as unknown[] | undefined);
      setAvailable(true);
      stopProbe();
      return r;
    } catch (err) {
      if (isConnectionError(err)) markDown(err);
      throw err;
    }
  };

  /**
   * Runs `work` until it succeeds, retrying transient failures with backoff until `signal` aborts
   * or the budget is spent. `uncertain` is set by work that lost a COMMIT's answer.
   */
  async function withRetry<T>(work: (state: { uncertain: boolean }) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const deadline = now() + budgetMs;
    const state = { uncertain: false };
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw deadlineExceeded(state.uncertain);
      try {
        return await work(state);
      } catch (err) {
        if (err instanceof ExecutorError || !isRetryable(err) || closed) throw err;
        const wait = backoff(attempt);
        if (signal?.aborted) throw deadlineExceeded(state.uncertain);
        if (now() + wait > deadline) throw unavailable(err, state.uncertain);
        retries++;
        log?.debug({ attempt, code: (err as { code?: unknown }).code, wait_ms: Math.round(wait) }, 'ledger: transient failure; retrying');
        await sleep(wait, signal);
      }
    }
  }

  function deadlineExceeded(uncertain: boolean): ExecutorError {
    return new ExecutorError(
      'DEADLINE_EXCEEDED',
      uncertain
        ? 'the deadline passed while the ledger database was being retried; the trade may have been booked: retry with the same request_id to get its result'
        : 'the deadline passed while the ledger database was being retried; the trade was not booked',
    );
  }

  function unavailable(err: unknown, uncertain: boolean): ExecutorError {
    const why = isConnectionError(err) ? 'the ledger database cannot be reached' : 'the ledger database kept failing the transaction';
    return new ExecutorError(
      'JOURNAL_UNAVAILABLE',
      uncertain ? `${why}; the trade may have been booked: retry with the same request_id to get its result` : `${why}; the trade was not booked`,
    );
  }

  async function attempt<T>(portfolioId: string, fn: (tx: LedgerTransaction) => Promise<T>, requestId: string | undefined, retry: { uncertain: boolean }): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      if (isConnectionError(err)) markDown(err);
      throw err;
    }
    // A checked-out connection that breaks emits 'error' on its client: handled here, reported by the query.
    const onClientError = (): void => undefined;
    client.on('error', onClientError);
    let destroy = false;
    const send = async (text: string): Promise<pg.QueryResult<Record<string, unknown>>[]> => {
      roundTrips++;
      const r = (await client.query(text)) as unknown;
      return (Array.isArray(r) ? r : [r]) as pg.QueryResult<Record<string, unknown>>[];
    };
    try {
      const p = lit(portfolioId);
      const open = [
        'BEGIN',
        // Created empty if missing (never committed empty): a concurrent creator waits on this key.
        `INSERT INTO portfolios (portfolio_id) VALUES (${p}) ON CONFLICT DO NOTHING`,
        `SELECT state FROM portfolios WHERE portfolio_id = ${p} FOR UPDATE`,
      ];
      if (requestId !== undefined) {
        open.push(
          `SELECT e.event FROM trade_requests r JOIN ledger_events e ON e.portfolio_id = r.portfolio_id AND e.sequence = r.sequence WHERE r.portfolio_id = ${p} AND r.request_id = ${lit(requestId.toLowerCase())}`,
        );
      }
      let results: pg.QueryResult<Record<string, unknown>>[];
      try {
        results = await send(open.join('; '));
      } catch (err) {
        destroy = true;
        throw err;
      }
      const stateJson = results[2]?.rows[0]?.state;
      const state = stateJson == null ? undefined : stateFromJson(stateJson);
      const bookedJson = results[3]?.rows[0]?.event;
      let booked: Trade | undefined;
      if (bookedJson != null) {
        const e = eventFromJson(bookedJson, tokens);
        if (e.kind === 'trade') booked = e.trade;
      }
      let pending: { events: readonly LedgerEvent[]; state: PortfolioState } | undefined;
      const tx: LedgerTransaction = {
        state,
        booked,
        async portfolioCount() {
          roundTrips++;
          const r = await client.query<{ n: string }>('SELECT count(*) AS n FROM portfolios WHERE state IS NOT NULL').catch((err: unknown) => {
            destroy = true;
            throw err;
          });
          return Number(r.rows[0]?.n ?? 0);
        },
        write(events, next) {
          if (pending) return Promise.reject(new Error('ledger: write called twice in one transaction'));
          pending = { events, state: next };
          return Promise.resolve();
        },
      };
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        rollbacks++;
        await send('ROLLBACK').catch(() => {
          destroy = true;
        });
        throw err;
      }
      if (!pending || pending.events.length === 0) {
        rollbacks++;
        try {
          await send('ROLLBACK');
        } catch (err) {
          destroy = true;
          throw err;
        }
        return result;
      }
      const sql = writeStatements(portfolioId, state, pending.events, pending.state);
      try {
        await send(sql);
      } catch (err) {
        destroy = true;
        // The COMMIT may have been applied with its answer lost: the retry finds the trade booked.
        if (isConnectionError(err)) retry.uncertain = true;
        throw err;
      }
      commits++;
      setAvailable(true);
      stopProbe();
      return result;
    } catch (err) {
      if (isConnectionError(err)) markDown(err);
      throw err;
    } finally {
      client.removeListener('error', onClientError);
      client.release(destroy);
    }
  }

  /** The statements of one write, with the notification and COMMIT, as one simple query. */
  function writeStatements(portfolioId: string, before: PortfolioState | undefined, events: readonly LedgerEvent[], next: PortfolioState): string {
    const p = lit(portfolioId);
    const base = before?.sequence ?? 0;
    const rows: string[] = [];
    const keys: string[] = [];
    let resetSequence: number | undefined;
    let firstTrade: number | undefined;
    let lastTrade: number | undefined;
    events.forEach((e, i) => {
      if (e.portfolioId !== portfolioId) throw new Error(`ledger: event of portfolio ${e.portfolioId} written in a transaction of ${portfolioId}`);
      const seq = sequenceOf(e, base + i + 1);
      const requestId = e.kind === 'trade' ? lit(e.trade.requestId.toLowerCase()) : 'NULL';
      rows.push(`(${p}, ${seq}, ${lit(e.kind)}, ${num(e.atMs)}, ${requestId}, ${lit(executorId)}, ${lit(JSON.stringify(eventToJson(e)))}::jsonb)`);
      if (e.kind === 'trade') {
        keys.push(`(${p}, ${requestId}, ${seq}, ${lit(e.trade.inputs.fingerprint)})`);
        firstTrade ??= seq;
        lastTrade = seq;
      } else {
        resetSequence = seq;
        keys.length = 0;
        firstTrade = undefined;
        lastTrade = undefined;
      }
    });
    const last = base + events.length;
    if (next.sequence !== last || next.portfolioId !== portfolioId) {
      throw new Error(`ledger: the state written (sequence ${next.sequence}) is not the result of the events (sequence ${last})`);
    }
    const sql = [];
    if (resetSequence !== undefined) {
      sql.push(`DELETE FROM trade_requests WHERE portfolio_id = ${p}`, `DELETE FROM marks WHERE portfolio_id = ${p}`);
    }
    sql.push(`INSERT INTO ledger_events (portfolio_id, sequence, kind, at_ms, request_id, executor_id, event) VALUES ${rows.join(', ')}`);
    if (keys.length > 0) sql.push(`INSERT INTO trade_requests (portfolio_id, request_id, sequence, fingerprint) VALUES ${keys.join(', ')}`);
    sql.push(
      `UPDATE portfolios SET state = ${lit(JSON.stringify(stateToJson(next)))}::jsonb, sequence = ${last}` +
        (resetSequence === undefined ? '' : `, reset_sequence = ${resetSequence}`) +
        `, updated_at = now() WHERE portfolio_id = ${p}`,
    );
    // Delivered to every listener at COMMIT (a trade of a reset-only write has nothing to stream).
    if (firstTrade !== undefined && lastTrade !== undefined) {
      sql.push(`SELECT pg_notify(${lit(TRADES_CHANNEL)}, ${lit(tradeNotification(executorId, portfolioId, firstTrade, lastTrade))})`);
    }
    sql.push('COMMIT');
    return sql.join('; ');
  }

  // Start: reachable, credentials accepted, database present, schema known (migrated unless told not to).
  try {
    roundTrips++;
    await pool.query('SELECT 1');
    if (options.migrate === false) {
      const client = await pool.connect();
      try {
        roundTrips += 2;
        const applied = await appliedMigrations(client);
        const migrations = loadMigrations();
        checkApplied(applied, migrations, url);
        const version = applied.at(-1)?.version ?? 0;
        if (version !== latestSchemaVersion(migrations)) {
          throw new LedgerConfigError(
            `${LEDGER_URL_SETTING} ${redacted}: the ledger schema is at version ${version}, this executor needs ${latestSchemaVersion(migrations)}; run \`pte db migrate\``,
          );
        }
      } finally {
        client.release();
      }
    } else {
      await migrate(pool, log);
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof LedgerConfigError) throw err;
    throw configErrorOf(err, url) ?? err;
  }

  const feed = createRemoteTradeFeed({
    url,
    executorId,
    tokens,
    log,
    query: (text, values) => query(text, values),
    onConnection: (up, err) => {
      if (!up && isConnectionError(err)) markDown(err);
    },
  });

  return {
    executorId,
    get available() {
      return available;
    },
    onAvailability(callback) {
      availabilityListeners.add(callback);
      return () => availabilityListeners.delete(callback);
    },

    async transaction(portfolioId, fn, opts?: LedgerTransactionOptions) {
      transactions++;
      return withRetry((retry) => attempt(portfolioId, fn, opts?.requestId, retry), opts?.signal);
    },

    async readState(portfolioId) {
      const r = await withRetry(() => query('SELECT state FROM portfolios WHERE portfolio_id = $1 AND state IS NOT NULL', [portfolioId]), undefined);
      const s = r.rows[0]?.state;
      return s == null ? undefined : stateFromJson(s);
    },

    async readStates() {
      const r = await withRetry(() => query('SELECT state FROM portfolios WHERE state IS NOT NULL ORDER BY portfolio_id'), undefined);
      return r.rows.map((row) => stateFromJson(row.state));
    },

    /**
     * Always undefined: with a shared database whether a request is booked is known only under the
     * portfolio's lock, so duplicates are found inside the transaction (`tx.booked`).
     */
    findTrade() {
      return undefined;
    },

    async listTrades(portfolioId, before, limit) {
      const below = Math.min(Math.max(before, 0), MAX_SEQUENCE);
      const take = Math.max(0, Math.floor(limit));
      const r = await withRetry(
        () =>
          query(
            `SELECT e.event FROM ledger_events e JOIN portfolios p ON p.portfolio_id = e.portfolio_id
             WHERE e.portfolio_id = $1 AND e.kind = 'trade' AND e.sequence > p.reset_sequence AND e.sequence < $2
             ORDER BY e.sequence DESC LIMIT $3`,
            [portfolioId, below, take + 1],
          ),
        undefined,
      );
      const trades: Trade[] = [];
      for (const row of r.rows.slice(0, take)) {
        const e = eventFromJson(row.event, tokens);
        if (e.kind === 'trade') trades.push(e.trade);
      }
      return { trades, more: r.rows.length > take };
    },

    async appendMark(mark: MarkRecord) {
      await withRetry(
        () =>
          query('INSERT INTO marks (portfolio_id, sequence, at_ms, value, record) VALUES ($1, $2, $3, $4, $5::jsonb)', [
            mark.portfolioId,
            mark.sequence,
            mark.atMs,
            markValue(mark.valueUsd),
            encodeMark(mark),
          ]),
        undefined,
      );
    },

    async readMarks(portfolioId, range) {
      const r = await withRetry(
        () =>
          query(
            `SELECT m.mark_id, m.at_ms, m.value FROM marks m JOIN portfolios p ON p.portfolio_id = m.portfolio_id
             WHERE m.portfolio_id = $1 AND m.sequence >= p.reset_sequence AND ($2::float8 IS NULL OR m.at_ms <= $2)
             ORDER BY m.at_ms, m.mark_id`,
            [portfolioId, range.toMs ?? null],
          ),
        undefined,
      );
      const rows = r.rows;
      const { positions, inRange } = selectMarks(
        { count: rows.length, atMs: (i) => Number(rows[i]?.at_ms ?? 0), value: (i) => Number(rows[i]?.value ?? 0) },
        range.fromMs,
        range.toMs,
        range.limit,
      );
      if (positions.length === 0) return { marks: [], inRange };
      const ids = positions.map((i) => String(rows[i]?.mark_id));
      const records = await withRetry(() => query('SELECT mark_id, record FROM marks WHERE mark_id = ANY($1::bigint[])', [ids]), undefined);
      const byId = new Map(records.rows.map((row) => [String(row.mark_id), row.record]));
      // A mark deleted by a reset between the two reads is left out (the next report reads the new series).
      const marks = ids.flatMap((id) => {
        const record = byId.get(id);
        return record === undefined ? [] : [markFromJson(record)];
      });
      return { marks, inRange };
    },

    onRemoteTrade(listener, wants) {
      return feed.subscribe(listener, wants);
    },

    stats() {
      return {
        roundTrips,
        transactions,
        commits,
        rollbacks,
        retries,
        connectionFailures,
        available,
        listening: feed.listening,
        notifications: feed.notifications,
        remoteTrades: feed.delivered,
        poolTotal: pool.totalCount,
        poolIdle: pool.idleCount,
        poolWaiting: pool.waitingCount,
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      stopProbe();
      await feed.close();
      await pool.end();
    },
  };
}
