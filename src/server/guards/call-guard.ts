/**
 * The guard every call passes before its handler runs, in this order: draining (UNAVAILABLE),
 * metadata size, API key (UNAUTHENTICATED), portfolio (PERMISSION_DENIED), the key's rate
 * (RESOURCE_EXHAUSTED), event-loop delay for state-changing calls (RESOURCE_EXHAUSTED, loop-delay.ts),
 * the in-flight bound (RESOURCE_EXHAUSTED). Every check is a few comparisons and one hash: a refused
 * call costs microseconds and never reaches the executor.
 */
import type { Metadata } from '@grpc/grpc-js';
import { createAuthenticator, type Principal } from './api-keys.js';
import { guardError, isGuardError, type GuardCode, type GuardRefusal } from './guard-error.js';
import { createInFlightLimiter, type InFlightLimiter } from './in-flight.js';
import { createLoopDelayMonitor, DEFAULT_MAX_EVENT_LOOP_DELAY_MS } from './loop-delay.js';

export const DEFAULT_MAX_IN_FLIGHT = 2_048;
export const DEFAULT_DEADLINE_MS = 10_000;
export const DEFAULT_MAX_METADATA_BYTES = 8 * 1024;

export interface GuardOptions {
  /** Resolved API keys (api-keys.ts resolveApiKeys); none = an open server. */
  readonly principals?: readonly Principal[];
  readonly maxInFlight?: number;
  /**
   * Sheddable calls are refused while the event loop has been more than this late (ms) on the last
   * two probes (loop-delay.ts); 0 = no such check and no probe timer. Default DEFAULT_MAX_EVENT_LOOP_DELAY_MS.
   */
  readonly maxEventLoopDelayMs?: number;
  /** Deadline given to calls that send none. */
  readonly defaultDeadlineMs?: number;
  /** Largest total size of a call's metadata (keys plus values) accepted. */
  readonly maxMetadataBytes?: number;
  /** Told of each refusal, by code (metrics). */
  readonly onReject?: (code: GuardCode) => void;
}

export interface AdmitInput {
  readonly metadata: Metadata;
  /** The portfolio the request names ("" = default); undefined for calls that touch none. */
  readonly portfolioId: string | undefined;
  /** Long-lived calls (StreamTrades) are checked but not counted in flight. */
  readonly counted: boolean;
  /**
   * Refused while the event loop lags (maxEventLoopDelayMs): the calls that change state and make
   * the load (ExecuteTrade, ResetPortfolio). Reads stay answerable, under the in-flight bound, so a
   * refused client can still learn its portfolio's state.
   */
  readonly sheddable: boolean;
}

/** An admitted call: release it exactly once when it has answered. */
export interface Admission {
  release(): void;
}

export interface CallGuard {
  admit(input: AdmitInput): Admission;
  readonly defaultDeadlineMs: number;
  readonly inFlight: InFlightLimiter;
  /** The event loop's delay as the check sees it, in ms (loop-delay.ts; 0 when the check is off). */
  readonly eventLoopDelayMs: number;
  /** From now on every new call is refused with UNAVAILABLE; resolves when in-flight work is done. */
  drain(): Promise<void>;
  readonly draining: boolean;
  /** Stops the event-loop probe timer; call when the server has closed. */
  close(): void;
}

const NOTHING: Admission = { release: () => undefined };

function metadataBytes(metadata: Metadata): number {
  let n = 0;
  for (const [k, values] of Object.entries(metadata.getMap())) {
    n += k.length + (typeof values === 'string' ? Buffer.byteLength(values) : values.length);
  }
  return n;
}

export function createCallGuard(options: GuardOptions = {}): CallGuard {
  const auth = createAuthenticator(options.principals ?? []);
  const inFlight = createInFlightLimiter(options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  const maxMetadata = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
  const maxLoopDelay = options.maxEventLoopDelayMs ?? DEFAULT_MAX_EVENT_LOOP_DELAY_MS;
  const loop = maxLoopDelay > 0 ? createLoopDelayMonitor() : undefined;
  const onReject = options.onReject;
  let draining = false;
  const refuse = (e: GuardRefusal): never => {
    onReject?.(e.code);
    throw e;
  };

  return {
    defaultDeadlineMs: options.defaultDeadlineMs ?? DEFAULT_DEADLINE_MS,
    inFlight,
    get draining() {
      return draining;
    },
    get eventLoopDelayMs() {
      return loop?.delayMs ?? 0;
    },
    close() {
      loop?.stop();
    },
    drain() {
      draining = true;
      return inFlight.idle();
    },
    admit({ metadata, portfolioId, counted, sheddable }) {
      if (draining) refuse(guardError('SHUTTING_DOWN', 'the server is shutting down; retry on another instance'));
      const size = metadataBytes(metadata);
      if (size > maxMetadata) refuse(guardError('METADATA_TOO_LARGE', `metadata: ${size} bytes of headers, more than ${maxMetadata}`, 'metadata'));
      let principal: Principal | undefined;
      try {
        principal = auth.authenticate(metadata);
        if (portfolioId !== undefined) auth.authorize(principal, portfolioId);
      } catch (e) {
        if (isGuardError(e)) refuse(e);
        throw e;
      }
      if (principal?.bucket !== undefined && !principal.bucket.tryTake()) {
        refuse(guardError('RATE_LIMITED', `rate limit of API key ${principal.name} exceeded; slow down and retry`));
      }
      // After the caller's own checks (a stranger learns nothing about the load), before any work.
      if (sheddable && loop !== undefined && loop.delayMs > maxLoopDelay) {
        const ms = Math.round(loop.delayMs);
        refuse(guardError('OVERLOADED', `overloaded: event loop delay ${ms} ms, more than ${maxLoopDelay} ms; retry with backoff`));
      }
      if (!counted) return NOTHING;
      if (!inFlight.tryAcquire()) refuse(guardError('OVERLOADED', `overloaded: ${inFlight.max} requests in flight; retry with backoff`));
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          inFlight.release();
        },
      };
    },
  };
}
