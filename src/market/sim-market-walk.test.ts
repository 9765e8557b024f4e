import { describe, expect, it } from 'vitest';
import { createLogWalk, WALK_BLOCK_STEPS } from './sim-market-walk.js';

const YEAR_S = 365 * 86_400;
const params = { annualVol: 0.6, halfLifeS: 2 * 86_400 };

function sampleSd(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
}

describe('log walk', () => {
  it('is a pure function of (seed, stream, step): query order and gaps do not matter', () => {
    const steps = [0, 1, 599, 600, 601, 1_799, 86_400, 86_401, 10 * YEAR_S];
    const reference = steps.map((n) => createLogWalk(9n, 's', params).at(n));
    const reused = createLogWalk(9n, 's', params);
    const backwards = [...steps].reverse().map((n) => reused.at(n)).reverse();
    expect(backwards).toEqual(reference);
    const dense = createLogWalk(9n, 's', params);
    for (let n = 0; n <= 1_799; n++) dense.at(n);
    expect(dense.at(1_799)).toBe(reference[5]);
    expect(createLogWalk(10n, 's', params).at(86_400)).not.toBe(reference[6]);
    expect(createLogWalk(9n, 't', params).at(86_400)).not.toBe(reference[6]);
  });

  it('has the 1-second volatility of its parameters, also across block boundaries', () => {
    const w = createLogWalk(1n, 'vol', params);
    const diffs: number[] = [];
    const atBoundary: number[] = [];
    let prev = w.at(0);
    for (let n = 1; n <= 200 * WALK_BLOCK_STEPS; n++) {
      const x = w.at(n);
      const d = x - prev;
      prev = x;
      diffs.push(d);
      if (n % WALK_BLOCK_STEPS === 0) atBoundary.push(d);
    }
    const perStep = params.annualVol / Math.sqrt(YEAR_S);
    expect(sampleSd(diffs) / perStep).toBeGreaterThan(0.97);
    expect(sampleSd(diffs) / perStep).toBeLessThan(1.03);
    // The last step into a boundary is a bridge step like any other, not a jump.
    expect(sampleSd(atBoundary) / perStep).toBeGreaterThan(0.75);
    expect(sampleSd(atBoundary) / perStep).toBeLessThan(1.25);
  });

  it('reverts to its mean: the spread across streams after 60 days is the stationary sigma/sqrt(2 theta)', () => {
    const theta = Math.LN2 / params.halfLifeS;
    const stationary = params.annualVol / Math.sqrt(YEAR_S) / Math.sqrt(2 * theta);
    const values = Array.from({ length: 600 }, (_, i) => createLogWalk(3n, `stream-${i}`, params).at(60 * 86_400 + 17));
    expect(sampleSd(values) / stationary).toBeGreaterThan(0.88);
    expect(sampleSd(values) / stationary).toBeLessThan(1.12);
    expect(Math.abs(values.reduce((a, b) => a + b, 0) / values.length)).toBeLessThan(0.15 * stationary);
  });
});
