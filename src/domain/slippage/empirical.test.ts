import { describe, expect, it } from 'vitest';
import { isExecutorError } from '../errors.js';
import { ratio, ZERO } from '../ratio.js';
import type { JsonValue } from '../request.js';
import { createRng } from '../rng.js';
import { toBps } from './bps.js';
import { empiricalModelFactory, parseEmpiricalModel, signedFractionFromBps, type EmpiricalModelData } from './empirical.js';
import { fixedRng, makeContext, tokenOf } from '../../../test/support/slippage.js';

/** 101 levels rising linearly from `lo` to `hi` bps. */
const linear = (lo: number, hi: number): number[] => Array.from({ length: 101 }, (_, i) => lo + ((hi - lo) * i) / 100);
const BONK = tokenOf('BONK');

const raw = (tables: JsonValue[], extra: Record<string, JsonValue> = {}): Record<string, JsonValue> => ({
  version: 1,
  horizonSlots: 1,
  fittedOn: 'test',
  sizeBucketsBps: [10],
  tables,
  ...extra,
});
const model = (tables: JsonValue[]): EmpiricalModelData => parseEmpiricalModel(raw(tables), 'slippage.model');
const fieldOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (isExecutorError(e, 'INVALID_ARGUMENT')) return e.context.field;
    throw e;
  }
  return undefined;
};

describe('signed fractions', () => {
  it('round toward the trader\'s loss on the 1e-6 bps grid and cap at 4,999 bps either way', () => {
    // 1 bps = 1,000,000 granules of 1e-10.
    expect(signedFractionFromBps(1.0000004)).toEqual(ratio(1_000_001n, 10_000_000_000n));
    expect(signedFractionFromBps(-1.0000004)).toEqual(ratio(-1_000_000n, 10_000_000_000n));
    expect(signedFractionFromBps(-9_000)).toEqual(ratio(-4_999_000_000n, 10_000_000_000n));
    expect(toBps(signedFractionFromBps(-9_000))).toBe(-4_999);
    expect(signedFractionFromBps(0)).toBe(ZERO);
  });
});

describe('empirical model', () => {
  const m = model([
    { class: 'meme', side: 'buy', bucket: 0, n: 40, quantilesBps: linear(-100, 100) },
    { class: 'meme', side: 'sell', bucket: 0, n: 40, quantilesBps: linear(0, 10) },
    { class: 'meme', side: 'buy', bucket: 1, n: 40, quantilesBps: linear(500, 600) },
    { token: BONK.mint, side: 'buy', bucket: 0, n: 40, quantilesBps: linear(1_000, 2_000) },
  ]);
  const apply = (u: number, o: Parameters<typeof makeContext>[0] = {}) => empiricalModelFactory(m).create({}, 'slippage_model').apply(makeContext({ rng: fixedRng(u), ...o }));

  it('draws Q(u) from the class table: a favourable move is a negative fraction', () => {
    // WIF/SOL buy (receives WIF), $1,000 on $600M depth: bucket 0 of the meme class's buy table.
    const r = apply(0.25, { base: 'WIF', quote: 'SOL' });
    expect(toBps(r.fraction)).toBe(-50);
    expect(r.explanation).toMatch(/50 bps in the trade's favour/);
    expect(r.explanation).toMatch(/meme class \(buy, size under 10 bps of depth/);
    expect(toBps(apply(0.75, { base: 'WIF', quote: 'SOL' }).fraction)).toBe(50);
  });

  it('takes a token\'s own table over its class\'s, the sell side for a trade that pays the token, and the size bucket', () => {
    expect(toBps(apply(0.5, { base: 'BONK', quote: 'SOL' }).fraction)).toBe(1_500);
    const sell = empiricalModelFactory(m).create({}, 'slippage_model').apply({ ...makeContext({ base: 'BONK', quote: 'SOL', rng: fixedRng(0.5) }), input: BONK, output: tokenOf('SOL') });
    expect(toBps(sell.fraction)).toBe(5);
    // $1M on $600M depth is 16.7 bps of depth: bucket 1.
    expect(toBps(apply(0.5, { base: 'WIF', quote: 'SOL', tradeUsd: 1_000_000 }).fraction)).toBe(550);
  });

  it('charges nothing, and says so, for a pair no table covers', () => {
    const r = apply(0.9, { base: 'SOL', quote: 'USDC' });
    expect(r.fraction).toBe(ZERO);
    expect(r.explanation).toMatch(/no fitted table for SOL\/USDC/);
  });

  it('is reproducible from the seed and spreads draws over the table', () => {
    const mm = empiricalModelFactory(m).create({}, 'slippage_model');
    const draw = (seed: bigint) => mm.apply(makeContext({ base: 'WIF', quote: 'SOL', rng: createRng(seed, 'slippage') })).fraction;
    expect(draw(7n)).toEqual(draw(7n));
    const bps = Array.from({ length: 2_000 }, (_, i) => toBps(draw(BigInt(i))));
    const above = bps.filter((b) => b > 50).length / bps.length;
    expect(above).toBeGreaterThan(0.22);
    expect(above).toBeLessThan(0.28);
    expect(bps.every((b) => b >= -100 && b <= 100)).toBe(true);
  });

  it('names itself by digest: a spec with another digest is refused', () => {
    const f = empiricalModelFactory(m);
    expect(f.create({ sha256: m.digest }, 'slippage_model').name).toBe('empirical');
    expect(fieldOf(() => f.create({ sha256: '0000000000000000' }, 'slippage_model'))).toBe('slippage_model.params.sha256');
    expect(fieldOf(() => f.create({ file: 'x.yaml' }, 'slippage_model'))).toBe('slippage_model.params.file');
    expect(m.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(model([{ class: 'meme', side: 'buy', bucket: 0, n: 40, quantilesBps: linear(-100, 101) }]).digest).not.toBe(m.digest);
  });
});

describe('model validation names the path of every problem', () => {
  const good = { class: 'meme', side: 'buy', bucket: 0, n: 40, quantilesBps: linear(0, 1) };
  it.each([
    ['slippage.model.params.version', raw([good], { version: 2 })],
    ['slippage.model.params.horizonSlots', raw([good], { horizonSlots: -1 })],
    ['slippage.model.params.sizeBucketsBps[1]', raw([good], { sizeBucketsBps: [10, 5] })],
    ['slippage.model.params.colour', raw([good], { colour: 'red' })],
    ['slippage.model.params.tables', raw([])],
    ['slippage.model.params.tables[0].side', raw([{ ...good, side: 'hold' }])],
    ['slippage.model.params.tables[0].class', raw([{ ...good, class: 'memes' }])],
    ['slippage.model.params.tables[0].token', raw([{ side: 'buy', bucket: 0, n: 40, quantilesBps: linear(0, 1), token: 'not-a-mint' }])],
    ['slippage.model.params.tables[0]', raw([{ ...good, token: BONK.mint }])],
    ['slippage.model.params.tables[0].bucket', raw([{ ...good, bucket: 2 }])],
    ['slippage.model.params.tables[0].n', raw([{ ...good, n: 0 }])],
    ['slippage.model.params.tables[0].quantilesBps', raw([{ ...good, quantilesBps: linear(0, 1).slice(1) }])],
    ['slippage.model.params.tables[0].quantilesBps[7]', raw([{ ...good, quantilesBps: linear(0, 1).map((v, i) => (i === 7 ? -1 : v)) }])],
    ['slippage.model.params.tables[0].quantilesBps[84]', raw([{ ...good, quantilesBps: linear(0, 6_000) }])],
    ['slippage.model.params.tables[1]', raw([good, { ...good }])],
    ['slippage.model.params.tables[0].extra', raw([{ ...good, extra: 1 }])],
  ])('refuses a bad value at %s', (path, params) => {
    const cleaned = JSON.parse(JSON.stringify(params)) as Record<string, JsonValue>;
    expect(fieldOf(() => parseEmpiricalModel(cleaned, 'slippage.model'))).toBe(path);
  });
});
