/**
 * Write-behind recording of trades and equity marks to QuestDB over ILP/HTTP with the official
 * client. The trade path only calls record() (and recordMark()), which appends to a bounded in-memory
 * queue: O(1), no I/O, never throws. Trades and marks share the queue, one row each. A background
 * loop turns queued entries into rows and flushes them in batches (by row count, or by
 * time: the client itself only auto-flushes when a row is added, so an idle tail would wait forever).
 *
 * While QuestDB is down the rows stay queued and the loop retries with exponential backoff and
 * jitter. When the queue is full the oldest unsent rows are dropped from memory only: the journal
 * holds every trade and mark and `pte export questdb` re-sends any range, idempotently, because the
 * tables deduplicate (trades on (ts, trade_id), marks on (ts, portfolio_id, sequence)). Nothing here
 * can fail or change a trade.
 */
import { Sender } from '@questdb/nodejs-client';
import type { Trade } from '../../domain/trade.js';
import { redactUpstreamText } from '../../domain/upstream-text.js';
import type { MarkRecord } from '../../executor/ports.js';
import { confSecrets, describeConf, withSettings } from '../../domain/questdb-conf.js';
import type { DropReason, QuestDbMetricsSink } from './metrics.js';
import { createRingQueue } from './queue.js';
import { MARKS_TABLE, markToRow, TRADES_TABLE, tradeToRow, writeRow, type RowSink, type TradeRow } from './row.js';

/** The structured logger (pino's Logger satisfies it). */
export interface RecorderLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The part of the client's Sender the recorder uses. */
export interface SenderLike extends RowSink {
  flush(): Promise<boolean>;
  reset(): unknown;
  close(): Promise<void>;
}

export interface QuestDbRecorderOptions {
  /** Client configuration string; it holds credentials, so it is never logged (only its addr). */
  readonly conf: string;
  /** Rows held in memory at most (queued plus in flight). */
  readonly queueCap: number;
  /** Rows per flush; reaching it wakes the loop at once. Must be below queueCap. */
  readonly flushRows: number;
  /** A partial batch waits at most this long. */
  readonly flushIntervalMs: number;
  /** Backoff after a failed flush: from min, doubling, up to max, with jitter. Defaults 100 and 5,000. */
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  readonly log: RecorderLog;
  readonly metrics?: QuestDbMetricsSink | undefined;
  readonly table?: string;
  /** The marks' table; default portfolio_marks. */
  readonly marksTable?: string;
  /** Jitter source (tests pin it). */
  readonly random?: () => number;
  /** Builds the client; tests may substitute one. Default Sender.fromConfig. */
  readonly createSender?: (conf: string) => Promise<SenderLike>;
}

export interface RecorderStats {
  /** Rows in memory now: queued plus in flight. */
  readonly depth: number;
  readonly maxDepth: number;
  readonly recorded: number;
  readonly sent: number;
  readonly sendFailures: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** The outage in progress, if any: when the first failure of the current run happened. */
  readonly failingSinceMs: number | undefined;
}

export interface CloseReport {
  readonly sent: number;
  /** Rows left unsent at the deadline (trades and marks): the journal has them. */
  readonly unsent: number;
}

/** A queued row to be: a trade or a mark, turned into its row only when sent. */
type Entry = { readonly kind: 'trade'; readonly trade: Trade } | { readonly kind: 'mark'; readonly mark: MarkRecord };

/** What a log line names an entry by. */
const entryIds = (e: Entry): Record<string, unknown> =>
  e.kind === 'trade' ? { trade_id: e.trade.tradeId } : { portfolio_id: e.mark.portfolioId, mark_sequence: e.mark.sequence, mark_at: new Date(e.mark.atMs).toISOString() };

export interface QuestDbRecorder {
  /** Queues the trade. O(1); never throws, never waits. */
  record(trade: Trade): void;
  /** Queues the mark (a `portfolio_marks` row), like a trade. O(1); never throws, never waits. */
  recordMark(mark: MarkRecord): void;
  stats(): RecorderStats;
  /** Sends everything queued now, waiting at most deadlineMs; resolves with the rows still in memory. */
  drain(deadlineMs: number): Promise<number>;
  /** Stops the timers, flushes what it can within deadlineMs, then stops. Later records are ignored. */
  close(deadlineMs: number): Promise<CloseReport>;
}

/** After this many consecutive failures, a failure is logged once per this many (no log flood). */
const LOG_EVERY_FAILURES = 20;
/** At most one drop warning per this interval, with the count since the last one. */
const DROP_WARN_INTERVAL_MS = 10_000;

/**
 * drain's waits are ref'd timers on purpose: whoever awaits drain (the shutdown above all) must get
 * its answer. With unref'd waits and nothing else left open (QuestDB refusing connections, the
 * server already closed), Node would end the process mid-drain with the await never settled (exit
 * 13), before the unsent rows are reported. Every wait is bounded by drain's deadline.
 */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** `p`'s value, or undefined once ms have passed; the timer is cleared either way, so it holds nothing open. */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

/** The HTTP status in the client's error message ("HTTP request failed, statusCode=400, error=..."). */
export function statusOf(err: unknown): number | undefined {
  const m = /statusCode=(\d{3})/.exec(err instanceof Error ? err.message : String(err));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/**
 * An error from the client as a log may carry it. Its message quotes QuestDB's answer verbatim, and a
 * server or proxy may echo the request there, Authorization header included: trimmed and scrubbed of
 * the conf's credentials and of anything that looks like one.
 */
export function upstreamError(err: unknown, conf: string): string {
  return redactUpstreamText(err instanceof Error ? err.message : String(err), { secrets: confSecrets(conf) });
}

/** The client's logger, as Sender.fromConfig takes it. */
export type ClientLogger = (level: 'error' | 'warn' | 'info' | 'debug', message: string | Error) => void;

/**
 * The client's own warnings and errors (a body QuestDB sent with a 204, for one), scrubbed like any
 * upstream text, to `sink` rather than to the console where the client would print them verbatim.
 */
export function clientLog(sink: (level: 'warn' | 'error', text: string) => void, conf: string): ClientLogger {
  return (level, message) => {
    if (level === 'warn' || level === 'error') sink(level, upstreamError(message, conf));
  };
}

/** The recorder owns flushing: the client's auto-flush would send from inside at(), out of its control. */
const defaultCreateSender =
  (log: RecorderLog) =>
  async (conf: string): Promise<SenderLike> =>
    Sender.fromConfig(withSettings(conf, { auto_flush: 'off' }), {
      log: clientLog((level, text) => log[level]({ questdb: describeConf(conf), err: text }, 'QuestDB client'), conf),
    });

export function createQuestDbRecorder(options: QuestDbRecorderOptions): QuestDbRecorder {
  const { queueCap, flushRows, flushIntervalMs, log, metrics } = options;
  if (!(Number.isInteger(flushRows) && flushRows >= 1 && flushRows < queueCap)) {
    throw new RangeError(`questdb.flushRows (${flushRows}) must be at least 1 and below questdb.queueCap (${queueCap})`);
  }
  const backoffMin = options.backoffMinMs ?? 100;
  const backoffMax = options.backoffMaxMs ?? 5_000;
  const random = options.random ?? Math.random;
  const table = options.table ?? TRADES_TABLE;
  const marksTable = options.marksTable ?? MARKS_TABLE;
  const rowOf = (e: Entry): [TradeRow, string] => (e.kind === 'trade' ? [tradeToRow(e.trade), table] : [markToRow(e.mark), marksTable]);
  const createSender = options.createSender ?? defaultCreateSender(log);
  const addr = describeConf(options.conf);

  const queue = createRingQueue<Entry>(queueCap);
  /** The batch being sent; it goes back to the head of the queue if the send fails. */
  let inflight: Entry[] = [];
  let sender: SenderLike | undefined;
  let pump: Promise<boolean> | undefined;
  let wakeScheduled = false;
  let backoffTimer: NodeJS.Timeout | undefined;
  let failures = 0; // consecutive
  /** Rows of a batch QuestDB rejected (400) still to be sent one at a time, to find the bad one. */
  let isolate = 0;
  let closing = false;
  let closed = false;
  const counts = { recorded: 0, sent: 0, sendFailures: 0, maxDepth: 0 };
  const dropped: Record<DropReason, number> = { overflow: 0, rejected: 0, invalid: 0 };
  let failingSinceMs: number | undefined;
  let lastDropWarnMs = Number.NEGATIVE_INFINITY;
  let droppedSinceWarn = 0;

  const depth = (): number => queue.length + inflight.length;

  const drop = (reason: DropReason, n: number): void => {
    dropped[reason] += n;
    metrics?.countDropped(reason, n);
  };

  const interval = setInterval(() => wake(), flushIntervalMs);
  interval.unref();

  function wake(): void {
    if (pump !== undefined || backoffTimer !== undefined || closed || depth() === 0) return;
    pump = runPump().finally(() => {
      pump = undefined;
    });
  }

  function scheduleBackoff(): void {
    if (closing || backoffTimer !== undefined) return;
    const ceiling = Math.min(backoffMax, backoffMin * 2 ** Math.min(failures - 1, 30));
    const delay = Math.round(ceiling * (0.5 + random() * 0.5)); // "equal jitter": never 0, never above the ceiling
    backoffTimer = setTimeout(() => {
      backoffTimer = undefined;
      wake();
    }, delay);
    backoffTimer.unref();
  }

  async function ensureSender(): Promise<SenderLike> {
    sender ??= await createSender(options.conf); // probes /settings: fails while QuestDB is down
    return sender;
  }

  /** Writes the batch into the sender's buffer; an entry that cannot become a row is dropped, not retried. */
  async function fill(s: SenderLike, batch: Entry[]): Promise<Entry[]> {
    s.reset();
    const written: Entry[] = [];
    for (const entry of batch) {
      try {
        const [row, into] = rowOf(entry);
        await writeRow(s, row, into);
        written.push(entry);
      } catch (err) {
        // The buffer may hold half a row: start again without this entry.
        s.reset();
        drop('invalid', 1);
        log.error({ err, ...entryIds(entry) }, `${entry.kind} cannot be written as a QuestDB row; dropped from the recorder (the journal has it)`);
        return fill(s, batch.filter((e) => e !== entry));
      }
    }
    return written;
  }

  /** Sends batches until the queue is empty; false when a send failed (rows kept). */
  async function runPump(): Promise<boolean> {
    while (depth() > 0 && !closed) {
      const size = isolate > 0 ? 1 : flushRows;
      inflight = queue.take(size);
      let s: SenderLike;
      try {
        s = await ensureSender();
        inflight = await fill(s, inflight);
        if (inflight.length === 0) continue;
        const t0 = performance.now();
        await s.flush();
        metrics?.observeFlush((performance.now() - t0) / 1000);
      } catch (err) {
        const batch = inflight;
        inflight = [];
        const status = statusOf(err);
        if (status === 400) {
          // QuestDB refused the content: resending it unchanged can never succeed. Find the bad row.
          if (batch.length > 1) {
            isolate = batch.length;
            queue.unshiftAll(batch);
            continue;
          }
          drop('rejected', batch.length);
          isolate = Math.max(0, isolate - 1);
          const bad = batch[0];
          log.error(
            { err: upstreamError(err, options.conf), ...(bad ? entryIds(bad) : {}), questdb: addr },
            `QuestDB rejected a ${bad?.kind ?? 'trade'} row; dropped from the recorder (the journal has it)`,
          );
          continue;
        }
        queue.unshiftAll(batch);
        failures++;
        counts.sendFailures++;
        metrics?.countSendFailure();
        failingSinceMs ??= Date.now();
        if (failures === 1 || failures % LOG_EVERY_FAILURES === 0) {
          log.warn(
            { questdb: addr, err: upstreamError(err, options.conf), consecutive_failures: failures, queued: depth() },
            'QuestDB write failed; rows kept and retried (trades are unaffected)',
          );
        }
        scheduleBackoff();
        return false;
      }
      const n = inflight.length;
      inflight = [];
      counts.sent += n;
      metrics?.countSent(n);
      if (isolate > 0) isolate--;
      if (failures > 0) {
        log.info({ questdb: addr, after_failures: failures, outage_ms: Date.now() - (failingSinceMs ?? Date.now()), queued: depth() }, 'QuestDB reachable again; sending the backlog');
        failures = 0;
        failingSinceMs = undefined;
      }
    }
    return true;
  }

  function warnDrops(): void {
    const now = Date.now();
    if (now - lastDropWarnMs < DROP_WARN_INTERVAL_MS) return;
    log.warn(
      { questdb: addr, dropped: droppedSinceWarn, dropped_total: dropped.overflow, queue_cap: queueCap },
      'QuestDB recorder queue full: oldest unsent rows dropped from memory (the journal has them; backfill with pte export questdb)',
    );
    lastDropWarnMs = now;
    droppedSinceWarn = 0;
  }

  function enqueue(entry: Entry): void {
    if (closed || closing) return;
    try {
      if (depth() >= queueCap) {
        // flushRows < queueCap, so the queue (not only the batch in flight) holds at least one row.
        queue.shift();
        drop('overflow', 1);
        droppedSinceWarn++;
        warnDrops();
      }
      queue.push(entry);
      counts.recorded++;
      const d = depth();
      if (d > counts.maxDepth) counts.maxDepth = d;
      if (queue.length >= flushRows && !wakeScheduled && pump === undefined) {
        // Not inline: building rows for a whole batch must not run inside the trade's call.
        wakeScheduled = true;
        setImmediate(() => {
          wakeScheduled = false;
          wake();
        });
      }
    } catch {
      // Unreachable by construction; a recorder must never throw into the trade path.
    }
  }

  return {
    record(trade) {
      enqueue({ kind: 'trade', trade });
    },

    recordMark(mark) {
      enqueue({ kind: 'mark', mark });
    },

    stats: () => ({
      depth: depth(),
      maxDepth: counts.maxDepth,
      recorded: counts.recorded,
      sent: counts.sent,
      sendFailures: counts.sendFailures,
      dropped: { ...dropped },
      failingSinceMs,
    }),

    async drain(deadlineMs) {
      const deadline = Date.now() + deadlineMs;
      while (depth() > 0 && !closed) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        if (backoffTimer !== undefined && closing) {
          clearTimeout(backoffTimer);
          backoffTimer = undefined;
        }
        wake();
        const running = pump;
        if (running === undefined) {
          await sleep(Math.min(left, backoffMin)); // in backoff: its timer wakes the loop
          continue;
        }
        const ok = await within(running, left);
        if (ok === undefined) break; // deadline inside a flush (QuestDB stalled)
        if (!ok && closing) await sleep(Math.min(deadline - Date.now(), backoffMin));
      }
      return depth();
    },

    async close(deadlineMs) {
      if (closed) return { sent: counts.sent, unsent: depth() };
      closing = true;
      clearInterval(interval);
      const unsent = await this.drain(deadlineMs);
      closed = true;
      if (backoffTimer !== undefined) clearTimeout(backoffTimer);
      backoffTimer = undefined;
      if (unsent > 0) {
        const left = [...inflight, ...queue.toArray()];
        const oldest = left.find((e) => e.kind === 'trade')?.trade;
        const unsentMarks = left.filter((e) => e.kind === 'mark').length;
        log.warn(
          {
            questdb: addr,
            unsent,
            unsent_trades: unsent - unsentMarks,
            unsent_marks: unsentMarks,
            oldest_unsent_trade: oldest?.tradeId,
            oldest_unsent_at: oldest === undefined ? undefined : new Date(oldest.executedAtMs).toISOString(),
          },
          'QuestDB recorder stopped with rows unsent; the journal has them: re-send with pte export questdb',
        );
      }
      // An HTTP sender holds no connection of its own; a flush still stalled is abandoned (it has its own timeouts).
      void sender?.close().catch(() => undefined);
      return { sent: counts.sent, unsent };
    },
  };
}
