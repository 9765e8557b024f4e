/**
 * Where configuration comes from besides the file: the environment variables and command-line flags
 * that map onto config paths. Kept as tables so the loader can name the exact variable or flag in an
 * error, and `pte help` and the docs can list them from one place.
 */

/** A path into the config, e.g. ['grpc', 'port']. */
export type ConfigPath = readonly (string | number)[];

export interface EnvBinding {
  readonly name: string;
  readonly path: ConfigPath;
  readonly kind: 'string' | 'number' | 'list' | 'boolean';
  readonly description: string;
}

export const ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'PTE_GRPC_HOST', path: ['grpc', 'host'], kind: 'string', description: 'gRPC listen host' },
  { name: 'PTE_GRPC_PORT', path: ['grpc', 'port'], kind: 'number', description: 'gRPC listen port' },
  { name: 'PTE_METRICS_HOST', path: ['metrics', 'host'], kind: 'string', description: 'metrics listen host' },
  { name: 'PTE_METRICS_PORT', path: ['metrics', 'port'], kind: 'number', description: 'metrics listen port' },
  { name: 'PTE_HTTP_HOST', path: ['http', 'host'], kind: 'string', description: 'dashboard listen host' },
  { name: 'PTE_HTTP_PORT', path: ['http', 'port'], kind: 'number', description: 'dashboard listen port (0 = off)' },
  { name: 'PTE_DATA_DIR', path: ['dataDir'], kind: 'string', description: 'journal and snapshot directory' },
  { name: 'PTE_LEDGER_URL', path: ['ledger', 'url'], kind: 'string', description: 'shared ledger database (postgres://...); unset: the file journal in the data directory' },
  { name: 'PTE_JOURNAL_SNAPSHOT_EVERY', path: ['journal', 'snapshotEvery'], kind: 'number', description: 'journal records between snapshots' },
  { name: 'PTE_JOURNAL_TRADE_CACHE', path: ['journal', 'tradeCache'], kind: 'number', description: 'recent trades kept decoded in memory' },
  { name: 'PTE_MARKS_INTERVAL_MS', path: ['marks', 'intervalMs'], kind: 'number', description: 'periodic equity marks, ms between them (0 = off)' },
  { name: 'PTE_LOG_LEVEL', path: ['logLevel'], kind: 'string', description: 'pino log level' },
  { name: 'PTE_SEED', path: ['seed'], kind: 'string', description: 'base seed of every random draw (uint64)' },
  { name: 'PTE_MARKET', path: ['market', 'kind'], kind: 'string', description: 'sim or jupiter' },
  { name: 'PTE_JUPITER_URLS', path: ['market', 'jupiterUrls'], kind: 'list', description: 'Jupiter base URLs, comma-separated, in failover order' },
  { name: 'PTE_REDIS_URL', path: ['market', 'redisUrl'], kind: 'string', description: 'shared price cache (redis://...)' },
  { name: 'PTE_PRICE_TTL_MS', path: ['market', 'priceTtlMs'], kind: 'number', description: 'price lifetime in Redis (or in process without Redis)' },
  { name: 'PTE_L1_TTL_MS', path: ['market', 'l1TtlMs'], kind: 'number', description: 'in-process price lifetime when Redis is set' },
  { name: 'PTE_JUPITER_TIMEOUT_MS', path: ['market', 'requestTimeoutMs'], kind: 'number', description: 'timeout of one Jupiter attempt' },
  { name: 'PTE_JUPITER_RATE_PER_SEC', path: ['market', 'perEndpointRatePerSec'], kind: 'number', description: 'requests per second per Jupiter endpoint' },
  { name: 'PTE_JUPITER_MAX_ATTEMPTS', path: ['market', 'maxAttemptsPerEndpoint'], kind: 'number', description: 'attempts per Jupiter endpoint before failover' },
  { name: 'PTE_JUPITER_BREAKER_OPEN_MS', path: ['market', 'breakerOpenMs'], kind: 'number', description: 'how long a failed endpoint is skipped before a probe' },
  { name: 'PTE_REDIS_LOCK_MS', path: ['market', 'redisLockMs'], kind: 'number', description: 'shared price refresh lock: its lifetime and the longest wait on another executor (0 = off)' },
  { name: 'PTE_REDIS_TIMEOUT_MS', path: ['market', 'redisTimeoutMs'], kind: 'number', description: 'timeout of one Redis command' },
  { name: 'PTE_MAX_IN_FLIGHT', path: ['server', 'maxInFlight'], kind: 'number', description: 'requests worked on at once before RESOURCE_EXHAUSTED' },
  { name: 'PTE_MAX_EVENT_LOOP_DELAY_MS', path: ['server', 'maxEventLoopDelayMs'], kind: 'number', description: 'event-loop delay before trades get RESOURCE_EXHAUSTED (0 = off)' },
  { name: 'PTE_DEFAULT_DEADLINE_MS', path: ['server', 'defaultDeadlineMs'], kind: 'number', description: 'deadline of calls that send none' },
  { name: 'PTE_SHUTDOWN_GRACE_MS', path: ['server', 'shutdownGraceMs'], kind: 'number', description: 'how long in-flight calls may finish on SIGTERM' },
  { name: 'PTE_WARM_UP_TRADES', path: ['server', 'warmUpTrades'], kind: 'number', description: 'trades run through scratch copies of the hot path before serving (0 = off)' },
  { name: 'PTE_DIAGNOSTICS', path: ['server', 'diagnostics'], kind: 'boolean', description: 'serve the Diagnostics no-op service (true or false)' },
  { name: 'PTE_EXECUTION_PRICING', path: ['execution', 'pricing'], kind: 'string', description: 'immediate or landing (priced when the transaction would land)' },
  { name: 'QDB_CLIENT_CONF', path: ['questdb', 'conf'], kind: 'string', description: 'QuestDB client configuration string' },
];

/**
 * Secrets read from the environment by the module that uses them. They are never part of Config, so
 * they cannot be printed or logged with it.
 */
export const SECRET_ENV = ['JUPITER_API_KEY'] as const;

/** Flags of `pte serve` that map onto config paths; the loader names them in errors. */
export const FLAG_BINDINGS: readonly { readonly flag: string; readonly path: ConfigPath }[] = [
  { flag: '--grpc-port', path: ['grpc', 'port'] },
  { flag: '--metrics-port', path: ['metrics', 'port'] },
  { flag: '--http-port', path: ['http', 'port'] },
  { flag: '--data-dir', path: ['dataDir'] },
  { flag: '--no-journal', path: ['journal', 'enabled'] },
  { flag: '--ledger-url', path: ['ledger', 'url'] },
  { flag: '--market', path: ['market', 'kind'] },
  { flag: '--jupiter-url', path: ['market', 'jupiterUrls'] },
  { flag: '--redis-url', path: ['market', 'redisUrl'] },
  { flag: '--seed', path: ['seed'] },
  { flag: '--log-level', path: ['logLevel'] },
  { flag: '--questdb', path: ['questdb', 'conf'] },
];

/** "true"/"false" (any case) -> a boolean; anything else is kept so validation can show it as given. */
export function booleanOrText(text: string): boolean | string {
  const t = text.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : text;
}

/** "8080" -> 8080 for numeric settings; anything else is kept so validation can show it as given. */
export function numberOrText(text: string): number | string {
  return /^-?\d+(?:\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : text;
}
