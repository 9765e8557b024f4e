/**
 * The guard every call passes before its handler runs, in this order: draining (UNAVAILABLE),
 * metadata size, API key (UNAUTHENTICATED), portfolio (PERMISSION_DENIED), the key's rate
 * (RESOURCE_EXHAUSTED), event-loop delay for state-changing calls (RESOURCE_EXHAUSTED, loop-delay.ts),
 * the in-flight bound for unary calls, the open-stream bounds for StreamTrades (RESOURCE_EXHAUSTED).
 * Every check is a few comparisons and one hash: a refused call costs microseconds and never reaches
 * the executor.
 */
import type { Metadata } from '@grpc/grpc-js';
import { createAuthenticator, type Principal } from './api-keys.js';
import { guardError, isGuardError, type GuardCode, type GuardRefusal } from './guard-error.js';
import { createInFlightLimiter, type InFlightLimiter } from './in-flight.js';
import { createLoopDelayMonitor, DEFAULT_MAX_EVENT_LOOP_DELAY_MS } from './loop-delay.js';

export const DEFAULT_MAX_IN_FLIGHT = 2_048;
export const DEFAULT_DEADLINE_MS = 10_000;
export const DEFAULT_MAX_METADATA_BYTES = 8 * 1024;
/**
 * Open StreamTrades calls at once. Each open stream costs its call's transport state and, when its
 * reader is slow, a bounded queue (handlers.ts, server.streamQueueTrades) and a few encoded trades
 * in HTTP/2; `bench/overload.ts --silent-streams` measures about 10 KiB of heap each with 2,000 readers
 * that never read. 256 is ample for strategies and dashboards (one stream per portfolio watched) and
 * bounds that cost to a few MiB whatever the clients do.
 */
export const DEFAULT_MAX_STREAMS = 256;
/**
 * Open streams per API key (only with server.apiKeys): a quarter of the server's bound, so one key
 * whose readers hang cannot take every slot from the others.
 */
export const DEFAULT_MAX_STREAMS_PER_KEY = 64;

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
  /** Open StreamTrades calls at once, in all. Default DEFAULT_MAX_STREAMS. */
  readonly maxStreams?: number;
  /** Open StreamTrades calls at once per API key (when keys are configured). Default DEFAULT_MAX_STREAMS_PER_KEY. */
  readonly maxStreamsPerKey?: number;
  /** Told of each refusal, by code (metrics). */
  readonly onReject?: (code: GuardCode) => void;
}

export interface AdmitInput {
  readonly metadata: Metadata;
  /** The portfolio the request names ("" = default); undefined for calls that touch none. */
  readonly portfolioId: string | undefined;
  /**
   * Counted in flight (unary calls). Long-lived calls (StreamTrades) are not: they would hold a slot
   * for their whole life; they pass `stream` instead.
   */
  readonly counted: boolean;
  /** A StreamTrades call: counted against the open-stream bounds until its admission is released. */
  readonly stream?: boolean;
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
  /** Whether the caller's API key may use the portfolio ("" = default); absent means every portfolio (an open server). */
  readonly mayUse?: (portfolioId: string) => boolean;
}

export interface CallGuard {
  admit(input: AdmitInput): Admission;
  readonly defaultDeadlineMs: number;
  readonly inFlight: InFlightLimiter;
  /** Open StreamTrades calls (admitted and not yet released) and the bound. */
  readonly streams: { readonly open: number; readonly max: number };
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
  const map = metadata.getMap();
  for (const k in map) {
    const value = map[k];
    if (value !== undefined) n += k.length + (typeof value === 'string' ? Buffer.byteLength(value) : value.length);
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
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  const maxStreamsPerKey = options.maxStreamsPerKey ?? DEFAULT_MAX_STREAMS_PER_KEY;
  let openStreams = 0;
  /** Open streams per API key name; entries are removed at 0, so the map holds only keys with streams. */
  const streamsByKey = new Map<string, number>();
  let draining = false;
  const refuse = (e: GuardRefusal): never => {
    onReject?.(e.code);
    throw e;
  };

  /**
   * A stream slot, held until the call is over at the transport (handlers.ts releases it on the
   * call's close, not when it stops sending): an ended stream whose reader never reads keeps its
   * HTTP/2 buffers until the client reads or goes away, so it keeps counting until then.
   */
  function admitStream(principal: Principal | undefined): Admission {
    const key = principal?.name;
    const mine = key === undefined ? 0 : (streamsByKey.get(key) ?? 0);
    if (key !== undefined && mine >= maxStreamsPerKey) {
      refuse(guardError('TOO_MANY_STREAMS', `too many trade streams: API key ${key} has ${mine} trade streams open, the most allowed (server.maxStreamsPerKey); close one first`));
    }
    if (openStreams >= maxStreams) {
      refuse(guardError('TOO_MANY_STREAMS', `too many trade streams: the server has ${openStreams} trade streams open, the most allowed (server.maxStreams); retry later`));
    }
    openStreams++;
    if (key !== undefined) streamsByKey.set(key, mine + 1);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        openStreams--;
        if (key === undefined) return;
        const n = (streamsByKey.get(key) ?? 1) - 1;
        if (n <= 0) streamsByKey.delete(key);
        else streamsByKey.set(key, n);
      },
    };
  }

  return {
    defaultDeadlineMs: options.defaultDeadlineMs ?? DEFAULT_DEADLINE_MS,
    inFlight,
    streams: {
      max: maxStreams,
      get open() {
        return openStreams;
      },
    },
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
    admit({ metadata, portfolioId, counted, sheddable, stream }) {
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
      if (stream === true) return admitStream(principal);
      // Absent for a caller that may use every portfolio (an open server, a "*" key): no closure per call.
      const mayUse =
        principal === undefined || principal.allPortfolios
          ? undefined
          : (id: string): boolean => {
              try {
                auth.authorize(principal, id);
                return true;
              } catch {
                return false;
              }
            };
      if (!counted) return mayUse === undefined ? NOTHING : { ...NOTHING, mayUse };
      if (!inFlight.tryAcquire()) refuse(guardError('OVERLOADED', `overloaded: ${inFlight.max} requests in flight; retry with backoff`));
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        inFlight.release();
      };
      return mayUse === undefined ? { release } : { release, mayUse };
    },
  };
}
