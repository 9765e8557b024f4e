/**
 * Bounded in-flight work. Past the bound a call is refused at once (RESOURCE_EXHAUSTED) rather than
 * queued: a queue in front of a saturated executor only turns every answer into a timeout, while an
 * immediate refusal lets the client back off or go elsewhere, and keeps accepted latency bounded.
 * It also tells shutdown when the last admitted call has finished.
 */
export interface InFlightLimiter {
  /** Counts a call in; false when `max` are already in flight. */
  tryAcquire(): boolean;
  release(): void;
  readonly count: number;
  readonly max: number;
  /** Resolves when nothing is in flight (at once if nothing is). */
  idle(): Promise<void>;
}

export function createInFlightLimiter(max: number): InFlightLimiter {
  let count = 0;
  let waiters: (() => void)[] = [];
  return {
    max,
    get count() {
      return count;
    },
    tryAcquire() {
      if (count >= max) return false;
      count++;
      return true;
    },
    release() {
      if (count === 0) return;
      count--;
      if (count === 0 && waiters.length > 0) {
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      }
    },
    idle() {
      return count === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}
