/**
 * The shared (L2) price cache: Redis in front of the upstream source, under the in-process L1 cache.
 * A lookup reads every wanted mint with one MGET, fetches the rest upstream in one batch, and writes
 * those back with SET PX ttl (one pipeline, not awaited). Several executors sharing a Redis then share
 * one upstream budget.
 *
 * A refresh lock per mint (redis-refresh-lock.ts) makes that one upstream call per mint per TTL
 * however many executors miss together: a miss first takes the mint's lock (SET NX PX lockMs); the
 * lookup that wins fetches, writes and releases; the others poll Redis until the price appears, or
 * until the lock is gone (then they try to take it) or their wait reaches lockMs (then they fetch
 * themselves, so a dead holder costs at most lockMs).
 *
 * Redis is a side path (DESIGN.md): when it is down, slow or answers garbage, the lookup goes straight
 * upstream (also in the middle of a lock wait: a lock that cannot be read is never waited on), a
 * warning is logged once per outage and every failure is counted. The client is built with no
 * offline queue and a short command timeout, so a dead Redis costs a status check, not a wait; its
 * reconnect loop brings it back into use by itself, without a restart.
 */
import type { Redis } from 'ioredis';
import type { QuoteRequest, UsdPrice } from '../domain/market.js';
import { ratio, ratioFromString, ratioToString } from '../domain/ratio.js';
import { isMint } from '../domain/tokens.js';
import type { Mint } from '../domain/tokens.js';
import type { Log, QuoteLookup } from '../executor/ports.js';
import type { MeteredPriceSource, SourcedPrices } from './metered.js';
import { earlierFetch, metered } from './metered.js';
import type { PriceSource } from '../executor/ports.js';
import { claimLocks, lockToken, peekLocks, releaseLocks } from './redis-refresh-lock.js';

/** Prefix of every key the layer writes: prices under `<prefix><mint>`, locks under `<prefix>lock:<mint>`. */
export const REDIS_KEY_PREFIX = 'pte:price:v1:';

/** A Redis operation of the layer that can fail; the label of the failure metric. */
export type RedisOperation = 'mget' | 'set' | 'unavailable' | 'lock' | 'release';

/** What the refresh lock did for one mint: the label of the lock metric. */
export type RedisLockEvent = 'win' | 'wait' | 'timeout';

/** How the layer is built: its Redis client, the price lifetime, the refresh lock and its hooks. */
export interface RedisPriceLayerOptions {
  readonly redis: Redis;
  /** Lifetime of a price in Redis (SET PX). Default 2,000 ms. */
  readonly ttlMs?: number;
  readonly keyPrefix?: string;
  readonly log?: Log | undefined;
  /** Once per mint read from Redis: the L2 hit-rate metric. */
  readonly onLookup?: (hit: boolean) => void;
  /** Once per failed or skipped Redis operation (counted as a side failure). */
  readonly onFailure?: (operation: RedisOperation) => void;
  /** Clock in ms: stamps when a price was fetched, for freshness bounds. Default Date.now. */
  readonly now?: () => number;
  /**
   * Lifetime of a refresh lock (SET NX PX), and the longest a lookup waits on a lock another executor
   * holds before fetching itself: what a dead holder costs. 0 = no lock (each executor that misses
   * fetches). Default 300 ms.
   */
  readonly lockMs?: number;
  /** Interval between two reads of a price being waited for. Default 5 ms. */
  readonly lockPollMs?: number;
  /** Once per mint and lock event: the lock metric. */
  readonly onLock?: (event: RedisLockEvent) => void;
}

/** Default lifetime of a refresh lock: well under the 2 s TTL and a trade's budget, far above a fetch. */
export const DEFAULT_REDIS_LOCK_MS = 300;

/** Counters of the layer, per mint: what Redis answered, what it could not, what the lock did. */
export interface RedisLayerStats {
  readonly hits: number;
  readonly misses: number;
  /** Lookups that could not use Redis (down, slow, error) and went upstream directly. */
  readonly bypassed: number;
  readonly failures: number;
  /** Mints whose refresh lock this executor took (and then fetched, unless the price was already there). */
  readonly lockWins: number;
  /** Mints found locked by another lookup and waited for instead of fetched. */
  readonly lockWaits: number;
  /** Waits that reached lockMs without a price: the mint was fetched without the lock. */
  readonly lockTimeouts: number;
}

/** The Redis layer as a metered source, with its counters. */
export interface RedisPriceLayer extends MeteredPriceSource {
  stats(): RedisLayerStats;
}

/**
 * What is stored per mint: the exact price, depth, source and observation time, and when the upstream
 * call that brought it was sent (`f`; absent from values written before it was kept).
 */
interface Stored {
  readonly u: string;
  readonly l: string | null;
  readonly s: string;
  readonly t: number;
  readonly f?: number;
}

/** The Redis value of a price: exact, with when the upstream call that brought it was sent. */
export function encodePrice(p: UsdPrice, fetchedAtMs?: number): string {
  const v: Stored = { u: ratioToString(p.usd), l: p.liquidityUsd === undefined ? null : ratioToString(p.liquidityUsd), s: p.source, t: p.observedAtMs };
  return JSON.stringify(fetchedAtMs === undefined ? v : { ...v, f: fetchedAtMs });
}

/** The price in a Redis value, or undefined when the value is not one we wrote (treated as a miss). */
export function decodePrice(mint: Mint, text: string): UsdPrice | undefined {
  return decodeStored(mint, text)?.price;
}

/** The price and when it was fetched (undefined when the value does not say). */
function decodeStored(mint: Mint, text: string): { price: UsdPrice; fetchedAtMs: number | undefined } | undefined {
  try {
    const v = JSON.parse(text) as Partial<Stored> | null;
    if (v === null || typeof v.u !== 'string' || typeof v.s !== 'string' || typeof v.t !== 'number') return undefined;
    const usd = ratioFromString(v.u);
    if (usd.n <= 0n) return undefined;
    const liquidityUsd = typeof v.l === 'string' ? ratioFromString(v.l) : undefined;
    return { price: { mint, usd: ratio(usd.n, usd.d), liquidityUsd, source: v.s, observedAtMs: v.t }, fetchedAtMs: typeof v.f === 'number' ? v.f : undefined };
  } catch {
    return undefined;
  }
}

/** The layer over an upstream source (see the file's comment). */
export function createRedisPriceLayer(upstream: PriceSource, options: RedisPriceLayerOptions): RedisPriceLayer {
  const source = metered(upstream);
  const { redis, log } = options;
  const ttlMs = options.ttlMs ?? 2_000;
  const prefix = options.keyPrefix ?? REDIS_KEY_PREFIX;
  const now = options.now ?? Date.now;
  const lockMs = options.lockMs ?? DEFAULT_REDIS_LOCK_MS;
  const lockPollMs = options.lockPollMs ?? 5;
  let hits = 0;
  let misses = 0;
  let bypassed = 0;
  let failures = 0;
  let lockWins = 0;
  let lockWaits = 0;
  let lockTimeouts = 0;
  /** Whether the last Redis operation worked; a change is logged once, not per lookup. */
  let healthy = true;

  const fail = (operation: RedisOperation, error: unknown): void => {
    failures++;
    options.onFailure?.(operation);
    if (healthy) {
      healthy = false;
      log?.warn(
        { operation, err: error instanceof Error ? error.message : String(error), redis_status: redis.status },
        'redis price cache unavailable; serving from the in-process cache and upstream',
      );
    }
  };
  const ok = (): void => {
    if (!healthy) {
      healthy = true;
      log?.info({}, 'redis price cache is back');
    }
  };
  const usable = (): boolean => {
    if (redis.status === 'ready') return true;
    fail('unavailable', new Error(`redis connection is ${redis.status}`));
    return false;
  };
  const lockEvent = (event: RedisLockEvent, n: number): void => {
    if (options.onLock) for (let i = 0; i < n; i++) options.onLock(event);
  };

  /** A stored value that serves the lookup; with notBeforeMs, one fetched before it (or not saying when) does not. */
  const accept = (m: Mint, text: string | null | undefined, notBeforeMs: number | undefined): { price: UsdPrice; fetchedAtMs: number | undefined } | undefined => {
    const stored = typeof text === 'string' ? decodeStored(m, text) : undefined;
    if (stored === undefined) return undefined;
    if (notBeforeMs !== undefined && (stored.fetchedAtMs === undefined || stored.fetchedAtMs < notBeforeMs)) return undefined;
    return stored;
  };

  /** Prices in Redis that serve the lookup, and when the oldest of them was fetched. */
  async function read(mints: readonly Mint[], notBeforeMs: number | undefined): Promise<{ found: Map<Mint, UsdPrice>; oldest: number | undefined } | undefined> {
    if (!usable()) return undefined;
    try {
      const values = await redis.mget(...mints.map((m) => prefix + m));
      ok();
      const found = new Map<Mint, UsdPrice>();
      let oldest: number | undefined;
      mints.forEach((m, i) => {
        const stored = accept(m, values[i], notBeforeMs);
        if (stored === undefined) return;
        found.set(m, stored.price);
        // A value that does not say when it was fetched counts as fetched long ago.
        oldest = earlierFetch(oldest, stored.fetchedAtMs ?? 0);
      });
      return { found, oldest };
    } catch (e) {
      fail('mget', e);
      return undefined;
    }
  }

  function write(prices: ReadonlyMap<Mint, UsdPrice>, fetchedAtMs: number): void {
    if (prices.size === 0 || redis.status !== 'ready') return;
    const p = redis.pipeline();
    for (const [m, price] of prices) p.set(prefix + m, encodePrice(price, fetchedAtMs), 'PX', ttlMs);
    p.exec().then(
      (results) => {
        const err = results?.find(([e]) => e !== null)?.[0];
        if (err) fail('set', err);
      },
      (e: unknown) => fail('set', e),
    );
  }

  /**
   * Releases after the write: both go out on the one connection in that order, so whoever sees the
   * lock gone (or takes it next) also sees the price. Not awaited; a lock left behind expires by itself.
   */
  function release(mints: readonly Mint[], token: string): void {
    if (mints.length === 0 || redis.status !== 'ready') return;
    releaseLocks(redis, prefix, mints, token).catch((e: unknown) => fail('release', e));
  }

  /** A lookup's answer under construction: prices found in Redis and the upstream calls it made. */
  interface Gathered {
    readonly prices: Map<Mint, UsdPrice>;
    oldest: number | undefined;
    readonly calls: Promise<SourcedPrices>[];
  }

  function fetchAndWrite(mints: readonly Mint[], notBeforeMs: number | undefined): Promise<SourcedPrices> {
    const sentAtMs = now();
    const call = notBeforeMs === undefined ? source.fetchUsdPrices(mints) : source.fetchUsdPrices(mints, notBeforeMs);
    return call.then((fresh) => {
      const fetchedAtMs = Math.min(sentAtMs, fresh.fetchedAtMs ?? sentAtMs);
      write(fresh.prices, fetchedAtMs);
      return { prices: fresh.prices, attempts: fresh.attempts, fromCache: false, fetchedAtMs };
    });
  }

  /** Starts an upstream call for the answer; its failure reaches the lookup when the calls are awaited. */
  function call(into: Gathered, mints: readonly Mint[], notBeforeMs: number | undefined, token?: string): void {
    if (mints.length === 0) return;
    let p = fetchAndWrite(mints, notBeforeMs);
    if (token !== undefined) p = p.finally(() => release(mints, token));
    // Awaited later, after the lock wait: mark it handled now so a failure meanwhile is not reported as unhandled.
    p.catch(() => undefined);
    into.calls.push(p);
  }

  /** Takes what a read brought: prices that serve the lookup are kept, the other mints are returned. */
  function take(into: Gathered, mints: readonly Mint[], values: readonly (string | null | undefined)[], notBeforeMs: number | undefined): Mint[] {
    const rest: Mint[] = [];
    mints.forEach((m, i) => {
      const stored = accept(m, values[i], notBeforeMs);
      if (stored === undefined) rest.push(m);
      else {
        into.prices.set(m, stored.price);
        into.oldest = earlierFetch(into.oldest, stored.fetchedAtMs ?? 0);
      }
    });
    return rest;
  }

  /**
   * Takes the locks of the mints and fetches those won; returns the mints another lookup holds, or
   * undefined when Redis failed (the mints then went upstream without a lock).
   */
  async function claim(into: Gathered, mints: readonly Mint[], token: string, notBeforeMs: number | undefined): Promise<Mint[] | undefined> {
    if (!usable()) {
      bypassed += mints.length;
      call(into, mints, notBeforeMs);
      return undefined;
    }
    let c;
    try {
      c = await claimLocks(redis, prefix, mints, token, lockMs);
      ok();
    } catch (e) {
      fail('lock', e);
      bypassed += mints.length;
      // Some SETs may have run before the failure; the token check makes releasing all of them safe.
      release(mints, token);
      call(into, mints, notBeforeMs);
      return undefined;
    }
    const values = new Map(mints.map((m, i) => [m, c.values[i]]));
    // A price written by the last holder before it released is already here: no call for it.
    const toFetch = take(into, c.won, c.won.map((m) => values.get(m)), notBeforeMs);
    release(
      c.won.filter((m) => !toFetch.includes(m)),
      token,
    );
    lockWins += toFetch.length;
    lockEvent('win', toFetch.length);
    call(into, toFetch, notBeforeMs, token);
    return take(into, c.held, c.held.map((m) => values.get(m)), notBeforeMs);
  }

  /**
   * Waits for mints whose lock another lookup holds: polls their prices and locks until each price is
   * in Redis; a mint whose lock is gone without a price is claimed again; past lockMs, or when Redis
   * fails, the rest are fetched without the lock.
   */
  async function wait(into: Gathered, held: Mint[], token: string, notBeforeMs: number | undefined): Promise<void> {
    lockWaits += held.length;
    lockEvent('wait', held.length);
    // A holder's lock lives at most lockMs from its SET, which came before ours: past that, it is dead.
    const deadline = performance.now() + lockMs;
    let pending = held;
    while (pending.length > 0) {
      if (performance.now() >= deadline) {
        lockTimeouts += pending.length;
        lockEvent('timeout', pending.length);
        call(into, pending, notBeforeMs);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, lockPollMs));
      if (!usable()) {
        bypassed += pending.length;
        call(into, pending, notBeforeMs);
        return;
      }
      let peek;
      try {
        peek = await peekLocks(redis, prefix, pending);
        ok();
      } catch (e) {
        fail('mget', e);
        bypassed += pending.length;
        call(into, pending, notBeforeMs);
        return;
      }
      const waiting = take(into, pending, peek.values, notBeforeMs);
      const locked = new Set(pending.filter((_, i) => peek.locked[i]));
      const free = waiting.filter((m) => !locked.has(m));
      pending = waiting.filter((m) => locked.has(m));
      if (free.length > 0) {
        const stillHeld = await claim(into, free, token, notBeforeMs);
        if (stillHeld === undefined) {
          bypassed += pending.length;
          call(into, pending, notBeforeMs);
          return;
        }
        pending.push(...stillHeld);
      }
    }
  }

  async function fetchUsdPrices(mints: readonly Mint[], notBeforeMs?: number): Promise<SourcedPrices> {
    const wanted = [...new Set(mints)].filter(isMint);
    if (wanted.length === 0) return { prices: new Map(), attempts: 0, fromCache: true };
    const stored = await read(wanted, notBeforeMs);
    if (stored === undefined) {
      bypassed += wanted.length;
      return notBeforeMs === undefined ? source.fetchUsdPrices(wanted) : source.fetchUsdPrices(wanted, notBeforeMs);
    }
    const cached = stored.found;
    const missing: Mint[] = [];
    for (const m of wanted) {
      const hit = cached.has(m);
      if (hit) hits++;
      else {
        misses++;
        missing.push(m);
      }
      options.onLookup?.(hit);
    }
    const into: Gathered = { prices: cached, oldest: stored.oldest, calls: [] };
    if (missing.length > 0) {
      if (lockMs <= 0) call(into, missing, notBeforeMs);
      else {
        const token = lockToken();
        const held = await claim(into, missing, token, notBeforeMs);
        if (held !== undefined && held.length > 0) await wait(into, held, token, notBeforeMs);
      }
    }
    const fresh = await Promise.all(into.calls);
    let attempts = 0;
    let overall = into.oldest;
    for (const f of fresh) {
      for (const [m, p] of f.prices) cached.set(m, p);
      attempts += f.attempts;
      overall = earlierFetch(overall, f.fetchedAtMs);
    }
    // fromCache: Redis answered every mint (read at once or after waiting on another executor's call).
    return { prices: cached, attempts, fromCache: fresh.length === 0, ...(overall === undefined ? {} : { fetchedAtMs: overall }) };
  }

  return {
    name: source.name,
    fetchUsdPrices,
    getUsdPrices: async (mints) => (await fetchUsdPrices(mints)).prices,
    fetchQuote: (request: QuoteRequest): Promise<QuoteLookup> => source.fetchQuote(request),
    getQuote: (request) => source.getQuote(request),
    stats: () => ({ hits, misses, bypassed, failures, lockWins, lockWaits, lockTimeouts }),
  };
}
