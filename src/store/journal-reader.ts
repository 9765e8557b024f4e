/**
 * Reads a journal directory from its first record, read-only, for `pte replay` and `pte export`.
 * Every record is checked (checksum, sequence, decoding); snapshots are ignored, since the point is
 * to rebuild from the records alone. Damage in the middle throws JournalCorruptError; a bad last
 * record is reported, not cut (the service may be writing it, and cutting is start-up's job).
 *
 * It takes no lock and writes nothing (no file is created, truncated or renamed), so it may run while
 * a server owns the directory. What it then sees is a prefix of the journal: segments are only
 * appended to and never deleted, a record is one line, so every record acknowledged before a segment
 * is read is in what it reads; a line being written at that moment shows as an incomplete last record
 * and is left out.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LedgerEvent } from '../domain/ledger.js';
import type { TokenRegistry } from '../domain/tokens.js';
import type { MarkRecord } from '../executor/ports.js';
import { eventFromJson } from './codec.js';
import { isMarkJson, markFromJson } from './mark-codec.js';
import { JournalCorruptError, scanSegment, segmentNames } from './segment.js';

const PROGRESS_EVERY = 2_000;

export interface JournalReadReport {
  readonly records: number;
  readonly lastSeq: number;
  readonly segments: number;
  readonly bytes: number;
  /**
   * A bad last record: ignored here; the next start-up cuts it and keeps its bytes in a quarantine
   * file. `complete`: a whole record that fails its check (damaged since written, so it may have been
   * acknowledged), not an incomplete write. `seq`: the sequence number it would have had.
   */
  readonly tornTail: { readonly segment: string; readonly offset: number; readonly reason: string; readonly complete: boolean; readonly seq: number } | undefined;
}

export interface ReadJournalOptions {
  /** Called every few thousand records and after each segment with the bytes read so far and the total. */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Called for every mark record, in sequence order with the events (marks are not ledger events). */
  readonly visitMark?: (mark: MarkRecord, seq: number) => void | Promise<void>;
}

/** Calls `visit` for every record in sequence order and reports what it read. */
export async function readJournal(
  dir: string,
  tokens: TokenRegistry,
  visit: (event: LedgerEvent, seq: number) => void | Promise<void>,
  options: ReadJournalOptions = {},
): Promise<JournalReadReport> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new JournalCorruptError(`no journal: ${dir} does not exist`);
    throw err;
  }
  const segments = segmentNames(names);
  if (segments.length === 0) throw new JournalCorruptError(`no journal in ${dir}: no segment-*.log files`);
  const sizes = await Promise.all(segments.map(async (s) => (await stat(join(dir, s.name))).size));
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  let lastSeq = 0;
  let records = 0;
  let tornTail: JournalReadReport['tornTail'];
  if ((segments[0]?.firstSeq ?? 1) !== 1) {
    throw new JournalCorruptError(`journal in ${dir} starts at sequence ${segments[0]?.firstSeq}: earlier segments are missing`);
  }
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (!seg) continue;
    if (seg.firstSeq !== lastSeq + 1) {
      throw new JournalCorruptError(`journal in ${dir}: ${seg.name} starts at sequence ${seg.firstSeq} but the previous record is ${lastSeq}: records are missing`);
    }
    const buf = await readFile(join(dir, seg.name));
    const scan = scanSegment(buf, seg.firstSeq);
    for (const rec of scan.records) {
      let event: LedgerEvent | undefined;
      let mark: MarkRecord | undefined;
      try {
        // A mark (mark-codec.ts) is checked, and visited only by visitMark: it is no ledger event.
        if (isMarkJson(rec.event)) mark = markFromJson(rec.event);
        else event = eventFromJson(rec.event, tokens);
      } catch (err) {
        throw new JournalCorruptError(`journal in ${dir}: record ${rec.seq} in ${seg.name} does not decode: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (event) await visit(event, rec.seq);
      else if (mark && options.visitMark) await options.visitMark(mark, rec.seq);
      lastSeq = rec.seq;
      records++;
      if (records % PROGRESS_EVERY === 0) options.onProgress?.(done + rec.end, total);
    }
    if (scan.bad) {
      if (i !== segments.length - 1 || scan.bad.validAfter) {
        throw new JournalCorruptError(
          `journal in ${dir} is corrupt in the middle: ${seg.name} at byte ${scan.bad.offset} (after sequence ${lastSeq}): ${scan.bad.reason}, and valid records follow`,
        );
      }
      tornTail = { segment: seg.name, offset: scan.bad.offset, reason: scan.bad.reason, complete: scan.bad.complete, seq: lastSeq + 1 };
    }
    done += sizes[i] ?? 0;
    options.onProgress?.(done, total);
  }
  return { records, lastSeq, segments: segments.length, bytes: total, tornTail };
}
