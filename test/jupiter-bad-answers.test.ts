/**
 * Bad answers from a Jupiter endpoint that answers 200: unusable prices (null, 1e300), mints missing,
 * and plausible but wrong prices. Two emulators on one fake clock (so they serve the same simulated
 * prices): a faulty primary and a healthy secondary. A bad answer is a failed attempt of the endpoint
 * that gave it (it counts toward its circuit breaker) and the next endpoint is asked in the same lookup.
 */
import { describe, expect, it } from 'vitest';
import { cmp, mul, ratio, sub } from '../src/domain/ratio.js';
import type { Ratio } from '../src/domain/ratio.js';
import type { Mint } from '../src/domain/tokens.js';
import { createJupiterSource } from '../src/market/jupiter-source.js';
import { createJupiterTransport } from '../src/market/jupiter-transport.js';
import { JUP, jupiterPair, SOL, USDC, type JupiterClient } from './support/jupiter.js';

const emu = jupiterPair();
const { clock, client } = emu;

/** The healthy secondary's own answer for a mint at the current fake time: the reference price. */
async function reference(mint: Mint): Promise<Ratio> {
  const c = createJupiterSource({ transport: createJupiterTransport({ baseUrls: [emu.b.url], clock, ratePerSec: 1_000 }), clock });
  const p = (await c.fetchUsdPrices([mint])).prices.get(mint);
  if (p === undefined) throw new Error('no reference price');
  emu.b.resetRequests();
  return p.usd;
}

/** |x - y| <= y x bps / 10,000. */
const near = (x: Ratio, y: Ratio, bps: bigint): boolean => {
  const d = sub(x, y);
  const abs = d.n < 0n ? ratio(-d.n, d.d) : d;
  return cmp(abs, mul(y, ratio(bps, 10_000n))) <= 0;
};

const breaker = (c: JupiterClient, i: number): string => c.transport.endpoints()[i]?.breaker ?? '';

describe('an unusable answer fails over to the next endpoint within the same lookup', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['usdPrice null', 'price:garbage=null'],
    ['usdPrice 1e300', 'price:garbage=1e300'],
    ['every mint missing', 'price:missing'],
  ];
  for (const [what, fault] of cases) {
    it(`${what}: the prices come from the secondary, and three such answers open the primary's circuit`, async () => {
      const c = client([emu.a.url, emu.b.url]);
      emu.a.setFaults([fault]);
      for (let i = 0; i < 3; i++) {
        const r = await c.source.fetchUsdPrices([SOL, USDC]);
        expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.b.url}`);
        expect(r.prices.get(USDC)?.source).toBe(`jupiter:${emu.b.url}`);
        expect(r.attempts).toBe(2);
      }
      expect(breaker(c, 0)).toBe('open');
      // Open: the faulty primary is no longer asked; the secondary answers alone.
      const r = await c.source.fetchUsdPrices([SOL]);
      expect(r.attempts).toBe(1);
      expect(emu.a.count('price')).toBe(3);
      expect(emu.b.count('price')).toBe(4);
    });
  }

  it('one mint missing: that mint is priced by the secondary, and the miss counts against the primary', async () => {
    const c = client([emu.a.url, emu.b.url]);
    emu.a.setFaults([`price:missing=${SOL}`]);
    const r = await c.source.fetchUsdPrices([SOL, USDC]);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.b.url}`);
    expect(r.prices.has(USDC)).toBe(true);
    await c.source.fetchUsdPrices([SOL, USDC]);
    await c.source.fetchUsdPrices([SOL, USDC]);
    expect(breaker(c, 0)).toBe('open');
  });

  it('a mint no endpoint prices stays unpriced, and costs no endpoint its health', async () => {
    const c = client([emu.a.url, emu.b.url]);
    emu.a.setFaults([`price:missing=${JUP}`]);
    emu.b.setFaults([`price:missing=${JUP}`]);
    for (let i = 0; i < 4; i++) {
      const r = await c.source.fetchUsdPrices([SOL, JUP]);
      expect(r.prices.has(SOL)).toBe(true);
      expect(r.prices.has(JUP)).toBe(false);
    }
    expect([breaker(c, 0), breaker(c, 1)]).toEqual(['closed', 'closed']);
  });
});

describe('plausibility: a price far from the last good one is a bad answer', () => {
  it('wrong-price=1 after a good price: SOL and JUP come from the secondary at the reference price, and the primary circuit opens', async () => {
    const c = client([emu.a.url, emu.b.url]);
    await c.source.fetchUsdPrices([SOL, JUP, USDC]); // last good prices
    emu.a.setFaults(['price:wrong-price=1']);
    for (let i = 0; i < 3; i++) {
      clock.advance(2_000);
      const r = await c.source.fetchUsdPrices([SOL, JUP, USDC]);
      for (const m of [SOL, JUP, USDC]) {
        const p = r.prices.get(m);
        expect(p?.source).toBe(`jupiter:${emu.b.url}`);
        expect(p && near(p.usd, await reference(m), 1n)).toBe(true);
      }
    }
    expect(breaker(c, 0)).toBe('open');
    expect(c.rejected.some((x) => x.includes('deviates'))).toBe(true);
  });

  it('with no last good price, a first price is cross-checked with the next endpoint: a disagreement prices nothing', async () => {
    const c = client([emu.a.url, emu.b.url]);
    emu.a.setFaults(['price:wrong-price=1']);
    const r = await c.source.fetchUsdPrices([SOL, USDC]);
    expect(emu.b.count('price')).toBe(1);
    expect(r.prices.has(SOL)).toBe(false); // 1 against ~150: neither is taken
    expect(r.prices.get(USDC)?.source).toBe(`jupiter:${emu.a.url}`); // both say 1: confirmed
  });

  it('a first price both endpoints agree on is taken from the first; later lookups ask the first alone', async () => {
    const c = client([emu.a.url, emu.b.url]);
    let r = await c.source.fetchUsdPrices([SOL]);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.a.url}`);
    expect([emu.a.count('price'), emu.b.count('price')]).toEqual([1, 1]);
    clock.advance(2_000);
    r = await c.source.fetchUsdPrices([SOL]);
    expect(r.attempts).toBe(1);
    expect([emu.a.count('price'), emu.b.count('price')]).toEqual([2, 1]);
  });

  it('a move both endpoints report is a market move, not a fault: it is taken and no circuit opens', async () => {
    const c = client([emu.a.url, emu.b.url]);
    await c.source.fetchUsdPrices([SOL]);
    emu.a.setFaults(['price:wrong-price=100']);
    emu.b.setFaults(['price:wrong-price=100']);
    for (let i = 0; i < 3; i++) {
      clock.advance(2_000);
      const r = await c.source.fetchUsdPrices([SOL]);
      expect(r.prices.get(SOL)?.usd).toEqual(ratio(100n));
    }
    expect([breaker(c, 0), breaker(c, 1)]).toEqual(['closed', 'closed']);
  });

  it('with one endpoint, a deviating price is refused until the last good one ages out (lastGoodMaxAgeMs)', async () => {
    const c = client([emu.a.url], { breakerFailureThreshold: 100 }, { lastGoodMaxAgeMs: 10_000, maxDeviationBps: 2_000 });
    await c.source.fetchUsdPrices([SOL]);
    emu.a.setFaults(['price:wrong-price=1']);
    clock.advance(5_000);
    expect((await c.source.fetchUsdPrices([SOL])).prices.has(SOL)).toBe(false);
    clock.advance(5_001);
    expect((await c.source.fetchUsdPrices([SOL])).prices.get(SOL)?.usd).toEqual(ratio(1n));
  });

  it('maxDeviationBps is the threshold: 10 % off passes at 2,000 bps and fails at 500 bps', async () => {
    const ref = await reference(SOL);
    const tenPercentOff = Number(mul(ref, ratio(11n, 10n)).n) / Number(mul(ref, ratio(11n, 10n)).d);
    for (const [bps, priced] of [
      [2_000, true],
      [500, false],
    ] as const) {
      const c = client([emu.a.url], {}, { maxDeviationBps: bps });
      await c.source.fetchUsdPrices([SOL]);
      emu.a.setFaults([`price:wrong-price=${tenPercentOff}`]);
      expect((await c.source.fetchUsdPrices([SOL])).prices.has(SOL)).toBe(priced);
      emu.a.clearFaults();
    }
  });
});
