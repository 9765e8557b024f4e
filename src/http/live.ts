/**
 * Live updates for the dashboard: server-sent events fed by the executor's trade and mark streams,
 * batched. One subscription per watched portfolio however many browsers watch it; the executor's
 * callbacks only append to the batch (nothing is encoded on the booking path). Every `intervalMs` a
 * non-empty batch is encoded once, as one event `{"trades":[...],"marks":[...]}`, and the same text is
 * written to every watcher, so a busy portfolio costs one JSON encoding per interval, not one per trade
 * per browser. A batch keeps at most `maxBatch` trades and marks (the newest); what it dropped is
 * counted in `droppedTrades`/`droppedMarks` so the page reloads its table instead of missing rows.
 * A watcher that does not read (more than `maxBufferedBytes` unsent) is disconnected; it reconnects
 * and reloads.
 */
import type { Trade } from '../domain/trade.js';
import type { Executor } from '../executor/types.js';
import type { Mark } from '../report/marks.js';
import { markJson, tradeJson } from './json.js';

export interface LiveSink {
  /** Writes text to the watcher's response. */
  write(text: string): void;
  /** Bytes written and not yet sent. */
  readonly writableLength: number;
  /** Ends the watcher's response. */
  end(): void;
}

export interface LiveOptions {
  readonly executor: Pick<Executor, 'subscribe' | 'subscribeMarks'>;
  /** Batch interval; default 250 ms. */
  readonly intervalMs?: number;
  /** Most trades (and marks) in one event; default 50 (a page of the trades table). */
  readonly maxBatch?: number;
  /** Unsent bytes past which a watcher is disconnected; default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** A comment line is sent this often so idle connections stay open; default 15 s. */
  readonly heartbeatMs?: number;
}

export interface LiveHub {
  /** Starts sending the portfolio's batches to `sink`; returns the detach. */
  watch(portfolioId: string, sink: LiveSink): () => void;
  /** Watchers connected now. */
  readonly watchers: number;
  /** Ends every watcher (shutdown). */
  close(): void;
}

interface Channel {
  readonly sinks: Set<LiveSink>;
  trades: Trade[];
  marks: Mark[];
  droppedTrades: number;
  droppedMarks: number;
  timer: NodeJS.Timeout | undefined;
  unsubscribe: () => void;
}

export const DEFAULT_LIVE_INTERVAL_MS = 250;

export function createLiveHub(options: LiveOptions): LiveHub {
  const intervalMs = options.intervalMs ?? DEFAULT_LIVE_INTERVAL_MS;
  const maxBatch = options.maxBatch ?? 50;
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const channels = new Map<string, Channel>();
  let watchers = 0;

  const heartbeat = setInterval(() => {
    for (const c of channels.values()) for (const s of c.sinks) send(c, s, ': ping\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  function drop(c: Channel, sink: LiveSink): void {
    if (!c.sinks.delete(sink)) return;
    watchers--;
    try {
      sink.end();
    } catch {
      // already gone
    }
  }

  function send(c: Channel, sink: LiveSink, text: string): void {
    if (sink.writableLength > maxBuffered) {
      drop(c, sink);
      return;
    }
    try {
      sink.write(text);
    } catch {
      drop(c, sink);
    }
  }

  function flush(id: string, c: Channel): void {
    c.timer = undefined;
    if (c.trades.length === 0 && c.marks.length === 0 && c.droppedTrades === 0 && c.droppedMarks === 0) return;
    const event: Record<string, unknown> = { trades: c.trades.map(tradeJson), marks: c.marks.map(markJson) };
    if (c.droppedTrades > 0) event.droppedTrades = c.droppedTrades;
    if (c.droppedMarks > 0) event.droppedMarks = c.droppedMarks;
    c.trades = [];
    c.marks = [];
    c.droppedTrades = 0;
    c.droppedMarks = 0;
    const text = `data: ${JSON.stringify(event)}\n\n`;
    for (const s of c.sinks) send(c, s, text);
    if (c.sinks.size === 0) close(id, c);
  }

  const schedule = (id: string, c: Channel): void => {
    if (c.timer !== undefined) return;
    c.timer = setTimeout(() => flush(id, c), intervalMs);
  };

  function close(id: string, c: Channel): void {
    if (channels.get(id) !== c) return;
    channels.delete(id);
    if (c.timer !== undefined) clearTimeout(c.timer);
    c.unsubscribe();
  }

  function open(id: string): Channel {
    const c: Channel = { sinks: new Set(), trades: [], marks: [], droppedTrades: 0, droppedMarks: 0, timer: undefined, unsubscribe: () => undefined };
    const offTrades = options.executor.subscribe(id, (t) => {
      c.trades.push(t);
      if (c.trades.length > maxBatch) {
        c.trades.shift();
        c.droppedTrades++;
      }
      schedule(id, c);
    });
    let offMarks: () => void;
    try {
      offMarks = options.executor.subscribeMarks(id, (m) => {
        c.marks.push(m);
        if (c.marks.length > maxBatch) {
          c.marks.shift();
          c.droppedMarks++;
        }
        schedule(id, c);
      });
    } catch (e) {
      offTrades();
      throw e;
    }
    c.unsubscribe = () => {
      offTrades();
      offMarks();
    };
    channels.set(id, c);
    return c;
  }

  return {
    watch(portfolioId, sink) {
      const c = channels.get(portfolioId) ?? open(portfolioId);
      c.sinks.add(sink);
      watchers++;
      send(c, sink, ': connected\n\n');
      return () => {
        drop(c, sink);
        if (c.sinks.size === 0) close(portfolioId, c);
      };
    },
    get watchers() {
      return watchers;
    },
    close() {
      clearInterval(heartbeat);
      for (const [id, c] of [...channels]) {
        for (const s of [...c.sinks]) drop(c, s);
        close(id, c);
      }
    },
  };
}
