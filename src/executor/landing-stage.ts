/**
 * The landing stage, beside the MEV stage (DESIGN.md, execution timing). Two ways a trade meets the
 * time between sending a transaction and its landing:
 * - immediate pricing (the default): priced when the request arrives; the optional landing-delay
 *   drift model (slippage.landingDelay.enabled) adds a seeded adverse move over the drawn slots;
 * - landing-time pricing: the executor draws the landing delay from the same calibrated slot model,
 *   waits it out in real time, and prices on a market state observed no earlier than the landing
 *   instant. No drift is added then: the market itself has moved.
 * Every draw comes from the trade's seed, each on its own stream ('landing' for the drift,
 * 'landing-time' for the wait), so a replay draws the same slots from the recorded seed.
 */
import { ExecutorError } from '../domain/errors.js';
import type { ExecutionPricing } from '../domain/request.js';
import { createRng } from '../domain/rng.js';
import { drawLandingSlots, landingDrift, type LandingParams } from '../domain/slippage/landing.js';
import type { Trade, TradeLanding } from '../domain/trade.js';
import type { DriftEvaluator } from './pipeline.js';

/** The RNG stream of the landing-time delay. */
export const LANDING_TIME_STREAM = 'landing-time';

export interface LandingTimeOptions {
  /** The server's execution.pricing: what a request without execution_pricing gets. */
  readonly defaultPricing: ExecutionPricing;
  /** The calibrated slot model (slippage.landingDelay); `enabled` does not matter here. */
  readonly params: LandingParams;
  /** Milliseconds per slot (execution.slotMs). */
  readonly slotMs: number;
}

/** The landing delay drawn for a trade: slots from its seed and priority fee, and their duration. */
export interface LandingDelay {
  readonly slots: number;
  readonly delayMs: number;
}

/** How a request is priced: as it asks, else as the server is configured, else immediately. */
export function effectivePricing(asked: ExecutionPricing | undefined, options: LandingTimeOptions | undefined): ExecutionPricing {
  return asked ?? options?.defaultPricing ?? 'IMMEDIATE';
}

/** The seeded landing delay of a trade (pure: the same seed and fee give the same delay). */
export function drawLandingDelay(seed: bigint, priorityFeeLamports: bigint, options: LandingTimeOptions): LandingDelay {
  const slots = drawLandingSlots(priorityFeeLamports, createRng(seed, LANDING_TIME_STREAM), options.params);
  return { slots, delayMs: slots * options.slotMs };
}

const aborted = (): ExecutorError =>
  new ExecutorError('DEADLINE_EXCEEDED', 'the request was cancelled or its deadline passed while waiting for the landing delay; nothing was booked');

/** Resolves after `ms`; rejects DEADLINE_EXCEEDED as soon as `signal` aborts (deadline, cancel, shutdown). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(aborted());
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits until the landing instant `sentAtMs + delayMs` as `now` tells it, and at least `delayMs` by
 * the monotonic clock (a timer may fire a millisecond before the wall clock agrees, and a wall clock
 * in whole milliseconds may agree up to a millisecond early: a short remainder is slept again).
 * Returns the instant the market may be observed from: never before the landing instant.
 */
export async function waitForLanding(sentAtMs: number, delayMs: number, now: () => number, signal: AbortSignal | undefined): Promise<number> {
  const landsAt = sentAtMs + delayMs;
  const started = performance.now();
  await sleepUnlessAborted(delayMs, signal);
  for (let i = 0; i < 3; i++) {
    const short = Math.max(landsAt - now(), delayMs - (performance.now() - started));
    if (short <= 0) break;
    await sleepUnlessAborted(Math.min(Math.ceil(short), delayMs), signal);
  }
  if (signal?.aborted) throw aborted();
  return Math.max(now(), landsAt);
}

/**
 * The landing record a replay should find: the recorded one with its slots and delay drawn again
 * from the recorded seed (so a changed slot model or seed derivation shows as a difference).
 */
export function replayLanding(recorded: Trade, options: LandingTimeOptions | undefined): TradeLanding | undefined {
  const l = recorded.landing;
  if (l === undefined || l.pricing !== 'LANDING' || options === undefined) return l;
  const d = drawLandingDelay(recorded.seed, recorded.inputs.priorityFee, options);
  return { ...l, slots: d.slots, delayMs: d.delayMs };
}

/** The drift model of immediate pricing (slots between quote and landing, with drift), when enabled. */
export function landingDriftEvaluator(params: LandingParams): DriftEvaluator | undefined {
  if (!params.enabled) return undefined;
  return ({ priced, request, seed }) => {
    const d = landingDrift({ input: priced.input, output: priced.output, priorityFeeLamports: request.priorityFee, rng: createRng(seed, 'landing') }, params);
    return { fraction: d.driftFraction, explanation: d.explanation };
  };
}
