/**
 * Time as the market layer sees it: a clock for "now" and for waiting. Retries, backoff, rate limits
 * and circuit breakers all read it, so a test can inject a fake clock whose sleeps advance virtual
 * time at once and assert exact delays without waiting for them.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds (at once for ms <= 0). */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => (ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms))),
};

/**
 * A clock for tests: sleeps return at once and move virtual time forward by the amount slept, and
 * every sleep is recorded so a test can assert the exact backoff sequence.
 */
export interface FakeClock extends Clock {
  readonly sleeps: number[];
  advance(ms: number): void;
  set(ms: number): void;
}

export function createFakeClock(startMs = 1_700_000_000_000): FakeClock {
  let t = startMs;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep(ms) {
      if (ms > 0) {
        sleeps.push(ms);
        t += ms;
      }
      return Promise.resolve();
    },
    advance(ms) {
      t += ms;
    },
    set(ms) {
      t = ms;
    },
  };
}
