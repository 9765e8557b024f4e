/**
 * The Prometheus series of the shared cache's refresh lock, on the service's registry beside the
 * market's others: how often this executor fetched a mint under the lock, waited for another
 * executor's fetch instead, or gave up waiting (a holder that died or stalled past the lock timeout).
 */
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { RedisLockEvent } from './redis-price-layer.js';

/** Registers `pte_redis_price_lock_total{event}` and returns the hook the Redis layer calls per mint. */
export function createRedisLockMetrics(registry: Registry): (event: RedisLockEvent) => void {
  const counter = new Counter({
    name: 'pte_redis_price_lock_total',
    help: 'Refresh-lock events of the Redis price cache, per mint: win (fetched under the lock), wait (another executor was fetching), timeout (waited the lock timeout, then fetched)',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const children = { win: counter.labels('win'), wait: counter.labels('wait'), timeout: counter.labels('timeout') };
  return (event) => children[event].inc();
}
