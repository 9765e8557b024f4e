import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorClient, PortfolioSummaryMessage, TradeMessage } from '../src/client/index.js';
import { cmp, fromDecimalString, mul, ratio, sub } from '../src/domain/ratio.js';
import { parseAmount } from '../src/domain/amount.js';
import { rejection, startTestServer, trade } from './support.js';

let client: ExecutorClient;
let stop: () => Promise<void>;
beforeAll(async () => ({ client, stop } = await startTestServer()));
afterAll(() => stop());

const units = (p: PortfolioSummaryMessage, symbol: string): bigint => {
  const b = p.balances.find((x) => x.token?.symbol === symbol);
  return b ? parseAmount(b.amount === '0' ? '0.0' : b.amount, b.token?.decimals ?? 0, 'x') : 0n;
};
const tokenUnits = (amount: string, decimals: number): bigint => (amount === '0' ? 0n : parseAmount(amount, decimals, 'x'));

describe('trading over gRPC on the simulated market', () => {
  it('fills a BUY and reports prices, fees, timings and the simulated source', async () => {
    const r = await client.executeTrade(trade({ portfolioId: 'tour' }));
    const t = r.trade;
    expect(t?.status).toBe('TRADE_STATUS_FILLED');
    expect(t?.priceSource).toBe('sim');
    expect(t?.networkFeeLamports).toBe('5000');
    expect(t?.outputAmount).toBe('1');
    expect(r.warnings.some((w) => w.includes('simulated'))).toBe(true);
    expect(Number(r.executionMetrics?.totalUs)).toBeGreaterThan(0);
    expect(r.portfolioState?.portfolioId).toBe('tour');
    expect(BigInt(t?.seed ?? '0')).toBeGreaterThan(0n);
  });

  it('a per-request fixed 75 bps model executes a BUY at expected x 1.0075', async () => {
    const r = await client.executeTrade(trade({ portfolioId: 'override', slippageModel: { name: 'fixed', params: { bps: 75 } } }));
    const expected = fromDecimalString(r.trade?.expectedPrice ?? '');
    const executed = fromDecimalString(r.trade?.executedPrice ?? '');
    // Both are printed with 18 decimals (expected floored, executed ceiled): allow two units of the last place.
    const diff = sub(executed, mul(expected, ratio(10_075n, 10_000n)));
    expect(cmp(diff, ratio(-2n, 10n ** 18n))).toBeGreaterThanOrEqual(0);
    expect(cmp(diff, ratio(2n, 10n ** 18n))).toBeLessThanOrEqual(0);
    expect(r.trade?.slippageBps).toBe(75);
    expect(r.trade?.slippageModel).toBe('fixed');
  });

  it('1,000 concurrent trades on one portfolio reconcile: balance = start + sum of reported deltas', async () => {
    const pid = 'load';
    const start = await client.resetPortfolio(pid, {});
    const results = await Promise.allSettled(
      Array.from({ length: 1_000 }, (_, i) =>
        client.executeTrade(
          trade({
            portfolioId: pid,
            action: (['BUY', 'SELL', 'SWAP'] as const)[i % 3] ?? 'BUY',
            baseToken: i % 5 === 0 ? 'JUP' : 'SOL',
            amount: String(1 + (i % 9)),
            isBaseInput: i % 2 === 0,
          }),
        ),
      ),
    );
    const filledOrFailed = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected');
    for (const r of refused) expect((r.reason as { code: number }).code).toBe(9); // FAILED_PRECONDITION
    expect(filledOrFailed).toBeGreaterThan(100);

    const trades: TradeMessage[] = [];
    let pageToken = '';
    do {
      const page = await client.listTrades({ portfolioId: pid, limit: 300, pageToken });
      trades.push(...page.trades);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(trades).toHaveLength(filledOrFailed);
    expect(new Set(trades.map((t) => t.requestId)).size).toBe(trades.length);

    const expected = new Map<string, bigint>([
      ['SOL', units(start, 'SOL')],
      ['USDC', units(start, 'USDC')],
    ]);
    let fees = 0n;
    for (const t of trades) {
      const fee = BigInt(t.networkFeeLamports);
      fees += fee;
      expected.set('SOL', (expected.get('SOL') ?? 0n) - fee);
      if (t.status !== 'TRADE_STATUS_FILLED') continue;
      const i = t.input?.symbol ?? '';
      const o = t.output?.symbol ?? '';
      expected.set(i, (expected.get(i) ?? 0n) - tokenUnits(t.inputAmount, t.input?.decimals ?? 0));
      expected.set(o, (expected.get(o) ?? 0n) + tokenUnits(t.outputAmount, t.output?.decimals ?? 0));
    }
    const end = await client.getPortfolio(pid);
    for (const [symbol, v] of expected) {
      expect(v).toBeGreaterThanOrEqual(0n);
      expect(units(end, symbol)).toBe(v);
    }
    expect(BigInt(end.feesPaidLamports)).toBe(fees);
    expect(Number(end.tradeCount)).toBe(trades.length);
  });

  it('streams trades of a portfolio as they are booked', async () => {
    const stream = client.streamTrades('streamed');
    const received: TradeMessage[] = [];
    const reading = (async () => {
      for await (const t of stream) {
        received.push(t);
        if (received.length === 2) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await client.executeTrade(trade({ portfolioId: 'streamed' }));
    await client.executeTrade(trade({ portfolioId: 'streamed', action: 'SELL' }));
    await reading;
    expect(received.map((t) => t.action)).toEqual(['TRADE_ACTION_BUY', 'TRADE_ACTION_SELL']);
  });

  it('reset with explicit balances and refuses bad ones with nothing changed', async () => {
    const p = await client.resetPortfolio('resettable', { SOL: '2', BONK: '1000000' });
    expect(p.balances.map((b) => `${b.token?.symbol}=${b.amount}`)).toEqual(['SOL=2', 'BONK=1000000']);
    const r = await rejection(client.resetPortfolio('resettable', { SOL: '1e3' }));
    expect(r.code).toBe(3);
    expect(r.details).toMatch(/balances\[SOL\]/);
    expect((await client.getPortfolio('resettable')).balances).toEqual(p.balances);
  });

  it('idempotent over the wire: a repeat returns the original trade, a changed payload is ALREADY_EXISTS', async () => {
    const req = trade({ portfolioId: 'idem' });
    const a = await client.executeTrade(req);
    const b = await client.executeTrade(req);
    expect(b.trade).toEqual(a.trade);
    expect((await rejection(client.executeTrade({ ...req, amount: '2' }))).code).toBe(6);
    expect((await client.getPortfolio('idem')).tradeCount).toBe('1');
  });
});
