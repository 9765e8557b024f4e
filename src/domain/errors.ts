/**
 * The one error type of the executor. Every failure the service can return is declared once in
 * {@link ERROR_CODES} with its gRPC status, so the transport maps codes to statuses in one place and
 * nothing else decides what a client sees.
 */

/** gRPC status numbers (google.rpc.Code). Kept here as plain numbers so the domain imports no I/O. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** Every error code, with the status it maps to and what it means. */
export const ERROR_CODES = {
  INVALID_ARGUMENT: { status: GrpcStatus.INVALID_ARGUMENT, summary: 'a request field is malformed or out of range' },
  TOKEN_NOT_FOUND: { status: GrpcStatus.NOT_FOUND, summary: 'a token is not in the registry' },
  PORTFOLIO_NOT_FOUND: { status: GrpcStatus.NOT_FOUND, summary: 'no portfolio with this id exists (it comes into being with its first trade or reset)' },
  PORTFOLIO_LIMIT: { status: GrpcStatus.RESOURCE_EXHAUSTED, summary: 'creating the portfolio would exceed portfolios.max; reuse or reset an existing one' },
  INSUFFICIENT_BALANCE: { status: GrpcStatus.FAILED_PRECONDITION, summary: 'the portfolio cannot pay for the trade and its fees' },
  PRICE_IMPACT_TOO_HIGH: { status: GrpcStatus.FAILED_PRECONDITION, summary: 'price impact exceeds max_price_impact_bps' },
  NO_ROUTE: { status: GrpcStatus.FAILED_PRECONDITION, summary: 'the market has no route for this pair' },
  PRICE_UNAVAILABLE: { status: GrpcStatus.UNAVAILABLE, summary: 'no price source could price the trade' },
  DUPLICATE_REQUEST: { status: GrpcStatus.ALREADY_EXISTS, summary: 'request_id was used before with a different payload' },
  JOURNAL_UNAVAILABLE: { status: GrpcStatus.UNAVAILABLE, summary: 'the journal cannot be written; no trade is accepted' },
  OVERLOADED: {
    status: GrpcStatus.RESOURCE_EXHAUSTED,
    summary: 'server.maxInFlight requests are already being worked on, or the event loop lags more than server.maxEventLoopDelayMs',
  },
  // Refusals by the transport guards (src/server/guards), before a request reaches the executor.
  UNAUTHENTICATED: { status: GrpcStatus.UNAUTHENTICATED, summary: 'no API key, or a key this server does not know' },
  PERMISSION_DENIED: { status: GrpcStatus.PERMISSION_DENIED, summary: 'the API key is not allowed this portfolio' },
  RATE_LIMITED: { status: GrpcStatus.RESOURCE_EXHAUSTED, summary: "the API key's request rate is used up" },
  METADATA_TOO_LARGE: { status: GrpcStatus.RESOURCE_EXHAUSTED, summary: 'the call metadata (headers) exceeds server.maxMetadataBytes' },
  TOO_MANY_STREAMS: {
    status: GrpcStatus.RESOURCE_EXHAUSTED,
    summary: 'server.maxStreams trade streams are open, or server.maxStreamsPerKey for this API key; close one first',
  },
  STREAM_TOO_SLOW: {
    status: GrpcStatus.RESOURCE_EXHAUSTED,
    summary: 'a StreamTrades reader fell more than server.streamQueueTrades trades behind; its stream was ended (reconnect and catch up with ListTrades)',
  },
  MALFORMED_REQUEST: { status: GrpcStatus.INVALID_ARGUMENT, summary: 'the request bytes are not a valid protobuf message of the method' },
  SHUTTING_DOWN: { status: GrpcStatus.UNAVAILABLE, summary: 'the server is draining; retry on another instance' },
  DEADLINE_EXCEEDED: {
    status: GrpcStatus.DEADLINE_EXCEEDED,
    summary: 'the deadline passed (or the call was cancelled) before the answer; a trade whose journal write was under way is still booked: retry with the same request_id to get its result',
  },
  REPORT_UNAVAILABLE: {
    status: GrpcStatus.FAILED_PRECONDITION,
    summary: 'no report can be made for the range: the portfolio has no mark in it, or its marks and trades disagree there (e.g. a reset inside the range)',
  },
  INTERNAL: { status: GrpcStatus.INTERNAL, summary: 'an unexpected failure; nothing was changed' },
} as const satisfies Record<string, { status: GrpcStatusCode; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * What every context may carry: the request field at fault, sent to clients in the pte-error-field
 * trailer (and the JSON API's `field`), so a caller never parses messages to learn it.
 */
interface BaseContext {
  readonly field?: string | undefined;
}

/** The typed context of each code: `isExecutorError(e, CODE)` narrows `e.context` to its entry. */
export interface ErrorContexts {
  INVALID_ARGUMENT: BaseContext & { readonly field: string };
  TOKEN_NOT_FOUND: BaseContext & { readonly field: string };
  PORTFOLIO_NOT_FOUND: BaseContext & { readonly field: 'portfolio_id' };
  PORTFOLIO_LIMIT: BaseContext & { readonly field: 'portfolio_id' };
  /** The symbol of the token the portfolio is short of. */
  INSUFFICIENT_BALANCE: BaseContext & { readonly token: string };
  PRICE_IMPACT_TOO_HIGH: BaseContext & { readonly field: 'max_price_impact_bps'; readonly priceImpactBps: number };
  /** Upstream attempts made and the upstream's error code, or the simulated market's pair. */
  NO_ROUTE: BaseContext & { readonly attempts?: number; readonly errorCode?: string | undefined; readonly inputMint?: string; readonly outputMint?: string };
  /** Upstream attempts made, each endpoint's reason for not answering, or the mint without a price. */
  PRICE_UNAVAILABLE: BaseContext & { readonly attempts?: number; readonly failures?: readonly string[]; readonly mint?: string };
  DUPLICATE_REQUEST: BaseContext & { readonly field: 'request_id' };
  JOURNAL_UNAVAILABLE: BaseContext;
  OVERLOADED: BaseContext;
  UNAUTHENTICATED: BaseContext;
  PERMISSION_DENIED: BaseContext;
  RATE_LIMITED: BaseContext;
  METADATA_TOO_LARGE: BaseContext;
  TOO_MANY_STREAMS: BaseContext;
  STREAM_TOO_SLOW: BaseContext;
  MALFORMED_REQUEST: BaseContext;
  SHUTTING_DOWN: BaseContext;
  DEADLINE_EXCEEDED: BaseContext;
  REPORT_UNAVAILABLE: BaseContext & { readonly field: string };
  INTERNAL: BaseContext;
}

/** The context of code C; of any code when C is the whole union (then only `field` is common to all). */
export type ErrorContext<C extends ErrorCode = ErrorCode> = ErrorContexts[C];

/** The constructor's arguments after the message: the context is required where its code has required keys. */
type ContextArgs<C extends ErrorCode> = Partial<ErrorContext<C>> extends ErrorContext<C>
  ? [context?: ErrorContext<C>, options?: ErrorOptions]
  : [context: ErrorContext<C>, options?: ErrorOptions];

export class ExecutorError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = 'ExecutorError';
  readonly code: C;
  readonly context: ErrorContext<C>;

  constructor(code: C, message: string, ...[context, options]: ContextArgs<C>) {
    super(message, options);
    this.code = code;
    this.context = context ?? ({} as ErrorContext<C>);
  }

  get status(): GrpcStatusCode {
    return ERROR_CODES[this.code].status;
  }

  /** Normalises anything thrown into an ExecutorError; unknown failures become INTERNAL. */
  static from(cause: unknown): ExecutorError {
    if (cause instanceof ExecutorError) return cause as ExecutorError;
    const message = cause instanceof Error ? cause.message : String(cause);
    return new ExecutorError('INTERNAL', `internal error: ${message}`, {}, { cause });
  }
}

/** Narrows `e` to an ExecutorError, and with a code to that code's error and typed context. */
export function isExecutorError<C extends ErrorCode = ErrorCode>(e: unknown, code?: C): e is ExecutorError<C> {
  return e instanceof ExecutorError && (code === undefined || e.code === code);
}

/** Shorthand for the most common error: a request field is wrong. The message always names the field. */
export function invalidArgument(field: string, problem: string): ExecutorError {
  return new ExecutorError('INVALID_ARGUMENT', `${field}: ${problem}`, { field });
}
