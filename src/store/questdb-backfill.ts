/**
 * Re-sends a range of the journal to QuestDB (`pte export questdb`): after an outage longer than the
 * recorder's queue, or to fill a new table. Idempotent, because the table deduplicates on
 * (ts, trade_id): re-sending a trade QuestDB already has replaces it with the same row.
 *
 * Unlike the recorder it is in the foreground: it waits for every flush, retries a few times, and
 * stops with the journal sequence to resume from when QuestDB stays unreachable.
 */
import type { TokenRegistry } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { readJournal } from './journal-reader.js';
import { withSettings } from './questdb-conf.js';
import { clientLog, upstreamError, type SenderLike } from './questdb-recorder.js';
import { TRADES_TABLE, tradeToRow, writeRow } from './questdb-row.js';
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
  readonly rows: number;
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
  let batch: { seq: number; trade: Trade }[] = [];
  let rows = 0;

  const send = async (): Promise<void> => {
    if (batch.length === 0) return;
    let lastErr: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        sender ??= await create(options.conf);
        sender.reset();
        for (const { trade } of batch) await writeRow(sender, tradeToRow(trade), TRADES_TABLE);
        await sender.flush();
        rows += batch.length;
        batch = [];
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
        batch.push({ seq, trade: event.trade });
        if (batch.length >= batchRows) await send();
      },
      options.onProgress ? { onProgress: (done, total) => options.onProgress?.(done, total, rows + batch.length) } : {},
    );
    await send();
    return { rows, lastSeq: report.lastSeq };
  } finally {
    await sender?.close().catch(() => undefined);
  }
}
