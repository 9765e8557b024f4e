/**
 * Jupiter as a PriceSource: Price API v3 for USD prices (batched, at most 50 ids a call) and the Quote
 * API (/swap/v1/quote) for route quotes, over the failover transport. Every answer is validated at the
 * boundary (jupiter-wire.ts), then judged as a whole: a 200 that cannot price what was asked (an entry
 * refused by validation, a mint another endpoint prices but this one leaves out, a price implausibly
 * far from the mint's last good price or from another endpoint's) is a failed attempt of the endpoint
 * that gave it, and the next endpoint is asked in the same lookup (docs/market-data.md, "Bad answers").
 * Each UsdPrice and RouteQuote names the endpoint that produced it by its name, never its URL:
 * "jupiter:https://api.jup.ag", "jupiter:my-label".
 */
import { ExecutorError, isExecutorError } from '../domain/errors.js';
import type { QuoteRequest, RouteQuote, UsdPrice } from '../domain/market.js';
import { mul, ratio, sub, toDecimalString } from '../domain/ratio.js';
import type { Ratio } from '../domain/ratio.js';
import type { Mint } from '../domain/tokens.js';
import type { Log, QuoteLookup } from '../executor/ports.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { JudgedResult, JupiterTransport } from './jupiter-transport.js';
import { parsePriceV3, parseQuoteWire, toRouteQuote } from './jupiter-wire.js';
import type { PriceV3Result } from './jupiter-wire.js';
import type { MeteredPriceSource, SourcedPrices } from './metered.js';

export const JUPITER_SOURCE_NAME = 'jupiter';
/** Price v3 accepts at most 50 ids per call. */
export const PRICE_V3_MAX_IDS = 50;
export const PRICE_PATH = '/price/v3';
export const QUOTE_PATH = '/swap/v1/quote';

export interface JupiterSourceOptions {
  readonly transport: JupiterTransport;
  readonly clock?: Clock;
  readonly log?: Log | undefined;
  /** Called once per price entry refused (garbage or implausible, from upstream): the metrics hook. */
  readonly onRejectedPrice?: (mint: Mint, reason: string) => void;
  /**
   * A price further than this from the mint's last good price (or, with none, from another endpoint's
   * answer) is implausible. Default 1,000 bps (10 %).
   */
  readonly maxDeviationBps?: number;
  /** How long a price taken from Jupiter serves as the mint's last good price. Default 30,000 ms. */
  readonly lastGoodMaxAgeMs?: number;
}

export const DEFAULT_MAX_DEVIATION_BPS = 1_000;
export const DEFAULT_LAST_GOOD_MAX_AGE_MS = 30_000;

/** One endpoint's answer to a price call, with its verdict still open. */
interface Answer {
  readonly endpoint: string;
  readonly result: PriceV3Result;
  readonly judged: JudgedResult<PriceV3Result>;
}

interface LastGood {
  readonly usd: Ratio;
  readonly atMs: number;
}

export const jupiterSourceLabel = (endpoint: string): string => `${JUPITER_SOURCE_NAME}:${endpoint}`;

/** Upstream attempts a failed lookup made, as its error reports them (0 when it reports none). */
function upstreamAttempts(e: unknown): number {
  if (isExecutorError(e, 'PRICE_UNAVAILABLE') || isExecutorError(e, 'NO_ROUTE')) return e.context.attempts ?? 0;
  return 0;
}

export function createJupiterSource(options: JupiterSourceOptions): MeteredPriceSource {
  const { transport, log } = options;
  const clock = options.clock ?? systemClock;
  const maxDeviation = BigInt(options.maxDeviationBps ?? DEFAULT_MAX_DEVIATION_BPS);
  const maxAgeMs = options.lastGoodMaxAgeMs ?? DEFAULT_LAST_GOOD_MAX_AGE_MS;
  /** Per mint, the last price taken: the reference a new answer is checked against. */
  const lastGood = new Map<Mint, LastGood>();

  /** |p - ref| <= ref x maxDeviation / 10,000, exactly. */
  const near = (p: Ratio, ref: Ratio): boolean => {
    const d = sub(p, ref);
    const lhs = mul(ratio(d.n < 0n ? -d.n : d.n, d.d), ratio(10_000n));
    const rhs = mul(ref, ratio(maxDeviation));
    return lhs.n * rhs.d <= rhs.n * lhs.d;
  };
  const show = (r: Ratio): string => toDecimalString(r, 12, 'floor').replace(/\.?0+$/, '');

  function reference(m: Mint, now: number): Ratio | undefined {
    const g = lastGood.get(m);
    if (g === undefined) return undefined;
    if (now - g.atMs > maxAgeMs) {
      lastGood.delete(m);
      return undefined;
    }
    return g.usd;
  }

  /**
   * Is this mint's price settled by the answers so far: an answer without refused entries prices it
   * near the last good price, or two such answers agree on it?
   */
  function settled(m: Mint, answers: readonly Answer[], ref: Ratio | undefined): boolean {
    const prices = answers.filter((a) => a.result.rejected.length === 0).flatMap((a) => a.result.prices.get(m)?.usd ?? []);
    return prices.some((p, i) => (ref !== undefined && near(p, ref)) || prices.some((q, j) => j !== i && near(p, q)));
  }

  /**
   * The prices to take from the answers, and each answer's problem (undefined = a good answer). Per
   * mint, among answers with no refused entry, in failover order: the first price near the last good
   * one or near another answer's; failing that, a lone price when there is no last good one (nothing
   * contradicts it). An answer is bad when it has a refused entry, a price far from the one taken (or
   * from the last good one when none was taken), or leaves out a mint another endpoint priced. A
   * taken price is served from the first good answer that agrees with it.
   */
  function resolve(mints: readonly Mint[], answers: readonly Answer[], now: number): { prices: Map<Mint, UsdPrice>; problems: Map<Answer, string> } {
    const problems = new Map<Answer, string>();
    const blame = (a: Answer, why: string): void => {
      if (!problems.has(a)) problems.set(a, why);
    };
    for (const a of answers) {
      const first = a.result.rejected[0];
      if (first !== undefined) blame(a, `${a.result.rejected.length} price entr${a.result.rejected.length === 1 ? 'y' : 'ies'} refused, first ${first.mint}: ${first.reason}`);
    }
    const usable = answers.filter((a) => a.result.rejected.length === 0);
    const taken = new Map<Mint, UsdPrice>();
    for (const m of mints) {
      const ref = reference(m, now);
      const candidates = usable.flatMap((a) => {
        const p = a.result.prices.get(m);
        return p === undefined ? [] : [{ a, p }];
      });
      let chosen = candidates.find((c) => (ref !== undefined && near(c.p.usd, ref)) || candidates.some((o) => o !== c && near(c.p.usd, o.p.usd)));
      if (chosen === undefined && ref === undefined && candidates.length === 1) chosen = candidates[0];
      for (const c of candidates) {
        const against = chosen?.p.usd ?? ref;
        if (against !== undefined && !near(c.p.usd, against)) {
          const why = `${m} at ${show(c.p.usd)} USD deviates more than ${maxDeviation} bps from ${chosen !== undefined ? `${show(against)} (${chosen.a.endpoint})` : `the last good ${show(against)}`}`;
          blame(c.a, why);
          log?.warn({ mint: m, endpoint: c.a.endpoint, reason: why }, 'jupiter price refused as implausible');
          options.onRejectedPrice?.(m, why);
        }
      }
      if (chosen === undefined) {
        if (candidates.length > 1) log?.warn({ mint: m, endpoints: candidates.map((c) => c.a.endpoint) }, 'jupiter endpoints disagree on a price and none is confirmed: mint left unpriced');
        continue;
      }
      for (const a of usable) if (a !== chosen.a && !a.result.prices.has(m)) blame(a, `${m} missing, priced by ${chosen.a.endpoint}`);
      taken.set(m, chosen.p);
    }
    const prices = new Map<Mint, UsdPrice>();
    for (const [m, p] of taken) {
      const fromGood = usable.find((a) => !problems.has(a) && a.result.prices.get(m) !== undefined && near((a.result.prices.get(m) as UsdPrice).usd, p.usd));
      const price = fromGood?.result.prices.get(m) ?? p;
      prices.set(m, price);
      lastGood.set(m, { usd: price.usd, atMs: now });
    }
    return { prices, problems };
  }

  async function priceChunk(mints: readonly Mint[]): Promise<SourcedPrices> {
    const answers: Answer[] = [];
    let problems = new Map<Answer, string>();
    let attempts = 0;
    let failure: unknown;
    const total = transport.endpoints().length;
    try {
      // Ask endpoint after endpoint (each with its retries) until every mint is settled or none is left.
      for (let next = 0; next < total; ) {
        let r: JudgedResult<PriceV3Result>;
        try {
          r = await transport.getJudged(PRICE_PATH, { ids: mints.join(',') }, (body, endpoint) => parsePriceV3(body, mints, jupiterSourceLabel(endpoint), clock.now()), next);
        } catch (e) {
          failure = e;
          attempts += upstreamAttempts(e);
          break;
        }
        attempts += r.attempts;
        next = r.index + 1;
        answers.push({ endpoint: r.endpoint, result: r.value, judged: r });
        for (const { mint, reason } of r.value.rejected) {
          log?.warn({ mint, reason, endpoint: r.endpoint }, 'jupiter price refused by validation');
          options.onRejectedPrice?.(mint, reason);
        }
        const now = clock.now();
        if (mints.every((m) => settled(m, answers, reference(m, now)))) break;
      }
      if (answers.length === 0) {
        if (failure instanceof Error) throw failure;
        throw new ExecutorError('PRICE_UNAVAILABLE', `jupiter ${PRICE_PATH}: no endpoint answered`, { attempts });
      }
      const resolved = resolve(mints, answers, clock.now());
      problems = resolved.problems;
      return { prices: resolved.prices, attempts, fromCache: false };
    } finally {
      // Every answer gets its verdict, even when resolving threw: an unsettled one would hold a breaker probe.
      for (const a of answers) a.judged.settle(problems.get(a));
    }
  }

  async function fetchUsdPrices(mints: readonly Mint[]): Promise<SourcedPrices> {
    const unique = [...new Set(mints)];
    if (unique.length === 0) return { prices: new Map(), attempts: 0, fromCache: false };
    const chunks: Mint[][] = [];
    for (let i = 0; i < unique.length; i += PRICE_V3_MAX_IDS) chunks.push(unique.slice(i, i + PRICE_V3_MAX_IDS));
    const settled = await Promise.allSettled(chunks.map(priceChunk));
    const prices = new Map<Mint, UsdPrice>();
    let attempts = 0;
    let firstError: Error | undefined;
    for (const s of settled) {
      if (s.status === 'fulfilled') {
        attempts += s.value.attempts;
        for (const [m, p] of s.value.prices) prices.set(m, p);
      } else {
        firstError ??= s.reason instanceof Error ? s.reason : new Error(String(s.reason));
        attempts += upstreamAttempts(s.reason);
      }
    }
    // Partial answers are kept (the unanswered mints are simply unpriced); only a total failure throws.
    if (firstError !== undefined && settled.every((s) => s.status === 'rejected')) throw firstError;
    return { prices, attempts, fromCache: false };
  }

  async function fetchQuote(request: QuoteRequest): Promise<QuoteLookup> {
    const query = {
      inputMint: request.inputMint,
      outputMint: request.outputMint,
      amount: request.amount.toString(),
      swapMode: request.swapMode,
      slippageBps: String(request.slippageBps),
      restrictIntermediateTokens: 'true',
    };
    const r = await transport.get(QUOTE_PATH, query, (body, endpoint): RouteQuote => toRouteQuote(parseQuoteWire(body), jupiterSourceLabel(endpoint), request));
    return { quote: r.value, attempts: r.attempts };
  }

  return {
    name: JUPITER_SOURCE_NAME,
    fetchUsdPrices,
    fetchQuote,
    getUsdPrices: async (mints) => (await fetchUsdPrices(mints)).prices,
    getQuote: async (request) => (await fetchQuote(request)).quote,
  };
}
