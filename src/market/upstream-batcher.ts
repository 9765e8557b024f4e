/**
 * One price call to the upstream at a time, carrying every mint anyone is waiting for, plus the mints
 * traded recently. Jupiter's keyless budget is about one call a second, so price calls must not be
 * spent one per mint or one per cache miss:
 * - a mint already in the call in flight joins it (never two refreshes of one mint at once);
 * - mints asked while a call is in flight wait for the next call, which goes out when that one
 *   settles and carries all of them (at most one call in flight, at most one queued);
 * - every call is topped up to 50 ids with the "hot" mints (asked within hotWindowMs), so all the
 *   mints in use refresh together and their cache entries expire together: one call per TTL window
 *   instead of one per mint.
 * - a mint answered less than reuseMs ago is answered again from that answer: a cache miss that was
 *   already on its way (its Redis read started just before the refresh landed) must not cost a second
 *   call, which the rate limit would hold for up to a second.
 * Answers include the top-up prices; the cache layers above store all of them.
 */
import type { QuoteRequest, UsdPrice } from '../domain/market.js';
import type { Mint } from '../domain/tokens.js';
import type { QuoteLookup } from '../executor/ports.js';
import { earlierFetch, type MeteredPriceSource, type SourcedPrices } from './metered.js';

export interface UpstreamBatcherOptions {
  /** Ids per call, top-up included. Default 50 (Price v3's limit). */
  readonly maxBatch?: number;
  /** How long a mint stays "hot" after it was last asked. Default 10,000 ms. */
  readonly hotWindowMs?: number;
  /** How long an upstream answer is reused for a lookup that arrives just after it. Default 0 (never). */
  readonly reuseMs?: number;
  readonly now?: () => number;
}

interface Call {
  readonly mints: Set<Mint>;
  readonly answer: Promise<SourcedPrices>;
  /** When it was launched: a lookup with a later freshness bound does not join it. */
  readonly launchedAt: number;
}

interface Queued {
  readonly mints: Set<Mint>;
  readonly answer: Promise<SourcedPrices>;
  start(): void;
}

export interface UpstreamBatcher extends MeteredPriceSource {
  /**
   * Marks mints as in use. Wired to the L1 cache's lookups: a mint served from a cache never reaches
   * the batcher, and without this it would drop out of the top-up and cost a call of its own.
   */
  touch(mints: readonly Mint[]): void;
}

export function createUpstreamBatcher(source: MeteredPriceSource, options: UpstreamBatcherOptions = {}): UpstreamBatcher {
  const maxBatch = options.maxBatch ?? 50;
  const hotWindowMs = options.hotWindowMs ?? 10_000;
  const now = options.now ?? Date.now;
  const reuseMs = options.reuseMs ?? 0;
  const lastAsked = new Map<Mint, number>();
  /** The latest upstream price per mint, when it arrived and when its call was launched. */
  const recent = new Map<Mint, { readonly price: UsdPrice; readonly atMs: number; readonly launchedAt: number }>();
  let inFlight: Call | undefined;
  let queued: Queued | undefined;

  /** The call's ids: the wanted mints, then the hottest others, up to maxBatch. */
  function withTopUp(wanted: Set<Mint>): Mint[] {
    const ids = [...wanted];
    if (ids.length >= maxBatch) return ids;
    const cutoff = now() - hotWindowMs;
    const hot = [...lastAsked.entries()].filter(([m, t]) => t >= cutoff && !wanted.has(m)).sort((x, y) => y[1] - x[1]);
    for (const [m] of hot) {
      if (ids.length >= maxBatch) break;
      ids.push(m);
    }
    for (const [m, t] of lastAsked) if (t < cutoff) lastAsked.delete(m);
    return ids;
  }

  function launch(wanted: Set<Mint>): Call {
    const ids = withTopUp(wanted);
    const launchedAt = now();
    const answer = source.fetchUsdPrices(ids).then((a): SourcedPrices => ({ ...a, fetchedAtMs: Math.min(launchedAt, a.fetchedAtMs ?? launchedAt) }));
    const call: Call = { mints: new Set(ids), answer, launchedAt };
    if (reuseMs > 0) {
      answer.then(
        (a) => {
          const t = now();
          for (const [m, price] of a.prices) recent.set(m, { price, atMs: t, launchedAt });
        },
        () => undefined,
      );
    }
    inFlight = call;
    const settle = (): void => {
      if (inFlight === call) inFlight = undefined;
      const next = queued;
      queued = undefined;
      next?.start();
    };
    call.answer.then(settle, settle);
    return call;
  }

  function enqueue(mints: readonly Mint[]): Queued {
    if (queued === undefined) {
      const set = new Set<Mint>();
      let start!: () => void;
      const answer = new Promise<SourcedPrices>((resolve, reject) => {
        start = () => {
          launch(set).answer.then(resolve, reject);
        };
      });
      queued = { mints: set, answer, start };
    }
    for (const m of mints) queued.mints.add(m);
    return queued;
  }

  async function fetchUsdPrices(asked: readonly Mint[], notBeforeMs?: number): Promise<SourcedPrices> {
    const t = now();
    for (const m of asked) lastAsked.set(m, t);
    let reused: Map<Mint, UsdPrice> | undefined;
    let reusedFrom: number | undefined;
    let mints = asked;
    if (reuseMs > 0) {
      mints = asked.filter((m) => {
        const r = recent.get(m);
        if (r === undefined || t - r.atMs >= reuseMs) return true;
        if (notBeforeMs !== undefined && r.launchedAt < notBeforeMs) return true;
        (reused ??= new Map()).set(m, r.price);
        reusedFrom = earlierFetch(reusedFrom, r.launchedAt);
        return false;
      });
      if (mints.length === 0 && reused !== undefined) return { prices: reused, attempts: 0, fromCache: true, ...(reusedFrom === undefined ? {} : { fetchedAtMs: reusedFrom }) };
    }
    // A call launched before the freshness bound is not joined: the mints wait for the next call.
    const current = inFlight !== undefined && (notBeforeMs === undefined || inFlight.launchedAt >= notBeforeMs) ? inFlight : undefined;
    const rest = current === undefined ? [...new Set(mints)] : mints.filter((m) => !current.mints.has(m));
    const waits: Promise<SourcedPrices>[] = [];
    if (current !== undefined && rest.length < mints.length) waits.push(current.answer);
    if (rest.length > 0) waits.push(inFlight === undefined ? launch(new Set(rest)).answer : enqueue(rest).answer);
    const answers = await Promise.all(waits);
    if (answers.length === 1 && answers[0] !== undefined && reused === undefined) return answers[0];
    const prices = new Map<Mint, UsdPrice>(reused);
    let attempts = 0;
    let fetchedAtMs = reusedFrom;
    for (const a of answers) {
      attempts += a.attempts;
      fetchedAtMs = earlierFetch(fetchedAtMs, a.fetchedAtMs);
      for (const [m, p] of a.prices) prices.set(m, p);
    }
    return { prices, attempts, fromCache: false, ...(fetchedAtMs === undefined ? {} : { fetchedAtMs }) };
  }

  return {
    name: source.name,
    touch(mints) {
      const t = now();
      for (const m of mints) lastAsked.set(m, t);
    },
    fetchUsdPrices,
    getUsdPrices: async (mints) => (await fetchUsdPrices(mints)).prices,
    fetchQuote: (request: QuoteRequest): Promise<QuoteLookup> => source.fetchQuote(request),
    getQuote: (request) => source.getQuote(request),
  };
}
