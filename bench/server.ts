/**
 * The benchmark's server process: the real service on embedded defaults, on a free port, logging
 * nothing. It tells its parent the port over IPC, reports its CPU time when asked ('cpu') and stops
 * when asked ('stop'). Running it in its own process keeps the load generator's CPU out of the
 * server's measurements.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../src/app.js';
import { configSchema } from '../src/config/schema.js';
import { silentLogger } from '../src/observability/logger.js';

const overrides = JSON.parse(process.env.PTE_BENCH_CONFIG ?? '{}') as Record<string, unknown>;
// A fresh journal directory per run: the benchmark measures a real, durable journal, never ./data.
const dataDir = mkdtempSync(join(tmpdir(), 'pte-bench-'));
// The dashboard only when the parent names a port for it (`run.ts --dashboard`).
const httpPort = Number(process.env.PTE_BENCH_HTTP_PORT ?? '0');
// Diagnostics on: the benchmark measures the transport alone with its Noop.
const server = { ...(overrides.server as Record<string, unknown> | undefined), diagnostics: true };
const app = await startApp(
  configSchema.parse({ dataDir, ...overrides, server, grpc: { port: 0 }, metrics: { port: 0 }, http: { port: httpPort } }),
  { logger: silentLogger() },
);
process.send?.({ port: app.grpcPort, httpPort: app.httpPort });
process.on('message', (m) => {
  // This process's CPU time so far (every thread: the event loop, the journal's fsyncs), µs.
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  else if (m === 'stop') {
    void app.stop(1_000).then(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  }
});
