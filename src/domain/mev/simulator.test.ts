import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRng } from '../rng.js';
import type { MevProtection } from '../request.js';
import type { TokenClass } from '../tokens.js';
import type { MevParams, MevRegime } from './params.js';
import { DEFAULT_MEV_PARAMS, EXPOSURE_CAP, resolveMevParams } from './params.js';
import type { MevSimulation, MevTrade } from './simulator.js';
import { attackProbability, riskLevel, sandwichGate, simulateSandwich } from './simulator.js';

/**
 * Reproduces every item of "Checks a correct implementation reproduces" in
 * shared/reference/mev-model.md, by Monte Carlo where a rate is involved: each draw is one simulated
 * trade with its own seed and its own `mev` stream, as the executor does (createRng(tradeSeed, 'mev')).
 */

const PROTECTIONS: readonly MevProtection[] = ['PUBLIC', 'JITO_BUNDLE', 'JITO_DONTFRONT', 'PRIVATE'];
const CLASSES: readonly TokenClass[] = ['major', 'stable', 'mid', 'meme'];
const REGIMES: readonly MevRegime[] = ['current', 'mid_2025', 'peak'];

interface McSummary {
  readonly n: number;
  readonly attacked: number;
  readonly reverted: number;
  /** Mean loss per trade over all draws, USD. */
  readonly meanLossUsd: number;
  /** Losses of the attacked trades that filled. */
  readonly filledLossesUsd: number[];
  readonly expectedLossUsd: number;
  readonly probability: number;
}

/** n trades, trade i seeded with seedBase + i. */
function monteCarlo(trade: MevTrade, n: number, seedBase = 0n, params: MevParams = DEFAULT_MEV_PARAMS): McSummary {
  let attacked = 0;
  let reverted = 0;
  let lossSum = 0;
  const filledLossesUsd: number[] = [];
  let last: MevSimulation | undefined;
  for (let i = 0; i < n; i++) {
    const sim = simulateSandwich({ ...trade, rng: createRng(seedBase + BigInt(i), 'mev') }, params);
    last = sim;
    if (sim.attacked) attacked++;
    if (sim.reverted) reverted++;
    if (sim.attacked && !sim.reverted) filledLossesUsd.push(sim.lossUsd);
    lossSum += sim.lossUsd;
  }
  return {
    n,
    attacked,
    reverted,
    meanLossUsd: lossSum / n,
    filledLossesUsd,
    expectedLossUsd: last?.expectedLossUsd ?? 0,
    probability: last?.probability ?? 0,
  };
}

/** |observed - expected| of a binomial rate, in standard errors. */
function zScore(hits: number, n: number, p: number): number {
  return Math.abs(hits - n * p) / Math.sqrt(n * p * (1 - p));
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/**
 * SOL/USDC as in Jupiter's test (100 SOL at about $135). Inputs, documented because the check depends on them:
 * - pool fee 0.04 %: the fee tier of the main Orca and Raydium SOL/USDC concentrated pools;
 * - input-side depth $27M, so 100 SOL moves the pool 5 bp (r > f: the gate passes, as Jupiter's measured
 *   losses say it must);
 * - drift 8 bp: the tolerance already used when the swap lands (quote-to-landing drift and impact). It is
 *   also what the reference's own note on gamma implies ("slack explains about 0.13" of the 0.38
 *   elasticity: (0.03 - d)/(0.003 - d) = 10^1.13 gives d of about 8 bp);
 * - priority fee 100k lamports: a Jupiter-style dynamic fee (about 300k CU at a few hundred thousand
 *   micro-lamports), in M_prio's middle band (0.85).
 */
const SOL_USDC: MevTrade = {
  tradeUsd: 13_500,
  tolerance: 0.01,
  drift: 0.0008,
  poolFee: 0.0004,
  inputDepthUsd: 27_000_000,
  protection: 'PUBLIC',
  assetClass: 'major',
  regime: 'mid_2025',
  priorityFeeLamports: 100_000n,
};

const JUPITER: readonly { readonly tolerance: number; readonly lossUsd: number }[] = [
  { tolerance: 0.003, lossUsd: 0.12 },
  { tolerance: 0.005, lossUsd: 0.31 },
  { tolerance: 0.01, lossUsd: 0.84 },
  { tolerance: 0.03, lossUsd: 2.91 },
];

describe('reference check: SOL/USDC 100 SOL on a public route, regime mid_2025', () => {
  const N = 100_000;
  const results = new Map<number, McSummary>();
  const resultAt = (tolerance: number): McSummary => {
    let r = results.get(tolerance);
    if (r === undefined) {
      r = monteCarlo({ ...SOL_USDC, tolerance }, N, 1_000_000n);
      results.set(tolerance, r);
    }
    return r;
  };

  for (const { tolerance, lossUsd: jupiterUsd } of JUPITER) {
    it(`mean loss per trade over ${N} draws at ${tolerance * 100} % slippage is within 1.5x of Jupiter's $${jupiterUsd}`, () => {
      const mc = resultAt(tolerance);
      const ratio = mc.meanLossUsd / jupiterUsd;
      console.log(
        `SOL/USDC ${tolerance * 100} %: MC mean loss $${mc.meanLossUsd.toFixed(3)} (analytic $${mc.expectedLossUsd.toFixed(3)}, ` +
          `p ${(mc.probability * 100).toFixed(3)} %, ${mc.attacked} attacks in ${N}) vs Jupiter $${jupiterUsd}: ${ratio.toFixed(2)}x`,
      );
      expect(ratio).toBeGreaterThan(1 / 1.5);
      expect(ratio).toBeLessThan(1.5);
      // The Monte Carlo mean agrees with the closed form p (1 - p_rev) E[phi] slack V, within 4 standard
      // errors (relative error of a compound binomial: sqrt((1 + cv_phi^2) / expected attacks)).
      const filledAttacks = N * mc.probability * (1 - DEFAULT_MEV_PARAMS.revertProbability);
      expect(Math.abs(mc.meanLossUsd / mc.expectedLossUsd - 1)).toBeLessThan(4 * Math.sqrt(1.02 / filledAttacks));
    });
  }

  it('expected loss rises with slippage', () => {
    const losses = JUPITER.map((j) => resultAt(j.tolerance).meanLossUsd);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeGreaterThan(losses[i - 1] ?? Infinity);
  });
});

describe('reference check: small trades on deep pools fail the gate', () => {
  const cases: readonly (readonly [string, MevTrade])[] = [
    ['$100 SOL/USDC on the $27M pool', { ...SOL_USDC, tradeUsd: 100, tolerance: 0.03 }],
    ['$2,000 USDC/USDT, 1 bp fee, $50M depth', { ...SOL_USDC, tradeUsd: 2_000, assetClass: 'stable', poolFee: 0.0001, inputDepthUsd: 50_000_000 }],
    [
      '$50 memecoin on a $100k pool (0.25 % fee; smallest attackable trade is $125), 25 % slippage, peak regime',
      { ...SOL_USDC, tradeUsd: 50, tolerance: 0.25, drift: 0, assetClass: 'meme', poolFee: 0.0025, inputDepthUsd: 50_000, regime: 'peak' },
    ],
    [
      '$0.50 memecoin on a tiny pool: moves it past the fee but the slack is worth less than C_att',
      { ...SOL_USDC, tradeUsd: 0.5, tolerance: 0.05, drift: 0, assetClass: 'meme', poolFee: 0.0025, inputDepthUsd: 20 },
    ],
    ['price impact given instead of depth, below the fee', { ...SOL_USDC, inputDepthUsd: undefined, priceImpact: 0.0003 }],
  ];

  it.each(cases)('%s: probability exactly 0', (_name, trade) => {
    expect(sandwichGate(trade).attackerProfitUsd).toBeLessThanOrEqual(0);
    const sim = simulateSandwich({ ...trade, rng: createRng(1n, 'mev') });
    expect(sim.probability).toBe(0);
    expect(sim.riskLevel).toBe('none');
    expect(sim.expectedLossUsd).toBe(0);
  });

  it('none of them is ever attacked, whatever the seed (20,000 draws)', () => {
    let hits = 0;
    for (let i = 0; i < 20_000; i++) {
      const trade = cases[i % cases.length]?.[1] ?? SOL_USDC;
      const sim = simulateSandwich({ ...trade, rng: createRng(2_000_000n + BigInt(i), 'mev') });
      if (sim.attacked || sim.lossUsd !== 0 || sim.probability !== 0) hits++;
    }
    expect(hits).toBe(0);
  });
});

/**
 * "Feasible memecoin swaps on a public route". Feasible is the reference's gate: the attacker's profit
 * P_usd is positive (the swap moves its pool more than the fee, by enough to pay C_att). The population,
 * drawn from its own seeded stream, is what the reference describes bots hitting (Helius: memecoin and
 * bonding-curve trades, mostly at 10-25 % slippage):
 * - trade size log-uniform $20 - $5,000; pool input-side depth log-uniform $10k - $500k; fee 0.25 %
 *   (Raydium AMM v4 / PumpSwap);
 * - tolerance uniform 1 % - 25 %; drift uniform 0 - 1 %; priority fee 10k lamports (M_prio 1.0).
 */
function feasibleMemecoinSwaps(n: number): MevTrade[] {
  const rng = createRng(7n, 'population');
  const trades: MevTrade[] = [];
  while (trades.length < n) {
    const trade: MevTrade = {
      tradeUsd: 20 * 250 ** rng.next(),
      inputDepthUsd: 10_000 * 50 ** rng.next(),
      poolFee: 0.0025,
      tolerance: 0.01 + 0.24 * rng.next(),
      drift: 0.01 * rng.next(),
      protection: 'PUBLIC',
      assetClass: 'meme',
      regime: 'current',
      priorityFeeLamports: 10_000n,
    };
    if (sandwichGate(trade).attackerProfitUsd > 0) trades.push(trade);
  }
  return trades;
}

describe('reference check: feasible memecoin swaps on a public route', () => {
  const population = feasibleMemecoinSwaps(100_000);

  it.each([
    ['current', 0.01, 0.03],
    ['peak', 0.08, 0.16],
  ] as const)('regime %s: attacked rate over 100,000+ feasible swaps is within [%s, %s]', (regime, lo, hi) => {
    expect(population.length).toBeGreaterThanOrEqual(100_000);
    let attacked = 0;
    let pSum = 0;
    population.forEach((t, i) => {
      const sim = simulateSandwich({ ...t, regime, rng: createRng(3_000_000n + BigInt(i), 'mev') });
      if (sim.attacked) attacked++;
      pSum += sim.probability;
    });
    const rate = attacked / population.length;
    console.log(
      `memecoin ${regime}: ${attacked} of ${population.length} feasible swaps attacked = ${(rate * 100).toFixed(2)} % ` +
        `(mean p ${((pSum / population.length) * 100).toFixed(2)} %)`,
    );
    expect(rate).toBeGreaterThanOrEqual(lo);
    expect(rate).toBeLessThanOrEqual(hi);
  });

  it('a single feasible memecoin swap with a profit well above P0 is in the band in the current regime at 1-20 % slippage', () => {
    for (const tolerance of [0.01, 0.05, 0.1, 0.15, 0.2, 0.25]) {
      const trade: MevTrade = { ...SOL_USDC, assetClass: 'meme', tradeUsd: 1_000, inputDepthUsd: 50_000, poolFee: 0.0025, tolerance, drift: 0, priorityFeeLamports: 0n, regime: 'current' };
      const p = attackProbability(trade, sandwichGate(trade));
      expect(p).toBeGreaterThanOrEqual(0.01);
      expect(p).toBeLessThanOrEqual(0.03);
    }
  });
});

describe('reference check: an attacked $50 memecoin buy at 12 % slippage loses about $5', () => {
  // A fresh memecoin pool: $5k input-side depth (about 30 SOL of virtual reserve), 0.25 % fee, so $50
  // moves it 1 % and passes the gate. Drift 0: the whole 12 % is slack. Regime peak only to get more
  // attacks per draw; the loss given an attack does not depend on the regime.
  const trade: MevTrade = {
    tradeUsd: 50,
    tolerance: 0.12,
    drift: 0,
    poolFee: 0.0025,
    inputDepthUsd: 5_000,
    protection: 'PUBLIC',
    assetClass: 'meme',
    regime: 'peak',
    priorityFeeLamports: 10_000n,
  };

  it('mean and median loss of the attacked, filled swaps are within $4.50 - $5.50 and never above the $6 slack', () => {
    const mc = monteCarlo(trade, 60_000, 4_000_000n);
    const losses = mc.filledLossesUsd;
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    console.log(`$50 memecoin at 12 %: ${losses.length} filled attacks, mean loss $${mean.toFixed(2)}, median $${median(losses).toFixed(2)}`);
    expect(losses.length).toBeGreaterThan(4_000);
    expect(mean).toBeGreaterThan(4.5);
    expect(mean).toBeLessThan(5.5);
    expect(median(losses)).toBeGreaterThan(4.5);
    expect(median(losses)).toBeLessThan(5.5);
    expect(Math.max(...losses)).toBeLessThanOrEqual(6);
  });
});

describe('seeded draws', () => {
  // High-probability case so rates are measurable: memecoin, bot default route, peak regime, 20 % slippage.
  const hot: MevTrade = {
    tradeUsd: 500,
    tolerance: 0.2,
    drift: 0,
    poolFee: 0.0025,
    inputDepthUsd: 20_000,
    protection: 'PUBLIC',
    route: 'bot_default',
    assetClass: 'meme',
    regime: 'peak',
    priorityFeeLamports: 0n,
  };

  it('the same seed gives the same outcome, draw for draw', () => {
    for (let i = 0n; i < 2_000n; i++) {
      const a = simulateSandwich({ ...hot, rng: createRng(i, 'mev') });
      const b = simulateSandwich({ ...hot, rng: createRng(i, 'mev') });
      expect(b).toEqual(a);
    }
  });

  it('different seeds give independent draws: attack, revert and phi rates match the model over 100,000 seeds', () => {
    const n = 100_000;
    const p = simulateSandwich({ ...hot, rng: createRng(0n, 'mev') }).probability;
    const attackedFlags: boolean[] = [];
    let reverted = 0;
    let phiSum = 0;
    let filled = 0;
    const slackUsd = hot.tradeUsd * hot.tolerance;
    for (let i = 0; i < n; i++) {
      const sim = simulateSandwich({ ...hot, rng: createRng(5_000_000n + BigInt(i), 'mev') });
      attackedFlags.push(sim.attacked);
      if (sim.reverted) reverted++;
      if (sim.attacked && !sim.reverted) {
        filled++;
        phiSum += sim.lossUsd / slackUsd;
      }
    }
    const attacked = attackedFlags.filter(Boolean).length;
    let pairs = 0;
    for (let i = 1; i < n; i++) if (attackedFlags[i] === true && attackedFlags[i - 1] === true) pairs++;
    console.log(
      `hot trade p=${(p * 100).toFixed(2)} %: attacked ${attacked}/${n}, reverted ${reverted}/${attacked}, ` +
        `mean phi ${(phiSum / filled).toFixed(4)}, consecutive pairs ${pairs} (expected ${(p * p * (n - 1)).toFixed(0)})`,
    );
    expect(p).toBeGreaterThan(0.15);
    expect(zScore(attacked, n, p)).toBeLessThan(4);
    expect(zScore(reverted, attacked, DEFAULT_MEV_PARAMS.revertProbability)).toBeLessThan(4);
    // Beta(8.5, 1.5): mean 0.85, sd about 0.108.
    expect(Math.abs(phiSum / filled - 0.85)).toBeLessThan((4 * 0.108) / Math.sqrt(filled));
    // Neighbouring seeds are not correlated: both attacked about p^2 of the time.
    expect(zScore(pairs, n - 1, p * p)).toBeLessThan(4);
  });
});

describe('protection ordering: public > jito bundle > jito dontfront > private', () => {
  const trades: readonly (readonly [string, MevTrade])[] = [
    ['SOL/USDC 1 %', SOL_USDC],
    ['memecoin $500 at 15 %', { ...SOL_USDC, assetClass: 'meme', tradeUsd: 500, tolerance: 0.15, drift: 0.005, poolFee: 0.0025, inputDepthUsd: 30_000, regime: 'peak' }],
  ];

  it.each(trades)('%s: probability and expected loss (25,000 shared seeds) strictly decrease', (_name, trade) => {
    const byProtection = PROTECTIONS.map((protection) => monteCarlo({ ...trade, protection }, 25_000, 6_000_000n));
    console.log(
      `${_name}: ` +
        PROTECTIONS.map((pr, i) => `${pr} p=${((byProtection[i]?.probability ?? 0) * 100).toFixed(3)} % loss=$${byProtection[i]?.meanLossUsd.toFixed(4)}`).join(', '),
    );
    for (let i = 1; i < PROTECTIONS.length; i++) {
      const prev = byProtection[i - 1];
      const cur = byProtection[i];
      if (prev === undefined || cur === undefined) throw new Error('missing result');
      expect(cur.probability).toBeLessThan(prev.probability);
      expect(cur.expectedLossUsd).toBeLessThan(prev.expectedLossUsd);
      expect(cur.meanLossUsd).toBeLessThan(prev.meanLossUsd);
    }
  });

  it('rfq routes are never attacked', () => {
    const sim = simulateSandwich({ ...SOL_USDC, route: 'rfq', rng: createRng(1n, 'mev') });
    expect(sim.probability).toBe(0);
  });
});

describe('warnings worth returning', () => {
  const warn = (t: MevTrade): readonly string[] => simulateSandwich({ ...t, rng: createRng(1n, 'mev') }).warnings;
  const has = (ws: readonly string[], prefix: string): boolean => ws.some((w) => w.startsWith(prefix));

  it('sandwichable names the slack in USD', () => {
    const ws = warn(SOL_USDC);
    expect(ws.find((w) => w.startsWith('sandwichable'))).toContain('$124.20');
    expect(has(warn({ ...SOL_USDC, tradeUsd: 100 }), 'sandwichable')).toBe(false);
  });

  it('tolerance over 3x impact plus drift', () => {
    expect(has(warn(SOL_USDC), 'slippage tolerance')).toBe(true); // 1 % vs 5 bp + 8 bp
    expect(has(warn({ ...SOL_USDC, tolerance: 0.003 }), 'slippage tolerance')).toBe(false); // 0.3 % vs 3 x 0.13 %
  });

  it('memecoin at 5 % or more', () => {
    const meme: MevTrade = { ...SOL_USDC, assetClass: 'meme' };
    expect(has(warn({ ...meme, tolerance: 0.05 }), 'memecoin')).toBe(true);
    expect(has(warn({ ...meme, tolerance: 0.049 }), 'memecoin')).toBe(false);
    expect(has(warn({ ...SOL_USDC, tolerance: 0.1 }), 'memecoin')).toBe(false);
  });

  it('unprotected route, and a priority fee over 500k lamports on it', () => {
    expect(has(warn(SOL_USDC), 'unprotected route')).toBe(true);
    expect(has(warn({ ...SOL_USDC, protection: 'JITO_BUNDLE' }), 'unprotected route')).toBe(false);
    expect(has(warn({ ...SOL_USDC, priorityFeeLamports: 500_001n }), 'priority fee')).toBe(true);
    expect(has(warn({ ...SOL_USDC, priorityFeeLamports: 500_000n }), 'priority fee')).toBe(false);
    expect(has(warn({ ...SOL_USDC, protection: 'PRIVATE', priorityFeeLamports: 900_000n }), 'priority fee')).toBe(false);
  });

  it('trade over 5 % of pool depth suggests splitting', () => {
    expect(warn({ ...SOL_USDC, inputDepthUsd: 200_000 }).some((w) => w.includes('splitting'))).toBe(true);
    expect(warn(SOL_USDC).some((w) => w.includes('splitting'))).toBe(false);
  });

  it('a reverted swap says no tokens were lost', () => {
    for (let i = 0n; ; i++) {
      const sim = simulateSandwich({ ...SOL_USDC, assetClass: 'meme', regime: 'peak', tolerance: 0.2, rng: createRng(i, 'mev') });
      if (!sim.reverted) continue;
      expect(sim.lossUsd).toBe(0);
      expect(sim.lossFraction).toBe(0);
      expect(has(sim.warnings, 'simulated sandwich made the swap revert')).toBe(true);
      break;
    }
  });
});

describe('properties', () => {
  const arbTrade: fc.Arbitrary<MevTrade> = fc.record({
    tradeUsd: fc.double({ min: 0, max: 1e7, noNaN: true }),
    tolerance: fc.double({ min: 0, max: 0.5, noNaN: true }),
    drift: fc.double({ min: -0.05, max: 0.3, noNaN: true }),
    poolFee: fc.double({ min: 0, max: 0.05, noNaN: true }),
    inputDepthUsd: fc.option(fc.double({ min: 1, max: 1e9, noNaN: true }), { nil: undefined }),
    priceImpact: fc.double({ min: 0, max: 0.5, noNaN: true }),
    protection: fc.constantFrom(...PROTECTIONS),
    assetClass: fc.constantFrom(...CLASSES),
    regime: fc.constantFrom(...REGIMES),
    priorityFeeLamports: fc.bigInt({ min: 0n, max: 999_999n }),
  });
  const arbSeed = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const arbParams: fc.Arbitrary<MevParams> = fc
    .record({
      attackerCostUsd: fc.double({ min: 0, max: 10, noNaN: true }),
      successRate: fc.double({ min: 0, max: 1, noNaN: true }),
      profitScaleUsd: fc.double({ min: 0.01, max: 100, noNaN: true }),
      baseExposure: fc.double({ min: 0, max: 1, noNaN: true }),
      regimeMultiplier: fc.record({ peak: fc.double({ min: 0, max: 50, noNaN: true }) }),
      revertProbability: fc.double({ min: 0, max: 1, noNaN: true }),
      coFlowUsd: fc.double({ min: 0, max: 1e5, noNaN: true }),
    })
    .map((o) => resolveMevParams(o));

  it('0 <= p <= 0.95 a_max, p = 0 exactly when the gate fails, and the risk level follows p', () => {
    fc.assert(
      fc.property(arbTrade, arbSeed, arbParams, (trade, seed, params) => {
        const sim = simulateSandwich({ ...trade, rng: createRng(seed, 'mev') }, params);
        expect(sim.probability).toBeGreaterThanOrEqual(0);
        expect(sim.probability).toBeLessThanOrEqual(EXPOSURE_CAP * params.successRate);
        if (sim.attackerProfitUsd <= 0) expect(sim.probability).toBe(0);
        expect(sim.riskLevel).toBe(riskLevel(sim.probability));
        if (sim.probability === 0) expect(sim.attacked).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });

  it('a sandwich never takes more than the slack: the attacked output stays at or above min out', () => {
    fc.assert(
      fc.property(arbTrade, arbSeed, (trade, seed) => {
        const hot = { ...trade, assetClass: 'meme' as const, regime: 'peak' as const, protection: 'PUBLIC' as const };
        const sim = simulateSandwich({ ...hot, rng: createRng(seed, 'mev') }, resolveMevParams({ baseExposure: 1, regimeMultiplier: { peak: 50 } }));
        const slack = Math.max(0, trade.tolerance - trade.drift);
        expect(sim.lossFraction).toBeGreaterThanOrEqual(0);
        expect(sim.lossFraction).toBeLessThanOrEqual(slack / (1 - trade.drift) + 1e-15);
        expect(sim.lossUsd).toBeLessThanOrEqual(sim.slackUsd);
        // out_attacked = (1 - d)(1 - lossFraction) of the expected output; min_out = (1 - s).
        expect((1 - trade.drift) * (1 - sim.lossFraction)).toBeGreaterThanOrEqual(1 - Math.max(trade.tolerance, trade.drift) - 1e-12);
        if (!sim.attacked || sim.reverted) {
          expect(sim.lossFraction).toBe(0);
          expect(sim.lossUsd).toBe(0);
        }
        if (sim.reverted) expect(sim.attacked).toBe(true);
        expect(sim.lossBps).toBeCloseTo(sim.lossFraction * 10_000, 9);
      }),
      { numRuns: 1_000 },
    );
  });

  it('for one seed, a more protected route is attacked only if the less protected one is (common random numbers)', () => {
    fc.assert(
      fc.property(arbTrade, arbSeed, (trade, seed) => {
        const sims = PROTECTIONS.map((protection) => simulateSandwich({ ...trade, protection, rng: createRng(seed, 'mev') }));
        for (let i = 1; i < sims.length; i++) {
          const prev = sims[i - 1];
          const cur = sims[i];
          if (prev === undefined || cur === undefined) throw new Error('missing');
          expect(cur.probability).toBeLessThanOrEqual(prev.probability);
          if (cur.attacked) {
            expect(prev.attacked).toBe(true);
            expect(prev.lossUsd).toBe(cur.lossUsd);
          }
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('p never falls as the regime heats up or the tolerance widens', () => {
    fc.assert(
      fc.property(arbTrade, fc.double({ min: 0, max: 0.2, noNaN: true }), (trade, extra) => {
        const p = (t: MevTrade): number => attackProbability(t, sandwichGate(t));
        const byRegime = REGIMES.map((regime) => p({ ...trade, regime }));
        expect(byRegime[1]).toBeGreaterThanOrEqual(byRegime[0] ?? 0);
        expect(byRegime[2]).toBeGreaterThanOrEqual(byRegime[1] ?? 0);
        expect(p({ ...trade, tolerance: Math.min(0.99, trade.tolerance + extra) })).toBeGreaterThanOrEqual(p(trade));
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('resolveMevParams', () => {
  it('returns the reference defaults with no overrides', () => {
    expect(resolveMevParams()).toEqual(DEFAULT_MEV_PARAMS);
    expect(DEFAULT_MEV_PARAMS).toMatchObject({
      attackerCostUsd: 0.05,
      successRate: 0.89,
      profitScaleUsd: 1,
      baseExposure: 0.015,
      regimeMultiplier: { current: 1, mid_2025: 2.5, peak: 6 },
      routeMultiplier: { public: 1, bot_default: 1.3, jito_bundle: 0.6, jito_dontfront: 0.35, private: 0.2, rfq: 0 },
      assetMultiplier: { major: 0.3, stable: 0.3, mid: 0.6, meme: 1 },
      priorityMultiplier: { lowBelowLamports: 50_000, highAboveLamports: 500_000, low: 1, mid: 0.85, high: 0.75 },
      slippageElasticity: 0.25,
      phi: { alpha: 8.5, beta: 1.5 },
      revertProbability: 0.05,
      coFlowUsd: 0,
    });
  });

  it('merges nested overrides key by key', () => {
    const p = resolveMevParams({ baseExposure: 0.02, regimeMultiplier: { peak: 5 } });
    expect(p.baseExposure).toBe(0.02);
    expect(p.regimeMultiplier).toEqual({ current: 1, mid_2025: 2.5, peak: 5 });
    expect(p.routeMultiplier).toEqual(DEFAULT_MEV_PARAMS.routeMultiplier);
  });

  it.each([
    [{ baseExpsure: 0.02 }, /mev\.baseExpsure: unknown MEV parameter/],
    [{ successRate: 1.2 }, /mev\.successRate: must be a number between 0 and 1, got 1\.2/],
    [{ profitScaleUsd: 0 }, /mev\.profitScaleUsd: must be a number between 0 \(excluded\)/],
    [{ attackerCostUsd: '0.05' }, /mev\.attackerCostUsd: must be a number .* got "0\.05"/],
    [{ revertProbability: Number.NaN }, /mev\.revertProbability: .* got NaN/],
    [{ regimeMultiplier: { peak: -1 } }, /mev\.regimeMultiplier\.peak: must be a number between 0 and 1000, got -1/],
    [{ routeMultiplier: { jito: 0.5 } }, /mev\.routeMultiplier\.jito: unknown key/],
    [{ phi: { alpha: 0.5 } }, /mev\.phi\.alpha: must be a number between 1 and 1000, got 0\.5/],
    [{ priorityMultiplier: { lowBelowLamports: 1.5 } }, /mev\.priorityMultiplier\.lowBelowLamports: must be a whole number/],
    [{ priorityMultiplier: { lowBelowLamports: 600_000 } }, /lowBelowLamports \(600000\) must not exceed highAboveLamports \(500000\)/],
    [{ assetMultiplier: 3 }, /mev\.assetMultiplier: must be an object, got 3/],
    [[], /mev: must be an object/],
  ])('rejects %j, naming the key and value', (overrides, message) => {
    expect(() => resolveMevParams(overrides)).toThrow(message);
  });

  it('rejects malformed trade inputs with the field name', () => {
    const rng = createRng(1n, 'mev');
    expect(() => simulateSandwich({ ...SOL_USDC, tolerance: Number.NaN, rng })).toThrow(/tolerance/);
    expect(() => simulateSandwich({ ...SOL_USDC, inputDepthUsd: 0, rng })).toThrow(/inputDepthUsd/);
    expect(() => simulateSandwich({ ...SOL_USDC, tradeUsd: -1, rng })).toThrow(/tradeUsd/);
    expect(() => simulateSandwich({ ...SOL_USDC, inputDepthUsd: undefined, rng })).toThrow(/inputDepthUsd or priceImpact/);
  });
});
