import type { JsonValue } from '../domain/request.js';
import { horizonLabel, scoreAt, type Horizon, type ModelUnderTest, type OptionsFactory, type Progress } from './evaluate.js';
import type { PoolHistory } from './history.js';
import type { Score } from './score.js';
import type { ObservedTrade } from './trades.js';

/**
 * Calibration by grid search: for each model family and horizon, the parameters that minimise the
 * median absolute error on the fitting trades (ties: the higher share within 50 bps, then the first
 * in grid order). A grid rather than an optimiser because the models are step functions of seeded
 * draws, the grids are small, and every candidate is scored by the same pipeline as the report.
 */
export interface Family {
  readonly name: string;
  /** What the parameters mean, for the report. */
  readonly fits: string;
  readonly candidates: readonly ModelUnderTest[];
}

const m = (label: string, name: string, params: Record<string, JsonValue>, landing?: Record<string, JsonValue>): ModelUnderTest => ({
  label,
  spec: { name, params },
  landing,
});

export function fitFamilies(): Family[] {
  const fixed = [0, 1, 2, 3, 5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300].map((bps) => m('fixed', 'fixed', { bps }));
  const quote = [0, 1, 2, 5, 10, 20, 50, 100, 200].flatMap((driftBps) => [0, 0.5, 1].map((jitter) => m('quote', 'quote', { driftBps, jitter })));
  const cpmm = [0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1].map((reserveShare) => m('cpmm', 'cpmm', { reserveShare }));
  const sqrt = [0, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10].map((k) => m('sqrt', 'sqrt', { k }));
  const random = [0, 2, 5, 10, 20, 50, 100].flatMap((baseBps) =>
    [...new Set([0, baseBps / 2, baseBps])].map((spreadBps) => m('random', 'random', { baseBps, spreadBps })),
  );
  const landing = [0, 0.5, 1, 2, 5, 10, 20, 50, 100].map((volatilityScale) => m('landing', 'fixed', { bps: 0 }, { volatilityScale }));
  return [
    { name: 'fixed', fits: 'bps: a constant adverse slippage', candidates: fixed },
    { name: 'quote', fits: 'driftBps, jitter: the quote-to-fill drift', candidates: quote },
    { name: 'cpmm', fits: 'reserveShare: the impact constant (share of depth facing the trade)', candidates: cpmm },
    { name: 'sqrt', fits: 'k: the square-root impact constant', candidates: sqrt },
    { name: 'random', fits: 'baseBps, spreadBps', candidates: random },
    { name: 'landing', fits: 'volatilityScale: drift per slot = 15 bps (meme class) x scale, over k slots', candidates: landing },
  ];
}

export interface FittedModel {
  readonly horizon: Horizon;
  readonly family: string;
  readonly model: ModelUnderTest;
  readonly fit: Score;
}

const better = (a: Score, b: Score): boolean =>
  a.medianAbsBps < b.medianAbsBps || (a.medianAbsBps === b.medianAbsBps && a.accuracy > b.accuracy);

/** The best candidate of every family at every horizon, on `trades`. */
export function fit(
  trades: readonly ObservedTrade[],
  history: PoolHistory,
  horizons: readonly Horizon[],
  families: readonly Family[],
  options: OptionsFactory,
  seed: bigint,
  onProgress?: (p: Progress) => void,
): FittedModel[] {
  const out: FittedModel[] = [];
  const total = horizons.length * families.reduce((a, f) => a + f.candidates.length, 0);
  let done = 0;
  for (const h of horizons) {
    for (const f of families) {
      let best: { model: ModelUnderTest; score: Score } | undefined;
      for (const c of f.candidates) {
        onProgress?.({ done, total, what: `fit ${horizonLabel(h)} ${f.name}` });
        const s = scoreAt(trades, history, h, c, options, seed).score;
        if (!best || better(s, best.score)) best = { model: c, score: s };
        done++;
      }
      if (best) out.push({ horizon: h, family: f.name, model: best.model, fit: best.score });
    }
  }
  onProgress?.({ done, total, what: 'done' });
  return out;
}

const yamlValue = (v: JsonValue): string => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v));
const flow = (o: Readonly<Record<string, JsonValue>>): string => `{ ${Object.entries(o).map(([k, v]) => `${k}: ${yamlValue(v)}`).join(', ')} }`;

/** The config snippet (config file, `slippage` section) that runs `model` as fitted. */
export function configSnippet(model: ModelUnderTest): string {
  const lines = ['slippage:', '  model:', `    name: ${model.spec.name}`, `    params: ${flow(model.spec.params)}`];
  // The evaluation fixes the slot count at k; live, the delay draws it (defaults: median 2 slots at zero fee).
  lines.push(`  landingDelay: ${model.landing ? flow({ enabled: true, ...model.landing }) : '{ enabled: false }'}`);
  return lines.join('\n');
}
