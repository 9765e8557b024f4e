import type { Config } from '../config/schema.js';
import type { TokenRegistry } from '../domain/tokens.js';
import type { PriceProvider, PriceSource } from '../executor/ports.js';
import { createPriceCache } from './price-cache.js';
import { createSimulatedMarket } from './sim-market.js';

export interface MarketHooks {
  /** Called once per mint looked up in the in-process cache. */
  readonly onCacheLookup?: (hit: boolean) => void;
}

export interface Market {
  readonly prices: PriceProvider;
  /** Releases connections (Redis, HTTP agents); idempotent. */
  close(): Promise<void>;
}

function source(config: Config, tokens: TokenRegistry): PriceSource {
  switch (config.market.kind) {
    case 'sim':
      return createSimulatedMarket({ tokens, seed: config.seed });
    case 'jupiter':
      throw new Error('market "jupiter" is not available in this version; use --market sim');
  }
}

/** Price discovery as configured: the source, behind the in-process cache. */
export function createMarket(config: Config, tokens: TokenRegistry, hooks: MarketHooks = {}): Market {
  const prices = createPriceCache(source(config, tokens), {
    ttlMs: config.market.priceTtlMs,
    ...(hooks.onCacheLookup ? { onLookup: hooks.onCacheLookup } : {}),
  });
  return { prices, close: () => Promise.resolve() };
}
