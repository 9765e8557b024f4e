import { cmp, div, sub, ZERO, type Ratio } from '../domain/ratio.js';
import { real } from './usd.js';

/** One point of the equity curve: the portfolio and its buy-and-hold benchmark at one mark. */
export interface EquityPoint {
  readonly atMs: number;
  readonly valueUsd: Ratio;
  readonly valueSol: Ratio | undefined;
  /** The starting holdings, unchanged, at this mark's prices. */
  readonly benchmarkUsd: Ratio;
  /** (running peak - value) / running peak along the full series, 0..1; 0 at a peak or while the peak is zero. */
  readonly drawdown: number;
}

type Valued = Pick<EquityPoint, 'atMs' | 'valueUsd'>;

export interface DrawdownStats {
  /** Largest (peak - value) / peak over the series, 0..1; 0 for a series that never fell. */
  readonly maxDrawdown: number;
  /** The USD fall at that point, from its peak. */
  readonly maxDrawdownUsd: Ratio;
  /** When the peak and the trough of the largest drawdown were marked; undefined when there is none. */
  readonly maxDrawdownPeakMs: number | undefined;
  readonly maxDrawdownTroughMs: number | undefined;
  /** (peak - last) / peak at the last point. */
  readonly currentDrawdown: number;
  readonly currentDrawdownUsd: Ratio;
  /** Longest time from a peak to the first point back at or above it, or to the last point when the series never got back. */
  readonly longestDurationMs: number;
}

/**
 * Drawdown of the full (never downsampled) series. Values are compared exactly; only the fractions
 * shown are floats. A peak of zero (an empty portfolio) has no drawdown fraction.
 */
export function drawdownStats(points: readonly Valued[]): DrawdownStats {
  const first = points[0];
  if (!first) {
    return { maxDrawdown: 0, maxDrawdownUsd: ZERO, maxDrawdownPeakMs: undefined, maxDrawdownTroughMs: undefined, currentDrawdown: 0, currentDrawdownUsd: ZERO, longestDurationMs: 0 };
  }
  let peak = first.valueUsd;
  let peakMs = first.atMs;
  let max: { fraction: Ratio; usd: Ratio; peakMs: number; troughMs: number } | undefined;
  let underSinceMs: number | undefined;
  let longest = 0;
  const fall = (v: Ratio): Ratio => (peak.n > 0n ? div(sub(peak, v), peak) : ZERO);
  for (const p of points) {
    if (cmp(p.valueUsd, peak) >= 0) {
      if (underSinceMs !== undefined) longest = Math.max(longest, p.atMs - underSinceMs);
      underSinceMs = undefined;
      peak = p.valueUsd;
      peakMs = p.atMs;
      continue;
    }
    underSinceMs ??= peakMs;
    const f = fall(p.valueUsd);
    if (!max || cmp(f, max.fraction) > 0) max = { fraction: f, usd: sub(peak, p.valueUsd), peakMs, troughMs: p.atMs };
  }
  const last = points[points.length - 1] ?? first;
  if (underSinceMs !== undefined) longest = Math.max(longest, last.atMs - underSinceMs);
  return {
    maxDrawdown: max ? real(max.fraction) : 0,
    maxDrawdownUsd: max ? max.usd : ZERO,
    maxDrawdownPeakMs: max?.peakMs,
    maxDrawdownTroughMs: max?.troughMs,
    currentDrawdown: real(fall(last.valueUsd)),
    currentDrawdownUsd: sub(peak, last.valueUsd),
    longestDurationMs: longest,
  };
}

/**
 * Each point with its running drawdown: the fall from the highest value up to and including it, as a
 * fraction of that peak. Computed on the full series before any downsampling, so a reduced curve still
 * shows each point's true drawdown.
 */
export function withRunningDrawdown<T extends Valued>(points: readonly T[]): (T & { readonly drawdown: number })[] {
  let peak: Ratio | undefined;
  return points.map((p) => {
    if (peak === undefined || cmp(p.valueUsd, peak) > 0) peak = p.valueUsd;
    return { ...p, drawdown: peak.n > 0n ? real(div(sub(peak, p.valueUsd), peak)) : 0 };
  });
}

export interface DailyReturn {
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  /** The day's close: the last point of the day. */
  readonly closeMs: number;
  readonly closeUsd: Ratio;
  /** close / previous close - 1 (the previous close of the first day is the series' first point). */
  readonly return: number;
}

const MS_PER_DAY = 86_400_000;
const utcDay = (ms: number): string => new Date(Math.floor(ms / MS_PER_DAY) * MS_PER_DAY).toISOString().slice(0, 10);

/**
 * Daily returns: points bucketed by UTC day, each day closed by its last point, each return taken from
 * the previous close (the first point of the series for the first day). Days without a point have no
 * return (nothing was marked, so nothing is known); a return from a zero close is undefined and skipped.
 */
export function dailyReturns(points: readonly Valued[]): readonly DailyReturn[] {
  const first = points[0];
  if (!first) return [];
  const closes: Valued[] = [];
  let day = '';
  for (const p of points.slice(1)) {
    const d = utcDay(p.atMs);
    if (d === day) closes[closes.length - 1] = p;
    else closes.push(p);
    day = d;
  }
  const out: DailyReturn[] = [];
  let prev = first.valueUsd;
  for (const c of closes) {
    if (prev.n !== 0n) out.push({ day: utcDay(c.atMs), closeMs: c.atMs, closeUsd: c.valueUsd, return: real(div(sub(c.valueUsd, prev), prev)) });
    prev = c.valueUsd;
  }
  return out;
}

/** The method, stated with the numbers so a reader knows what they mean. */
export const RATIO_METHOD = 'daily returns (UTC days, last mark of each day), zero risk-free rate, annualized by sqrt(365)';

/**
 * Sharpe ratio: mean / sample standard deviation (n - 1) of the daily returns, x sqrt(365). Undefined
 * with fewer than two returns or no variation.
 */
export function sharpe(returns: readonly number[]): number | undefined {
  const n = returns.length;
  if (n < 2) return undefined;
  const mean = returns.reduce((s, r) => s + r, 0) / n;
  const variance = returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (n - 1);
  return variance > 0 ? (mean / Math.sqrt(variance)) * Math.sqrt(365) : undefined;
}

/**
 * Sortino ratio: mean / downside deviation of the daily returns, x sqrt(365), where downside deviation
 * = sqrt(sum(min(r, 0)^2) / n) (target 0). Undefined with fewer than two returns or no losing day.
 */
export function sortino(returns: readonly number[]): number | undefined {
  const n = returns.length;
  if (n < 2) return undefined;
  const mean = returns.reduce((s, r) => s + r, 0) / n;
  const downside = returns.reduce((s, r) => s + Math.min(r, 0) ** 2, 0) / n;
  return downside > 0 ? (mean / Math.sqrt(downside)) * Math.sqrt(365) : undefined;
}

/** Default bound on the points of an equity curve sent to a client. */
export const MAX_CURVE_POINTS = 2000;

/**
 * Min-max downsampling: keeps the first and last points and, for each of (maxPoints - 2) / 2 buckets
 * of the points between, the lowest and the highest value (in time order), so every peak and trough
 * that matters for a drawdown stays visible. Returns the points unchanged when there are few enough.
 * maxPoints must be at least 4.
 */
export function downsample<T extends Valued>(points: readonly T[], maxPoints = MAX_CURVE_POINTS): readonly T[] {
  if (maxPoints < 4) throw new RangeError('downsample: maxPoints must be at least 4');
  if (points.length <= maxPoints) return points;
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return points;
  const inner = points.slice(1, -1);
  const buckets = Math.floor((maxPoints - 2) / 2);
  const out: T[] = [first];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * inner.length) / buckets);
    const to = Math.floor(((b + 1) * inner.length) / buckets);
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      const v = inner[i]?.valueUsd ?? ZERO;
      if (cmp(v, inner[lo]?.valueUsd ?? ZERO) < 0) lo = i;
      if (cmp(v, inner[hi]?.valueUsd ?? ZERO) > 0) hi = i;
    }
    if (to <= from) continue;
    for (const i of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) {
      const p = inner[i];
      if (p) out.push(p);
    }
  }
  out.push(last);
  return out;
}
