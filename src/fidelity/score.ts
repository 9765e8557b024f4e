/**
 * Scoring paper fills against realized ones. The error of one trade, in bps of the realized output:
 *
 *   error = (predicted - realized) / realized x 10,000
 *
 * Positive: the paper fill gave the trader more than reality did (optimistic); negative: less
 * (pessimistic). A paper trade that would have failed (beyond tolerance, below min_out) predicts 0,
 * an error of -10,000 bps: the real one landed.
 */

/** Error in bps, exact to 1e-6 bps (truncated toward zero). */
export function errorBps(predicted: bigint, realized: bigint): number {
  if (realized <= 0n) throw new RangeError('errorBps: the realized output must be > 0');
  return Number(((predicted - realized) * 10_000_000_000n) / realized) / 1_000_000;
}

/**
 * Whether |predicted - realized| / realized <= bps / 10,000, decided exactly (bps is a decimal given
 * as n / d, e.g. 0.01 = 1 / 100).
 */
export function withinBps(predicted: bigint, realized: bigint, bpsN: bigint, bpsD = 1n): boolean {
  const diff = predicted >= realized ? predicted - realized : realized - predicted;
  return diff * 10_000n * bpsD <= bpsN * realized;
}

/** The thresholds the tables report, in bps. */
export const THRESHOLDS_BPS = [10, 50, 100] as const;

/** The share within this many bps is what docs/fidelity.md calls "accuracy". */
export const ACCURACY_BPS = 50;

export interface Score {
  /** Trades scored. */
  readonly n: number;
  /** Share (0-1) within 10, 50 and 100 bps, in THRESHOLDS_BPS order. */
  readonly within: readonly number[];
  /** Share within ACCURACY_BPS. */
  readonly accuracy: number;
  readonly medianAbsBps: number;
  readonly p90AbsBps: number;
  /** Mean signed error, bps (positive = paper optimistic). */
  readonly meanBps: number;
  /** Median signed error, bps. */
  readonly medianBps: number;
  /** Paper trades that would not have landed (scored as -10,000 bps). */
  readonly failed: number;
}

export interface Outcome {
  readonly predicted: bigint;
  readonly realized: bigint;
  readonly failed: boolean;
}

/** Nearest-rank percentile of ascending `xs` (q in (0, 1]). */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const i = Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1));
  return xs[i] ?? Number.NaN;
}

/** Median: the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const m = xs.length >> 1;
  return xs.length % 2 === 1 ? (xs[m] ?? Number.NaN) : ((xs[m - 1] ?? 0) + (xs[m] ?? 0)) / 2;
}

export function score(outcomes: readonly Outcome[]): Score {
  const n = outcomes.length;
  const signed = outcomes.map((o) => errorBps(o.predicted, o.realized));
  const abs = signed.map(Math.abs).sort((a, b) => a - b);
  const share = (bps: number): number => (n === 0 ? Number.NaN : outcomes.filter((o) => withinBps(o.predicted, o.realized, BigInt(bps))).length / n);
  return {
    n,
    within: THRESHOLDS_BPS.map(share),
    accuracy: share(ACCURACY_BPS),
    medianAbsBps: median(abs),
    p90AbsBps: percentile(abs, 0.9),
    meanBps: n === 0 ? Number.NaN : signed.reduce((a, b) => a + b, 0) / n,
    medianBps: median([...signed].sort((a, b) => a - b)),
    failed: outcomes.filter((o) => o.failed).length,
  };
}
