/**
 * Refusals decided by the transport before a request reaches the executor: who is calling, how much
 * they may send, whether the server is taking work. Their codes live in the one error table
 * (domain/errors.ts) like every other error; this is only the shorthand the guards use.
 */
import { ExecutorError, isExecutorError, type ErrorCode } from '../../domain/errors.js';

/** The codes the guards refuse with. */
export type GuardCode = Extract<ErrorCode, 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'RATE_LIMITED' | 'OVERLOADED' | 'METADATA_TOO_LARGE' | 'MALFORMED_REQUEST' | 'SHUTTING_DOWN' | 'TOO_MANY_STREAMS'>;

const GUARD_CODE_SET: ReadonlySet<string> = new Set<GuardCode>(['UNAUTHENTICATED', 'PERMISSION_DENIED', 'RATE_LIMITED', 'OVERLOADED', 'METADATA_TOO_LARGE', 'MALFORMED_REQUEST', 'SHUTTING_DOWN', 'TOO_MANY_STREAMS']);

/** A guard refusal; `field` names the request part at fault (sent in the pte-error-field trailer). */
export type GuardRefusal = ExecutorError & { readonly code: GuardCode };

export function guardError(code: GuardCode, message: string, field?: string): GuardRefusal {
  return new ExecutorError(code, message, field === undefined ? {} : { field });
}

export function isGuardError(e: unknown): e is GuardRefusal {
  return isExecutorError(e) && GUARD_CODE_SET.has(e.code);
}
