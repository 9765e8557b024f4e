/**
 * Reports over the real app (embedded defaults, simulated market): after real trades, ListPortfolios,
 * GetReport and `pte report --json` agree with each other and with GetPortfolio, and bad input on every
 * new surface is refused naming the field, with nothing changed. Prices are cached for the whole test
 * and periodic marks are off, so the last mark and GetPortfolio value the same balances at the same prices.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../src/app.js';
import { createExecutorClient, isServiceError, type ExecutorClient, type PortfolioReportMessage, type PortfolioSummaryMessage } from '../src/client/index.js';
import type { CliIo } from '../src/cli/io.js';
import { reportJson } from '../src/cli/report.js';
import { toProto3Json } from '../src/cli/report-format.js';
import { run } from '../src/cli/run.js';
import { startTestServer, trade } from './support.js';

let app: RunningApp;
let client: ExecutorClient;
let stop: () => Promise<void>;
/** A fixed end of the range, so two reports of the same history are identical. */
const TO = Date.UTC(2100, 0, 1);

const num = (s: string | undefined): number => Number(s ?? 'NaN');

async function pte(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: { PTE_ADDR: `127.0.0.1:${app.grpcPort}` }, connect: createExecutorClient };
  const code = await run(['report', ...argv], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string; field: unknown }> {
  try {
    await p;
  } catch (e) {
    if (isServiceError(e)) return { code: e.code, details: e.details, field: e.metadata.get('pte-error-field')[0] };
    throw e;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  ({ app, client, stop } = await startTestServer({ marks: { intervalMs: 0 }, market: { priceTtlMs: 3_600_000 } }));
  await client.resetPortfolio('alpha', { SOL: '10', USDC: '2000' });
  await client.executeTrade(trade({ portfolioId: 'alpha', action: 'BUY', amount: '2', metadata: { strategy: 'momentum' }, priorityFee: '10000' }));
  await client.executeTrade(trade({ portfolioId: 'alpha', action: 'SELL', amount: '1.5', metadata: { strategy: 'momentum' } }));
  // A fill worse than its tolerance: FAILED_SLIPPAGE, only the fee is paid.
  const failed = await client.executeTrade(
    trade({ portfolioId: 'alpha', action: 'BUY', amount: '1', slippageModel: { name: 'fixed', params: { bps: 200 } }, slippageToleranceBps: 50, metadata: { strategy: 'breakout' } }),
  );
  expect(failed.trade?.status).toBe('TRADE_STATUS_FAILED_SLIPPAGE');
  await client.executeTrade(trade({ portfolioId: 'alpha', action: 'SELL', amount: '0.25' }));
  await client.resetPortfolio('beta', { SOL: '5', USDC: '100' });
  await client.executeTrade(trade({ portfolioId: 'beta', action: 'BUY', amount: '0.1', metadata: { strategy: 'dca' } }));
}, 60_000);

afterAll(() => stop());

function agreesWithPortfolio(r: PortfolioReportMessage, p: PortfolioSummaryMessage, trades: number): void {
  expect(r.portfolioId).toBe(p.portfolioId);
  // The last mark was taken with the last trade, at the prices GetPortfolio uses: the same value, exactly.
  expect(r.endValueUsd).toBe(p.totalValueUsd);
  expect(Number(r.trades?.total)).toBe(trades);
  expect(Number(p.tradeCount)).toBe(trades);
  // PnL: average cost both ways; GetPortfolio rounds each disposal's cost up to the nano-USD.
  expect(Math.abs(num(r.realizedPnlUsd) - num(p.realizedPnlUsd))).toBeLessThanOrEqual(1e-6 * (trades + 1));
  expect(Math.abs(num(r.unrealizedPnlUsd) - num(p.unrealizedPnlUsd))).toBeLessThanOrEqual(1e-6 * (trades + 1));
  // realized + unrealized = end - start (each shown floored at 6 places)
  expect(Math.abs(num(r.realizedPnlUsd) + num(r.unrealizedPnlUsd) - (num(r.endValueUsd) - num(r.startValueUsd)))).toBeLessThanOrEqual(3e-6);
  // Fees in the cost breakdown are the lamports GetPortfolio counts, at SOL's price.
  const sol = p.balances.find((b) => b.token?.symbol === 'SOL');
  const solPrice = num(sol?.usdValue) / num(sol?.amount);
  const c = r.costs;
  const feesUsd = num(c?.baseFeesUsd) + num(c?.priorityFeesUsd) + num(c?.rentUsd) + num(c?.failedTradeFeesUsd);
  expect(feesUsd).toBeCloseTo((Number(p.feesPaidLamports) / 1e9) * solPrice, 5);
  // Each token's end amount is its balance.
  for (const t of r.tokens) expect(num(t.endAmount)).toBe(num(p.balances.find((b) => b.token?.mint === t.token?.mint)?.amount ?? '0'));
}

describe('reports over the real app', () => {
  it('ListPortfolios lists every portfolio with the summary GetPortfolio gives', async () => {
    const listed = await client.listPortfolios();
    expect(listed.portfolios.map((p) => p.portfolioId)).toEqual(['alpha', 'beta']);
    for (const p of listed.portfolios) expect(p).toEqual(await client.getPortfolio(p.portfolioId));
  });

  it('GetReport agrees with GetPortfolio: end value, trades, PnL, fees, balances', async () => {
    const alpha = await client.getReport({ portfolioId: 'alpha', to: TO });
    agreesWithPortfolio(alpha, await client.getPortfolio('alpha'), 4);
    expect(alpha.trades).toEqual({ total: '4', filled: '3', failedSlippage: '1', failedMev: '0' });
    expect(alpha.markCount).toBe('5');
    expect(alpha.equity).toHaveLength(5);
    expect(alpha.equity.at(-1)?.valueUsd).toBe(alpha.endValueUsd);
    expect(num(alpha.costs?.failedTradeFeesUsd)).toBeGreaterThan(0);
    expect(alpha.groups.map((g) => [g.untagged ? null : g.value, g.trades?.total])).toEqual([
      ['momentum', '2'],
      ['breakout', '1'],
      [null, '1'],
    ]);
    agreesWithPortfolio(await client.getReport({ portfolioId: 'beta', to: TO }), await client.getPortfolio('beta'), 1);
    // A range that ends now closes on the portfolio as GetPortfolio values it now.
    agreesWithPortfolio(await client.getReport({ portfolioId: 'alpha' }), await client.getPortfolio('alpha'), 4);
  });

  it('pte report --json prints the same report GetReport answers, and --all the same list', async () => {
    const one = await pte('--portfolio', 'alpha', '--to', '2100-01-01', '--json');
    expect(one.code).toBe(0);
    expect(JSON.parse(one.out)).toEqual(toProto3Json(await client.getReport({ portfolioId: 'alpha', to: TO })));
    const all = await pte('--all', '--to', '2100-01-01', '--json');
    expect(all.code).toBe(0);
    const parsed = JSON.parse(all.out) as { portfolios: unknown; reports: unknown };
    expect(parsed.portfolios).toEqual(toProto3Json((await client.listPortfolios()).portfolios));
    expect(parsed.reports).toEqual([reportJson(await client.getReport({ portfolioId: 'alpha', to: TO })), reportJson(await client.getReport({ portfolioId: 'beta', to: TO }))]);
    const table = await pte('--all');
    expect(table.out).toMatch(/\nalpha +\$[\d,.]+ +\$[\d,.]+ .* 4 /);
  });

  it('bad input is refused naming the field, and nothing changes', async () => {
    const before = await client.listPortfolios();
    const range = await failure(client.getReport({ portfolioId: 'alpha', from: TO, to: TO - 1 }));
    expect([range.code, range.field]).toEqual([status.INVALID_ARGUMENT, 'from']);
    expect(range.details).toMatch(/^from: .* is after to/);
    const key = await failure(client.getReport({ portfolioId: 'alpha', groupBy: 'bad\nkey' }));
    expect([key.code, key.field]).toEqual([status.INVALID_ARGUMENT, 'group_by']);
    const unknown = await failure(client.getReport({ portfolioId: 'nobody' }));
    expect(unknown.code).toBe(status.NOT_FOUND);
    const cli = await pte('--portfolio', 'alpha', '--from', 'tomorrow-ish');
    expect(cli.code).toBe(64);
    expect(cli.err).toMatch(/^pte report: --from: "tomorrow-ish" is not a time/);
    const cliKey = await pte('--portfolio', 'alpha', '--group-by', 'a\u0001b');
    expect(cliKey.code).toBe(1);
    expect(cliKey.err).toMatch(/group_by: .*\(INVALID_ARGUMENT\)/);
    // Reads never write: no portfolio appeared, none changed.
    expect(await client.listPortfolios()).toEqual(before);
  });
});
