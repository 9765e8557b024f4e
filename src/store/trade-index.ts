/**
 * The idempotency index and trade history of every portfolio, in 40 bytes a trade.
 *
 * The trades themselves stay in the journal; what the process keeps is, per portfolio and since its
 * last reset, one fixed-size entry per trade: its request_id (a UUID, as 128 bits), its portfolio
 * sequence number (what ListTrades pages by) and where its record lies in the journal (segment,
 * byte offset, length). Entries live in typed arrays, outside the JavaScript heap, with an
 * open-addressing hash table over the request ids, so a duplicate check is a few array reads and
 * memory grows by 48 bytes per entry of capacity (40 of entry, 8 of hash table; 48-96 a trade as
 * the arrays double) instead of by a decoded trade object (about 2.6 KB).
 *
 * A list is append-only: entries [0, count) never change, so a snapshot can capture (list, count)
 * and encode it later while trades go on being added. A reset replaces the list instead of clearing it.
 *
 * Request ids are UUIDs and compared as UUIDs: case-insensitively (RFC 9562).
 */

/** Where one trade's journal record is, and the portfolio sequence number of the trade. */
export interface TradeRef {
  /** The trade's sequence number in its portfolio (Trade.sequence). */
  readonly sequence: number;
  /** The first journal sequence number of the segment that holds the record (its file name). */
  readonly segment: number;
  /** Byte offset of the record line in the segment, and its length with the newline. */
  readonly offset: number;
  readonly length: number;
}

/** Bytes of one entry in a snapshot: sequence f64, segment f64, offset u32, length u32, id 4 x u32. */
export const ENTRY_BYTES = 40;
const INITIAL = 16;

/** The 128 bits of the UUID being added or looked up, filled by uuidWords. */
const words = new Uint32Array(4);

/** The value of a hexadecimal digit (either case), or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1; // a-f, A-F
}

/**
 * Reads a UUID's 128 bits into `words` (four unsigned 32-bit words, most significant first);
 * false for anything else. Accepted: 32 hexadecimal digits in either case, with a hyphen allowed
 * (not required) after the 8th, 12th, 16th and 20th, which is the pattern
 * /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i read in one pass (this runs
 * for every trade booked and every duplicate check).
 */
function uuidWords(id: string): boolean {
  if (id.length < 32 || id.length > 36) return false;
  let digits = 0;
  let word = 0;
  let hyphenAfter = -1;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === 45 && hyphenAfter !== digits && (digits === 8 || digits === 12 || digits === 16 || digits === 20)) {
      hyphenAfter = digits;
      continue;
    }
    const v = hexValue(c);
    if (v < 0 || digits === 32) return false;
    word = (word << 4) | v;
    digits++;
    if ((digits & 7) === 0) {
      words[(digits >> 3) - 1] = word >>> 0;
      word = 0;
    }
  }
  return digits === 32;
}

function hashWords(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x2545f491, 0x9e3779b1);
  h = Math.imul(h ^ b ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ c ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ d ^ (h >>> 16), 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

/** The trades of one portfolio since its last reset, oldest first. */
export class TradeList {
  #count = 0;
  #sequence = new Float64Array(INITIAL);
  #segment = new Float64Array(INITIAL);
  #offset = new Uint32Array(INITIAL);
  #length = new Uint32Array(INITIAL);
  #ids = new Uint32Array(INITIAL * 4);
  /** Open addressing, linear probing: entry position + 1, 0 = empty. Kept at most half full. */
  #slots = new Int32Array(INITIAL * 2);

  get count(): number {
    return this.#count;
  }

  /** Bytes held by the arrays (for the soak benchmark and the docs). */
  get bytes(): number {
    return this.#sequence.byteLength + this.#segment.byteLength + this.#offset.byteLength + this.#length.byteLength + this.#ids.byteLength + this.#slots.byteLength;
  }

  /** Appends a trade. A request id already in the list keeps pointing at its first trade. */
  add(requestId: string, ref: TradeRef): void {
    if (!uuidWords(requestId)) throw new Error(`request_id ${JSON.stringify(requestId.slice(0, 64))} is not a UUID`);
    this.#append(words, ref);
  }

  #append(w: ArrayLike<number>, ref: TradeRef): void {
    if (this.#count === this.#sequence.length) this.#grow();
    const i = this.#count++;
    this.#sequence[i] = ref.sequence;
    this.#segment[i] = ref.segment;
    this.#offset[i] = ref.offset;
    this.#length[i] = ref.length;
    this.#ids.set(w, i * 4);
    this.#insertSlot(i);
  }

  #insertSlot(i: number): void {
    const ids = this.#ids;
    const a = ids[i * 4] ?? 0;
    const b = ids[i * 4 + 1] ?? 0;
    const c = ids[i * 4 + 2] ?? 0;
    const d = ids[i * 4 + 3] ?? 0;
    const mask = this.#slots.length - 1;
    for (let s = hashWords(a, b, c, d) & mask; ; s = (s + 1) & mask) {
      const at = this.#slots[s] ?? 0;
      if (at === 0) {
        this.#slots[s] = i + 1;
        return;
      }
      if (this.#same(at - 1, a, b, c, d)) return;
    }
  }

  #same(j: number, a: number, b: number, c: number, d: number): boolean {
    const ids = this.#ids;
    return ids[j * 4] === a && ids[j * 4 + 1] === b && ids[j * 4 + 2] === c && ids[j * 4 + 3] === d;
  }

  #grow(): void {
    const cap = this.#sequence.length * 2;
    const widen = <T extends Float64Array | Uint32Array>(old: T, make: (n: number) => T, n: number): T => {
      const next = make(n);
      next.set(old);
      return next;
    };
    this.#sequence = widen(this.#sequence, (n) => new Float64Array(n), cap);
    this.#segment = widen(this.#segment, (n) => new Float64Array(n), cap);
    this.#offset = widen(this.#offset, (n) => new Uint32Array(n), cap);
    this.#length = widen(this.#length, (n) => new Uint32Array(n), cap);
    this.#ids = widen(this.#ids, (n) => new Uint32Array(n), cap * 4);
    this.#slots = new Int32Array(cap * 2);
    for (let i = 0; i < this.#count; i++) this.#insertSlot(i);
  }

  /** Position of the request id's trade, or -1. A string that is not a UUID is never found. */
  find(requestId: string): number {
    if (!uuidWords(requestId)) return -1;
    const a = words[0] ?? 0;
    const b = words[1] ?? 0;
    const c = words[2] ?? 0;
    const d = words[3] ?? 0;
    const mask = this.#slots.length - 1;
    for (let s = hashWords(a, b, c, d) & mask; ; s = (s + 1) & mask) {
      const at = this.#slots[s] ?? 0;
      if (at === 0) return -1;
      if (this.#same(at - 1, a, b, c, d)) return at - 1;
    }
  }

  at(i: number): TradeRef {
    if (!Number.isInteger(i) || i < 0 || i >= this.#count) throw new RangeError(`no trade at position ${i} of ${this.#count}`);
    return { sequence: this.#sequence[i] ?? 0, segment: this.#segment[i] ?? 0, offset: this.#offset[i] ?? 0, length: this.#length[i] ?? 0 };
  }

  /**
   * The newest `limit` trades among the first `upTo` with a sequence below `before`, newest first,
   * and whether older ones remain. Sequences increase along the list, so this is a binary search.
   */
  page(before: number, limit: number, upTo = this.#count): { readonly refs: TradeRef[]; readonly more: boolean } {
    let lo = 0;
    let hi = Math.min(upTo, this.#count);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#sequence[mid] ?? 0) < before) lo = mid + 1;
      else hi = mid;
    }
    const refs: TradeRef[] = [];
    for (let i = lo - 1; i >= 0 && refs.length < limit; i--) refs.push(this.at(i));
    return { refs, more: lo - refs.length > 0 };
  }

  /** Entries [from, to) packed for a snapshot (ENTRY_BYTES each, little-endian). */
  encode(from: number, to: number): Buffer {
    const end = Math.min(to, this.#count);
    const buf = Buffer.alloc(Math.max(0, end - from) * ENTRY_BYTES);
    // A DataView's setters are several times faster than Buffer's write*LE (a snapshot packs every trade).
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const ids = this.#ids;
    for (let i = from, o = 0; i < end; i++, o += ENTRY_BYTES) {
      view.setFloat64(o, this.#sequence[i] ?? 0, true);
      view.setFloat64(o + 8, this.#segment[i] ?? 0, true);
      view.setUint32(o + 16, this.#offset[i] ?? 0, true);
      view.setUint32(o + 20, this.#length[i] ?? 0, true);
      for (let k = 0; k < 4; k++) view.setUint32(o + 24 + k * 4, ids[i * 4 + k] ?? 0, true);
    }
    return buf;
  }

  /** Appends entries packed by `encode`. */
  decodeAppend(buf: Buffer): void {
    if (buf.length % ENTRY_BYTES !== 0) throw new Error(`trade index chunk of ${buf.length} bytes is not a whole number of entries`);
    for (let o = 0; o < buf.length; o += ENTRY_BYTES) {
      const ref = { sequence: buf.readDoubleLE(o), segment: buf.readDoubleLE(o + 8), offset: buf.readUInt32LE(o + 16), length: buf.readUInt32LE(o + 20) };
      const last = this.#count > 0 ? (this.#sequence[this.#count - 1] ?? 0) : -Infinity;
      if (!Number.isSafeInteger(ref.sequence) || ref.sequence <= last || !Number.isSafeInteger(ref.segment) || ref.segment < 1 || ref.length === 0) {
        throw new Error(`trade index entry ${this.#count} is not valid`);
      }
      this.#append([buf.readUInt32LE(o + 24), buf.readUInt32LE(o + 28), buf.readUInt32LE(o + 32), buf.readUInt32LE(o + 36)], ref);
    }
  }
}

/** The trade lists of every portfolio. */
export class TradeIndex {
  readonly #lists = new Map<string, TradeList>();

  list(portfolioId: string): TradeList | undefined {
    return this.#lists.get(portfolioId);
  }

  add(portfolioId: string, requestId: string, ref: TradeRef): void {
    let list = this.#lists.get(portfolioId);
    if (!list) {
      list = new TradeList();
      this.#lists.set(portfolioId, list);
    }
    list.add(requestId, ref);
  }

  /** Forgets the portfolio's trades (a reset). Lists captured earlier keep their entries. */
  reset(portfolioId: string): void {
    this.#lists.delete(portfolioId);
  }

  set(portfolioId: string, list: TradeList): void {
    this.#lists.set(portfolioId, list);
  }

  entries(): IterableIterator<[string, TradeList]> {
    return this.#lists.entries();
  }

  /** Total entries and bytes held. */
  stats(): { readonly trades: number; readonly bytes: number } {
    let trades = 0;
    let bytes = 0;
    for (const l of this.#lists.values()) {
      trades += l.count;
      bytes += l.bytes;
    }
    return { trades, bytes };
  }
}
