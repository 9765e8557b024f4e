/**
 * Warm start (server.warmUpTrades): before serving, trades run through a scratch copy of the hot
 * path. Nothing of it may reach the service: no portfolio, no journal record, no metric, no trade on
 * a stream, and the service's first real trade is its sequence 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, trade } from './support.js';

describe('warm start', () => {
  let s: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    s = await startTestServer({ server: { warmUpTrades: 200 } });
  }, 60_000);
  afterAll(() => s.stop());

  it('leaves no trace: no portfolio, no journal record, no counted trade', async () => {
    expect((await s.client.listPortfolios()).portfolios).toEqual([]);
    expect((await s.client.getPortfolio('warm-up')).tradeCount).toBe('0');
    expect(s.app.journal?.stats().lastSeq).toBe(0);
    const counted = (await s.app.metrics.registry.getSingleMetricAsString('pte_trades_total')).split('\n').filter((l) => l.startsWith('pte_trades_total{'));
    expect(counted).toEqual([]);
  });

  it('serves normally after it: the first trade is the service\'s first record', async () => {
    const r = await s.client.executeTrade(trade({ portfolioId: 'first' }));
    expect(r.trade?.sequence).toBe('2'); // after the portfolio's creation event
    expect((await s.client.listPortfolios()).portfolios.map((p) => p.portfolioId)).toEqual(['first']);
    expect(s.app.journal?.stats().lastSeq).toBeGreaterThanOrEqual(2);
  });
});
