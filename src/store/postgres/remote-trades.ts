/**
 * Trades booked by other executors, delivered to this one's listeners (StreamTrades on any executor
 * sees every trade) through PostgreSQL's LISTEN/NOTIFY.
 *
 * Every write that books a trade notifies channel `pte_trades` with
 * `<executorId>:<firstSequence>:<lastSequence>:<portfolioId>`; PostgreSQL delivers notifications at
 * commit, in commit order, and a portfolio's commits are serialized by its row lock, so a portfolio's
 * notifications arrive in sequence order. The feed keeps, per portfolio, the last sequence it has
 * accounted for, and on each remote notification reads that portfolio's trades after it (up to the
 * notified one) written by other executors: a notification missed for a portfolio already seen is
 * made up by the next one, without a gap. Its own writes advance the cursor without a read.
 *
 * It LISTENs on a dedicated connection, only while someone listens, and reconnects with backoff
 * after a loss; on reconnecting it catches up each portfolio it has a cursor for.
 */
import pg from 'pg';
import type { TokenRegistry } from '../../domain/tokens.js';
import type { Trade } from '../../domain/trade.js';
import type { Log } from '../../executor/ports.js';
import { eventFromJson } from '../codec.js';

/** The notification channel every executor of one database shares. */
export const TRADES_CHANNEL = 'pte_trades';

/** The payload of a write's notification: who wrote it and which sequences of which portfolio. */
export function tradeNotification(executorId: string, portfolioId: string, first: number, last: number): string {
  return `${executorId}:${first}:${last}:${portfolioId}`;
}

interface Notice {
  readonly executorId: string;
  readonly first: number;
  readonly last: number;
  readonly portfolioId: string;
}

function parseNotice(payload: string | undefined): Notice | undefined {
  const m = /^([^:]*):(\d+):(\d+):(.*)$/s.exec(payload ?? '');
  if (!m) return undefined;
  return { executorId: m[1] ?? '', first: Number(m[2]), last: Number(m[3]), portfolioId: m[4] ?? '' };
}

export interface RemoteTradeFeedOptions {
  readonly url: string;
  /** Reads go through the ledger's pool (so they are counted with its round trips). */
  readonly query: (text: string, values: readonly unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;
  readonly executorId: string;
  readonly tokens: TokenRegistry;
  readonly log?: Log | undefined;
  /** The listening connection was lost (availability) or is back. */
  readonly onConnection?: (up: boolean, err?: unknown) => void;
}

export interface RemoteTradeFeed {
  /** `wants`: the portfolios the listener follows (absent: every one); others' trades are not even read. */
  subscribe(listener: (trade: Trade) => void, wants?: (portfolioId: string) => boolean): () => void;
  /** Whether the LISTEN connection is up (only while someone listens). */
  readonly listening: boolean;
  /** Notifications received and trades delivered, for stats. */
  readonly notifications: number;
  readonly delivered: number;
  close(): Promise<void>;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

export function createRemoteTradeFeed(options: RemoteTradeFeedOptions): RemoteTradeFeed {
  const { executorId, tokens, log } = options;
  /** Each listener with the portfolios it wants (absent: every one). */
  const listeners = new Map<(trade: Trade) => void, ((portfolioId: string) => boolean) | undefined>();
  const wanted = (portfolioId: string): boolean => {
    for (const wants of listeners.values()) if (!wants || wants(portfolioId)) return true;
    return false;
  };
  /** Per portfolio: every sequence up to it has been delivered or is this executor's own. */
  const cursors = new Map<string, number>();
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reconnectDelay = RECONNECT_MIN_MS;
  let closed = false;
  let notifications = 0;
  let delivered = 0;
  /** Deliveries run one after another, so listeners see each portfolio's trades in order. */
  let chain: Promise<void> = Promise.resolve();

  function emit(trade: Trade): void {
    delivered++;
    for (const [l, wants] of listeners) {
      if (wants && !wants(trade.portfolioId)) continue;
      try {
        l(trade);
      } catch (err) {
        log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'ledger: a remote trade listener threw');
      }
    }
  }

  async function deliver(portfolioId: string, after: number, upTo: number): Promise<void> {
    const r = await options.query(
      `SELECT event FROM ledger_events WHERE portfolio_id = $1 AND sequence > $2 AND sequence <= $3 AND kind = 'trade' AND executor_id <> $4 ORDER BY sequence`,
      [portfolioId, after, upTo, executorId],
    );
    cursors.set(portfolioId, Math.max(cursors.get(portfolioId) ?? 0, upTo));
    for (const row of r.rows) {
      const e = eventFromJson(row.event, tokens);
      if (e.kind === 'trade') emit(e.trade);
    }
  }

  function enqueue(work: () => Promise<void>): void {
    chain = chain.then(work).catch((err: unknown) => {
      log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'ledger: remote trades could not be read; they are delivered with the portfolio\'s next notification');
    });
  }

  function onNotice(n: Notice): void {
    notifications++;
    enqueue(async () => {
      const cursor = cursors.get(n.portfolioId);
      if (cursor !== undefined && n.last <= cursor) return;
      if (n.executorId === executorId) {
        // Our own write: the executor streamed it already. Anything before it that we missed is read.
        if (cursor !== undefined && n.first - 1 > cursor) await deliver(n.portfolioId, cursor, n.first - 1);
        cursors.set(n.portfolioId, n.last);
        return;
      }
      // Nobody here follows the portfolio: nothing to read (a subscriber gets trades from now on).
      if (!wanted(n.portfolioId)) {
        cursors.set(n.portfolioId, n.last);
        return;
      }
      await deliver(n.portfolioId, cursor ?? n.first - 1, n.last);
    });
  }

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 5_000, keepAlive: true, application_name: `pte-listen ${executorId}` });
    c.on('notification', (msg) => {
      if (c !== client || msg.channel !== TRADES_CHANNEL) return;
      const n = parseNotice(msg.payload);
      if (n) onNotice(n);
    });
    const lost = (err?: unknown): void => {
      if (c !== client) return;
      client = undefined;
      c.end().catch(() => undefined);
      if (closed || listeners.size === 0) return;
      // Only a failed reconnection says the database is down: a lost listener alone does not.
      log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'ledger: the remote trade feed lost its connection; reconnecting');
      scheduleReconnect();
    };
    c.on('error', lost);
    c.on('end', () => lost(new Error('Connection terminated')));
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${TRADES_CHANNEL}`);
    } catch (err) {
      if (client === c) client = undefined;
      c.end().catch(() => undefined);
      throw err;
    }
    reconnectDelay = RECONNECT_MIN_MS;
    options.onConnection?.(true);
    // Trades committed while nobody listened, for every portfolio already followed.
    const known = [...cursors.keys()];
    if (known.length > 0) {
      enqueue(async () => {
        const r = await options.query('SELECT portfolio_id, max(sequence)::float8 AS last FROM ledger_events WHERE portfolio_id = ANY($1) GROUP BY portfolio_id', [known]);
        for (const row of r.rows) {
          const id = String(row.portfolio_id);
          const last = Number(row.last);
          const cursor = cursors.get(id) ?? last;
          if (last > cursor) await deliver(id, cursor, last);
        }
      });
    }
  }

  function start(): void {
    if (client || connecting || reconnectTimer || closed) return;
    connecting = connect()
      .catch((err: unknown) => {
        log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'ledger: cannot LISTEN for remote trades; retrying');
        options.onConnection?.(false, err);
        scheduleReconnect();
      })
      .finally(() => {
        connecting = undefined;
      });
  }

  function scheduleReconnect(): void {
    if (reconnectTimer || closed || listeners.size === 0) return;
    const delay = reconnectDelay * (0.5 + Math.random() / 2);
    reconnectDelay = Math.min(RECONNECT_MAX_MS, reconnectDelay * 2);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (listeners.size > 0) start();
    }, delay);
    reconnectTimer.unref();
  }

  function stop(): Promise<void> {
    if (reconnectTimer) clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    const c = client;
    client = undefined;
    cursors.clear();
    return c ? c.end().catch(() => undefined) : Promise.resolve();
  }

  return {
    subscribe(listener, wants) {
      listeners.set(listener, wants);
      start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) void stop();
      };
    },
    get listening() {
      return client !== undefined && connecting === undefined;
    },
    get notifications() {
      return notifications;
    },
    get delivered() {
      return delivered;
    },
    async close() {
      closed = true;
      listeners.clear();
      if (connecting) await connecting;
      await stop();
      await chain;
    },
  };
}
