/**
 * The gRPC server: PaperTradeExecutor, plus the standard health service (so orchestrators and load
 * balancers can probe it) and server reflection over the contract's real descriptors (so grpcurl,
 * Postman or a Python client can describe and call it without the .proto). The Diagnostics service
 * (a no-op the benchmark uses to measure the transport) is served only when asked for. Everything is
 * wired by hand from the options; no globals.
 */
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type pino from 'pino';
import type { ExecutorMetricsSink } from '../executor/ports.js';
import type { Executor } from '../executor/types.js';
import { contractRoot, serviceDefinition, type ContractServiceName, type TradeResultMessageInput } from '../contract/index.js';
import type { RpcMetricsSink } from '../observability/metrics.js';
import { createDiagnosticsHandlers, createExecutorHandlers } from './handlers.js';
import { createCallGuard, tolerantDeserializers, type CallGuard, type GuardOptions } from './guards/index.js';
import { addReflection } from './reflection.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

export interface GrpcServerOptions {
  readonly executor: Executor;
  readonly logger: pino.Logger;
  readonly metrics?: ExecutorMetricsSink;
  /** Per-call duration by method and status (observability/metrics.ts `rpc`). */
  readonly rpcMetrics?: RpcMetricsSink;
  /** Largest request accepted. Default 4 MiB (gRPC's own default). */
  readonly maxMessageBytes?: number;
  /**
   * Trades queued for one slow StreamTrades reader before its stream is ended (STREAM_TOO_SLOW).
   * Default 128 (handlers.ts DEFAULT_STREAM_QUEUE_TRADES).
   */
  readonly streamQueueTrades?: number;
  /** API keys, in-flight and open-stream bounds, event-loop delay limit, default deadline, metadata cap (guards/call-guard.ts). */
  readonly guard?: GuardOptions;
  /** Serve TLS instead of plaintext: PEM certificate chain and private key. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /**
   * Also serve paper_trader.v1.Diagnostics (Noop: the transport's own cost, for the benchmark).
   * Default off (config `server.diagnostics`).
   */
  readonly diagnostics?: boolean;
}

export interface GrpcServer {
  /** Binds and serves; resolves with the bound port (the real one when `port` is 0). */
  start(host: string, port: number): Promise<number>;
  /**
   * Reports NOT_SERVING, ends open trade streams, lets in-flight calls finish for up to `graceMs`,
   * then cancels whatever is left.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Flips the health status of the whole server and of the executor service. */
  setServing(serving: boolean): void;
  /** The guard in front of every call (its in-flight count is a metric). */
  readonly guard: CallGuard;
}

const EXECUTOR_SERVICE = 'paper_trader.v1.PaperTradeExecutor' satisfies ContractServiceName;
const DIAGNOSTICS_SERVICE = 'paper_trader.v1.Diagnostics' satisfies ContractServiceName;
const HEALTH_SERVICE = 'grpc.health.v1.Health' satisfies ContractServiceName;

/** "host:port" with IPv6 literals bracketed, as gRPC's address parser wants. */
function bindAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * StreamTrades with a response serializer that passes already encoded messages through: the handler
 * encodes each trade once and writes the same bytes to every stream that carries it, instead of
 * grpc-js encoding it again per subscriber.
 */
function preEncodedStreamTrades(def: ServiceDefinition): ServiceDefinition {
  const m = def.StreamTrades;
  if (m === undefined) return def;
  const encode = m.responseSerialize;
  return { ...def, StreamTrades: { ...m, responseSerialize: (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : encode(v)) } };
}

/**
 * ExecuteTrade with its reply encoded by protobufjs directly: the handler builds the reply in wire
 * types (mapping.ts tradeResultForEncoding), so proto-loader's serializer, which first copies every
 * message through fromObject (a new object per message, Longs for 64-bit integers), has nothing to
 * add. The bytes are the same (mapping.test.ts).
 */
function directlyEncodedExecuteTrade(def: ServiceDefinition): ServiceDefinition {
  const m = def.ExecuteTrade;
  if (m === undefined) return def;
  const type = contractRoot().lookupType('paper_trader.v1.TradeResult');
  const responseSerialize = (v: TradeResultMessageInput): Buffer => {
    const bytes = type.encode(v).finish();
    // protobufjs writes into a Buffer on Node; the view is for the type only.
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  return { ...def, ExecuteTrade: { ...m, responseSerialize } };
}

export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { logger } = options;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  // Channelz off: the service registers no channelz service, so its per-call bookkeeping (call
  // counters, timestamps, trace events on every stream) had no reader and only cost CPU.
  const server = new Server({ 'grpc.max_receive_message_length': maxBytes, 'grpc.enable_channelz': 0 });
  const guard = createCallGuard(options.guard);
  const ctx = {
    guard,
    executor: options.executor,
    logger,
    metrics: options.metrics,
    rpcMetrics: options.rpcMetrics,
    streamQueueTrades: options.streamQueueTrades,
  };

  const executorDef = tolerantDeserializers(serviceDefinition(EXECUTOR_SERVICE));
  const executorHandlers = createExecutorHandlers({ ...ctx, encodeTrade: executorDef.StreamTrades?.responseSerialize });
  server.addService(directlyEncodedExecuteTrade(preEncodedStreamTrades(executorDef)), executorHandlers.implementation);
  const services: string[] = [EXECUTOR_SERVICE];
  if (options.diagnostics === true) {
    server.addService(tolerantDeserializers(serviceDefinition(DIAGNOSTICS_SERVICE)), createDiagnosticsHandlers(ctx));
    services.push(DIAGNOSTICS_SERVICE);
  }

  /** Services whose health is reported: "" is the whole server, by the protocol's convention. */
  const healthServices = ['', ...services];
  const health = new HealthImplementation(Object.fromEntries(healthServices.map((s) => [s, 'SERVING'])));
  health.addToServer(server);
  addReflection(server, [...services, HEALTH_SERVICE]);

  let started = false;
  let stopping: Promise<void> | undefined;

  const setServing = (serving: boolean): void => {
    const status: ServingStatus = serving ? 'SERVING' : 'NOT_SERVING';
    for (const s of healthServices) health.setStatus(s, status);
  };

  const credentials = options.tls
    ? ServerCredentials.createSsl(null, [{ cert_chain: options.tls.cert, private_key: options.tls.key }], false)
    : ServerCredentials.createInsecure();

  return {
    setServing,
    guard,
    start(host, port) {
      if (started) return Promise.reject(new Error('gRPC server already started'));
      started = true;
      return new Promise<number>((resolve, reject) => {
        server.bindAsync(bindAddress(host, port), credentials, (err, bound) => {
          if (err) {
            reject(err);
            return;
          }
          logger.info({ host, port: bound, tls: options.tls !== undefined }, 'gRPC server listening');
          resolve(bound);
        });
      });
    },
    shutdown(graceMs = DEFAULT_SHUTDOWN_GRACE_MS) {
      stopping ??= new Promise<void>((resolve) => {
        const deadline = performance.now() + graceMs;
        setServing(false);
        // Trade streams never end on their own; end them so draining can finish.
        executorHandlers.streams.endAll();
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          guard.close(); // the event-loop probe timer
          resolve();
        };
        const timer = setTimeout(() => {
          logger.warn({ graceMs, in_flight: guard.inFlight.count }, 'gRPC calls still running after the grace period; cancelling them');
          server.forceShutdown();
          finish();
        }, graceMs);
        timer.unref();
        // Phase 1, draining: the port stays open so health checks see NOT_SERVING, new calls are
        // refused with UNAVAILABLE, and admitted calls run to their answer.
        const inFlight = guard.inFlight.count;
        void guard.drain().then(() => {
          if (done) return;
          logger.info({ drained: inFlight }, 'gRPC in-flight calls drained');
          // Phase 2: close the listener and the connections. Calls that never end by themselves (a
          // health Watch) get at most a second before they are cut.
          const closeTimer = setTimeout(() => {
            server.forceShutdown();
            finish();
          }, Math.max(0, Math.min(1_000, deadline - performance.now())));
          closeTimer.unref();
          server.tryShutdown((err) => {
            clearTimeout(closeTimer);
            if (err) {
              logger.warn({ err }, 'gRPC graceful shutdown failed; forcing');
              server.forceShutdown();
            }
            finish();
          });
        });
      });
      return stopping;
    },
  };
}
