import { describe, expect, it } from 'vitest';
import { toBps } from './bps.js';
import { LANDING_DEFAULTS, landingDrift, withLandingDrift } from './landing.js';
import { createSlippageRegistry } from './registry.js';
import { makeContext, tokenOf } from '../../../test/support/slippage.js';
import { createRng } from '../rng.js';

// The calibration's promise, kept as a test: the defaults stay inside the published references
// (depths of the simulated market's reference table; bench/calibrate.ts prints the full table).
const registry = createSlippageRegistry();
const model = (name: string) => registry.create({ name, params: {} }, 'slippage_model');
const bps = (name: string, base: string, quote: string, tradeUsd: number, liquidityUsd: number, seed = 1n): number =>
  toBps(model(name).apply(makeContext({ base, quote, tradeUsd, liquidityUsd, seed })).fraction);

describe('calibration of the defaults', () => {
  it('SOL/USDC, $100 to $100k: quote, cpmm, sqrt and random stay within Jupiter\'s natural slippage (up to ~50 bps)', () => {
    for (const size of [100, 1_000, 10_000, 100_000]) {
      for (const name of ['quote', 'cpmm', 'sqrt', 'random']) expect(bps(name, 'SOL', 'USDC', size, 522_175_174)).toBeLessThanOrEqual(50);
    }
  });
  it('SOL/USDC: a quoted fill lands 5 bps under its quote on average', () => {
    let sum = 0;
    for (let i = 0; i < 4_000; i++) sum += toBps(model('quote').apply(makeContext({ quoted: true, seed: BigInt(i) })).fraction);
    expect(sum / 4_000).toBeCloseTo(5, 0);
  });
  it('SOL/USDC with the landing delay: cpmm lands inside the 2-14 bps average natural slippage at every size', () => {
    for (const size of [100, 1_000, 10_000, 100_000]) {
      let sum = 0;
      for (let i = 0; i < 2_000; i++) {
        const r = model('cpmm').apply(makeContext({ tradeUsd: size, liquidityUsd: 522_175_174, seed: BigInt(i) }));
        const d = landingDrift({ input: tokenOf('USDC'), output: tokenOf('SOL'), priorityFeeLamports: 0n, rng: createRng(BigInt(i), 'landing') }, { ...LANDING_DEFAULTS, enabled: true });
        sum += toBps(withLandingDrift(r, d).fraction);
      }
      expect(sum / 2_000).toBeGreaterThanOrEqual(2);
      expect(sum / 2_000).toBeLessThanOrEqual(14);
    }
  });
  it('JUP/USDC and BONK/SOL stay under the default band ceiling (500 bps), except cpmm at $100k on JUP\'s $3M', () => {
    for (const size of [100, 1_000, 10_000, 100_000]) {
      expect(bps('sqrt', 'JUP', 'USDC', size, 3_036_749)).toBeLessThanOrEqual(500);
      for (const name of ['cpmm', 'sqrt', 'random']) expect(bps(name, 'BONK', 'SOL', size, 12_000_000)).toBeLessThanOrEqual(500);
    }
    expect(bps('cpmm', 'JUP', 'USDC', 10_000, 3_036_749)).toBeLessThanOrEqual(500);
    expect(bps('cpmm', 'JUP', 'USDC', 100_000, 3_036_749)).toBeGreaterThan(500); // 3.3 % of the token's whole depth
  });
});
