import { describe, expect, it } from 'vitest';
import { toBps } from './bps.js';
import { randomModel } from './random.js';
import { fixedRng, makeContext } from '../../../test/support/slippage.js';
import { createRng } from '../rng.js';

const model = (params: Record<string, number> = {}) => randomModel.create(params, 'slippage_model');

describe('random model', () => {
  it('maps u = 0.25 to base - spread/2: 10 + 10 x (0.5 - 1) = 5 bps', () => {
    expect(toBps(model().apply(makeContext({ rng: fixedRng(0.25) })).fraction)).toBe(5);
  });
  it('maps u = 0.9 with base 40, spread 20 to 40 + 20 x 0.8 = 56 bps', () => {
    expect(toBps(model({ baseBps: 40, spreadBps: 20 }).apply(makeContext({ rng: fixedRng(0.9) })).fraction)).toBe(56);
  });
  it('stays inside [base - spread, base + spread] over many seeds', () => {
    const m = model({ baseBps: 30, spreadBps: 20 });
    for (let i = 0; i < 2_000; i++) {
      const bps = toBps(m.apply(makeContext({ rng: createRng(BigInt(i), 'slippage') })).fraction);
      expect(bps).toBeGreaterThanOrEqual(10);
      expect(bps).toBeLessThanOrEqual(50);
    }
  });
  it('refuses a spread wider than the base, naming the parameter', () => {
    expect(() => model({ baseBps: 5, spreadBps: 10 })).toThrow(/slippage_model.params.spreadBps/);
  });
});
