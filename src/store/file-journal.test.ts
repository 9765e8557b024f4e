import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import { createTokenRegistry } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { combinedStateHash } from '../executor/state-hash.js';
import { encodeEvent } from './codec.js';
import { JournalCorruptError, JournalLockedError, JournalUnavailableError, openFileJournal, type FileJournal, type FileJournalOptions, type JournalIo } from './file-journal.js';
import type { RecoveryImage } from './image.js';
import { readJournal } from './journal-reader.js';
import { encodeRecord, segmentName } from './segment.js';
import { bookedAppend, mixedEvents } from '../../test/support/store.js';

const tokens = createTokenRegistry();
let events: LedgerEvent[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  events = await mixedEvents(80);
});
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pte-journal-'));
  dirs.push(d);
  return d;
}

const open = (dir: string, extra: Partial<FileJournalOptions> = {}) => openFileJournal({ dir, tokens, ...extra });

type Portfolios = Map<string, { state: PortfolioState; trades: Trade[] }>;

/** Each portfolio's state and its trades since its last reset, as applying the events gives them. */
function expected(list: readonly LedgerEvent[]): Portfolios {
  const out: Portfolios = new Map();
  for (const e of list) {
    const p = out.get(e.portfolioId);
    const trades = e.kind === 'trade' ? [...(p?.trades ?? []), e.trade] : e.kind === 'portfolio_reset' ? [] : (p?.trades ?? []);
    out.set(e.portfolioId, { state: applyEvent(p?.state, e, tokens.sol), trades });
  }
  return out;
}

/** What a reopened journal holds: the states of its image, the trades read back from its files. */
async function recovered(opened: { image: RecoveryImage; journal: FileJournal }): Promise<Portfolios> {
  const out: Portfolios = new Map();
  for (const [id, p] of opened.image.portfolios) {
    const page = await opened.journal.listTrades(id, Number.MAX_SAFE_INTEGER, 1_000_000);
    expect(page.more).toBe(false);
    out.set(id, { state: p.state, trades: [...page.trades].reverse() });
  }
  return out;
}

/** A journal log that keeps every line with its level. */
function captureLog(): { log: FileJournalOptions['log'] & object; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, msg, ...obj });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

const hashOf = (states: Iterable<{ state: PortfolioState }>): string => combinedStateHash([...states].map((p) => p.state));

describe('file journal', () => {
  it('recovers every appended event after a reopen, states and trade histories alike', async () => {
    const dir = tempDir();
    const first = await open(dir);
    expect(first.report).toMatchObject({ lastSeq: 0, replayed: 0, truncated: undefined });
    await Promise.all(events.map((e) => first.journal.append(e)));
    await first.journal.close();

    const again = await open(dir);
    expect(again.report).toMatchObject({ lastSeq: events.length, replayed: events.length, snapshotSeq: 0, truncated: undefined });
    expect(await recovered(again)).toEqual(expected(events));
    await again.journal.close();
  });

  it('finds every trade since its portfolio\'s last reset by request id, in any letter case, and pages newest first', async () => {
    const dir = tempDir();
    const first = await open(dir, { tradeCache: 0 }); // every read goes to the files
    for (const e of events) await first.journal.append(e);
    const want = expected(events);
    for (const journal of [first.journal, (await (await first.journal.close(), open(dir, { tradeCache: 0 }))).journal]) {
      for (const [id, p] of want) {
        for (const t of p.trades) {
          expect(await journal.findTrade(id, t.requestId)).toEqual(t);
          expect(await journal.findTrade(id, t.requestId.toUpperCase())).toEqual(t);
          expect(journal.findTrade(`${id}-other`, t.requestId)).toBeUndefined();
        }
        // Pages of 3 below each token, newest first, cover the history exactly once.
        const seen: Trade[] = [];
        let before = Number.MAX_SAFE_INTEGER;
        for (;;) {
          const page = await journal.listTrades(id, before, 3);
          seen.push(...page.trades);
          const last = page.trades.at(-1);
          if (!page.more || !last) break;
          before = last.sequence;
        }
        expect(seen).toEqual([...p.trades].reverse());
      }
      await journal.close();
    }
    // A reset portfolio's earlier trades are not found.
    const reset = events.findIndex((e) => e.kind === 'portfolio_reset');
    const before = events.slice(0, reset).find((e) => e.kind === 'trade' && e.portfolioId === events[reset]?.portfolioId);
    if (before?.kind !== 'trade') throw new Error('the mix has no trade before its reset');
    const third = await open(dir);
    expect(third.journal.findTrade(before.portfolioId, before.trade.requestId)).toBeUndefined();
    await third.journal.close();
  });

  it('after a restart reads a page from the files once, then serves it again from the decoded cache', async () => {
    const dir = tempDir();
    const first = await open(dir);
    for (const e of events) await first.journal.append(e);
    await first.journal.close();
    const { journal } = await open(dir, { tradeCache: 64 });
    const [id, p] = [...expected(events)].find(([, v]) => v.trades.length >= 6) ?? [];
    if (!id || !p) throw new Error('the mix has no portfolio with six trades');
    expect(journal.stats().tradeDiskReads).toBe(0);
    const page = await journal.listTrades(id, Number.MAX_SAFE_INTEGER, 5);
    expect(journal.stats().tradeDiskReads).toBe(5);
    expect(await journal.listTrades(id, Number.MAX_SAFE_INTEGER, 5)).toEqual(page);
    expect(await journal.findTrade(id, page.trades[0]?.requestId ?? '')).toEqual(page.trades[0]);
    expect(journal.stats().tradeDiskReads).toBe(5);
    // The next page is not cached yet: read once, like the first.
    await journal.listTrades(id, page.trades.at(-1)?.sequence ?? 0, 1);
    expect(journal.stats().tradeDiskReads).toBe(6);
    await journal.close();
  });

  it('keeps at most tradeCache decoded trades, the least recently used leaving first', async () => {
    const dir = tempDir();
    const first = await open(dir);
    for (const e of events) await first.journal.append(e);
    await first.journal.close();
    const { journal } = await open(dir, { tradeCache: 3 });
    const [id] = [...expected(events)].find(([, v]) => v.trades.length >= 6) ?? [];
    if (!id) throw new Error('the mix has no portfolio with six trades');
    const newest = await journal.listTrades(id, Number.MAX_SAFE_INTEGER, 2); // 2 read, 2 cached
    const older = await journal.listTrades(id, newest.trades.at(-1)?.sequence ?? 0, 2); // 2 read, the oldest cached one leaves
    expect(journal.stats().tradeDiskReads).toBe(4);
    await journal.listTrades(id, newest.trades.at(-1)?.sequence ?? 0, 2); // both cached, now the most recently used
    expect(journal.stats().tradeDiskReads).toBe(4);
    await journal.findTrade(id, newest.trades[1]?.requestId ?? ''); // the one that left: read again
    expect(journal.stats().tradeDiskReads).toBe(5);
    await journal.listTrades(id, newest.trades.at(-1)?.sequence ?? 0, 2); // still cached: the newest page's first left instead
    expect(journal.stats().tradeDiskReads).toBe(5);
    await journal.findTrade(id, newest.trades[0]?.requestId ?? '');
    expect(journal.stats().tradeDiskReads).toBe(6);
    expect(older.trades).toHaveLength(2);
    await journal.close();
  });

  it('indexes every trade appended, even of a portfolio that was never created', async () => {
    const dir = tempDir();
    const { journal } = await open(dir, { snapshotEvery: 5 });
    const first = events.find((e) => e.kind === 'trade');
    if (first?.kind !== 'trade') throw new Error('no trade in the mix');
    // A trade of a portfolio that was never created: the journal keeps no states, it indexes it.
    const ghost: LedgerEvent = { ...first, portfolioId: 'ghost', trade: { ...first.trade, portfolioId: 'ghost' } };
    await journal.append(ghost);
    for (const e of events) await journal.append(e);
    expect(journal.stats().snapshots).toBe(0);
    expect(await journal.findTrade('ghost', first.trade.requestId)).toEqual(ghost.trade);
    for (const [id, p] of expected(events)) for (const t of p.trades) expect(await journal.findTrade(id, t.requestId)).toEqual(t);
    await journal.close();
  });

  it('shares one fdatasync among appends queued while another is in flight (group commit)', async () => {
    const dir = tempDir();
    const { journal } = await open(dir);
    await journal.append(events[0] as LedgerEvent);
    const rest = events.slice(1);
    await Promise.all(rest.map((e) => journal.append(e)));
    const s = journal.stats();
    expect(s.appends).toBe(events.length);
    expect(s.syncs).toBeLessThanOrEqual(3); // one for the first, one or two for the other 79
    expect(s.maxGroupSize).toBeGreaterThanOrEqual(rest.length / 2);
    await journal.close();
  });

  it('starts an idle journal\'s write at the end of the turn: what is appended in one turn shares one fdatasync', async () => {
    const dir = tempDir();
    const { journal } = await open(dir);
    await Promise.all(events.slice(0, 10).map((e) => journal.append(e)));
    expect(journal.stats()).toMatchObject({ syncs: 1, maxGroupSize: 10 });
    // Appends made by the reactions to a group becoming durable (as a trade's mark is) go out together.
    await journal.append(events[10] as LedgerEvent).then(() => Promise.all(events.slice(11, 14).map((e) => journal.append(e))));
    expect(journal.stats()).toMatchObject({ syncs: 3, appends: 14, lastSeq: 14 });
    await journal.close();
    const again = await open(dir);
    expect(hashOf(again.image.portfolios.values())).toBe(hashOf(expected(events.slice(0, 14)).values()));
    await again.journal.close();
  });

  it('resolves an append only after its record is fdatasync-ed', async () => {
    const dir = tempDir();
    const order: string[] = [];
    const io: JournalIo = {
      async write(fh, data) {
        order.push('write');
        await fh.write(data);
      },
      async datasync(fh) {
        await fh.datasync();
        order.push('sync');
      },
    };
    const { journal } = await open(dir, { io });
    await journal.append(events[0] as LedgerEvent).then(() => order.push('resolved'));
    expect(order).toEqual(['write', 'sync', 'resolved']);
    await journal.close();
  });

  it('fails for good after a write error: rejects the group and everything after, keeps only what was acknowledged', async () => {
    const dir = tempDir();
    let broken = false;
    const failures: Error[] = [];
    const io: JournalIo = {
      write: async (fh, data) => {
        await fh.write(data); // the bytes land, the sync fails: they must be cut back off
      },
      datasync: async (fh) => {
        if (broken) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        await fh.datasync();
      },
    };
    const { journal } = await open(dir, { io, onFailure: (e) => failures.push(e) });
    const acked = events.slice(0, 10);
    for (const e of acked) await journal.append(e);
    broken = true;
    const refused = await Promise.allSettled(events.slice(10, 20).map((e) => journal.append(e)));
    expect(refused.every((r) => r.status === 'rejected' && r.reason instanceof JournalUnavailableError)).toBe(true);
    expect(journal.failed).toBe(true);
    expect(failures).toHaveLength(1);
    broken = false;
    await expect(journal.append(events[20] as LedgerEvent)).rejects.toThrow(/journal failed: ENOSPC/);
    await journal.close();

    const again = await open(dir);
    expect(again.report.lastSeq).toBe(10);
    expect(again.report.truncated).toBeUndefined();
    expect(hashOf(again.image.portfolios.values())).toBe(hashOf(expected(acked).values()));
    await again.journal.close();
  });

  it('writes no snapshot without a source of portfolio states: it keeps no states of its own', async () => {
    const dir = tempDir();
    const { journal } = await open(dir, { snapshotEvery: 5 });
    for (const e of events) await journal.append(e);
    await journal.close();
    expect(journal.stats().snapshots).toBe(0);
    expect(readdirSync(dir).filter((n) => n.startsWith('snapshot-'))).toEqual([]);
  });

  it('refuses to write a snapshot whose states disagree with its trade index', async () => {
    const dir = tempDir();
    const { log, lines } = captureLog();
    const { journal } = await open(dir, { snapshotEvery: 5, log });
    journal.takeSnapshotsFrom(() => []); // states that miss every portfolio
    for (const e of events) await journal.append(e);
    await journal.close();
    expect(journal.stats().snapshots).toBe(0);
    expect(lines.some((l) => l.level === 'warn' && String(l.err).includes('disagree with the journal\'s index'))).toBe(true);
  });

  it('writes snapshots of the states its source holds and starts from the latest, replaying only the tail', async () => {
    const dir = tempDir();
    const { journal } = await open(dir, { snapshotEvery: 25 });
    const append = bookedAppend(journal);
    for (const e of events) await append(e);
    await journal.close(); // waits for a running snapshot
    const snaps = readdirSync(dir).filter((n) => n.startsWith('snapshot-'));
    expect(snaps.length).toBeGreaterThanOrEqual(1);
    expect(snaps.length).toBeLessThanOrEqual(2); // older ones pruned

    const again = await open(dir, { snapshotEvery: 25 });
    expect(again.report.snapshotSeq).toBeGreaterThanOrEqual(25);
    expect(again.report.replayed).toBe(events.length - again.report.snapshotSeq);
    expect(await recovered(again)).toEqual(expected(events));
    await again.journal.close();
  });

  it('skips a damaged snapshot and falls back to an older one or the records', async () => {
    const dir = tempDir();
    const { journal } = await open(dir, { snapshotEvery: 30 });
    const append = bookedAppend(journal);
    for (const e of events) await append(e);
    await journal.close();
    const newest = readdirSync(dir)
      .filter((n) => n.startsWith('snapshot-'))
      .sort()
      .at(-1);
    if (!newest) throw new Error('no snapshot');
    const path = join(dir, newest);
    const bytes = readFileSync(path);
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = (bytes[mid] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);

    const again = await open(dir);
    expect(again.report.skippedSnapshots.join()).toMatch(/checksum mismatch/);
    expect(await recovered(again)).toEqual(expected(events));
    await again.journal.close();
  });

  it('skips a snapshot of the earlier format (whole trades) and rebuilds from the records', async () => {
    const dir = tempDir();
    const first = await open(dir, { snapshotEvery: 0 });
    for (const e of events) await first.journal.append(e);
    await first.journal.close();
    const body = `${JSON.stringify({ format: 'pte-snapshot', version: 1, seq: 40, portfolios: 0, trades: 0, createdAtMs: 0 })}\n`;
    const crc = crc32(Buffer.from(body)).toString(16).padStart(8, '0');
    writeFileSync(join(dir, 'snapshot-0000000000000040.json'), `${body}${JSON.stringify({ end: 40, crc })}\n`);

    const again = await open(dir);
    expect(again.report.skippedSnapshots.join()).toMatch(/format version 1, this build reads versions 2 and 3/);
    expect(again.report).toMatchObject({ snapshotSeq: 0, replayed: events.length });
    expect(await recovered(again)).toEqual(expected(events));
    await again.journal.close();
  });

  it('rotates segments by size and reads them back in order', async () => {
    const dir = tempDir();
    const { journal } = await open(dir, { segmentBytes: 8_192, snapshotEvery: 0 });
    for (const e of events) await journal.append(e);
    await journal.close();
    const segments = readdirSync(dir).filter((n) => n.startsWith('segment-'));
    expect(segments.length).toBeGreaterThan(2);
    const seen: number[] = [];
    const report = await readJournal(dir, tokens, (_e, seq) => {
      seen.push(seq);
    });
    expect(seen).toEqual(events.map((_e, i) => i + 1));
    expect(report.tornTail).toBeUndefined();
    const again = await open(dir, { segmentBytes: 8_192 });
    expect(again.report.lastSeq).toBe(events.length);
    expect(await recovered(again)).toEqual(expected(events)); // trades read back from every segment
    await again.journal.append(events[0] as LedgerEvent).catch(() => undefined);
    await again.journal.close();
  });

  /** A closed journal of the first twelve events, in one segment. */
  async function twelveRecords(): Promise<{ dir: string; seg: string }> {
    const dir = tempDir();
    const { journal } = await open(dir);
    for (const e of events.slice(0, 12)) await journal.append(e);
    await journal.close();
    return { dir, seg: join(dir, segmentName(1)) };
  }

  /** A crash in the middle of writing record 13: half a line, no newline. Returns the size before it and what was written. */
  function tearRecord13(seg: string): { whole: number; partial: string } {
    const whole = statSync(seg).size;
    const partial = encodeRecord(13, encodeEvent(events[12] as LedgerEvent)).slice(0, 200);
    writeFileSync(seg, partial, { flag: 'a' });
    return { whole, partial };
  }

  it('cuts a torn tail back to the last valid record and reports it', async () => {
    const { dir, seg } = await twelveRecords();
    const { whole } = tearRecord13(seg);

    const again = await open(dir);
    expect(again.report.lastSeq).toBe(12);
    expect(again.report.truncated).toMatchObject({ segment: segmentName(1), offset: whole, bytes: 200 });
    expect(statSync(seg).size).toBe(whole);
    await again.journal.append(events[12] as LedgerEvent);
    await again.journal.close();
    const third = await open(dir);
    expect(third.report).toMatchObject({ lastSeq: 13, truncated: undefined });
    await third.journal.close();
  });

  it('keeps the bytes of a cut torn tail in a quarantine file next to the segment', async () => {
    const { dir, seg } = await twelveRecords();
    const { whole, partial } = tearRecord13(seg);
    const logged = captureLog();

    const again = await open(dir, { log: logged.log });
    const quarantine = `${segmentName(1)}.quarantine-${whole}`;
    expect(again.report.truncated).toMatchObject({ offset: whole, bytes: 200, complete: false, quarantine });
    expect(readFileSync(join(dir, quarantine), 'utf8')).toBe(partial);
    expect(logged.lines).toContainEqual(expect.objectContaining({ level: 'warn', quarantine, seq: 13 }));
    await again.journal.close();
  });

  it('keeps a damaged complete last record (a flipped byte, not a torn write) in quarantine and reports it as an error', async () => {
    const { dir, seg } = await twelveRecords();
    const original = readFileSync(seg);
    const lastStart = original.lastIndexOf(0x0a, original.length - 2) + 1;
    const damaged = Buffer.from(original);
    const at = lastStart + 40;
    damaged[at] = (damaged[at] ?? 0) ^ 0x01;
    writeFileSync(seg, damaged);
    const logged = captureLog();

    const again = await open(dir, { log: logged.log });
    const quarantine = `${segmentName(1)}.quarantine-${lastStart}`;
    expect(again.report.lastSeq).toBe(11);
    expect(again.report.truncated).toMatchObject({ offset: lastStart, complete: true, seq: 12, quarantine, reason: 'checksum mismatch' });
    // The record's bytes, exactly as found, are kept for the operator.
    expect(readFileSync(join(dir, quarantine))).toEqual(damaged.subarray(lastStart));
    expect(logged.lines).toContainEqual(expect.objectContaining({ level: 'error', seq: 12, quarantine, segment: segmentName(1) }));
    await again.journal.close();
    // The offline reader names it as damaged, not as a torn write that was never acknowledged.
    writeFileSync(seg, damaged);
    const report = await readJournal(dir, tokens, () => undefined);
    expect(report.tornTail).toMatchObject({ offset: lastStart, complete: true, seq: 12 });
  });

  it('refuses to start on damage in the middle, naming the file and the byte', async () => {
    const { dir, seg } = await twelveRecords();
    const text = readFileSync(seg, 'utf8');
    const lines = text.split('\n');
    const at = Buffer.byteLength(lines.slice(0, 5).join('\n')) + 1; // start of record 6
    lines[5] = (lines[5] ?? '').replace('"event":{', '"event": {'); // every record has it, whatever its kind
    writeFileSync(seg, lines.join('\n'));

    const err = await open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalCorruptError);
    expect((err as Error).message).toMatch(new RegExp(`corrupt in the middle: ${segmentName(1)} at byte ${at} \\(after sequence 5\\): checksum mismatch`));
    expect(readFileSync(seg, 'utf8')).toBe(lines.join('\n')); // nothing was cut
    await expect(readJournal(dir, tokens, () => undefined)).rejects.toThrow(/corrupt in the middle/);
  });

  it('refuses a gap between segments', async () => {
    const dir = tempDir();
    const { journal } = await open(dir, { segmentBytes: 8_192, snapshotEvery: 0 });
    for (const e of events) await journal.append(e);
    await journal.close();
    const segments = readdirSync(dir)
      .filter((n) => n.startsWith('segment-'))
      .sort();
    rmSync(join(dir, segments[1] ?? ''));
    await expect(open(dir)).rejects.toThrow(/records are missing/);
  });

  it('lets one live process at a time own a data directory', async () => {
    const dir = tempDir();
    // A lock left by a process that no longer exists is taken over...
    writeFileSync(join(dir, 'LOCK'), '999999999\n');
    const { journal } = await open(dir);
    await journal.close();
    // ...one held by a live process is not.
    writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
    await expect(open(dir)).rejects.toBeInstanceOf(JournalLockedError);
  });
});
