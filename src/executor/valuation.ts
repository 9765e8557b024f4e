import { parseBalance } from '../domain/amount.js';
import { ExecutorError, invalidArgument } from '../domain/errors.js';
import { applyEvent, type PortfolioState, type StartingBalance } from '../domain/ledger.js';
import type { UsdPrice } from '../domain/market.js';
import { nanoUsd } from '../domain/pricing.js';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import type { PriceFreshness, PriceProvider } from './ports.js';
import { portfolioStateHash } from './state-hash.js';
import { summarize } from './summary.js';
import type { PortfolioSummary } from './types.js';

/** USD prices of a lookup, with the lookup's cache and attempt counts. */
export interface PricedMints {
  readonly map: ReadonlyMap<Mint, UsdPrice>;
  readonly cacheHit: boolean;
  readonly attempts: number;
}

/**
 * Prices and valuations as the executor's parts share them: USD prices (every mint priced, or
 * PRICE_UNAVAILABLE), starting balances valued at current prices, and portfolio summaries.
 */
export interface Valuation {
  usdPrices(mints: readonly Mint[], freshness?: PriceFreshness): Promise<PricedMints>;
  /** Resolves symbol-or-mint balances into starting balances valued at current prices. */
  startingBalances(balances: Readonly<Record<string, string>>, field: string): Promise<StartingBalance[]>;
  /** The prices `startingBalances` valued a balances array at (its creation or reset mark uses them). */
  startPrices(balances: readonly StartingBalance[]): ReadonlyMap<Mint, UsdPrice>;
  /**
   * The portfolio's summary and the prices it was valued at (a mark taken with them has its total
   * value). `known`: prices already in hand (a trade's own); when they cover every held token there
   * is no lookup, so a reply is valued at the prices its trade was priced at.
   */
  value(state: PortfolioState, known?: ReadonlyMap<Mint, UsdPrice>): Promise<Valued>;
  /**
   * `value` without a lookup, synchronously: the summary at `known` when those prices cover every held
   * token, else undefined. A trade's reply is valued so (no promise, no await on the trade path).
   */
  valueAt(state: PortfolioState, known: ReadonlyMap<Mint, UsdPrice>): Valued | undefined;
  /** Summaries of many states with one batched price lookup. */
  valueAll(states: readonly PortfolioState[]): Promise<PortfolioSummary[]>;
  /**
   * What a portfolio that does not exist yet would start with, valued now, without creating it: its
   * configured starting balances, no trades, no update time and no state hash (nothing is journaled).
   */
  notYetCreated(portfolioId: string, balances: Readonly<Record<string, string>>): Promise<PortfolioSummary>;
}

/** A portfolio's summary and the prices it was valued at. */
export interface Valued {
  readonly summary: PortfolioSummary;
  readonly prices: ReadonlyMap<Mint, UsdPrice>;
}

const NO_PRICES: ReadonlyMap<Mint, UsdPrice> = new Map();

/** Mints the state holds a non-zero amount of (a loop: this runs on every trade's reply). */
export function heldMints(state: PortfolioState): Mint[] {
  const held: Mint[] = [];
  for (const [mint, p] of state.positions) if (p.amount > 0n) held.push(mint);
  return held;
}

/** Whether `prices` has a price for every mint the state holds a non-zero amount of. */
function pricesCover(state: PortfolioState, prices: ReadonlyMap<Mint, UsdPrice>): boolean {
  for (const [mint, p] of state.positions) if (p.amount > 0n && !prices.has(mint)) return false;
  return true;
}

export function createValuation(tokens: TokenRegistry, prices: PriceProvider): Valuation {
  const sol = tokens.sol;
  /** The prices starting balances were valued at, by the balances array. */
  const startPrices = new WeakMap<readonly StartingBalance[], ReadonlyMap<Mint, UsdPrice>>();

  async function usdPrices(mints: readonly Mint[], freshness?: PriceFreshness): Promise<PricedMints> {
    const lookup = await (freshness === undefined ? prices.getUsdPrices(mints) : prices.getUsdPrices(mints, freshness));
    for (const m of mints) {
      if (!lookup.prices.has(m)) {
        const t = tokens.find(m);
        throw new ExecutorError('PRICE_UNAVAILABLE', `no price for ${t?.symbol ?? m} from ${prices.sourceName}`, { mint: m });
      }
    }
    return { map: lookup.prices, cacheHit: lookup.cacheHit, attempts: lookup.attempts };
  }

  const pricesOf = async (held: readonly Mint[]): Promise<ReadonlyMap<Mint, UsdPrice>> => (held.length > 0 ? (await usdPrices(held)).map : NO_PRICES);

  async function startingBalances(balances: Readonly<Record<string, string>>, field: string): Promise<StartingBalance[]> {
    const parsed = new Map<Mint, bigint>();
    for (const [key, text] of Object.entries(balances)) {
      const token = tokens.resolve(key, `${field}[${key}]`);
      if (parsed.has(token.mint)) throw invalidArgument(`${field}[${key}]`, `${token.symbol} is given twice`);
      parsed.set(token.mint, parseBalance(text, token.decimals, `${field}[${key}]`));
    }
    const held = [...parsed.keys()];
    const map = await pricesOf(held);
    const out = held.map((mint) => {
      const token = tokens.find(mint);
      const price = map.get(mint);
      const units = parsed.get(mint) ?? 0n;
      return { mint, amount: units, costNanoUsd: token && price ? nanoUsd(units, token.decimals, price.usd) : 0n };
    });
    startPrices.set(out, map);
    return out;
  }

  const summaryOf = (state: PortfolioState, map: ReadonlyMap<Mint, UsdPrice>): PortfolioSummary =>
    summarize(state, tokens, map, prices.sourceName, portfolioStateHash(state));

  const valueAt = (state: PortfolioState, known: ReadonlyMap<Mint, UsdPrice>): Valued | undefined =>
    pricesCover(state, known) ? { summary: summaryOf(state, known), prices: known } : undefined;

  return {
    usdPrices,
    startingBalances,
    startPrices: (balances) => startPrices.get(balances) ?? NO_PRICES,
    valueAt,
    async value(state, known) {
      const at = known === undefined ? undefined : valueAt(state, known);
      if (at) return at;
      const held = heldMints(state);
      const map = held.length > 0 ? (await usdPrices(held)).map : NO_PRICES;
      return { summary: summaryOf(state, map), prices: map };
    },
    async valueAll(states) {
      // One batched lookup for every token held by any portfolio, however many portfolios there are.
      const map = await pricesOf([...new Set(states.flatMap(heldMints))]);
      return states.map((state) => summaryOf(state, map));
    },
    async notYetCreated(portfolioId, configured) {
      const balances = await startingBalances(configured, 'starting_balances');
      const state = applyEvent(undefined, { kind: 'portfolio_created', portfolioId, atMs: 0, balances }, sol);
      const map = await pricesOf(balances.filter((b) => b.amount > 0n).map((b) => b.mint));
      return summarize(state, tokens, map, prices.sourceName);
    },
  };
}
