import { deriveSeed } from '../domain/rng.js';
import type { JsonValue, SlippageModelSpec } from '../domain/request.js';
import type { PipelineOptions } from '../executor/pipeline.js';
import type { PoolHistory } from './history.js';
import { predictBaseline, predictFill, type Basis, type Prediction } from './predict.js';
import { score, type Outcome, type Score } from './score.js';
import { stateAfter, type ObservedTrade } from './trades.js';

/**
 * The evaluation: for every trade, every horizon k and every model, the paper fill from the state k
 * slots before the trade, scored against the realized fill.
 */

/** A slippage model as configured for the run, optionally with the landing delay's drift. */
export interface ModelUnderTest {
  readonly label: string;
  readonly spec: SlippageModelSpec;
  /** Landing-delay parameters (config.slippage.landingDelay); undefined = delay off. */
  readonly landing: Readonly<Record<string, JsonValue>> | undefined;
}

/** The naive baseline: constant product on the stale state, no slippage model. */
export const BASELINE = 'baseline';

/** Pipeline options whose default model is `model` at horizon `k` (built by the composition root). */
export type OptionsFactory = (model: ModelUnderTest, k: number) => PipelineOptions;

/**
 * The landing delay as evaluated at horizon k: exactly k slots between the state the trade was priced
 * on and its landing (p0 = 1 makes the slot count deterministic), so only the drift per slot is
 * under test.
 */
export function landingAt(landing: Readonly<Record<string, JsonValue>>, k: number): Record<string, JsonValue> {
  return { ...landing, enabled: true, minSlots: k, p0: 1, pHigh: 1, maxSlots: Math.max(1, k) };
}

/** A horizon: k slots of lookback, or "quote" for rows carrying their own quoted output. */
export type Horizon = number | 'quote';

export const horizonLabel = (h: Horizon): string => (h === 'quote' ? 'quote' : `k=${h}`);

export interface Cell {
  readonly horizon: Horizon;
  readonly model: string;
  readonly score: Score;
  /** The same model priced at landing time (k >= 1; undefined for quoted rows). */
  readonly landing: Score | undefined;
}

export interface HorizonCoverage {
  readonly horizon: Horizon;
  readonly scored: number;
  /** Trades with no state k slots before them in the file (the pool's first trades). */
  readonly noState: number;
}

export interface EvaluationResult {
  readonly cells: readonly Cell[];
  readonly coverage: readonly HorizonCoverage[];
}

export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly what: string;
}

export interface EvaluateOptions {
  readonly horizons: readonly number[];
  readonly models: readonly ModelUnderTest[];
  readonly options: OptionsFactory;
  /** The configured seed; each trade's seed is derived from it and the trade's id. */
  readonly seed: bigint;
  readonly onProgress?: ((p: Progress) => void) | undefined;
}

/** The horizons that apply to `trades`: each k for rows with reserves, "quote" for quoted rows. */
export function horizonsFor(trades: readonly ObservedTrade[], ks: readonly number[]): Horizon[] {
  const hs: Horizon[] = trades.some((t) => t.post !== undefined) ? [...ks] : [];
  if (trades.some((t) => t.post === undefined)) hs.push('quote');
  return hs;
}

/**
 * When the paper trade is priced. "send": on the state the quote saw, k slots before the landing.
 * "landing": on the last state observable when the transaction lands, the end of the slot before its
 * own (the trades of slots s - k + 1 .. s - 1 included); only the trades of its own slot that precede
 * it in the block stay unseen. Scored on the same trades as "send" at k (those with a state k slots
 * before them), so the two columns compare like with like.
 */
export type Pricing = 'send' | 'landing';

/**
 * The basis of `t` at horizon `h`, or undefined when the file holds no such state. For k >= 1 the
 * earlier legs of its own transaction are applied first: they execute right before it, whatever the
 * quote's age, and a strategy sending them knows it.
 */
export function basisAt(t: ObservedTrade, h: Horizon, history: PoolHistory, pricing: Pricing = 'send'): Basis | undefined {
  if (h === 'quote') return t.post === undefined && t.quotedOut !== undefined ? { kind: 'quote' } : undefined;
  if (t.post === undefined) return undefined;
  const s = history.stateBefore(t, h);
  if (!s) return undefined;
  if (h === 0) return { kind: 'state', state: s.state };
  let state = pricing === 'landing' ? (history.stateBefore(t, 1)?.state ?? s.state) : s.state;
  for (const leg of history.legsBefore(t)) state = stateAfter(leg, state);
  return { kind: 'state', state };
}

/** Options per (model, k), built once: building validates the model and its parameters. */
export function cachedOptions(factory: OptionsFactory): OptionsFactory {
  const cache = new Map<ModelUnderTest, Map<number, PipelineOptions>>();
  return (model, k) => {
    let byK = cache.get(model);
    if (!byK) cache.set(model, (byK = new Map<number, PipelineOptions>()));
    let o = byK.get(k);
    if (!o) byK.set(k, (o = factory(model, k)));
    return o;
  };
}

/** Scores one model (or the baseline, model undefined) at one horizon over `trades`. */
export function scoreAt(
  trades: readonly ObservedTrade[],
  history: PoolHistory,
  h: Horizon,
  model: ModelUnderTest | undefined,
  options: OptionsFactory,
  seed: bigint,
  pricing: Pricing = 'send',
): { score: Score; noState: number } {
  const outcomes: Outcome[] = [];
  let noState = 0;
  // Priced at landing, the state is one slot old whatever the quote's age (see Pricing).
  const k = h === 'quote' ? 0 : pricing === 'landing' && h > 0 ? 1 : h;
  const opts = model ? options(model, k) : undefined;
  for (const t of trades) {
    const basis = basisAt(t, h, history, pricing);
    if (!basis) {
      if (h === 'quote' ? t.post === undefined : t.post !== undefined) noState++;
      continue;
    }
    const p: Prediction = opts ? predictFill(t, basis, opts, deriveSeed(seed, t.id)) : predictBaseline(t, basis);
    outcomes.push({ predicted: p.output, realized: t.realizedOut, failed: p.failure !== undefined });
  }
  return { score: score(outcomes), noState };
}

/** The full table: baseline and every model at every horizon. */
export function evaluate(trades: readonly ObservedTrade[], history: PoolHistory, o: EvaluateOptions): EvaluationResult {
  const options = cachedOptions(o.options);
  const horizons = horizonsFor(trades, o.horizons);
  const cells: Cell[] = [];
  const coverage: HorizonCoverage[] = [];
  const total = horizons.length * (o.models.length + 1);
  let done = 0;
  for (const h of horizons) {
    for (const model of [undefined, ...o.models]) {
      const label = model?.label ?? BASELINE;
      o.onProgress?.({ done, total, what: `${horizonLabel(h)} ${label}` });
      const r = scoreAt(trades, history, h, model, options, o.seed);
      const landing = h === 'quote' ? undefined : h === 0 ? r.score : scoreAt(trades, history, h, model, options, o.seed, 'landing').score;
      if (model === undefined) coverage.push({ horizon: h, scored: r.score.n, noState: r.noState });
      cells.push({ horizon: h, model: label, score: r.score, landing });
      done++;
    }
  }
  o.onProgress?.({ done, total, what: 'done' });
  return { cells, coverage };
}

/** How --fit divides the file into the trades it fits on and the trades it scores. */
export type SplitKind = 'time' | 'per-token';

export interface Split {
  readonly kind: SplitKind;
  readonly first: ObservedTrade[];
  readonly second: ObservedTrade[];
  /** Time split: the first slot of the second half. */
  readonly cutSlot: number | undefined;
}

/**
 * Splits trades for fitting. "time": the file's first half by time (on the shipped file that is also
 * a split by token: its first half is mostly two tokens). "per-token": each pool's own first half by
 * time fits and its second half scores, so every model is judged on the tokens it was fitted on.
 */
export function splitTrades(trades: readonly ObservedTrade[], kind: SplitKind): Split {
  if (kind === 'time') {
    const { first, second, cutSlot } = splitByTime(trades);
    return { kind, first, second, cutSlot };
  }
  const byPool = new Map<string, ObservedTrade[]>();
  for (const t of trades) {
    const g = byPool.get(t.pool);
    if (g) g.push(t);
    else byPool.set(t.pool, [t]);
  }
  const first: ObservedTrade[] = [];
  const second: ObservedTrade[] = [];
  for (const pool of [...byPool.keys()].sort()) {
    const s = splitByTime(byPool.get(pool) ?? []);
    first.push(...s.first);
    second.push(...s.second);
  }
  return { kind, first, second, cutSlot: undefined };
}

/**
 * Splits trades by time: the first half (by slot, then time, then line) and the rest. The cut falls
 * between slots, so no slot is on both sides, and the second half starts at `cutSlot`.
 */
export function splitByTime(trades: readonly ObservedTrade[]): { first: ObservedTrade[]; second: ObservedTrade[]; cutSlot: number } {
  const sorted = [...trades].sort((a, b) => a.slot - b.slot || (a.timeMs ?? 0) - (b.timeMs ?? 0) || a.line - b.line);
  const cutSlot = sorted[sorted.length >> 1]?.slot ?? 0;
  return { first: sorted.filter((t) => t.slot < cutSlot), second: sorted.filter((t) => t.slot >= cutSlot), cutSlot };
}
