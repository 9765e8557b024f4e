/**
 * Errors of the HTTP API: the executor's one error type, with the HTTP status that matches its gRPC
 * status and a JSON body {code, status, message, field}. `code` is the executor's own code
 * (INSUFFICIENT_BALANCE, TOKEN_NOT_FOUND, ...), `status` the gRPC status name, `field` the request
 * field or query parameter at fault when there is one. Internal errors never show a stack.
 */
import { ExecutorError, GrpcStatus } from '../domain/errors.js';

const HTTP_BY_GRPC: Readonly<Record<number, number>> = {
  [GrpcStatus.CANCELLED]: 499,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.FAILED_PRECONDITION]: 412,
  [GrpcStatus.INTERNAL]: 500,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.UNAUTHENTICATED]: 401,
};

const STATUS_NAME: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(GrpcStatus).map(([name, code]) => [code, name]));

export interface ErrorBody {
  readonly code: string;
  readonly status: string;
  readonly message: string;
  readonly field?: string;
}

/** Longest message sent: messages quote user input. */
const MAX_MESSAGE = 1_024;

export function httpError(cause: unknown): { readonly httpStatus: number; readonly body: ErrorBody; readonly error: ExecutorError } {
  const error = ExecutorError.from(cause);
  const field = error.context.field;
  const message = error.message.length > MAX_MESSAGE ? `${error.message.slice(0, MAX_MESSAGE)}...` : error.message;
  const body: ErrorBody = {
    code: error.code,
    status: STATUS_NAME[error.status] ?? String(error.status),
    message,
    ...(typeof field === 'string' ? { field } : {}),
  };
  return { httpStatus: HTTP_BY_GRPC[error.status] ?? 500, body, error };
}
