/** `pte serve`: loads the configuration, starts the executor and runs until SIGINT or SIGTERM. */
import type { ConfigOverrides } from '../config/load.js';
import { describeConfig, resolveConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { numberOrText } from '../config/sources.js';
import { parseCommandArgs, UsageError } from './args.js';
import { EXIT } from './errors.js';
import type { CliIo } from './io.js';

export const SERVE_USAGE = `usage: pte serve [options]

Runs the paper trade executor. Settings come from the defaults, then --config FILE, then the
environment (PTE_GRPC_PORT, PTE_METRICS_PORT, PTE_HTTP_PORT, PTE_DATA_DIR, PTE_LOG_LEVEL, PTE_SEED,
PTE_LEDGER_URL, PTE_MARKET, PTE_JUPITER_URLS, PTE_REDIS_URL, PTE_PRICE_TTL_MS, QDB_CLIENT_CONF; the Jupiter API key is
read from JUPITER_API_KEY), then these flags. Logs are JSON on stdout; this command's own messages go to stderr.

options:
  --config FILE          a .yaml, .yml or .json config file
  --grpc-port N          gRPC port (default 50051; 0 = any free port)
  --metrics-port N       Prometheus metrics port (default 9464)
  --http-port N          dashboard and JSON API port on 127.0.0.1 (default 8080; 0 = off)
  --data-dir DIR         journal and snapshots (default ./data)
  --no-journal           keep state in memory only: lost on restart (benchmarks, throwaway runs)
  --ledger-url URL       keep the ledger in PostgreSQL, shared by every executor given the same URL,
                         e.g. postgres://pte@db:5432/pte (docs/deployment.md); prefer PTE_LEDGER_URL
                         when the URL holds a password
  --market sim|jupiter   price source (default sim: no network)
  --jupiter-url URL      Jupiter base URL, in failover order (repeatable)
  --redis-url URL        shared price cache, e.g. redis://localhost:6379
  --seed N               base seed of every random draw (uint64, default 1)
  --log-level L          fatal, error, warn, info, debug, trace or silent (default info)
  --questdb CONF         record trades in QuestDB, e.g. 'http::addr=localhost:9000;' (docs/questdb.md);
                         a conf with credentials only from QDB_CLIENT_CONF
  --print-config         print the effective configuration (secrets redacted) and exit`;

const OPTIONS = {
  config: { type: 'string' },
  'grpc-port': { type: 'string' },
  'metrics-port': { type: 'string' },
  'http-port': { type: 'string' },
  'data-dir': { type: 'string' },
  'no-journal': { type: 'boolean' },
  'ledger-url': { type: 'string' },
  market: { type: 'string' },
  'jupiter-url': { type: 'string', multiple: true },
  'redis-url': { type: 'string' },
  seed: { type: 'string' },
  'log-level': { type: 'string' },
  questdb: { type: 'string' },
  'print-config': { type: 'boolean' },
} as const;

export interface ServeCommand {
  readonly configFile: string | undefined;
  /** Flag values in the config's shape; validated (and blamed on their flag) by the loader. */
  readonly overrides: ConfigOverrides;
  readonly printConfig: boolean;
}

export function parseServeArgs(argv: readonly string[]): ServeCommand {
  const { values: v, positionals } = parseCommandArgs(argv, OPTIONS, 'serve');
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'serve');
  const o: Record<string, unknown> = {};
  const grpc: Record<string, unknown> = {};
  const metrics: Record<string, unknown> = {};
  const http: Record<string, unknown> = {};
  const market: Record<string, unknown> = {};
  if (v['grpc-port'] !== undefined) grpc.port = numberOrText(v['grpc-port']);
  if (v['metrics-port'] !== undefined) metrics.port = numberOrText(v['metrics-port']);
  if (v['http-port'] !== undefined) http.port = numberOrText(v['http-port']);
  if (v['data-dir'] !== undefined) o.dataDir = v['data-dir'];
  if (v['no-journal'] === true) o.journal = { enabled: false };
  if (v['ledger-url'] !== undefined) o.ledger = { url: v['ledger-url'] };
  if (v.market !== undefined) market.kind = v.market;
  if (v['jupiter-url'] !== undefined) market.jupiterUrls = v['jupiter-url'];
  if (v['redis-url'] !== undefined) market.redisUrl = v['redis-url'];
  if (v.seed !== undefined) o.seed = v.seed;
  if (v['log-level'] !== undefined) o.logLevel = v['log-level'];
  if (v.questdb !== undefined) o.questdb = { conf: v.questdb };
  if (Object.keys(grpc).length > 0) o.grpc = grpc;
  if (Object.keys(metrics).length > 0) o.metrics = metrics;
  if (Object.keys(http).length > 0) o.http = http;
  if (Object.keys(market).length > 0) o.market = market;
  return { configFile: v.config, overrides: o, printConfig: v['print-config'] === true };
}

/** The one line a person reads when the server is up. */
export function serveBanner(config: Config, ports: { readonly grpcPort: number; readonly metricsPort: number; readonly httpPort?: number }): string {
  const hostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const httpPort = ports.httpPort ?? 0;
  const dashboard = httpPort > 0 ? `dashboard on http://${hostPort(config.http.host, httpPort)}/` : 'dashboard off';
  return (
    `pte: serving paper trades on ${hostPort(config.grpc.host, ports.grpcPort)} ` +
    `(market: ${config.market.kind}, seed ${config.seed}), ` +
    `metrics on http://${hostPort(config.metrics.host, ports.metricsPort)}/metrics, ${dashboard}, ` +
    (config.ledger.url === undefined ? `data in ${config.dataDir}` : `ledger in PostgreSQL at ${ledgerWhere(config.ledger.url)}`)
  );
}

/** Where a ledger URL points, without its credentials: host, port and database. */
export function ledgerWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

/** Time allowed, after the drain, to flush and close the journal and the recorder. */
const STOP_FLUSH_MS = 5_000;

export interface ServeDeps {
  /** Resolves with the signal that asked the server to stop. */
  readonly untilSignal: () => Promise<string>;
}

/** Waits for SIGINT or SIGTERM; a second signal while stopping exits at once. */
export function processSignals(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const force = (): never => process.exit(130);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export async function runServe(cmd: ServeCommand, io: CliIo, deps: ServeDeps = { untilSignal: processSignals }): Promise<number> {
  const { config, origins } = resolveConfig({ file: cmd.configFile, env: io.env, flags: cmd.overrides });
  if (cmd.printConfig) {
    io.out(describeConfig(config, { origins, env: io.env }));
    return 0;
  }
  // Loaded here rather than at the top so `pte trade` and friends do not load the whole server.
  const { startApp, LedgerConfigError } = await import('../app.js');
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config);
  } catch (e) {
    io.err(`pte: cannot start the executor: ${e instanceof Error ? e.message : String(e)}`);
    // A ledger database that cannot be used as configured is a configuration error (sysexits EX_CONFIG).
    return e instanceof LedgerConfigError ? EXIT.config : EXIT.failed;
  }
  io.err(serveBanner(config, app));
  const signal = await deps.untilSignal();
  io.err(`pte: ${signal} received, stopping`);
  // Draining (health NOT_SERVING, in-flight trades finish) is bounded by server.shutdownGraceMs; the
  // journal's final flush and the QuestDB recorder's (questdb.shutdownDeadlineMs, concurrent with
  // it) get a further bounded window. Past all of it, exit non-zero rather than hang.
  const limitMs = config.server.shutdownGraceMs + (config.questdb.conf === undefined ? 0 : config.questdb.shutdownDeadlineMs) + STOP_FLUSH_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    app.stop(config.server.shutdownGraceMs).then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), limitMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    io.err(`pte: could not stop cleanly within ${limitMs} ms`);
    return 1;
  }
  io.err('pte: stopped');
  return 0;
}
