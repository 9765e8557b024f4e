/**
 * Trades over gRPC while the primary Jupiter endpoint answers 200 with bad prices (null, 1e300, every
 * mint missing, a plausible but wrong 1 USD) and the secondary is healthy: the trades fill from the
 * secondary, at its price, and none fills at the primary's wrong price.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorClient } from '../src/client/index.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { startJupiterEmulator, type JupiterEmulator } from '../src/market/jupiter-emulator.js';
import { startTestServer, trade } from './support.js';

const tokens = createTokenRegistry();
const USDC = tokens.bySymbol('USDC').mint;
/** Base tokens traded against USDC, with a small BUY amount of each. */
const BASES: readonly (readonly [string, string])[] = [
  ['SOL', '0.01'],
  ['JUP', '1'],
  ['BONK', '1000'],
  ['WIF', '1'],
];
const TRADES = 40;

let a: JupiterEmulator;
let b: JupiterEmulator;
beforeAll(async () => {
  [a, b] = await Promise.all([startJupiterEmulator(), startJupiterEmulator()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

/** USDC per one base token on the healthy secondary now: the reference a fill is compared with. */
async function reference(symbol: string): Promise<number> {
  const base = tokens.bySymbol(symbol).mint;
  const body = (await (await fetch(`${b.url}/price/v3?ids=${base},${USDC}`)).json()) as Record<string, { usdPrice: number }>;
  return (body[base]?.usdPrice ?? NaN) / (body[USDC]?.usdPrice ?? NaN);
}

interface Tally {
  filledFromSecondary: number;
  wrongPrice: number;
  other: string[];
}

async function tradeThrough(client: ExecutorClient, portfolioId: string, n: number): Promise<Tally> {
  const tally: Tally = { filledFromSecondary: 0, wrongPrice: 0, other: [] };
  for (let i = 0; i < n; i++) {
    const [symbol, amount] = BASES[i % BASES.length] as readonly [string, string];
    let r;
    try {
      r = await client.executeTrade(trade({ portfolioId, baseToken: symbol, quoteToken: 'USDC', amount }));
    } catch (e) {
      tally.other.push(e instanceof Error ? e.message : String(e));
      continue;
    }
    const ref = await reference(symbol);
    const expected = Number(r.trade?.expectedPrice);
    const executed = Number(r.trade?.executedPrice);
    // Within 1 % of the reference before slippage, and within the default 1 % slippage plus impact after.
    if (Math.abs(expected / ref - 1) > 0.01 || Math.abs(executed / ref - 1) > 0.05) tally.wrongPrice++;
    else if (r.trade?.status === 'TRADE_STATUS_FILLED' && r.trade.priceSource === `jupiter:${b.url}`) tally.filledFromSecondary++;
    else tally.other.push(`${r.trade?.status ?? '?'} from ${r.trade?.priceSource ?? '?'}`);
  }
  return tally;
}

describe('trading while the primary endpoint answers bad prices', () => {
  for (const fault of ['price:garbage=null', 'price:garbage=1e300', 'price:missing', 'price:wrong-price=1']) {
    it(`${fault}: at least 95 % of trades fill from the secondary near its price, none at a wrong price`, async () => {
      a.clearFaults();
      b.clearFaults();
      const { client, stop } = await startTestServer({
        // No caching (TTL 0): every trade asks Jupiter.
        market: { kind: 'jupiter', jupiterUrls: [a.url, b.url], priceTtlMs: 0, perEndpointRatePerSec: 1_000, backoffBaseMs: 5, requestTimeoutMs: 500 },
        portfolios: { startingBalances: { SOL: '100', USDC: '100000' } },
      });
      try {
        const warm = await tradeThrough(client, 'failover', BASES.length); // last good prices, from the primary
        expect(warm.wrongPrice).toBe(0);
        a.setFaults([fault]);
        const t = await tradeThrough(client, 'failover', TRADES);
        expect(t.wrongPrice).toBe(0);
        expect(t.filledFromSecondary / TRADES).toBeGreaterThanOrEqual(0.95);
      } finally {
        a.clearFaults();
        await stop();
      }
    });
  }
});
