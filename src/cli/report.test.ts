/**
 * `pte report` over real gRPC against a server with the fake executor (its reports are the real report
 * model on a fixed history), and its command-line checks: bad input exits 64 naming the flag before any
 * call is made.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createExecutorClient, type ExecutorClient } from '../client/index.js';
import { createGrpcServer, type GrpcServer } from '../server/grpc-server.js';
import { createFakeExecutor, type FakeExecutor } from '../../test/fakes/fake-executor.js';
import { REPORT_T0 } from '../../test/support/report.js';
import { UsageError } from './args.js';
import type { CliIo } from './io.js';
import { parseReportArgs, parseTime, reportJson } from './report.js';
import { toProto3Json } from './report-format.js';
import { run } from './run.js';

const NOW = Date.UTC(2025, 0, 31, 12, 0, 0);
const H = 3_600_000;

describe('--from and --to', () => {
  it.each([
    ['2025-01-30', Date.UTC(2025, 0, 30)],
    ['2025-01-30T14:05Z', Date.UTC(2025, 0, 30, 14, 5)],
    ['2025-01-30T14:05:06.5', Date.UTC(2025, 0, 30, 14, 5, 6, 500)],
    ['2025-01-30T14:05:06+02:00', Date.UTC(2025, 0, 30, 12, 5, 6)],
    ['2025-01-30 14:05:06-0130', Date.UTC(2025, 0, 30, 15, 35, 6)],
    ['now', NOW],
    ['-24h', NOW - 24 * H],
    ['7d', NOW - 7 * 24 * H],
    ['90s', NOW - 90_000],
    ['2w', NOW - 14 * 24 * H],
  ])('%s', (text, ms) => {
    expect(parseTime('--from', text, NOW)).toBe(ms);
  });

  it.each(['yesterday', '2025-02-30', '2025-01-30T25:00Z', '1700000000', '7 days', '+7d', '', '2025-1-3'])('%j is a usage error naming the flag', (text) => {
    expect(() => parseTime('--to', text, NOW)).toThrow(UsageError);
    expect(() => parseTime('--to', text, NOW)).toThrow(/^--to: /);
  });
});

describe('pte report: command line', () => {
  it('takes the portfolio as --portfolio or as the argument, and --all alone', () => {
    expect(parseReportArgs(['--portfolio', 'alice']).portfolioId).toBe('alice');
    expect(parseReportArgs(['alice']).portfolioId).toBe('alice');
    expect(parseReportArgs([]).portfolioId).toBe('');
    expect(parseReportArgs(['--all']).all).toBe(true);
    expect(() => parseReportArgs(['--all', '--portfolio', 'a'])).toThrow(/--all and --portfolio/);
    expect(() => parseReportArgs(['a', '--portfolio', 'b'])).toThrow(/give the portfolio once/);
    expect(() => parseReportArgs(['--json', '--html', 'x.html'])).toThrow(/--json and --html/);
    expect(() => parseReportArgs(['--group-by', ''])).toThrow(/^--group-by: empty/);
  });

  it('resolves relative times against now and refuses --from after --to', () => {
    const c = parseReportArgs(['--from', '24h', '--to', 'now', '--group-by', 'desk'], {}, NOW);
    expect([c.fromMs, c.toMs, c.groupBy]).toEqual([NOW - 24 * H, NOW, 'desk']);
    expect(() => parseReportArgs(['--from', '1h', '--to', '2h'], {}, NOW)).toThrow(/^--from: .* is after --to/);
  });

  it('an unparsable --from exits 64 naming it, and nothing is called', async () => {
    const err: string[] = [];
    let connects = 0;
    const io: CliIo = {
      out: () => undefined,
      err: (t) => err.push(t),
      env: {},
      connect: () => {
        connects++;
        throw new Error('no call expected');
      },
    };
    expect(await run(['report', '--from', 'last tuesday'], io)).toBe(64);
    expect(err.join('\n')).toMatch(/^pte report: --from: "last tuesday" is not a time/);
    expect(err.join('\n')).toContain('usage: pte report');
    expect(connects).toBe(0);
  });
});

describe('pte report over gRPC', () => {
  let fake: FakeExecutor;
  let server: GrpcServer;
  let addr = '';
  let client: ExecutorClient;
  let dir = '';

  beforeAll(async () => {
    fake = createFakeExecutor();
    server = createGrpcServer({ executor: fake, logger: pino({ level: 'silent' }) });
    addr = `127.0.0.1:${await server.start('127.0.0.1', 0)}`;
    client = createExecutorClient(addr, { defaultDeadlineMs: 5_000 });
    dir = mkdtempSync(join(tmpdir(), 'pte-report-'));
  });

  afterAll(async () => {
    client.close();
    await server.shutdown(1_000);
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    fake.portfolios = ['default', 'momentum'];
    fake.calls.getReport.length = 0;
  });

  async function pte(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: { PTE_ADDR: addr }, connect: createExecutorClient };
    const code = await run(['report', ...argv], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('--json prints the GetReport response as proto3 JSON', async () => {
    const r = await pte('--portfolio', 'momentum', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as Record<string, unknown>;
    expect(json).toEqual(toProto3Json(await client.getReport({ portfolioId: 'momentum' })));
    expect(json.from).toBe('2024-01-01T00:00:00Z');
    expect(json.endValueUsd).toBe('2067.19725');
    expect(Object.keys(json)[0]).toBe('portfolioId');
    expect(Object.keys(json).at(-1)).toBe('equity');
  });

  it('prints the readable summary: value, return vs buy-and-hold, drawdown, trades, costs, tags, tokens', async () => {
    const r = await pte();
    expect(r.code).toBe(0);
    expect(r.out).toContain('portfolio default: 2024-01-01 00:00:00Z to 2024-01-04 12:00:00Z (6 marks)');
    expect(r.out).toMatch(/value +\$2,000\.00 -> \$2,067\.20/);
    expect(r.out).toMatch(/return +\+3\.36 % +vs buy-and-hold \+5\.00 %/);
    expect(r.out).toMatch(/drawdown +max 14\.95 % \(\$331\.80/);
    expect(r.out).toMatch(/trades +3 \(2 filled, 1 failed on slippage\)/);
    expect(r.out).toContain('what realism cost');
    for (const row of ['base network fees', 'priority fees', 'account rent', 'slippage', 'price impact', 'MEV loss', 'failed-trade fees', 'total']) expect(r.out).toContain(row);
    expect(r.out).toMatch(/by strategy\n.*\n +momentum +2 /);
    expect(r.out).toContain('(untagged)');
    expect(r.out).toMatch(/by token\n.*\n +SOL +10 +8\.999975/);
  });

  it('sends the range and the group key', async () => {
    const r = await pte('--from', new Date(REPORT_T0 + 12 * H).toISOString(), '--to', '2024-01-03T13:00Z', '--group-by', 'desk');
    expect(r.code).toBe(0);
    expect(fake.calls.getReport).toEqual([{ portfolioId: '', query: { fromMs: REPORT_T0 + 12 * H, toMs: REPORT_T0 + 61 * H, groupBy: 'desk', maxPoints: undefined } }]);
    expect(r.out).toContain('by desk');
  });

  it('--all puts every portfolio side by side, and lists those without a report', async () => {
    fake.portfolios = ['default', 'momentum', 'ghost'];
    const inner = fake.getReport.bind(fake);
    fake.getReport = (id, q) => (id === 'ghost' ? inner(id, { ...q, toMs: 0 }) : inner(id, q));
    try {
      const r = await pte('--all');
      expect(r.code).toBe(0);
      const lines = r.out.split('\n');
      expect(lines[0]).toMatch(/^portfolio +start value +end value +return +buy-and-hold +max drawdown +Sharpe +trades +win rate +fees +realism cost$/);
      expect(lines[1]).toMatch(/^default +\$2,000\.00 +\$2,067\.20 +\+3\.36 % +\+5\.00 % +14\.95 % /);
      expect(lines[2]).toMatch(/^momentum /);
      expect(r.out).toMatch(/no report\n +ghost: to: the portfolio has no mark at or before 1970-01-01/);
      const json = JSON.parse((await pte('--all', '--json')).out) as { portfolios: { portfolioId: string }[]; reports: unknown[] };
      expect(json.portfolios.map((p) => p.portfolioId)).toEqual(['default', 'ghost', 'momentum']);
      expect(json.reports).toEqual([reportJson(await client.getReport()), reportJson(await client.getReport({ portfolioId: 'momentum' }))]);
    } finally {
      fake.getReport = inner;
    }
  });

  it('--html writes one self-contained tearsheet', async () => {
    const file = join(dir, 'report.html');
    const r = await pte('--portfolio', 'momentum', '--html', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`wrote ${file}`);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('Portfolio <span class="id">momentum</span>');
    expect(html).not.toMatch(/<script|<link|\ssrc=|\shref=|@import|url\(/i);
  });

  it('an unknown portfolio exits 1 with NOT_FOUND', async () => {
    const r = await pte('nobody');
    expect(r.code).toBe(1);
    expect(r.err).toBe('pte: portfolio_id: no portfolio "nobody" (NOT_FOUND)');
  });

  it('a bad group key exits 1 with INVALID_ARGUMENT naming group_by', async () => {
    const r = await pte('--group-by', 'a\tb');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pte: group_by: .* \(INVALID_ARGUMENT\)$/);
    expect(fake.calls.getReport).toHaveLength(0);
  });
});
