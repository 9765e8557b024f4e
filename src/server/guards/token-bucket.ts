/**
 * A token bucket: `ratePerSec` tokens a second, at most `burst` saved up. Refilled lazily on each
 * take from a monotonic clock, so an idle key costs nothing and no timer runs.
 */
export interface TokenBucket {
  /** Takes one token; false when none is left (the caller answers RESOURCE_EXHAUSTED). */
  tryTake(): boolean;
}

export function createTokenBucket(ratePerSec: number, burst: number, now: () => number = () => performance.now()): TokenBucket {
  const perMs = ratePerSec / 1000;
  let tokens = burst;
  let last = now();
  return {
    tryTake() {
      const t = now();
      tokens = Math.min(burst, tokens + (t - last) * perMs);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
