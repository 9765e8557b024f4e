import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import type { Log, PriceProvider, PriceSource } from '../executor/ports.js';
import { createJupiterSource } from './jupiter-source.js';
import { createJupiterTransport, type JupiterEndpointSpec } from './jupiter-transport.js';
import { createMarketMetrics } from './market-metrics.js';
import type { MarketMetrics } from './market-metrics.js';
import { createPriceCache } from './price-cache.js';
import type { PriceCacheStats } from './price-cache.js';
import { createRedisLockMetrics } from './redis-lock-metrics.js';
import { createRedisPriceLayer } from './redis-price-layer.js';
import type { RedisLayerStats, RedisPriceLayer } from './redis-price-layer.js';
import { createSimulatedMarket } from './sim-market.js';
import { createUpstreamBatcher } from './upstream-batcher.js';
import type { UpstreamBatcher } from './upstream-batcher.js';

/**
 * The market's settings as plain values. The composition root passes them (config.market, the
 * seed, the API key it read from the environment), so this folder reads neither config nor env.
 */
export interface MarketSettings {
  readonly kind: 'sim' | 'jupiter';
  /** Seed of the simulated market's walk. */
  readonly seed: bigint;
  readonly jupiterUrls: readonly (string | JupiterEndpointSpec)[];
  /** Jupiter's API key (sent as x-api-key); undefined = keyless. */
  readonly apiKey?: string | undefined;
  readonly redisUrl?: string | undefined;
  readonly priceTtlMs: number;
  readonly l1TtlMs?: number | undefined;
  readonly requestTimeoutMs: number;
  readonly perEndpointRatePerSec: number;
  readonly maxAttemptsPerEndpoint: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxRateLimitWaitMs: number;
  readonly breakerFailureThreshold: number;
  readonly breakerOpenMs: number;
  readonly maxDeviationBps: number;
  readonly lastGoodMaxAgeMs: number;
  readonly redisTimeoutMs: number;
  /** Lifetime of the shared cache's refresh lock per mint (what a dead holder costs); 0 = no lock. */
  readonly redisLockMs: number;
}

export interface MarketHooks {
  /** Called once per mint looked up in the in-process cache. */
  readonly onCacheLookup?: (hit: boolean) => void;
  /** Where retries, failovers, breaker changes and Redis outages are logged. */
  readonly log?: Log;
  /** The service's metrics registry: the market adds its own series (L2 hit rate, attempts, breakers). */
  readonly registry?: Registry;
  /** A side path (the Redis cache) failed without failing the lookup. */
  readonly onSideFailure?: (component: string) => void;
}

export interface MarketStats {
  /** The in-process cache: hits, misses, calls made below it. */
  readonly l1: PriceCacheStats;
  /** The Redis layer, when configured. */
  readonly l2: RedisLayerStats | undefined;
}

export interface Market {
  readonly prices: PriceProvider;
  stats(): MarketStats;
  /** Releases connections (Redis, HTTP agents); idempotent. */
  close(): Promise<void>;
}

/** The in-process lifetime: the configured one with Redis behind it, else the one price lifetime. */
export function l1TtlMs(m: MarketSettings): number {
  if (m.redisUrl === undefined) return m.priceTtlMs;
  return m.l1TtlMs ?? Math.min(500, m.priceTtlMs);
}

function source(m: MarketSettings, tokens: TokenRegistry, hooks: MarketHooks, metrics: MarketMetrics | undefined): PriceSource | UpstreamBatcher {
  switch (m.kind) {
    case 'sim':
      return createSimulatedMarket({ tokens, seed: m.seed });
    case 'jupiter': {
      const transport = createJupiterTransport({
        baseUrls: m.jupiterUrls,
        apiKey: m.apiKey,
        timeoutMs: m.requestTimeoutMs,
        maxAttemptsPerEndpoint: m.maxAttemptsPerEndpoint,
        backoffBaseMs: m.backoffBaseMs,
        backoffMaxMs: m.backoffMaxMs,
        maxWaitMs: m.maxRateLimitWaitMs,
        ratePerSec: m.perEndpointRatePerSec,
        breakerFailureThreshold: m.breakerFailureThreshold,
        breakerOpenMs: m.breakerOpenMs,
        log: hooks.log,
        onAttempt: (event) => metrics?.jupiterAttempt(event),
        onBreakerChange: (endpoint, _from, to) => metrics?.breakerChange(endpoint, to),
      });
      const jupiter = createJupiterSource({
        transport,
        log: hooks.log,
        maxDeviationBps: m.maxDeviationBps,
        lastGoodMaxAgeMs: m.lastGoodMaxAgeMs,
        onRejectedPrice: () => metrics?.rejectedPrice(),
      });
      return createUpstreamBatcher(jupiter, {
        hotWindowMs: Math.max(10_000, 5 * m.priceTtlMs),
        reuseMs: Math.min(1_000, Math.floor(m.priceTtlMs / 2)),
      });
    }
  }
}

/**
 * Price discovery as configured (DESIGN.md step 3): the source (simulated market or Jupiter with
 * failover), behind Redis when a URL is set, behind the in-process cache.
 */
export function createMarket(settings: MarketSettings, tokens: TokenRegistry, hooks: MarketHooks = {}): Market {
  const metrics = hooks.registry ? createMarketMetrics(hooks.registry) : undefined;
  const base = source(settings, tokens, hooks, metrics);
  const batcher = 'touch' in base ? base : undefined;
  let upstream: PriceSource = base;
  let redis: Redis | undefined;
  let l2: RedisPriceLayer | undefined;
  const url = settings.redisUrl;
  if (url !== undefined) {
    redis = createRedisClient(url, settings.redisTimeoutMs, hooks.log);
    const onLock = hooks.registry ? createRedisLockMetrics(hooks.registry) : undefined;
    upstream = l2 = createRedisPriceLayer(upstream, {
      redis,
      ttlMs: settings.priceTtlMs,
      log: hooks.log,
      lockMs: settings.redisLockMs,
      ...(onLock ? { onLock } : {}),
      onLookup: (hit) => metrics?.sharedCacheLookup(hit),
      onFailure: (operation) => {
        metrics?.redisFailure(operation);
        hooks.onSideFailure?.('redis');
      },
    });
  }
  const prices = createPriceCache(upstream, {
    ttlMs: l1TtlMs(settings),
    ...(hooks.onCacheLookup ? { onLookup: hooks.onCacheLookup } : {}),
    ...(batcher ? { onRequest: (mints: readonly Mint[]) => batcher.touch(mints) } : {}),
  });
  let closed = false;
  return {
    prices,
    stats: () => ({ l1: prices.stats(), l2: l2?.stats() }),
    close() {
      if (!closed) {
        closed = true;
        redis?.disconnect();
      }
      return Promise.resolve();
    },
  };
}

/**
 * A Redis client for a side path: no offline queue (a command while disconnected fails at once
 * instead of waiting), no per-command retries, a short command timeout, and a reconnect loop that
 * never gives up, so a restarted Redis is used again without restarting the executor.
 */
export function createRedisClient(url: string, commandTimeoutMs: number, log?: Log): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1_000,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
    lazyConnect: false,
  });
  // ioredis reports every failed reconnect as an 'error' event; the layer logs outages once.
  redis.on('error', (e: Error) => log?.debug({ err: e.message }, 'redis connection error'));
  return redis;
}
