/**
 * Where each portfolio's marks are in the journal, in 40 bytes a mark, outside the JavaScript heap.
 *
 * The marks themselves stay in the journal's segments; per portfolio, since its last reset, the index
 * keeps one fixed-size entry per mark: its ledger sequence, its time, its value as a double (only to
 * choose which marks to read when a range must be thinned, never as money) and where its record lies
 * (segment, byte offset, length). A report reads the entries of its range and then only the records
 * it needs, so no mark is held in memory between reports.
 *
 * Like the trade index, a list is append-only (a snapshot captures (list, count)), and a reset
 * replaces the portfolio's list instead of clearing it.
 */
import { selectMarks, type MarkSeries } from './mark-thinning.js';

/** Where one mark's record is, with what the index keeps of the mark. */
export interface MarkRef {
  readonly sequence: number;
  readonly atMs: number;
  /** The mark's USD value as a double: for thinning a range only. */
  readonly value: number;
  /** The first journal sequence number of the segment that holds the record (its file name). */
  readonly segment: number;
  /** Byte offset of the record line in the segment, and its length with the newline. */
  readonly offset: number;
  readonly length: number;
}

/** Bytes of one entry in a snapshot: sequence, atMs, value, segment (f64 each), offset, length (u32 each). */
export const MARK_ENTRY_BYTES = 40;
const INITIAL = 16;

/** The marks of one portfolio since its last reset, in time order. */
export class MarkList {
  #count = 0;
  #f64 = new Float64Array(INITIAL * 4);
  #u32 = new Uint32Array(INITIAL * 2);

  get count(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#f64.byteLength + this.#u32.byteLength;
  }

  add(ref: MarkRef): void {
    if (this.#count * 4 === this.#f64.length) {
      const f = new Float64Array(this.#f64.length * 2);
      f.set(this.#f64);
      this.#f64 = f;
      const u = new Uint32Array(this.#u32.length * 2);
      u.set(this.#u32);
      this.#u32 = u;
    }
    const i = this.#count++;
    const f = this.#f64;
    const u = this.#u32;
    f[i * 4] = ref.sequence;
    f[i * 4 + 1] = ref.atMs;
    f[i * 4 + 2] = ref.value;
    f[i * 4 + 3] = ref.segment;
    u[i * 2] = ref.offset;
    u[i * 2 + 1] = ref.length;
  }

  at(i: number): MarkRef {
    if (!Number.isInteger(i) || i < 0 || i >= this.#count) throw new RangeError(`no mark at position ${i} of ${this.#count}`);
    const f = this.#f64;
    const u = this.#u32;
    return { sequence: f[i * 4] ?? 0, atMs: f[i * 4 + 1] ?? 0, value: f[i * 4 + 2] ?? 0, segment: f[i * 4 + 3] ?? 0, offset: u[i * 2] ?? 0, length: u[i * 2 + 1] ?? 0 };
  }

  /**
   * Positions of the range's marks among the first `upTo`: the last mark at or before `fromMs` (else
   * the first), through the last one at or before `toMs`, thinned to `limit` (mark-thinning.ts).
   */
  select(fromMs: number | undefined, toMs: number | undefined, limit: number, upTo = this.#count): { readonly positions: number[]; readonly inRange: number } {
    const f = this.#f64;
    const series: MarkSeries = {
      count: Math.min(upTo, this.#count),
      atMs: (i) => f[i * 4 + 1] ?? 0,
      value: (i) => f[i * 4 + 2] ?? 0,
    };
    return selectMarks(series, fromMs, toMs, limit);
  }

  /** Entries [from, to) packed for a snapshot (MARK_ENTRY_BYTES each, little-endian). */
  encode(from: number, to: number): Buffer {
    const end = Math.min(to, this.#count);
    const buf = Buffer.alloc(Math.max(0, end - from) * MARK_ENTRY_BYTES);
    // A DataView's setters are several times faster than Buffer's write*LE (a snapshot packs every mark).
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const f = this.#f64;
    const u = this.#u32;
    for (let i = from, o = 0; i < end; i++, o += MARK_ENTRY_BYTES) {
      view.setFloat64(o, f[i * 4] ?? 0, true); // sequence
      view.setFloat64(o + 8, f[i * 4 + 1] ?? 0, true); // atMs
      view.setFloat64(o + 16, f[i * 4 + 2] ?? 0, true); // value
      view.setFloat64(o + 24, f[i * 4 + 3] ?? 0, true); // segment
      view.setUint32(o + 32, u[i * 2] ?? 0, true); // offset
      view.setUint32(o + 36, u[i * 2 + 1] ?? 0, true); // length
    }
    return buf;
  }

  decodeAppend(buf: Buffer): void {
    if (buf.length % MARK_ENTRY_BYTES !== 0) throw new Error(`mark index chunk of ${buf.length} bytes is not a whole number of entries`);
    for (let o = 0; o < buf.length; o += MARK_ENTRY_BYTES) {
      const ref = {
        sequence: buf.readDoubleLE(o),
        atMs: buf.readDoubleLE(o + 8),
        value: buf.readDoubleLE(o + 16),
        segment: buf.readDoubleLE(o + 24),
        offset: buf.readUInt32LE(o + 32),
        length: buf.readUInt32LE(o + 36),
      };
      if (!Number.isSafeInteger(ref.sequence) || !Number.isFinite(ref.atMs) || !Number.isSafeInteger(ref.segment) || ref.segment < 1 || ref.length === 0) {
        throw new Error(`mark index entry ${this.#count} is not valid`);
      }
      this.add(ref);
    }
  }
}

/** The mark lists of every portfolio. */
export class MarkIndex {
  readonly #lists = new Map<string, MarkList>();

  list(portfolioId: string): MarkList | undefined {
    return this.#lists.get(portfolioId);
  }

  add(portfolioId: string, ref: MarkRef): void {
    let list = this.#lists.get(portfolioId);
    if (!list) {
      list = new MarkList();
      this.#lists.set(portfolioId, list);
    }
    list.add(ref);
  }

  /** A reset starts a new series. Lists captured earlier keep their entries. */
  reset(portfolioId: string): void {
    this.#lists.delete(portfolioId);
  }

  set(portfolioId: string, list: MarkList): void {
    this.#lists.set(portfolioId, list);
  }

  entries(): IterableIterator<[string, MarkList]> {
    return this.#lists.entries();
  }

  stats(): { readonly marks: number; readonly bytes: number } {
    let marks = 0;
    let bytes = 0;
    for (const l of this.#lists.values()) {
      marks += l.count;
      bytes += l.bytes;
    }
    return { marks, bytes };
  }
}
