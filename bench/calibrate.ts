/**
 * Calibration of the slippage models: what each model charges for $100, $1k, $10k and $100k trades on
 * SOL/USDC, JUP/USDC and BONK/SOL, beside the published references. Run: `node dist/bench/calibrate.js`
 * after `npm run build`. The numbers are copied into docs/slippage-models.md.
 *
 * Depths and pool fees are the simulated market's reference table (src/market/sim-market-reference.ts);
 * the market impact is what that market's route reports (CPMM pools against USDC, half the depth a side,
 * two hops for BONK/SOL), computed with its own hop arithmetic.
 */
import { pathToFileURL } from 'node:url';
import { ONE, mul, toNumber } from '../src/domain/ratio.js';
import type { Ratio } from '../src/domain/ratio.js';
import { createRng } from '../src/domain/rng.js';
import type { TokenClass } from '../src/domain/tokens.js';
import { toBps } from '../src/domain/slippage/bps.js';
import { LANDING_DEFAULTS, landingDrift, withLandingDrift } from '../src/domain/slippage/landing.js';
import type { SlippageModel } from '../src/domain/slippage/model.js';
import { createSlippageRegistry } from '../src/domain/slippage/registry.js';
import { makeContext, tokenOf } from '../test/support/slippage.js';
import { hopRateKept, impactFromKept } from '../src/market/sim-market-cpmm.js';
import { SIM_REFERENCE } from '../src/market/sim-market-reference.js';

const SIZES = [100, 1_000, 10_000, 100_000] as const;
const PAIRS: readonly (readonly [base: string, quote: string])[] = [
  ['SOL', 'USDC'],
  ['JUP', 'USDC'],
  ['BONK', 'SOL'],
];
/** Draws averaged for the models with a random term. */
const SEEDS = 2_000;
const LANDING_ON = { ...LANDING_DEFAULTS, enabled: true };

/** Jupiter's dynamic-slippage bands by token class (tolerances it sets so trades land), in bps. */
const BANDS: Readonly<Record<string, readonly [number, number]>> = {
  stable: [5, 80],
  lst: [50, 100],
  bluechip: [200, 400],
  default: [80, 500],
};
const BAND_OF_CLASS: Readonly<Record<TokenClass, string>> = { stable: 'stable', major: 'bluechip', mid: 'default', meme: 'default' };
const RISK: Readonly<Record<TokenClass, number>> = { stable: 0, major: 1, mid: 2, meme: 3 };
/** Jupiter's 24-hour SOL/USDC test: natural slippage 2-14 bps on average, up to about 50. */
const SOL_USDC_NATURAL_MAX_BPS = 50;

interface Row {
  readonly label: string;
  readonly bps: (base: string, quote: string, sizeUsd: number) => number;
}

function refOf(symbol: string): { liquidityUsd: number; poolFeeBps: number } {
  const r = SIM_REFERENCE[symbol];
  if (r === undefined) throw new Error(`no simulated-market reference for ${symbol}`);
  return r;
}

/** The thinner side's depth, as the executor hands it to the models. */
const depthOf = (base: string, quote: string): number => Math.min(refOf(base).liquidityUsd, refOf(quote).liquidityUsd);

/** The simulated market's route impact: one CPMM hop per non-USDC token, half its depth a side, in micro-USD. */
function simImpact(base: string, quote: string, sizeUsd: number): Ratio {
  const micro = (usd: number): bigint => BigInt(Math.round(usd * 1e6));
  let kept = ONE;
  let amountUsd = sizeUsd;
  for (const sym of [quote, base]) {
    if (sym === 'USDC') continue;
    const { liquidityUsd, poolFeeBps } = refOf(sym);
    const hop = hopRateKept(micro(liquidityUsd / 2), micro(amountUsd), BigInt(poolFeeBps));
    kept = mul(kept, hop);
    amountUsd = amountUsd * toNumber(hop) * (1 - poolFeeBps / 10_000);
  }
  return impactFromKept(kept);
}

function meanOver(model: SlippageModel, base: string, quote: string, sizeUsd: number, quoted: boolean, landing = false): number {
  let sum = 0;
  for (let i = 0; i < SEEDS; i++) {
    const ctx = makeContext({
      base,
      quote,
      tradeUsd: sizeUsd,
      liquidityUsd: depthOf(base, quote),
      priceImpact: simImpact(base, quote, sizeUsd),
      quoted,
      rng: createRng(BigInt(i), 'slippage'),
    });
    const result = model.apply(ctx);
    const drift = landing ? landingDrift({ input: tokenOf(quote), output: tokenOf(base), priorityFeeLamports: 0n, rng: createRng(BigInt(i), 'landing') }, LANDING_ON) : undefined;
    sum += toBps((drift === undefined ? result : withLandingDrift(result, drift)).fraction);
  }
  return sum / SEEDS;
}

function landingStats(base: string, quote: string, fee: bigint): { mean: number; p95: number } {
  const draws = Array.from({ length: SEEDS }, (_, i) =>
    toBps(
      landingDrift(
        { input: tokenOf(quote), output: tokenOf(base), priorityFeeLamports: fee, rng: createRng(BigInt(i), 'landing') },
        LANDING_ON,
      ).driftFraction,
    ),
  ).sort((a, b) => a - b);
  return { mean: draws.reduce((a, b) => a + b, 0) / SEEDS, p95: draws[Math.floor(SEEDS * 0.95)] ?? 0 };
}

function rows(): Row[] {
  const registry = createSlippageRegistry();
  const model = (name: string): SlippageModel => registry.create({ name, params: {} }, 'calibrate');
  const [fixed, quote, cpmm, sqrt, random] = ['fixed', 'quote', 'cpmm', 'sqrt', 'random'].map(model) as [SlippageModel, SlippageModel, SlippageModel, SlippageModel, SlippageModel];
  const once =
    (m: SlippageModel, quoted: boolean, landing = false) =>
    (b: string, q: string, size: number): number =>
      meanOver(m, b, q, size, quoted, landing);
  return [
    { label: 'market impact (sim route)', bps: (b, q, size) => toBps(simImpact(b, q, size)) },
    { label: 'fixed (default 100)', bps: once(fixed, false) },
    { label: 'quote, quoted: drift only', bps: once(quote, true) },
    { label: 'quote, USD-priced: impact+drift', bps: once(quote, false) },
    { label: 'cpmm', bps: once(cpmm, false) },
    { label: 'sqrt', bps: once(sqrt, false) },
    { label: 'random (mean)', bps: once(random, false) },
    { label: 'cpmm + landing drift, fee 0 (mean)', bps: once(cpmm, false, true) },
    { label: 'sqrt + landing drift, fee 0 (mean)', bps: once(sqrt, false, true) },
  ];
}

const pad = (s: string, n: number): string => s.padStart(n);
const num = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** The calibration table, ready to print. Cells over the pair's reference ceiling carry a '!'. */
export function runCalibration(): string {
  const out: string[] = [];
  const allRows = rows();
  out.push(`Slippage calibration: bps charged by each model with its defaults (random terms: mean of ${SEEDS} seeds).`);
  out.push(`Depth = thinner side of the pair in the simulated market's reference table. '!' = above the pair's reference ceiling.`);
  for (const [base, quote] of PAIRS) {
    const riskier = RISK[tokenOf(base).class] >= RISK[tokenOf(quote).class] ? tokenOf(base).class : tokenOf(quote).class;
    const bandName = BAND_OF_CLASS[riskier];
    const band = BANDS[bandName] ?? [0, 0];
    const natural = base === 'SOL' && quote === 'USDC';
    const ceiling = natural ? SOL_USDC_NATURAL_MAX_BPS : band[1];
    out.push('');
    out.push(`${base}/${quote}  depth $${(depthOf(base, quote) / 1e6).toFixed(2)}M`);
    out.push(
      `  reference: Jupiter ${bandName} band ${band[0]}-${band[1]} bps; realized fills ~5 bps under quote on average` +
        (natural ? '; Jupiter SOL/USDC natural slippage 2-14 bps average, up to ~50' : ''),
    );
    out.push(`  ${'model'.padEnd(36)}${SIZES.map((s) => pad(`$${s >= 1000 ? `${s / 1000}k` : s}`, 10)).join('')}`);
    for (const row of allRows) {
      const cells = SIZES.map((size) => {
        const v = row.bps(base, quote, size);
        return pad(`${num(v)}${v > ceiling ? '!' : ' '}`, 10);
      });
      out.push(`  ${row.label.padEnd(36)}${cells.join('')}`);
    }
    for (const fee of [0n, 100_000n]) {
      const l = landingStats(base, quote, fee);
      out.push(`  ${`landing drift, fee ${fee} (mean/p95)`.padEnd(36)}${pad(`${num(l.mean)} / ${num(l.p95)}`, 20)}   (any size)`);
    }
  }
  return out.join('\n');
}

const invoked = process.argv[1];
if (invoked !== undefined && import.meta.url === pathToFileURL(invoked).href) console.log(runCalibration());

