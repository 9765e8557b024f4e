/**
 * Re-sends a range of the journal to QuestDB (`pte export questdb`), its trades and its marks: after
 * an outage longer than the recorder's queue, or to fill a new table. Idempotent, because the tables
 * deduplicate (trades on (ts, trade_id), marks on (ts, portfolio_id, sequence)): re-sending a row
 * QuestDB already has replaces it with the same row.
 *
 * Unlike the recorder it is in the foreground: it waits for every flush, retries a few times, and
 * stops with the journal sequence to resume from when QuestDB stays unreachable.
 */
import type { TokenRegistry } from '../../domain/tokens.js';
import { readJournal } from '../journal-reader.js';
import { withSettings } from '../../domain/questdb-conf.js';
import { clientLog, upstreamError, type SenderLike } from './recorder.js';
import { MARKS_TABLE, markToRow, TRADES_TABLE, tradeToRow, writeRow, type TradeRow } from './row.js';
import { Sender } from '@questdb/nodejs-client';

export interface BackfillOptions {
  readonly conf: string;
  readonly dataDir: string;
  readonly tokens: TokenRegistry;
  /** First journal sequence to send (1 = everything). */
  readonly fromSeq?: number;
  readonly portfolioId?: string | undefined;
  readonly batchRows?: number;
  /** Attempts per batch before giving up. Default 5, backoff from 200 ms doubling. */
  readonly attempts?: number;
  readonly backoffMs?: number;
  readonly onProgress?: (doneBytes: number, totalBytes: number, rows: number) => void;
  readonly createSender?: (conf: string) => Promise<SenderLike>;
  /** Where the client's own warnings go, already scrubbed (see upstreamError). Default stderr. */
  readonly onClientLog?: (line: string) => void;
}

export interface BackfillReport {
  /** Rows sent: trades plus marks. */
  readonly rows: number;
  readonly trades: number;
  readonly marks: number;
  readonly lastSeq: number;
}

/** QuestDB stayed unreachable (or refused a batch); everything before `resumeFrom` was sent. */
export class BackfillError extends Error {
  override readonly name = 'BackfillError';
  constructor(
    message: string,
    readonly resumeFrom: number,
    readonly rowsSent: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function backfillQuestDb(options: BackfillOptions): Promise<BackfillReport> {
  const from = options.fromSeq ?? 1;
  const batchRows = options.batchRows ?? 5_000;
  const attempts = options.attempts ?? 5;
  const backoffMs = options.backoffMs ?? 200;
  const onClientLog = options.onClientLog ?? ((line: string): void => void process.stderr.write(`${line}\n`));
  const log = clientLog((_level, text) => onClientLog(`pte export: QuestDB client: ${text}`), options.conf);
  const create =
    options.createSender ?? (async (conf: string): Promise<SenderLike> => Sender.fromConfig(withSettings(conf, { auto_flush: 'off' }), { log }));
  let sender: SenderLike | undefined;
  let batch: { seq: number; row: TradeRow; table: string }[] = [];
  let rows = 0;
  let marks = 0;
  let batchMarks = 0;

  const send = async (): Promise<void> => {
    if (batch.length === 0) return;
    let lastErr: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        sender ??= await create(options.conf);
        sender.reset();
        for (const { row, table } of batch) await writeRow(sender, row, table);
        await sender.flush();
        rows += batch.length;
        marks += batchMarks;
        batch = [];
        batchMarks = 0;
        return;
      } catch (err) {
        lastErr = err;
        if (/statusCode=4\d\d/.test(err instanceof Error ? err.message : '')) break; // resending the same content cannot help
        if (attempt < attempts) await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
    const resumeFrom = batch[0]?.seq ?? from;
    // Only the scrubbed text travels on: the client's error quotes QuestDB's answer, which may echo credentials.
    throw new BackfillError(`QuestDB did not accept journal records from sequence ${resumeFrom}: ${upstreamError(lastErr, options.conf)}`, resumeFrom, rows);
  };

  try {
    const report = await readJournal(
      options.dataDir,
      options.tokens,
      async (event, seq) => {
        if (seq < from || event.kind !== 'trade') return;
        if (options.portfolioId !== undefined && event.portfolioId !== options.portfolioId) return;
        batch.push({ seq, row: tradeToRow(event.trade), table: TRADES_TABLE });
        if (batch.length >= batchRows) await send();
      },
      {
        visitMark: async (mark, seq) => {
          if (seq < from) return;
          if (options.portfolioId !== undefined && mark.portfolioId !== options.portfolioId) return;
          batch.push({ seq, row: markToRow(mark), table: MARKS_TABLE });
          batchMarks++;
          if (batch.length >= batchRows) await send();
        },
        ...(options.onProgress ? { onProgress: (done: number, total: number) => options.onProgress?.(done, total, rows + batch.length) } : {}),
      },
    );
    await send();
    return { rows, trades: rows - marks, marks, lastSeq: report.lastSeq };
  } finally {
    await sender?.close().catch(() => undefined);
  }
}
