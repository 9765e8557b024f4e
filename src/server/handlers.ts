/**
 * The service implementations, each wrapped so that it never throws synchronously, never leaves a
 * promise rejection unhandled, answers every call exactly once, and reports its duration and
 * outcome (the interceptor role: timing, error counts by code, a debug line per call).
 */
import type { handleServerStreamingCall, handleUnaryCall, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type pino from 'pino';
import type { ExecutorMetricsSink } from '../executor/ports.js';
import type { Executor } from '../executor/types.js';
import type {
  GetPortfolioRequestMessage,
  ListTradesRequestMessage,
  ListTradesResponseMessage,
  NoopRequestMessage,
  NoopResponseMessage,
  PortfolioSummaryMessage,
  ResetPortfolioRequestMessage,
  StreamTradesRequestMessage,
  TradeMessage,
  TradeRequestMessage,
  TradeResultMessage,
} from '../client/proto.js';
import type { RpcMetricsSink } from '../observability/metrics.js';
import { callSignal } from './call-signal.js';
import { portfolioToWire, tradePageToWire, tradeRequestFromWire, tradeResultToWire, tradeToWire } from './mapping.js';
import { statusName, toGrpcStatus } from './status.js';
import { ExecutorError } from '../domain/errors.js';
import { guardError, isDecodeFailure, withDefaultDeadline, type Admission, type CallGuard } from './guards/index.js';

export interface HandlerContext {
  readonly executor: Executor;
  readonly logger: pino.Logger;
  readonly metrics?: ExecutorMetricsSink | undefined;
  readonly rpcMetrics?: RpcMetricsSink | undefined;
  /** Trades buffered for one slow StreamTrades reader before the stream is ended. */
  readonly maxBufferedStreamTrades?: number | undefined;
  /** Access control, limits and overload protection (guards/); none = every call admitted. */
  readonly guard?: CallGuard | undefined;
}

/** Open StreamTrades calls, so shutdown can end them instead of waiting for clients to hang up. */
export interface StreamRegistry {
  endAll(): void;
  readonly size: number;
}

const DEFAULT_MAX_BUFFERED_TRADES = 1_000;

const nowSeconds = (): number => performance.now() / 1000;

/** Runs `f`, swallowing (and logging) anything it throws: for the last steps of a handler. */
function guarded(logger: pino.Logger, what: string, f: () => void): void {
  try {
    f();
  } catch (err) {
    logger.error({ err, what }, 'gRPC handler step failed');
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
 */
const SHEDDABLE: ReadonlySet<string> = new Set(['ExecuteTrade', 'ResetPortfolio']);

function unary<Req, Res>(
  ctx: HandlerContext,
  method: string,
  requestIdOf: (req: Req) => string | undefined,
  run: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  const sheddable = SHEDDABLE.has(method);
  return (call, callback) => {
    const started = nowSeconds();
    let requestId: string | undefined;
    const finish = (code: number): void => {
      ctx.rpcMetrics?.observeRpc(method, statusName(code), nowSeconds() - started);
      if (ctx.logger.isLevelEnabled('debug')) {
        ctx.logger.debug({ method, request_id: requestId, status: statusName(code), ms: (nowSeconds() - started) * 1000 }, 'rpc');
      }
    };
    const fail = (cause: unknown): void => {
      guarded(ctx.logger, method, () => {
        const { status } = reportFailure(ctx, method, requestId, call.cancelled, cause);
        finish(status.code);
        callback(status);
      });
    };
    let pending: Promise<Res>;
    let admission: Admission | undefined;
    try {
      const raw: unknown = call.request;
      // Admission first: an unauthenticated caller learns nothing, not even that its bytes were bad.
      admission = ctx.guard?.admit({ metadata: call.metadata, portfolioId: isDecodeFailure(raw) ? undefined : portfolioOf(raw), counted: true, sheddable });
      assertDecoded(raw);
      const req = call.request;
      requestId = requestIdOf(req);
      pending = run(req, call);
    } catch (err) {
      pending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    pending.then(
      (res) => {
        admission?.release();
        guarded(ctx.logger, method, () => {
          finish(0);
          callback(null, res);
        });
      },
      (err: unknown) => {
        admission?.release();
        fail(err);
      },
    );
  };
}

export function createExecutorHandlers(ctx: HandlerContext): { implementation: UntypedServiceImplementation; streams: StreamRegistry } {
  const { executor } = ctx;
  const maxBuffered = ctx.maxBufferedStreamTrades ?? DEFAULT_MAX_BUFFERED_TRADES;
  const openStreams = new Set<() => void>();

  const ExecuteTrade = unary<TradeRequestMessage, TradeResultMessage>(
    ctx,
    'ExecuteTrade',
    (req) => req.requestId,
    async (req, call) => {
      const raw = tradeRequestFromWire(req);
      const { signal, dispose } = callSignal(withDefaultDeadline(call, ctx.guard?.defaultDeadlineMs));
      try {
        return tradeResultToWire(await executor.executeTrade(raw, { signal }));
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

  const StreamTrades: handleServerStreamingCall<StreamTradesRequestMessage, TradeMessage> = (
    call: ServerWritableStream<StreamTradesRequestMessage, TradeMessage>,
  ) => {
    const started = nowSeconds();
    let closed = false;
    let unsubscribe: (() => void) | undefined;
    const close = (code: string): void => {
      if (closed) return;
      closed = true;
      openStreams.delete(endGracefully);
      const u = unsubscribe;
      unsubscribe = undefined;
      if (u) guarded(ctx.logger, 'StreamTrades.unsubscribe', u);
      if (ctx.logger.isLevelEnabled('debug')) {
        ctx.logger.debug({ method: 'StreamTrades', status: code, ms: (nowSeconds() - started) * 1000 }, 'rpc');
      }
    };
    /** Ends the call with an error status (emitting 'error' is how grpc-js takes a stream's status). */
    const fail = (cause: unknown): void => {
      if (closed) return;
      guarded(ctx.logger, 'StreamTrades', () => {
        const { status } = reportFailure(ctx, 'StreamTrades', undefined, call.cancelled, cause);
        close(statusName(status.code));
        call.emit('error', status);
      });
    };
    function endGracefully(): void {
      close('OK');
      guarded(ctx.logger, 'StreamTrades.end', () => call.end());
    }

    call.on('cancelled', () => close('CANCELLED'));
    call.on('error', () => close('ERROR'));
    call.on('finish', () => close('OK'));
    call.on('close', () => close('CLOSED'));
    if (call.cancelled) return;
    let portfolioId: string;
    try {
      const raw: unknown = call.request;
      ctx.guard?.admit({ metadata: call.metadata, portfolioId: isDecodeFailure(raw) ? undefined : portfolioOf(raw), counted: false, sheddable: false });
      assertDecoded(raw);
      portfolioId = call.request.portfolioId;
    } catch (err) {
      fail(err);
      return;
    }
    openStreams.add(endGracefully);
    try {
      const u = executor.subscribe(portfolioId, (trade) => {
        if (closed) return;
        try {
          // A reader that stops reading must not grow this process without bound.
          if (call.writableLength >= maxBuffered) {
            fail(new ExecutorError('OVERLOADED', `stream reader too slow: more than ${maxBuffered} trades unread`));
            return;
          }
          call.write(tradeToWire(trade));
        } catch (err) {
          fail(err);
        }
      });
      // onTrade or a cancel may have closed the stream while subscribe ran.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (closed) guarded(ctx.logger, 'StreamTrades.unsubscribe', u);
      else unsubscribe = u;
    } catch (err) {
      fail(err);
    }
  };

  return {
    implementation: { ExecuteTrade, GetPortfolio, ResetPortfolio, ListTrades, StreamTrades },
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
