import type { CsvRecord } from './csv.js';

/**
 * Typed reads of one CSV row by column name. Each throws RowError with the column's name, which the
 * loaders turn into "line N: ..." and a skipped row: a bad cell is never read as something else.
 */
export class RowError extends Error {
  override readonly name = 'RowError';
}

export interface Row {
  readonly line: number;
  has(column: string): boolean;
  /** The trimmed cell; '' when the column is absent. */
  text(column: string): string;
  /** A whole number >= 0 (no sign, no decimals, no exponent). */
  uint(column: string): bigint;
  optionalUint(column: string): bigint | undefined;
  /** A whole number that may be negative. */
  int(column: string): bigint;
  bool(column: string): boolean;
}

/** A row reader over `record`, for a file whose header maps names to positions. */
export function rowOf(record: CsvRecord, index: ReadonlyMap<string, number>, width: number): Row {
  if (record.fields.length !== width) {
    throw new RowError(`has ${record.fields.length} fields, the header has ${width}`);
  }
  const text = (c: string): string => {
    const i = index.get(c);
    return i === undefined ? '' : (record.fields[i] ?? '').trim();
  };
  const uint = (c: string): bigint => {
    const v = text(c);
    if (!/^\d+$/.test(v)) throw new RowError(`${c}: ${JSON.stringify(v.slice(0, 40))} is not a whole number >= 0`);
    return BigInt(v);
  };
  return {
    line: record.line,
    has: (c) => index.has(c) && text(c) !== '',
    text,
    uint,
    optionalUint: (c) => (index.has(c) && text(c) !== '' ? uint(c) : undefined),
    int(c) {
      const v = text(c);
      if (!/^-?\d+$/.test(v)) throw new RowError(`${c}: ${JSON.stringify(v.slice(0, 40))} is not a whole number`);
      return BigInt(v);
    },
    bool(c) {
      const v = text(c).toLowerCase();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      throw new RowError(`${c}: ${JSON.stringify(v.slice(0, 40))} is not true or false`);
    },
  };
}

/** Column name -> position; a header naming a column twice is refused (which one would be meant?). */
export function headerIndex(header: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    const key = h.toLowerCase();
    if (index.has(key)) throw new RowError(`the header names column ${JSON.stringify(h)} twice`);
    index.set(key, i);
  });
  return index;
}
