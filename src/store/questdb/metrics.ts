/**
 * The recorder's Prometheus series, added to the service's registry (see observability/metrics.ts:
 * later modules add their own). The queue depth is read when scraped, so recording a trade never
 * touches a metric.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type DropReason = 'overflow' | 'rejected' | 'invalid';

/** What the recorder reports; tests may pass a recorder of calls. */
export interface QuestDbMetricsSink {
  countSent(rows: number): void;
  countSendFailure(): void;
  countDropped(reason: DropReason, rows: number): void;
  observeFlush(seconds: number): void;
}

const FLUSH_BUCKETS_SECONDS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Registers the series; `depth` is called at scrape time. */
export function createQuestDbMetrics(registry: Registry, depth: () => number): QuestDbMetricsSink {
  const registers = [registry];
  new Gauge({
    name: 'pte_questdb_queue_depth',
    help: 'Rows (trades and marks) waiting to be written to QuestDB (queued and in flight)',
    registers,
    collect() {
      this.set(depth());
    },
  });
  const sent = new Counter({ name: 'pte_questdb_rows_sent_total', help: 'Rows QuestDB acknowledged', registers });
  const failures = new Counter({ name: 'pte_questdb_send_failures_total', help: 'Failed flushes to QuestDB (rows kept and retried)', registers });
  const dropped = new Counter({
    name: 'pte_questdb_rows_dropped_total',
    help: 'Rows dropped from memory (the journal keeps them; pte export questdb re-sends), by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const flush = new Histogram({ name: 'pte_questdb_flush_seconds', help: 'Duration of one successful flush to QuestDB', buckets: [...FLUSH_BUCKETS_SECONDS], registers });
  const droppedBy = { overflow: dropped.labels('overflow'), rejected: dropped.labels('rejected'), invalid: dropped.labels('invalid') };
  return {
    countSent: (rows) => sent.inc(rows),
    countSendFailure: () => failures.inc(),
    countDropped: (reason, rows) => droppedBy[reason].inc(rows),
    observeFlush: (seconds) => flush.observe(seconds),
  };
}
