/**
 * The journal's on-disk record format, shared by the writer, start-up recovery and the offline
 * readers (`pte replay`, `pte export`).
 *
 * A segment file `segment-<first seq, 16 digits>.log` holds one record per line:
 *
 *     <crc32 of the JSON, 8 lowercase hex digits> <JSON {"seq":N,"event":{...}}>\n
 *
 * One line per record keeps the files readable with grep and tail; the CRC covers the JSON bytes, and
 * the sequence number inside it makes a lost, repeated or reordered record detectable. A record is
 * complete only with its newline: a crash can leave a partial last line, never a partial middle one.
 */
import { crc32 } from 'node:zlib';

export const SEGMENT_PREFIX = 'segment-';
export const SEGMENT_SUFFIX = '.log';
const SEGMENT_NAME = /^segment-(\d{16})\.log$/;
const NEWLINE = 0x0a;

export const segmentName = (firstSeq: number): string => `${SEGMENT_PREFIX}${String(firstSeq).padStart(16, '0')}${SEGMENT_SUFFIX}`;

/** The first sequence number a segment's name declares, or undefined for any other file. */
export function segmentFirstSeq(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** Segment file names of a directory listing, in sequence order. */
export function segmentNames(names: readonly string[]): { readonly name: string; readonly firstSeq: number }[] {
  return names
    .flatMap((name) => {
      const firstSeq = segmentFirstSeq(name);
      return firstSeq === undefined ? [] : [{ name, firstSeq }];
    })
    .sort((a, b) => a.firstSeq - b.firstSeq);
}

export const crcHex = (data: Buffer | string): string => crc32(data).toString(16).padStart(8, '0');

/** One record line, newline included. `eventJson` is the codec's encoding of the event. */
export function encodeRecord(seq: number, eventJson: string): string {
  const json = `{"seq":${seq},"event":${eventJson}}`;
  return `${crcHex(json)} ${json}\n`;
}

/** `"xxxxxxxx "` + `{"seq":` + `,"event":` + `}` + newline: the bytes of a line besides the number and the event. */
const LINE_FIXED = 9 + 7 + 9 + 1 + 1;
const JSON_START = 9;
const HEX_DIGITS = '0123456789abcdef';

const decimalDigits = (n: number): number => {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  return digits;
};

/** The length in bytes of encodeRecord(seq, eventJson), newline included. */
export const recordLength = (seq: number, eventJson: string): number => LINE_FIXED + decimalDigits(seq) + Buffer.byteLength(eventJson, 'utf8');

/**
 * Writes the bytes of encodeRecord(seq, eventJson) into `buf` at `at` (which must have
 * recordLength(seq, eventJson) bytes free there) and returns how many it wrote. The event is encoded
 * to UTF-8 once, straight into place, and the CRC computed over those very bytes and written in
 * front: the writer lays a whole group of records into one buffer this way, with no buffer per
 * record and no copy to join them.
 */
export function writeRecord(buf: Buffer, at: number, seq: number, eventJson: string): number {
  const jsonStart = at + JSON_START;
  let end = jsonStart + buf.write(`{"seq":${seq},"event":`, jsonStart, 'latin1'); // ASCII
  end += buf.write(eventJson, end, 'utf8');
  buf[end++] = 0x7d; // }
  buf[end] = NEWLINE;
  // The CRC as 8 lowercase hex digits (crcHex), written as bytes.
  let crc = crc32(buf.subarray(jsonStart, end));
  for (let i = 7; i >= 0; i--, crc >>>= 4) buf[at + i] = HEX_DIGITS.charCodeAt(crc & 0xf);
  buf[at + 8] = 0x20;
  return end + 1 - at;
}

/** The bytes of encodeRecord(seq, eventJson) in a buffer of their own. */
export function encodeRecordBytes(seq: number, eventJson: string): Buffer {
  const line = Buffer.allocUnsafe(recordLength(seq, eventJson));
  writeRecord(line, 0, seq, eventJson);
  return line;
}

export interface ScannedRecord {
  readonly seq: number;
  /** The parsed event JSON, not yet decoded (decoding needs the token registry). */
  readonly event: unknown;
  /** Byte offset of the line in the segment, and the offset just past its newline. */
  readonly offset: number;
  readonly end: number;
}

export interface BadRecord {
  readonly offset: number;
  readonly reason: string;
  /** A valid record follows the bad one: this is damage in the middle, not a torn tail. */
  readonly validAfter: boolean;
  /**
   * The bad line is whole (it ends with its newline): a record that was written completely and is
   * damaged since (a flipped bit), which may have been acknowledged. false: an incomplete last line,
   * what a crash in the middle of a write leaves, never acknowledged.
   */
  readonly complete: boolean;
}

export interface SegmentScan {
  readonly records: readonly ScannedRecord[];
  /** The first line that is not a valid record; everything from it on is not trusted. */
  readonly bad: BadRecord | undefined;
}

export type LineCheck = { ok: true; seq: number; event: unknown } | { ok: false; reason: string };

/** Checks one record line (without its newline): checksum, JSON, sequence number. */
export function checkLine(buf: Buffer, start: number, end: number): LineCheck {
  // "xxxxxxxx " then at least "{}".
  if (end - start < 11 || buf[start + 8] !== 0x20) return { ok: false, reason: 'not a record line' };
  const crcText = buf.toString('latin1', start, start + 8);
  if (!/^[0-9a-f]{8}$/.test(crcText)) return { ok: false, reason: 'no checksum' };
  const json = buf.subarray(start + 9, end);
  if (crcHex(json) !== crcText) return { ok: false, reason: 'checksum mismatch' };
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    return { ok: false, reason: 'checksum matches but the record is not JSON' };
  }
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'not a record object' };
  const { seq, event } = value as { seq?: unknown; event?: unknown };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return { ok: false, reason: 'no valid sequence number' };
  return { ok: true, seq, event };
}

/**
 * Splits a segment into valid records up to the first bad line (bad checksum, not JSON, a partial
 * line with no newline, or a sequence number out of order). Whether a valid record follows the bad
 * line tells a torn tail from damage in the middle.
 */
export function scanSegment(buf: Buffer, expectedFirstSeq: number): SegmentScan {
  const records: ScannedRecord[] = [];
  let offset = 0;
  let expected = expectedFirstSeq;
  while (offset < buf.length) {
    const nl = buf.indexOf(NEWLINE, offset);
    if (nl === -1) return { records, bad: { offset, reason: 'incomplete last record (no newline)', validAfter: false, complete: false } };
    const line = checkLine(buf, offset, nl);
    let reason: string | undefined;
    if (!line.ok) reason = line.reason;
    else if (line.seq !== expected) reason = `sequence ${line.seq} where ${expected} was expected`;
    if (reason !== undefined || !line.ok) {
      return { records, bad: { offset, reason: reason ?? 'bad record', validAfter: anyValidLineAfter(buf, nl + 1), complete: true } };
    }
    records.push({ seq: line.seq, event: line.event, offset, end: nl + 1 });
    expected++;
    offset = nl + 1;
  }
  return { records, bad: undefined };
}

function anyValidLineAfter(buf: Buffer, from: number): boolean {
  let offset = from;
  while (offset < buf.length) {
    const nl = buf.indexOf(NEWLINE, offset);
    if (nl === -1) return false;
    if (checkLine(buf, offset, nl).ok) return true;
    offset = nl + 1;
  }
  return false;
}

/** The journal cannot be trusted: damage before its end, a gap, a record that does not decode. */
export class JournalCorruptError extends Error {
  override readonly name = 'JournalCorruptError';
}
