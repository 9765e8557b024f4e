/**
 * How a failed call reaches the user: one line on stderr and an exit code a script can branch on.
 * 1: the executor refused or failed the request; 2: it could not be reached at all; 64: the command
 * line is wrong; 78: the configuration is invalid (sysexits EX_USAGE and EX_CONFIG).
 */
import { status } from '@grpc/grpc-js';

export const EXIT = { ok: 0, failed: 1, unreachable: 2, usage: 64, config: 78 } as const;

/** The executor's own error code travels in this trailer (see src/server/status.ts). */
const ERROR_CODE_TRAILER = 'pte-error-code';

const UNAVAILABLE: number = status.UNAVAILABLE;
const UNAUTHENTICATED: number = status.UNAUTHENTICATED;

/** The parts of a grpc-js ServiceError this module reads. */
export interface CallFailure {
  readonly code: number;
  readonly details: string;
  readonly metadata?: { get(key: string): unknown[] } | undefined;
}

export function isCallFailure(e: unknown): e is CallFailure {
  return e instanceof Error && typeof (e as Partial<CallFailure>).code === 'number' && typeof (e as Partial<CallFailure>).details === 'string';
}

export function statusName(code: number): string {
  const name = (status as unknown as Record<number, string | undefined>)[code];
  return name ?? `STATUS_${code}`;
}

/**
 * grpc-js reports a TLS mismatch (plaintext against TLS, an untrusted certificate, another name) only
 * as a connection that never becomes ready, so the message names those causes too.
 */
export const unreachableMessage = (addr: string, tls = false): string =>
  `pte: cannot reach the executor at ${addr} — is \`pte serve\` running? ` +
  (tls
    ? '(with TLS: does --tls-ca hold the CA that signed its certificate, and does the certificate name the host in --addr? if not, give that name with --tls-server-name)'
    : '(use --addr or PTE_ADDR for another address; --tls-ca FILE or --tls if it serves TLS)');

/**
 * The message and exit code for a failed call. UNAVAILABLE without the executor's error trailer is
 * the transport (nothing listening); with it, the executor answered (e.g. no price from any source).
 */
export function describeCallFailure(e: CallFailure, addr: string): { readonly message: string; readonly exitCode: number } {
  const fromExecutor = (e.metadata?.get(ERROR_CODE_TRAILER).length ?? 0) > 0;
  if (e.code === UNAVAILABLE && !fromExecutor) return { message: unreachableMessage(addr), exitCode: EXIT.unreachable };
  const details = e.details !== '' ? e.details : 'the call failed';
  const hint = e.code === UNAUTHENTICATED ? ': set PTE_API_KEY (or --api-key) to a key the executor accepts' : '';
  return { message: `pte: ${details} (${statusName(e.code)})${hint}`, exitCode: EXIT.failed };
}
