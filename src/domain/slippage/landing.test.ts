import { describe, expect, it } from 'vitest';
import { cmp, fromBps, ratio, ZERO } from '../ratio.js';
import { createRng } from '../rng.js';
import { toBps } from './bps.js';
import { cpmmModel } from './cpmm.js';
import { LANDING_DEFAULTS, landingDrift, landingProbability, parseLandingParams, withLandingDrift } from './landing.js';
import type { LandingParams } from './landing.js';
import { fixedRng, makeContext, tokenOf } from '../../../test/support/slippage.js';

const ON: LandingParams = { ...LANDING_DEFAULTS, enabled: true };
const bonkToSol = { input: tokenOf('BONK'), output: tokenOf('SOL') };
const solToUsdc = { input: tokenOf('SOL'), output: tokenOf('USDC') };

describe('landing delay', () => {
  it('is off by default: no slots, no drift, no draws', () => {
    const d = landingDrift({ ...bonkToSol, priorityFeeLamports: 0n, rng: fixedRng(0.99, 3) });
    expect(d).toEqual({ slots: 0, driftFraction: ZERO, explanation: 'landing delay off' });
  });

  it('at zero fee, u = 0.5 lands 1 + floor(ln 0.5 / ln 0.7) = 2 slots; z = 1 on BONK/SOL drifts 15 x sqrt 2 = 21.21 bps', () => {
    const d = landingDrift({ ...bonkToSol, priorityFeeLamports: 0n, rng: fixedRng(0.5, 1) }, ON);
    expect(d.slots).toBe(2);
    expect(toBps(d.driftFraction)).toBeCloseTo(15 * Math.SQRT2, 5);
    expect(d.explanation).toContain('BONK->SOL moved 21.21 bps against the trade');
  });

  it('at a 1M-lamport fee the same draw lands in 1 slot: p = 0.3 + 0.55 x 1M / 1.05M = 0.8238', () => {
    expect(landingProbability(1_000_000n, ON)).toBeCloseTo(0.3 + (0.55 * 1e6) / 1.05e6, 12);
    const d = landingDrift({ ...bonkToSol, priorityFeeLamports: 1_000_000n, rng: fixedRng(0.5, 1) }, ON);
    expect(d.slots).toBe(1);
    expect(toBps(d.driftFraction)).toBe(15);
  });

  it('counts a favourable move as zero', () => {
    const d = landingDrift({ ...solToUsdc, priorityFeeLamports: 0n, rng: fixedRng(0.5, -1.2) }, ON);
    expect(d.driftFraction).toEqual(ZERO);
    expect(d.explanation).toContain("in the trade's favour, counted as 0");
  });

  it('has median 2 slots at zero fee, 1 at 100k lamports, and mean 1 + 0.7/0.3 at zero fee', () => {
    const slotsAt = (fee: bigint): number[] =>
      Array.from({ length: 10_001 }, (_, i) => landingDrift({ ...solToUsdc, priorityFeeLamports: fee, rng: createRng(BigInt(i), 'landing') }, ON).slots).sort(
        (a, b) => a - b,
      );
    const zero = slotsAt(0n);
    expect(zero[5_000]).toBe(2);
    expect(zero.reduce((a, b) => a + b, 0) / zero.length).toBeCloseTo(1 + 0.7 / 0.3, 0);
    expect(slotsAt(100_000n)[5_000]).toBe(1);
  });

  it('validates its params, naming the field', () => {
    expect(parseLandingParams({}, 'landing')).toEqual(LANDING_DEFAULTS);
    expect(parseLandingParams({ enabled: true, volatilityScale: 10 }, 'landing').volatilityScale).toBe(10);
    expect(() => parseLandingParams({ enabled: 'yes' }, 'landing')).toThrow(/landing.params.enabled/);
    expect(() => parseLandingParams({ p0: 0 }, 'landing')).toThrow(/landing.params.p0/);
    expect(() => parseLandingParams({ slots: 3 }, 'landing')).toThrow(/landing.params.slots: unknown parameter/);
  });
});

describe('a tolerance failure caused by drift', () => {
  // $1,000 of BONK for SOL on the simulated market's 12M BONK depth: cpmm alone is 1000 / 6.001M = 1.67 bps.
  const cpmm = cpmmModel.create({}, 'slippage_model');
  const SEED = 1n;
  const total = (landing: LandingParams, seed: bigint) => {
    const base = cpmm.apply(makeContext({ base: 'BONK', quote: 'SOL', tradeUsd: 1_000, liquidityUsd: 12_000_000, seed }));
    const drift = landingDrift({ ...bonkToSol, priorityFeeLamports: 0n, rng: createRng(seed, 'landing') }, landing);
    return withLandingDrift(base, drift);
  };
  const exceeds = (fraction: ReturnType<typeof total>['fraction'], toleranceBps: number): boolean => cmp(fraction, fromBps(toleranceBps)) > 0;

  it('passes a 10 bps tolerance without the landing delay', () => {
    const r = total(LANDING_DEFAULTS, SEED);
    expect(r.fraction).toEqual(ratio(1_666_389n, 10_000_000_000n));
    expect(exceeds(r.fraction, 10)).toBe(false);
  });

  it('fails a 10 bps tolerance on the same trade with the delay on (seed 1: 6 slots, 55.3 bps of drift), and passes 300 bps', () => {
    const r = total(ON, SEED);
    expect(toBps(r.fraction)).toBeCloseTo(56.990_314, 5);
    expect(exceeds(r.fraction, 10)).toBe(true);
    expect(exceeds(r.fraction, 300)).toBe(false);
    expect(r.explanation).toMatch(/^cpmm: .*; landed \d+ slots? .* against the trade/);
  });

  it('fails tight tolerances often and 300 bps essentially never, over 2,000 seeds', () => {
    let tight = 0;
    let loose = 0;
    for (let i = 0; i < 2_000; i++) {
      const f = total(ON, BigInt(i)).fraction;
      if (exceeds(f, 10)) tight++;
      if (exceeds(f, 300)) loose++;
    }
    expect(tight / 2_000).toBeGreaterThan(0.2);
    expect(loose).toBe(0);
  });
});
