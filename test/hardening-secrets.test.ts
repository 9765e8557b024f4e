/**
 * Secrets never reach the logs. A server runs with a Jupiter API key, a QuestDB configuration that
 * carries a password and an API key of its own, at log level trace, against an upstream that answers
 * 401 and 500 and echoes the key back in its bodies; its configuration is printed and a bad
 * configuration next to the secrets is rejected. Every byte logged or printed is scanned.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../src/app.js';
import { createExecutorClient } from '../src/client/index.js';
import { describeConfig, resolveConfig } from '../src/config/load.js';
import { configSchema } from '../src/config/schema.js';
import { createLogger } from '../src/observability/logger.js';
import { rejection, trade } from './support.js';

const JUPITER_KEY = `jup-${randomUUID()}`;
const QDB_PASSWORD = `qdbpw-${randomUUID()}`;
const SERVICE_KEY = `svc-${randomUUID()}`;
const SECRETS = [JUPITER_KEY, QDB_PASSWORD, SERVICE_KEY];

describe('secrets in logs', () => {
  let upstream: Server;
  let upstreamUrl = '';
  const seenKeys: string[] = [];
  const logged: string[] = [];

  beforeAll(async () => {
    // A hostile upstream: 401 on /price, 500 on everything else, each body quoting the key it got.
    upstream = createServer((req, res) => {
      const key = String(req.headers['x-api-key'] ?? '');
      seenKeys.push(key);
      const code = req.url?.includes('price') === true ? 401 : 500;
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code, message: `key ${key} is not valid`, url: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => upstream.close(r));
  });

  it('logs neither the Jupiter key, nor the QuestDB password, nor an API key, on any path', async () => {
    process.env.JUPITER_API_KEY = JUPITER_KEY;
    process.env.PTE_TEST_SERVICE_KEY = SERVICE_KEY;
    const qdbConf = `http::addr=127.0.0.1:1;username=admin;password=${QDB_PASSWORD};`;
    const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void logged.push(line) } });
    try {
      const { config } = resolveConfig({
        file: undefined,
        env: { QDB_CLIENT_CONF: qdbConf, JUPITER_API_KEY: JUPITER_KEY, PTE_MARKET: 'jupiter' },
        flags: {},
      });
      logged.push(describeConfig(config, { env: { JUPITER_API_KEY: JUPITER_KEY } }));
      // A bad setting beside the secrets: the error names the setting, not the secrets.
      try {
        resolveConfig({ file: undefined, env: { QDB_CLIENT_CONF: qdbConf, PTE_GRPC_PORT: `x${JUPITER_KEY}` }, flags: {} });
      } catch (e) {
        logged.push(String(e));
      }

      const app = await startApp(
        configSchema.parse({
          ...config,
          seed: config.seed.toString(),
          dataDir: config.dataDir,
          journal: { enabled: false },
          logLevel: 'trace',
          grpc: { host: '127.0.0.1', port: 0 },
          metrics: { host: '127.0.0.1', port: 0 },
          http: { port: 0 },
          market: { kind: 'jupiter', jupiterUrls: [upstreamUrl], perEndpointRatePerSec: 10_000, maxAttemptsPerEndpoint: 2, backoffBaseMs: 0, backoffMaxMs: 0, requestTimeoutMs: 2_000 },
          questdb: { conf: qdbConf },
          server: { apiKeys: [{ name: 'svc', keyEnv: 'PTE_TEST_SERVICE_KEY', portfolios: ['mine'] }], warmUpTrades: 0 },
        }),
        { logger },
      );
      const client = createExecutorClient(`127.0.0.1:${app.grpcPort}`, { apiKey: SERVICE_KEY });
      try {
        // Upstream failures (401, 500) on the trade path.
        for (const action of ['BUY', 'SWAP'] as const) {
          const r = await rejection(client.executeTrade(trade({ action, portfolioId: 'mine' })));
          expect([status.UNAVAILABLE, status.FAILED_PRECONDITION]).toContain(r.code);
          for (const s of SECRETS) expect(r.details).not.toContain(s);
        }
      } finally {
        const wrong = new Metadata();
        wrong.set('x-api-key', JUPITER_KEY);
        const denied = await rejection(createExecutorClient(`127.0.0.1:${app.grpcPort}`).getPortfolio('mine', { metadata: wrong }));
        expect(denied.code).toBe(status.UNAUTHENTICATED);
        expect((await rejection(client.getPortfolio('other'))).code).toBe(status.PERMISSION_DENIED);
        client.close();
        await app.stop(1_000);
      }
    } finally {
      delete process.env.JUPITER_API_KEY;
      delete process.env.PTE_TEST_SERVICE_KEY;
    }

    // The paths ran: the upstream got the key and answered errors, and the server logged about it.
    expect(seenKeys).toContain(JUPITER_KEY);
    const all = logged.join('\n');
    expect(all).toMatch(/"level":"(warn|error)"/);
    expect(all).toMatch(/401|500|unauthori[sz]ed|upstream/i);
    expect(logged.length).toBeGreaterThan(5);
    for (const s of SECRETS) expect(all.includes(s), `a secret (${s.slice(0, 4)}...) appears in the logs`).toBe(false);
  });
});
