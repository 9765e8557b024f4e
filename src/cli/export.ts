/**
 * `pte export`: the audit trail. Every trade ever booked, read from the journal in journal order
 * (trades from before a reset included), as CSV or JSON lines, to stdout or a file, with a progress
 * bar on stderr for a terminal or a long export. With a PostgreSQL ledger, the same rows from the
 * database's ledger events.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { resolveConfig } from '../config/load.js';
import { formatAmount } from '../domain/amount.js';
import { createTokenRegistry } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { backfillQuestDb, BackfillError, inputsToJson, readJournal, readPostgresLedger, tradeToWire } from '../app.js';
import { describeConf } from '../domain/questdb-conf.js';
import { parseCommandArgs, UsageError } from './args.js';
import { resolveLedgerConfig } from './db.js';
import { EXIT } from './errors.js';
import type { CliIo } from './io.js';

export const EXPORT_USAGE = `usage: pte export [--format csv|jsonl] [--out FILE] [--portfolio ID] [--data-dir DIR | --ledger-url URL] [--config FILE]
       pte export questdb [--from SEQ] [--questdb CONF] [--portfolio ID] [--data-dir DIR] [--config FILE]

Writes the trade history (the audit trail) from the journal in the data directory: every trade,
filled or failed, in the order it was booked, including trades from before a portfolio reset.
The service need not run. Amounts and prices are exact decimal strings.

options:
  --format csv|jsonl  csv (default): one row per trade, a header first; jsonl: one JSON object per
                      line with every field of the Trade message plus its recorded inputs
  --out FILE          write to FILE instead of stdout
  --portfolio ID      only this portfolio's trades
  --data-dir DIR      the journal (default: PTE_DATA_DIR, then dataDir of --config, then ./data)
  --ledger-url URL    export from the PostgreSQL ledger instead (default: PTE_LEDGER_URL, then
                      ledger.url of --config; --data-dir given, the journal is read regardless)
  --config FILE       a config file (for its dataDir or ledger.url)
  --progress          show progress on stderr even when it is not a terminal
  --no-progress       never show progress

A progress bar goes to stderr when it is a terminal or the journal is large (over 64 MiB).

From a PostgreSQL ledger the database is read in one read-only snapshot (never migrated or
written), trades in (portfolio, sequence) order, without a progress bar. Its events have no
global sequence, so journal_seq (jsonl: journalSeq) is then a running number over the export,
1, 2, 3...; a trade's own place in its portfolio's ledger is the sequence column.

pte export questdb re-sends the journal's trades and marks (from journal sequence SEQ, default 1) to
QuestDB's trades and portfolio_marks tables, e.g. after an outage longer than the recorder's queue.
It reads the journal only: with a ledger URL it is refused (exit 64); the service's recorder
writes to QuestDB from either store.
Re-sending is harmless: the tables deduplicate on (ts, trade_id) and (ts, portfolio_id, sequence).
The conf comes from --questdb, then QDB_CLIENT_CONF, then questdb.conf of --config; one holding
credentials only from QDB_CLIENT_CONF. See docs/questdb.md.
  --from SEQ          first journal sequence to send (pte export --format csv shows journal_seq)
  --questdb CONF      client configuration string, e.g. 'http::addr=localhost:9000;'`;

const OPTIONS = {
  format: { type: 'string' },
  out: { type: 'string' },
  portfolio: { type: 'string' },
  'data-dir': { type: 'string' },
  'ledger-url': { type: 'string' },
  config: { type: 'string' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  questdb: { type: 'string' },
  from: { type: 'string' },
} as const;

export type ExportFormat = 'csv' | 'jsonl';

export interface ExportCommand {
  readonly format: ExportFormat;
  readonly out: string | undefined;
  readonly portfolioId: string | undefined;
  readonly dataDir: string | undefined;
  /** --ledger-url: export from this PostgreSQL ledger (PTE_LEDGER_URL and ledger.url also select one). */
  readonly ledgerUrl?: string | undefined;
  readonly configFile: string | undefined;
  /** undefined: automatic (terminal or long export). */
  readonly progress: boolean | undefined;
  /** `pte export questdb`: re-send to QuestDB instead of writing a file. */
  readonly questdb: { readonly conf: string | undefined; readonly fromSeq: number } | undefined;
}

export function parseExportArgs(argv: readonly string[]): ExportCommand {
  const { values: v, positionals } = parseCommandArgs(argv, OPTIONS, 'export');
  const toQuestDb = positionals[0] === 'questdb';
  const extra = positionals[toQuestDb ? 1 : 0];
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, 'export');
  if (!toQuestDb && (v.questdb !== undefined || v.from !== undefined)) throw new UsageError('--questdb and --from belong to pte export questdb', 'export');
  if (toQuestDb && (v.format !== undefined || v.out !== undefined)) throw new UsageError('pte export questdb takes no --format or --out', 'export');
  let fromSeq = 1;
  if (v.from !== undefined) {
    if (!/^\d{1,15}$/.test(v.from) || Number(v.from) < 1) throw new UsageError(`--from: ${JSON.stringify(v.from)} must be a journal sequence (1 or more)`, 'export');
    fromSeq = Number(v.from);
  }
  const format = v.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format: ${JSON.stringify(format)} must be csv or jsonl`, 'export');
  if (v['data-dir'] !== undefined && v['ledger-url'] !== undefined) throw new UsageError('--data-dir and --ledger-url name two different ledgers: give one', 'export');
  if (v.progress === true && v['no-progress'] === true) throw new UsageError('--progress and --no-progress contradict each other', 'export');
  return {
    format,
    out: v.out,
    portfolioId: v.portfolio,
    dataDir: v['data-dir'],
    ledgerUrl: v['ledger-url'],
    configFile: v.config,
    progress: v.progress === true ? true : v['no-progress'] === true ? false : undefined,
    questdb: toQuestDb ? { conf: v.questdb, fromSeq } : undefined,
  };
}

export const CSV_COLUMNS = [
  'journal_seq',
  'trade_id',
  'request_id',
  'portfolio_id',
  'sequence',
  'executed_at',
  'action',
  'status',
  'base',
  'quote',
  'input_token',
  'input_amount',
  'output_token',
  'output_amount',
  'expected_price',
  'executed_price',
  'slippage_bps',
  'mev_impact_bps',
  'price_impact_bps',
  'network_fee_lamports',
  'input_value_usd',
  'price_source',
  'slippage_model',
  'seed',
  'mev_attacked',
  'failure_reason',
] as const;

/** RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvRow(seq: number, t: Trade): string {
  const w = tradeToWire(t);
  const cells = [
    String(seq),
    t.tradeId,
    t.requestId,
    t.portfolioId,
    String(t.sequence),
    new Date(t.executedAtMs).toISOString(),
    t.action,
    t.status,
    t.base.symbol,
    t.quote.symbol,
    t.input.symbol,
    w.inputAmount,
    t.output.symbol,
    w.outputAmount,
    w.expectedPrice,
    w.executedPrice,
    String(t.slippageBps),
    String(t.mevImpactBps),
    String(t.priceImpactBps),
    t.fees.total.toString(),
    formatAmount(t.inputValueNanoUsd, 9),
    t.priceSource,
    t.slippageModel,
    t.seed.toString(),
    String(t.mev.attacked),
    t.failureReason ?? '',
  ];
  return cells.map(csvField).join(',');
}

export function jsonlRow(seq: number, t: Trade): string {
  return JSON.stringify({ journalSeq: seq, ...tradeToWire(t), inputs: inputsToJson(t.inputs) });
}

export interface ExportDeps {
  /** Where rows go without --out; undefined: io.out, line by line. */
  readonly stdout: Writable | undefined;
  /** Progress output (stderr) and whether it is a terminal. */
  readonly progress: { readonly isTTY: boolean; write(text: string): void };
}

export function processExportDeps(): ExportDeps {
  return {
    stdout: process.stdout,
    progress: { isTTY: process.stderr.isTTY, write: (text) => process.stderr.write(text) },
  };
}

/** Exports at least this large get a progress display even off a terminal. */
const LONG_EXPORT_BYTES = 64 * 1024 * 1024;
const BAR_WIDTH = 30;

/** A progress bar: redrawn in place on a terminal, a line per 10 % otherwise. */
function progressReporter(deps: ExportDeps['progress'], setting: boolean | undefined): (done: number, total: number, rows: number) => void {
  let lastTenth = -1;
  let lastDraw = 0;
  return (done, total, rows) => {
    const fraction = total === 0 ? 1 : Math.min(1, done / total);
    if (setting === false || (setting === undefined && !deps.isTTY && total < LONG_EXPORT_BYTES)) return;
    if (deps.isTTY) {
      const now = Date.now();
      if (now - lastDraw < 100 && fraction < 1) return;
      lastDraw = now;
      const filled = Math.round(fraction * BAR_WIDTH);
      deps.write(`\rexport [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${rows} trades`);
      if (fraction >= 1) deps.write('\n');
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      deps.write(`export: ${tenth * 10}% (${rows} trades)\n`);
    }
  };
}

/** Writes rows with backpressure: a slow pipe or disk slows the export instead of filling memory. */
function streamSink(stream: Writable): { write(line: string): Promise<void>; end(): Promise<void> } {
  return {
    async write(line) {
      if (!stream.write(`${line}\n`)) await once(stream, 'drain');
    },
    async end() {
      if (stream === process.stdout) return;
      stream.end();
      await once(stream, 'finish');
    },
  };
}

/** `pte export questdb`: the journal's trades and marks to QuestDB, progress on stderr. */
async function runQuestDbExport(cmd: ExportCommand, target: { readonly conf: string | undefined; readonly fromSeq: number }, io: CliIo, deps: ExportDeps): Promise<number> {
  const flags = { ...(cmd.dataDir === undefined ? {} : { dataDir: cmd.dataDir }), ...(target.conf === undefined ? {} : { questdb: { conf: target.conf } }) };
  const { config } = resolveConfig({ file: cmd.configFile, env: io.env, flags });
  const conf = config.questdb.conf;
  if (conf === undefined) throw new UsageError('no QuestDB conf: pass --questdb CONF or set QDB_CLIENT_CONF', 'export');
  const progress = progressReporter(deps.progress, cmd.progress ?? true);
  const addr = describeConf(conf);
  io.err(`pte export: sending trades and marks from journal sequence ${target.fromSeq} in ${config.dataDir} to ${addr}`);
  try {
    const report = await backfillQuestDb({
      conf,
      dataDir: config.dataDir,
      tokens: createTokenRegistry(),
      fromSeq: target.fromSeq,
      portfolioId: cmd.portfolioId,
      onProgress: progress,
    });
    io.err(`pte export: ${report.trades} trades and ${report.marks} marks sent to ${addr} (journal up to sequence ${report.lastSeq}); duplicates are replaced, not added`);
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof BackfillError)) throw e;
    io.err(`pte export: ${e.message}\npte export: ${e.rowsSent} rows (trades and marks) were sent; resume with: pte export questdb --from ${e.resumeFrom}`);
    return EXIT.failed;
  }
}

/** Where the rows go: --out FILE (opened now), else deps.stdout, else io.out line by line. */
async function openSink(cmd: ExportCommand, io: CliIo, deps: ExportDeps): Promise<{ sink: ReturnType<typeof streamSink>; file: Writable | undefined }> {
  const file = cmd.out === undefined ? undefined : createWriteStream(cmd.out);
  if (file) await Promise.race([once(file, 'open'), once(file, 'error').then(([e]) => Promise.reject(e instanceof Error ? e : new Error(String(e))))]);
  const target = file ?? deps.stdout;
  const sink = target
    ? streamSink(target)
    : {
        write: (line: string) => {
          io.out(line);
          return Promise.resolve();
        },
        end: () => Promise.resolve(),
      };
  return { sink, file };
}

export async function runExport(cmd: ExportCommand, io: CliIo, deps: ExportDeps = processExportDeps()): Promise<number> {
  // The ledger database, unless --data-dir names the journal.
  const ledgerUrl = cmd.dataDir === undefined ? resolveLedgerConfig(cmd.ledgerUrl, cmd.configFile, io.env).config.ledger.url : undefined;
  if (cmd.questdb) {
    if (ledgerUrl !== undefined) {
      throw new UsageError('pte export questdb reads the file journal only, not a PostgreSQL ledger (--ledger-url, PTE_LEDGER_URL or ledger.url is set); give --data-dir to send a journal', 'export');
    }
    return runQuestDbExport(cmd, cmd.questdb, io, deps);
  }
  if (ledgerUrl !== undefined) return exportLedger(ledgerUrl, cmd, io, deps);
  const { config } = resolveConfig({ file: cmd.configFile, env: io.env, flags: cmd.dataDir === undefined ? {} : { dataDir: cmd.dataDir } });
  const tokens = createTokenRegistry();
  const { sink, file } = await openSink(cmd, io, deps);
  const row = cmd.format === 'csv' ? csvRow : jsonlRow;
  const progress = progressReporter(deps.progress, cmd.progress);
  let rows = 0;
  try {
    if (cmd.format === 'csv') await sink.write(CSV_COLUMNS.join(','));
    const report = await readJournal(
      config.dataDir,
      tokens,
      async (event, seq) => {
        if (event.kind !== 'trade' || (cmd.portfolioId !== undefined && event.portfolioId !== cmd.portfolioId)) return;
        await sink.write(row(seq, event.trade));
        rows++;
      },
      { onProgress: (done, total) => progress(done, total, rows) },
    );
    await sink.end();
    const t = report.tornTail;
    if (t?.complete) io.err(`pte export: warning: ${t.segment} ends with a damaged record (sequence ${t.seq}: ${t.reason}) that may have been acknowledged; it was skipped`);
    else if (t) io.err(`pte export: note: ${t.segment} ends with an incomplete record (never acknowledged); it was skipped`);
    if (cmd.out !== undefined) io.err(`pte export: ${rows} trades written to ${cmd.out}`);
  } catch (e) {
    file?.destroy();
    throw e;
  }
  return EXIT.ok;
}

/**
 * The export from a PostgreSQL ledger, in (portfolio, sequence) order. The output is opened only once
 * the database has been reached and its schema checked: bad configuration writes nothing at all.
 * Its events have no global sequence, so journal_seq numbers the exported rows (see the usage).
 */
async function exportLedger(url: string, cmd: ExportCommand, io: CliIo, deps: ExportDeps): Promise<number> {
  const row = cmd.format === 'csv' ? csvRow : jsonlRow;
  let opened: Awaited<ReturnType<typeof openSink>> | undefined;
  const output = async (): Promise<ReturnType<typeof streamSink>> => {
    if (opened) return opened.sink;
    opened = await openSink(cmd, io, deps);
    if (cmd.format === 'csv') await opened.sink.write(CSV_COLUMNS.join(','));
    return opened.sink;
  };
  let rows = 0;
  try {
    await readPostgresLedger(url, createTokenRegistry(), async (event) => {
      if (event.kind !== 'trade' || (cmd.portfolioId !== undefined && event.portfolioId !== cmd.portfolioId)) return;
      const sink = await output();
      rows++;
      await sink.write(row(rows, event.trade));
    });
    await (await output()).end();
  } catch (e) {
    opened?.file?.destroy();
    throw e;
  }
  if (cmd.out !== undefined) io.err(`pte export: ${rows} trades written to ${cmd.out}`);
  return EXIT.ok;
}
