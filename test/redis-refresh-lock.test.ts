/**
 * The refresh lock of the shared Redis price cache, against a real redis-server: several executors
 * (each its own Redis connection and in-process cache) make one upstream call per mint per TTL; a
 * holder that dies costs the others the lock timeout, not their prices; a Redis that fails during a
 * wait sends the lookup upstream; a lookup releases only its own lock; freshness bounds still hold.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsdPrice } from '../src/domain/market.js';
import { ratio } from '../src/domain/ratio.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import type { Mint } from '../src/domain/tokens.js';
import { createRedisClient } from '../src/market/build.js';
import type { MeteredPriceSource, SourcedPrices } from '../src/market/metered.js';
import { createPriceCache } from '../src/market/price-cache.js';
import { createRedisPriceLayer, REDIS_KEY_PREFIX } from '../src/market/redis-price-layer.js';
import type { RedisPriceLayerOptions } from '../src/market/redis-price-layer.js';
import { lockKey, releaseLocks } from '../src/market/redis-refresh-lock.js';
import { startLocalRedis, type LocalRedis } from './fakes/local-redis.js';

const tokens = createTokenRegistry();
const SOL = tokens.bySymbol('SOL').mint;
const USDC = tokens.bySymbol('USDC').mint;
const JUP = tokens.bySymbol('JUP').mint;
const BONK = tokens.bySymbol('BONK').mint;

let redis: LocalRedis;
let admin: Redis;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startLocalRedis();
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  admin.disconnect();
  await redis.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function ready(client: Redis): Promise<void> {
  for (let i = 0; i < 200 && client.status !== 'ready'; i++) await sleep(25);
  expect(client.status).toBe('ready');
}

async function connect(url = redis.url): Promise<Redis> {
  const client = createRedisClient(url, 200);
  clients.push(client);
  await ready(client);
  return client;
}

const price = (mint: Mint, n: number): UsdPrice => ({ mint, usd: ratio(BigInt(n)), liquidityUsd: undefined, source: 'counting', observedAtMs: 0 });

/** An upstream that takes latencyMs per call and counts the calls carrying each mint; call n prices every mint at n. */
function countingSource(latencyMs: number) {
  const perMint = new Map<Mint, number>();
  let calls = 0;
  const source: MeteredPriceSource = {
    name: 'counting',
    async fetchUsdPrices(mints): Promise<SourcedPrices> {
      const n = ++calls;
      for (const m of mints) perMint.set(m, (perMint.get(m) ?? 0) + 1);
      await sleep(latencyMs);
      return { prices: new Map(mints.map((m) => [m, price(m, n)])), attempts: 1, fromCache: false };
    },
    getUsdPrices: async (mints) => (await source.fetchUsdPrices(mints)).prices,
    fetchQuote: () => Promise.reject(new Error('unused')),
    getQuote: () => Promise.reject(new Error('unused')),
  };
  return { source, callsFor: (m: Mint) => perMint.get(m) ?? 0, calls: () => calls };
}

/** An upstream whose calls stay open until released; call n prices every mint at n. */
function gatedSource() {
  const calls: Mint[][] = [];
  const open: (() => void)[] = [];
  const source: MeteredPriceSource = {
    name: 'gated',
    fetchUsdPrices(mints) {
      calls.push([...mints]);
      const n = calls.length;
      return new Promise<SourcedPrices>((resolve) => open.push(() => resolve({ prices: new Map(mints.map((m) => [m, price(m, n)])), attempts: 1, fromCache: false })));
    },
    getUsdPrices: () => Promise.reject(new Error('unused')),
    fetchQuote: () => Promise.reject(new Error('unused')),
    getQuote: () => Promise.reject(new Error('unused')),
  };
  return { source, calls, release: () => open.splice(0).forEach((r) => r()) };
}

type LayerOptions = Omit<RedisPriceLayerOptions, 'redis'>;

/**
 * Three executors (own Redis connection, own Redis layer, own in-process cache) looking up
 * overlapping sets of mints in tight loops for `windows` price lifetimes; returns upstream calls per
 * mint and how many TTL windows the run touched.
 */
async function runFleet(options: LayerOptions & { ttlMs: number }, windows: number) {
  await admin.flushall();
  const upstream = countingSource(25);
  const executors = await Promise.all([0, 1, 2].map(async () => createPriceCache(createRedisPriceLayer(upstream.source, { ...options, redis: await connect() }), { ttlMs: 0 })));
  const asks: Mint[][] = [[SOL, USDC], [USDC, JUP], [SOL, JUP, BONK], [BONK]];
  const start = Date.now();
  const end = start + windows * options.ttlMs;
  await Promise.all(
    executors.flatMap((cache) =>
      asks.map(async (mints) => {
        while (Date.now() < end) {
          const r = await cache.getUsdPrices(mints);
          expect([...r.prices.keys()].sort()).toEqual([...mints].sort());
          await sleep(2);
        }
      }),
    ),
  );
  // The last lookups may have started just before the end and ended after it.
  const elapsed = Date.now() - start;
  const touched = Math.floor(elapsed / options.ttlMs) + 1;
  return { calls: [SOL, USDC, JUP, BONK].map((m) => upstream.callsFor(m)), touched };
}

describe('Redis refresh lock', () => {
  it('three executors sharing Redis make at most one upstream call per mint per TTL window', async () => {
    const { calls, touched } = await runFleet({ ttlMs: 250, lockMs: 150 }, 6);
    // Every mint expired and was refetched several times, and never more than once per window.
    for (const n of calls) {
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(touched);
    }
  });

  it('without the lock (redisLockMs 0) the same executors make more calls than there are windows', async () => {
    const { calls, touched } = await runFleet({ ttlMs: 250, lockMs: 0 }, 6);
    expect(calls.some((n) => n > touched)).toBe(true);
  });

  it('a holder that died with its lock held costs the others the lock timeout: they fetch themselves and leave its lock alone', async () => {
    await admin.flushall();
    const upstream = countingSource(5);
    await admin.set(lockKey(REDIS_KEY_PREFIX, SOL), 'dead-holder', 'PX', 60_000);
    const layers = [createRedisPriceLayer(upstream.source, { redis: await connect(), lockMs: 300 }), createRedisPriceLayer(upstream.source, { redis: await connect(), lockMs: 300 })];
    const answers = await Promise.all(layers.map((l) => l.fetchUsdPrices([SOL, USDC])));
    for (const a of answers) expect([a.prices.has(SOL), a.prices.has(USDC), a.fromCache]).toEqual([true, true, false]);
    expect(upstream.callsFor(SOL)).toBeGreaterThanOrEqual(1);
    // USDC, whose lock works, is still fetched once: one layer won it, the other waited for its price.
    expect(upstream.callsFor(USDC)).toBe(1);
    expect(layers.map((l) => l.stats().lockTimeouts)).toEqual([1, 1]);
    expect(layers.map((l) => l.stats().lockWins).reduce((x, y) => x + y)).toBe(1);
    expect(await admin.get(lockKey(REDIS_KEY_PREFIX, SOL))).toBe('dead-holder');
  });

  it('a lookup waiting for another executor is served from Redis with no upstream call of its own', async () => {
    await admin.flushall();
    const g = gatedSource();
    const holder = createRedisPriceLayer(g.source, { redis: await connect(), lockMs: 10_000 });
    const waiter = createRedisPriceLayer(g.source, { redis: await connect(), lockMs: 10_000 });
    const first = holder.fetchUsdPrices([JUP]);
    await expect.poll(() => g.calls.length).toBe(1);
    const second = waiter.fetchUsdPrices([JUP]);
    await expect.poll(() => waiter.stats().lockWaits).toBe(1);
    g.release();
    const [a, b] = await Promise.all([first, second]);
    expect(g.calls).toHaveLength(1);
    expect(b.prices.get(JUP)).toEqual(a.prices.get(JUP));
    expect([b.fromCache, b.attempts]).toEqual([true, 0]);
    expect(holder.stats()).toMatchObject({ lockWins: 1, lockWaits: 0 });
    expect(waiter.stats()).toMatchObject({ lockWins: 0, lockWaits: 1, lockTimeouts: 0 });
  });

  it('a lookup releases its lock once the price is written, and never a lock another lookup now holds', async () => {
    await admin.flushall();
    const g = gatedSource();
    const client = await connect();
    const layer = createRedisPriceLayer(g.source, { redis: client, lockMs: 10_000 });
    const key = lockKey(REDIS_KEY_PREFIX, BONK);

    const own = layer.fetchUsdPrices([BONK]);
    await expect.poll(() => g.calls.length).toBe(1);
    expect(await admin.exists(key)).toBe(1);
    g.release();
    await own;
    await client.ping(); // commands on one connection run in order: the release has run
    expect(await admin.exists(key)).toBe(0);
    expect(await admin.exists(REDIS_KEY_PREFIX + BONK)).toBe(1);

    await admin.del(REDIS_KEY_PREFIX + BONK);
    const overtaken = layer.fetchUsdPrices([BONK]);
    await expect.poll(() => g.calls.length).toBe(2);
    // Its lock expired and another executor took it while the call was out.
    await admin.set(key, 'other-holder', 'PX', 60_000);
    g.release();
    await overtaken;
    await client.ping();
    expect(await admin.get(key)).toBe('other-holder');

    await releaseLocks(client, REDIS_KEY_PREFIX, [BONK], 'not-its-token');
    expect(await admin.get(key)).toBe('other-holder');
    await releaseLocks(client, REDIS_KEY_PREFIX, [BONK], 'other-holder');
    expect(await admin.exists(key)).toBe(0);
  });

  it('a lookup that needs a price fetched after its bound does not take an older one from the holder; it fetches once the lock is free', async () => {
    await admin.flushall();
    const g = gatedSource();
    const holder = createRedisPriceLayer(g.source, { redis: await connect(), lockMs: 10_000 });
    const waiter = createRedisPriceLayer(g.source, { redis: await connect(), lockMs: 10_000 });
    const first = holder.fetchUsdPrices([USDC]);
    await expect.poll(() => g.calls.length).toBe(1);
    await sleep(2);
    const second = waiter.fetchUsdPrices([USDC], Date.now());
    await expect.poll(() => waiter.stats().lockWaits).toBe(1);
    g.release();
    await first;
    await expect.poll(() => g.calls.length).toBe(2);
    g.release();
    const r = await second;
    expect(r.prices.get(USDC)?.usd).toEqual(ratio(2n));
    expect(waiter.stats()).toMatchObject({ lockWins: 1, lockWaits: 1, lockTimeouts: 0 });
  });
});

describe('Redis refresh lock when Redis fails', () => {
  it('an unreachable Redis sends lookups upstream with no lock and no wait', async () => {
    const upstream = countingSource(1);
    const dead = createRedisClient('redis://127.0.0.1:1', 50);
    clients.push(dead);
    const layer = createRedisPriceLayer(upstream.source, { redis: dead, lockMs: 60_000 });
    for (let i = 0; i < 3; i++) expect((await layer.fetchUsdPrices([SOL])).prices.has(SOL)).toBe(true);
    expect(upstream.callsFor(SOL)).toBe(3);
    expect(layer.stats()).toMatchObject({ bypassed: 3, lockWaits: 0, lockWins: 0 });
  });

  it('a lookup waiting on a lock goes upstream when Redis dies, instead of waiting out the lock', async () => {
    const own = await startLocalRedis();
    try {
      const upstream = countingSource(1);
      const client = await connect(own.url);
      const control = new Redis(own.url, { maxRetriesPerRequest: 0 });
      control.on('error', () => undefined);
      await control.set(lockKey(REDIS_KEY_PREFIX, JUP), 'holder', 'PX', 600_000);
      control.disconnect();
      // A lock timeout far beyond the test's own timeout: only giving up on a dead Redis lets it finish.
      const layer = createRedisPriceLayer(upstream.source, { redis: client, lockMs: 600_000 });
      const lookup = layer.fetchUsdPrices([JUP]);
      await expect.poll(() => layer.stats().lockWaits).toBe(1);
      await own.kill();
      const r = await lookup;
      expect(r.prices.has(JUP)).toBe(true);
      expect(upstream.callsFor(JUP)).toBe(1);
      expect(layer.stats()).toMatchObject({ lockTimeouts: 0, bypassed: 1 });
      expect(layer.stats().failures).toBeGreaterThan(0);
    } finally {
      await own.stop();
    }
  });
});
