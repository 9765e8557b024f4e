/**
 * A token bucket per endpoint: at most `ratePerSec` requests a second on average, bursts of at most
 * `burst`. Callers reserve a slot and are told how long to wait for it; reservations queue in time
 * order (the bucket may go negative), so concurrent callers are spaced out instead of racing. A caller
 * that would wait longer than it is willing to gets no slot and fails over instead.
 */
export interface RateLimiter {
  /**
   * Reserves one request. Returns the wait in ms before sending (0 = now), or undefined when the wait
   * would exceed `maxWaitMs` (nothing is reserved then).
   */
  reserve(nowMs: number, maxWaitMs: number): number | undefined;
}

export function createRateLimiter(ratePerSec: number, burst = Math.max(1, Math.floor(ratePerSec))): RateLimiter {
  if (!(ratePerSec > 0)) throw new RangeError('rate limiter: ratePerSec must be positive');
  const msPerToken = 1000 / ratePerSec;
  let tokens = burst;
  let last: number | undefined;
  return {
    reserve(now, maxWaitMs) {
      if (last !== undefined) tokens = Math.min(burst, tokens + (now - last) / msPerToken);
      last = now;
      const wait = tokens >= 1 ? 0 : Math.ceil((1 - tokens) * msPerToken);
      if (wait > maxWaitMs) return undefined;
      tokens -= 1;
      return wait;
    },
  };
}
