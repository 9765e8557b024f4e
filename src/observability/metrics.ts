/**
 * Prometheus metrics on an own registry (never prom-client's global one, so two instances in one
 * process, as in tests, do not collide). The executor sees only its ExecutorMetricsSink port (which
 * `sink` satisfies), the journal its JournalMetricsSink (which `journal` satisfies); the transport gets
 * an RpcMetricsSink; later modules add gauges to `registry` themselves. This module imports none of
 * them: the composition root hands each part the sink it needs, and the compiler checks the shapes there.
 *
 * Hot path: labelled children are resolved once and cached, so an observation is a map lookup and
 * an add, with no label hashing per call.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** 10 us to 1 s: the pipeline's stages span cache hits (microseconds) to upstream fetches. */
export const STAGE_BUCKETS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/** The pipeline's stages (the executor's Stage), labelled up front; any other stage is labelled on first use. */
const STAGES: readonly string[] = ['validation', 'landing_wait', 'price_lookup', 'slippage', 'mev', 'portfolio_update', 'journal', 'total'];

/** What the gRPC transport reports: one observation per finished call. */
export interface RpcMetricsSink {
  /** code: the gRPC status name ("OK", "INVALID_ARGUMENT", ...). */
  observeRpc(method: string, code: string, seconds: number): void;
}

/** What the transport guards report (server/guards): refusals by code, and the in-flight count. */
export interface GuardMetricsSink {
  countRejection(code: string): void;
  /** Where pte_grpc_in_flight reads its value at each scrape. */
  setInFlightSource(read: () => number): void;
}

/** What the executor reports: stage durations, trades, errors, price lookups, side-path failures. */
export interface TradeMetricsSink {
  observeStage(stage: string, seconds: number): void;
  countTrade(action: string, status: string): void;
  countError(code: string): void;
  countPriceLookup(hit: boolean): void;
  countSideFailure(component: string): void;
}

/** What the durable journal reports: one group commit (fdatasync duration and size), failures, snapshots. */
export interface JournalSyncMetricsSink {
  observeSync(seconds: number, groupSize: number): void;
  countFailure(): void;
  countSnapshot(ok: boolean): void;
}

export interface Metrics {
  readonly registry: Registry;
  readonly sink: TradeMetricsSink;
  readonly rpc: RpcMetricsSink;
  /** The durable journal: fsync latency, group size, failures, snapshots. */
  readonly journal: JournalSyncMetricsSink;
  readonly guard: GuardMetricsSink;
}

/** 50 us to 1 s: an fdatasync on a fast SSD to a stalled disk. */
const SYNC_BUCKETS_SECONDS: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const GROUP_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export interface MetricsOptions {
  /**
   * Process metrics (CPU, memory, GC, and event-loop delay: prom-client's default set samples
   * perf_hooks.monitorEventLoopDelay into nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds).
   * Default true.
   */
  readonly defaultMetrics?: boolean;
}

/** Caches one child per label tuple; label values come from closed sets (stages, codes, actions). */
function cached<C>(make: (key: string) => C): (key: string) => C {
  const children = new Map<string, C>();
  return (key) => {
    let c = children.get(key);
    if (c === undefined) {
      c = make(key);
      children.set(key, c);
    }
    return c;
  };
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const stageHistogram = new Histogram({
    name: 'pte_stage_duration_seconds',
    help: 'Duration of each ExecuteTrade pipeline stage',
    labelNames: ['stage'] as const,
    buckets: [...STAGE_BUCKETS_SECONDS],
    registers,
  });
  const trades = new Counter({
    name: 'pte_trades_total',
    help: 'Trades booked, by action and status',
    labelNames: ['action', 'status'] as const,
    registers,
  });
  const errors = new Counter({
    name: 'pte_errors_total',
    help: 'Requests answered with an error, by executor error code',
    labelNames: ['code'] as const,
    registers,
  });
  const priceLookups = new Counter({
    name: 'pte_price_cache_lookups_total',
    help: 'Price lookups, by whether the cache answered',
    labelNames: ['result'] as const,
    registers,
  });
  const sideFailures = new Counter({
    name: 'pte_side_failures_total',
    help: 'Failures of side paths (MEV, recorder, cache) that did not fail the trade',
    labelNames: ['component'] as const,
    registers,
  });
  const rpcHistogram = new Histogram({
    name: 'pte_rpc_duration_seconds',
    help: 'gRPC call duration as seen by the server, by method and status',
    labelNames: ['method', 'code'] as const,
    buckets: [...STAGE_BUCKETS_SECONDS],
    registers,
  });

  const journalSync = new Histogram({
    name: 'pte_journal_fsync_seconds',
    help: 'Duration of one journal group commit fdatasync',
    buckets: [...SYNC_BUCKETS_SECONDS],
    registers,
  });
  const journalGroup = new Histogram({
    name: 'pte_journal_group_size',
    help: 'Records made durable by one fdatasync (group commit)',
    buckets: [...GROUP_BUCKETS],
    registers,
  });
  const journalFailures = new Counter({
    name: 'pte_journal_failures_total',
    help: 'Journal write or fdatasync failures (after one, no trade is accepted until a restart)',
    registers,
  });
  const journalSnapshots = new Counter({
    name: 'pte_journal_snapshots_total',
    help: 'Journal snapshots written, by result',
    labelNames: ['result'] as const,
    registers,
  });
  const snapshotOk = journalSnapshots.labels('ok');
  const snapshotFailed = journalSnapshots.labels('failed');
  const journal: JournalSyncMetricsSink = {
    observeSync(seconds, groupSize) {
      journalSync.observe(seconds);
      journalGroup.observe(groupSize);
    },
    countFailure() {
      journalFailures.inc();
    },
    countSnapshot(ok) {
      (ok ? snapshotOk : snapshotFailed).inc();
    },
  };

  const guardRejections = new Counter({
    name: 'pte_guard_rejections_total',
    help: 'Calls refused before the executor (auth, rate limit, in-flight bound, metadata size, draining), by code',
    labelNames: ['code'] as const,
    registers,
  });
  let readInFlight = (): number => 0;
  new Gauge({
    name: 'pte_grpc_in_flight',
    help: 'Unary gRPC calls admitted and not yet answered',
    registers,
    collect() {
      this.set(readInFlight());
    },
  });
  const rejectionChild = cached((code) => guardRejections.labels(code));
  const guard: GuardMetricsSink = {
    countRejection(code) {
      rejectionChild(code).inc();
    },
    setInFlightSource(read) {
      readInFlight = read;
    },
  };

  const stageChild = new Map(STAGES.map((s) => [s, stageHistogram.labels(s)] as const));
  const tradeChild = cached((key) => {
    const [action = '', status = ''] = key.split('\u0000');
    return trades.labels(action, status);
  });
  const errorChild = cached((code) => errors.labels(code));
  const hit = priceLookups.labels('hit');
  const miss = priceLookups.labels('miss');
  const sideChild = cached((component) => sideFailures.labels(component));
  const rpcChild = cached((key) => {
    const [method = '', code = ''] = key.split('\u0000');
    return rpcHistogram.labels(method, code);
  });

  const sink: TradeMetricsSink = {
    observeStage(stage, seconds) {
      (stageChild.get(stage) ?? stageHistogram.labels(stage)).observe(seconds);
    },
    countTrade(action, status) {
      tradeChild(`${action}\u0000${status}`).inc();
    },
    countError(code) {
      errorChild(code).inc();
    },
    countPriceLookup(isHit) {
      (isHit ? hit : miss).inc();
    },
    countSideFailure(component) {
      sideChild(component).inc();
    },
  };
  const rpc: RpcMetricsSink = {
    observeRpc(method, code, seconds) {
      rpcChild(`${method}\u0000${code}`).observe(seconds);
    },
  };
  return { registry, sink, rpc, journal, guard };
}
