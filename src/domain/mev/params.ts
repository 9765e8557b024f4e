import type { MevProtection } from '../request.js';
import type { TokenClass } from '../tokens.js';

/**
 * Parameters of the sandwich model in shared/reference/mev-model.md ("The model" and its parameter
 * table). No public source gives sandwich rates by trade size or slippage, so every value here is a
 * default fitted to aggregate totals, and users must be able to change each one: see
 * {@link resolveMevParams}.
 */

/** Market regime (M_regime): monthly extraction fell 5-8x from the Q4 2024 - Q1 2025 peak to late 2025. */
export type MevRegime = 'current' | 'mid_2025' | 'peak';
export const MEV_REGIMES: readonly MevRegime[] = ['current', 'mid_2025', 'peak'];

/**
 * How the transaction reaches the leader (M_route). Wider than {@link MevProtection}: `bot_default`
 * (a trading bot's default public route) and `rfq` (RFQ or limit orders, never sandwiched) are in the
 * reference's table but have no request enum value; callers may still name them.
 */
export type MevRoute = 'public' | 'bot_default' | 'jito_bundle' | 'jito_dontfront' | 'private' | 'rfq';
export const MEV_ROUTES: readonly MevRoute[] = ['public', 'bot_default', 'jito_bundle', 'jito_dontfront', 'private', 'rfq'];

const TOKEN_CLASSES: readonly TokenClass[] = ['major', 'stable', 'mid', 'meme'];

/** The route a request's protection choice stands for. */
export function routeForProtection(protection: MevProtection): MevRoute {
  switch (protection) {
    case 'PUBLIC':
      return 'public';
    case 'JITO_BUNDLE':
      return 'jito_bundle';
    case 'JITO_DONTFRONT':
      return 'jito_dontfront';
    case 'PRIVATE':
      return 'private';
  }
}

/**
 * M_prio bands. Priority fees speed landing (fewer leaders see the order) but do not hide it, so the
 * effect is deliberately small. Fees below `lowBelowLamports` get `low`, above `highAboveLamports` get
 * `high`, anything between (both ends included) gets `mid`.
 */
export interface MevPriorityBands {
  readonly lowBelowLamports: number;
  readonly highAboveLamports: number;
  readonly low: number;
  readonly mid: number;
  readonly high: number;
}

export interface MevParams {
  /** C_att, USD: two signatures, a Jito tip at p50-p75 and a priority fee. An attack must beat it. */
  readonly attackerCostUsd: number;
  /** a_max: the dominant sandwich program's 88.9 % success rate caps the probability. */
  readonly successRate: number;
  /** P0, USD: profit scale; bots live on about 0.04 SOL a sandwich, so a $1 profit is already attractive. */
  readonly profitScaleUsd: number;
  /** E0: base exposure of a public-route memecoin swap at 1 % tolerance in the current regime (least certain: a knob). */
  readonly baseExposure: number;
  /** M_regime per regime. */
  readonly regimeMultiplier: Readonly<Record<MevRegime, number>>;
  /** M_route per route. */
  readonly routeMultiplier: Readonly<Record<MevRoute, number>>;
  /** M_asset per token class; SOL, stables and LSTs are all "major" in the reference (0.3). */
  readonly assetMultiplier: Readonly<Record<TokenClass, number>>;
  /** M_prio bands. */
  readonly priorityMultiplier: MevPriorityBands;
  /** gamma: elasticity of exposure to tolerance; Jupiter's test implies about 0.38 in total, slack explains 0.13. */
  readonly slippageElasticity: number;
  /** phi ~ Beta(alpha, beta): the share of the slack an attack takes (theory 1.0; multi-victim packing lowers it). */
  readonly phi: { readonly alpha: number; readonly beta: number };
  /** p_rev: an attacked swap reverts instead of filling at min-out (1 - 0.889 as an upper bound). */
  readonly revertProbability: number;
  /** Co-flow, USD: other victims' flow packed into the same sandwich; the gate applies to combined flow. */
  readonly coFlowUsd: number;
  /** Pool fee f used when the caller does not know the pool's fee (0.25 %: the reference's $100k-pool example). */
  readonly defaultPoolFee: number;
}

/** Exposure cap in step 2 of the model: no route is ever certain to be watched. */
export const EXPOSURE_CAP = 0.95;
/** Tolerance above which exposure stops rising (step 2: min(s, 0.20)). */
export const TOLERANCE_CAP = 0.2;
/** Tolerance at which the slippage factor is 1 (step 2: s / 0.01). */
export const TOLERANCE_REFERENCE = 0.01;

export const DEFAULT_MEV_PARAMS: MevParams = deepFreeze({
  attackerCostUsd: 0.05,
  successRate: 0.89,
  profitScaleUsd: 1,
  baseExposure: 0.015,
  regimeMultiplier: { current: 1.0, mid_2025: 2.5, peak: 6.0 },
  routeMultiplier: { public: 1.0, bot_default: 1.3, jito_bundle: 0.6, jito_dontfront: 0.35, private: 0.2, rfq: 0 },
  assetMultiplier: { major: 0.3, stable: 0.3, mid: 0.6, meme: 1.0 },
  priorityMultiplier: { lowBelowLamports: 50_000, highAboveLamports: 500_000, low: 1.0, mid: 0.85, high: 0.75 },
  slippageElasticity: 0.25,
  phi: { alpha: 8.5, beta: 1.5 },
  revertProbability: 0.05,
  coFlowUsd: 0,
  defaultPoolFee: 0.0025,
});

/** User overrides: any subset, nested maps included (e.g. `{ regimeMultiplier: { peak: 5 } }`). */
export type MevParamsOverrides = {
  readonly [K in keyof MevParams]?: MevParams[K] extends number ? number : Partial<MevParams[K]>;
};

interface Range {
  readonly min: number;
  readonly max: number;
  /** Excludes `min` itself. */
  readonly minExclusive?: boolean;
  readonly integer?: boolean;
}

const MULTIPLIER: Range = { min: 0, max: 1_000 };
const FRACTION: Range = { min: 0, max: 1 };

/** Allowed range of every scalar; maps list their keys and share one range. */
const SCALARS: Readonly<Record<string, Range>> = {
  attackerCostUsd: { min: 0, max: 1e9 },
  successRate: FRACTION,
  profitScaleUsd: { min: 0, max: 1e9, minExclusive: true },
  baseExposure: FRACTION,
  slippageElasticity: { min: 0, max: 5 },
  revertProbability: FRACTION,
  coFlowUsd: { min: 0, max: 1e12 },
  defaultPoolFee: { min: 0, max: 1 },
};

const MAPS: Readonly<Record<string, { readonly keys: readonly string[]; readonly ranges: Readonly<Record<string, Range>> }>> = {
  regimeMultiplier: { keys: MEV_REGIMES, ranges: {} },
  routeMultiplier: { keys: MEV_ROUTES, ranges: {} },
  assetMultiplier: { keys: TOKEN_CLASSES, ranges: {} },
  priorityMultiplier: {
    keys: ['lowBelowLamports', 'highAboveLamports', 'low', 'mid', 'high'],
    ranges: {
      lowBelowLamports: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
      highAboveLamports: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
    },
  },
  // The Rng's Beta sampler supports shapes >= 1 only (Marsaglia-Tsang without the boost for shape < 1).
  phi: { keys: ['alpha', 'beta'], ranges: { alpha: { min: 1, max: 1_000 }, beta: { min: 1, max: 1_000 } } },
};

/**
 * Merges `overrides` onto `base` (the defaults) and validates the result. Overrides usually come from a
 * config file, so they are checked at run time whatever their static type: an unknown key, a non-number
 * or a value out of range throws a RangeError naming the key path and the value, e.g.
 * `mev.regimeMultiplier.peak: must be a number between 0 and 1000, got -1`.
 */
export function resolveMevParams(overrides: unknown = {}, base: MevParams = DEFAULT_MEV_PARAMS, path = 'mev'): MevParams {
  if (!isRecord(overrides)) throw new RangeError(`${path}: must be an object of MEV model parameters, got ${show(overrides)}`);
  const out: Record<string, unknown> = {};
  const known = [...Object.keys(SCALARS), ...Object.keys(MAPS)];
  for (const key of Object.keys(overrides)) {
    if (!known.includes(key)) throw new RangeError(`${path}.${key}: unknown MEV parameter; expected one of: ${known.join(', ')}`);
  }
  const baseRecord = base as unknown as Readonly<Record<string, unknown>>;
  for (const [key, range] of Object.entries(SCALARS)) {
    const v = overrides[key] ?? baseRecord[key];
    out[key] = checkNumber(v, range, `${path}.${key}`);
  }
  for (const [key, spec] of Object.entries(MAPS)) {
    const baseMap = baseRecord[key] as Readonly<Record<string, unknown>>;
    const over = overrides[key] ?? {};
    if (!isRecord(over)) throw new RangeError(`${path}.${key}: must be an object, got ${show(over)}`);
    for (const k of Object.keys(over)) {
      if (!spec.keys.includes(k)) throw new RangeError(`${path}.${key}.${k}: unknown key; expected one of: ${spec.keys.join(', ')}`);
    }
    const merged: Record<string, number> = {};
    for (const k of spec.keys) merged[k] = checkNumber(over[k] ?? baseMap[k], spec.ranges[k] ?? MULTIPLIER, `${path}.${key}.${k}`);
    out[key] = merged;
  }
  const params = out as unknown as MevParams;
  const bands = params.priorityMultiplier;
  if (bands.lowBelowLamports > bands.highAboveLamports) {
    throw new RangeError(
      `${path}.priorityMultiplier: lowBelowLamports (${bands.lowBelowLamports}) must not exceed highAboveLamports (${bands.highAboveLamports})`,
    );
  }
  return deepFreeze(params);
}

function checkNumber(v: unknown, range: Range, name: string): number {
  const bounds = `between ${range.min}${range.minExclusive === true ? ' (excluded)' : ''} and ${range.max}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${name}: must be a number ${bounds}, got ${show(v)}`);
  if (v < range.min || v > range.max || (range.minExclusive === true && v === range.min)) {
    throw new RangeError(`${name}: must be a number ${bounds}, got ${show(v)}`);
  }
  if (range.integer === true && !Number.isInteger(v)) throw new RangeError(`${name}: must be a whole number, got ${show(v)}`);
  return v;
}

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
