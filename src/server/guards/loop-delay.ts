/**
 * Admission by event-loop delay (`server.maxEventLoopDelayMs`). The in-flight bound caps the work the
 * server has taken on; it does not see work waiting to be read (socket, HTTP/2, grpc-js) or the loop
 * being busy with something else (a snapshot write, GC, reads, another process on the core). While
 * the loop runs late, every call read from that backlog has already waited for it, and taking on a
 * trade only makes the next one later. So, while the loop is late by more than the limit, trades are
 * refused at once (RESOURCE_EXHAUSTED, OVERLOADED) for the price of a refusal, the backlog drains,
 * and the calls that are admitted start on a loop that keeps up.
 *
 * How it is measured: a drift timer. One unref'd timer is due every PROBE_INTERVAL_MS and records
 * how late it actually ran; that is how long the loop was busy past the due time, and it is known in
 * the first timers phase after the busy stretch, before the next batch of calls is read. A
 * `perf_hooks.monitorEventLoopDelay` histogram measures the same thing natively, but it is a
 * distribution over a window that would still have to be read and reset from a JS timer of our own;
 * admission needs only the latest values, and this costs one callback per 10 ms and no allocation.
 * (prom-client's default metrics keep exporting that histogram as `nodejs_eventloop_lag_*`.)
 *
 * The reading is the smaller of the last two probes: the loop must be late twice in a row, i.e.
 * lagging for at least two loop turns. One stall (a GC pause, a snapshot write, the process being
 * descheduled, a burst read in one go) is over when it is measured and refusing after it would only
 * turn away calls the loop can now serve; a loop that cannot keep up is late on every probe.
 *
 * It does not replace a small in-flight bound: a backlog read in one go is admitted before its cost
 * shows up as delay, so bounded latency past capacity needs `server.maxInFlight` near throughput x
 * latency budget (measured in docs/hardening.md, "Overload and metrics").
 */

/**
 * Default `server.maxEventLoopDelayMs`: off. A strategy that sends 1,000 trades at once expects every
 * one answered, late if need be, as the live trader would; shedding by delay is for deployments that
 * prefer fast refusals. 50 ms (half a 100 ms budget, well above how late a loop that keeps up runs)
 * is what the overload benchmark uses.
 */
export const DEFAULT_MAX_EVENT_LOOP_DELAY_MS = 0;

/** How often the loop is probed. */
const PROBE_INTERVAL_MS = 10;

export interface LoopDelayMonitor {
  /** How late the loop has been, in ms: the smaller of the last two probes (0 until there are two). */
  readonly delayMs: number;
  /** Stops probing (idempotent); the reading keeps its last value. */
  stop(): void;
}

export function createLoopDelayMonitor(intervalMs = PROBE_INTERVAL_MS): LoopDelayMonitor {
  let delayMs = 0;
  let previous = 0;
  let due = performance.now() + intervalMs;
  const timer = setTimeout(function probe() {
    const now = performance.now();
    const late = Math.max(0, now - due);
    delayMs = Math.min(late, previous);
    previous = late;
    due = now + intervalMs;
    timer.refresh(); // the same timer, due `intervalMs` from now
  }, intervalMs);
  // Never keeps the process alive by itself (a server that was not shut down, a test).
  timer.unref();
  return {
    get delayMs() {
      return delayMs;
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
