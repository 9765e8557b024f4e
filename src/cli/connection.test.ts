/**
 * The client commands against an executor that requires an API key and serves TLS, over real gRPC
 * connections: the key from PTE_API_KEY or --api-key, the CA from --tls-ca (or PTE_TLS_CA), the
 * certificate's name from --tls-server-name. And the errors a person sees when one is missing.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../app.js';
import { createExecutorClient } from '../client/index.js';
import { configSchema } from '../config/schema.js';
import { silentLogger } from '../observability/logger.js';
import { apiKeyHash } from '../server/guards/index.js';
import type { CliIo } from './io.js';
import { run } from './run.js';

const KEY = `cli-key-${randomUUID()}`;
/** The certificate names only this host, so connecting by IP needs --tls-server-name. */
const CERT_NAME = 'executor.pte.internal';

let dir = '';
let app: RunningApp;
let addr = '';
let ca = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pte-cli-tls-'));
  ca = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${CERT_NAME}`, '-addext', `subjectAltName=DNS:${CERT_NAME}`, '-keyout', join(dir, 'key.pem'), '-out', ca],
    { stdio: 'ignore' },
  );
  app = await startApp(
    configSchema.parse({
      dataDir: join(dir, 'data'),
      grpc: { host: '127.0.0.1', port: 0 },
      metrics: { host: '127.0.0.1', port: 0 },
      http: { port: 0 },
      server: { apiKeys: [{ name: 'cli', keyHash: `sha256:${apiKeyHash(KEY)}`, portfolios: ['*'] }], tls: { certFile: ca, keyFile: join(dir, 'key.pem') }, warmUpTrades: 0 },
    }),
    { logger: silentLogger() },
  );
  addr = `127.0.0.1:${app.grpcPort}`;
}, 60_000);

afterAll(async () => {
  await app.stop(500);
  rmSync(dir, { recursive: true, force: true });
});

/** `pte argv...` in process with real gRPC clients; stdout and stderr captured. */
async function pte(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env, connect: createExecutorClient };
  const code = await run(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const tls = (): string[] => ['--addr', addr, '--tls-ca', ca, '--tls-server-name', CERT_NAME];

describe('pte client commands with an API key and TLS', () => {
  it('trade, portfolio, trades and reset work with the key from PTE_API_KEY and the CA from --tls-ca', async () => {
    const env = { PTE_API_KEY: KEY };
    const reset = await pte(['reset', 'cli', '--json', ...tls()], env);
    expect(reset.err).toBe('');
    expect(reset.code).toBe(0);
    const traded = await pte(['trade', 'buy', 'SOL/USDC', '0.01', '--portfolio', 'cli', '--json', ...tls()], env);
    expect(traded.err).toBe('');
    expect(traded.code).toBe(0);
    expect(JSON.parse(traded.out)).toHaveProperty('trade.status', 'TRADE_STATUS_FILLED');
    const trades = await pte(['trades', 'cli', '--json', ...tls()], env);
    expect(trades.code).toBe(0);
    expect((JSON.parse(trades.out) as { trades: unknown[] }).trades).toHaveLength(1);
    const portfolio = await pte(['portfolio', 'cli', '--json', ...tls()], env);
    expect(portfolio.code).toBe(0);
    expect(JSON.parse(portfolio.out)).toMatchObject({ portfolioId: 'cli', tradeCount: '1' });
  });

  it('takes the key from --api-key and the CA from PTE_TLS_CA too', async () => {
    const r = await pte(['portfolio', 'cli', '--json', '--addr', addr, '--api-key', KEY, '--tls-server-name', CERT_NAME], { PTE_TLS_CA: ca });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('without a key: UNAUTHENTICATED, and the message says to set PTE_API_KEY', async () => {
    const r = await pte(['portfolio', ...tls()]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pte: missing API key.*\(UNAUTHENTICATED\)/);
    expect(r.err).toContain('PTE_API_KEY');
    const wrong = await pte(['portfolio', ...tls()], { PTE_API_KEY: `${KEY}x` });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/invalid API key \(UNAUTHENTICATED\).*PTE_API_KEY/);
    expect(wrong.err).not.toContain(KEY);
  });

  it('a CA file that is not there, or not a certificate: exit 78 naming the flag', async () => {
    const missing = await pte(['portfolio', '--addr', addr, '--tls-ca', join(dir, 'nope.pem')], { PTE_API_KEY: KEY });
    expect(missing.code).toBe(78);
    expect(missing.err).toBe(`pte: --tls-ca: cannot read ${join(dir, 'nope.pem')} (no such file)`);
    const fromEnv = await pte(['portfolio', '--addr', addr], { PTE_API_KEY: KEY, PTE_TLS_CA: join(dir, 'nope.pem') });
    expect(fromEnv.code).toBe(78);
    expect(fromEnv.err).toContain('PTE_TLS_CA');
    const notPem = await pte(['portfolio', '--addr', addr, '--tls-ca', join(dir, 'key.pem')], { PTE_API_KEY: KEY });
    expect(notPem.code).toBe(78);
    expect(notPem.err).toMatch(/^pte: --tls-ca: .*key\.pem is not a PEM certificate/);
  });

  it('a TLS server without TLS on the client, or a name the certificate does not hold: cannot connect, with a hint', async () => {
    const plain = await pte(['portfolio', '--addr', addr], { PTE_API_KEY: KEY });
    expect(plain.code).toBe(2);
    expect(plain.err).toContain(`cannot reach the executor at ${addr}`);
    expect(plain.err).toContain('--tls-ca');
    const wrongName = await pte(['portfolio', '--addr', addr, '--tls-ca', ca], { PTE_API_KEY: KEY });
    expect(wrongName.code).toBe(2);
    expect(wrongName.err).toContain('--tls-server-name');
  }, 20_000);

  it('refuses --tls-server-name without TLS, and an empty --api-key, as usage errors', async () => {
    const r = await pte(['portfolio', '--addr', addr, '--tls-server-name', CERT_NAME]);
    expect(r.code).toBe(64);
    expect(r.err).toMatch(/^pte portfolio: --tls-server-name needs --tls or --tls-ca/);
    const empty = await pte(['trades', '--api-key', '']);
    expect(empty.code).toBe(64);
    expect(empty.err).toMatch(/^pte trades: --api-key: empty/);
  });
});
