/**
 * The shared ledger's Prometheus metrics read the store's own counters: after two trades, two commits,
 * at least two round trips each, the database available, the pool open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, trade } from './support.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

/** The value of one sample in Prometheus text, or undefined when absent. */
async function sample(app: Awaited<ReturnType<typeof startTestServer>>['app'], name: string, labels = ''): Promise<number | undefined> {
  const text = await app.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('ledger metrics', () => {
  let db: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    s = await startTestServer({ ledger: { url: db.url } });
  });
  afterAll(async () => {
    await s.stop();
    await db.drop();
  });

  it('count what the store did', async () => {
    expect(await sample(s.app, 'pte_ledger_commits_total')).toBe(0);
    await s.client.executeTrade(trade({ portfolioId: 'm' }));
    await s.client.executeTrade(trade({ portfolioId: 'm', action: 'SELL', amount: '0.5' }));
    expect(await sample(s.app, 'pte_ledger_commits_total')).toBe(2);
    expect(await sample(s.app, 'pte_ledger_round_trips_total')).toBeGreaterThanOrEqual(4);
    expect(await sample(s.app, 'pte_ledger_available')).toBe(1);
    expect(await sample(s.app, 'pte_ledger_pool_connections', '{state="open"}')).toBeGreaterThan(0);
    expect(await sample(s.app, 'pte_ledger_retries_total')).toBe(0);
  });
});
