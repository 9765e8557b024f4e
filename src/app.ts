/**
 * The composition root: builds every part from the configuration and wires them by hand. Nothing
 * else constructs adapters; everything else receives what it needs through its options.
 */
import type pino from 'pino';
import type { Config } from './config/schema.js';
import type { FeeSchedule } from './domain/fees.js';
import { parseLandingParams } from './domain/slippage/landing.js';
import { configuredSlippage } from './config/slippage.js';
import type { JsonValue } from './domain/request.js';
import { createTokenRegistry, type TokenRegistry } from './domain/tokens.js';
import type { PipelineOptions } from './executor/pipeline.js';
import type { SharedLedgerStore, TradeJournal, TradeRecorder } from './executor/ports.js';
import { createExecutor, type MarkingExecutor, type RestoredPortfolio } from './executor/executor.js';
import { startPeriodicMarks } from './executor/marks.js';
import { landingDriftEvaluator } from './executor/landing-stage.js';
import { createMevEvaluator } from './executor/mev-stage.js';
import { resolveMevParams } from './domain/mev/params.js';
import type { Executor } from './executor/types.js';
import { createMarket, type Market } from './market/build.js';
import { createLogger, fixedFieldsLogger, type LogLevel } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { startMetricsServer } from './observability/metrics-server.js';
import { registerLedgerMetrics } from './observability/ledger-metrics.js';
import { createGrpcServer, type GrpcServerOptions } from './server/index.js';
import { createAuthenticator, resolveApiKeys, type CallGuard, type GuardCode, type Principal } from './server/guards/index.js';
import { Metadata } from '@grpc/grpc-js';
import { startHttpServer, type HttpAccess, type HttpCredentials, type HttpServer } from './http/index.js';
import { summarizeMetrics } from './observability/health.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExecutorClient, type TradeRequestInput } from './client/index.js';
import { openFileJournal, type FileJournal, type JournalIo } from './store/file-journal.js';
import { createMemoryJournal } from './store/memory-journal.js';
import { createPostgresLedger, type PostgresLedger } from './store/postgres/index.js';
import { describeConf } from './domain/questdb-conf.js';
import { createQuestDbMetrics } from './store/questdb/metrics.js';
import { createQuestDbRecorder, type QuestDbRecorder } from './store/questdb/recorder.js';

export interface RunningApp {
  readonly grpcPort: number;
  readonly metricsPort: number;
  /** The dashboard's port; 0 when config.http.port is 0 (off). */
  readonly httpPort: number;
  readonly executor: Executor;
  readonly metrics: Metrics;
  /** The durable journal; undefined when config.journal.enabled is false or the ledger is in PostgreSQL. */
  readonly journal: FileJournal | undefined;
  /** The shared ledger; undefined unless config.ledger.url is set. */
  readonly ledger: PostgresLedger | undefined;
  /** The QuestDB recorder; undefined when config.questdb.conf is unset. */
  readonly recorder: QuestDbRecorder | undefined;
  /** The transport's guard: in-flight count, event-loop delay as admission sees it, draining. */
  readonly guard: CallGuard;
  /** Stops accepting, lets in-flight calls finish (up to graceMs), closes every part. */
  stop(graceMs?: number): Promise<void>;
}

export interface AppOptions {
  readonly logger?: pino.Logger;
  /** The journal's file operations, replaced by fault-injection tests (a disk that fills up). */
  readonly journalIo?: JournalIo;
  /** Where server.apiKeys[].keyEnv are read. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}


/** Steps 4-8 of the pipeline as configured: shared by the live executor and `pte replay --verify`. */
export function pipelineOptions(config: Config, tokens: TokenRegistry = createTokenRegistry()): PipelineOptions {
  const fees: FeeSchedule = {
    signatureLamports: BigInt(config.fees.signatureLamports),
    rentLamports: BigInt(config.fees.rentLamports),
    chargeRent: config.fees.chargeRent,
  };
  const { registry: slippage, defaultModel } = configuredSlippage(config);
  // The calibrated slot model: the drift of immediate pricing and the wait of landing-time pricing.
  const landing = parseLandingParams(config.slippage.landingDelay as Record<string, JsonValue>, 'config.slippage.landingDelay');
  return {
    slippage,
    defaultSlippageModel: defaultModel,
    defaultToleranceBps: config.slippage.defaultToleranceBps,
    nearToleranceRatio: config.warnings.nearToleranceRatio,
    fees,
    sol: tokens.sol,
    drift: landingDriftEvaluator(landing),
    landingTime: {
      defaultPricing: config.execution.pricing === 'landing' ? 'LANDING' : 'IMMEDIATE',
      params: landing,
      slotMs: config.execution.slotMs,
    },
    mev: createMevEvaluator(resolveMevParams(config.mev.params, undefined, 'config.mev.params'), config.mev.regime),
  };
}

export interface BuildOptions {
  readonly journal?: TradeJournal;
  /** Portfolios recovered by the file journal (its snapshot and tail). */
  readonly restored?: ReadonlyMap<string, RestoredPortfolio>;
  /** A ledger several executors share; the journal options are then unused. */
  readonly shared?: SharedLedgerStore;
  /** Write-behind trade recording (QuestDB). */
  readonly recorder?: TradeRecorder;
  /** Where JUPITER_API_KEY is read. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Builds the executor and its parts from the config, without any network listener. */
export function buildExecutor(config: Config, logger: pino.Logger, metrics: Metrics, parts: BuildOptions = {}): { executor: MarkingExecutor; market: Market } {
  const tokens = createTokenRegistry();
  const market = createMarket({ ...config.market, seed: config.seed, apiKey: (parts.env ?? process.env).JUPITER_API_KEY }, tokens, {
    onCacheLookup: (hit) => metrics.sink.countPriceLookup(hit),
    log: logger.child({ component: 'market' }),
    registry: metrics.registry,
    onSideFailure: (component) => metrics.sink.countSideFailure(component),
  });
  const executor = createExecutor({
    tokens,
    prices: market.prices,
    pipeline: pipelineOptions(config, tokens),
    startingBalances: (id) => config.portfolios.byId[id]?.startingBalances ?? config.portfolios.startingBalances,
    seed: config.seed,
    ...(parts.shared ? { shared: parts.shared } : { journal: parts.journal ?? createMemoryJournal(), ...(parts.restored ? { restored: parts.restored } : {}) }),
    log: logger,
    tradeLog: fixedFieldsLogger(logger),
    metrics: metrics.sink,
    slowExecutionMs: config.warnings.slowExecutionMs,
    maxPortfolios: config.portfolios.max,
    ...(parts.recorder ? { recorder: parts.recorder } : {}),
  });
  return { executor, market };
}

/** The QuestDB recorder when config.questdb.conf is set. Only the address is ever logged, never the conf. */
function buildRecorder(config: Config, logger: pino.Logger, metrics: Metrics): QuestDbRecorder | undefined {
  const q = config.questdb;
  if (q.conf === undefined) return undefined;
  let depth = (): number => 0;
  const recorder = createQuestDbRecorder({
    conf: q.conf,
    queueCap: q.queueCap,
    flushRows: q.flushRows,
    flushIntervalMs: q.flushIntervalMs,
    log: logger.child({ component: 'questdb' }),
    metrics: createQuestDbMetrics(metrics.registry, () => depth()),
  });
  depth = () => recorder.stats().depth;
  logger.info({ questdb: describeConf(q.conf), queue_cap: q.queueCap, flush_rows: q.flushRows, flush_interval_ms: q.flushIntervalMs }, 'recording trades in QuestDB');
  return recorder;
}

/** Trades sent at once in each round of the warm start. */
const WARM_UP_BURST = 500;
/**
 * Scratch copies the warm start alternates between. V8 compiles a function for the objects and
 * functions it has seen: warmed on one copy, the code is deoptimized where the service's own executor,
 * journal and server (other instances of the same code) take over, and real trades pay for compiling
 * it again. Code that has seen two instances is compiled for more than one and keeps more of its
 * optimization when the third arrives (in process: the first 1,000 trades on a fresh executor cost
 * about 85 µs each after a warm-up on two copies, 140-220 µs after one, 60 µs when warm).
 */
const WARM_UP_COPIES = 2;

/** One scratch copy of the hot path: a gRPC server on loopback over its own executor and journal. */
interface ScratchStack {
  trade(i: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The i-th warm-up trade. Buys and sells alternate on one portfolio, so it never drains; across each
 * 8 trades every combination of a simulated sandwich, base or quote input and a priority fee comes up,
 * so each branch strategies take is compiled (a branch first taken by real traffic deoptimizes the
 * code around it).
 */
function warmUpTrade(i: number): TradeRequestInput {
  const baseInput = (i >> 2) % 2 === 0;
  return {
    requestId: randomUUID(),
    portfolioId: 'warm-up',
    action: i % 2 === 0 ? 'BUY' : 'SELL',
    baseToken: 'SOL',
    quoteToken: 'USDC',
    amount: baseInput ? '0.01' : '1',
    isBaseInput: baseInput,
    simulateMev: (i >> 1) % 2 === 0,
    ...((i >> 3) % 2 === 0 ? { priorityFee: '10000' } : {}),
  };
}

/** The service's gRPC server options a scratch copy runs with: the same limits, its own parts, no keys or TLS. */
type ScratchServerOptions = Omit<GrpcServerOptions, 'executor' | 'logger' | 'metrics' | 'rpcMetrics' | 'tls'>;

async function startScratchStack(config: Config, serverOptions: ScratchServerOptions, logger: pino.Logger): Promise<ScratchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'pte-warm-up-'));
  const scratchConfig: Config = { ...config, market: { ...config.market, kind: 'sim', redisUrl: undefined }, questdb: { ...config.questdb, conf: undefined } };
  const metrics = createMetrics();
  let journal: FileJournal | undefined;
  let grpc: ReturnType<typeof createGrpcServer> | undefined;
  let client: ReturnType<typeof createExecutorClient> | undefined;
  let market: Market | undefined;
  const close = async (): Promise<void> => {
    client?.close();
    await grpc?.shutdown(0);
    await market?.close();
    await journal?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    journal = (await openFileJournal({ dir, tokens: createTokenRegistry(), log: logger, metrics: metrics.journal })).journal;
    const built = buildExecutor(scratchConfig, logger, metrics, { journal });
    market = built.market;
    // The same limits; no API keys, and rejections are not counted in the service's metrics.
    const { onReject, ...limits } = serverOptions.guard ?? {};
    grpc = createGrpcServer({ ...serverOptions, guard: { ...limits, principals: [] }, executor: built.executor, logger, metrics: metrics.sink, rpcMetrics: metrics.rpc });
    const port = await grpc.start('127.0.0.1', 0);
    const scratch = createExecutorClient(`127.0.0.1:${port}`);
    client = scratch;
    return {
      // Calls with and without a deadline, as clients send them.
      trade: (i) => scratch.executeTrade(warmUpTrade(i), (i >> 4) % 2 === 0 ? { deadlineMs: 10_000 } : {}),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Warm start: runs `trades` trades through scratch copies of the hot path (WARM_UP_COPIES of them,
 * in turn: each a gRPC server on a loopback port, an executor over the simulated market and a
 * journal in a temporary directory, the same code the service runs) so V8 has compiled it before
 * the first real trade arrives. Nothing of it is kept: the scratch portfolios, journals, metrics and
 * logs are discarded, and the service's own market, ledger and metrics are never touched. A failure
 * only costs the warm start.
 */
async function warmUp(config: Config, serverOptions: ScratchServerOptions, trades: number, logger: pino.Logger): Promise<void> {
  if (trades === 0) return;
  const t0 = performance.now();
  // A logger like the service's, at its level, into a stream that drops every line: the trade lines
  // are formatted as they will be later, and none of them reaches the service's output.
  const quiet = createLogger({ level: logger.level as LogLevel, destination: { write: () => undefined } });
  const stacks: ScratchStack[] = [];
  try {
    for (let i = 0; i < WARM_UP_COPIES; i++) stacks.push(await startScratchStack(config, serverOptions, quiet));
    // As bursts come: up to WARM_UP_BURST trades sent at once on one portfolio (deep per-portfolio
    // queues, many streams on one connection), each burst on the next copy.
    for (let sent = 0, round = 0; sent < trades; sent += WARM_UP_BURST, round++) {
      const stack = stacks[round % stacks.length] as ScratchStack;
      await Promise.all(Array.from({ length: Math.min(WARM_UP_BURST, trades - sent) }, (_, i) => stack.trade(i)));
    }
    logger.info({ trades, copies: stacks.length, ms: Math.round(performance.now() - t0) }, 'warm start: hot path exercised on scratch servers');
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'warm start incomplete; serving anyway');
  } finally {
    await Promise.all(stacks.map((s) => s.close()));
  }
}

/** Starts the gRPC service and the metrics endpoint as configured. */
export async function startApp(config: Config, options: AppOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = createMetrics();
  // Keys and TLS files before anything opens: a missing key variable or certificate fails the start.
  const principals = resolveApiKeys(config.server.apiKeys, options.env ?? process.env);
  const tls = config.server.tls ? { cert: readFileSync(config.server.tls.certFile), key: readFileSync(config.server.tls.keyFile) } : undefined;
  // The journal first: recovery must finish before anything is served. A failed journal flips health
  // to NOT_SERVING (the executor already answers UNAVAILABLE to every trade).
  let notServing = (): void => undefined;
  let setServing: (serving: boolean) => void = () => undefined;
  // A shared ledger: connected and its schema migrated before anything is served; bad settings
  // (URL, credentials, database, an unknown schema version) reject LedgerConfigError, nothing written.
  const ledger = config.ledger.url
    ? await createPostgresLedger({
        url: config.ledger.url,
        tokens: createTokenRegistry(),
        log: logger.child({ component: 'ledger' }),
        poolSize: config.ledger.poolSize,
        retryBudgetMs: config.ledger.retryBudgetMs,
      })
    : undefined;
  const durable = config.journal.enabled && !ledger
    ? await openFileJournal({
        dir: config.dataDir,
        tokens: createTokenRegistry(),
        snapshotEvery: config.journal.snapshotEvery,
        segmentBytes: config.journal.segmentBytes,
        tradeCache: config.journal.tradeCache,
        log: logger.child({ component: 'journal' }),
        metrics: metrics.journal,
        onFailure: () => notServing(),
        ...(options.journalIo ? { io: options.journalIo } : {}),
      })
    : undefined;
  if (durable) {
    const r = durable.report;
    logger.info(
      {
        dir: r.dir,
        snapshot_seq: r.snapshotSeq,
        replayed: r.replayed,
        last_seq: r.lastSeq,
        segments: r.segments,
        portfolios: r.portfolios,
        truncated: r.truncated,
        skipped_snapshots: r.skippedSnapshots,
        startup_ms: Math.round(r.startupMs),
      },
      'journal recovered',
    );
  } else if (ledger) {
    registerLedgerMetrics(metrics.registry, () => ledger.stats());
    logger.info({ ledger: 'postgresql', executor_id: ledger.executorId, pool_size: config.ledger.poolSize }, 'ledger in PostgreSQL, shared with every executor on the same database');
    // Health follows the database: NOT_SERVING while it cannot be reached, SERVING once it answers.
    ledger.onAvailability((up) => {
      logger[up ? 'info' : 'error']({}, up ? 'ledger database reachable again' : 'ledger database unreachable: trades answer UNAVAILABLE');
      setServing(up);
    });
  } else logger.warn({}, 'journal disabled: state lives in memory only and is lost on restart');
  const recorder = buildRecorder(config, logger, metrics);
  const { executor, market } = buildExecutor(config, logger, metrics, {
    ...(durable ? { journal: durable.journal, restored: durable.image.portfolios } : {}),
    ...(ledger ? { shared: ledger } : {}),
    ...(recorder ? { recorder } : {}),
  });
  const serverOptions = {
    maxMessageBytes: config.grpc.maxMessageBytes,
    streamQueueTrades: config.server.streamQueueTrades,
    diagnostics: config.server.diagnostics,
    guard: {
      principals,
      maxInFlight: config.server.maxInFlight,
      maxEventLoopDelayMs: config.server.maxEventLoopDelayMs,
      defaultDeadlineMs: config.server.defaultDeadlineMs,
      maxMetadataBytes: config.server.maxMetadataBytes,
      maxStreams: config.server.maxStreams,
      maxStreamsPerKey: config.server.maxStreamsPerKey,
      onReject: (code: GuardCode) => metrics.guard.countRejection(code),
    },
  } satisfies ScratchServerOptions;
  const grpc = createGrpcServer({ ...serverOptions, executor, logger, metrics: metrics.sink, rpcMetrics: metrics.rpc, ...(tls ? { tls } : {}) });
  metrics.guard.setInFlightSource(() => grpc.guard.inFlight.count);
  await warmUp(config, serverOptions, config.server.warmUpTrades, logger);
  if (principals.length > 0) logger.info({ keys: principals.map((p) => p.name) }, 'gRPC API keys required');
  notServing = () => grpc.setServing(false);
  setServing = (serving) => grpc.setServing(serving && !(durable?.journal.failed ?? false));
  if (durable?.journal.failed) notServing();
  if (ledger && !ledger.available) notServing();
  const metricsServer = await startMetricsServer(metrics.registry, config.metrics.host, config.metrics.port);
  let grpcPort: number;
  let http: HttpServer | undefined;
  let grpcStarted = false;
  try {
    grpcPort = await grpc.start(config.grpc.host, config.grpc.port);
    grpcStarted = true;
    http =
      config.http.port > 0
        ? await startHttpServer({
            executor,
            host: config.http.host,
            port: config.http.port,
            access: httpAccess(grpc.guard, principals),
            health: async () => ({
              priceSource: config.market.kind,
              serving: !(durable?.journal.failed ?? false) && (ledger?.available ?? true),
              ...(await summarizeMetrics(metrics.registry)),
            }),
            onInternalError: (err, route) => logger.error({ err, route }, 'dashboard API internal error'),
          })
        : undefined;
  } catch (err) {
    if (grpcStarted) await grpc.shutdown(0);
    await metricsServer.close();
    await market.close();
    await recorder?.close(0);
    await durable?.journal.close();
    await ledger?.close();
    throw err;
  }
  logger.info(
    { grpc: `${config.grpc.host}:${grpcPort}`, metrics: `${config.metrics.host}:${metricsServer.port}`, dashboard: http?.url ?? 'off', market: config.market.kind, seed: config.seed.toString() },
    'paper trade executor serving',
  );
  // Periodic equity marks (docs/reports.md): unref'd, stopped before the journal closes.
  const stopMarks = startPeriodicMarks(() => executor.markAll(), config.marks.intervalMs, logger.child({ component: 'marks' }));
  return {
    grpcPort,
    metricsPort: metricsServer.port,
    httpPort: http?.port ?? 0,
    executor,
    metrics,
    journal: durable?.journal,
    ledger,
    recorder,
    guard: grpc.guard,
    async stop(graceMs = config.server.shutdownGraceMs) {
      await http?.close();
      await grpc.shutdown(graceMs);
      await stopMarks();
      await metricsServer.close();
      await market.close();
      // No trade is booked any more: send what the recorder still holds, within its deadline.
      await Promise.all([recorder?.close(config.questdb.shutdownDeadlineMs), durable?.journal.close(), ledger?.close()]);
      logger.info({}, 'paper trade executor stopped');
      logger.flush();
    },
  };
}

/**
 * The dashboard's access control is the gRPC guard itself: an HTTP request's key headers become call
 * metadata, so keys, per-key portfolios, key rates, the in-flight bound and draining are the same.
 */
function httpAccess(guard: CallGuard, principals: readonly Principal[]): HttpAccess {
  const auth = createAuthenticator(principals);
  const metadataOf = (c: HttpCredentials): Metadata => {
    const m = new Metadata();
    if (c.apiKey !== undefined) m.set('x-api-key', c.apiKey);
    if (c.authorization !== undefined) m.set('authorization', c.authorization);
    return m;
  };
  return {
    keysRequired: auth.enabled,
    admit: (c, portfolioId, kind) =>
      guard.admit({ metadata: metadataOf(c), portfolioId, counted: kind !== 'stream', sheddable: kind === 'write', stream: kind === 'stream' }),
    mayUse(c, portfolioId) {
      try {
        auth.authorize(auth.authenticate(metadataOf(c)), portfolioId);
        return true;
      } catch {
        return false;
      }
    },
  };
}

// The `pte` command's other ways in: cli/ reaches store, market, executor and server only through these.
export { combinedStateHash, portfolioStateHash } from './executor/state-hash.js';
export type { VerifyReport } from './executor/replay.js';
export { FAULT_SYNTAX, parseFault, startJupiterEmulator, type Fault } from './market/jupiter-emulator.js';
export { tradeToWire } from './server/mapping.js';
export { inputsToJson } from './store/codec.js';
export { readJournal, type JournalReadReport } from './store/journal-reader.js';
export { backfillQuestDb, BackfillError } from './store/questdb/backfill.js';
export { LedgerConfigError, migrate as migrateLedger, readPostgresLedger, redactUrl as redactLedgerUrl } from './store/postgres/index.js';
export { ledgerSchemaStatus } from './store/postgres/migrate.js';
