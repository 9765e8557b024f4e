/**
 * The one place an error becomes a gRPC status. Anything thrown is normalised by
 * ExecutorError.from; the client gets the status the code table names and the error's message,
 * never a stack trace. Trailing metadata carries the executor's own code (and the offending field),
 * so a client can tell TOKEN_NOT_FOUND from another NOT_FOUND without parsing text.
 */
import { Metadata, status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import { ExecutorError } from '../domain/errors.js';

export const ERROR_CODE_METADATA_KEY = 'pte-error-code';
export const ERROR_FIELD_METADATA_KEY = 'pte-error-field';

/** Longest details string sent: messages quote user input, and a status travels in an HTTP/2 header. */
const MAX_DETAILS = 1_024;

export interface MappedError {
  readonly error: ExecutorError;
  readonly status: StatusObject;
}

export function toGrpcStatus(cause: unknown): MappedError {
  const error = ExecutorError.from(cause);
  const field = error.context.field;
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, error.code);
  if (typeof field === 'string') metadata.set(ERROR_FIELD_METADATA_KEY, field);
  const details = error.message.length > MAX_DETAILS ? `${error.message.slice(0, MAX_DETAILS)}...` : error.message;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- GrpcStatus in domain/errors.ts mirrors google.rpc.Code
  return { error, status: { code: error.status, details, metadata } };
}

/** "INVALID_ARGUMENT" for 3: the label used in logs and metrics. */
export function statusName(code: number): string {
  const name: unknown = (GrpcStatus as unknown as Record<number, unknown>)[code];
  return typeof name === 'string' ? name : String(code);
}
