import type { QuoteRequest, UsdPrice } from '../domain/market.js';
import type { Mint } from '../domain/tokens.js';
import type { PriceSource, QuoteLookup } from '../executor/ports.js';

/**
 * Prices with the cost of getting them. The executor reports upstream attempts and whether a cache
 * answered (ExecutionMetrics.price_fetch_attempts, cache_hit); the bare PriceSource port returns only
 * prices, so sources and cache layers inside market/ also offer this richer form, and the L1 cache
 * uses it when present.
 */
export interface SourcedPrices {
  readonly prices: ReadonlyMap<Mint, UsdPrice>;
  /** HTTP attempts made upstream for this answer (0 when a cache answered every mint). */
  readonly attempts: number;
  /** True when a cache layer below L1 (Redis) answered every mint. */
  readonly fromCache: boolean;
  /**
   * When the oldest price in the answer was fetched from the source, when a layer knows it to be
   * earlier than the call it answers (a reused or shared upstream call, a Redis entry); absent = now.
   */
  readonly fetchedAtMs?: number;
}

/** The earlier of two fetch times, either possibly unknown. */
export const earlierFetch = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

export interface MeteredPriceSource extends PriceSource {
  /**
   * notBeforeMs: serve only prices fetched from the source at or after it (a cache layer passes
   * older entries over, a batching layer does not join or reuse an older call); see PriceFreshness.
   */
  fetchUsdPrices(mints: readonly Mint[], notBeforeMs?: number): Promise<SourcedPrices>;
  fetchQuote(request: QuoteRequest): Promise<QuoteLookup>;
}

export function isMetered(source: PriceSource): source is MeteredPriceSource {
  const s = source as Partial<MeteredPriceSource>;
  return typeof s.fetchUsdPrices === 'function' && typeof s.fetchQuote === 'function';
}

/** The metered form of any source: one attempt per call, never from a cache. */
export function metered(source: PriceSource): MeteredPriceSource {
  if (isMetered(source)) return source;
  return {
    name: source.name,
    getUsdPrices: (mints) => source.getUsdPrices(mints),
    getQuote: (request) => source.getQuote(request),
    fetchUsdPrices: async (mints) => ({ prices: await source.getUsdPrices(mints), attempts: 1, fromCache: false }),
    fetchQuote: async (request) => ({ quote: await source.getQuote(request), attempts: 1 }),
  };
}
