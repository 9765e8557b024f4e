import { createRng } from '../domain/rng.js';

const SECONDS_PER_YEAR = 365 * 86_400;
const TWO_POW_32 = 4_294_967_296;
/** Steps per coarse block (10 minutes): bounds the fine steps any one query can cost. */
export const WALK_BLOCK_STEPS = 600;

/**
 * A seeded Ornstein-Uhlenbeck walk of a log price in 1-second steps, x(0) = 0: the exact discretisation
 * x(n) = a x(n-1) + s Z(n), a = e^-theta, of dx = -theta x dt + sigma dW.
 *
 * Two requirements shape it. x(n) must be a pure function of (seed, stream, n), whatever the order or
 * frequency of queries: every shock is a counter-based hash of (stream key, index), never a draw from
 * a stateful generator, and any value is recomputed by the same float operations in the same order.
 * And a query after a long idle gap must stay cheap: instead of iterating every second since the
 * epoch, the walk is built on two levels. Block boundaries (every WALK_BLOCK_STEPS) follow the exact
 * coarse AR(1) x((k+1)B) = a^B x(kB) + S Zc(k+1); inside a block, each second is drawn from the exact
 * OU bridge towards the next boundary. The joint law is exactly the 1-second OU walk, and a query costs
 * at most (blocks since the last query) + B steps. The last position is cached and advanced
 * incrementally; asking for an earlier step replays from 0, giving the identical floats.
 */
export interface LogWalk {
  /** Log deviation from the reference level at step n (an integer >= 0). */
  at(n: number): number;
}

export interface LogWalkParams {
  readonly annualVol: number;
  readonly halfLifeS: number;
}

/** Per-parameter constants: the bridge step for m steps remaining, m = 1..B, precomputed. */
interface Bridge {
  readonly a: number;
  readonly blockDecay: number;
  readonly blockSd: number;
  /** gain[m]: weight of the gap to the boundary; decayTo[m] = a^m; sd[m]: shock size. */
  readonly gain: Float64Array;
  readonly decayTo: Float64Array;
  readonly sd: Float64Array;
}

export function createLogWalk(seed: bigint, stream: string, params: LogWalkParams): LogWalk {
  const br = bridgeFor(params);
  // The seeded generator only picks the hash keys; after that no generator state exists.
  const rng = createRng(seed, stream);
  const key = (): number => (rng.next() * TWO_POW_32) >>> 0;
  const [c0, c1, c2, f0, f1, f2] = [key(), key(), key(), key(), key(), key()];
  let block = 0;
  let start = 0; // x at the start of `block`
  let end = br.blockSd * normalAt(c0, c1, c2, 1); // x at the start of block + 1
  let step = 0; // absolute step of `x`, inside `block`
  let x = 0;
  return {
    at(n) {
      if (n < step) {
        block = 0;
        start = 0;
        end = br.blockSd * normalAt(c0, c1, c2, 1);
        step = 0;
        x = 0;
      }
      const target = Math.floor(n / WALK_BLOCK_STEPS);
      if (target > block) {
        while (block < target) {
          block++;
          start = end;
          end = br.blockDecay * start + br.blockSd * normalAt(c0, c1, c2, block + 1);
        }
        step = block * WALK_BLOCK_STEPS;
        x = start;
      }
      while (step < n) {
        const m = (block + 1) * WALK_BLOCK_STEPS - step;
        step++;
        x = br.a * x + (br.gain[m] ?? 0) * (end - (br.decayTo[m] ?? 0) * x) + (br.sd[m] ?? 0) * normalAt(f0, f1, f2, step);
      }
      return x;
    },
  };
}

const bridges = new Map<string, Bridge>();

function bridgeFor(p: LogWalkParams): Bridge {
  const cacheKey = `${p.annualVol}:${p.halfLifeS}`;
  let br = bridges.get(cacheKey);
  if (br !== undefined) return br;
  const theta = Math.LN2 / p.halfLifeS;
  const a = Math.exp(-theta);
  const sigma = p.annualVol / Math.sqrt(SECONDS_PER_YEAR);
  // Variance of one step, and of x(j+m) given x(j): q (1 - a^2m) / (1 - a^2), via expm1 for precision.
  const q = (sigma * sigma * -Math.expm1(-2 * theta)) / (2 * theta);
  const spread = (m: number): number => (q * Math.expm1(-2 * theta * m)) / Math.expm1(-2 * theta);
  const gain = new Float64Array(WALK_BLOCK_STEPS + 1);
  const decayTo = new Float64Array(WALK_BLOCK_STEPS + 1);
  const sd = new Float64Array(WALK_BLOCK_STEPS + 1);
  for (let m = 1; m <= WALK_BLOCK_STEPS; m++) {
    // Gaussian conditioning of x(j+1) on the boundary x(j+m): gain K = q a^(m-1) / V(m).
    const am1 = Math.exp(-theta * (m - 1));
    const k = (q * am1) / spread(m);
    gain[m] = k;
    decayTo[m] = am1 * a;
    sd[m] = Math.sqrt(Math.max(0, q * (1 - k * am1)));
  }
  br = { a, blockDecay: Math.exp(-theta * WALK_BLOCK_STEPS), blockSd: Math.sqrt(spread(WALK_BLOCK_STEPS)), gain, decayTo, sd };
  bridges.set(cacheKey, br);
  return br;
}

/** murmur3's 32-bit finaliser: a fast bijective mixer with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Standard normal for counter n under keys k0..k2 (Box-Muller on two hashed uniforms). */
export function normalAt(k0: number, k1: number, k2: number, n: number): number {
  const lo = n >>> 0;
  const hi = Math.floor(n / TWO_POW_32) >>> 0;
  const h1 = fmix32(fmix32(lo ^ k0) ^ hi ^ k1);
  const h2 = fmix32(h1 ^ k2);
  const u1 = (h1 + 1) / TWO_POW_32; // (0, 1]: log stays finite
  const u2 = h2 / TWO_POW_32;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
