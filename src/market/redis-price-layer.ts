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
import { metered } from './metered.js';
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

/** What is stored per mint: the exact price, depth, source and observation time. */
interface Stored {
  readonly u: string;
  readonly l: string | null;
  readonly s: string;
  readonly t: number;
}

export function encodePrice(p: UsdPrice): string {
  const v: Stored = { u: ratioToString(p.usd), l: p.liquidityUsd === undefined ? null : ratioToString(p.liquidityUsd), s: p.source, t: p.observedAtMs };
  return JSON.stringify(v);
}

/** The price in a Redis value, or undefined when the value is not one we wrote (treated as a miss). */
export function decodePrice(mint: Mint, text: string): UsdPrice | undefined {
  try {
    const v = JSON.parse(text) as Partial<Stored> | null;
    if (v === null || typeof v.u !== 'string' || typeof v.s !== 'string' || typeof v.t !== 'number') return undefined;
    const usd = ratioFromString(v.u);
    if (usd.n <= 0n) return undefined;
    const liquidityUsd = typeof v.l === 'string' ? ratioFromString(v.l) : undefined;
    return { mint, usd: ratio(usd.n, usd.d), liquidityUsd, source: v.s, observedAtMs: v.t };
  } catch {
    return undefined;
  }
}

export function createRedisPriceLayer(upstream: PriceSource, options: RedisPriceLayerOptions): RedisPriceLayer {
  const source = metered(upstream);
  const { redis, log } = options;
  const ttlMs = options.ttlMs ?? 2_000;
  const prefix = options.keyPrefix ?? REDIS_KEY_PREFIX;
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

  async function read(mints: readonly Mint[]): Promise<Map<Mint, UsdPrice> | undefined> {
    if (redis.status !== 'ready') {
      fail('unavailable', new Error(`redis connection is ${redis.status}`));
      return undefined;
    }
    try {
      const values = await redis.mget(...mints.map((m) => prefix + m));
      ok();
      const found = new Map<Mint, UsdPrice>();
      mints.forEach((m, i) => {
        const text = values[i];
        const price = typeof text === 'string' ? decodePrice(m, text) : undefined;
        if (price !== undefined) found.set(m, price);
      });
      return found;
    } catch (e) {
      fail('mget', e);
      return undefined;
    }
  }

  function write(prices: ReadonlyMap<Mint, UsdPrice>): void {
    if (prices.size === 0 || redis.status !== 'ready') return;
    const p = redis.pipeline();
    for (const [m, price] of prices) p.set(prefix + m, encodePrice(price), 'PX', ttlMs);
    p.exec().then(
      (results) => {
        const err = results?.find(([e]) => e !== null)?.[0];
        if (err) fail('set', err);
      },
      (e: unknown) => fail('set', e),
    );
  }

  async function fetchUsdPrices(mints: readonly Mint[]): Promise<SourcedPrices> {
    const wanted = [...new Set(mints)].filter(isMint);
    if (wanted.length === 0) return { prices: new Map(), attempts: 0, fromCache: true };
    const cached = await read(wanted);
    if (cached === undefined) {
      bypassed += wanted.length;
      return source.fetchUsdPrices(wanted);
    }
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
    if (missing.length === 0) return { prices: cached, attempts: 0, fromCache: true };
    const fresh = await source.fetchUsdPrices(missing);
    write(fresh.prices);
    for (const [m, p] of fresh.prices) cached.set(m, p);
    return { prices: cached, attempts: fresh.attempts, fromCache: false };
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
