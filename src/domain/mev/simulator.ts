import type { MevRiskLevel } from '../trade.js';
import type { MevProtection } from '../request.js';
import type { Rng } from '../rng.js';
import type { TokenClass } from '../tokens.js';
import type { MevParams, MevRegime, MevRoute } from './params.js';
import { DEFAULT_MEV_PARAMS, EXPOSURE_CAP, TOLERANCE_CAP, TOLERANCE_REFERENCE, routeForProtection } from './params.js';

/**
 * Sandwich-attack simulator: the model of shared/reference/mev-model.md ("The model", steps 1-3), as a
 * pure function of its inputs and a seeded random stream. It never touches token amounts: it returns a
 * loss fraction of the no-attack output, which the executor turns into an exact ratio.
 *
 * Conventions: tolerance s and drift d are fractions of the expected output, so
 * out_no_attack = (1 - d) * expected and min_out = (1 - s) * expected (Jupiter's min-out).
 */
export interface MevInput {
  /** V: USD value of the trade (at the expected price, the output is worth the same). */
  readonly tradeUsd: number;
  /** s: the slippage tolerance, a fraction (0.01 = 1 %). */
  readonly tolerance: number;
  /** d: the adverse slippage the slippage model already applied, a fraction; it uses up part of the tolerance. */
  readonly drift: number;
  /** f: the pool's fee, a fraction; `params.defaultPoolFee` when unknown. */
  readonly poolFee?: number | undefined;
  /** x_in: input-side depth of the pool in USD. When known, r = flow / x_in. */
  readonly inputDepthUsd?: number | undefined;
  /** The trade's own price impact, a fraction; used as r when the depth is unknown. */
  readonly priceImpact?: number | undefined;
  readonly protection: MevProtection;
  /** Overrides the route implied by `protection` (e.g. `bot_default`, `rfq`, which have no request enum value). */
  readonly route?: MevRoute | undefined;
  /** Drives M_asset; a memecoin is `meme`. */
  readonly assetClass: TokenClass;
  readonly regime: MevRegime;
  readonly priorityFeeLamports: bigint;
  /** The trade's `mev` stream: `createRng(tradeSeed, 'mev')`. */
  readonly rng: Rng;
}

/** Step 1 of the model: whether an attacker can profit at all, and by how much. */
export interface MevGate {
  /** max(0, s - d): the part of the tolerance left for an attacker to take. */
  readonly slack: number;
  /** V + co-flow, USD. */
  readonly flowUsd: number;
  /** r for the whole flow: flow / x_in, or the given impact scaled to the flow. */
  readonly flowImpact: number;
  /** The victim's own price impact: V / x_in, or the given impact. */
  readonly tradeImpact: number;
  readonly poolFee: number;
  /** P_usd = slack * flow * max(0, 1 - f/r) - C_att. The trade can be attacked only when it is positive. */
  readonly attackerProfitUsd: number;
}

export interface MevSimulation {
  /** p: the chance this trade is sandwiched; exactly 0 when the gate fails, never above 0.95 * a_max. */
  readonly probability: number;
  readonly riskLevel: MevRiskLevel;
  readonly attacked: boolean;
  /** The attack made the swap revert: no tokens move, the network fee is still paid. Implies `attacked`. */
  readonly reverted: boolean;
  /**
   * Fraction of the no-attack output lost: phi * slack / (1 - d), so the attacked output is exactly
   * out_no_attack - phi * (out_no_attack - min_out) and never below min_out. 0 unless attacked and filled.
   */
  readonly lossFraction: number;
  /** USD lost: phi * slack * V (0 when reverted: nothing was received, but nothing was lost to the attacker either). */
  readonly lossUsd: number;
  /** `lossFraction` in basis points. */
  readonly lossBps: number;
  /** slack * V: the most a sandwich could take. */
  readonly slackUsd: number;
  /** p * (1 - p_rev) * E[phi] * slack * V: the mean loss over all draws, for reporting a risk in dollars. */
  readonly expectedLossUsd: number;
  /** P_usd from the gate. */
  readonly attackerProfitUsd: number;
  /** The reference's "Warnings worth returning" that hold for this trade, plus a note when the swap reverted. */
  readonly warnings: readonly string[];
}

/** Everything about the trade but the random stream: what the probability depends on. */
export type MevTrade = Omit<MevInput, 'rng'>;

/**
 * Step 1, the gate. Several victims in one sandwich relax it (the reference: "it applies to their
 * combined flow"), hence co-flow. When only the impact is known it is scaled linearly to the combined
 * flow, the small-trade limit of a constant-product pool (r ~ V / x_in).
 */
export function sandwichGate(trade: MevTrade, params: MevParams = DEFAULT_MEV_PARAMS): MevGate {
  const v = checkAtLeast(trade.tradeUsd, 0, 'tradeUsd');
  const s = checkFraction(trade.tolerance, 'tolerance');
  const d = checkOpenUnit(trade.drift, 'drift');
  const f = trade.poolFee === undefined ? params.defaultPoolFee : checkFraction(trade.poolFee, 'poolFee');
  const slack = Math.max(0, s - d);
  const flowUsd = v + params.coFlowUsd;
  let tradeImpact: number;
  let flowImpact: number;
  if (trade.inputDepthUsd !== undefined) {
    const depth = trade.inputDepthUsd;
    if (!(Number.isFinite(depth) && depth > 0)) throw new RangeError(`mev input inputDepthUsd: must be a positive number, got ${depth}`);
    tradeImpact = v / depth;
    flowImpact = flowUsd / depth;
  } else if (trade.priceImpact !== undefined) {
    tradeImpact = checkAtLeast(trade.priceImpact, 0, 'priceImpact');
    flowImpact = v > 0 ? (tradeImpact * flowUsd) / v : tradeImpact;
  } else {
    throw new RangeError('mev input: inputDepthUsd or priceImpact is required to gate the attack');
  }
  // max(0, 1 - f/r) written so that r = 0 (with or without a fee) gives 0 rather than NaN.
  const feeFactor = flowImpact > f ? 1 - f / flowImpact : 0;
  const attackerProfitUsd = slack * flowUsd * feeFactor - params.attackerCostUsd;
  return { slack, flowUsd, flowImpact, tradeImpact, poolFee: f, attackerProfitUsd };
}

/**
 * Step 2: exposure = min(0.95, E0 * M_regime * M_route * M_asset * M_prio * (min(s, 0.20)/0.01)^gamma),
 * p = exposure * a_max * (1 - exp(-P_usd / P0)); exactly 0 when the gate fails.
 */
export function attackProbability(trade: MevTrade, gate: MevGate, params: MevParams = DEFAULT_MEV_PARAMS): number {
  if (!(gate.attackerProfitUsd > 0)) return 0;
  const route = trade.route ?? routeForProtection(trade.protection);
  const exposure = Math.min(
    EXPOSURE_CAP,
    params.baseExposure *
      params.regimeMultiplier[trade.regime] *
      params.routeMultiplier[route] *
      params.assetMultiplier[trade.assetClass] *
      priorityMultiplier(trade.priorityFeeLamports, params) *
      (Math.min(trade.tolerance, TOLERANCE_CAP) / TOLERANCE_REFERENCE) ** params.slippageElasticity,
  );
  // -expm1(-x) is 1 - exp(-x) without cancellation for the small profits near the gate.
  return exposure * params.successRate * -Math.expm1(-gate.attackerProfitUsd / params.profitScaleUsd);
}

/**
 * Simulates one trade's exposure to a sandwich: gate, probability, and a seeded outcome.
 *
 * Draw order, fixed whatever the branch: u_attack = rng.next(), then u_revert = rng.next(), both always
 * drawn (even when p = 0), then phi ~ Beta only when the swap was attacked and filled. phi comes last, so
 * skipping it shifts nothing, and the first two draws mean the same thing for every parameter set: for
 * one seed, raising p can only turn an unattacked trade into an attacked one (common random numbers), so
 * comparing routes or regimes on the same seeds compares like with like.
 */
export function simulateSandwich(input: MevInput, params: MevParams = DEFAULT_MEV_PARAMS): MevSimulation {
  const gate = sandwichGate(input, params);
  const probability = attackProbability(input, gate, params);
  const uAttack = input.rng.next();
  const uRevert = input.rng.next();
  const attacked = uAttack < probability;
  const reverted = attacked && uRevert < params.revertProbability;
  const slackUsd = gate.slack * input.tradeUsd;
  let lossFraction = 0;
  let lossUsd = 0;
  if (attacked && !reverted) {
    const phi = input.rng.beta(params.phi.alpha, params.phi.beta);
    // Step 3: out_attacked = out_no_attack - phi * (out_no_attack - min_out); as a fraction of
    // out_no_attack = (1 - d) * expected, that is phi * slack / (1 - d). phi <= 1 keeps it above min_out.
    lossFraction = (phi * gate.slack) / (1 - input.drift);
    lossUsd = phi * slackUsd;
  }
  const meanPhi = params.phi.alpha / (params.phi.alpha + params.phi.beta);
  const expectedLossUsd = probability * (1 - params.revertProbability) * meanPhi * slackUsd;
  return {
    probability,
    riskLevel: riskLevel(probability),
    attacked,
    reverted,
    lossFraction,
    lossUsd,
    lossBps: lossFraction * 10_000,
    slackUsd,
    expectedLossUsd,
    attackerProfitUsd: gate.attackerProfitUsd,
    warnings: mevWarnings(input, gate, reverted, params),
  };
}

/** Risk bands on the attack probability: none when the gate fails, then below 1 %, below 5 %, and above. */
export function riskLevel(probability: number): MevRiskLevel {
  if (probability <= 0) return 'none';
  if (probability < 0.01) return 'low';
  if (probability < 0.05) return 'medium';
  return 'high';
}

/** M_prio: below the low threshold, above the high one, or between (both ends included). */
export function priorityMultiplier(feeLamports: bigint, params: MevParams = DEFAULT_MEV_PARAMS): number {
  const bands = params.priorityMultiplier;
  // Thresholds are safe integers (checked in resolveMevParams), so comparing as numbers is exact for
  // every fee up to 2^53 and keeps the right order beyond it.
  const fee = Number(feeLamports);
  if (fee < bands.lowBelowLamports) return bands.low;
  if (fee > bands.highAboveLamports) return bands.high;
  return bands.mid;
}

/** The reference's "Warnings worth returning", each a readable one-liner, in the reference's order. */
export function mevWarnings(trade: MevTrade, gate: MevGate, reverted: boolean, params: MevParams = DEFAULT_MEV_PARAMS): string[] {
  const warnings: string[] = [];
  const route = trade.route ?? routeForProtection(trade.protection);
  const unprotected = route === 'public' || route === 'bot_default';
  // "Moves the pool more than its fee": stated on the gate itself, so the warning appears exactly when the
  // probability is above 0 (a move over the fee whose slack is worth less than C_att is not attackable,
  // nor is anything sent on a route nobody can sandwich, such as RFQ).
  if (gate.attackerProfitUsd > 0 && params.routeMultiplier[route] > 0) {
    warnings.push(
      `sandwichable: the trade moves the pool ${pct(gate.flowImpact)} against a ${pct(gate.poolFee)} fee; ` +
        `a sandwich could take up to ${usd(gate.slack * trade.tradeUsd)} (the unused slippage tolerance)`,
    );
  }
  const need = gate.tradeImpact + Math.max(0, trade.drift);
  if (trade.tolerance > 3 * need) {
    warnings.push(
      `slippage tolerance ${pct(trade.tolerance)} is over 3x what the trade needs (impact plus drift ${pct(need)}); ` +
        'the unused part is what a sandwich takes',
    );
  }
  if (trade.assetClass === 'meme' && trade.tolerance >= 0.05) {
    warnings.push(`memecoin swap with ${pct(trade.tolerance)} slippage tolerance: the trades sandwich bots target most`);
  }
  if (unprotected) {
    warnings.push('unprotected route: the swap is visible to sandwich bots; a Jito bundle or a private route lowers the risk');
    if (Number(trade.priorityFeeLamports) > params.priorityMultiplier.highAboveLamports) {
      warnings.push(
        `priority fee of ${trade.priorityFeeLamports} lamports on a public route: fees speed landing but do not hide the order`,
      );
    }
  }
  if (gate.tradeImpact > 0.05) {
    warnings.push(`the trade is ${pct(gate.tradeImpact)} of the pool's depth: consider splitting it into smaller swaps`);
  }
  if (reverted) {
    warnings.push('simulated sandwich made the swap revert: no tokens were lost, the network fee is still charged');
  }
  return warnings;
}

function checkFraction(v: number, name: string): number {
  if (!(Number.isFinite(v) && v >= 0 && v < 1)) throw new RangeError(`mev input ${name}: must be a fraction in [0, 1), got ${v}`);
  return v;
}

function checkOpenUnit(v: number, name: string): number {
  if (!(Number.isFinite(v) && v > -1 && v < 1)) throw new RangeError(`mev input ${name}: must be a fraction in (-1, 1), got ${v}`);
  return v;
}

function checkAtLeast(v: number, min: number, name: string): number {
  if (!(Number.isFinite(v) && v >= min)) throw new RangeError(`mev input ${name}: must be a finite number >= ${min}, got ${v}`);
  return v;
}

/** A percentage with 3 significant-ish digits and no trailing zeros ("0.05 %", "12.5 %"). */
function pct(fraction: number): string {
  const p = fraction * 100;
  const scale = p >= 10 ? 10 : p >= 0.1 ? 100 : 1000;
  return `${Math.round(p * scale) / scale} %`;
}

function usd(x: number): string {
  return `$${x.toFixed(2)}`;
}
