/**
 * A circuit breaker for one endpoint. Closed: requests flow, consecutive failures are counted. After
 * `failureThreshold` of them it opens: the endpoint is skipped (failover goes to the next one) for
 * `openMs`. Then it lets exactly one probe through (half-open): success closes it, failure opens it
 * again for another `openMs`. So a dead endpoint costs one request per `openMs`, not one per trade.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 3. */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before a probe. Default 10,000 ms. */
  readonly openMs?: number;
  /** Called on every state change (logs, metrics). */
  readonly onStateChange?: (from: BreakerState, to: BreakerState) => void;
}

export interface CircuitBreaker {
  /** May a request go now? In half-open this admits the single probe and refuses the rest. */
  allow(nowMs: number): boolean;
  success(): void;
  failure(nowMs: number): void;
  /** The admitted request ended without a verdict on health (a 429, a local rate limit): free the probe. */
  release(): void;
  state(): BreakerState;
}

export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const threshold = options.failureThreshold ?? 3;
  const openMs = options.openMs ?? 10_000;
  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probeInFlight = false;

  const move = (to: BreakerState): void => {
    if (to === state) return;
    const from = state;
    state = to;
    options.onStateChange?.(from, to);
  };

  return {
    allow(now) {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (now - openedAt < openMs) return false;
        move('half-open');
        probeInFlight = false;
      }
      if (probeInFlight) return false;
      probeInFlight = true;
      return true;
    },
    success() {
      failures = 0;
      probeInFlight = false;
      move('closed');
    },
    failure(now) {
      failures++;
      probeInFlight = false;
      if (state === 'half-open' || failures >= threshold) {
        openedAt = now;
        move('open');
      }
    },
    release() {
      probeInFlight = false;
    },
    state: () => state,
  };
}
