/**
 * The two-level price cache against a real redis-server (our own, on a free port) and the Jupiter
 * emulator: hits, misses and expiry in Redis; one upstream call for 100 concurrent cold lookups; and
 * trades that carry on when Redis dies and use it again when it comes back, without a restart.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { createRedisClient } from '../src/market/build.js';
import { startJupiterEmulator, type JupiterEmulator } from '../src/market/jupiter-emulator.js';
import { createJupiterSource } from '../src/market/jupiter-source.js';
import { createJupiterTransport } from '../src/market/jupiter-transport.js';
import { freePort, startLocalRedis, type LocalRedis } from './fakes/local-redis.js';
import { createPriceCache } from '../src/market/price-cache.js';
import { createRedisPriceLayer, decodePrice, REDIS_KEY_PREFIX } from '../src/market/redis-price-layer.js';
import { startTestServer, trade } from './support.js';

const tokens = createTokenRegistry();
const SOL = tokens.bySymbol('SOL').mint;
const USDC = tokens.bySymbol('USDC').mint;
const JUP = tokens.bySymbol('JUP').mint;
const BONK = tokens.bySymbol('BONK').mint;

let redis: LocalRedis;
let jupiter: JupiterEmulator;
let admin: Redis;
const clients: Redis[] = [];

beforeAll(async () => {
  [redis, jupiter] = await Promise.all([startLocalRedis(), startJupiterEmulator()]);
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  admin.disconnect();
  await Promise.all([redis.stop(), jupiter.close()]);
});

async function ready(client: Redis): Promise<void> {
  for (let i = 0; i < 200 && client.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 25));
  expect(client.status).toBe('ready');
}

/** Redis layer over Jupiter (emulator), with its own Redis connection, as one executor process has. */
async function layer(ttlMs = 2_000) {
  const client = createRedisClient(redis.url, 200);
  clients.push(client);
  await ready(client);
  const transport = createJupiterTransport({ baseUrls: [jupiter.url], ratePerSec: 1_000 });
  return createRedisPriceLayer(createJupiterSource({ transport }), { redis: client, ttlMs });
}

describe('Redis (L2) price cache', () => {
  it('a miss goes upstream and writes the exact price with a TTL; the next lookup is a hit with no upstream call', async () => {
    await admin.flushall();
    jupiter.resetRequests();
    const l2 = await layer();
    const first = await l2.fetchUsdPrices([SOL, USDC]);
    expect([first.fromCache, first.attempts, jupiter.count('price')]).toEqual([false, 1, 1]);
    await expect.poll(() => admin.exists(REDIS_KEY_PREFIX + SOL)).toBe(1);
    const stored = decodePrice(SOL, (await admin.get(REDIS_KEY_PREFIX + SOL)) ?? '');
    expect(stored?.usd).toEqual(first.prices.get(SOL)?.usd);
    expect(stored?.source).toBe(`jupiter:${jupiter.url}`);
    const pttl = await admin.pttl(REDIS_KEY_PREFIX + SOL);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(2_000);

    const second = await l2.fetchUsdPrices([SOL, USDC]);
    expect([second.fromCache, second.attempts, jupiter.count('price')]).toEqual([true, 0, 1]);
    expect(second.prices.get(SOL)).toEqual(first.prices.get(SOL));
    expect(l2.stats()).toMatchObject({ hits: 2, misses: 2, failures: 0 });
  });

  it('a partial hit fetches only the missing mints upstream', async () => {
    await admin.flushall();
    jupiter.resetRequests();
    const l2 = await layer();
    await l2.fetchUsdPrices([SOL]);
    await expect.poll(() => admin.exists(REDIS_KEY_PREFIX + SOL)).toBe(1);
    await l2.fetchUsdPrices([SOL, JUP]);
    expect(jupiter.requests().map((r) => r.mints)).toEqual([[SOL], [JUP]]);
  });

  it('a price written by one process is a hit for another (the cache is shared)', async () => {
    await admin.flushall();
    jupiter.resetRequests();
    const [one, two] = [await layer(), await layer()];
    await one.fetchUsdPrices([JUP]);
    await expect.poll(() => admin.exists(REDIS_KEY_PREFIX + JUP)).toBe(1);
    const r = await two.fetchUsdPrices([JUP]);
    expect(r.fromCache).toBe(true);
    expect(jupiter.count('price')).toBe(1);
  });

  it('an expired price is a miss again', async () => {
    await admin.flushall();
    jupiter.resetRequests();
    const l2 = await layer(300);
    await l2.fetchUsdPrices([SOL]);
    await expect.poll(() => admin.exists(REDIS_KEY_PREFIX + SOL)).toBe(1);
    await expect.poll(() => admin.exists(REDIS_KEY_PREFIX + SOL), { timeout: 5_000, interval: 50 }).toBe(0);
    const r = await l2.fetchUsdPrices([SOL]);
    expect([r.fromCache, jupiter.count('price')]).toEqual([false, 2]);
  });

  it('a value that is not a price we wrote is a miss, not a price', async () => {
    await admin.flushall();
    jupiter.resetRequests();
    const l2 = await layer();
    await admin.set(REDIS_KEY_PREFIX + SOL, '{"u":"-5/1","s":"evil","t":1}');
    const r = await l2.fetchUsdPrices([SOL]);
    expect(r.fromCache).toBe(false);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${jupiter.url}`);
  });

  it('100 concurrent lookups of a cold mint make one upstream call, and all get the same price', async () => {
    await admin.flushall();
    jupiter.resetRequests();
    jupiter.setFaults(['price:latency=30']);
    try {
      const l1 = createPriceCache(await layer(), { ttlMs: 500 });
      const answers = await Promise.all(Array.from({ length: 100 }, () => l1.getUsdPrices([BONK])));
      expect(jupiter.count('price')).toBe(1);
      const first = answers[0]?.prices.get(BONK);
      expect(first).toBeDefined();
      for (const a of answers) expect(a.prices.get(BONK)).toBe(first);
      expect(l1.stats().upstreamCalls).toBe(1);
    } finally {
      jupiter.clearFaults();
    }
  });
});

describe('Redis outages', () => {
  it('an unreachable Redis costs no wait: lookups go upstream, every bypass is counted, one warning is logged', async () => {
    jupiter.resetRequests();
    const dead = createRedisClient(`redis://127.0.0.1:${await freePort()}`, 50);
    clients.push(dead);
    const warnings: string[] = [];
    const log = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_o: object, msg?: string) => warnings.push(msg ?? ''), child: () => log };
    const failures: string[] = [];
    const transport = createJupiterTransport({ baseUrls: [jupiter.url], ratePerSec: 1_000 });
    const l2 = createRedisPriceLayer(createJupiterSource({ transport }), { redis: dead, log, onFailure: (op) => failures.push(op) });
    for (let i = 0; i < 3; i++) expect((await l2.fetchUsdPrices([SOL])).prices.has(SOL)).toBe(true);
    expect(jupiter.count('price')).toBe(3);
    expect(failures).toEqual(['unavailable', 'unavailable', 'unavailable']);
    expect(warnings).toHaveLength(1);
    expect(l2.stats().bypassed).toBe(3);
  });

  it('trades go on when Redis dies (each failure counted) and Redis is used again when it returns, without a restart', async () => {
    await admin.flushall();
    const server = await startTestServer({
      market: { kind: 'jupiter', jupiterUrls: [jupiter.url], redisUrl: redis.url, l1TtlMs: 0, perEndpointRatePerSec: 1_000, redisTimeoutMs: 200 },
    });
    const failures = async (): Promise<number> => {
      const m = await server.app.metrics.registry.getSingleMetric('pte_redis_failures_total')?.get();
      return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
    };
    const l2Hits = async (): Promise<number> => {
      const m = await server.app.metrics.registry.getSingleMetric('pte_price_cache_l2_lookups_total')?.get();
      return m?.values.find((v) => v.labels.result === 'hit')?.value ?? 0;
    };
    try {
      const buy = () => server.client.executeTrade(trade({ portfolioId: 'redis-outage', amount: '0.01' }));
      for (let i = 0; i < 3; i++) expect((await buy()).trade?.status).toBe('TRADE_STATUS_FILLED');
      expect(await l2Hits()).toBeGreaterThan(0);
      expect(await failures()).toBe(0);

      await redis.kill();
      const during = [];
      for (let i = 0; i < 10; i++) during.push(await buy());
      expect(during.map((r) => r.trade?.status)).toEqual(Array(10).fill('TRADE_STATUS_FILLED'));
      expect(during.every((r) => r.trade?.priceSource === `jupiter:${jupiter.url}`)).toBe(true);
      expect(await failures()).toBeGreaterThanOrEqual(10);

      await redis.restart();
      await ready(admin);
      // The executor's client reconnects by itself; once it has, its lookups write to the new, empty Redis.
      await expect
        .poll(
          async () => {
            await buy();
            return admin.exists(REDIS_KEY_PREFIX + SOL);
          },
          { timeout: 10_000, interval: 100 },
        )
        .toBe(1);
      const hitsBefore = await l2Hits();
      expect((await buy()).trade?.status).toBe('TRADE_STATUS_FILLED');
      expect(await l2Hits()).toBeGreaterThan(hitsBefore);
    } finally {
      await server.stop();
    }
  });
});
