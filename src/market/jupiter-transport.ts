/**
 * The HTTP side of the Jupiter client: an ordered list of base URLs with, per endpoint, a circuit
 * breaker, a token-bucket rate limiter and a "rate limited until" mark from 429s. One logical GET walks
 * the endpoints in order; on each it retries transient faults (network errors, timeouts, 5xx,
 * malformed 200s, 429) with exponential backoff and jitter, honouring x-ratelimit-reset, then fails
 * over to the next. Definite answers are never retried: a no-route 400 becomes ExecutorError NO_ROUTE,
 * other 400s PRICE_UNAVAILABLE at once, and a 401/403 fails over without retrying.
 *
 * The API key goes out as the x-api-key header and nowhere else: it is not part of any URL, log field
 * or error message (bodies quoted in errors are scrubbed of it, in case an endpoint echoes headers).
 */
import { ExecutorError } from '../domain/errors.js';
import type { Log } from '../executor/ports.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import type { BreakerState, CircuitBreaker } from './circuit-breaker.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { classifyError, MalformedResponseError } from './jupiter-wire.js';
import type { ErrorAnswer } from './jupiter-wire.js';
import { createRateLimiter } from './rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';

export interface JupiterTransportOptions {
  /** Base URLs in failover order, e.g. ["https://api.jup.ag", "https://lite-api.jup.ag"]. */
  readonly baseUrls: readonly string[];
  /** Sent as x-api-key when set. */
  readonly apiKey?: string | undefined;
  /** Timeout of one attempt (connect, headers and body). Default 800 ms. */
  readonly timeoutMs?: number;
  /** Attempts on one endpoint before failing over. Default 3. */
  readonly maxAttemptsPerEndpoint?: number;
  /** First backoff; doubles per retry, capped at backoffMaxMs, with jitter in [50 %, 100 %]. Defaults 100 / 2,000 ms. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Longest wait accepted for a 429 reset or a rate-limit slot before failing over instead. Default 2,000 ms. */
  readonly maxWaitMs?: number;
  /** Requests per second per endpoint (token bucket). Default 1 (Jupiter's free plan). */
  readonly ratePerSec?: number;
  readonly breakerFailureThreshold?: number;
  readonly breakerOpenMs?: number;
  readonly clock?: Clock;
  /** Uniform [0, 1); injectable so tests see exact backoffs. */
  readonly random?: () => number;
  readonly fetch?: typeof fetch;
  readonly log?: Log | undefined;
  /** Called after every HTTP attempt: the metrics hook. */
  readonly onAttempt?: (event: AttemptEvent) => void;
  readonly onBreakerChange?: (endpoint: string, from: BreakerState, to: BreakerState) => void;
}

export type AttemptOutcome = 'ok' | 'no-route' | 'bad-request' | 'auth' | 'rate-limited' | 'server' | 'timeout' | 'network' | 'malformed';

export interface AttemptEvent {
  readonly endpoint: string;
  readonly path: string;
  readonly outcome: AttemptOutcome;
  readonly status: number | undefined;
  readonly ms: number;
}

export interface TransportResult<T> {
  readonly value: T;
  /** The base URL that answered. */
  readonly endpoint: string;
  /** HTTP attempts made, over all endpoints. */
  readonly attempts: number;
}

export interface EndpointStatus {
  readonly url: string;
  readonly breaker: BreakerState;
  /** Epoch ms until which a 429 asked us to stay away (0 = not limited). */
  readonly rateLimitedUntilMs: number;
}

export interface JupiterTransport {
  /**
   * GET base + path with the query, parsed by `parse` (which throws MalformedResponseError on a body it
   * cannot use). Throws ExecutorError NO_ROUTE or PRICE_UNAVAILABLE (context.attempts says how many
   * attempts were made).
   */
  get<T>(path: string, query: Readonly<Record<string, string>>, parse: (body: unknown, endpoint: string) => T): Promise<TransportResult<T>>;
  endpoints(): readonly EndpointStatus[];
}

interface Endpoint {
  readonly url: string;
  readonly breaker: CircuitBreaker;
  readonly limiter: RateLimiter;
  rateLimitedUntil: number;
}

type Attempt<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'error'; readonly answer: ErrorAnswer; readonly resetAtMs: number | undefined }
  | { readonly kind: 'timeout' | 'network' | 'malformed'; readonly message: string };

export function createJupiterTransport(options: JupiterTransportOptions): JupiterTransport {
  if (options.baseUrls.length === 0) throw new Error('jupiter: at least one base URL is needed');
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 800;
  const maxAttempts = options.maxAttemptsPerEndpoint ?? 3;
  const backoffBase = options.backoffBaseMs ?? 100;
  const backoffMax = options.backoffMaxMs ?? 2_000;
  const maxWaitMs = options.maxWaitMs ?? 2_000;
  const apiKey = options.apiKey !== undefined && options.apiKey !== '' ? options.apiKey : undefined;
  const log = options.log;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey !== undefined) headers['x-api-key'] = apiKey;

  const endpoints: Endpoint[] = options.baseUrls.map((raw) => {
    const url = raw.replace(/\/+$/, '');
    return {
      url,
      rateLimitedUntil: 0,
      limiter: createRateLimiter(options.ratePerSec ?? 1),
      breaker: createCircuitBreaker({
        ...(options.breakerFailureThreshold !== undefined ? { failureThreshold: options.breakerFailureThreshold } : {}),
        ...(options.breakerOpenMs !== undefined ? { openMs: options.breakerOpenMs } : {}),
        onStateChange: (from, to) => {
          log?.[to === 'open' ? 'warn' : 'info']({ endpoint: url, from, to }, `jupiter endpoint circuit ${to}`);
          options.onBreakerChange?.(url, from, to);
        },
      }),
    };
  });

  /** Scrubs the API key from text that came from outside before it goes into an error or a log. */
  const scrub = (text: string): string => (apiKey === undefined ? text : text.split(apiKey).join('[redacted]'));

  /** Exponential backoff with jitter in [50 %, 100 %] of the step ("equal jitter"). */
  const backoff = (retry: number): number => {
    const step = Math.min(backoffMax, backoffBase * 2 ** (retry - 1));
    return Math.round(step / 2 + (random() * step) / 2);
  };

  async function attempt<T>(ep: Endpoint, path: string, qs: string, parse: (body: unknown, endpoint: string) => T): Promise<Attempt<T>> {
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await doFetch(`${ep.url}${path}${qs}`, { headers, signal });
      text = await res.text();
    } catch (e) {
      if (signal.aborted) return { kind: 'timeout', message: `no answer within ${timeoutMs} ms` };
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
      return { kind: 'network', message: scrub(`${e instanceof Error ? e.message : String(e)}${cause}`) };
    }
    if (res.status !== 200) {
      const reset = res.headers.get('x-ratelimit-reset');
      const resetS = reset !== null && /^\d+(?:\.\d+)?$/.test(reset.trim()) ? Number(reset) : undefined;
      return { kind: 'error', answer: classifyError(res.status, scrub(text)), resetAtMs: resetS === undefined ? undefined : resetS * 1000 };
    }
    try {
      return { kind: 'ok', value: parse(JSON.parse(text), ep.url) };
    } catch (e) {
      if (e instanceof SyntaxError || e instanceof MalformedResponseError) return { kind: 'malformed', message: scrub(e.message).slice(0, 200) };
      throw e;
    }
  }

  return {
    endpoints: () => endpoints.map((e) => ({ url: e.url, breaker: e.breaker.state(), rateLimitedUntilMs: e.rateLimitedUntil })),

    async get(path, query, parse) {
      const qs = `?${new URLSearchParams(query).toString()}`;
      let attempts = 0;
      const failures: string[] = [];
      const unavailable = (why: string): ExecutorError =>
        new ExecutorError('PRICE_UNAVAILABLE', `jupiter ${path}: ${why}`, { attempts, failures: [...failures] });

      for (let e = 0; e < endpoints.length; e++) {
        const ep = endpoints[e] as Endpoint;
        const last = e === endpoints.length - 1;
        for (let i = 0; i < maxAttempts; i++) {
          const now = clock.now();
          // A 429 reset in force: skip to the next endpoint, or wait here if this is the last and the wait is short.
          const limitedFor = ep.rateLimitedUntil - now;
          if (limitedFor > 0 && (!last || limitedFor > maxWaitMs)) {
            failures.push(`${ep.url}: rate limited for ${Math.ceil(limitedFor)} ms more`);
            break;
          }
          if (!ep.breaker.allow(now)) {
            failures.push(`${ep.url}: circuit open`);
            break;
          }
          const wait = Math.max(limitedFor, i > 0 ? backoff(i) : 0);
          const slot = ep.limiter.reserve(now + wait, maxWaitMs);
          if (slot === undefined) {
            ep.breaker.release(); // not the endpoint's fault: give back a half-open probe
            failures.push(`${ep.url}: local rate limit (${options.ratePerSec ?? 1}/s) would delay more than ${maxWaitMs} ms`);
            break;
          }
          await clock.sleep(wait + slot);
          attempts++;
          const t0 = clock.now();
          const r = await attempt(ep, path, qs, parse);
          const outcome: AttemptOutcome = r.kind === 'error' ? r.answer.kind : r.kind;
          options.onAttempt?.({ endpoint: ep.url, path, outcome, status: r.kind === 'error' ? r.answer.status : r.kind === 'ok' ? 200 : undefined, ms: clock.now() - t0 });
          if (r.kind === 'ok') {
            ep.breaker.success();
            return { value: r.value, endpoint: ep.url, attempts };
          }
          if (r.kind !== 'error') {
            ep.breaker.failure(clock.now());
            failures.push(`${ep.url}: ${r.kind}: ${r.message}`);
            log?.warn({ endpoint: ep.url, path, attempt: attempts, outcome: r.kind, reason: r.message }, 'jupiter attempt failed');
            continue;
          }
          const a = r.answer;
          const what = `${ep.url}: HTTP ${a.status}${a.errorCode !== undefined ? ` ${a.errorCode}` : ''}: ${a.message}`;
          switch (a.kind) {
            case 'no-route':
              ep.breaker.success();
              throw new ExecutorError('NO_ROUTE', `jupiter has no route: ${a.message} (${a.errorCode ?? a.status})`, { attempts, errorCode: a.errorCode });
            case 'bad-request':
              ep.breaker.success();
              failures.push(what);
              throw unavailable(`request refused: ${what}`);
            case 'auth':
              ep.breaker.failure(clock.now());
              failures.push(what);
              log?.warn({ endpoint: ep.url, path, status: a.status }, 'jupiter endpoint refused the request (API key?)');
              i = maxAttempts; // fail over without retrying
              break;
            case 'rate-limited':
              // The endpoint is alive; it asks us to wait. Without a reset header, back off as usual.
              ep.breaker.release();
              ep.rateLimitedUntil = r.resetAtMs ?? clock.now() + backoff(i + 1);
              failures.push(what);
              log?.warn({ endpoint: ep.url, path, until: new Date(ep.rateLimitedUntil).toISOString() }, 'jupiter rate limited');
              break;
            case 'server':
              ep.breaker.failure(clock.now());
              failures.push(what);
              log?.warn({ endpoint: ep.url, path, attempt: attempts, status: a.status }, 'jupiter attempt failed');
              break;
          }
        }
      }
      throw unavailable(`no endpoint answered after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${failures.join('; ')}`);
    },
  };
}
