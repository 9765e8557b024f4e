import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../src/app.js';
import { createExecutorClient, type ExecutorClient, type TradeRequestInput } from '../src/client/index.js';
import { configSchema, type ConfigInput } from '../src/config/schema.js';
import { silentLogger } from '../src/observability/logger.js';

/**
 * A real server on free loopback ports with the embedded defaults (simulated market), and a client.
 * Its journal goes to a fresh temporary directory (removed on stop) unless `dataDir` is given.
 */
export async function startTestServer(overrides: ConfigInput = {}): Promise<{ app: RunningApp; client: ExecutorClient; stop: () => Promise<void> }> {
  const tempDir = overrides.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'pte-test-')) : undefined;
  const config = configSchema.parse({
    ...overrides,
    dataDir: overrides.dataDir ?? tempDir,
    grpc: { host: '127.0.0.1', port: 0, ...overrides.grpc },
    metrics: { host: '127.0.0.1', port: 0, ...overrides.metrics },
    // The dashboard is off unless a test asks for it (with a port from freePort()).
    http: { host: '127.0.0.1', port: 0, ...overrides.http },
    // No warm start unless a test asks for one: it would add a second to every start.
    server: { warmUpTrades: 0, ...overrides.server },
  });
  const app = await startApp(config, { logger: silentLogger() });
  const client = createExecutorClient(`127.0.0.1:${app.grpcPort}`);
  await client.waitForReady(5_000);
  return {
    app,
    client,
    stop: async () => {
      client.close();
      await app.stop(1_000);
      if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

export const trade = (patch: Partial<TradeRequestInput> = {}): TradeRequestInput => ({
  requestId: randomUUID(),
  action: 'BUY',
  baseToken: 'SOL',
  quoteToken: 'USDC',
  amount: '1',
  isBaseInput: true,
  ...patch,
});

/** The gRPC status code and details of a rejected call. */
export async function rejection(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; details?: string };
    return { code: err.code ?? -1, details: err.details ?? String(e) };
  }
  throw new Error('expected the call to be rejected');
}

/**
 * A loopback port free right now, for servers whose port setting 0 means "off" rather than "any"
 * (the dashboard's http.port).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}
