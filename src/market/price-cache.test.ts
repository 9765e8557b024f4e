import { describe, expect, it } from 'vitest';
import { amount } from '../domain/amount.js';
import { ExecutorError } from '../domain/errors.js';
import type { QuoteRequest, RouteQuote, UsdPrice } from '../domain/market.js';
import { ratio } from '../domain/ratio.js';
import type { Mint } from '../domain/tokens.js';
import type { PriceSource } from '../executor/ports.js';
import { createPriceCache } from './price-cache.js';

const A = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' as Mint;
const B = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' as Mint;
const C = 'CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC' as Mint;
const UNPRICED = 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ' as Mint;

/** A source that records every call; prices carry a version so a refetch is visible. */
function fakeSource() {
  const calls: Mint[][] = [];
  let version = 0;
  let failNext: Error | undefined;
  let gate: Promise<void> | undefined;
  const source: PriceSource = {
    name: 'fake',
    async getUsdPrices(mints) {
      calls.push([...mints]);
      const v = ++version;
      if (gate) await gate;
      if (failNext) {
        const e = failNext;
        failNext = undefined;
        throw e;
      }
      const out = new Map<Mint, UsdPrice>();
      for (const m of mints) {
        if (m !== UNPRICED) out.set(m, { mint: m, usd: ratio(BigInt(v)), liquidityUsd: undefined, source: 'fake', observedAtMs: 0 });
      }
      return out;
    },
    getQuote(request) {
      calls.push([request.inputMint]);
      return Promise.resolve({ inAmount: request.amount } as RouteQuote);
    },
  };
  return {
    source,
    calls,
    failOnce: (e: Error) => (failNext = e),
    /** Holds every upstream answer until the returned release is called. */
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('price cache', () => {
  it('misses, then hits while fresh, then misses again once the TTL has passed', async () => {
    const f = fakeSource();
    const c = clock();
    const cache = createPriceCache(f.source, { ttlMs: 2_000, now: c.now });

    const first = await cache.getUsdPrices([A]);
    expect(first).toMatchObject({ cacheHit: false, attempts: 1 });
    expect(first.prices.get(A)?.usd).toEqual(ratio(1n));

    c.advance(1_999);
    const second = await cache.getUsdPrices([A]);
    expect(second).toMatchObject({ cacheHit: true, attempts: 0 });
    expect(second.prices.get(A)?.usd).toEqual(ratio(1n));

    c.advance(1);
    const third = await cache.getUsdPrices([A]);
    expect(third).toMatchObject({ cacheHit: false, attempts: 1 });
    expect(third.prices.get(A)?.usd).toEqual(ratio(2n));
    expect(f.calls).toEqual([[A], [A]]);
    expect(cache.stats()).toEqual({ hits: 1, misses: 2, upstreamCalls: 2 });
  });

  it('is a hit only when every mint is fresh; fetches only the missing ones', async () => {
    const f = fakeSource();
    const cache = createPriceCache(f.source, { now: clock().now });
    await cache.getUsdPrices([A]);
    const mixed = await cache.getUsdPrices([A, B]);
    expect(mixed).toMatchObject({ cacheHit: false, attempts: 1 });
    expect([...mixed.prices.keys()].sort()).toEqual([A, B]);
    expect(f.calls).toEqual([[A], [B]]);
  });

  it('coalesces 100 concurrent lookups of a cold mint into one source call', async () => {
    const f = fakeSource();
    const cache = createPriceCache(f.source, { now: clock().now });
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getUsdPrices([A])));
    expect(f.calls).toEqual([[A]]);
    for (const r of results) expect(r).toMatchObject({ cacheHit: false, attempts: 1 });
    expect(new Set(results.map((r) => r.prices.get(A))).size).toBe(1);
    expect(cache.stats()).toEqual({ hits: 0, misses: 100, upstreamCalls: 1 });
  });

  it('joins a fetch already in flight from an earlier tick instead of starting another', async () => {
    const f = fakeSource();
    const release = f.hold();
    const cache = createPriceCache(f.source, { now: clock().now });
    const first = cache.getUsdPrices([A]);
    await new Promise((r) => setImmediate(r));
    expect(f.calls).toHaveLength(1);
    const second = cache.getUsdPrices([A]);
    release();
    expect((await second).prices.get(A)).toBe((await first).prices.get(A));
    expect(f.calls).toHaveLength(1);
  });

  it('batches misses for different mints in the same tick into one call of at most maxBatch mints', async () => {
    const f = fakeSource();
    const cache = createPriceCache(f.source, { now: clock().now });
    const [ab, bc] = await Promise.all([cache.getUsdPrices([A, B]), cache.getUsdPrices([B, C])]);
    expect(f.calls).toEqual([[A, B, C]]);
    expect(ab.attempts).toBe(1);
    expect(bc.prices.get(C)?.usd).toEqual(ratio(1n));

    const many = Array.from({ length: 120 }, (_, i) => `${'M'.repeat(40)}${String(i).padStart(4, '0')}` as Mint);
    const big = await cache.getUsdPrices(many);
    expect(f.calls.slice(1).map((c) => c.length)).toEqual([50, 50, 20]);
    expect(big).toMatchObject({ cacheHit: false, attempts: 3 });
    expect(big.prices.size).toBe(120);
  });

  it('leaves a mint the source does not price out of the result and does not cache its absence', async () => {
    const f = fakeSource();
    const cache = createPriceCache(f.source, { now: clock().now });
    const r = await cache.getUsdPrices([A, UNPRICED]);
    expect([...r.prices.keys()]).toEqual([A]);
    const again = await cache.getUsdPrices([A, UNPRICED]);
    expect(again).toMatchObject({ cacheHit: false, attempts: 1 });
    expect(f.calls).toEqual([[A, UNPRICED], [UNPRICED]]);
  });

  it('propagates a failure to every waiter and does not cache it', async () => {
    const f = fakeSource();
    const cache = createPriceCache(f.source, { now: clock().now });
    const boom = new ExecutorError('PRICE_UNAVAILABLE', 'upstream down');
    f.failOnce(boom);
    const settled = await Promise.allSettled([cache.getUsdPrices([A]), cache.getUsdPrices([A, B]), cache.getUsdPrices([B])]);
    expect(f.calls).toEqual([[A, B]]);
    for (const s of settled) expect(s).toEqual({ status: 'rejected', reason: boom });

    const retry = await cache.getUsdPrices([A, B]);
    expect(retry).toMatchObject({ cacheHit: false, attempts: 1 });
    expect(retry.prices.size).toBe(2);
    expect(f.calls).toHaveLength(2);
  });

  it('turns a source that throws synchronously into a rejected lookup', async () => {
    const source: PriceSource = {
      name: 'broken',
      getUsdPrices: () => {
        throw new Error('sync failure');
      },
      getQuote: () => Promise.reject(new Error('unused')),
    };
    const cache = createPriceCache(source);
    await expect(cache.getUsdPrices([A])).rejects.toThrow('sync failure');
    expect(cache.stats().upstreamCalls).toBe(1);
  });

  it('reports every mint lookup to the onLookup hook and counts them in stats', async () => {
    const f = fakeSource();
    const seen: boolean[] = [];
    const cache = createPriceCache(f.source, { now: clock().now, onLookup: (hit) => seen.push(hit) });
    await cache.getUsdPrices([A, B]);
    await cache.getUsdPrices([A, C]);
    expect(seen).toEqual([false, false, true, false]);
    expect(cache.stats()).toEqual({ hits: 1, misses: 3, upstreamCalls: 2 });
  });

  it('passes quotes through uncached with one attempt, under the source name', async () => {
    const f = fakeSource();
    const cache = createPriceCache(f.source);
    const request: QuoteRequest = { inputMint: A, outputMint: B, amount: amount(5n), swapMode: 'ExactIn', slippageBps: 50 };
    const q1 = await cache.getQuote(request);
    const q2 = await cache.getQuote(request);
    expect(q1).toEqual({ quote: { inAmount: 5n }, attempts: 1 });
    expect(q2.attempts).toBe(1);
    expect(f.calls).toEqual([[A], [A]]);
    expect(cache.sourceName).toBe('fake');
  });
});
