/**
 * A small RFC 4180 reader that keeps each record's line number, so every complaint about a row can
 * name the line a person opens in an editor. Quoted fields may hold commas, doubled quotes and line
 * breaks; CRLF and LF both end a record. No type conversion happens here.
 */

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  readonly line: number;
  readonly fields: readonly string[];
}

export interface CsvTable {
  readonly header: readonly string[];
  readonly records: readonly CsvRecord[];
}

/** The file cannot be read as CSV at all (e.g. an unterminated quote); names the line. */
export class CsvError extends Error {
  override readonly name = 'CsvError';
  readonly line: number;

  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

/** Splits `text` into a header and records; blank lines are ignored. */
export function parseCsv(text: string): CsvTable {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  while (i < body.length) {
    const c = body[i];
    if (c === '"' && field === '') {
      const start = line;
      i++;
      for (;;) {
        if (i >= body.length) throw new CsvError('unterminated quoted field', start);
        const q = body[i];
        if (q === '"') {
          if (body[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === '\n') line++;
        field += q ?? '';
        i++;
      }
      const next = body[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new CsvError('text after a closing quote', line);
      }
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      i++;
    } else if (c === '\r' && body[i + 1] === '\n') {
      i++;
    } else if (c === '\n') {
      endRecord();
      line++;
      recordLine = line;
      i++;
    } else {
      field += c ?? '';
      i++;
    }
  }
  if (field !== '' || fields.length > 0) endRecord();
  const [head, ...rest] = records;
  if (!head) throw new CsvError('the file is empty: expected a header row', 1);
  return { header: head.fields.map((h) => h.trim()), records: rest };
}
