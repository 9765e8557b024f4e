import { ExecutorError } from '../domain/errors.js';
import type { TradeRequest } from '../domain/request.js';
import type { Trade } from '../domain/trade.js';
import { requestFingerprint } from '../domain/validation.js';
import type { TradeHistory } from './ports.js';
import type { TradeResult } from './types.js';

/**
 * Idempotency (DESIGN.md): the same request_id with the same payload returns the original result;
 * with a different payload it is DUPLICATE_REQUEST. Per portfolio, request ids compared
 * case-insensitively.
 *
 * What is kept here is answers, not trades: the requests in flight and the results of the most
 * recent completed ones (their Trade is the very object the journal's decoded cache holds). Every
 * other request id booked since its portfolio's last reset is found through the journal's trade
 * index, and answered with the original trade and the portfolio as it is now (`recovered`).
 */
export interface Idempotency {
  /**
   * The original result when the request id was seen (in flight, recent, or in the journal), or
   * undefined for a new one. Rejects with DUPLICATE_REQUEST when the payload differs.
   */
  lookup(request: TradeRequest, fingerprint: string): Promise<TradeResult> | undefined;
  /** Keeps a new request's result; a failure forgets the id, so it may be retried. */
  track(request: TradeRequest, fingerprint: string, result: Promise<TradeResult>): void;
  /** Forgets every request id of a portfolio (its reset starts a new history). */
  forgetPortfolio(portfolioId: string): void;
}

export interface IdempotencyOptions {
  readonly history: TradeHistory;
  /** The answer to a duplicate whose result is no longer kept: built from the journaled trade. */
  readonly recovered: (trade: Trade) => Promise<TradeResult>;
  /** Completed results kept whole. Default 1,024. */
  readonly resultCache?: number | undefined;
}

/** A request id already seen: its original payload's fingerprint and its result. */
interface Known {
  /** A promise while the original trade is read back from the journal. */
  readonly fingerprint: string | Promise<string>;
  readonly result: Promise<TradeResult>;
  settled: boolean;
}

const DEFAULT_RESULT_CACHE = 1_024;

/** Idempotency key: request ids are UUIDs, compared case-insensitively, per portfolio. */
const knownKey = (portfolioId: string, requestId: string): string => `${portfolioId}\n${requestId.toLowerCase()}`;

/**
 * Whether a stored fingerprint is the request's payload. Metadata `{}` is now the same payload as no
 * metadata, but a trade booked before that stored a fingerprint with `{}` in it: a request without
 * metadata also matches that earlier form.
 */
export function samePayload(stored: string, fingerprint: string, request: TradeRequest): boolean {
  if (stored === fingerprint) return true;
  return request.metadata === undefined && stored === requestFingerprint({ ...request, metadata: {} });
}

export function createIdempotency(options: IdempotencyOptions): Idempotency {
  const resultCache = options.resultCache ?? DEFAULT_RESULT_CACHE;
  /** Request ids in flight and the most recent completed ones, oldest first. */
  const known = new Map<string, Known>();

  /** Keeps `k` until it fails (the id may then be retried) or is among the oldest completed beyond the cache. */
  function keep(key: string, k: Known): void {
    known.set(key, k);
    k.result.then(
      () => {
        k.settled = true;
        if (known.size <= resultCache) return;
        for (const [old, v] of known) {
          if (known.size <= resultCache) break;
          if (v.settled) known.delete(old);
        }
      },
      () => {
        if (known.get(key) === k) known.delete(key);
      },
    );
  }

  return {
    lookup(request, fingerprint) {
      const key = knownKey(request.portfolioId, request.requestId);
      let seen = known.get(key);
      if (!seen) {
        const original = options.history.findTrade(request.portfolioId, request.requestId);
        if (!original) return undefined;
        seen = { fingerprint: original.then((t) => t.inputs.fingerprint), result: original.then(options.recovered), settled: false };
        keep(key, seen);
      }
      const { fingerprint: stored, result } = seen;
      const check = async (): Promise<TradeResult> => {
        if (!samePayload(await stored, fingerprint, request)) {
          throw new ExecutorError('DUPLICATE_REQUEST', `request_id ${request.requestId} was already used with a different payload`, { field: 'request_id' });
        }
        return result;
      };
      return check();
    },
    track(request, fingerprint, result) {
      keep(knownKey(request.portfolioId, request.requestId), { fingerprint, result, settled: false });
    },
    forgetPortfolio(portfolioId) {
      const prefix = `${portfolioId}\n`;
      for (const key of known.keys()) if (key.startsWith(prefix)) known.delete(key);
    },
  };
}
