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
 * A base URL may itself hold a secret (hosted plans put a token in the path: https://host/TOKEN), so
 * it is only used to send requests: everything that names an endpoint (results, logs, errors, metric
 * labels) uses its name, a configured label or scheme://host[:port] with the path shown as "/…", and
 * text that came from outside is scrubbed of the URL and its path.
 */
import { ExecutorError } from '../domain/errors.js';
import { redactUpstreamText, UPSTREAM_TEXT_SCAN_CHARS } from '../domain/upstream-text.js';
import type { Log } from '../executor/ports.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import type { BreakerState, CircuitBreaker } from './circuit-breaker.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { classifyError, MalformedResponseError } from './jupiter-wire.js';
import type { ErrorAnswer } from './jupiter-wire.js';
import { createRateLimiter } from './rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';

/** A base URL with the name it is shown under (price sources, logs, metrics). */
export interface JupiterEndpointSpec {
  readonly url: string;
  readonly label?: string | undefined;
}

export interface JupiterTransportOptions {
  /** Base URLs in failover order, e.g. ["https://api.jup.ag", "https://lite-api.jup.ag"], each optionally labelled. */
  readonly baseUrls: readonly (string | JupiterEndpointSpec)[];
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

/** 'bad-answer': a well-formed 200 the caller judged unusable (see getJudged). */
export type AttemptOutcome = 'ok' | 'no-route' | 'bad-request' | 'auth' | 'rate-limited' | 'server' | 'timeout' | 'network' | 'malformed' | 'bad-answer';

export interface AttemptEvent {
  /** The endpoint's name (never its URL). */
  readonly endpoint: string;
  readonly path: string;
  readonly outcome: AttemptOutcome;
  readonly status: number | undefined;
  readonly ms: number;
}

export interface TransportResult<T> {
  readonly value: T;
  /** The name of the endpoint that answered (its label, or its URL without the path). */
  readonly endpoint: string;
  /** Its position in the failover order. */
  readonly index: number;
  /** HTTP attempts made, over all endpoints. */
  readonly attempts: number;
}

/**
 * An answer whose verdict on the endpoint's health is the caller's: the breaker records nothing until
 * `settle` is called, with undefined (a good answer) or the problem found in it (a failed attempt).
 * Call it exactly once; later calls are ignored.
 */
export interface JudgedResult<T> extends TransportResult<T> {
  settle(problem: string | undefined): void;
}

export interface EndpointStatus {
  /** The endpoint's name (never its URL). */
  readonly name: string;
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
  /**
   * The same walk, starting at the endpoint at `startAt` in the failover order, but a 200 that parses
   * is returned for the caller to judge (JudgedResult.settle): a well-formed answer can still be
   * unusable (prices missing or implausible), and that is a failure of the endpoint that gave it.
   */
  getJudged<T>(path: string, query: Readonly<Record<string, string>>, parse: (body: unknown, endpoint: string) => T, startAt: number): Promise<JudgedResult<T>>;
  endpoints(): readonly EndpointStatus[];
}

/**
 * How an endpoint is shown when it has no label: scheme://host[:port], and "/…" in place of anything
 * after it (path, credentials, query), which may hold a secret.
 */
export function endpointName(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'invalid-url';
  }
  const hidden = (u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '';
  return `${u.protocol}//${u.host}${hidden ? '/…' : ''}`;
}

interface Endpoint {
  /** Where requests go; never printed. */
  readonly url: string;
  readonly name: string;
  /** Parts of the URL that may be secret, each with what is shown instead, longest first. */
  readonly secrets: readonly (readonly [string, string])[];
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

  const names = new Set<string>();
  const endpoints: Endpoint[] = options.baseUrls.map((spec, index) => {
    const raw = typeof spec === 'string' ? spec : spec.url;
    const url = raw.replace(/\/+$/, '');
    let name = typeof spec !== 'string' && spec.label !== undefined && spec.label !== '' ? spec.label : endpointName(url);
    // Two unlabelled URLs on one host (different tokens) must stay apart in metrics and price sources.
    if (names.has(name)) name = `${name}#${index + 1}`;
    names.add(name);
    return {
      url,
      name,
      secrets: urlSecrets(url, name),
      rateLimitedUntil: 0,
      limiter: createRateLimiter(options.ratePerSec ?? 1),
      breaker: createCircuitBreaker({
        ...(options.breakerFailureThreshold !== undefined ? { failureThreshold: options.breakerFailureThreshold } : {}),
        ...(options.breakerOpenMs !== undefined ? { openMs: options.breakerOpenMs } : {}),
        onStateChange: (from, to) => {
          log?.[to === 'open' ? 'warn' : 'info']({ endpoint: name, from, to }, `jupiter endpoint circuit ${to}`);
          options.onBreakerChange?.(name, from, to);
        },
      }),
    };
  });

  /**
   * Scrubs the API key and every endpoint's URL secrets from text that came from outside (an error
   * body, a network error naming the URL) before it goes into an error or a log.
   */
  const scrub = (text: string): string => {
    let out = apiKey === undefined ? text : text.split(apiKey).join('[redacted]');
    for (const ep of endpoints) for (const [secret, shown] of ep.secrets) out = out.split(secret).join(shown);
    return out;
  };

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
      return { kind: 'error', answer: classifyError(res.status, redactUpstreamText(scrub(text), { maxChars: UPSTREAM_TEXT_SCAN_CHARS })), resetAtMs: resetS === undefined ? undefined : resetS * 1000 };
    }
    try {
      return { kind: 'ok', value: parse(JSON.parse(text), ep.name) };
    } catch (e) {
      if (e instanceof SyntaxError || e instanceof MalformedResponseError) return { kind: 'malformed', message: scrub(e.message).slice(0, 200) };
      throw e;
    }
  }

  /** One logical GET over the endpoints from `startAt` on; `judged` leaves the verdict on a 200 to the caller. */
  async function walk<T>(
    path: string,
    query: Readonly<Record<string, string>>,
    parse: (body: unknown, endpoint: string) => T,
    startAt: number,
    judged: boolean,
  ): Promise<JudgedResult<T>> {
    const qs = `?${new URLSearchParams(query).toString()}`;
    let attempts = 0;
    const failures: string[] = [];
    const unavailable = (why: string): ExecutorError =>
      new ExecutorError('PRICE_UNAVAILABLE', `jupiter ${path}: ${why}`, { attempts, failures: [...failures] });

    for (let e = startAt; e < endpoints.length; e++) {
      const ep = endpoints[e] as Endpoint;
      const last = e === endpoints.length - 1;
      for (let i = 0; i < maxAttempts; i++) {
        const now = clock.now();
        // A 429 reset in force: skip to the next endpoint, or wait here if this is the last and the wait is short.
        const limitedFor = ep.rateLimitedUntil - now;
        if (limitedFor > 0 && (!last || limitedFor > maxWaitMs)) {
          failures.push(`${ep.name}: rate limited for ${Math.ceil(limitedFor)} ms more`);
          break;
        }
        if (!ep.breaker.allow(now)) {
          failures.push(`${ep.name}: circuit open`);
          break;
        }
        const wait = Math.max(limitedFor, i > 0 ? backoff(i) : 0);
        const slot = ep.limiter.reserve(now + wait, maxWaitMs);
        if (slot === undefined) {
          ep.breaker.release(); // not the endpoint's fault: give back a half-open probe
          failures.push(`${ep.name}: local rate limit (${options.ratePerSec ?? 1}/s) would delay more than ${maxWaitMs} ms`);
          break;
        }
        await clock.sleep(wait + slot);
        attempts++;
        const t0 = clock.now();
        const r = await attempt(ep, path, qs, parse);
        const outcome: AttemptOutcome = r.kind === 'error' ? r.answer.kind : r.kind;
        const ms = clock.now() - t0;
        if (r.kind === 'ok') {
          const answered = { value: r.value, endpoint: ep.name, index: e, attempts };
          if (!judged) {
            ep.breaker.success();
            options.onAttempt?.({ endpoint: ep.name, path, outcome, status: 200, ms });
            return { ...answered, settle: () => undefined };
          }
          let settled = false;
          return {
            ...answered,
            settle(problem) {
              if (settled) return;
              settled = true;
              if (problem === undefined) ep.breaker.success();
              else {
                ep.breaker.failure(clock.now());
                log?.warn({ endpoint: ep.name, path, reason: problem }, 'jupiter answer refused');
              }
              options.onAttempt?.({ endpoint: ep.name, path, outcome: problem === undefined ? 'ok' : 'bad-answer', status: 200, ms });
            },
          };
        }
        options.onAttempt?.({ endpoint: ep.name, path, outcome, status: r.kind === 'error' ? r.answer.status : undefined, ms });
        if (r.kind !== 'error') {
          ep.breaker.failure(clock.now());
          failures.push(`${ep.name}: ${r.kind}: ${r.message}`);
          log?.warn({ endpoint: ep.name, path, attempt: attempts, outcome: r.kind, reason: r.message }, 'jupiter attempt failed');
          continue;
        }
        const a = r.answer;
        const what = `${ep.name}: HTTP ${a.status}${a.errorCode !== undefined ? ` ${a.errorCode}` : ''}: ${a.message}`;
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
            log?.warn({ endpoint: ep.name, path, status: a.status }, 'jupiter endpoint refused the request (API key?)');
            i = maxAttempts; // fail over without retrying
            break;
          case 'rate-limited':
            // The endpoint is alive; it asks us to wait. Without a reset header, back off as usual.
            ep.breaker.release();
            ep.rateLimitedUntil = r.resetAtMs ?? clock.now() + backoff(i + 1);
            failures.push(what);
            log?.warn({ endpoint: ep.name, path, until: new Date(ep.rateLimitedUntil).toISOString() }, 'jupiter rate limited');
            break;
          case 'server':
            ep.breaker.failure(clock.now());
            failures.push(what);
            log?.warn({ endpoint: ep.name, path, attempt: attempts, status: a.status }, 'jupiter attempt failed');
            break;
        }
      }
    }
    throw unavailable(`no endpoint answered after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${failures.join('; ')}`);
  }

  return {
    endpoints: () => endpoints.map((e) => ({ name: e.name, breaker: e.breaker.state(), rateLimitedUntilMs: e.rateLimitedUntil })),
    async get(path, query, parse) {
      const { value, endpoint, index, attempts } = await walk(path, query, parse, 0, false);
      return { value, endpoint, index, attempts };
    },
    getJudged: (path, query, parse, startAt) => walk(path, query, parse, startAt, true),
  };
}

/** What of a base URL may be secret (the whole URL, its path, its credentials), with what to show instead. */
function urlSecrets(url: string, name: string): [string, string][] {
  const out: [string, string][] = [[url, name]];
  try {
    const u = new URL(url);
    const path = u.pathname.replace(/\/+$/, '');
    if (path !== '') out.push([path, '/…']);
    // Credentials and a query are scrubbed too; very short ones are not, as they would mangle any text.
    for (const part of [u.password, u.username, u.search.slice(1)]) if (part.length >= 4) out.push([part, '[redacted]']);
  } catch {
    // Not a URL: the whole text is all there is to hide.
  }
  return out.sort((x, y) => y[0].length - x[0].length);
}
