/**
 * Jupiter as a PriceSource: Price API v3 for USD prices (batched, at most 50 ids a call) and the Quote
 * API (/swap/v1/quote) for route quotes, over the failover transport. Every answer is validated at the
 * boundary (jupiter-wire.ts); a price that fails validation is dropped and logged, so it can never
 * reach a trade, and the mint counts as unpriced (the executor then answers PRICE_UNAVAILABLE).
 * Each UsdPrice and RouteQuote names the endpoint that produced it: "jupiter:https://api.jup.ag".
 */
import { ExecutorError } from '../domain/errors.js';
import type { QuoteRequest, RouteQuote, UsdPrice } from '../domain/market.js';
import type { Mint } from '../domain/tokens.js';
import type { Log, QuoteLookup } from '../executor/ports.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { JupiterTransport } from './jupiter-transport.js';
import { parsePriceV3, parseQuoteWire, toRouteQuote } from './jupiter-wire.js';
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
  /** Called once per price entry refused by validation (garbage from upstream): the metrics hook. */
  readonly onRejectedPrice?: (mint: Mint, reason: string) => void;
}

export const jupiterSourceLabel = (endpoint: string): string => `${JUPITER_SOURCE_NAME}:${endpoint}`;

export function createJupiterSource(options: JupiterSourceOptions): MeteredPriceSource {
  const { transport, log } = options;
  const clock = options.clock ?? systemClock;

  async function priceChunk(mints: readonly Mint[]): Promise<SourcedPrices> {
    const r = await transport.get(PRICE_PATH, { ids: mints.join(',') }, (body, endpoint) =>
      parsePriceV3(body, mints, jupiterSourceLabel(endpoint), clock.now()),
    );
    for (const { mint, reason } of r.value.rejected) {
      log?.warn({ mint, reason, endpoint: r.endpoint }, 'jupiter price refused by validation');
      options.onRejectedPrice?.(mint, reason);
    }
    return { prices: r.value.prices, attempts: r.attempts, fromCache: false };
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
        if (s.reason instanceof ExecutorError && typeof s.reason.context.attempts === 'number') attempts += s.reason.context.attempts;
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
