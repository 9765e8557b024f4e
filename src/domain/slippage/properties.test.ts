import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cmp, fromNumber, ZERO } from '../ratio.js';
import { createRng } from '../rng.js';
import { MAX_SLIPPAGE } from './bps.js';
import { cpmmModel } from './cpmm.js';
import { fixedModel } from './fixed.js';
import { LANDING_DEFAULTS, landingDrift } from './landing.js';
import type { SlippageModel } from './model.js';
import { quoteModel } from './quote.js';
import { randomModel } from './random.js';
import { sqrtModel } from './sqrt.js';
import { makeContext, tokenOf } from '../../../test/support/slippage.js';
import type { ContextOptions } from '../../../test/support/slippage.js';

/** Every model, with its defaults and with params drawn across their documented ranges. */
const models = fc.oneof(
  fc.integer({ min: 0, max: 4_999 }).map((bps) => fixedModel.create({ bps }, 'm')),
  fc.record({ driftBps: fc.double({ min: 0, max: 500, noNaN: true }), jitter: fc.double({ min: 0, max: 1, noNaN: true }) }).map((p) => quoteModel.create(p, 'm')),
  fc.record({ reserveShare: fc.double({ min: 0.01, max: 1, noNaN: true }), depthUsd: fc.double({ min: 0, max: 1e12, noNaN: true }) }).map((p) => cpmmModel.create(p, 'm')),
  fc.record({ k: fc.double({ min: 0, max: 10, noNaN: true }), volatility: fc.double({ min: 0, max: 20, noNaN: true }) }).map((p) => sqrtModel.create(p, 'm')),
  fc
    .tuple(fc.double({ min: 0, max: 2_499, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([base, f]) => randomModel.create({ baseBps: base, spreadBps: base * f }, 'm')),
);
const impactModels = fc.oneof(
  fc.constant(cpmmModel.create({}, 'm')),
  fc.constant(sqrtModel.create({}, 'm')),
  fc.double({ min: 0.01, max: 1, noNaN: true }).map((reserveShare) => cpmmModel.create({ reserveShare }, 'm')),
  fc.double({ min: 0, max: 10, noNaN: true }).map((k) => sqrtModel.create({ k }, 'm')),
);

const PAIRS = [
  ['SOL', 'USDC'],
  ['JUP', 'USDC'],
  ['BONK', 'SOL'],
  ['USDT', 'USDC'],
  ['WIF', 'JUP'],
] as const;

const contexts = fc.record({
  pair: fc.constantFrom(...PAIRS),
  tradeUsd: fc.double({ min: 0, max: 1e9, noNaN: true }),
  priceImpact: fc.double({ min: 0, max: 0.5, noNaN: true }),
  liquidityUsd: fc.option(fc.double({ min: 1, max: 1e11, noNaN: true }), { nil: null }),
  quoted: fc.boolean(),
  seed: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});
type Drawn = typeof contexts extends fc.Arbitrary<infer T> ? T : never;
const options = (c: Drawn): ContextOptions => ({ ...c, base: c.pair[0], quote: c.pair[1] });
const apply = (m: SlippageModel, o: ContextOptions) => m.apply(makeContext(o));

describe('every slippage model', () => {
  it('is adverse and bounded: 0 <= s <= 4,999 bps', () => {
    fc.assert(
      fc.property(models, contexts, (m, c) => {
        const { fraction } = apply(m, options(c));
        return cmp(fraction, ZERO) >= 0 && cmp(fraction, MAX_SLIPPAGE) <= 0;
      }),
    );
  });

  it('gives the same bps and explanation for the same seed', () => {
    fc.assert(
      fc.property(models, contexts, (m, c) => {
        const a = apply(m, { ...options(c), rng: createRng(c.seed, 'slippage') });
        const b = apply(m, { ...options(c), rng: createRng(c.seed, 'slippage') });
        expect(a).toEqual(b);
      }),
    );
  });

  it('explains itself in one line', () => {
    fc.assert(fc.property(models, contexts, (m, c) => !apply(m, options(c)).explanation.includes('\n')));
  });
});

describe('the impact models (cpmm, sqrt, quote)', () => {
  it('charge nothing for a zero-size trade', () => {
    fc.assert(fc.property(impactModels, contexts, (m, c) => apply(m, { ...options(c), tradeUsd: 0 }).fraction.n === 0n));
    // quote: the market reports no impact at zero size, and with no drift configured nothing is added.
    const q = quoteModel.create({ driftBps: 0 }, 'm');
    fc.assert(fc.property(contexts, (c) => apply(q, { ...options(c), tradeUsd: 0, priceImpact: 0 }).fraction.n === 0n));
  });

  it('never charge less for a bigger trade', () => {
    fc.assert(
      fc.property(impactModels, contexts, fc.double({ min: 0, max: 1e9, noNaN: true }), (m, c, other) => {
        const [small, big] = c.tradeUsd <= other ? [c.tradeUsd, other] : [other, c.tradeUsd];
        return cmp(apply(m, { ...options(c), tradeUsd: small }).fraction, apply(m, { ...options(c), tradeUsd: big }).fraction) <= 0;
      }),
    );
  });

  it('quote never charges less for a bigger market impact (impact grows with size), same seed', () => {
    const q = quoteModel.create({}, 'm');
    fc.assert(
      fc.property(contexts, fc.double({ min: 0, max: 0.5, noNaN: true }), (c, other) => {
        const [lo, hi] = c.priceImpact <= other ? [c.priceImpact, other] : [other, c.priceImpact];
        const at = (impact: number) => apply(q, { ...options(c), quoted: false, priceImpact: fromNumber(impact), rng: createRng(c.seed, 'slippage') }).fraction;
        return cmp(at(lo), at(hi)) <= 0;
      }),
    );
  });
});

describe('the landing delay', () => {
  const on = { ...LANDING_DEFAULTS, enabled: true };
  const landing = fc.record({
    pair: fc.constantFrom(...PAIRS),
    fee: fc.bigInt({ min: 0n, max: 999_999n }),
    seed: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    scale: fc.double({ min: 0, max: 100, noNaN: true }),
  });
  const drift = (l: typeof landing extends fc.Arbitrary<infer T> ? T : never, fee = l.fee) =>
    landingDrift(
      { input: tokenOf(l.pair[0]), output: tokenOf(l.pair[1]), priorityFeeLamports: fee, rng: createRng(l.seed, 'landing') },
      { ...on, volatilityScale: l.scale },
    );

  it('drifts adversely, bounded, the same for the same seed', () => {
    fc.assert(
      fc.property(landing, (l) => {
        const a = drift(l);
        expect(a).toEqual(drift(l));
        expect(a.slots).toBeGreaterThanOrEqual(1);
        expect(a.slots).toBeLessThanOrEqual(150);
        return cmp(a.driftFraction, ZERO) >= 0 && cmp(a.driftFraction, MAX_SLIPPAGE) <= 0;
      }),
    );
  });

  it('never lands later for a higher priority fee (same seed)', () => {
    fc.assert(
      fc.property(landing, fc.bigInt({ min: 0n, max: 999_999n }), (l, other) => {
        const [lo, hi] = l.fee <= other ? [l.fee, other] : [other, l.fee];
        return drift(l, hi).slots <= drift(l, lo).slots;
      }),
    );
  });
});
