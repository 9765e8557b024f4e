import { createHash } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { div, isPositive, ratio, toNumber, ZERO, type Ratio } from '../ratio.js';
import type { JsonValue } from '../request.js';
import type { Token, TokenClass } from '../tokens.js';
import { isMint } from '../tokens.js';
import { formatBps, MAX_SLIPPAGE_BPS, toBps } from './bps.js';
import { FALLBACK_DEPTH_USD } from './depth.js';
import type { SlippageContext, SlippageModel, SlippageModelFactory } from './model.js';
import { rejectUnknownParams } from './params.js';

/**
 * The empirical model: the error between a quote and the fill it became, as measured on real trades
 * (`pte evaluate --fit --emit-model`), replayed as a distribution. For each scope (one token, or a
 * token class), side and trade-size bucket, a quantile table holds the signed slippage s in bps at
 * the levels 0, 1 %, ..., 100 %; a trade draws u ~ U[0, 1) from its slippage stream and takes
 * s = Q(u), Q the table's piecewise-linear quantile function:
 *
 *   s > 0: the fill is worse than the quote (output x (1 - s)); s < 0: better, as when other traders
 *   moved the pool the trader's way before the transaction landed.
 *
 * Unlike every other model, s may be negative: markets move both ways between quote and landing, and
 * the tolerance check then decides FILLED or FAILED_SLIPPAGE, so a tight tolerance fails about as
 * often as it would live (P(s > tolerance) under the table). The draw is a float; what leaves the
 * model is an exact fraction rounded toward the trader's loss to 1e-6 bps (`signedFractionFromBps`),
 * capped at +-4,999 bps, and the pipeline's bigint arithmetic rounds every amount against him.
 *
 * Lookup: the traded token is the pair's token that a table names (base first, then quote), else the
 * one whose class a table names; "buy" means the trade receives that token. Its size is tradeUsd over
 * the market's depth (the class fallback when unknown), in bps, placed in `sizeBucketsBps`. A token
 * table for that side and bucket wins over a class table; with neither, the model charges nothing and
 * says so (a model fitted on memecoins has nothing to say about SOL/USDC).
 */

/** Quantile levels of every table: 0, 0.01, ..., 1. */
export const QUANTILE_LEVELS = 101;
export const EMPIRICAL_VERSION = 1;
export const TOKEN_CLASSES: readonly TokenClass[] = ['stable', 'major', 'mid', 'meme'];

export type EmpiricalScope = { readonly kind: 'token'; readonly mint: string } | { readonly kind: 'class'; readonly class: TokenClass };
export type EmpiricalSide = 'buy' | 'sell';

export interface EmpiricalTable {
  readonly scope: EmpiricalScope;
  readonly side: EmpiricalSide;
  /** Index into the size buckets: 0 .. sizeBucketsBps.length. */
  readonly bucket: number;
  /** Trades the table was fitted on. */
  readonly n: number;
  /** s in bps at levels i / 100, non-decreasing. */
  readonly quantilesBps: readonly number[];
}

export interface EmpiricalModelData {
  readonly version: number;
  /** Quote age (slots) the errors were measured at. */
  readonly horizonSlots: number;
  /** Free text: the file and split the model was fitted on. */
  readonly fittedOn: string;
  /** Ascending upper bounds of the size buckets, in bps of depth; bucket i = sizes below bound i. */
  readonly sizeBucketsBps: readonly number[];
  readonly tables: readonly EmpiricalTable[];
  /** SHA-256 (hex, first 16 characters) of the canonical model: names it on every trade. */
  readonly digest: string;
}

// ---------------------------------------------------------------------------------------------------
// The distribution of one table.

const STEP = 1 / (QUANTILE_LEVELS - 1);

/** Q(u) for u in [0, 1]: linear between levels. */
export function quantileAt(q: readonly number[], u: number): number {
  const x = Math.min(Math.max(u, 0), 1) * (q.length - 1);
  const i = Math.min(Math.floor(x), q.length - 2);
  const lo = q[i] ?? 0;
  const hi = q[i + 1] ?? lo;
  const f = x - i;
  return f === 0 ? lo : lo + (hi - lo) * f;
}

/** F(x) = P(s <= x): the largest level whose quantile is <= x (flat runs are atoms). */
export function cdfAt(q: readonly number[], x: number): number {
  const n = q.length;
  if (x < (q[0] ?? 0)) return 0;
  if (x >= (q[n - 1] ?? 0)) return 1;
  let i = 0;
  while (i + 1 < n && (q[i + 1] ?? Infinity) <= x) i++;
  const lo = q[i] ?? 0;
  const hi = q[i + 1] ?? lo;
  return (i + (hi > lo ? (x - lo) / (hi - lo) : 0)) * STEP;
}

/** F(x-) = P(s < x): the smallest level whose quantile is >= x. */
export function cdfBelow(q: readonly number[], x: number): number {
  const n = q.length;
  if (x <= (q[0] ?? 0)) return 0;
  if (x > (q[n - 1] ?? 0)) return 1;
  let i = n - 1;
  while (i > 0 && (q[i - 1] ?? -Infinity) >= x) i--;
  const lo = q[i - 1] ?? 0;
  const hi = q[i] ?? lo;
  return (i - 1 + (hi > lo ? (x - lo) / (hi - lo) : 1)) * STEP;
}

/** P(s > x): the chance a trade with tolerance x bps fails. */
export const exceedProbability = (q: readonly number[], x: number): number => 1 - cdfAt(q, x);

/**
 * Fits a table from signed errors (bps): the type-7 (linear) sample quantile at each level, rounded
 * to 1e-3 bps. Needs at least one value.
 */
export function fitQuantiles(values: readonly number[]): number[] {
  if (values.length === 0) throw new RangeError('fitQuantiles: no values');
  const xs = [...values].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; i < QUANTILE_LEVELS; i++) {
    const h = (xs.length - 1) * i * STEP;
    const lo = Math.floor(h);
    const a = xs[lo] ?? 0;
    const b = xs[Math.min(lo + 1, xs.length - 1)] ?? a;
    const v = Math.round((a + (b - a) * (h - lo)) * 1_000) / 1_000;
    out.push(Math.min(MAX_SLIPPAGE_BPS, Math.max(-MAX_SLIPPAGE_BPS, v === 0 ? 0 : v)));
  }
  // Rounding cannot break the order of sorted inputs, but keep the invariant explicit.
  for (let i = 1; i < out.length; i++) out[i] = Math.max(out[i] ?? 0, out[i - 1] ?? 0);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Exact fractions.

const GRANULES = 10_000_000_000n; // 1e-6 bps
const MICRO_BPS_PER_BP = 1_000_000;

/**
 * A signed bps figure as an exact fraction on the 1e-6 bps grid, rounded toward the trader's loss
 * (up: a favourable move is shaved toward 0, an adverse one grows), capped at +-4,999 bps.
 */
export function signedFractionFromBps(bps: number): Ratio {
  if (!Number.isFinite(bps)) throw new RangeError('signedFractionFromBps: not a finite number');
  const capped = Math.min(MAX_SLIPPAGE_BPS, Math.max(-MAX_SLIPPAGE_BPS, bps));
  const x = capped * MICRO_BPS_PER_BP;
  const nearest = Math.round(x);
  const units = Math.abs(x - nearest) <= 1e-9 * Math.abs(x) ? nearest : Math.ceil(x);
  return units === 0 ? ZERO : ratio(BigInt(units), GRANULES);
}

// ---------------------------------------------------------------------------------------------------
// Parsing and validation: every problem names its path, e.g. `field.params.tables[3].quantilesBps[7]`.

type Json = Readonly<Record<string, JsonValue>>;
const isObject = (v: JsonValue | undefined): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The model's own keys (the `params` of `slippage.model` when name is empirical). */
export const EMPIRICAL_KEYS = ['version', 'horizonSlots', 'fittedOn', 'sizeBucketsBps', 'tables'] as const;

/**
 * Validates a fitted model (as `pte evaluate --emit-model` writes it). Throws INVALID_ARGUMENT naming
 * the offending path under `field` (e.g. "slippage.model.params.tables[2].side").
 */
export function parseEmpiricalModel(raw: Json, field: string): EmpiricalModelData {
  const at = (path: string): string => `${field}.params.${path}`;
  rejectUnknownParams(raw, EMPIRICAL_KEYS, field);
  const version = raw['version'];
  if (version !== EMPIRICAL_VERSION) throw invalidArgument(at('version'), `must be ${EMPIRICAL_VERSION} (a model written by pte evaluate --emit-model)`);
  const horizon = raw['horizonSlots'];
  if (typeof horizon !== 'number' || !Number.isInteger(horizon) || horizon < 0 || horizon > 1_000) {
    throw invalidArgument(at('horizonSlots'), 'must be a whole number of slots between 0 and 1000');
  }
  const fittedOn = raw['fittedOn'] ?? '';
  if (typeof fittedOn !== 'string' || fittedOn.length > 1_000) throw invalidArgument(at('fittedOn'), 'must be a text of at most 1000 characters');
  const bounds = raw['sizeBucketsBps'];
  if (!Array.isArray(bounds) || bounds.length > 20) throw invalidArgument(at('sizeBucketsBps'), 'must be a list of at most 20 ascending numbers (bps of depth)');
  const sizeBucketsBps: number[] = [];
  bounds.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || b <= 0 || b > 1_000_000 || b <= (sizeBucketsBps[i - 1] ?? 0)) {
      throw invalidArgument(at(`sizeBucketsBps[${i}]`), 'must be a number above the previous bound, in (0, 1000000]');
    }
    sizeBucketsBps.push(b);
  });
  const rawTables = raw['tables'];
  if (!Array.isArray(rawTables) || rawTables.length === 0 || rawTables.length > 10_000) {
    throw invalidArgument(at('tables'), 'must be a non-empty list of at most 10000 tables');
  }
  const seen = new Set<string>();
  const tables = rawTables.map((t, i) => {
    const table = parseTable(t, at(`tables[${i}]`), sizeBucketsBps.length);
    const key = tableKey(table.scope, table.side, table.bucket);
    if (seen.has(key)) throw invalidArgument(at(`tables[${i}]`), `a second table for ${key}`);
    seen.add(key);
    return table;
  });
  const canonical = { version, horizonSlots: horizon, fittedOn, sizeBucketsBps, tables: tables.map(tableJson) };
  const digest = createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
  return { version, horizonSlots: horizon, fittedOn, sizeBucketsBps, tables, digest };
}

function parseTable(t: JsonValue, path: string, bucketCount: number): EmpiricalTable {
  if (!isObject(t)) throw invalidArgument(path, 'must be a mapping with token or class, side, bucket, n and quantilesBps');
  for (const k of Object.keys(t)) {
    if (!['token', 'class', 'side', 'bucket', 'n', 'quantilesBps'].includes(k)) {
      throw invalidArgument(`${path}.${k}`, 'unknown key; expected token or class, side, bucket, n, quantilesBps');
    }
  }
  const token = t['token'];
  const cls = t['class'];
  let scope: EmpiricalScope;
  if (token !== undefined && cls === undefined) {
    if (typeof token !== 'string' || !isMint(token)) throw invalidArgument(`${path}.token`, 'must be a mint address');
    scope = { kind: 'token', mint: token };
  } else if (cls !== undefined && token === undefined) {
    if (typeof cls !== 'string' || !(TOKEN_CLASSES as readonly string[]).includes(cls)) {
      throw invalidArgument(`${path}.class`, `must be one of ${TOKEN_CLASSES.join(', ')}`);
    }
    scope = { kind: 'class', class: cls as TokenClass };
  } else {
    throw invalidArgument(path, 'must name exactly one of token and class');
  }
  const side = t['side'];
  if (side !== 'buy' && side !== 'sell') throw invalidArgument(`${path}.side`, 'must be "buy" or "sell"');
  const bucket = t['bucket'];
  if (typeof bucket !== 'number' || !Number.isInteger(bucket) || bucket < 0 || bucket > bucketCount) {
    throw invalidArgument(`${path}.bucket`, `must be a whole number from 0 to ${bucketCount} (one more than the size bounds)`);
  }
  const n = t['n'];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw invalidArgument(`${path}.n`, 'must be a whole number of trades >= 1');
  const q = t['quantilesBps'];
  if (!Array.isArray(q) || q.length !== QUANTILE_LEVELS) throw invalidArgument(`${path}.quantilesBps`, `must be a list of ${QUANTILE_LEVELS} numbers (levels 0, 1 %, ..., 100 %)`);
  const quantilesBps: number[] = [];
  q.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > MAX_SLIPPAGE_BPS) {
      throw invalidArgument(`${path}.quantilesBps[${i}]`, `must be a number of bps between -${MAX_SLIPPAGE_BPS} and ${MAX_SLIPPAGE_BPS}`);
    }
    if (i > 0 && v < (quantilesBps[i - 1] ?? v)) throw invalidArgument(`${path}.quantilesBps[${i}]`, 'must not be below the previous quantile');
    quantilesBps.push(v);
  });
  return { scope, side, bucket, n, quantilesBps };
}

const scopeText = (s: EmpiricalScope): string => (s.kind === 'token' ? `token ${s.mint}` : `class ${s.class}`);
const tableKey = (s: EmpiricalScope, side: EmpiricalSide, bucket: number): string => `${scopeText(s)}, ${side}, bucket ${bucket}`;

/** A table as the model file writes it. */
export function tableJson(t: EmpiricalTable): Record<string, JsonValue> {
  const scope: Record<string, JsonValue> = t.scope.kind === 'token' ? { token: t.scope.mint } : { class: t.scope.class };
  return { ...scope, side: t.side, bucket: t.bucket, n: t.n, quantilesBps: [...t.quantilesBps] };
}

/** The model as the `params` of `slippage.model` (what the emitted file holds). */
export function empiricalParams(m: Omit<EmpiricalModelData, 'digest'>): Record<string, JsonValue> {
  return { version: m.version, horizonSlots: m.horizonSlots, fittedOn: m.fittedOn, sizeBucketsBps: [...m.sizeBucketsBps], tables: m.tables.map(tableJson) };
}

// ---------------------------------------------------------------------------------------------------
// Lookup.

/** The bucket of a size (bps of depth): the first bound it is below, else the last bucket. */
export function bucketOf(bounds: readonly number[], sizeBps: number): number {
  const i = bounds.findIndex((b) => sizeBps < b);
  return i === -1 ? bounds.length : i;
}

/** Trade size in bps of the depth (the class fallback when the market reports none). */
export function sizeBpsOf(ctx: Pick<SlippageContext, 'tradeUsd' | 'liquidityUsd' | 'base' | 'quote'>): number {
  const depth =
    ctx.liquidityUsd !== undefined && isPositive(ctx.liquidityUsd)
      ? ctx.liquidityUsd
      : ratio(BigInt(Math.min(FALLBACK_DEPTH_USD[ctx.base.class], FALLBACK_DEPTH_USD[ctx.quote.class])));
  return toNumber(div(ctx.tradeUsd, depth)) * 10_000;
}

export interface TableChoice {
  readonly table: EmpiricalTable;
  readonly token: Pick<Token, 'symbol' | 'mint'>;
  readonly side: EmpiricalSide;
}

/** The table for a trade (see the header), or undefined when the model covers neither token. */
export function chooseTable(m: EmpiricalModelData, ctx: Pick<SlippageContext, 'base' | 'quote' | 'output' | 'tradeUsd' | 'liquidityUsd'>): TableChoice | undefined {
  const bucket = bucketOf(m.sizeBucketsBps, sizeBpsOf(ctx));
  const sideFor = (t: Token): EmpiricalSide => (ctx.output.mint === t.mint ? 'buy' : 'sell');
  const find = (pred: (s: EmpiricalScope) => boolean, side: EmpiricalSide): EmpiricalTable | undefined =>
    m.tables.find((t) => t.side === side && t.bucket === bucket && pred(t.scope));
  for (const token of [ctx.base, ctx.quote]) {
    const side = sideFor(token);
    const t = find((s) => s.kind === 'token' && s.mint === token.mint, side);
    if (t) return { table: t, token, side };
  }
  for (const token of [ctx.base, ctx.quote]) {
    const side = sideFor(token);
    const t = find((s) => s.kind === 'class' && s.class === token.class, side);
    if (t) return { table: t, token, side };
  }
  return undefined;
}

/** A table's size range, for explanations: "size 10-50 bps of depth". */
function bucketText(bounds: readonly number[], b: number): string {
  if (bounds.length === 0) return 'any size';
  if (b === 0) return `size under ${bounds[0]} bps of depth`;
  if (b === bounds.length) return `size ${bounds[b - 1]} bps of depth or more`;
  return `size ${bounds[b - 1]}-${bounds[b]} bps of depth`;
}

/**
 * The model built from fitted data. Params: none but an optional `sha256` (the digest): a recorded
 * trade names the model it drew from, and a replay against a different model is refused.
 */
export function empiricalModelFactory(data: EmpiricalModelData): SlippageModelFactory {
  return {
    name: 'empirical',
    description: `signed errors measured on real trades (${data.tables.length} quantile tables, fitted at ${data.horizonSlots} slot(s); params: sha256 = ${data.digest})`,
    create(params, field): SlippageModel {
      rejectUnknownParams(params, ['sha256'], field);
      const sha = params['sha256'];
      if (sha !== undefined && sha !== data.digest) {
        throw invalidArgument(`${field}.params.sha256`, `the loaded empirical model is ${data.digest}, not ${JSON.stringify(sha).slice(0, 40)}`);
      }
      return {
        name: 'empirical',
        apply(ctx) {
          const choice = chooseTable(data, ctx);
          if (!choice) {
            return { fraction: ZERO, explanation: `empirical: no fitted table for ${ctx.base.symbol}/${ctx.quote.symbol} (classes ${ctx.base.class}, ${ctx.quote.class}); no slippage applied` };
          }
          const u = ctx.rng.next();
          const fraction = signedFractionFromBps(quantileAt(choice.table.quantilesBps, u));
          const bps = toBps(fraction);
          const move = bps === 0 ? 'no move' : bps > 0 ? `${formatBps(bps)} against the trade` : `${formatBps(-bps)} in the trade's favour`;
          const scope = choice.table.scope.kind === 'token' ? `${choice.token.symbol}'s own trades` : `the ${choice.table.scope.class} class`;
          return {
            fraction,
            explanation: `empirical: ${move}, drawn at the ${(u * 100).toFixed(1)}th percentile of ${scope} (${choice.side}, ${bucketText(data.sizeBucketsBps, choice.table.bucket)}; ${choice.table.n} trades, quotes ${data.horizonSlots} slot(s) old)`,
          };
        },
      };
    },
  };
}
