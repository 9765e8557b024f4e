/**
 * Prometheus series of the market layer, registered on the service's own registry (observability/
 * metrics.ts leaves room for modules to add theirs). Labels come from closed sets: the configured
 * endpoints, by name (a label, or scheme://host[:port] without the path, which may hold a token), and
 * fixed outcome names ('bad-answer' is a 200 refused as unusable or implausible).
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { BreakerState } from './circuit-breaker.js';
import type { AttemptEvent } from './jupiter-transport.js';

export interface MarketMetrics {
  sharedCacheLookup(hit: boolean): void;
  redisFailure(operation: string): void;
  jupiterAttempt(event: AttemptEvent): void;
  breakerChange(endpoint: string, to: BreakerState): void;
  rejectedPrice(): void;
}

export function createMarketMetrics(registry: Registry): MarketMetrics {
  const registers = [registry];
  const l2 = new Counter({ name: 'pte_price_cache_l2_lookups_total', help: 'Redis price cache lookups per mint, by result', labelNames: ['result'] as const, registers });
  const redisFailures = new Counter({
    name: 'pte_redis_failures_total',
    help: 'Redis operations that failed or were skipped (the lookup went upstream)',
    labelNames: ['operation'] as const,
    registers,
  });
  const attempts = new Counter({
    name: 'pte_jupiter_attempts_total',
    help: 'Jupiter HTTP attempts, by endpoint, path and outcome',
    labelNames: ['endpoint', 'path', 'outcome'] as const,
    registers,
  });
  const open = new Gauge({ name: 'pte_jupiter_circuit_open', help: '1 while an endpoint circuit is open or half-open', labelNames: ['endpoint'] as const, registers });
  const rejected = new Counter({ name: 'pte_jupiter_rejected_prices_total', help: 'Price entries refused: garbage, or implausibly far from the last good price or another endpoint', registers });
  const hit = l2.labels('hit');
  const miss = l2.labels('miss');
  return {
    sharedCacheLookup: (h) => (h ? hit : miss).inc(),
    redisFailure: (operation) => redisFailures.labels(operation).inc(),
    jupiterAttempt: (e) => attempts.labels(e.endpoint, e.path, e.outcome).inc(),
    breakerChange: (endpoint, to) => open.labels(endpoint).set(to === 'closed' ? 0 : 1),
    rejectedPrice: () => rejected.inc(),
  };
}
