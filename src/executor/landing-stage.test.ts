import { describe, expect, it } from 'vitest';
import { isExecutorError } from '../domain/errors.js';
import { createRng } from '../domain/rng.js';
import { drawLandingSlots, LANDING_DEFAULTS } from '../domain/slippage/landing.js';
import { drawLandingDelay, effectivePricing, LANDING_TIME_STREAM, sleepUnlessAborted, waitForLanding, type LandingTimeOptions } from './landing-stage.js';

const options: LandingTimeOptions = { defaultPricing: 'IMMEDIATE', params: LANDING_DEFAULTS, slotMs: 400 };

describe('landing stage', () => {
  it('draws the delay from its own stream of the trade seed: the same seed and fee give the same slots', () => {
    for (const seed of [1n, 42n, 2n ** 63n + 5n]) {
      const a = drawLandingDelay(seed, 0n, options);
      expect(drawLandingDelay(seed, 0n, options)).toEqual(a);
      expect(a.slots).toBe(drawLandingSlots(0n, createRng(seed, LANDING_TIME_STREAM), LANDING_DEFAULTS));
      expect(a.delayMs).toBe(a.slots * 400);
      expect(a.slots).toBeGreaterThanOrEqual(LANDING_DEFAULTS.minSlots);
      expect(a.slots).toBeLessThanOrEqual(LANDING_DEFAULTS.maxSlots);
    }
  });

  it('a higher priority fee lands sooner on average', () => {
    const mean = (fee: bigint): number => {
      let sum = 0;
      for (let i = 0; i < 2_000; i++) sum += drawLandingDelay(BigInt(i), fee, options).slots;
      return sum / 2_000;
    };
    expect(mean(900_000n)).toBeLessThan(mean(0n));
  });

  it('the request decides, else the server, else immediate', () => {
    expect(effectivePricing(undefined, undefined)).toBe('IMMEDIATE');
    expect(effectivePricing(undefined, { ...options, defaultPricing: 'LANDING' })).toBe('LANDING');
    expect(effectivePricing('IMMEDIATE', { ...options, defaultPricing: 'LANDING' })).toBe('IMMEDIATE');
    expect(effectivePricing('LANDING', options)).toBe('LANDING');
  });

  it('a wait ends with DEADLINE_EXCEEDED as soon as the call is aborted', async () => {
    const controller = new AbortController();
    const waiting = sleepUnlessAborted(60_000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toSatisfy((e) => isExecutorError(e, 'DEADLINE_EXCEEDED'));
    await expect(sleepUnlessAborted(10, controller.signal)).rejects.toSatisfy((e) => isExecutorError(e, 'DEADLINE_EXCEEDED'));
  });

  it('the market may be observed from the landing instant, never before it', async () => {
    const sent = Date.now();
    const from = await waitForLanding(sent, 30, Date.now, undefined);
    expect(from).toBeGreaterThanOrEqual(sent + 30);
    expect(Date.now()).toBeGreaterThanOrEqual(sent + 30);
    // A clock that does not move: still bounded, still reported as the landing instant.
    expect(await waitForLanding(1_000, 5, () => 1_000, undefined)).toBe(1_005);
  });
});
