/**
 * The shared (L2) price cache: Redis in front of the upstream source, under the in-process L1 cache.
 * A lookup reads every wanted mint with one MGET, fetches the rest upstream in one batch, and writes
 * those back with SET PX ttl (one pipeline, not awaited). Several executors sharing a Redis then share
 * one upstream budget.
 *
 * Redis is a side path (DESIGN.md): when it is down, slow or answers garbage, the lookup goes straight
 * upstream, a warning is logged once per outage and every failure is counted. The client is built with
 * no offline queue and a short command timeout, so a dead Redis costs a status check, not a wait; its
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

export const REDIS_KEY_PREFIX = 'pte:price:v1:';

export interface RedisPriceLayerOptions {
  readonly redis: Redis;
  /** Lifetime of a price in Redis (SET PX). Default 2,000 ms. */
  readonly ttlMs?: number;
  readonly keyPrefix?: string;
  readonly log?: Log | undefined;
  /** Once per mint read from Redis: the L2 hit-rate metric. */
  readonly onLookup?: (hit: boolean) => void;
  /** Once per failed or skipped Redis operation (counted as a side failure). */
  readonly onFailure?: (operation: 'mget' | 'set' | 'unavailable') => void;
  /** Clock in ms: stamps when a price was fetched, for freshness bounds. Default Date.now. */
  readonly now?: () => number;
}

export interface RedisLayerStats {
  readonly hits: number;
  readonly misses: number;
  /** Lookups that could not use Redis (down, slow, error) and went upstream directly. */
  readonly bypassed: number;
  readonly failures: number;
}

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

export function createRedisPriceLayer(upstream: PriceSource, options: RedisPriceLayerOptions): RedisPriceLayer {
  const source = metered(upstream);
  const { redis, log } = options;
  const ttlMs = options.ttlMs ?? 2_000;
  const prefix = options.keyPrefix ?? REDIS_KEY_PREFIX;
  const now = options.now ?? Date.now;
  let hits = 0;
  let misses = 0;
  let bypassed = 0;
  let failures = 0;
  /** Whether the last Redis operation worked; a change is logged once, not per lookup. */
  let healthy = true;

  const fail = (operation: 'mget' | 'set' | 'unavailable', error: unknown): void => {
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

  /** Prices in Redis; with notBeforeMs, one fetched before it (or not saying when) counts as absent. */
  async function read(mints: readonly Mint[], notBeforeMs: number | undefined): Promise<{ found: Map<Mint, UsdPrice>; oldest: number | undefined } | undefined> {
    if (redis.status !== 'ready') {
      fail('unavailable', new Error(`redis connection is ${redis.status}`));
      return undefined;
    }
    try {
      const values = await redis.mget(...mints.map((m) => prefix + m));
      ok();
      const found = new Map<Mint, UsdPrice>();
      let oldest: number | undefined;
      mints.forEach((m, i) => {
        const text = values[i];
        const stored = typeof text === 'string' ? decodeStored(m, text) : undefined;
        if (stored === undefined) return;
        if (notBeforeMs !== undefined && (stored.fetchedAtMs === undefined || stored.fetchedAtMs < notBeforeMs)) return;
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

  async function fetchUsdPrices(mints: readonly Mint[], notBeforeMs?: number): Promise<SourcedPrices> {
    const wanted = [...new Set(mints)].filter(isMint);
    if (wanted.length === 0) return { prices: new Map(), attempts: 0, fromCache: true };
    const upstream = (ms: readonly Mint[]): Promise<SourcedPrices> => (notBeforeMs === undefined ? source.fetchUsdPrices(ms) : source.fetchUsdPrices(ms, notBeforeMs));
    const stored = await read(wanted, notBeforeMs);
    if (stored === undefined) {
      bypassed += wanted.length;
      return upstream(wanted);
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
    const oldest = stored.oldest;
    if (missing.length === 0) return { prices: cached, attempts: 0, fromCache: true, ...(oldest === undefined ? {} : { fetchedAtMs: oldest }) };
    const sentAtMs = now();
    const fresh = await upstream(missing);
    const fetchedAtMs = Math.min(sentAtMs, fresh.fetchedAtMs ?? sentAtMs);
    write(fresh.prices, fetchedAtMs);
    for (const [m, p] of fresh.prices) cached.set(m, p);
    const overall = earlierFetch(oldest, fetchedAtMs);
    return { prices: cached, attempts: fresh.attempts, fromCache: false, ...(overall === undefined ? {} : { fetchedAtMs: overall }) };
  }

  return {
    name: source.name,
    fetchUsdPrices,
    getUsdPrices: async (mints) => (await fetchUsdPrices(mints)).prices,
    fetchQuote: (request: QuoteRequest): Promise<QuoteLookup> => source.fetchQuote(request),
    getQuote: (request) => source.getQuote(request),
    stats: () => ({ hits, misses, bypassed, failures }),
  };
}
