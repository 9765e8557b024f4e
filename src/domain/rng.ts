import { hash } from 'node:crypto';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * Seeded randomness. A trade's seed is derived from (configured seed, request_id) and recorded on the
 * trade; each consumer (slippage, landing delay, MEV) draws from its own named stream of that seed, so
 * adding a draw to one model never shifts another's, and a replay reproduces every draw bit for bit.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Beta(a, b) for a, b >= 1 (via two gamma draws, Marsaglia-Tsang). */
  beta(a: number, b: number): number;
}

const UINT64_MASK = (1n << 64n) - 1n;

/** The trade's seed: the first 8 bytes of SHA-256("<configured seed>:<request_id>") as a uint64. */
export function deriveSeed(configSeed: bigint, requestId: string): bigint {
  // crypto.hash: the same digest as createHash().update().digest(), without a Hash object per call.
  const h = hash('sha256', `${configSeed}:${requestId}`, 'buffer');
  return h.readBigUInt64BE(0) & UINT64_MASK;
}

/**
 * A generator for one named stream of `seed`. The stream's state is derived on the first draw, so a
 * model that draws nothing (fixed slippage) costs no hashing.
 */
export function createRng(seed: bigint, stream: string): Rng {
  let g: RandomGenerator | undefined;
  const generator = (): RandomGenerator => {
    if (!g) {
      const h = hash('sha256', `${seed}:${stream}`, 'buffer');
      const state: number[] = [h.readInt32BE(0), h.readInt32BE(4), h.readInt32BE(8), h.readInt32BE(12)];
      if (!state.some((x) => x !== 0)) state[0] = 1; // xoroshiro's all-zero state is a fixed point
      g = xoroshiro128plusFromState(state);
    }
    return g;
  };
  return fromGenerator(generator);
}

function fromGenerator(g: () => RandomGenerator): Rng {
  let spare: number | undefined;
  const next = (): number => uniformFloat64(g());
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const gamma = (shape: number): number => {
    // Marsaglia and Tsang (2000), valid for shape >= 1.
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = next();
      if (u < 1 - 0.0331 * x ** 4) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  };
  return {
    next,
    normal,
    beta(a, b) {
      if (a < 1 || b < 1) throw new RangeError('beta: shapes below 1 are not supported');
      const x = gamma(a);
      return x / (x + gamma(b));
    },
  };
}
