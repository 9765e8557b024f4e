/**
 * ListPortfolios and GetReport over a real gRPC server and the typed client, with the fake executor
 * (test/fakes/fake-executor.ts) whose reports are the real report model on a fixed history. They protect
 * the wire side: the mapping of every report figure, the request checks (each naming its field, the
 * executor never reached), NOT_FOUND, and API-key visibility.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createExecutorClient, isServiceError, type ExecutorClient } from '../client/index.js';
import { serviceDefinition, type GetReportRequestMessage, type PortfolioReportMessage } from '../contract/index.js';
import { buildReport } from '../report/report.js';
import { formatCostUsd, formatUsd } from '../report/usd.js';
import { createGrpcServer, type GrpcServer } from './grpc-server.js';
import { apiKeyHash, resolveApiKeys } from './guards/index.js';
import { createFakeExecutor, type FakeExecutor } from '../../test/fakes/fake-executor.js';
import { REPORT_T0, sampleReportInput } from '../../test/support/report.js';

const H = 3_600_000;

async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    if (isServiceError(e)) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

const codeOf = (e: ServiceError): unknown => e.metadata.get('pte-error-code')[0];
const fieldOf = (e: ServiceError): unknown => e.metadata.get('pte-error-field')[0];

let fake: FakeExecutor;
let server: GrpcServer;
let client: ExecutorClient;
let port: number;

beforeAll(async () => {
  fake = createFakeExecutor();
  server = createGrpcServer({ executor: fake, logger: pino({ level: 'silent' }) });
  port = await server.start('127.0.0.1', 0);
  client = createExecutorClient(`127.0.0.1:${port}`, { defaultDeadlineMs: 5_000 });
  await client.waitForReady(5_000);
});

afterAll(async () => {
  client.close();
  await server.shutdown(1_000);
});

beforeEach(() => {
  fake.portfolios = ['default', 'momentum', 'baseline'];
  fake.calls.getReport.length = 0;
  fake.failWith = undefined;
});

/** A raw GetReport, for requests the typed client would never build. */
function rawGetReport(req: Partial<GetReportRequestMessage>): Promise<PortfolioReportMessage> {
  const m = serviceDefinition('paper_trader.v1.PaperTradeExecutor').GetReport;
  const full: GetReportRequestMessage = { portfolioId: '', from: null, to: null, groupBy: '', maxPoints: 0, ...req };
  return new Promise((resolve, reject) => {
    client.grpcClient.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, full, new Metadata(), {}, (err, res) => {
      if (err) reject(err);
      else if (res) resolve(res);
      else reject(new Error('empty response'));
    });
  });
}

describe('ListPortfolios', () => {
  it('answers every portfolio with its summary, sorted by id', async () => {
    const res = await client.listPortfolios();
    expect(res.portfolios.map((p) => p.portfolioId)).toEqual(['baseline', 'default', 'momentum']);
    expect(res.portfolios[0]?.totalValueUsd).toBe('14743.15');
    expect(res.portfolios[0]?.balances.map((b) => b.token?.symbol)).toEqual(['SOL', 'USDC']);
  });

  it('answers an empty list when no portfolio exists', async () => {
    fake.portfolios = [];
    expect((await client.listPortfolios()).portfolios).toEqual([]);
  });
});

describe('GetReport', () => {
  const expected = buildReport(sampleReportInput('default'));

  it('maps every figure of the report, money as decimal strings', async () => {
    const r = await client.getReport();
    expect(fake.calls.getReport).toEqual([{ portfolioId: '', query: { fromMs: undefined, toMs: undefined, groupBy: 'strategy', maxPoints: undefined } }]);
    expect(r.portfolioId).toBe('default');
    expect(r.from).toEqual({ seconds: String(REPORT_T0 / 1000), nanos: 0 });
    expect(r.to).toEqual({ seconds: String((REPORT_T0 + 84 * H) / 1000), nanos: 0 });
    expect(r.startValueUsd).toBe('2000');
    expect(r.endValueUsd).toBe('2067.19725');
    expect(r.startValueSol).toBe('20');
    expect(r.totalReturn).toBeCloseTo(67.19725 / 2000, 12);
    // realized + unrealized = end - start (each floored at 6 places)
    expect(Number(r.realizedPnlUsd) + Number(r.unrealizedPnlUsd)).toBeCloseTo(67.19725, 5);
    expect(r.realizedPnlUsd).toBe(formatUsd(expected.pnl.realizedUsd));
    expect(r.markCount).toBe('6');
    expect(r.equity.map((p) => p.valueUsd)).toEqual(['2000', '1998.9995', '2218.9994', '1888.99955', '1887.1982', '2067.19725']);
    expect(r.equity[2]?.benchmarkUsd).toBe('2200');
    // running drawdown from the 2218.9994 peak
    expect(r.equity[2]?.drawdown).toBe(0);
    expect(r.equity[3]?.drawdown).toBeCloseTo((2218.9994 - 1888.99955) / 2218.9994, 12);
    expect(r.equity[1]?.drawdown).toBeCloseTo(1.0005 / 2000, 12);
    expect(r.drawdown?.max).toBeCloseTo(expected.drawdown.maxDrawdown, 12);
    expect(r.drawdown?.maxPeakAt).toEqual({ seconds: String((REPORT_T0 + 36 * H) / 1000), nanos: 0 });
    expect(r.drawdown?.maxUsd).toBe('331.8012');
    expect(r.dailyReturns.map((d) => d.day)).toEqual(['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04']);
    expect(r.sharpe).toBeCloseTo(expected.daily.sharpe ?? Number.NaN, 12);
    expect(r.ratioMethod).toContain('sqrt(365)');
    expect(r.benchmarkStartUsd).toBe('2000');
    expect(r.benchmarkEndUsd).toBe('2100');
    expect(r.trades).toEqual({ total: '3', filled: '2', failedSlippage: '1', failedMev: '0' });
    expect(r.closes?.closes).toBe('1');
    expect(r.costs?.totalUsd).toBe(formatCostUsd(expected.costs.totalUsd));
    expect(r.costs?.failedTradeFeesUsd).toBe(formatCostUsd(expected.costs.failedTradeFeesUsd));
    expect(r.tokens.map((t) => [t.token?.symbol, t.startAmount, t.endAmount])).toEqual([
      ['SOL', '10', '8.999975'],
      ['USDC', '1000', '1077.2'],
    ]);
    expect(r.groupBy).toBe('strategy');
    expect(r.groups.map((g) => [g.value, g.untagged, g.trades?.total])).toEqual([
      ['momentum', false, '2'],
      ['', true, '1'],
    ]);
  });

  it('passes the range, the group key and the point bound to the executor', async () => {
    const r = await client.getReport({ portfolioId: 'momentum', from: new Date(REPORT_T0 + 12 * H), to: REPORT_T0 + 61 * H, groupBy: 'desk', maxPoints: 4 });
    expect(fake.calls.getReport).toEqual([{ portfolioId: 'momentum', query: { fromMs: REPORT_T0 + 12 * H, toMs: REPORT_T0 + 61 * H, groupBy: 'desk', maxPoints: 4 } }]);
    expect(r.startValueUsd).toBe('1998.9995');
    expect(r.endValueUsd).toBe('1887.1982');
    expect(r.equity).toHaveLength(4);
    expect(r.groups.map((g) => g.untagged)).toEqual([true]);
  });

  it('leaves optional statistics absent when undefined', async () => {
    const r = await client.getReport({ to: REPORT_T0 });
    expect(r.markCount).toBe('1');
    expect(r.sharpe).toBeUndefined();
    expect(r.sortino).toBeUndefined();
    expect(r.closes?.winRate).toBeUndefined();
    expect(r.closes?.profitFactor).toBeUndefined();
    expect(r.totalReturn).toBe(0);
  });

  it('an unknown portfolio is NOT_FOUND', async () => {
    const e = await rejection(client.getReport({ portfolioId: 'nobody' }));
    expect(e.code).toBe(status.NOT_FOUND);
    expect(codeOf(e)).toBe('PORTFOLIO_NOT_FOUND');
    expect(e.details).toContain('nobody');
  });

  it('from after to is INVALID_ARGUMENT naming from; the executor is not asked', async () => {
    const e = await rejection(client.getReport({ from: REPORT_T0 + H, to: REPORT_T0 }));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldOf(e)).toBe('from');
    expect(e.details).toMatch(/^from: 2024-01-01T01:00:00.000Z is after to/);
    expect(fake.calls.getReport).toHaveLength(0);
  });

  it.each([
    ['a control character', 'strat\u0007egy'],
    ['more than 128 characters', 'k'.repeat(129)],
  ])('a group key with %s is INVALID_ARGUMENT naming group_by', async (_what, groupBy) => {
    const e = await rejection(client.getReport({ groupBy }));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldOf(e)).toBe('group_by');
    expect(e.details).toMatch(/^group_by: /);
    expect(fake.calls.getReport).toHaveLength(0);
  });

  it.each([
    ['to', { to: { seconds: '0', nanos: 1_000_000_000 } }],
    ['from', { from: { seconds: '999999999999', nanos: 0 } }],
    ['max_points', { maxPoints: 3 }],
    ['max_points', { maxPoints: 20_001 }],
  ] as const)('an out-of-range %s is INVALID_ARGUMENT naming it', async (field, req) => {
    const e = await rejection(rawGetReport(req));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldOf(e)).toBe(field);
    expect(e.details.startsWith(`${field}: `)).toBe(true);
    expect(fake.calls.getReport).toHaveLength(0);
  });

  it('a range with no mark is FAILED_PRECONDITION (REPORT_UNAVAILABLE) naming to', async () => {
    const e = await rejection(client.getReport({ to: REPORT_T0 - 1 }));
    expect(e.code).toBe(status.FAILED_PRECONDITION);
    expect(codeOf(e)).toBe('REPORT_UNAVAILABLE');
    expect(fieldOf(e)).toBe('to');
  });
});

describe('with API keys', () => {
  const KEY_A = 'report-key-alpha-0123456789';
  const KEY_ALL = 'report-key-every-0123456789';
  let keyed: GrpcServer;
  let a: ExecutorClient;
  let all: ExecutorClient;
  let anonymous: ExecutorClient;

  beforeAll(async () => {
    const principals = resolveApiKeys(
      [
        { name: 'alpha', keyHash: apiKeyHash(KEY_A), portfolios: ['momentum', 'default'] },
        { name: 'all', keyHash: apiKeyHash(KEY_ALL), portfolios: ['*'] },
      ],
      {},
    );
    keyed = createGrpcServer({ executor: fake, logger: pino({ level: 'silent' }), guard: { principals } });
    const p = await keyed.start('127.0.0.1', 0);
    a = createExecutorClient(`127.0.0.1:${p}`, { apiKey: KEY_A, defaultDeadlineMs: 5_000 });
    all = createExecutorClient(`127.0.0.1:${p}`, { apiKey: KEY_ALL, defaultDeadlineMs: 5_000 });
    anonymous = createExecutorClient(`127.0.0.1:${p}`, { defaultDeadlineMs: 5_000 });
  });

  afterAll(async () => {
    for (const c of [a, all, anonymous]) c.close();
    await keyed.shutdown(1_000);
  });

  it('ListPortfolios lists only the portfolios the key may use', async () => {
    expect((await a.listPortfolios()).portfolios.map((p) => p.portfolioId)).toEqual(['default', 'momentum']);
    expect((await all.listPortfolios()).portfolios.map((p) => p.portfolioId)).toEqual(['baseline', 'default', 'momentum']);
    expect((await rejection(anonymous.listPortfolios())).code).toBe(status.UNAUTHENTICATED);
  });

  it('GetReport is authorized per portfolio, like GetPortfolio', async () => {
    expect((await a.getReport({ portfolioId: 'momentum' })).portfolioId).toBe('momentum');
    expect((await a.getReport()).portfolioId).toBe('default');
    const denied = await rejection(a.getReport({ portfolioId: 'baseline' }));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(fake.calls.getReport.map((c) => c.portfolioId)).toEqual(['momentum', '']);
  });
});
