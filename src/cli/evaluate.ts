/**
 * `pte evaluate --trades FILE`: measures paper fills against real recorded trades (docs/fidelity.md).
 * Runs locally on the file (no server): each trade is re-executed through the executor's own
 * pipeline, built by the composition root exactly as the service builds it, with the model under test
 * as the default model and network fees off (the comparison is on tokens received).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { resolveConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { JsonValue } from '../domain/request.js';
import { createTokenRegistry } from '../domain/tokens.js';
import { exceedProbability, type EmpiricalModelData } from '../domain/slippage/empirical.js';
import {
  COVERAGE_LEVELS,
  DEFAULT_FIT,
  errorSamples,
  FAILURE_TOLERANCES_BPS,
  fitEmpirical,
  scoreDistribution,
  type DistributionScore,
} from '../fidelity/distribution.js';
import { emittedModelText } from '../fidelity/emit.js';
import {
  BASELINE,
  evaluate,
  horizonLabel,
  splitTrades,
  type Cell,
  type EvaluationResult,
  type ModelUnderTest,
  type OptionsFactory,
  type Progress,
  type SplitKind,
  landingAt,
} from '../fidelity/evaluate.js';
import { configSnippet, fit, fitFamilies, type FittedModel } from '../fidelity/fit.js';
import { buildHistory } from '../fidelity/history.js';
import { loadTrades, TradeFileError } from '../fidelity/load.js';
import { ACCURACY_BPS, THRESHOLDS_BPS, type Score } from '../fidelity/score.js';
import { poolOutput, type LoadedTrades } from '../fidelity/trades.js';
import { parseCommandArgs, UsageError, wholeNumber } from './args.js';
import { EXIT } from './errors.js';
import { table } from './format.js';
import { toJson, type CliIo } from './io.js';

export const EVALUATE_USAGE = `usage: pte evaluate --trades FILE [options]

Measures paper fills against real trades. For every trade in FILE, predicts the fill from the pool
state k slots before it with the executor's own pricing and slippage code, and reports, per model
and k, the share of trades within 10, 50 and 100 bps of the realized fill, the median and p90
absolute error and the signed bias, beside the naive baseline (constant product on the stale state,
no slippage model), and the same model priced at landing time (on the last state before the trade's
own slot). Legs of one transaction are priced in order. Accuracy = the share within ${ACCURACY_BPS} bps
(docs/fidelity.md).

FILE is a pump.fun trade export (reference/live-trades/) or the generic format:
  pair, side, amount_in, amount_out, slot or time, and base_reserve_after + quote_reserve_after
  (+ fee_bps) or quoted_out; optional min_out, slippage_bps, priority_fee (docs/fidelity.md).

options:
  --trades FILE      the trade file (CSV)
  --k LIST           lookback horizons in slots (default 0,1,2,5,25)
  --models LIST      fixed, quote, cpmm, sqrt, random, landing (default: all), at their default
                     parameters; "config" adds the model and landing delay of --config
  --fit              fit each model's parameters on the first half and report the second half only;
                     prints the fitted parameters as a config snippet; also fits the empirical
                     model (signed errors per token/class, side and size) and scores it as a
                     distribution: interval coverage, CRPS, predicted vs realized failure rates
  --split KIND       how --fit splits: time (the file's first half by time, default) or per-token
                     (each token's first half fits, its second half scores)
  --recent N         the empirical model fits each token's latest N fitting trades (default ${DEFAULT_FIT.recentTrades}; 0 = all)
  --emit-model FILE  with --fit: write the empirical model fitted at the smallest k >= 1 as a config
                     file (.yaml or .json) that pte serve loads (--config FILE, or
                     slippage.model: {name: empirical, params: {file: FILE}})
  --limit N          read only the first N rows
  --config FILE      config file (seed; the "config" model)
  --json             machine-readable report on stdout
  --quiet            no progress on stderr

Exit codes: 0 done, 1 the file cannot be used, 64 wrong command line, 78 invalid configuration.`;

const OPTIONS = {
  trades: { type: 'string' },
  k: { type: 'string' },
  models: { type: 'string' },
  fit: { type: 'boolean' },
  split: { type: 'string' },
  recent: { type: 'string' },
  'emit-model': { type: 'string' },
  limit: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

export const MODEL_NAMES = ['fixed', 'quote', 'cpmm', 'sqrt', 'random', 'landing'] as const;
const DEFAULT_K = [0, 1, 2, 5, 25];

export interface EvaluateCommand {
  readonly tradesFile: string;
  readonly ks: readonly number[];
  readonly models: readonly string[];
  readonly fit: boolean;
  readonly split: SplitKind;
  readonly recent: number;
  readonly emitModel: string | undefined;
  readonly limit: number | undefined;
  readonly configFile: string | undefined;
  readonly json: boolean;
  readonly quiet: boolean;
}

export function parseEvaluateArgs(argv: readonly string[]): EvaluateCommand {
  const C = 'evaluate';
  const { values: v, positionals } = parseCommandArgs(argv, OPTIONS, C);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, C);
  if (v.trades === undefined) throw new UsageError('--trades FILE is required', C);
  const ks = v.k === undefined ? DEFAULT_K : [...new Set(v.k.split(',').map((s) => wholeNumber('--k', s.trim(), 0, 10_000, C)))].sort((a, b) => a - b);
  const models = v.models === undefined ? [...MODEL_NAMES] : v.models.split(',').map((s) => s.trim());
  for (const name of models) {
    if (!(MODEL_NAMES as readonly string[]).includes(name) && name !== 'config') {
      throw new UsageError(`--models: unknown model ${JSON.stringify(name)}; expected ${MODEL_NAMES.join(', ')} or config`, C);
    }
  }
  const split = v.split ?? 'time';
  if (split !== 'time' && split !== 'per-token') throw new UsageError(`--split: expected time or per-token, got ${JSON.stringify(split)}`, C);
  const emitModel = v['emit-model'];
  if (emitModel !== undefined && v.fit !== true) throw new UsageError('--emit-model needs --fit: the model is fitted on the first half and scored on the second', C);
  if (emitModel !== undefined && !/\.(ya?ml|json)$/i.test(emitModel)) throw new UsageError('--emit-model: the file must end in .yaml, .yml or .json', C);
  if (emitModel !== undefined && !ks.some((k) => k >= 1)) throw new UsageError('--emit-model needs a horizon k >= 1 in --k', C);
  return {
    tradesFile: v.trades,
    ks,
    models,
    fit: v.fit === true,
    split,
    recent: v.recent === undefined ? DEFAULT_FIT.recentTrades : wholeNumber('--recent', v.recent, 0, 1_000_000, C),
    emitModel,
    limit: v.limit === undefined ? undefined : wholeNumber('--limit', v.limit, 1, 100_000_000, C),
    configFile: v.config,
    json: v.json === true,
    quiet: v.quiet === true,
  };
}

/** A model at its default parameters; "landing" is a zero fixed model plus the landing drift. */
function defaultModel(name: string, config: Config): ModelUnderTest {
  if (name === 'config') {
    const landing = config.slippage.landingDelay as Record<string, JsonValue>;
    return { label: 'config', spec: config.slippage.model, landing: landing.enabled === true ? landing : undefined };
  }
  if (name === 'landing') return { label: 'landing', spec: { name: 'fixed', params: { bps: 0 } }, landing: {} };
  return { label: name, spec: { name, params: {} }, landing: undefined };
}

/**
 * The composition root's pipeline for a model: the configured service with the model under test as
 * its default model, fees off, the landing delay as the model asks at horizon k, no MEV.
 */
async function optionsFactory(config: Config): Promise<OptionsFactory> {
  const { pipelineOptions } = await import('../app.js');
  const tokens = createTokenRegistry();
  return (model, k) =>
    pipelineOptions(
      {
        ...config,
        slippage: {
          ...config.slippage,
          model: { name: model.spec.name as Config['slippage']['model']['name'], params: { ...model.spec.params } },
          // No drift beyond the maximum tolerance: a paper trade fails only where a real one would.
          defaultToleranceBps: 4_999,
          landingDelay: model.landing ? { ...landingAt(model.landing, k), enabled: true } : { enabled: false },
        },
        fees: { signatureLamports: 0, rentLamports: 0, chargeRent: false },
      },
      tokens,
    );
}

export interface EvaluateReport {
  readonly file: string;
  readonly format: LoadedTrades['format'];
  readonly rows: number;
  readonly trades: number;
  readonly skipped: LoadedTrades['skipped'];
  /** Share of k = 0 baseline predictions within 0.01 bps: the check of pool maths and file handling. */
  readonly exactStateWithin001Bps: number | undefined;
  readonly accuracyBps: number;
  readonly evaluation: EvaluationResult | undefined;
  readonly fit: FitReport | undefined;
}

export interface FitReport {
  readonly split: SplitKind;
  /** Time split: the first slot of the second half. */
  readonly cutSlot: number | undefined;
  readonly firstHalf: number;
  readonly secondHalf: number;
  readonly fitted: readonly (FittedModel & { readonly snippet: string })[];
  /** Second half: baseline, default models and fitted models (label "<family> (fitted)"). */
  readonly secondHalfResult: EvaluationResult;
  /** The empirical model at each k >= 1, fitted on the first half, scored on the second as a distribution. */
  readonly distribution: readonly DistributionReport[];
  /** Where the empirical model was written (--emit-model). */
  readonly emitted: EmittedModel | undefined;
}

export interface DistributionReport {
  readonly horizon: number;
  readonly tables: number;
  readonly digest: string;
  /** Set when too few trades were there to fit. */
  readonly problem: string | undefined;
  readonly score: DistributionScore | undefined;
}

export interface EmittedModel {
  readonly file: string;
  readonly horizon: number;
  readonly digest: string;
  readonly tables: number;
  /** P(s > 50 bps) of the meme class's tables, per side, smallest size bucket: what a small memecoin trade at 50 bps tolerance fails at. */
  readonly memeFailureAt50: { readonly buy: number | undefined; readonly sell: number | undefined };
}

/** The evaluation itself, apart from printing: used by the command and by tests. */
export async function evaluateFile(cmd: EvaluateCommand, env: NodeJS.ProcessEnv, progress: (p: Progress) => void = () => undefined): Promise<EvaluateReport> {
  const { config } = resolveConfig({ file: cmd.configFile, env });
  const tokens = createTokenRegistry();
  let text: string;
  try {
    text = await readFile(cmd.tradesFile, 'utf8');
  } catch (e) {
    throw new TradeFileError(`cannot read ${cmd.tradesFile}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const loaded = loadTrades(text, tokens, cmd.limit);
  const history = buildHistory(loaded.trades);
  const factory = await optionsFactory(config);
  const models = cmd.models.map((n) => defaultModel(n, config));
  const exact = exactStateCheck(loaded, history);
  const base = { file: cmd.tradesFile, format: loaded.format, rows: loaded.rows, trades: loaded.trades.length, skipped: loaded.skipped, exactStateWithin001Bps: exact, accuracyBps: ACCURACY_BPS };
  if (!cmd.fit) {
    const evaluation = evaluate(loaded.trades, history, { horizons: cmd.ks, models, options: factory, seed: config.seed, onProgress: progress });
    return { ...base, evaluation, fit: undefined };
  }
  const { first, second, cutSlot } = splitTrades(loaded.trades, cmd.split);
  const horizons = cmd.ks;
  const families = fitFamilies().filter((f) => cmd.models.includes(f.name));
  const fitted = fit(first, history, horizons, families, factory, config.seed, progress).map((f) => ({ ...f, snippet: configSnippet(f.model) }));
  // Score the second half: baseline, defaults, and each family's fitted model at its own horizon.
  const defaults = evaluate(second, history, { horizons, models, options: factory, seed: config.seed, onProgress: progress });
  const cells: Cell[] = [...defaults.cells];
  for (const f of fitted) {
    const model = { ...f.model, label: `${f.family} (fitted)` };
    const r = evaluate(second, history, { horizons: typeof f.horizon === 'number' ? [f.horizon] : [], models: [model], options: factory, seed: config.seed });
    cells.push(...r.cells.filter((c) => c.model === model.label));
  }
  const fittedOn = `${basename(cmd.tradesFile)}, ${cmd.split} split: ${first.length} fitting trades${cmd.recent > 0 ? `, each token's latest ${cmd.recent}` : ''}`;
  const fittedModels: { horizon: number; model: EmpiricalModelData }[] = [];
  const distribution: DistributionReport[] = horizons
    .filter((k) => k >= 1)
    .map((k) => {
      let model: EmpiricalModelData;
      try {
        model = fitEmpirical(errorSamples(first, history, k), { ...DEFAULT_FIT, recentTrades: cmd.recent, horizonSlots: k, fittedOn: `${fittedOn}, quotes ${k} slot(s) old` });
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        return { horizon: k, tables: 0, digest: '', problem: e.message, score: undefined };
      }
      fittedModels.push({ horizon: k, model });
      return { horizon: k, tables: model.tables.length, digest: model.digest, problem: undefined, score: scoreDistribution(errorSamples(second, history, k), model, config.seed, k) };
    });
  let emitted: EmittedModel | undefined;
  if (cmd.emitModel !== undefined) {
    const chosen = fittedModels[0];
    if (!chosen) throw new TradeFileError(`--emit-model: no empirical model could be fitted (${distribution[0]?.problem ?? 'no horizon k >= 1'})`);
    await writeFile(cmd.emitModel, emittedModelText(chosen.model, cmd.emitModel), 'utf8');
    const meme = (side: 'buy' | 'sell'): number | undefined => {
      const t = chosen.model.tables.find((x) => x.scope.kind === 'class' && x.scope.class === 'meme' && x.side === side && x.bucket === 0);
      return t ? exceedProbability(t.quantilesBps, 50) : undefined;
    };
    emitted = { file: cmd.emitModel, horizon: chosen.horizon, digest: chosen.model.digest, tables: chosen.model.tables.length, memeFailureAt50: { buy: meme('buy'), sell: meme('sell') } };
  }
  return {
    ...base,
    evaluation: undefined,
    fit: { split: cmd.split, cutSlot, firstHalf: first.length, secondHalf: second.length, fitted, secondHalfResult: { cells, coverage: defaults.coverage }, distribution, emitted },
  };
}

function exactStateCheck(loaded: LoadedTrades, history: ReturnType<typeof buildHistory>): number | undefined {
  const withState = loaded.trades.filter((t) => t.pre !== undefined);
  if (withState.length === 0) return undefined;
  let ok = 0;
  for (const t of withState) {
    const s = history.stateBefore(t, 0);
    if (!s) continue;
    const out = poolOutput(t, s.state);
    const diff = out >= t.realizedOut ? out - t.realizedOut : t.realizedOut - out;
    if (diff * 1_000_000n <= t.realizedOut) ok++;
  }
  return ok / withState.length;
}

const pct = (x: number): string => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)} %`);
const num = (x: number): string => (Number.isNaN(x) ? '-' : Math.abs(x) >= 1000 ? x.toFixed(0) : x.toFixed(2));

function cellsTable(result: EvaluationResult): string {
  const header = ['horizon', 'model', 'n', ...THRESHOLDS_BPS.map((b) => `<=${b} bps`), 'med |err|', 'p90 |err|', 'bias mean', 'bias med', 'failed', `landing <=${ACCURACY_BPS}`, 'landing p90'];
  const rows = result.cells.map((c) => row(c));
  return table(header, rows, ['left', 'left', ...header.slice(2).map((): 'right' => 'right')]);
}

function row(c: Cell): string[] {
  const s: Score = c.score;
  const l = c.landing;
  return [
    horizonLabel(c.horizon),
    c.model,
    String(s.n),
    ...s.within.map(pct),
    num(s.medianAbsBps),
    num(s.p90AbsBps),
    num(s.meanBps),
    num(s.medianBps),
    String(s.failed),
    l ? pct(l.accuracy) : '-',
    l ? num(l.p90AbsBps) : '-',
  ];
}

function distributionTable(ds: readonly DistributionReport[]): string {
  const header = ['horizon', 'n', ...COVERAGE_LEVELS.map((c) => `${c * 100} % PI`), 'CRPS', 'MAE point', 'CRPS vs MAE', ...FAILURE_TOLERANCES_BPS.map((t) => `fail@${t} pred/real`), 'tables'];
  const rows = ds.map((d) => {
    const s = d.score;
    if (!s) return [horizonLabel(d.horizon), '-', ...COVERAGE_LEVELS.map(() => '-'), '-', '-', '-', ...FAILURE_TOLERANCES_BPS.map(() => '-'), d.problem ?? '-'];
    return [
      horizonLabel(d.horizon),
      String(s.n),
      ...s.coverage.map(pct),
      num(s.crpsBps),
      num(s.maeBps),
      `${((s.crpsBps / s.maeBps - 1) * 100).toFixed(1)} %`,
      ...s.failure.map((f) => `${pct(f.predicted)} / ${pct(f.realized)}`),
      String(d.tables),
    ];
  });
  return table(header, rows, ['left', ...header.slice(1).map((): 'right' => 'right')]);
}

/** One headline per horizon: the best model's accuracy beside the spec's target. */
function headlines(result: EvaluationResult): string[] {
  const out: string[] = [];
  const horizons = [...new Set(result.cells.map((c) => c.horizon))];
  for (const h of horizons) {
    const cells = result.cells.filter((c) => c.horizon === h);
    const baseline = cells.find((c) => c.model === BASELINE);
    const models = cells.filter((c) => c.model !== BASELINE);
    const best = models.reduce<Cell | undefined>((b, c) => (!b || c.score.accuracy > b.score.accuracy ? c : b), undefined);
    const text = best ? `${best.model} ${pct(best.score.accuracy)}` : '-';
    const landing = baseline?.landing && h !== 0 ? `; priced at landing ${pct(baseline.landing.accuracy)}` : '';
    out.push(`${horizonLabel(h).padEnd(6)} accuracy (within ${ACCURACY_BPS} bps): ${text}; baseline ${pct(baseline?.score.accuracy ?? Number.NaN)}${landing} — spec target 85-90 %`);
  }
  return out;
}

export async function runEvaluate(cmd: EvaluateCommand, io: CliIo): Promise<number> {
  let last = -1;
  const progress = (p: Progress): void => {
    if (cmd.quiet) return;
    const tenth = p.total === 0 ? 10 : Math.floor((p.done / p.total) * 10);
    if (tenth === last && p.what !== 'done') return;
    last = tenth;
    io.err(`pte evaluate: ${p.done}/${p.total} passes (${Math.round((p.done / Math.max(1, p.total)) * 100)} %) ${p.what}`);
  };
  let report: EvaluateReport;
  try {
    report = await evaluateFile(cmd, io.env, progress);
  } catch (e) {
    if (e instanceof TradeFileError) {
      io.err(`pte evaluate: ${cmd.tradesFile}: ${e.message}`);
      return EXIT.failed;
    }
    throw e;
  }
  if (cmd.json) {
    io.out(toJson(report));
    return EXIT.ok;
  }
  io.out(`${report.file}: ${report.format} format, ${report.rows} rows, ${report.trades} trades scored, ${report.skipped.length} rows skipped`);
  for (const s of report.skipped.slice(0, 20)) io.out(`  skipped line ${s.line}: ${s.reason}`);
  if (report.skipped.length > 20) io.out(`  ... and ${report.skipped.length - 20} more (--json lists them all)`);
  if (report.exactStateWithin001Bps !== undefined) {
    io.out(`exact state (k=0, constant product on the pre-trade reserves): ${pct(report.exactStateWithin001Bps)} of fills within 0.01 bps`);
  }
  io.out('error = (paper - realized) / realized x 10,000 bps; positive = the paper fill was better for the trader\n');
  if (report.evaluation) {
    io.out(cellsTable(report.evaluation));
    io.out('');
    for (const l of headlines(report.evaluation)) io.out(l);
  }
  if (report.fit) {
    const f = report.fit;
    const how =
      f.split === 'per-token'
        ? "per-token split: each token's first half by time fits, its second half scores"
        : `time split: the file's first half by time fits (slots before ${f.cutSlot ?? '-'}), the rest scores`;
    io.out(`fit (${how}): ${f.firstHalf} fitting trades, ${f.secondHalf} scored\n`);
    io.out(
      table(
        ['horizon', 'model', 'fitted params', 'first-half med |err|', 'first-half acc'],
        f.fitted.map((m) => [horizonLabel(m.horizon), m.family, JSON.stringify({ ...m.model.spec.params, ...(m.model.landing ?? {}) }), num(m.fit.medianAbsBps), pct(m.fit.accuracy)]),
        ['left', 'left', 'left', 'right', 'right'],
      ),
    );
    io.out('\nsecond half:\n');
    io.out(cellsTable(f.secondHalfResult));
    io.out('');
    for (const l of headlines(f.secondHalfResult)) io.out(l);
    for (const h of [...new Set(f.fitted.map((m) => m.horizon))]) {
      const best = f.fitted.filter((m) => m.horizon === h).reduce<(typeof f.fitted)[number] | undefined>((b, m) => (!b || m.fit.medianAbsBps < b.fit.medianAbsBps ? m : b), undefined);
      if (!best) continue;
      io.out(`\n# best fit for quotes ${horizonLabel(h)} slots old: ${best.family} (first-half median |error| ${num(best.fit.medianAbsBps)} bps)\n${best.snippet}`);
    }
    io.out(`\ndistribution: the empirical model (signed error vs the quote per token or class, side and size; ${cmd.recent > 0 ? `each token's latest ${cmd.recent} fitting trades` : 'all fitting trades'}), ${f.split} split, scored out of sample:\n`);
    io.out(distributionTable(f.distribution));
    io.out('coverage: randomized PIT inside the central interval (calibrated = 50 / 80 / 90 %); CRPS and MAE in bps of the realized output (MAE: the quote as a point forecast);');
    io.out('fail@T: predicted P(slippage > T bps) vs the share of trades whose fill was more than T bps below the quote (a live trade at tolerance T would have reverted); the quote alone predicts 0 %');
    if (f.emitted) {
      const e = f.emitted;
      const meme = (x: number | undefined): string => (x === undefined ? '-' : pct(x));
      io.out(
        `\nwrote the empirical model fitted at ${horizonLabel(e.horizon)} (${e.tables} tables, sha256 ${e.digest}) to ${e.file}; ` +
          `a small memecoin trade at 50 bps tolerance fails ${meme(e.memeFailureAt50.buy)} of buys, ${meme(e.memeFailureAt50.sell)} of sells under it (meme class).\n` +
          `use it with: pte serve --config ${e.file}  (or slippage: { model: { name: empirical, params: { file: ${e.file} } } })`,
      );
    }
  }
  return EXIT.ok;
}
