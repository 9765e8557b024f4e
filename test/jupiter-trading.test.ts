/**
 * End to end over gRPC with `market.kind = jupiter` against two emulators: what a strategy sees when it
 * trades on Jupiter prices, when the first endpoint dies, when prices are garbage and when there is
 * no route.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutorClient } from '../src/client/index.js';
import { startJupiterEmulator, type JupiterEmulator } from '../src/market/jupiter-emulator.js';
import { rejection, startTestServer, trade } from './support.js';

let a: JupiterEmulator;
let b: JupiterEmulator;
let client: ExecutorClient;
let stop: () => Promise<void>;

beforeAll(async () => {
  [a, b] = await Promise.all([startJupiterEmulator(), startJupiterEmulator()]);
  ({ client, stop } = await startTestServer({
    // No caching (TTL 0) so every trade reaches Jupiter; fast retries so the file stays quick.
    market: { kind: 'jupiter', jupiterUrls: [a.url, b.url], priceTtlMs: 0, perEndpointRatePerSec: 1_000, backoffBaseMs: 5, breakerOpenMs: 60_000, requestTimeoutMs: 500 },
  }));
});
afterAll(async () => {
  await stop();
  await Promise.all([a.close(), b.close()]);
});
beforeEach(() => {
  a.clearFaults();
  b.clearFaults();
});

describe('trading on Jupiter (emulated)', () => {
  it('a BUY is priced on Jupiter USD prices and names the endpoint; attempts are in the metrics', async () => {
    // The first price of a mint has no last good price to be checked against: the second endpoint confirms it.
    let r = await client.executeTrade(trade({ portfolioId: 'jup-buy', amount: '0.5' }));
    expect(r.trade?.status).toBe('TRADE_STATUS_FILLED');
    expect(r.trade?.priceSource).toBe(`jupiter:${a.url}`);
    expect(r.executionMetrics?.priceSource).toBe(`jupiter:${a.url}`);
    expect(r.executionMetrics?.priceFetchAttempts).toBe(2);
    expect(r.executionMetrics?.cacheHit).toBe(false);
    expect(Number(r.trade?.priceImpactBps)).toBeGreaterThan(0); // from Price v3's liquidity depth
    r = await client.executeTrade(trade({ portfolioId: 'jup-buy', amount: '0.5' }));
    expect(r.trade?.priceSource).toBe(`jupiter:${a.url}`);
    expect(r.executionMetrics?.priceFetchAttempts).toBe(1);
  });

  it('a SWAP is priced on a route quote: output, price impact and a route summary with DEX labels and hops', async () => {
    const r = await client.executeTrade(trade({ portfolioId: 'jup-swap', action: 'SWAP', baseToken: 'SOL', quoteToken: 'JUP', amount: '2', isBaseInput: true }));
    const t = r.trade;
    expect(t?.status).toBe('TRADE_STATUS_FILLED');
    expect(t?.route.map((h) => h.label)).toEqual(['Simulated CPMM (SOL/USDC)', 'Simulated CPMM (JUP/USDC)']);
    expect(Number(t?.priceImpactBps)).toBeGreaterThan(0);
    expect(a.requests().some((q) => q.path === 'quote' && q.url.includes('swapMode=ExactIn') && q.url.includes('amount=2000000000'))).toBe(true);
  });

  it('when the first endpoint fails, the trade fills on the second and reports every attempt', async () => {
    a.setFaults(['500*3']);
    const r = await client.executeTrade(trade({ portfolioId: 'jup-failover', amount: '0.1' }));
    expect(r.trade?.status).toBe('TRADE_STATUS_FILLED');
    expect(r.trade?.priceSource).toBe(`jupiter:${b.url}`);
    expect(r.executionMetrics?.priceFetchAttempts).toBe(4);
  });

  it('no route is a business answer: FAILED_PRECONDITION naming the route, with no retry and no failover', async () => {
    // Either endpoint may be first here (the failover test above left the first one's circuit open).
    for (const e of [a, b]) {
      e.resetRequests();
      e.setFaults(['quote:400=TOKEN_NOT_TRADABLE']);
    }
    const e = await rejection(client.executeTrade(trade({ portfolioId: 'jup-noroute', action: 'SWAP', baseToken: 'SOL', quoteToken: 'BONK', amount: '1' })));
    expect(e.code).toBe(9);
    expect(e.details).toContain('no route');
    expect(a.count('quote') + b.count('quote')).toBe(1);
  });

  it('no trade at a garbage price: the trade is refused UNAVAILABLE and the portfolio is unchanged', async () => {
    const before = await client.getPortfolio('jup-garbage');
    for (const garbage of ['0', '-147', '1e300']) {
      a.setFaults([`price:garbage=${garbage}`]);
      b.setFaults([`price:garbage=${garbage}`]);
      const e = await rejection(client.executeTrade(trade({ portfolioId: 'jup-garbage' })));
      expect(e.code).toBe(14);
      // Garbage answers are failures of the endpoints: once both circuits are open the lookup fails at once.
      expect(e.details).toMatch(/no price|circuit open/);
    }
    a.clearFaults();
    b.clearFaults();
    // Both circuits are now open (60 s here), so the portfolio's valuation has no price either: the
    // ledger is read through its trade list instead.
    expect(before.tradeCount).toBe('0');
    expect((await client.listTrades({ portfolioId: 'jup-garbage' })).trades).toHaveLength(0);
  });
});
