import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { ExecutorClient, PortfolioSummaryMessage } from '../client/index.js';
import { describeCallFailure } from './errors.js';
import type { CliIo } from './io.js';
import { run } from './run.js';
import { parseServeArgs, serveBanner } from './serve.js';
import { defaultConfig } from '../config/schema.js';

/** A client double: only the methods a test needs; calling anything else fails the test. */
function fakeClient(methods: Partial<ExecutorClient>, ready = true): ExecutorClient {
  const base: Partial<ExecutorClient> = {
    waitForReady: () => (ready ? Promise.resolve() : Promise.reject(new Error('Failed to connect before the deadline'))),
    close: () => undefined,
  };
  return { ...base, ...methods } as unknown as ExecutorClient;
}

function capture(client?: ExecutorClient, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const addrs: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env,
    connect: (addr) => {
      addrs.push(addr);
      if (!client) throw new Error('no client expected in this test');
      return client;
    },
  };
  return { io, out, err, addrs };
}

function serviceError(code: number, details: string, executorCode?: string): Error {
  const metadata = new Metadata();
  if (executorCode !== undefined) metadata.set('pte-error-code', executorCode);
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

const summary: PortfolioSummaryMessage = {
  portfolioId: 'alice',
  balances: [],
  totalValueUsd: '0',
  realizedPnlUsd: '0',
  unrealizedPnlUsd: '0',
  tradeCount: '0',
  feesPaidLamports: '0',
  updatedAt: null,
  priceSource: '',
  stateHash: '',
};

describe('pte: help, version and usage errors', () => {
  it('prints the command list for help, and exits 64 with it when no command is given', async () => {
    const a = capture();
    expect(await run(['help'], a.io)).toBe(0);
    expect(a.out.join('\n')).toContain('usage: pte <command>');
    const b = capture();
    expect(await run([], b.io)).toBe(64);
    expect(b.err.join('\n')).toContain('usage: pte <command>');
  });

  it('prints per-command help for `pte help CMD` and `pte CMD --help`', async () => {
    for (const argv of [['help', 'trade'], ['trade', '--help'], ['trade', 'buy', '-h']]) {
      const c = capture();
      expect(await run(argv, c.io)).toBe(0);
      expect(c.out.join('\n')).toContain('usage: pte trade <buy|sell|swap> <BASE/QUOTE> <amount>');
    }
  });

  it('prints the package version', async () => {
    const c = capture();
    expect(await run(['--version'], c.io)).toBe(0);
    expect(c.out[0]).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 64 with the command usage for a wrong command line', async () => {
    const c = capture();
    expect(await run(['trade', 'buy', 'SOL/USDC'], c.io)).toBe(64);
    expect(c.err[0]).toMatch(/^pte trade: expected <buy\|sell\|swap>/);
    expect(c.err[0]).toContain('usage: pte trade');
    const d = capture();
    expect(await run(['frobnicate'], d.io)).toBe(64);
    expect(d.err[0]).toContain('unknown command "frobnicate"');
  });
});

describe('pte: talking to the executor', () => {
  it('says clearly when nothing listens at the address, and exits 2', async () => {
    const c = capture(fakeClient({}, false));
    expect(await run(['portfolio', '--addr', '127.0.0.1:1'], c.io)).toBe(2);
    expect(c.err[0]).toContain('pte: cannot reach the executor at 127.0.0.1:1 — is `pte serve` running?');
  });

  it('prints `pte: <details> (<STATUS>)` and exits 1 when the executor refuses', async () => {
    const c = capture(
      fakeClient({
        executeTrade: () => Promise.reject(serviceError(status.FAILED_PRECONDITION, 'insufficient SOL balance', 'INSUFFICIENT_BALANCE')),
      }),
    );
    expect(await run(['trade', 'sell', 'SOL/USDC', '1000'], c.io)).toBe(1);
    expect(c.err).toEqual(['pte: insufficient SOL balance (FAILED_PRECONDITION)']);
  });

  it('tells a business UNAVAILABLE (no price) from an unreachable server by the executor trailer', () => {
    expect(describeCallFailure(serviceError(status.UNAVAILABLE, 'no price for SOL', 'PRICE_UNAVAILABLE') as never, 'h:1')).toEqual({
      message: 'pte: no price for SOL (UNAVAILABLE)',
      exitCode: 1,
    });
    expect(describeCallFailure(serviceError(status.UNAVAILABLE, 'connect ECONNREFUSED') as never, 'h:1').exitCode).toBe(2);
  });

  it('sends the parsed request and prints JSON with --json', async () => {
    const seen: unknown[] = [];
    const c = capture(
      fakeClient({
        resetPortfolio: (id, balances) => {
          seen.push([id, balances]);
          return Promise.resolve(summary);
        },
      }),
      { PTE_ADDR: 'exec:7000' },
    );
    expect(await run(['reset', 'alice', '--balance', 'SOL=10', '--balance', 'USDC=2500', '--json'], c.io)).toBe(0);
    expect(seen).toEqual([['alice', { SOL: '10', USDC: '2500' }]]);
    expect(c.addrs).toEqual(['exec:7000']);
    expect(JSON.parse(c.out.join('\n'))).toEqual(summary);
  });

  it('lists trades with the requested limit and points to the next page', async () => {
    const c = capture(fakeClient({ listTrades: (req) => Promise.resolve({ trades: [], nextPageToken: `after-${req?.limit ?? 0}` }) }));
    expect(await run(['trades', 'alice', '--limit', '5'], c.io)).toBe(0);
    expect(c.out.join('\n')).toContain('no trades yet');
    expect(c.out.join('\n')).toContain('more: pte trades alice --limit 5 --page-token after-5');
  });
});

describe('pte serve (no server started)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pte-cli-'));

  it('maps flags onto config overrides', () => {
    expect(
      parseServeArgs([
        '--grpc-port', '6000', '--metrics-port', '0', '--http-port', '8181', '--data-dir', '/d', '--market', 'jupiter',
        '--jupiter-url', 'https://a.example', '--jupiter-url', 'https://b.example', '--redis-url', 'redis://r:6379',
        '--seed', '18446744073709551615', '--log-level', 'debug', '--config', 'x.yaml',
      ]),
    ).toEqual({
      configFile: 'x.yaml',
      printConfig: false,
      overrides: {
        grpc: { port: 6000 },
        metrics: { port: 0 },
        http: { port: 8181 },
        dataDir: '/d',
        market: { kind: 'jupiter', jupiterUrls: ['https://a.example', 'https://b.example'], redisUrl: 'redis://r:6379' },
        seed: '18446744073709551615',
        logLevel: 'debug',
      },
    });
  });

  it('--print-config prints the effective config with its sources and secrets redacted', async () => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'metrics:\n  port: 9999\n');
    const c = capture(undefined, { PTE_REDIS_URL: 'redis://:s3cret@r:6379', JUPITER_API_KEY: 'k' });
    expect(await run(['serve', '--config', file, '--grpc-port', '6000', '--print-config'], c.io)).toBe(0);
    const text = c.out.join('\n');
    expect(text).toMatch(/port: 6000 # from flag --grpc-port/);
    expect(text).toMatch(/port: 9999 # from .*c\.yaml/);
    expect(text).not.toContain('s3cret');
    expect(text).toContain('# JUPITER_API_KEY: set (not shown)');
  });

  it('exits 78 listing every configuration problem with its source', async () => {
    const c = capture(undefined, { PTE_MARKET: 'live' });
    expect(await run(['serve', '--grpc-port', 'http', '--print-config'], c.io)).toBe(78);
    const text = c.err.join('\n');
    expect(text).toContain('pte: invalid configuration:');
    expect(text).toContain('grpc.port: must be a whole number between 0 and 65535, got "http" (from flag --grpc-port)');
    expect(text).toContain('market.kind: must be one of "sim", "jupiter"; got "live" (from env PTE_MARKET)');
  });

  it('announces where it serves in one line', () => {
    expect(serveBanner(defaultConfig(), { grpcPort: 50051, metricsPort: 9464, httpPort: 8080 })).toBe(
      'pte: serving paper trades on 127.0.0.1:50051 (market: sim, seed 1), metrics on http://127.0.0.1:9464/metrics, dashboard on http://127.0.0.1:8080/, data in ./data',
    );
    expect(serveBanner(defaultConfig(), { grpcPort: 50051, metricsPort: 9464, httpPort: 0 })).toContain('dashboard off');
  });
});
