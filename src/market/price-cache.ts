import type { QuoteRequest, UsdPrice } from '../domain/market.js';
import type { Mint } from '../domain/tokens.js';
import type { PriceLookup, PriceProvider, PriceSource, QuoteLookup } from '../executor/ports.js';
import { metered } from './metered.js';
import type { SourcedPrices } from './metered.js';

/**
 * The in-process (L1) price cache in front of a PriceSource. Three jobs, all about not hammering the
 * upstream (Jupiter's keyless budget is one batched call per 2 s):
 * - a fresh price is served from memory (TTL per mint);
 * - concurrent misses for one mint share one in-flight fetch (Solana Kit's request coalescer);
 * - misses for different mints arriving in the same tick go out as one batched call (max 50 ids, the
 *   Price v3 limit), so a burst of requests costs one upstream round trip.
 * Failures reach every waiter and are never cached; a mint the source does not price is not cached
 * either, so the next lookup asks again.
 */
export interface PriceCacheOptions {
  /** How long a price stays fresh, from the moment the source answered. Default 2000 ms. */
  readonly ttlMs?: number;
  /** Clock in ms; injectable for tests. Default Date.now. */
  readonly now?: () => number;
  /** Mints per upstream call. Default 50 (Jupiter Price v3's limit). */
  readonly maxBatch?: number;
  /** Called once per mint looked up, hit or miss: the metrics hook. */
  readonly onLookup?: (hit: boolean) => void;
  /** Called with the mints of every lookup: tells a batching source below which mints are in use. */
  readonly onRequest?: (mints: readonly Mint[]) => void;
}

export interface PriceCacheStats {
  /** Mint lookups served fresh from memory. */
  readonly hits: number;
  /** Mint lookups that had to wait for the source (joining an in-flight call counts as a miss). */
  readonly misses: number;
  /** Calls made to the source's getUsdPrices. */
  readonly upstreamCalls: number;
}

export interface PriceCache extends PriceProvider {
  stats(): PriceCacheStats;
}

interface Entry {
  readonly price: UsdPrice;
  readonly expiresAt: number;
  /** When the upstream call that brought it was sent: what a freshness bound is checked against. */
  readonly fetchedAt: number;
}

/** One upstream call: the mints it carries and the answer every waiter shares. */
interface Batch {
  readonly mints: Mint[];
  /** When it was sent; undefined while queued (it goes out this tick, so it is fresh for anyone). */
  sentAt: number | undefined;
  /** The strictest freshness bound of its waiters, passed to the layers below. */
  notBeforeMs: number | undefined;
  readonly answer: Promise<SourcedPrices>;
  resolve(answer: SourcedPrices): void;
  reject(error: unknown): void;
}

export function createPriceCache(plainSource: PriceSource, options: PriceCacheOptions = {}): PriceCache {
  // A metered source (Jupiter, the Redis layer) reports its real attempts and cache hits; any other
  // counts one attempt per call.
  const source = metered(plainSource);
  const ttlMs = options.ttlMs ?? 2_000;
  const now = options.now ?? Date.now;
  const maxBatch = options.maxBatch ?? 50;
  const onLookup = options.onLookup;
  const entries = new Map<Mint, Entry>();
  /** Mints waiting for an answer, and the call that will bring it. */
  const inFlight = new Map<Mint, Batch>();
  /** Batches collected this tick, sent when the microtask queue drains to them. */
  let queued: Batch[] = [];
  let hits = 0;
  let misses = 0;
  let upstreamCalls = 0;

  function enqueue(m: Mint, notBeforeMs: number | undefined): Batch {
    let batch = queued[queued.length - 1];
    if (batch === undefined || batch.mints.length >= maxBatch) {
      batch = newBatch();
      if (queued.length === 0) queueMicrotask(flush);
      queued.push(batch);
    }
    batch.mints.push(m);
    if (notBeforeMs !== undefined) batch.notBeforeMs = Math.max(batch.notBeforeMs ?? notBeforeMs, notBeforeMs);
    inFlight.set(m, batch);
    return batch;
  }

  function flush(): void {
    const batches = queued;
    queued = [];
    for (const b of batches) send(b);
  }

  function send(batch: Batch): void {
    upstreamCalls++;
    const sentAt = now();
    batch.sentAt = sentAt;
    const settle = (): void => {
      for (const m of batch.mints) if (inFlight.get(m) === batch) inFlight.delete(m);
    };
    // Promise.resolve().then turns a source that throws synchronously into a rejection for the waiters.
    Promise.resolve()
      .then(() => (batch.notBeforeMs === undefined ? source.fetchUsdPrices(batch.mints) : source.fetchUsdPrices(batch.mints, batch.notBeforeMs)))
      .then(
        (answer) => {
          const expiresAt = now() + ttlMs;
          // Every price in the answer is kept, including ones a batching source added unasked
          // (upstream-batcher.ts tops calls up with recently traded mints).
          const fetchedAt = Math.min(sentAt, answer.fetchedAtMs ?? sentAt);
          for (const [m, price] of answer.prices) entries.set(m, { price, expiresAt, fetchedAt });
          settle();
          batch.resolve(answer);
        },
        (error: unknown) => {
          settle();
          batch.reject(error);
        },
      );
  }

  /** A call sent before the freshness bound cannot serve the lookup. */
  const freshEnough = (b: Batch, notBeforeMs: number | undefined): boolean => notBeforeMs === undefined || b.sentAt === undefined || b.sentAt >= notBeforeMs;

  async function fetchMissing(prices: Map<Mint, UsdPrice>, missing: readonly Mint[], notBeforeMs: number | undefined): Promise<PriceLookup> {
    const batches: Batch[] = [];
    /** For each missing mint, the index of its batch in `batches`. */
    const slots: number[] = [];
    for (const m of missing) {
      const joined = inFlight.get(m);
      let b: Batch;
      if (joined !== undefined && freshEnough(joined, notBeforeMs)) {
        b = joined;
        if (notBeforeMs !== undefined && joined.sentAt === undefined) joined.notBeforeMs = Math.max(joined.notBeforeMs ?? notBeforeMs, notBeforeMs);
      } else b = enqueue(m, notBeforeMs);
      let slot = batches.indexOf(b);
      if (slot < 0) slot = batches.push(b) - 1;
      slots.push(slot);
    }
    const answers = await Promise.all(batches.map((b) => b.answer));
    for (let i = 0; i < missing.length; i++) {
      const m = missing[i] as Mint;
      const price = answers[slots[i] ?? -1]?.prices.get(m);
      if (price !== undefined) prices.set(m, price);
    }
    let attempts = 0;
    for (const a of answers) attempts += a.attempts;
    return { prices, cacheHit: answers.every((a) => a.fromCache), attempts };
  }

  return {
    sourceName: source.name,
    getUsdPrices(mints, freshness) {
      options.onRequest?.(mints);
      const t = now();
      const notBeforeMs = freshness?.notBeforeMs;
      const prices = new Map<Mint, UsdPrice>();
      let missing: Mint[] | undefined;
      for (const m of mints) {
        const e = entries.get(m);
        const hit = e !== undefined && e.expiresAt > t && (notBeforeMs === undefined || e.fetchedAt >= notBeforeMs);
        if (hit) {
          hits++;
          prices.set(m, e.price);
        } else {
          misses++;
          (missing ??= []).push(m);
        }
        onLookup?.(hit);
      }
      if (missing === undefined) return Promise.resolve({ prices, cacheHit: true, attempts: 0 });
      return fetchMissing(prices, missing, notBeforeMs);
    },
    getQuote(request: QuoteRequest): Promise<QuoteLookup> {
      return source.fetchQuote(request);
    },
    stats: () => ({ hits, misses, upstreamCalls }),
  };
}

function newBatch(): Batch {
  let resolve!: (answer: SourcedPrices) => void;
  let reject!: (error: unknown) => void;
  const answer = new Promise<SourcedPrices>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { mints: [], sentAt: undefined, notBeforeMs: undefined, answer, resolve, reject };
}
