/**
 * A local stand-in for QuestDB's HTTP ingestion endpoint, for tests and the benchmark (no QuestDB
 * server can be installed on these machines; docs/questdb.md says how to run against a real one).
 *
 * It serves what the official client talks to: GET /settings (the client reads
 * `line.proto.support.versions` from it to pick the protocol) and POST /write with InfluxDB line
 * protocol, text (v1) and with binary doubles (v2). It parses strictly: a malformed line, a type
 * that changes between rows, a missing designated timestamp rejects the whole request with 400 and
 * a JSON error, like QuestDB, and nothing of it is kept. Accepted rows are kept deduplicated as the
 * DDL's `DEDUP UPSERT KEYS` would: `trades` on (timestamp, trade_id), `portfolio_marks` on
 * (timestamp, portfolio_id, sequence). Faults on demand: refuse (the
 * port is closed), reset (connections dropped), error (500), stall (requests never answered).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type IlpValue =
  | { readonly type: 'long'; readonly value: bigint }
  | { readonly type: 'double'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'timestamp'; readonly value: bigint };

export interface IlpRow {
  readonly table: string;
  readonly symbols: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, IlpValue>>;
  /** Designated timestamp in microseconds. */
  readonly timestampUs: bigint;
}

/** A line the parser refused; `line` is 1-based within the request. */
export class IlpError extends Error {
  override readonly name = 'IlpError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`error in line ${line}: ${message}`);
  }
}

const NL = 0x0a;
const SPACE = 0x20;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CR = 0x0d;
const BINARY_DOUBLE = 16;
/** Characters QuestDB refuses in table and column names. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it must refuse
const BAD_NAME = /[?.,'"\\/:()+*%~\u0000-\u001f\u007f]|^-|^$/;
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-?Infinity$|^NaN$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export type Precision = 'n' | 'u' | 'ms';

/** Parses a /write body; throws IlpError at the first bad line. */
export function parseIlp(body: Buffer, precision: Precision = 'n'): IlpRow[] {
  const rows: IlpRow[] = [];
  let i = 0;
  let line = 0;
  const at = (): number | undefined => body[i];
  /** Reads an unescaped token up to one of the stop bytes; backslash escapes the next byte. */
  const token = (stops: readonly number[], what: string): string => {
    const bytes: number[] = [];
    while (i < body.length) {
      const b = body[i] as number;
      if (b === BACKSLASH) {
        const next = body[i + 1];
        if (next === undefined) throw new IlpError(`${what} ends with a lone backslash`, line);
        bytes.push(next);
        i += 2;
        continue;
      }
      if (stops.includes(b)) break;
      if (b === NL || b === CR) throw new IlpError(`unexpected end of line in ${what}`, line);
      bytes.push(b);
      i++;
    }
    return Buffer.from(bytes).toString('utf8');
  };
  const name = (stops: readonly number[], what: string): string => {
    const n = token(stops, what);
    if (BAD_NAME.test(n)) throw new IlpError(`invalid ${what} ${JSON.stringify(n)}`, line);
    return n;
  };
  const timestamp = (text: string, suffixless: Precision): bigint => {
    const m = /^(-?\d+)([tnm]?)$/.exec(text);
    if (!m?.[1]) throw new IlpError(`invalid timestamp ${JSON.stringify(text)}`, line);
    const v = BigInt(m[1]);
    const unit = m[2] === 't' ? 'u' : m[2] === 'n' ? 'n' : m[2] === 'm' ? 'ms' : suffixless;
    return unit === 'n' ? v / 1000n : unit === 'ms' ? v * 1000n : v;
  };

  while (i < body.length) {
    line++;
    if (at() === NL) {
      i++;
      continue; // blank line
    }
    const table = name([COMMA, SPACE], 'table name');
    const symbols: Record<string, string> = {};
    const fields: Record<string, IlpValue> = {};
    const seen = new Set<string>();
    const column = (n: string): void => {
      if (seen.has(n)) throw new IlpError(`duplicate column ${JSON.stringify(n)}`, line);
      seen.add(n);
    };
    while (at() === COMMA) {
      i++;
      const key = name([EQUALS, COMMA, SPACE], 'symbol name');
      if (at() !== EQUALS) throw new IlpError(`symbol ${JSON.stringify(key)} has no '='`, line);
      i++;
      const value = token([COMMA, SPACE], 'symbol value');
      if (value === '') throw new IlpError(`symbol ${JSON.stringify(key)} has an empty value`, line);
      column(key);
      symbols[key] = value;
    }
    if (at() !== SPACE) throw new IlpError('expected a space before the fields', line);
    i++;
    for (;;) {
      const key = name([EQUALS, COMMA, SPACE], 'column name');
      if (at() !== EQUALS) throw new IlpError(`column ${JSON.stringify(key)} has no '='`, line);
      i++;
      column(key);
      if (at() === QUOTE) {
        i++;
        const bytes: number[] = [];
        for (;;) {
          const b = body[i];
          if (b === undefined) throw new IlpError(`unterminated string in column ${JSON.stringify(key)}`, line);
          if (b === BACKSLASH) {
            const next = body[i + 1];
            if (next === undefined) throw new IlpError(`unterminated string in column ${JSON.stringify(key)}`, line);
            bytes.push(next);
            i += 2;
            continue;
          }
          if (b === NL) throw new IlpError(`unescaped line break in string column ${JSON.stringify(key)}`, line);
          i++;
          if (b === QUOTE) break;
          bytes.push(b);
        }
        fields[key] = { type: 'string', value: Buffer.from(bytes).toString('utf8') };
      } else if (at() === EQUALS) {
        const type = body[i + 1];
        if (type !== BINARY_DOUBLE) throw new IlpError(`unsupported binary type ${String(type)} in column ${JSON.stringify(key)}`, line);
        if (i + 10 > body.length) throw new IlpError(`truncated binary double in column ${JSON.stringify(key)}`, line);
        fields[key] = { type: 'double', value: body.readDoubleLE(i + 2) };
        i += 10;
      } else {
        const text = token([COMMA, SPACE, NL], `column ${JSON.stringify(key)}`);
        fields[key] = scalar(text, key, line);
      }
      if (at() === COMMA) {
        i++;
        continue;
      }
      break;
    }
    if (at() !== SPACE) throw new IlpError('missing designated timestamp (this receiver requires one, as the trades table is deduplicated on it)', line);
    i++;
    const tsText = token([NL], 'timestamp');
    const timestampUs = timestamp(tsText, precision);
    if (at() === NL) i++;
    else if (i < body.length) throw new IlpError('trailing characters after the timestamp', line);
    rows.push({ table, symbols, fields, timestampUs });
  }
  return rows;

  function scalar(text: string, key: string, ln: number): IlpValue {
    if (/^-?\d+i$/.test(text)) {
      const v = BigInt(text.slice(0, -1));
      if (v < INT64_MIN || v > INT64_MAX) throw new IlpError(`long out of range in column ${JSON.stringify(key)}`, ln);
      return { type: 'long', value: v };
    }
    if (/^-?\d+[tn]$/.test(text)) return { type: 'timestamp', value: timestamp(text, 'u') };
    if (/^(t|T|true|True|TRUE)$/.test(text)) return { type: 'boolean', value: true };
    if (/^(f|F|false|False|FALSE)$/.test(text)) return { type: 'boolean', value: false };
    if (FLOAT.test(text)) return { type: 'double', value: Number(text) };
    throw new IlpError(`cannot parse value ${JSON.stringify(text)} of column ${JSON.stringify(key)}`, ln);
  }
}

export type ReceiverMode = 'ok' | 'refuse' | 'reset' | 'error' | 'stall';

export interface ReceiverOptions {
  /** What /settings advertises in line.proto.support.versions. Default [1, 2]. */
  readonly protocolVersions?: readonly number[];
  /** The column that, with the timestamp, makes a row unique (DEDUP UPSERT KEYS). Default trade_id. */
  readonly dedupColumn?: string;
  /** Per table, the columns that with the timestamp make a row unique; tables not named use dedupColumn. */
  readonly dedupKeys?: Readonly<Record<string, readonly string[]>>;
}

export interface QuestDbReceiver {
  readonly port: number;
  /** A client conf pointing here, e.g. `http::addr=127.0.0.1:PORT;`. */
  readonly conf: string;
  readonly mode: ReceiverMode;
  /** refuse closes the port (reopened on the next mode); reset drops every connection. */
  setMode(mode: ReceiverMode): Promise<void>;
  /** Accepted rows after deduplication, in arrival order of their key. */
  rows(table?: string): IlpRow[];
  readonly stats: { writes: number; rejected: number; rowsReceived: number; duplicates: number; settings: number };
  close(): Promise<void>;
}

type ColumnKind = 'symbol' | IlpValue['type'];

export async function startQuestDbReceiver(options: ReceiverOptions = {}): Promise<QuestDbReceiver> {
  const versions = options.protocolVersions ?? [1, 2];
  const dedupColumn = options.dedupColumn ?? 'trade_id';
  const dedupKeys: Readonly<Record<string, readonly string[]>> = { portfolio_marks: ['portfolio_id', 'sequence'], ...options.dedupKeys };
  /** The row's dedup key; undefined (always a new row) when it has none of the key columns. */
  const keyOf = (row: IlpRow): string | undefined => {
    const cols = dedupKeys[row.table] ?? [dedupColumn];
    const values = cols.map((c) => {
      const f = row.fields[c];
      return f !== undefined ? String(f.value) : row.symbols[c];
    });
    if (values.every((v) => v === undefined)) return undefined;
    return [row.table, row.timestampUs, ...values.map((v) => v ?? '\u0001')].join('\u0000');
  };
  let mode: ReceiverMode = 'ok';
  const table = new Map<string, IlpRow>();
  const schema = new Map<string, Map<string, ColumnKind>>();
  const stats = { writes: 0, rejected: 0, rowsReceived: 0, duplicates: 0, settings: 0 };
  const sockets = new Set<Socket>();
  const stalled = new Set<ServerResponse>();
  let errorSeq = 0;

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };

  /** Checks every row against the columns' types so far (and each other); nothing is kept on error. */
  function commit(rows: readonly IlpRow[]): void {
    const staged = new Map<string, Map<string, ColumnKind>>();
    rows.forEach((row, idx) => {
      const cols = staged.get(row.table) ?? new Map(schema.get(row.table));
      staged.set(row.table, cols);
      const check = (col: string, kind: ColumnKind): void => {
        const prev = cols.get(col);
        if (prev !== undefined && prev !== kind) throw new IlpError(`cast error: column ${JSON.stringify(col)} is ${prev}, the line sends ${kind}`, idx + 1);
        cols.set(col, kind);
      };
      for (const s of Object.keys(row.symbols)) check(s, 'symbol');
      for (const [f, v] of Object.entries(row.fields)) check(f, v.type);
    });
    for (const [t, cols] of staged) schema.set(t, cols);
    for (const row of rows) {
      const key = keyOf(row) ?? `${row.table}\u0000#${stats.rowsReceived}`;
      stats.rowsReceived++;
      if (table.has(key)) {
        stats.duplicates++;
        table.delete(key); // UPSERT: the later row wins
      }
      table.set(key, row);
    }
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://receiver');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'stall') {
        stalled.add(res);
        res.on('close', () => stalled.delete(res));
        return;
      }
      if (mode === 'error') {
        json(res, 500, { code: 'internal error', message: 'injected failure', errorId: `test-${++errorSeq}` });
        return;
      }
      if (req.method === 'GET' && url.pathname === '/settings') {
        stats.settings++;
        json(res, 200, { config: { 'release.type': 'OSS', 'release.version': 'pte-test-receiver', 'line.proto.support.versions': versions, 'ilp.proto.transports': ['http'] } });
        return;
      }
      if (req.method === 'POST' && (url.pathname === '/write' || url.pathname === '/api/v2/write')) {
        stats.writes++;
        const p = url.searchParams.get('precision') ?? 'n';
        const precision: Precision = p === 'u' || p === 'us' ? 'u' : p === 'ms' ? 'ms' : 'n';
        try {
          commit(parseIlp(Buffer.concat(chunks), precision));
          res.writeHead(204).end();
        } catch (e) {
          stats.rejected++;
          const line = e instanceof IlpError ? e.line : 0;
          json(res, 400, { code: 'invalid', message: `failed to parse line protocol:errors encountered on line(s):\n${e instanceof Error ? e.message : String(e)}`, line, errorId: `test-${++errorSeq}` });
        }
        return;
      }
      json(res, 404, { code: 'not found', message: `${req.method ?? '?'} ${url.pathname}` });
    });
  }

  const server = createServer(onRequest);
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: Socket) => {
    if (mode === 'reset') {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (p: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        const a = server.address();
        resolve(typeof a === 'object' && a !== null ? a.port : p);
      });
    });
  const dropConnections = (): void => {
    for (const r of stalled) r.destroy();
    stalled.clear();
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  const port = await listen(0);
  let listening = true;

  return {
    port,
    conf: `http::addr=127.0.0.1:${port};`,
    get mode() {
      return mode;
    },
    stats,
    async setMode(next) {
      const prev = mode;
      mode = next;
      if (next === 'refuse' && listening) {
        listening = false;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        dropConnections();
        await closed;
      } else if (next !== 'refuse' && !listening) {
        await listen(port);
        listening = true;
      }
      if (next === 'reset' || (prev === 'stall' && next !== 'stall')) dropConnections();
    },
    rows: (t) => [...table.values()].filter((r) => t === undefined || r.table === t),
    async close() {
      dropConnections();
      if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      listening = false;
    },
  };
}
