/**
 * The benchmark's server process: the real service on embedded defaults, on a free port, logging at
 * the default level (info; PTE_BENCH_LOG_LEVEL sets another, "silent" none) to /dev/null, as a
 * production server logs to a pipe. It tells its parent the port over IPC, reports its CPU time when asked ('cpu'),
 * its monotonic clock in µs when asked ('mark': the time base of a --cpu-prof profile) and stops
 * when asked ('stop'). Running it in its own process keeps the load generator's CPU out of the
 * server's measurements.
 */
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../src/app.js';
import { configSchema } from '../src/config/schema.js';
import { createLogger, silentLogger, type LogLevel } from '../src/observability/logger.js';

const overrides = JSON.parse(process.env.PTE_BENCH_CONFIG ?? '{}') as Record<string, unknown>;
// A fresh journal directory per run: the benchmark measures a real, durable journal, never ./data.
const dataDir = mkdtempSync(join(tmpdir(), 'pte-bench-'));
// The dashboard only when the parent names a port for it (`run.ts --dashboard`).
const httpPort = Number(process.env.PTE_BENCH_HTTP_PORT ?? '0');
// The service's default level, info, into the null device (a production server logs to a pipe).
const logLevel = (process.env.PTE_BENCH_LOG_LEVEL ?? 'info') as LogLevel;
// Diagnostics on: the benchmark measures the transport alone with its Noop.
const server = { ...(overrides.server as Record<string, unknown> | undefined), diagnostics: true };
const app = await startApp(
  configSchema.parse({ dataDir, ...overrides, server, grpc: { port: 0 }, metrics: { port: 0 }, http: { port: httpPort } }),
  { logger: logLevel === 'silent' ? silentLogger() : createLogger({ level: logLevel, destination: openSync('/dev/null', 'w') }) },
);
process.send?.({ port: app.grpcPort, httpPort: app.httpPort });
process.on('message', (m) => {
  // This process's CPU time so far (every thread: the event loop, the journal's fsyncs), µs.
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  // The shared ledger's counters (round trips, commits), or null for the file journal.
  else if (m === 'ledger') process.send?.({ ledger: app.ledger?.stats() ?? null });
  // CLOCK_MONOTONIC in µs, the clock of a V8 CPU profile's timestamps on Linux.
  else if (m === 'mark') process.send?.({ mark: Number(process.hrtime.bigint() / 1000n) });
  else if (m === 'stop') {
    void app.stop(1_000).then(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  }
});
