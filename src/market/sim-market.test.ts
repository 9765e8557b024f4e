import { describe, expect, it } from 'vitest';
import { amount } from '../domain/amount.js';
import { isExecutorError } from '../domain/errors.js';
import type { QuoteRequest, SwapMode, UsdPrice } from '../domain/market.js';
import { fromDecimalString, toNumber } from '../domain/ratio.js';
import { createTokenRegistry, USDC_MINT } from '../domain/tokens.js';
import type { Mint, TokenClass } from '../domain/tokens.js';
import { cpmmExactIn, cpmmExactOut } from './sim-market-cpmm.js';
import { createSimulatedMarket, SIM_CLASS_VOLATILITY, SIM_REFERENCE } from './sim-market.js';

const tokens = createTokenRegistry();
const mints = tokens.all.map((t) => t.mint);
const T0 = 1_750_000_000_000;
const mintOf = (symbol: string): Mint => tokens.bySymbol(symbol).mint;

function fakeClock(start = T0): { now: () => number; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, set: (ms) => (t = ms) };
}

function market(seed = 42n) {
  const clock = fakeClock();
  return { clock, market: createSimulatedMarket({ tokens, seed, now: clock.now, startMs: T0 }) };
}

async function pricesAt(m: ReturnType<typeof market>, atSecond: number, which: readonly Mint[] = mints) {
  m.clock.set(T0 + atSecond * 1_000);
  return m.market.getUsdPrices(which);
}

const usdOf = (p: ReadonlyMap<Mint, UsdPrice>, mint: Mint): number => {
  const price = p.get(mint);
  if (price === undefined) throw new Error(`no price for ${mint}`);
  return toNumber(price.usd);
};

function req(input: string, output: string, units: bigint, swapMode: SwapMode = 'ExactIn'): QuoteRequest {
  return { inputMint: mintOf(input), outputMint: mintOf(output), amount: amount(units), swapMode, slippageBps: 50 };
}

describe('simulated market prices', () => {
  it('prices every registry token, positive, with depth, marked as simulated', async () => {
    const p = await pricesAt(market(), 0);
    expect(p.size).toBe(tokens.all.length);
    for (const t of tokens.all) {
      const price = p.get(t.mint);
      expect(price?.source, t.symbol).toBe('sim');
      expect(price?.usd.n, t.symbol).toBeGreaterThan(0n);
      expect(price?.liquidityUsd?.n, t.symbol).toBeGreaterThan(0n);
      expect(price?.observedAtMs).toBe(T0);
    }
  });

  it('starts at the reference level exactly (step 0)', async () => {
    const p = await pricesAt(market(), 0);
    expect(p.get(mintOf('SOL'))?.usd).toEqual(fromDecimalString('147.48'));
    expect(p.get(mintOf('BONK'))?.usd).toEqual(fromDecimalString('0.00002'));
  });

  it('leaves unknown mints out of the answer', async () => {
    const unknown = 'UnknownMint11111111111111111111111111111111' as Mint;
    const p = await pricesAt(market(), 5, [unknown, mintOf('SOL')]);
    expect([...p.keys()]).toEqual([mintOf('SOL')]);
  });

  it('is deterministic per seed: same seed same prices, different seed different prices', async () => {
    const a = await pricesAt(market(7n), 3_600);
    const b = await pricesAt(market(7n), 3_600);
    const c = await pricesAt(market(8n), 3_600);
    expect(a).toEqual(b);
    for (const m of mints) expect(usdOf(a, m), m).not.toBe(usdOf(c, m));
  });

  it('gives the same price at a step however and in which order it was queried', async () => {
    const dense = market();
    for (let s = 0; s <= 2_000; s += 1) await pricesAt(dense, s, [mintOf('SOL'), mintOf('mSOL')]);
    const expected = await pricesAt(dense, 2_000);

    const direct = market();
    expect(await pricesAt(direct, 2_000)).toEqual(expected);

    // Out of order and backwards in time, LST before its anchor, and a second query in the same step.
    const shuffled = market();
    await pricesAt(shuffled, 2_500, [mintOf('mSOL')]);
    await pricesAt(shuffled, 10);
    await pricesAt(shuffled, 1_999.5, [mintOf('JitoSOL')]);
    expect(await pricesAt(shuffled, 2_000)).toEqual(expected);
    expect(await pricesAt(shuffled, 2_000.9)).toEqual(expected);
  });

  it('stays within sane bands over a simulated day', async () => {
    const m = market(1234n);
    const range = new Map<Mint, { lo: number; hi: number }>();
    for (let s = 0; s <= 86_400; s += 60) {
      const p = await pricesAt(m, s);
      for (const t of tokens.all) {
        const rel = usdOf(p, t.mint) / (SIM_REFERENCE[t.symbol]?.usd ?? NaN);
        const r = range.get(t.mint) ?? { lo: rel, hi: rel };
        range.set(t.mint, { lo: Math.min(r.lo, rel), hi: Math.max(r.hi, rel) });
      }
    }
    for (const t of tokens.all) {
      const [lo, hi] = t.class === 'stable' ? [0.995, 1.005] : [0.5, 2];
      const r = range.get(t.mint);
      expect(r?.lo, t.symbol).toBeGreaterThan(lo);
      expect(r?.hi, t.symbol).toBeLessThan(hi);
      // It does move: a walk stuck at its reference would pass the band check too.
      expect((r?.hi ?? 0) - (r?.lo ?? 0), t.symbol).toBeGreaterThan(t.class === 'stable' ? 1e-6 : 0.005);
    }
  });

  it('keeps liquid staking tokens near their SOL peg', async () => {
    const m = market(99n);
    const p0 = await pricesAt(m, 0);
    const p = await pricesAt(m, 86_400);
    const peg = (q: ReadonlyMap<Mint, UsdPrice>) => usdOf(q, mintOf('mSOL')) / usdOf(q, mintOf('SOL'));
    expect(Math.abs(peg(p) / peg(p0) - 1)).toBeLessThan(0.005);
  });

  it('moves with per-class volatility: stable < major < mid < meme, near the configured level', async () => {
    const m = market(5n);
    const steps = 3_600;
    const sumSq = new Map<Mint, number>();
    let prev = await pricesAt(m, 0);
    for (let s = 1; s <= steps; s++) {
      const p = await pricesAt(m, s);
      for (const x of mints) sumSq.set(x, (sumSq.get(x) ?? 0) + Math.log(usdOf(p, x) / usdOf(prev, x)) ** 2);
      prev = p;
    }
    const perClass = new Map<TokenClass, number[]>();
    for (const t of tokens.all) {
      if (SIM_REFERENCE[t.symbol]?.tracks !== undefined) continue; // LSTs ride on SOL's walk
      const annualised = Math.sqrt((sumSq.get(t.mint) ?? 0) / steps) * Math.sqrt(365 * 86_400);
      perClass.set(t.class, [...(perClass.get(t.class) ?? []), annualised]);
    }
    const mean = (c: TokenClass) => {
      const v = perClass.get(c) ?? [];
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(mean('stable')).toBeLessThan(mean('major'));
    expect(mean('major')).toBeLessThan(mean('mid'));
    expect(mean('mid')).toBeLessThan(mean('meme'));
    for (const c of ['stable', 'major', 'mid', 'meme'] as const) {
      expect(mean(c) / SIM_CLASS_VOLATILITY[c], c).toBeGreaterThan(0.9);
      expect(mean(c) / SIM_CLASS_VOLATILITY[c], c).toBeLessThan(1.1);
    }
  });
});

describe('constant-product arithmetic', () => {
  it('matches a hand-computed example, rounding against the trader', () => {
    // 1000/1000 pool, 30 bps: 100 in -> 1000*100*0.997 / (1000 + 99.7) = 90.66 -> floor 90.
    expect(cpmmExactIn(1_000n, 1_000n, 100n, 30n)).toBe(90n);
    // 90 out needs 1000*90 / (910*0.997) = 99.198 in -> ceil 100; 91 out needs 100.41 -> 101.
    expect(cpmmExactOut(1_000n, 1_000n, 90n, 30n)).toBe(100n);
    expect(cpmmExactOut(1_000n, 1_000n, 91n, 30n)).toBe(101n);
    expect(cpmmExactIn(1_000n, 1_000n, 101n, 30n)).toBe(91n);
    // An exact result is not bumped: no fee, 1000/1000, 1000 in -> exactly 500 out, 500 out needs 1000.
    expect(cpmmExactIn(1_000n, 1_000n, 1_000n, 0n)).toBe(500n);
    expect(cpmmExactOut(1_000n, 1_000n, 500n, 0n)).toBe(1_000n);
    expect(cpmmExactOut(1_000n, 1_000n, 1_000n, 30n)).toBeUndefined();
  });
});

describe('simulated market quotes', () => {
  it('routes through one pool against USDC, labelled, with fee and tiny impact for a small trade', async () => {
    const { market: m } = market();
    const q = await m.getQuote(req('SOL', 'USDC', 1_000_000_000n));
    expect(q.route.map((h) => h.label)).toEqual(['Simulated CPMM (SOL/USDC)']);
    expect(q.source).toBe('sim');
    expect(q.inAmount).toBe(1_000_000_000n);
    // 147.48 USD less the 4 bps fee, less a sub-bp impact on a 621M pool.
    const out = Number(q.outAmount) / 1e6;
    expect(out).toBeLessThan(147.48 * (1 - 0.0004));
    expect(out).toBeGreaterThan(147.48 * (1 - 0.0004) * (1 - 1e-6));
    expect(toNumber(q.priceImpact)).toBeGreaterThanOrEqual(0);
    expect(toNumber(q.priceImpact)).toBeLessThan(1e-6);
  });

  it('routes two tokens other than USDC through USDC in two hops', async () => {
    const { market: m } = market();
    const q = await m.getQuote(req('JUP', 'BONK', 1_000_000_000n));
    expect(q.route.map((h) => h.label)).toEqual(['Simulated CPMM (JUP/USDC)', 'Simulated CPMM (BONK/USDC)']);
    expect(q.route[0]?.outputMint).toBe(USDC_MINT);
    expect(q.route[0]?.outAmount).toBe(q.route[1]?.inAmount);
    expect(q.route[1]?.outAmount).toBe(q.outAmount);
    // 1000 JUP at 0.85 is 850 USD, i.e. 42.5M BONK before fees and impact.
    expect(Number(q.outAmount) / 1e5).toBeLessThan(42_500_000 * 0.9975 * 0.9975);
    expect(Number(q.outAmount) / 1e5).toBeGreaterThan(42_500_000 * 0.99);
  });

  it('grows price impact with size (strictly monotone)', async () => {
    const { market: m } = market();
    for (const [from, to, unit] of [['SOL', 'USDC', 1_000_000_000n], ['JUP', 'BONK', 1_000_000n], ['USDC', 'WIF', 1_000_000n]] as const) {
      let prev = -1;
      for (let size = 1n; size <= 10_000_000n; size *= 10n) {
        const impact = toNumber((await m.getQuote(req(from, to, size * unit))).priceImpact);
        expect(impact, `${from}->${to} ${size}`).toBeGreaterThan(prev);
        prev = impact;
      }
      expect(prev, `${from}->${to} at 10M units`).toBeGreaterThan(0.1);
    }
    let prevOut = -1;
    for (let usd = 1n; usd <= 1_000_000n; usd *= 10n) {
      const impact = toNumber((await m.getQuote(req('SOL', 'USDC', usd * 1_000_000n, 'ExactOut'))).priceImpact);
      expect(impact).toBeGreaterThan(prevOut);
      prevOut = impact;
    }
  });

  it('ExactOut charges the smallest input whose ExactIn output covers the amount', async () => {
    const { market: m } = market(3n);
    const cases: [string, string, bigint][] = [
      ['SOL', 'USDC', 123_456_789n],
      ['USDC', 'JUP', 987_654_321n],
      ['JUP', 'BONK', 5_000_000_001n],
      ['mSOL', 'SOL', 2_500_000_000n],
      ['BOME', 'WIF', 77_777_777n],
    ];
    for (const [from, to, want] of cases) {
      const q = await m.getQuote(req(from, to, want, 'ExactOut'));
      expect(q.outAmount).toBe(want);
      const paid = await m.getQuote(req(from, to, q.inAmount));
      expect(paid.outAmount, `${from}->${to} with ${q.inAmount}`).toBeGreaterThanOrEqual(want);
      const lessOne = await m.getQuote(req(from, to, q.inAmount - 1n));
      expect(lessOne.outAmount, `${from}->${to} with one unit less`).toBeLessThan(want);
    }
  });

  it('answers NO_ROUTE for identical mints, unknown mints and amounts beyond the depth', async () => {
    const { market: m } = market();
    const unknown = 'UnknownMint11111111111111111111111111111111' as Mint;
    const attempts: QuoteRequest[] = [
      req('SOL', 'SOL', 1n),
      { ...req('SOL', 'USDC', 1n), outputMint: unknown },
      req('USDC', 'TNSR', 10n ** 18n, 'ExactOut'),
    ];
    for (const r of attempts) {
      const error: unknown = await m.getQuote(r).then(() => undefined, (e: unknown) => e);
      expect(isExecutorError(error, 'NO_ROUTE'), JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe(true);
    }
  });

  it('quotes the same at the same step and differently once prices moved', async () => {
    const a = market(11n);
    const b = market(11n);
    a.clock.set(T0 + 500_000);
    b.clock.set(T0 + 500_999);
    const qa = await a.market.getQuote(req('WIF', 'SOL', 1_000_000_000n));
    const qb = await b.market.getQuote(req('WIF', 'SOL', 1_000_000_000n));
    expect(qa).toEqual(qb);
    b.clock.set(T0 + 900_000);
    expect((await b.market.getQuote(req('WIF', 'SOL', 1_000_000_000n))).outAmount).not.toBe(qa.outAmount);
  });
});
