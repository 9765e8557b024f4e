/**
 * A small summary of the metrics registry for the dashboard's health strip: stage latency quantiles
 * estimated from the pte_stage_duration_seconds histogram (linear within a bucket, as Prometheus'
 * histogram_quantile does) and the price cache's hit rate, both since the process started.
 */
import type { Registry } from 'prom-client';

export interface StageLatency {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly count: number;
}

export interface MetricsSummary {
  readonly cacheHitRate?: number;
  readonly priceLookups: number;
  readonly stages: Readonly<Record<string, StageLatency>>;
}

interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number | undefined>>;
  readonly metricName?: string;
}

async function samples(registry: Registry, name: string): Promise<readonly Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  const data = await metric.get();
  return data.values;
}

/** The q-quantile of cumulative buckets [(upper bound, count)], in the bounds' unit. */
export function bucketQuantile(q: number, buckets: readonly (readonly [number, number])[]): number {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return 0;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      // The +Inf bucket has no upper edge: report the highest finite bound.
      if (!Number.isFinite(bound)) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket === 0 ? bound : lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

export async function summarizeMetrics(registry: Registry): Promise<MetricsSummary> {
  const byStage = new Map<string, [number, number][]>();
  for (const s of await samples(registry, 'pte_stage_duration_seconds')) {
    if (s.metricName !== 'pte_stage_duration_seconds_bucket') continue;
    const stage = String(s.labels.stage ?? '');
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    const list = byStage.get(stage) ?? [];
    list.push([le, s.value]);
    byStage.set(stage, list);
  }
  const stages: Record<string, StageLatency> = {};
  for (const [stage, buckets] of byStage) {
    buckets.sort((a, b) => a[0] - b[0]);
    const count = buckets[buckets.length - 1]?.[1] ?? 0;
    if (count === 0) continue;
    stages[stage] = { p50Us: Math.round(bucketQuantile(0.5, buckets) * 1e6), p99Us: Math.round(bucketQuantile(0.99, buckets) * 1e6), count };
  }
  let hits = 0;
  let lookups = 0;
  for (const s of await samples(registry, 'pte_price_cache_lookups_total')) {
    lookups += s.value;
    if (s.labels.result === 'hit') hits += s.value;
  }
  return { ...(lookups > 0 ? { cacheHitRate: hits / lookups } : {}), priceLookups: lookups, stages };
}
