import { add, ZERO } from '../ratio.js';
import type { Ratio } from '../ratio.js';
import { invalidArgument } from '../errors.js';
import type { JsonValue } from '../request.js';
import type { Rng } from '../rng.js';
import type { Token } from '../tokens.js';
import { capFraction, formatBps, fractionFromBpsCeil, toBps } from './bps.js';
import type { SlippageResult } from './model.js';
import { numberParam, rejectUnknownParams } from './params.js';
import { pairVolatility, SLOT_MS } from './volatility.js';

/**
 * Landing delay: the slots between the quote a trade was priced on and the slot it lands in, and the
 * price drift over them. This is what makes tight tolerances fail on chain: the pool is not where it
 * was when the quote was taken.
 *
 * Slots. slots = minSlots + G, G ~ Geometric(p) (failures before the first success), where p, the
 * chance of landing in each further slot, rises with the priority fee:
 *   p(fee) = p0 + (pHigh - p0) x fee / (fee + feeHalfLamports)
 * Defaults p0 = 0.3, pHigh = 0.85, feeHalf = 50,000 lamports: at zero fee the median is 2 slots and the
 * mean 3.3 with a geometric tail (congestion, a missed leader); at 100k lamports p = 0.67, median 1;
 * near the 1M cap p = 0.82. Capped at maxSlots (150: a blockhash expires after about 150 slots).
 * Assumption, not a measurement: Solana's 400 ms slots and "priority fees speed landing" are facts,
 * the exact curve is a knob.
 *
 * Drift. The pair's price moves by sigma_slot x sqrt(slots) x z, z ~ N(0, 1) (volatility.ts,
 * sigma_slot = the riskier leg's one-slot volatility x volatilityScale). A move against the trade
 * counts in full; a move in its favour counts as 0, since the executor never pays positive slippage
 * and such a move cannot fail a tolerance. So about half of all trades see no drift, and
 * E[drift] = 0.4 x sigma_slot x E[sqrt(slots)].
 *
 * The draws come from the `rng` handed in: give it its own stream of the trade's seed
 * (createRng(seed, 'landing')) so turning the delay on never shifts the slippage model's draws.
 */
export interface LandingParams {
  /** Off by default: the executor calls landingDrift only when enabled. */
  readonly enabled: boolean;
  readonly minSlots: number;
  /** Per-slot landing probability at zero priority fee. */
  readonly p0: number;
  /** Per-slot landing probability as the priority fee grows without bound. */
  readonly pHigh: number;
  /** Priority fee (lamports) at which p is halfway from p0 to pHigh. */
  readonly feeHalfLamports: number;
  readonly maxSlots: number;
  /** Multiplies the class volatility (e.g. 10+ for bonding-curve memecoins). */
  readonly volatilityScale: number;
}

export const LANDING_DEFAULTS: LandingParams = {
  enabled: false,
  minSlots: 1,
  p0: 0.3,
  pHigh: 0.85,
  feeHalfLamports: 50_000,
  maxSlots: 150,
  volatilityScale: 1,
};

export interface LandingContext {
  readonly input: Pick<Token, 'symbol' | 'class'>;
  readonly output: Pick<Token, 'symbol' | 'class'>;
  readonly priorityFeeLamports: bigint;
  /** The landing delay's own stream of the trade's seed. */
  readonly rng: Rng;
}

export interface LandingDrift {
  /** Slots between quote and landing; 0 when the delay is off. */
  readonly slots: number;
  /** Adverse drift as a fraction (>= 0), on the 1e-6 bps grid, capped at 4,999 bps. */
  readonly driftFraction: Ratio;
  readonly explanation: string;
}

/** Validates landing-delay settings (config or request); INVALID_ARGUMENT names `field.params.<key>`. */
export function parseLandingParams(raw: Readonly<Record<string, JsonValue>>, field: string): LandingParams {
  const keys = ['enabled', 'minSlots', 'p0', 'pHigh', 'feeHalfLamports', 'maxSlots', 'volatilityScale'];
  rejectUnknownParams(raw, keys, field);
  const enabled = raw['enabled'] ?? LANDING_DEFAULTS.enabled;
  if (typeof enabled !== 'boolean') throw invalidArgument(`${field}.params.enabled`, 'must be true or false');
  const d = LANDING_DEFAULTS;
  const minSlots = numberParam(raw, 'minSlots', field, { min: 0, max: 150, default: d.minSlots, integer: true });
  const p0 = numberParam(raw, 'p0', field, { min: 0.01, max: 1, default: d.p0 });
  const pHigh = numberParam(raw, 'pHigh', field, { min: p0, max: 1, default: Math.max(p0, d.pHigh) });
  const feeHalfLamports = numberParam(raw, 'feeHalfLamports', field, { min: 1, max: 1e9, default: d.feeHalfLamports });
  const maxSlots = numberParam(raw, 'maxSlots', field, { min: Math.max(1, minSlots), max: 1_000, default: Math.max(d.maxSlots, minSlots), integer: true });
  const volatilityScale = numberParam(raw, 'volatilityScale', field, { min: 0, max: 100, default: d.volatilityScale });
  return { enabled, minSlots, p0, pHigh, feeHalfLamports, maxSlots, volatilityScale };
}

/** Per-slot landing probability for a priority fee (see the header). */
export function landingProbability(priorityFeeLamports: bigint, params: LandingParams): number {
  const fee = Number(priorityFeeLamports);
  return params.p0 + ((params.pHigh - params.p0) * fee) / (fee + params.feeHalfLamports);
}

/**
 * Slots from sending to landing: minSlots + Geometric(p(fee)), capped at maxSlots (see the header).
 * One draw from `rng`. Used whether or not the drift model is enabled (landing-time pricing waits
 * this long before pricing).
 */
export function drawLandingSlots(priorityFeeLamports: bigint, rng: Rng, params: LandingParams = LANDING_DEFAULTS): number {
  const p = landingProbability(priorityFeeLamports, params);
  const u = rng.next();
  // Inverse CDF of the geometric: P(G >= k) = (1 - p)^k. 1 - u is in (0, 1], so the log is finite.
  const extra = p >= 1 ? 0 : Math.floor(Math.log(1 - u) / Math.log(1 - p));
  return Math.min(params.maxSlots, params.minSlots + extra);
}

/** Slots from quote to landing and the adverse drift over them; zero, with no draws, when off. */
export function landingDrift(ctx: LandingContext, params: LandingParams = LANDING_DEFAULTS): LandingDrift {
  if (!params.enabled) return { slots: 0, driftFraction: ZERO, explanation: 'landing delay off' };
  const slots = drawLandingSlots(ctx.priorityFeeLamports, ctx.rng, params);
  const z = ctx.rng.normal();
  const sigmaBps = pairVolatility(ctx.input.class, ctx.output.class).perSlotBps * params.volatilityScale;
  const moveBps = sigmaBps * Math.sqrt(slots) * z;
  const driftFraction = fractionFromBpsCeil(moveBps);
  const pair = `${ctx.input.symbol}->${ctx.output.symbol}`;
  const when = `landed ${slots} slot${slots === 1 ? '' : 's'} (~${((slots * SLOT_MS) / 1000).toFixed(1)} s) after the quote at priority fee ${ctx.priorityFeeLamports} lamports`;
  const explanation =
    moveBps > 0
      ? `${when}; ${pair} moved ${formatBps(toBps(driftFraction))} against the trade (σ ${formatBps(sigmaBps)}/slot)`
      : `${when}; ${pair} moved ${formatBps(-moveBps)} in the trade's favour, counted as 0 (σ ${formatBps(sigmaBps)}/slot)`;
  return { slots, driftFraction, explanation };
}

/**
 * A model's slippage with the landing drift added: what the executor compares with the tolerance.
 * The sum is capped at 4,999 bps like every model.
 */
export function withLandingDrift(result: SlippageResult, drift: LandingDrift): SlippageResult {
  if (drift.slots === 0) return result;
  return { fraction: capFraction(add(result.fraction, drift.driftFraction)), explanation: `${result.explanation}; ${drift.explanation}` };
}
