/**
 * Trade history and idempotency lookups over a TradeIndex: the journal-side half of ListTrades and
 * of duplicate request ids. The index says where a trade is; `load` brings the trades back (from a
 * cache of recent trades, or from the journal's files).
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { TradeHistory } from '../executor/ports.js';
import type { TokenRegistry } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { eventFromJson } from './codec.js';
import { checkLine, JournalCorruptError, segmentName } from './segment.js';
import type { TradeIndex, TradeRef } from './trade-index.js';

export type LoadTrades = (refs: readonly TradeRef[]) => Promise<Trade[]>;

export function createTradeHistory(index: TradeIndex, load: LoadTrades): TradeHistory {
  return {
    findTrade(portfolioId, requestId) {
      const list = index.list(portfolioId);
      const at = list?.find(requestId) ?? -1;
      if (!list || at < 0) return undefined;
      return load([list.at(at)]).then(([t]) => {
        if (!t) throw new JournalCorruptError(`trade of request ${requestId} could not be read back`);
        return t;
      });
    },
    async listTrades(portfolioId, before, limit) {
      const list = index.list(portfolioId);
      if (!list) return { trades: [], more: false };
      const { refs, more } = list.page(before, limit);
      return { trades: await load(refs), more };
    },
  };
}

const refKey = (r: TradeRef): string => `${r.segment}:${r.offset}`;

/**
 * Reads trades back from the journal's segment files through the journal's one cache of decoded
 * trades: the most recent `cacheSize` trades made durable or read back, least recently used first
 * out. A trade just booked is remembered; a trade read from disk (a page after a restart, an old
 * duplicate) is remembered too, so the pages clients read again are decoded once, not on every call.
 */
export interface TradeReader {
  /** Caches a trade just made durable at `ref`. */
  remember(ref: TradeRef, trade: Trade): void;
  load: LoadTrades;
  /** Trades decoded from the segment files since the journal opened (cache misses). */
  readonly diskReads: number;
}

export function createTradeReader(dir: string, tokens: TokenRegistry, cacheSize: number): TradeReader {
  const cache = new Map<string, Trade>();
  /**
   * The cache's keys, least recently used first. One iterator kept for good: every entry behind it
   * has been deleted (evicted, or moved to the end), so the next key it yields is the oldest. A fresh
   * iterator for each eviction would step over all those deleted entries again, thousands of them,
   * on every trade booked.
   */
  let byAge = cache.keys();
  let diskReads = 0;

  function remember(ref: TradeRef, trade: Trade): void {
    if (cacheSize <= 0) return;
    const key = refKey(ref);
    cache.delete(key); // re-inserted as the most recent
    cache.set(key, trade);
    if (cache.size > cacheSize) {
      let oldest = byAge.next();
      if (oldest.done) {
        // Not while the cache holds entries (they are all ahead of it); an iterator that reached
        // its end stays done, so one would be started again.
        byAge = cache.keys();
        oldest = byAge.next();
      }
      if (!oldest.done) cache.delete(oldest.value);
    }
  }

  /** A cached trade, moved to the most recent end (a no-op cost beside a disk read). */
  function cached(key: string): Trade | undefined {
    const t = cache.get(key);
    if (t !== undefined) {
      cache.delete(key);
      cache.set(key, t);
    }
    return t;
  }

  async function readRecords(segment: number, refs: readonly TradeRef[]): Promise<Map<string, Trade>> {
    const name = segmentName(segment);
    const out = new Map<string, Trade>();
    // What reaches a client names the segment file and the trade, never a path on the server.
    const unreadable = (err: unknown, ref: TradeRef | undefined): JournalCorruptError =>
      new JournalCorruptError(
        `journal segment ${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'read error'})${ref ? `: the trade with portfolio sequence ${ref.sequence} at byte ${ref.offset}` : ''}`,
      );
    const fh = await open(join(dir, name), 'r').catch((err: unknown) => {
      throw unreadable(err, refs[0]);
    });
    try {
      for (const ref of refs) {
        const buf = Buffer.alloc(ref.length);
        const { bytesRead } = await fh.read(buf, 0, ref.length, ref.offset).catch((err: unknown) => {
          throw unreadable(err, ref);
        });
        const where = `${name} at byte ${ref.offset}`;
        if (bytesRead !== ref.length || buf[ref.length - 1] !== 0x0a) throw new JournalCorruptError(`journal record ${where}: short read`);
        const line = checkLine(buf, 0, ref.length - 1);
        if (!line.ok) throw new JournalCorruptError(`journal record ${where}: ${line.reason}`);
        const event = eventFromJson(line.event, tokens);
        if (event.kind !== 'trade' || event.trade.sequence !== ref.sequence) {
          throw new JournalCorruptError(`journal record ${where} is not the trade the index names (sequence ${ref.sequence})`);
        }
        out.set(refKey(ref), event.trade);
      }
    } finally {
      await fh.close();
    }
    return out;
  }

  async function load(refs: readonly TradeRef[]): Promise<Trade[]> {
    const out: (Trade | undefined)[] = refs.map((r) => cached(refKey(r)));
    const missing = new Map<number, TradeRef[]>();
    refs.forEach((r, i) => {
      if (out[i] !== undefined) return;
      const list = missing.get(r.segment) ?? [];
      list.push(r);
      missing.set(r.segment, list);
    });
    if (missing.size > 0) {
      const read = new Map<string, Trade>();
      for (const [segment, list] of missing) for (const [k, t] of await readRecords(segment, list)) read.set(k, t);
      diskReads += read.size;
      // Oldest first, so the newest of the page are the last to leave the cache.
      for (let i = refs.length - 1; i >= 0; i--) {
        const r = refs[i];
        if (r === undefined || out[i] !== undefined) continue;
        const t = read.get(refKey(r));
        out[i] = t;
        if (t) remember(r, t);
      }
    }
    return refs.map((r, i) => {
      const t = out[i];
      if (!t) throw new JournalCorruptError(`trade at ${refKey(r)} could not be read back`);
      return t;
    });
  }

  return {
    remember,
    load,
    get diskReads() {
      return diskReads;
    },
  };
}
