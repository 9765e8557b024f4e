import { deriveSeed, createRng } from '../domain/rng.js';
import { priceTrade } from '../domain/pricing.js';
import type { Ratio } from '../domain/ratio.js';
import {
  cdfAt,
  cdfBelow,
  chooseTable,
  EMPIRICAL_VERSION,
  exceedProbability,
  fitQuantiles,
  parseEmpiricalModel,
  empiricalParams,
  quantileAt,
  sizeBpsOf,
  bucketOf,
  type EmpiricalModelData,
  type EmpiricalSide,
  type EmpiricalTable,
} from '../domain/slippage/empirical.js';
import type { Token, TokenClass } from '../domain/tokens.js';
import { basisAt, type Pricing } from './evaluate.js';
import type { PoolHistory } from './history.js';
import { quotedOutput, requestFor, snapshotFor } from './predict.js';
import type { ObservedTrade } from './trades.js';

/**
 * Scoring distributions, not only points. The empirical model predicts, for a trade quoted k slots
 * before it lands, a distribution of the signed slippage against that quote,
 *
 *   s = (quoted - realized) / quoted x 10,000 bps   (positive: the fill was worse than the quote)
 *
 * from the same errors on earlier trades, per scope (token or class), side and size bucket
 * (domain/slippage/empirical.ts). Judged out of sample by
 * - randomized PIT coverage: PIT = F(s-) + U (F(s) - F(s-)), U ~ U[0, 1) seeded per trade, and the
 *   share of PITs inside the central 50 / 80 / 90 % intervals (a calibrated forecast covers 50 / 80 /
 *   90 %: the atoms, e.g. "nothing moved", are spread by U instead of counting as always covered);
 * - CRPS, in the same bps of the realized output as the point forecast's mean absolute error (for a
 *   point forecast CRPS is its absolute error, so the two compare directly);
 * - the failure rate at a tolerance T: predicted P(s > T) averaged over trades against the share of
 *   trades whose fill was more than T below the quote, i.e. that a live trade sent on that quote with
 *   tolerance T would have seen revert. The point forecast (the quote) predicts none.
 */

export const COVERAGE_LEVELS = [0.5, 0.8, 0.9] as const;
export const FAILURE_TOLERANCES_BPS = [50, 100, 300] as const;
/** Equal-weight atoms of a table used for CRPS (midpoints of 200 equal slices of [0, 1]). */
const CRPS_ATOMS = 200;

/** One trade's error against its quote, with what the model's lookup needs. */
export interface ErrorSample {
  readonly trade: ObservedTrade;
  readonly quoted: bigint;
  /** Signed slippage against the quote, bps of the quoted output. */
  readonly sBps: number;
  readonly sizeBps: number;
  readonly ctx: { readonly base: Token; readonly quote: Token; readonly output: Token; readonly tradeUsd: Ratio; readonly liquidityUsd: Ratio | undefined };
}

/** The errors of `trades` against the quote at horizon k (priced at send time unless `pricing`). */
export function errorSamples(trades: readonly ObservedTrade[], history: PoolHistory, k: number, pricing: Pricing = 'send'): ErrorSample[] {
  const out: ErrorSample[] = [];
  for (const t of trades) {
    const basis = basisAt(t, k, history, pricing);
    if (!basis || basis.kind !== 'state') continue;
    const quoted = quotedOutput(t, basis);
    if (quoted <= 0n) continue;
    const market = snapshotFor(t, basis);
    const priced = priceTrade(requestFor(t), market.base, market.quote, market.route);
    const ctx = { base: t.base, quote: t.quote, output: priced.output, tradeUsd: priced.tradeUsd, liquidityUsd: priced.liquidityUsd };
    out.push({ trade: t, quoted, sBps: Number(((quoted - t.realizedOut) * 10_000_000_000n) / quoted) / 1_000_000, sizeBps: sizeBpsOf(ctx), ctx });
  }
  return out;
}

export interface FitOptions {
  readonly horizonSlots: number;
  readonly fittedOn: string;
  /** A token gets its own table for a (side, bucket) with at least this many trades. */
  readonly minTokenTrades: number;
  /** A class table needs at least this many trades. */
  readonly minClassTrades: number;
  /** Size buckets: 1 (none), or quantile buckets of the fitting trades' sizes. */
  readonly sizeBuckets: number;
  /** Only each pool's latest this many fitting trades count (0 = all): markets change. */
  readonly recentTrades: number;
}

export const DEFAULT_FIT: Omit<FitOptions, 'horizonSlots' | 'fittedOn'> = { minTokenTrades: 30, minClassTrades: 20, sizeBuckets: 3, recentTrades: 100 };

/**
 * Size bounds from the fitting trades: quantiles of their size (bps of depth), to two significant
 * digits, so each of `count` buckets holds about as many of them.
 */
export function sizeBounds(samples: readonly ErrorSample[], count: number): number[] {
  const xs = samples.map((s) => s.sizeBps).sort((a, b) => a - b);
  if (xs.length < count || count <= 1) return [];
  const round = (x: number): number => Number(x.toPrecision(2));
  const bounds = Array.from({ length: count - 1 }, (_, i) => round(xs[Math.floor(((i + 1) / count) * xs.length)] ?? 0)).filter((b) => b > 0);
  return [...new Set(bounds)].sort((a, b) => a - b);
}

/** Each pool's latest `n` samples (by slot, then line); all when n is 0. */
export function latestPerPool(samples: readonly ErrorSample[], n: number): ErrorSample[] {
  if (n <= 0) return [...samples];
  const byPool = new Map<string, ErrorSample[]>();
  for (const s of samples) {
    const g = byPool.get(s.trade.pool);
    if (g) g.push(s);
    else byPool.set(s.trade.pool, [s]);
  }
  return [...byPool.values()].flatMap((g) => g.sort((a, b) => a.trade.slot - b.trade.slot || a.trade.line - b.trade.line).slice(-n));
}

/** Fits the empirical model on `samples`: a class table per (class, side, bucket), token tables where there are enough trades. */
export function fitEmpirical(all: readonly ErrorSample[], o: FitOptions): EmpiricalModelData {
  const samples = latestPerPool(all, o.recentTrades);
  const bounds = sizeBounds(samples, o.sizeBuckets);
  const groups = new Map<string, { scope: EmpiricalTable['scope']; side: EmpiricalSide; bucket: number; values: number[] }>();
  const add = (key: string, scope: EmpiricalTable['scope'], side: EmpiricalSide, bucket: number, v: number): void => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { scope, side, bucket, values: [] }));
    g.values.push(v);
  };
  for (const s of samples) {
    const side: EmpiricalSide = s.trade.side;
    const bucket = bucketOf(bounds, s.sizeBps);
    const cls: TokenClass = s.trade.base.class;
    add(`t:${s.trade.base.mint}:${side}:${bucket}`, { kind: 'token', mint: s.trade.base.mint }, side, bucket, s.sBps);
    add(`c:${cls}:${side}:${bucket}`, { kind: 'class', class: cls }, side, bucket, s.sBps);
  }
  const tables: EmpiricalTable[] = [];
  for (const g of [...groups.values()].sort(byScope)) {
    const min = g.scope.kind === 'token' ? o.minTokenTrades : o.minClassTrades;
    if (g.values.length >= min) tables.push({ scope: g.scope, side: g.side, bucket: g.bucket, n: g.values.length, quantilesBps: fitQuantiles(g.values) });
  }
  if (tables.length === 0) throw new RangeError(`too few trades to fit an empirical model (${samples.length}; a class table needs ${o.minClassTrades})`);
  const params = empiricalParams({ version: EMPIRICAL_VERSION, horizonSlots: o.horizonSlots, fittedOn: o.fittedOn, sizeBucketsBps: bounds, tables });
  // Through the same validation a loaded file gets: what is emitted is what the executor would load.
  return parseEmpiricalModel(params, 'empirical');
}

const scopeKey = (t: Pick<EmpiricalTable, 'scope' | 'side' | 'bucket'>): string =>
  `${t.scope.kind === 'class' ? `0${t.scope.class}` : `1${t.scope.mint}`}:${t.side}:${t.bucket}`;
const byScope = (a: Pick<EmpiricalTable, 'scope' | 'side' | 'bucket'>, b: Pick<EmpiricalTable, 'scope' | 'side' | 'bucket'>): number =>
  scopeKey(a) < scopeKey(b) ? -1 : scopeKey(a) > scopeKey(b) ? 1 : 0;

export interface FailureRate {
  readonly toleranceBps: number;
  /** Mean over trades of P(s > T) under the model. */
  readonly predicted: number;
  /** Share of trades with s > T: a live trade sent on the quote with tolerance T would have reverted. */
  readonly realized: number;
}

export interface DistributionScore {
  readonly horizon: number;
  /** Trades scored (a table covered them). */
  readonly n: number;
  /** Trades no table covered. */
  readonly uncovered: number;
  /** Share of PITs inside the central interval, in COVERAGE_LEVELS order. */
  readonly coverage: readonly number[];
  /** Mean CRPS, bps of the realized output. */
  readonly crpsBps: number;
  /** The point forecast's (the quote's) mean absolute error on the same trades, bps. */
  readonly maeBps: number;
  readonly failure: readonly FailureRate[];
}

/** Continuous ranked probability score of an ascending equal-weight ensemble against y. */
export function crpsEnsemble(xs: readonly number[], y: number): number {
  const m = xs.length;
  let abs = 0;
  let spread = 0;
  xs.forEach((x, j) => {
    abs += Math.abs(x - y);
    spread += (2 * (j + 1) - m - 1) * x;
  });
  return abs / m - spread / (m * m);
}

/** The randomized PIT of `s` under a table: F(s-) + u (F(s) - F(s-)). */
export function randomizedPit(q: readonly number[], s: number, u: number): number {
  const lo = cdfBelow(q, s);
  return lo + u * (cdfAt(q, s) - lo);
}

/** Scores `model` on `samples` (out of sample: fitted on other trades). */
export function scoreDistribution(samples: readonly ErrorSample[], model: EmpiricalModelData, seed: bigint, horizon: number): DistributionScore {
  const pits: number[] = [];
  let crps = 0;
  let mae = 0;
  let uncovered = 0;
  const predicted = FAILURE_TOLERANCES_BPS.map(() => 0);
  const realized = FAILURE_TOLERANCES_BPS.map(() => 0);
  for (const s of samples) {
    const choice = chooseTable(model, s.ctx);
    if (!choice) {
      uncovered++;
      continue;
    }
    const q = choice.table.quantilesBps;
    pits.push(randomizedPit(q, s.sBps, createRng(deriveSeed(seed, s.trade.id), 'pit').next()));
    // In bps of the realized output: a draw s' gives quoted x (1 - s'), an error of
    // (quoted (1 - s') - realized) / realized. Ascending in error = descending in s'.
    const y = Number(s.trade.realizedOut);
    const quoted = Number(s.quoted);
    const errs: number[] = [];
    for (let j = CRPS_ATOMS - 1; j >= 0; j--) errs.push(((quoted * (1 - quantileAt(q, (j + 0.5) / CRPS_ATOMS) / 10_000) - y) / y) * 10_000);
    const pointErr = ((quoted - y) / y) * 10_000;
    crps += crpsEnsemble(errs, 0);
    mae += Math.abs(pointErr);
    FAILURE_TOLERANCES_BPS.forEach((tol, i) => {
      predicted[i] = (predicted[i] ?? 0) + exceedProbability(q, tol);
      if (s.sBps > tol) realized[i] = (realized[i] ?? 0) + 1;
    });
  }
  const n = pits.length;
  const share = (x: number): number => (n === 0 ? Number.NaN : x / n);
  return {
    horizon,
    n,
    uncovered,
    coverage: COVERAGE_LEVELS.map((c) => share(pits.filter((p) => Math.abs(p - 0.5) <= c / 2).length)),
    crpsBps: share(crps),
    maeBps: share(mae),
    failure: FAILURE_TOLERANCES_BPS.map((toleranceBps, i) => ({ toleranceBps, predicted: share(predicted[i] ?? 0), realized: share(realized[i] ?? 0) })),
  };
}
