/**
 * Snapshots: the recovery image (every portfolio's state and its trade index: where each trade since
 * its last reset is in the journal) as of one journal sequence number, so start-up reads the latest
 * snapshot and replays only the journal's tail. The trades themselves are not copied: they stay in the
 * journal, so a snapshot costs 40 bytes a trade (54 as base64), not a re-encoding of the history.
 * Written atomically: a temporary file, fsync, rename, fsync of the directory; a reader sees a whole
 * snapshot or none. The last line carries a CRC32 of everything before it, so a snapshot damaged on
 * disk is detected and skipped (start-up then falls back to an older one, or to the journal from its
 * start; so does a version 1 snapshot, which held whole trades).
 *
 * File `snapshot-<seq, 16 digits>.json`, one JSON value per line:
 *   {"format":"pte-snapshot","version":3,"seq":S,"portfolios":P,"trades":T,"createdAtMs":...}
 *   {"state":{...},"trades":N,"marks":M}  a portfolio with N trades and M marks since its last reset, followed by
 *   {"index":"<base64>"}        its trade index entries (trade-index.ts ENTRY_BYTES each), oldest first
 *   {"marks":"<base64>"}        its mark index entries (mark-index.ts MARK_ENTRY_BYTES each), oldest first
 *   {"end":S,"crc":"xxxxxxxx"}  CRC32 of all the bytes above
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { stateFromJson, stateToJson } from './codec.js';
import type { PortfolioImage, RecoveryImage } from './image.js';
import { syncDir } from './fs-util.js';
import { MarkList } from './mark-index.js';
import { TradeList } from './trade-index.js';

const SNAPSHOT_NAME = /^snapshot-(\d{16})\.json$/;
export const snapshotName = (seq: number): string => `snapshot-${String(seq).padStart(16, '0')}.json`;

/** Snapshot files of a listing, newest first. */
export function snapshotNames(names: readonly string[]): { readonly name: string; readonly seq: number }[] {
  return names
    .flatMap((name) => {
      const m = SNAPSHOT_NAME.exec(name);
      return m?.[1] === undefined ? [] : [{ name, seq: Number(m[1]) }];
    })
    .sort((a, b) => b.seq - a.seq);
}

/** Index entries per line; the writer yields to the event loop after each, so a big snapshot never stalls trades. */
const CHUNK = 4_096;
const VERSION = 3;
/** Version 2 is version 3 without marks (written before marks existed): still read. */
const READS = [2, 3];

/**
 * The line `{"<key>":"<base64 of raw>"}` and its newline, as bytes: what JSON.stringify would write
 * (base64 needs no escaping), laid out directly rather than stringified and encoded again (the
 * index lines are nearly all of a snapshot's bytes).
 */
function base64Line(key: 'index' | 'marks', raw: Buffer): Buffer {
  const head = `{"${key}":"`;
  const text = raw.toString('base64');
  const line = Buffer.allocUnsafe(head.length + text.length + 3);
  let at = line.write(head, 0, 'latin1');
  at += line.write(text, at, 'latin1');
  line.write('"}\n', at, 'latin1');
  return line;
}

export async function writeSnapshot(dir: string, image: RecoveryImage, nowMs: number): Promise<{ readonly path: string; readonly bytes: number }> {
  const path = join(dir, snapshotName(image.seq));
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  let crc = 0;
  let bytes = 0;
  const write = async (data: string | Buffer): Promise<void> => {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    crc = crc32(buf, crc);
    let done = 0;
    while (done < buf.length) done += (await fh.write(buf, done, buf.length - done)).bytesWritten;
    bytes += buf.length;
  };
  try {
    let trades = 0;
    for (const p of image.portfolios.values()) trades += p.trades?.count ?? 0;
    await write(`${JSON.stringify({ format: 'pte-snapshot', version: VERSION, seq: image.seq, portfolios: image.portfolios.size, trades, createdAtMs: nowMs })}\n`);
    for (const p of image.portfolios.values()) {
      const count = p.trades?.count ?? 0;
      const markCount = p.marks?.count ?? 0;
      await write(`${JSON.stringify({ state: stateToJson(p.state), trades: count, marks: markCount })}\n`);
      for (let i = 0; p.trades && i < count; i += CHUNK) {
        await write(base64Line('index', p.trades.list.encode(i, Math.min(i + CHUNK, count))));
        await yieldToLoop();
      }
      for (let i = 0; p.marks && i < markCount; i += CHUNK) {
        await write(base64Line('marks', p.marks.list.encode(i, Math.min(i + CHUNK, markCount))));
        await yieldToLoop();
      }
    }
    const end = `${JSON.stringify({ end: image.seq, crc: crc.toString(16).padStart(8, '0') })}\n`;
    const endBuf = Buffer.from(end, 'utf8');
    await fh.write(endBuf);
    bytes += endBuf.length;
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  await syncDir(dir);
  return { path, bytes };
}

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

/** Reads and verifies a snapshot; SnapshotError names what is wrong. */
export async function readSnapshot(path: string): Promise<RecoveryImage> {
  const buf = await readFile(path);
  if (buf.length === 0 || buf[buf.length - 1] !== 0x0a) throw new SnapshotError(`${path}: incomplete (no final newline)`);
  const lastStart = buf.lastIndexOf(0x0a, buf.length - 2) + 1;
  let end: { end?: unknown; crc?: unknown };
  try {
    end = JSON.parse(buf.toString('utf8', lastStart)) as { end?: unknown; crc?: unknown };
  } catch {
    throw new SnapshotError(`${path}: no end line`);
  }
  const crc = crc32(buf.subarray(0, lastStart)).toString(16).padStart(8, '0');
  if (end.crc !== crc) throw new SnapshotError(`${path}: checksum mismatch`);
  const lines = buf.toString('utf8', 0, lastStart).split('\n');
  lines.pop(); // after the last newline
  const header = JSON.parse(lines[0] ?? '{}') as { format?: unknown; version?: unknown; seq?: unknown };
  if (header.format !== 'pte-snapshot' || typeof header.seq !== 'number' || header.seq !== end.end) throw new SnapshotError(`${path}: not a snapshot`);
  if (!READS.includes(header.version as number)) throw new SnapshotError(`${path}: format version ${String(header.version)}, this build reads versions ${READS.join(' and ')}`);
  const portfolios = new Map<string, PortfolioImage>();
  let current: { id: string; expected: number; list: TradeList; expectedMarks: number; marks: MarkList } | undefined;
  const close = (): void => {
    if (current && current.list.count !== current.expected) throw new SnapshotError(`portfolio ${current.id}: ${current.list.count} index entries where ${current.expected} were announced`);
    if (current && current.marks.count !== current.expectedMarks) throw new SnapshotError(`portfolio ${current.id}: ${current.marks.count} mark entries where ${current.expectedMarks} were announced`);
  };
  try {
    for (let i = 1; i < lines.length; i++) {
      const v = JSON.parse(lines[i] ?? '') as { state?: unknown; trades?: unknown; index?: unknown; marks?: unknown };
      if (v.state !== undefined) {
        close();
        const state = stateFromJson(v.state);
        if (typeof v.trades !== 'number' || !Number.isSafeInteger(v.trades) || v.trades < 0) throw new SnapshotError(`line ${i + 1}: no trade count`);
        const marks = v.marks ?? 0;
        if (typeof marks !== 'number' || !Number.isSafeInteger(marks) || marks < 0) throw new SnapshotError(`line ${i + 1}: bad mark count`);
        current = { id: state.portfolioId, expected: v.trades, list: new TradeList(), expectedMarks: marks, marks: new MarkList() };
        portfolios.set(state.portfolioId, {
          state,
          trades: v.trades > 0 ? { list: current.list, count: v.trades } : undefined,
          marks: marks > 0 ? { list: current.marks, count: marks } : undefined,
        });
      } else if (typeof v.index === 'string' && current) current.list.decodeAppend(Buffer.from(v.index, 'base64'));
      else if (typeof v.marks === 'string' && current) current.marks.decodeAppend(Buffer.from(v.marks, 'base64'));
      else throw new SnapshotError(`line ${i + 1}: neither a portfolio nor index entries of one`);
    }
    close();
  } catch (err) {
    throw new SnapshotError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { seq: header.seq, portfolios };
}
