import { describe, expect, it } from 'vitest';
import type { UsdPrice } from '../domain/market.js';
import { ratio } from '../domain/ratio.js';
import type { Mint } from '../domain/tokens.js';
import type { MeteredPriceSource, SourcedPrices } from './metered.js';
import { createUpstreamBatcher } from './upstream-batcher.js';

const m = (c: string): Mint => c.repeat(44) as Mint;
const [A, B, C] = [m('A'), m('B'), m('C')];

/** A source whose calls stay open until released, recording the ids of each call. */
function gatedSource() {
  const calls: Mint[][] = [];
  const release: (() => void)[] = [];
  const source: MeteredPriceSource = {
    name: 'gated',
    fetchUsdPrices(mints) {
      calls.push([...mints]);
      return new Promise<SourcedPrices>((resolve) => {
        release.push(() => {
          const prices = new Map<Mint, UsdPrice>(mints.map((x) => [x, { mint: x, usd: ratio(BigInt(calls.length)), liquidityUsd: undefined, source: 'gated', observedAtMs: 0 }]));
          resolve({ prices, attempts: 1, fromCache: false });
        });
      });
    },
    getUsdPrices: () => Promise.reject(new Error('unused')),
    fetchQuote: () => Promise.reject(new Error('unused')),
    getQuote: () => Promise.reject(new Error('unused')),
  };
  return { source, calls, release };
}

describe('upstream batcher', () => {
  it('a mint already in the call in flight joins it; others wait for one next call that carries them all', async () => {
    const g = gatedSource();
    const b = createUpstreamBatcher(g.source, { now: () => 0 });
    const first = b.fetchUsdPrices([A]);
    const joined = b.fetchUsdPrices([A]);
    const next1 = b.fetchUsdPrices([B]);
    const next2 = b.fetchUsdPrices([C, A]);
    expect(g.calls).toEqual([[A]]);
    g.release[0]?.();
    expect((await first).prices.get(A)).toBe((await joined).prices.get(A));
    await Promise.resolve();
    expect(g.calls).toEqual([[A], [B, C, A]]); // A is hot, so it rides along
    g.release[1]?.();
    const r = await next2;
    expect([...r.prices.keys()].sort()).toEqual([A, B, C].sort()); // answers include the top-up
    expect((await next1).prices.has(B)).toBe(true);
  });

  it('tops every call up with recently asked mints, so they refresh together', async () => {
    let t = 0;
    const g = gatedSource();
    const b = createUpstreamBatcher(g.source, { now: () => t, hotWindowMs: 1_000 });
    const p1 = b.fetchUsdPrices([A, B]);
    g.release[0]?.();
    await p1;
    t = 500;
    const p2 = b.fetchUsdPrices([C]);
    expect(g.calls[1]).toEqual([C, A, B]);
    g.release[1]?.();
    expect((await p2).prices.size).toBe(3);
    t = 1_400; // A and B (asked at 0) are cold; C (asked at 500) is still hot
    const p3 = b.fetchUsdPrices([A]);
    expect(g.calls[2]).toEqual([A, C]);
    g.release[2]?.();
    await p3;
  });
});

describe('upstream batcher reuse', () => {
  it('a lookup arriving within reuseMs of an answer is served from it, without a call; later ones call again', async () => {
    let t = 0;
    const g = gatedSource();
    const b = createUpstreamBatcher(g.source, { now: () => t, reuseMs: 1_000 });
    const p1 = b.fetchUsdPrices([A]);
    g.release[0]?.();
    const first = await p1;
    await Promise.resolve();
    t = 999;
    const again = await b.fetchUsdPrices([A]);
    expect(again.prices.get(A)).toBe(first.prices.get(A));
    expect([again.attempts, again.fromCache, g.calls.length]).toEqual([0, true, 1]);
    t = 1_000;
    const p3 = b.fetchUsdPrices([A]);
    expect(g.calls).toHaveLength(2);
    g.release[1]?.();
    await p3;
  });
});

describe('upstream batcher touch', () => {
  it('a mint served by the caches above stays in the top-up as long as it is looked up', async () => {
    let t = 0;
    const g = gatedSource();
    const b = createUpstreamBatcher(g.source, { now: () => t, hotWindowMs: 1_000 });
    const p1 = b.fetchUsdPrices([A, B]);
    g.release[0]?.();
    await p1;
    t = 5_000;
    b.touch([B]); // B was looked up (a cache hit), A was not
    const p2 = b.fetchUsdPrices([C]);
    expect(g.calls[1]).toEqual([C, B]);
    g.release[1]?.();
    await p2;
  });
});
