/**
 * The service implementations, each wrapped so that it never throws synchronously, never leaves a
 * promise rejection unhandled, answers every call exactly once, and reports its duration and
 * outcome (the interceptor role: timing, error counts by code, a debug line per call).
 */
import type { handleServerStreamingCall, handleUnaryCall, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type pino from 'pino';
import type { ExecutorMetricsSink } from '../executor/ports.js';
import type { Executor } from '../executor/types.js';
import type { Trade } from '../domain/trade.js';
import type {
  GetPortfolioRequestMessage,
  GetReportRequestMessage,
  ListPortfoliosRequestMessage,
  ListPortfoliosResponseMessage,
  PortfolioReportMessage,
  ListTradesRequestMessage,
  ListTradesResponseMessage,
  NoopRequestMessage,
  NoopResponseMessage,
  PortfolioSummaryMessage,
  ResetPortfolioRequestMessage,
  StreamTradesRequestMessage,
  TradeMessageInput,
  TradeRequestMessage,
  TradeResultMessageInput,
} from '../contract/index.js';
import type { RpcMetricsSink } from '../observability/metrics.js';
import { callSignal } from './call-signal.js';
import { portfolioToWire, tradeForEncoding, tradePageToWire, tradeRequestFromWire, tradeResultForEncoding } from './mapping.js';
import { reportQueryFromWire, reportToWire } from './report-mapping.js';
import { statusName, toGrpcStatus } from './status.js';
import { ExecutorError } from '../domain/errors.js';
import { effectiveDeadlineMs, guardError, isDecodeFailure, type Admission, type CallGuard } from './guards/index.js';

export interface HandlerContext {
  readonly executor: Executor;
  readonly logger: pino.Logger;
  readonly metrics?: ExecutorMetricsSink | undefined;
  readonly rpcMetrics?: RpcMetricsSink | undefined;
  /**
   * Trades queued for one StreamTrades reader beyond what its transport has taken before the stream
   * is ended (STREAM_TOO_SLOW). Default DEFAULT_STREAM_QUEUE_TRADES.
   */
  readonly streamQueueTrades?: number | undefined;
  /**
   * The StreamTrades response encoder; when given, each trade is encoded once and the same bytes go
   * to every stream (the server's serializer passes Buffers through). None = grpc-js encodes per call.
   */
  readonly encodeTrade?: ((message: TradeMessageInput) => Buffer) | undefined;
  /** Access control, limits and overload protection (guards/); none = every call admitted. */
  readonly guard?: CallGuard | undefined;
}

/** Open StreamTrades calls, so shutdown can end them instead of waiting for clients to hang up. */
export interface StreamRegistry {
  endAll(): void;
  readonly size: number;
}

/**
 * Default `server.streamQueueTrades`. The queue holds references to trades the executor already
 * keeps (one object per trade, shared by every subscriber), so its cost is the trades it keeps alive:
 * at most this many per stream. HTTP/2 flow control lets a reader's own window (64 KiB, about 140
 * trades) through before anything queues here, so a reader that reads in bursts, or pauses for a GC
 * or a slow network, is not cut; one that is more than about 270 trades behind is ended and catches
 * up with ListTrades (test/hardening-streams.test.ts: a reader that never reads gets about 140).
 */
export const DEFAULT_STREAM_QUEUE_TRADES = 128;

/**
 * Trades handed to grpc-js for one stream whose HTTP/2 write has not completed. Past it trades wait
 * in the stream's queue as shared references instead of as encoded messages in grpc-js's and
 * HTTP/2's buffers (one per stream, and unbounded there: grpc-js buffers every write it is given).
 */
const STREAM_WRITES_IN_TRANSPORT = 2;

const nowSeconds = (): number => performance.now() / 1000;

/** Logs what a last step of a handler threw; it is swallowed, never thrown out of the handler. */
function stepFailed(logger: pino.Logger, what: string, err: unknown): void {
  logger.error({ err, what }, 'gRPC handler step failed');
}

/** Runs `f`, swallowing (and logging) anything it throws: for the last steps of a handler. */
function guarded(logger: pino.Logger, what: string, f: () => void): void {
  try {
    f();
  } catch (err) {
    stepFailed(logger, what, err);
  }
}

/**
 * Logs and counts a failed call; returns the status to send. INTERNAL is a bug or an unexpected
 * failure and goes to the error log with its stack; the rest are answers, logged at debug.
 */
function reportFailure(
  ctx: HandlerContext,
  method: string,
  requestId: string | undefined,
  cancelled: boolean,
  cause: unknown,
): ReturnType<typeof toGrpcStatus> {
  const mapped = toGrpcStatus(cause);
  // What the executor throws once the client has cancelled is usually the abort reason itself (INTERNAL
  // after normalising); that is a cancellation, not a bug.
  const code = cancelled && mapped.error.code === 'INTERNAL' ? 'CANCELLED' : mapped.error.code;
  ctx.metrics?.countError(code);
  if (code === 'INTERNAL') {
    const log = requestId === undefined ? ctx.logger : ctx.logger.child({ request_id: requestId });
    log.error({ err: mapped.error.cause ?? mapped.error, method }, 'internal error');
  } else if (ctx.logger.isLevelEnabled('debug')) {
    ctx.logger.debug({ method, request_id: requestId, code, status: statusName(mapped.status.code), details: mapped.status.details }, 'rpc failed');
  }
  return mapped;
}

/** The portfolio a decoded request names, for the guard; undefined when the call touches none. */
const portfolioOf = (req: unknown): string | undefined => {
  if (typeof req !== 'object' || req === null || !('portfolioId' in req)) return undefined;
  const id = req.portfolioId;
  return typeof id === 'string' ? id : '';
};

/** The request bytes did not decode: INVALID_ARGUMENT naming the request (guards/decode.ts). */
function assertDecoded(req: unknown): void {
  if (isDecodeFailure(req)) throw guardError('MALFORMED_REQUEST', `request: not a valid protobuf message of this method (${req.reason})`, 'request');
}

/**
 * Calls refused while the event loop lags (guards/loop-delay.ts): the ones that change state and
 * carry the load (pricing, the portfolio step, a journal fsync). Reads (GetPortfolio, ListTrades) and
 * the transport's Noop are not shed: they are cheap, rare next to trades, still bounded by the
 * in-flight count, and a client refused a trade needs them to learn where its portfolio stands.
 * GetReport is shed too: it is a read, but it replays every trade and mark of its range.
 */
const SHEDDABLE: ReadonlySet<string> = new Set(['ExecuteTrade', 'ResetPortfolio', 'GetReport']);

function unary<Req, Res>(
  ctx: HandlerContext,
  method: string,
  requestIdOf: (req: Req) => string | undefined,
  run: (req: Req, call: ServerUnaryCall<Req, Res>, admission: Admission | undefined) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  const sheddable = SHEDDABLE.has(method);
  const log = ctx.logger;
  /** Times and, at debug level, logs a finished call. */
  const finish = (code: number, started: number, requestId: string | undefined): void => {
    ctx.rpcMetrics?.observeRpc(method, statusName(code), nowSeconds() - started);
    if (log.isLevelEnabled('debug')) {
      log.debug({ method, request_id: requestId, status: statusName(code), ms: (nowSeconds() - started) * 1000 }, 'rpc');
    }
  };
  return (call, callback) => {
    const started = nowSeconds();
    let requestId: string | undefined;
    let pending: Promise<Res>;
    let admission: Admission | undefined;
    try {
      const raw: unknown = call.request;
      // Admission first: an unauthenticated caller learns nothing, not even that its bytes were bad.
      admission = ctx.guard?.admit({ metadata: call.metadata, portfolioId: isDecodeFailure(raw) ? undefined : portfolioOf(raw), counted: true, sheddable });
      assertDecoded(raw);
      const req = call.request;
      requestId = requestIdOf(req);
      pending = run(req, call, admission);
    } catch (err) {
      pending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // The last steps never throw out of the handler (what they throw is logged): one answer per call.
    pending.then(
      (res) => {
        admission?.release();
        try {
          finish(0, started, requestId);
          callback(null, res);
        } catch (err) {
          stepFailed(log, method, err);
        }
      },
      (err: unknown) => {
        admission?.release();
        try {
          const { status } = reportFailure(ctx, method, requestId, call.cancelled, err);
          finish(status.code, started, requestId);
          callback(status);
        } catch (e) {
          stepFailed(log, method, e);
        }
      },
    );
  };
}

export function createExecutorHandlers(ctx: HandlerContext): { implementation: UntypedServiceImplementation; streams: StreamRegistry } {
  const { executor } = ctx;
  const streamQueue = ctx.streamQueueTrades ?? DEFAULT_STREAM_QUEUE_TRADES;
  const openStreams = new Set<() => void>();

  const ExecuteTrade = unary<TradeRequestMessage, TradeResultMessageInput>(
    ctx,
    'ExecuteTrade',
    (req) => req.requestId,
    async (req, call) => {
      const raw = tradeRequestFromWire(req);
      const { signal, dispose } = callSignal(call, effectiveDeadlineMs(call, ctx.guard?.defaultDeadlineMs));
      try {
        return tradeResultForEncoding(await executor.executeTrade(raw, { signal }));
      } finally {
        dispose();
      }
    },
  );

  const GetPortfolio = unary<GetPortfolioRequestMessage, PortfolioSummaryMessage>(
    ctx,
    'GetPortfolio',
    () => undefined,
    async (req) => portfolioToWire(await executor.getPortfolio(req.portfolioId)),
  );

  const ResetPortfolio = unary<ResetPortfolioRequestMessage, PortfolioSummaryMessage>(
    ctx,
    'ResetPortfolio',
    () => undefined,
    async (req) => portfolioToWire(await executor.resetPortfolio(req.portfolioId, { ...req.balances })),
  );

  const ListTrades = unary<ListTradesRequestMessage, ListTradesResponseMessage>(
    ctx,
    'ListTrades',
    () => undefined,
    async (req) => tradePageToWire(await executor.listTrades(req.portfolioId, req.limit, req.pageToken)),
  );

  /** Every portfolio the caller's API key may use (all of them on an open server), sorted by id. */
  const ListPortfolios = unary<ListPortfoliosRequestMessage, ListPortfoliosResponseMessage>(
    ctx,
    'ListPortfolios',
    () => undefined,
    async (_req, _call, admission) => {
      const mayUse = admission?.mayUse;
      const all = await executor.listPortfolios();
      const visible = mayUse === undefined ? all : all.filter((p) => mayUse(p.portfolioId));
      return { portfolios: [...visible].sort((a, b) => (a.portfolioId < b.portfolioId ? -1 : a.portfolioId > b.portfolioId ? 1 : 0)).map(portfolioToWire) };
    },
  );

  /** The portfolio is authorized by the guard like GetPortfolio's; the query is checked before anything is read. */
  const GetReport = unary<GetReportRequestMessage, PortfolioReportMessage>(
    ctx,
    'GetReport',
    () => undefined,
    async (req) => {
      const { portfolioId, query } = reportQueryFromWire(req);
      return reportToWire(await executor.getReport(portfolioId, query));
    },
  );

  /**
   * Each trade is mapped and encoded once, however many streams carry it (a WeakMap: the entry goes
   * when the trade does). Fanning a trade out to many readers then costs a write each, not an encode.
   */
  const encodeTrade = ctx.encodeTrade;
  const wire = new WeakMap<Trade, TradeMessageInput | Buffer>();
  const wireOf = (t: Trade): TradeMessageInput | Buffer => {
    let m = wire.get(t);
    if (m === undefined) {
      m = encodeTrade ? encodeTrade(tradeForEncoding(t)) : tradeForEncoding(t);
      wire.set(t, m);
    }
    return m;
  };

  /**
   * A reader costs bounded memory whatever it does: at most STREAM_WRITES_IN_TRANSPORT encoded trades
   * in grpc-js and HTTP/2 (what its flow-control window lets through is in the kernel or the client)
   * and at most `streamQueue` shared trades queued here. A reader further behind is ended with
   * RESOURCE_EXHAUSTED (STREAM_TOO_SLOW): it gets the trades already sent, then that status, and
   * catches up with ListTrades. The guard counts the stream until the transport is done with the
   * call, not merely until it stops sending: an ended stream whose reader never reads keeps its
   * HTTP/2 buffers until the client reads or goes away.
   */
  const StreamTrades: handleServerStreamingCall<StreamTradesRequestMessage, TradeMessageInput | Buffer> = (
    call: ServerWritableStream<StreamTradesRequestMessage, TradeMessageInput | Buffer>,
  ) => {
    const started = nowSeconds();
    /** No more trades for this call: unsubscribed, queue dropped. */
    let stopped = false;
    let unsubscribe: (() => void) | undefined;
    let slot: Admission | undefined;
    const queue: Trade[] = [];
    let inTransport = 0;
    const stop = (code: string): void => {
      if (stopped) return;
      stopped = true;
      openStreams.delete(endGracefully);
      queue.length = 0;
      const u = unsubscribe;
      unsubscribe = undefined;
      if (u) guarded(ctx.logger, 'StreamTrades.unsubscribe', u);
      if (ctx.logger.isLevelEnabled('debug')) {
        ctx.logger.debug({ method: 'StreamTrades', status: code, ms: (nowSeconds() - started) * 1000 }, 'rpc');
      }
    };
    /** The transport is done with the call: its stream slot is free. */
    const over = (code: string): void => {
      stop(code);
      const a = slot;
      slot = undefined;
      a?.release();
    };
    /** Ends the call with an error status (emitting 'error' is how grpc-js takes a stream's status). */
    const fail = (cause: unknown): void => {
      if (stopped) return;
      guarded(ctx.logger, 'StreamTrades', () => {
        const { status } = reportFailure(ctx, 'StreamTrades', undefined, call.cancelled, cause);
        stop(statusName(status.code));
        call.emit('error', status);
      });
    };
    function endGracefully(): void {
      if (stopped) return;
      stop('OK');
      guarded(ctx.logger, 'StreamTrades.end', () => call.end());
    }
    /** Hands queued trades to grpc-js while fewer than STREAM_WRITES_IN_TRANSPORT are unwritten. */
    const pump = (): void => {
      while (!stopped && inTransport < STREAM_WRITES_IN_TRANSPORT) {
        const t = queue.shift();
        if (t === undefined) return;
        inTransport++;
        call.write(wireOf(t), () => {
          inTransport--;
          pump();
        });
      }
    };

    call.on('cancelled', () => over('CANCELLED'));
    call.on('error', () => stop('ERROR'));
    call.on('finish', () => over('OK'));
    call.on('close', () => over('CLOSED'));
    if (call.cancelled) return;
    let portfolioId: string;
    try {
      const raw: unknown = call.request;
      slot = ctx.guard?.admit({
        metadata: call.metadata,
        portfolioId: isDecodeFailure(raw) ? undefined : portfolioOf(raw),
        counted: false,
        sheddable: false,
        stream: true,
      });
      assertDecoded(raw);
      portfolioId = call.request.portfolioId;
    } catch (err) {
      fail(err);
      return;
    }
    openStreams.add(endGracefully);
    try {
      const u = executor.subscribe(portfolioId, (trade) => {
        if (stopped) return;
        try {
          if (queue.length >= streamQueue) {
            fail(new ExecutorError('STREAM_TOO_SLOW', `stream reader too slow: more than ${streamQueue} trades behind; the stream is ended (catch up with ListTrades)`));
            return;
          }
          queue.push(trade);
          pump();
        } catch (err) {
          fail(err);
        }
      });
      // onTrade or a cancel may have stopped the stream while subscribe ran.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (stopped) guarded(ctx.logger, 'StreamTrades.unsubscribe', u);
      else unsubscribe = u;
    } catch (err) {
      fail(err);
    }
  };

  return {
    implementation: { ExecuteTrade, GetPortfolio, ResetPortfolio, ListTrades, StreamTrades, ListPortfolios, GetReport },
    streams: {
      endAll() {
        for (const end of [...openStreams]) end();
      },
      get size() {
        return openStreams.size;
      },
    },
  };
}

export function createDiagnosticsHandlers(ctx: HandlerContext): UntypedServiceImplementation {
  const Noop = unary<NoopRequestMessage, NoopResponseMessage>(ctx, 'Noop', (req) => req.requestId, (req) =>
    Promise.resolve({ requestId: req.requestId }),
  );
  return { Noop };
}
