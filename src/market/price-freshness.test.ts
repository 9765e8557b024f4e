/** Freshness bounds (PriceFreshness): a lookup that must see the market as it is now skips older prices. */
import { describe, expect, it } from 'vitest';
import type { UsdPrice } from '../domain/market.js';
import { ratio } from '../domain/ratio.js';
import type { Mint } from '../domain/tokens.js';
import type { MeteredPriceSource, SourcedPrices } from './metered.js';
import { createPriceCache } from './price-cache.js';
import { createUpstreamBatcher } from './upstream-batcher.js';

const A = 'A'.repeat(44) as Mint;

/** A metered source whose calls stay open until released; each call's price is its call number. */
function gatedSource() {
  const calls: { mints: Mint[]; notBeforeMs: number | undefined }[] = [];
  const release: (() => void)[] = [];
  const source: MeteredPriceSource = {
    name: 'gated',
    fetchUsdPrices(mints, notBeforeMs) {
      calls.push({ mints: [...mints], notBeforeMs });
      const n = calls.length;
      return new Promise<SourcedPrices>((resolve) => {
        release.push(() => {
          const prices = new Map<Mint, UsdPrice>(mints.map((x) => [x, { mint: x, usd: ratio(BigInt(n)), liquidityUsd: undefined, source: 'gated', observedAtMs: 0 }]));
          resolve({ prices, attempts: 1, fromCache: false });
        });
      });
    },
    getUsdPrices: () => Promise.reject(new Error('unused')),
    fetchQuote: () => Promise.reject(new Error('unused')),
    getQuote: () => Promise.reject(new Error('unused')),
  };
  return { source, calls, release: () => release.splice(0).forEach((r) => r()) };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('price freshness', () => {
  it('the in-process cache serves an entry only when it was fetched at or after the bound', async () => {
    let t = 1_000;
    const g = gatedSource();
    const cache = createPriceCache(g.source, { ttlMs: 60_000, now: () => t });
    const first = cache.getUsdPrices([A]);
    await tick();
    g.release();
    await first;
    t = 2_000;
    expect((await cache.getUsdPrices([A], { notBeforeMs: 1_000 })).cacheHit).toBe(true);
    const fresh = cache.getUsdPrices([A], { notBeforeMs: 1_500 });
    await tick();
    expect(g.calls).toHaveLength(2);
    expect(g.calls[1]?.notBeforeMs).toBe(1_500); // passed down to the layers below
    g.release();
    const r = await fresh;
    expect(r.cacheHit).toBe(false);
    expect(r.prices.get(A)?.usd).toEqual(ratio(2n));
    expect((await cache.getUsdPrices([A], { notBeforeMs: 2_000 })).cacheHit).toBe(true);
  });

  it('a lookup does not join a call sent before its bound; a call sent after it is shared', async () => {
    let t = 1_000;
    const g = gatedSource();
    const cache = createPriceCache(g.source, { ttlMs: 60_000, now: () => t });
    const early = cache.getUsdPrices([A]);
    await tick();
    t = 1_200;
    const late = cache.getUsdPrices([A], { notBeforeMs: 1_100 });
    const joined = cache.getUsdPrices([A], { notBeforeMs: 1_100 });
    await tick();
    expect(g.calls).toHaveLength(2);
    g.release();
    const [e, l, j] = await Promise.all([early, late, joined]);
    expect(e.prices.get(A)?.usd).toEqual(ratio(1n));
    expect(l.prices.get(A)?.usd).toEqual(ratio(2n));
    expect(j.prices.get(A)?.usd).toEqual(ratio(2n));
  });

  it('the upstream batcher neither joins nor reuses a call launched before the bound', async () => {
    let t = 1_000;
    const g = gatedSource();
    const b = createUpstreamBatcher(g.source, { now: () => t, reuseMs: 1_000 });
    const early = b.fetchUsdPrices([A]);
    t = 1_100;
    const late = b.fetchUsdPrices([A], 1_050);
    expect(g.calls).toHaveLength(1); // one call at a time: the late lookup waits for the next one
    g.release();
    await early;
    await tick();
    expect(g.calls).toHaveLength(2);
    g.release();
    const l = await late;
    expect(l.prices.get(A)?.usd).toEqual(ratio(2n));
    expect(l.fetchedAtMs).toBe(1_100);
    // Reuse: an answer from a call launched at 1,100 serves a bound of 1,100, not one of 1,150.
    expect((await b.fetchUsdPrices([A], 1_100)).fromCache).toBe(true);
    const again = b.fetchUsdPrices([A], 1_150);
    expect(g.calls).toHaveLength(3);
    g.release();
    expect((await again).fromCache).toBe(false);
  });
});
