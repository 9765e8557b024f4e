/**
 * The durable journal: append-only segment files in the data directory, one record per ledger event
 * (see segment.ts for the format), with group commit, snapshots and crash recovery.
 *
 * - One writer. append() takes its sequence number and enqueues its record synchronously, so records
 *   are written in call order; the promise resolves only after the record is written and fdatasync'd.
 * - Group commit: while one fdatasync is in flight, new appends queue; when it returns, everything
 *   queued goes out in one write and one fdatasync. Under load a group holds hundreds of records. An
 *   idle journal starts writing at the end of the current turn of the event loop, so what is appended
 *   in one turn goes out together. A group's records are laid out in one buffer and share one promise.
 * - Failure is final. After a write or fdatasync error the journal is failed: the records of the
 *   failed group are cut back off the file (best effort), their appends and every later one reject.
 *   The executor answers JOURNAL_UNAVAILABLE (gRPC UNAVAILABLE) and health goes NOT_SERVING: the
 *   service refuses trades rather than acknowledge what it cannot keep. A restart recovers.
 * - No ledger state at run time: the executor's portfolio book owns it. Snapshots every
 *   `snapshotEvery` records take the book's durable states (takeSnapshotsFrom) with the journal's
 *   index lists at the same sequence, written off the append path (snapshot.ts).
 * - History: the trade index (trade-index.ts) says where each trade since its portfolio's last reset
 *   is in the segments; findTrade and listTrades read trades back from there, through one cache of
 *   decoded trades (recently booked or read). Nothing else of a trade stays in memory once durable.
 * - Start-up (openFileJournal): the directory's LOCK (dir-lock.ts: one owner, created atomically,
 *   released only by its owner, a dead owner's lock taken over by exactly one starter), the latest
 *   valid snapshot, then the records after it. A bad last record with nothing valid after it is cut
 *   back to the last valid record, its bytes first copied to `<segment>.quarantine-<offset>`: an
 *   incomplete line (what a crash mid-write leaves, never acknowledged) is a WARN; a whole line that
 *   fails its check (damaged since written, maybe acknowledged) an ERROR naming its sequence and the
 *   quarantine file. Damage with valid records after it, a gap in the sequence, a record that does
 *   not decode, or a segment the trade index refers to that is missing or short refuses to start
 *   (JournalCorruptError): the service does not serve a journal that lost acknowledged trades.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LedgerEvent } from '../domain/ledger.js';
import type { TokenRegistry } from '../domain/tokens.js';
import type { MarkJournal, MarkRecord, SnapshotSource, TradeHistory } from '../executor/ports.js';
import { eventFromJson, encodeEvent } from './codec.js';
import { acquireDirLock, type DirLock, type LockStep } from './dir-lock.js';
import { syncDir } from './fs-util.js';
import { consistentImage, createRecovery, type JournalIndexes, type RecoveryImage } from './image.js';
import { encodeMark, isMarkJson, markFromJson } from './mark-codec.js';
import { createMarkReader } from './mark-reader.js';
import { JournalCorruptError, recordLength, scanSegment, segmentName, segmentNames, writeRecord } from './segment.js';
import { readSnapshot, snapshotNames, writeSnapshot } from './snapshot.js';
import { createTradeHistory, createTradeReader, type TradeReader } from './trade-history.js';
import type { MarkRef } from './mark-index.js';
import type { TradeIndex, TradeRef } from './trade-index.js';

export { JournalCorruptError } from './segment.js';
export { JournalLockedError } from './dir-lock.js';

/** What the journal reports to metrics; observability/metrics.ts implements it with prom-client. */
export interface JournalMetricsSink {
  /** One group commit: its fdatasync duration and how many records it made durable. */
  observeSync(seconds: number, groupSize: number): void;
  countFailure(): void;
  countSnapshot(ok: boolean): void;
}

/** The journal's structured log (pino satisfies it). */
export interface JournalLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The file operations on the append path, replaceable in tests to simulate a full disk. */
export interface JournalIo {
  write(fh: FileHandle, data: Buffer): Promise<void>;
  datasync(fh: FileHandle): Promise<void>;
  /** Called before each step on the LOCK file; tests delay it to widen race windows (a slow disk). */
  lockPause?(step: LockStep): Promise<void>;
}

export const fileJournalIo: JournalIo = {
  async write(fh, data) {
    let done = 0;
    while (done < data.length) done += (await fh.write(data, done, data.length - done)).bytesWritten;
  },
  datasync: (fh) => fh.datasync(),
};

export interface FileJournalOptions {
  readonly dir: string;
  readonly tokens: TokenRegistry;
  /** Records between snapshots; 0 disables them. Default 10,000. */
  readonly snapshotEvery?: number;
  /** A segment is closed and a new one started once it reaches this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Trades kept decoded for history reads and duplicates (least recently used out). Default 4,096. */
  readonly tradeCache?: number;
  readonly log?: JournalLog;
  readonly metrics?: JournalMetricsSink;
  /** Called once when the journal fails (the app flips health to NOT_SERVING). */
  readonly onFailure?: (err: Error) => void;
  readonly io?: JournalIo;
  readonly now?: () => number;
}

/** A bad tail cut off at start-up. */
export interface TruncatedTail {
  readonly segment: string;
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
  /** The sequence number the first cut record would have had. */
  readonly seq: number;
  /** A whole record that fails its check (damaged since written, maybe acknowledged), not a torn write. */
  readonly complete: boolean;
  /** The file next to the segment that holds the cut bytes, as they were. */
  readonly quarantine: string;
}

/** What start-up found and did; logged by the app and returned for tests. */
export interface RecoveryReport {
  readonly dir: string;
  /** Sequence number of the snapshot loaded (0: none). */
  readonly snapshotSeq: number;
  /** Snapshots that were unreadable and skipped, with the reason. */
  readonly skippedSnapshots: readonly string[];
  /** Records applied after the snapshot. */
  readonly replayed: number;
  /** The last sequence number in the journal. */
  readonly lastSeq: number;
  readonly segments: number;
  /** A bad tail that was cut off, if any, and the file its bytes were kept in. */
  readonly truncated: TruncatedTail | undefined;
  readonly portfolios: number;
  readonly startupMs: number;
}

export interface JournalStats {
  readonly appends: number;
  readonly syncs: number;
  /** The last durable record. */
  readonly lastSeq: number;
  /** The last record handed to the journal; above lastSeq while records wait for their fsync. */
  readonly queuedSeq: number;
  readonly failed: boolean;
  /** fdatasync durations of the most recent syncs, microseconds. */
  readonly syncP50Us: number;
  readonly syncP99Us: number;
  readonly syncMaxUs: number;
  readonly meanGroupSize: number;
  readonly maxGroupSize: number;
  readonly snapshots: number;
  /** Trades in the index (every portfolio, since each one's last reset) and the bytes it holds. */
  readonly indexedTrades: number;
  readonly indexBytes: number;
  /** Marks in the mark index (every portfolio, since each one's last reset) and the bytes it holds. */
  readonly indexedMarks: number;
  readonly markIndexBytes: number;
  /** Trades decoded from the segment files for ListTrades and duplicates (the decoded cache's misses). */
  readonly tradeDiskReads: number;
}

export interface FileJournal extends TradeHistory, MarkJournal {
  /** Enqueues synchronously (call order is journal order); resolves once durable. */
  append(event: LedgerEvent): Promise<void>;
  /**
   * Where snapshots take their portfolio states from (the executor's portfolio book, which calls
   * this when it is built). Without a source the journal writes no snapshots: start-up then
   * replays from the last snapshot written.
   */
  takeSnapshotsFrom(source: SnapshotSource): void;
  readonly failed: boolean;
  stats(): JournalStats;
  /** Waits for queued records and a running snapshot, then closes the files and the lock. */
  close(): Promise<void>;
}

/** The journal cannot accept records (failed, or closed). */
export class JournalUnavailableError extends Error {
  override readonly name = 'JournalUnavailableError';
}

const DEFAULT_SNAPSHOT_EVERY = 10_000;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_TRADE_CACHE = 4_096;
const SYNC_SAMPLES = 1 << 16;

/**
 * The records of one group commit, in sequence order from `firstSeq`: each record's encoded event
 * and what it indexes once durable. A group is written, synced and indexed as a whole, so its appends
 * share one promise (settled once, in the order the appends were called) instead of one each.
 */
class Group {
  readonly texts: string[] = [];
  /** Per record: the ledger event, or undefined for a mark. */
  readonly events: (LedgerEvent | undefined)[] = [];
  /** Per record: the mark, or undefined for a ledger event. */
  readonly marks: (MarkRecord | undefined)[] = [];
  readonly done: Promise<void>;
  resolve: () => void = () => undefined;
  reject: (err: Error) => void = () => undefined;

  constructor(readonly firstSeq: number) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  add(text: string, event: LedgerEvent | undefined, mark: MarkRecord | undefined): Promise<void> {
    this.texts.push(text);
    this.events.push(event);
    this.marks.push(mark);
    return this.done;
  }

  /** The group's record lines laid out in one buffer (no buffer per record), with each line's length. */
  layOut(): { readonly data: Buffer; readonly lengths: number[] } {
    const lengths: number[] = [];
    let total = 0;
    let seq = this.firstSeq;
    for (const text of this.texts) {
      const length = recordLength(seq++, text);
      lengths.push(length);
      total += length;
    }
    const data = Buffer.allocUnsafe(total);
    let at = 0;
    seq = this.firstSeq;
    for (const text of this.texts) at += writeRecord(data, at, seq++, text);
    return { data, lengths };
  }
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Opens (creating if needed) the journal in `dir` and recovers: returns the journal, ready to
 * append after the last valid record, the recovery image to start the executor from (its states are
 * the executor's from then on; the journal keeps only the index lists), and a report.
 */
export async function openFileJournal(options: FileJournalOptions): Promise<{ journal: FileJournal; image: RecoveryImage; report: RecoveryReport }> {
  const t0 = performance.now();
  const { dir, tokens, log } = options;
  const now = options.now ?? Date.now;
  const io = options.io ?? fileJournalIo;
  const snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  await mkdir(dir, { recursive: true });
  const pause = io.lockPause?.bind(io);
  const lock = await acquireDirLock(dir, { now, ...(pause ? { pause } : {}) });
  try {
    const names = await readdir(dir);
    // Leftovers of a snapshot or a quarantine copy interrupted by a crash.
    for (const n of names) if ((n.startsWith('snapshot-') || n.includes(QUARANTINE)) && n.endsWith('.tmp')) await rm(join(dir, n), { force: true });

    // 1. The newest snapshot that reads back whole.
    let base: RecoveryImage = { seq: 0, portfolios: new Map() };
    const skippedSnapshots: string[] = [];
    for (const s of snapshotNames(names)) {
      try {
        base = await readSnapshot(join(dir, s.name));
        break;
      } catch (err) {
        skippedSnapshots.push(`${s.name}: ${describe(err)}`);
        log?.warn({ snapshot: s.name, err: describe(err) }, 'journal: unreadable snapshot skipped');
      }
    }
    const recovery = createRecovery(tokens.sol, base);
    const indexes = recovery.indexes;

    // 2. The records after it, from the segment that holds seq + 1 on.
    const segments = segmentNames(names);
    let from = 0;
    for (let i = 0; i < segments.length; i++) if ((segments[i]?.firstSeq ?? Infinity) <= base.seq + 1) from = i;
    if (base.seq > 0 && segments.length === 0) {
      throw new JournalCorruptError(`journal in ${dir}: the snapshot is at sequence ${base.seq} but there are no segment files; refusing to start`);
    }
    let lastSeq = segments[from] ? (segments[from]?.firstSeq ?? 1) - 1 : 0;
    let replayed = 0;
    let truncated: RecoveryReport['truncated'];
    for (let i = from; i < segments.length; i++) {
      const seg = segments[i];
      if (!seg) continue;
      const isLast = i === segments.length - 1;
      if (seg.firstSeq !== lastSeq + 1) {
        throw new JournalCorruptError(
          `journal in ${dir}: ${seg.name} starts at sequence ${seg.firstSeq} but the previous record is ${lastSeq}: records are missing; refusing to start`,
        );
      }
      const path = join(dir, seg.name);
      const buf = await readFile(path);
      const scan = scanSegment(buf, seg.firstSeq);
      for (const rec of scan.records) {
        lastSeq = rec.seq;
        if (rec.seq <= indexes.seq) continue;
        let event: LedgerEvent;
        try {
          if (isMarkJson(rec.event)) {
            const mark = markFromJson(rec.event);
            indexes.addMark(mark.portfolioId, rec.seq, markRef(mark, seg.firstSeq, rec.offset, rec.end - rec.offset));
            replayed++;
            continue;
          }
          event = eventFromJson(rec.event, tokens);
          recovery.apply(event, rec.seq, tradeRef(event, seg.firstSeq, rec.offset, rec.end - rec.offset));
        } catch (err) {
          throw new JournalCorruptError(
            `journal in ${dir}: record ${rec.seq} in ${seg.name} at byte ${rec.offset} has a valid checksum but cannot be applied: ${describe(err)}; refusing to start`,
          );
        }
        replayed++;
      }
      if (scan.bad) {
        const where = `${seg.name} at byte ${scan.bad.offset} (after sequence ${lastSeq})`;
        if (!isLast || scan.bad.validAfter) {
          throw new JournalCorruptError(
            `journal in ${dir} is corrupt in the middle: ${where}: ${scan.bad.reason}, and valid records follow. ` +
              'Refusing to start rather than lose or reorder acknowledged trades; inspect with `pte replay --data-dir`, restore the file from a backup, or move the data directory aside.',
          );
        }
        // Keep the bytes before cutting them: a whole record that fails its check was written
        // completely and may have been acknowledged, so the operator must be able to look at it.
        const { offset, reason, complete } = scan.bad;
        const bytes = buf.length - offset;
        const quarantine = await quarantineTail(dir, seg.name, offset, buf.subarray(offset));
        const fh = await open(path, 'r+');
        try {
          await fh.truncate(offset);
          await fh.sync();
        } finally {
          await fh.close();
        }
        truncated = { segment: seg.name, offset, bytes, reason, seq: lastSeq + 1, complete, quarantine };
        const fields = { segment: seg.name, offset, bytes, reason, seq: lastSeq + 1, quarantine, last_seq: lastSeq };
        if (complete) {
          log?.error(fields, 'journal: the last record is damaged (whole, but it fails its check): it may have been acknowledged; cut from the journal and kept in the quarantine file for inspection');
        } else log?.warn(fields, 'journal: torn tail cut back to the last valid record; its bytes are kept in the quarantine file');
      }
    }
    if (lastSeq < base.seq) {
      throw new JournalCorruptError(`journal in ${dir} ends at sequence ${lastSeq} but the snapshot is at ${base.seq}: records are missing; refusing to start`);
    }
    // 3. Every trade the index serves (each portfolio's since its last reset) must be readable: a
    // segment before the snapshot is not read above, so check that each one referred to is there.
    await checkIndexedSegments(dir, indexes.index, base.seq);

    // 4. Append to the last segment, or start the first one.
    const last = segments.at(-1);
    const activeName = last ? last.name : segmentName(lastSeq + 1);
    const fh = await open(join(dir, activeName), 'a');
    if (!last) await syncDir(dir);
    const size = (await stat(join(dir, activeName))).size;
    const image = recovery.image();
    const report: RecoveryReport = {
      dir,
      snapshotSeq: base.seq,
      skippedSnapshots,
      replayed,
      lastSeq,
      segments: Math.max(segments.length, 1),
      truncated,
      portfolios: image.portfolios.size,
      startupMs: performance.now() - t0,
    };
    const reader = createTradeReader(dir, tokens, options.tradeCache ?? DEFAULT_TRADE_CACHE);
    const activeFirstSeq = last ? last.firstSeq : lastSeq + 1;
    const journal = createWriter({ dir, fh, size, activeFirstSeq, lastSeq, snapshotSeq: base.seq, indexes, reader, snapshotEvery, segmentBytes, io, now, lock, options });
    return { journal, image, report };
  } catch (err) {
    await lock.release().catch(() => false); // the refusal matters more than a failed cleanup
    throw err;
  }
}

/**
 * Refuses to start (JournalCorruptError) when a segment file that the trade index refers to is
 * missing or shorter than the records it should hold: the service would answer SERVING, then fail
 * ListTrades and duplicate requests for those trades. Costs one pass over the index (40 bytes a
 * trade, in typed arrays) and one stat per segment referred to.
 */
async function checkIndexedSegments(dir: string, index: TradeIndex, snapshotSeq: number): Promise<void> {
  const need = new Map<number, { end: number; trades: number; portfolios: Set<string> }>();
  for (const [portfolioId, list] of index.entries()) {
    for (let i = 0; i < list.count; i++) {
      const ref = list.at(i);
      let n = need.get(ref.segment);
      if (!n) {
        n = { end: 0, trades: 0, portfolios: new Set() };
        need.set(ref.segment, n);
      }
      n.end = Math.max(n.end, ref.offset + ref.length);
      n.trades++;
      n.portfolios.add(portfolioId);
    }
  }
  for (const [segment, n] of [...need].sort((a, b) => a[0] - b[0])) {
    const name = segmentName(segment);
    const size = await stat(join(dir, name)).then(
      (s) => s.size,
      (err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      },
    );
    if (size !== undefined && size >= n.end) continue;
    const which = `${n.trades} trade${n.trades === 1 ? '' : 's'} of portfolio${n.portfolios.size === 1 ? '' : 's'} ${[...n.portfolios].sort().join(', ')}`;
    const problem = size === undefined ? `${name} is missing, but the trade index refers to ${which}` : `${name} is shorter than the trades it holds (${size} bytes, the trade index refers to ${which} up to byte ${n.end})`;
    throw new JournalCorruptError(
      `journal in ${dir}: ${problem} (index${snapshotSeq > 0 ? ` of the snapshot at sequence ${snapshotSeq}` : ''}); ` +
        'refusing to start rather than serve a history that lost acknowledged trades. Restore the file from a backup, or move the data directory aside.',
    );
  }
}

const QUARANTINE = '.quarantine-';

/**
 * Copies a bad tail to `<segment>.quarantine-<offset>` (fsynced, then renamed into place and the
 * directory synced) and returns that name. A file of that name with other bytes (an earlier incident
 * at the same offset) is kept: the copy then gets a `-2`, `-3`, ... suffix.
 */
async function quarantineTail(dir: string, segment: string, offset: number, bytes: Buffer): Promise<string> {
  for (let n = 1; ; n++) {
    const name = `${segment}${QUARANTINE}${offset}${n === 1 ? '' : `-${n}`}`;
    const existing = await readFile(join(dir, name)).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    });
    if (existing?.equals(bytes)) return name; // kept already, by a start-up that stopped before cutting
    if (existing) continue;
    const tmp = join(dir, `${name}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
    await syncDir(dir);
    return name;
  }
}

/** Where a mark's record is, with what the mark index keeps of it. */
function markRef(mark: MarkRecord, segment: number, offset: number, length: number): MarkRef {
  const value = Number(mark.valueUsd.n) / Number(mark.valueUsd.d);
  return { sequence: mark.sequence, atMs: mark.atMs, value: Number.isFinite(value) ? value : 0, segment, offset, length };
}

/** Where a trade event's record is; undefined for other events. */
function tradeRef(event: LedgerEvent, segment: number, offset: number, length: number): TradeRef | undefined {
  return event.kind === 'trade' ? { sequence: event.trade.sequence, segment, offset, length } : undefined;
}

interface WriterInit {
  readonly dir: string;
  readonly fh: FileHandle;
  readonly size: number;
  /** First sequence number of the segment being appended to (its name). */
  readonly activeFirstSeq: number;
  readonly reader: TradeReader;
  readonly lastSeq: number;
  readonly snapshotSeq: number;
  readonly indexes: JournalIndexes;
  readonly snapshotEvery: number;
  readonly segmentBytes: number;
  readonly io: JournalIo;
  readonly now: () => number;
  readonly lock: DirLock;
  readonly options: FileJournalOptions;
}

function createWriter(init: WriterInit): FileJournal {
  const { dir, indexes, reader, snapshotEvery, segmentBytes, io, now, options } = init;
  const { log, metrics } = options;
  let fh = init.fh;
  let size = init.size;
  let activeFirstSeq = init.activeFirstSeq;
  let nextSeq = init.lastSeq + 1;
  let durableSeq = init.lastSeq;
  let lastSnapshotSeq = init.snapshotSeq;
  /** The records waiting for the next write (while one is in flight, or about to start). */
  let queue: Group | undefined;
  let flushing: Promise<void> | undefined;
  let snapshotting: Promise<void> | undefined;
  let failure: Error | undefined;
  let closed = false;
  /** Where snapshot states come from: the executor's portfolio book (takeSnapshotsFrom). */
  let source: SnapshotSource | undefined;
  // Statistics: counts and a ring of recent fdatasync durations.
  const syncUs = new Float64Array(SYNC_SAMPLES);
  let syncs = 0;
  let appends = 0;
  let grouped = 0;
  let maxGroup = 0;
  let snapshots = 0;

  function fail(err: Error): void {
    if (failure) return;
    failure = err;
    metrics?.countFailure();
    log?.error({ err: describe(err), last_durable_seq: durableSeq }, 'journal: write failed; no further trades are accepted until a restart');
    try {
      options.onFailure?.(err);
    } catch {
      // the callback's failure must not mask the journal's
    }
  }

  async function rotate(): Promise<void> {
    await fh.close();
    const name = segmentName(durableSeq + 1);
    fh = await open(join(dir, name), 'a');
    size = 0;
    activeFirstSeq = durableSeq + 1;
    await syncDir(dir);
    log?.info({ segment: name }, 'journal: new segment');
  }

  /**
   * Called right after a group's appends resolved. The index lists are taken now, at the group's
   * last sequence; the states are read from the source in a microtask queued after the appends'
   * own reactions, in which the executor's book makes each event's state durable: both are then as
   * of that sequence (no later group can resolve before an fsync). See docs/durability.md.
   */
  function maybeSnapshot(): void {
    if (!source || snapshotEvery <= 0 || snapshotting || closed || durableSeq - lastSnapshotSeq < snapshotEvery) return;
    const seq = durableSeq;
    const lists = indexes.lists();
    const from = source;
    const t0 = performance.now();
    snapshotting = Promise.resolve()
      .then(async () => {
        const image = consistentImage(seq, from(), lists);
        if ('problem' in image) throw new Error(`the portfolio states disagree with the journal's index (${image.problem})`);
        const { bytes } = await writeSnapshot(dir, image, now());
        lastSnapshotSeq = seq;
        snapshots++;
        metrics?.countSnapshot(true);
        log?.info({ seq, bytes, ms: Math.round(performance.now() - t0) }, 'journal: snapshot written');
        // Keep the newest two: the older one is the fallback should the newest be damaged.
        for (const old of snapshotNames(await readdir(dir)).slice(2)) await rm(join(dir, old.name), { force: true });
      })
      .catch((err: unknown) => {
        metrics?.countSnapshot(false);
        log?.warn({ err: describe(err), seq }, 'journal: snapshot failed; start-up will replay more records');
      })
      .finally(() => {
        snapshotting = undefined;
      });
  }

  async function flushLoop(): Promise<void> {
    while (queue) {
      const group = queue;
      queue = undefined;
      if (failure) {
        group.reject(new JournalUnavailableError(`journal failed: ${failure.message}`));
        continue;
      }
      const { data, lengths } = group.layOut();
      const before = size;
      try {
        await io.write(fh, data);
        size += data.length;
        const t0 = process.hrtime.bigint();
        await io.datasync(fh);
        const us = Number(process.hrtime.bigint() - t0) / 1_000;
        syncUs[syncs % SYNC_SAMPLES] = us;
        syncs++;
        metrics?.observeSync(us / 1e6, lengths.length);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        // Cut the unacknowledged group back off, so the file holds only what was acknowledged.
        await fh.truncate(before).catch(() => undefined);
        fail(e);
        group.reject(new JournalUnavailableError(`journal write failed: ${e.message}`));
        continue;
      }
      grouped += lengths.length;
      maxGroup = Math.max(maxGroup, lengths.length);
      let offset = before;
      for (let i = 0; i < lengths.length; i++) {
        const length = lengths[i] ?? 0;
        const seq = group.firstSeq + i;
        durableSeq = seq;
        const event = group.events[i];
        if (event === undefined) {
          const mark = group.marks[i];
          if (mark) indexes.addMark(mark.portfolioId, seq, markRef(mark, activeFirstSeq, offset, length));
        } else {
          const ref = tradeRef(event, activeFirstSeq, offset, length);
          if (ref && event.kind === 'trade') reader.remember(ref, event.trade);
          indexes.addEvent(event, seq, ref);
        }
        offset += length;
      }
      group.resolve();
      if (size >= segmentBytes) {
        try {
          await rotate();
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
        }
      }
      maybeSnapshot();
    }
  }

  function kick(): void {
    // An idle journal starts its write at the end of this turn of the event loop rather than at
    // once: the records appended in the same turn (the marks of the group just made durable, the
    // requests read in one batch) then share one write and fdatasync, where the first of them would
    // otherwise go out alone and the rest wait for its fdatasync.
    flushing ??= nextTurn().then(flushLoop).finally(() => {
      flushing = undefined;
      if (queue) kick();
    });
  }

  function enqueue(encode: () => string, event: LedgerEvent | undefined, mark: MarkRecord | undefined): Promise<void> {
    if (failure) return Promise.reject(new JournalUnavailableError(`journal failed: ${failure.message}`));
    if (closed) return Promise.reject(new JournalUnavailableError('journal closed'));
    let text: string;
    try {
      text = encode();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const seq = nextSeq++;
    appends++;
    queue ??= new Group(seq);
    const durable = queue.add(text, event, mark);
    kick();
    return durable;
  }

  const marks = createMarkReader(dir, indexes.marks);

  return {
    ...createTradeHistory(indexes.index, reader.load),
    get failed() {
      return failure !== undefined;
    },
    append(event) {
      return enqueue(() => encodeEvent(event), event, undefined);
    },
    appendMark(mark) {
      return enqueue(() => encodeMark(mark), undefined, mark);
    },
    readMarks: marks.readMarks,
    takeSnapshotsFrom(from) {
      source = from;
    },
    stats() {
      const index = indexes.index.stats();
      const markStats = indexes.marks.stats();
      const n = Math.min(syncs, SYNC_SAMPLES);
      const sorted = Array.from(syncUs.subarray(0, n)).sort((a, b) => a - b);
      const pct = (p: number): number => (n === 0 ? 0 : (sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)] ?? 0));
      return {
        appends,
        syncs,
        lastSeq: durableSeq,
        queuedSeq: nextSeq - 1,
        failed: failure !== undefined,
        syncP50Us: pct(50),
        syncP99Us: pct(99),
        syncMaxUs: n === 0 ? 0 : (sorted[n - 1] ?? 0),
        meanGroupSize: syncs === 0 ? 0 : grouped / syncs,
        maxGroupSize: maxGroup,
        snapshots,
        indexedTrades: index.trades,
        indexBytes: index.bytes,
        indexedMarks: markStats.marks,
        markIndexBytes: markStats.bytes,
        tradeDiskReads: reader.diskReads,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      while (flushing) await flushing;
      while (snapshotting) await snapshotting;
      await fh.close().catch(() => undefined);
      if (!(await init.lock.release())) log?.warn({ lock: init.lock.path }, 'journal: LOCK no longer holds this process\'s record; left in place');
    },
  };
}
