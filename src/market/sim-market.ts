import { amount } from '../domain/amount.js';
import { ExecutorError } from '../domain/errors.js';
import type { QuoteRequest, RouteHop, RouteQuote, UsdPrice } from '../domain/market.js';
import { floor, fromNumber, mul, ONE, pow10, ratio } from '../domain/ratio.js';
import type { Ratio } from '../domain/ratio.js';
import { USDC_MINT } from '../domain/tokens.js';
import type { Mint, Token, TokenRegistry } from '../domain/tokens.js';
import type { PriceSource } from '../executor/ports.js';
import { cpmmExactIn, cpmmExactOut, hopRateKept, impactFromKept } from './sim-market-cpmm.js';
import { SIM_CLASS_HALF_LIFE_S, SIM_CLASS_VOLATILITY, simReferenceFor } from './sim-market-reference.js';
import type { SimTokenReference } from './sim-market-reference.js';
import { createLogWalk } from './sim-market-walk.js';
import type { LogWalk } from './sim-market-walk.js';

export { SIM_CLASS_DEFAULTS, SIM_CLASS_HALF_LIFE_S, SIM_CLASS_VOLATILITY, SIM_REFERENCE } from './sim-market-reference.js';
export type { SimTokenReference } from './sim-market-reference.js';

/**
 * The embedded default price source: a simulated market that needs no network. Every registry token
 * gets a USD price from a seeded mean-reverting walk (see sim-market-walk.ts) and a constant-product
 * pool against USDC, so quotes have fees and size-dependent impact like a real AMM. The same seed and
 * the same clock give the same prices and quotes, bit for bit. Everything it returns says "sim".
 */
export interface SimulatedMarketOptions {
  readonly tokens: TokenRegistry;
  readonly seed: bigint;
  /** Clock in ms since epoch; injectable for tests. Default Date.now. */
  readonly now?: () => number;
  /** Epoch of the walk (step 0, where every price is at its reference level). Default: now at creation. */
  readonly startMs?: number;
}

export const SIM_SOURCE_NAME = 'sim';
const STEP_MS = 1_000;
/** Significant digits a simulated float price keeps when it becomes an exact Ratio. */
const PRICE_DIGITS = 10;

interface TokenState {
  readonly token: Token;
  readonly ref: SimTokenReference;
  readonly walk: LogWalk;
  /** SOL's state for liquid staking tokens, whose price rides on SOL's walk. */
  readonly anchor: TokenState | undefined;
  readonly liquidityUsd: Ratio;
  readonly feeBps: bigint;
  /** Last priced step, so repeated queries within a second allocate nothing. */
  last: UsdPrice | undefined;
  lastStep: number;
}

/** One hop through a token's pool against USDC, with reserves oriented input -> output. */
interface Leg {
  readonly label: string;
  readonly inputMint: Mint;
  readonly outputMint: Mint;
  readonly reserveIn: bigint;
  readonly reserveOut: bigint;
  readonly feeBps: bigint;
}

/**
 * The simulated market as a PriceSource named "sim". Every token has one pool against USDC (USDC's is
 * SOL/USDC), so a route is one hop when either side is USDC and two hops through USDC otherwise.
 */
export function createSimulatedMarket(options: SimulatedMarketOptions): PriceSource {
  const now = options.now ?? Date.now;
  const startMs = options.startMs ?? now();
  const states = buildStates(options.tokens, options.seed);
  const usdc = states.get(USDC_MINT);

  const stepAt = (ms: number): number => Math.max(0, Math.floor((ms - startMs) / STEP_MS));

  function priceAt(s: TokenState, n: number): UsdPrice {
    if (s.last !== undefined && s.lastStep === n) return s.last;
    const x = s.walk.at(n) + (s.anchor === undefined ? 0 : s.anchor.walk.at(n));
    const usd = fromNumber(Number((s.ref.usd * Math.exp(x)).toPrecision(PRICE_DIGITS)));
    const price: UsdPrice = {
      mint: s.token.mint,
      usd,
      liquidityUsd: s.liquidityUsd,
      source: SIM_SOURCE_NAME,
      observedAtMs: startMs + n * STEP_MS,
    };
    s.last = price;
    s.lastStep = n;
    return price;
  }

  /** The token's pool against USDC at step n, centred on the current prices: half the depth a side. */
  function leg(s: TokenState, usdcState: TokenState, n: number, toUsdc: boolean): Leg {
    const half = mul(s.liquidityUsd, ratio(1n, 2n));
    const reserveToken = reserveOf(half, priceAt(s, n).usd, s.token.decimals);
    const reserveUsdc = reserveOf(half, priceAt(usdcState, n).usd, usdcState.token.decimals);
    const label = `Simulated CPMM (${s.token.symbol}/${usdcState.token.symbol})`;
    return toUsdc
      ? { label, inputMint: s.token.mint, outputMint: usdcState.token.mint, reserveIn: reserveToken, reserveOut: reserveUsdc, feeBps: s.feeBps }
      : { label, inputMint: usdcState.token.mint, outputMint: s.token.mint, reserveIn: reserveUsdc, reserveOut: reserveToken, feeBps: s.feeBps };
  }

  /** The pools a swap crosses, oriented from input to output. */
  function route(request: QuoteRequest, n: number): Leg[] {
    const from = states.get(request.inputMint);
    const to = states.get(request.outputMint);
    if (request.inputMint === request.outputMint) throw noRoute(request, 'input and output are the same token');
    if (from === undefined || to === undefined) throw noRoute(request, 'the simulated market does not list this token');
    if (usdc === undefined) throw noRoute(request, 'the registry has no USDC, the hub of every simulated pool');
    if (from === usdc) return [leg(to, usdc, n, false)];
    if (to === usdc) return [leg(from, usdc, n, true)];
    return [leg(from, usdc, n, true), leg(to, usdc, n, false)];
  }

  return {
    name: SIM_SOURCE_NAME,
    getUsdPrices(mints) {
      const n = stepAt(now());
      const out = new Map<Mint, UsdPrice>();
      for (const m of mints) {
        const s = states.get(m);
        if (s !== undefined) out.set(m, priceAt(s, n));
      }
      return Promise.resolve(out);
    },
    getQuote(request) {
      try {
        return Promise.resolve(quote(request, route(request, stepAt(now()))));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
  };
}

/** Walks the legs forward (ExactIn: floor each output) or backward (ExactOut: ceil each input). */
function quote(request: QuoteRequest, legs: readonly Leg[]): RouteQuote {
  if (request.amount <= 0n) throw noRoute(request, 'amount must be positive');
  const amounts: bigint[] = new Array<bigint>(legs.length + 1);
  if (request.swapMode === 'ExactIn') {
    amounts[0] = request.amount;
    for (let i = 0; i < legs.length; i++) {
      const l = legs[i] as Leg;
      amounts[i + 1] = cpmmExactIn(l.reserveIn, l.reserveOut, at(amounts, i), l.feeBps);
    }
    if (at(amounts, legs.length) === 0n) throw noRoute(request, 'amount too small: the output rounds to zero');
  } else {
    amounts[legs.length] = request.amount;
    for (let i = legs.length - 1; i >= 0; i--) {
      const l = legs[i] as Leg;
      const needed = cpmmExactOut(l.reserveIn, l.reserveOut, at(amounts, i + 1), l.feeBps);
      if (needed === undefined) throw noRoute(request, `amount exceeds the depth of ${l.label}`);
      amounts[i] = needed;
    }
  }
  let kept = ONE;
  const hops: RouteHop[] = legs.map((l, i) => {
    kept = mul(kept, hopRateKept(l.reserveIn, at(amounts, i), l.feeBps));
    return { label: l.label, inputMint: l.inputMint, outputMint: l.outputMint, inAmount: at(amounts, i), outAmount: at(amounts, i + 1), percent: 100 };
  });
  return {
    inputMint: request.inputMint,
    outputMint: request.outputMint,
    inAmount: amount(at(amounts, 0)),
    outAmount: amount(at(amounts, legs.length)),
    swapMode: request.swapMode,
    priceImpact: impactFromKept(kept),
    route: hops,
    source: SIM_SOURCE_NAME,
    contextSlot: undefined,
  };
}

/** Base units worth `usdValue` at `usdPrice` per whole token, floored. */
function reserveOf(usdValue: Ratio, usdPrice: Ratio, decimals: number): bigint {
  return floor(mul(usdValue, ratio(pow10(decimals) * usdPrice.d, usdPrice.n)));
}

function at(amounts: readonly bigint[], i: number): bigint {
  const v = amounts[i];
  if (v === undefined) throw new Error(`sim-market: route amount ${i} not computed`);
  return v;
}

function buildStates(tokens: TokenRegistry, seed: bigint): Map<Mint, TokenState> {
  const states = new Map<Mint, TokenState>();
  const make = (token: Token, anchor: TokenState | undefined): TokenState => {
    const ref = simReferenceFor(token);
    // A tracking token's own walk is only its drift around the peg, so it moves like a stable.
    const cls = anchor === undefined ? token.class : 'stable';
    const walk = createLogWalk(seed, `sim:${token.mint}`, { annualVol: SIM_CLASS_VOLATILITY[cls], halfLifeS: SIM_CLASS_HALF_LIFE_S[cls] });
    return { token, ref, walk, anchor, liquidityUsd: fromNumber(ref.liquidityUsd), feeBps: BigInt(ref.poolFeeBps), last: undefined, lastStep: -1 };
  };
  const sol = make(tokens.sol, undefined);
  states.set(sol.token.mint, sol);
  for (const t of tokens.all) {
    if (states.has(t.mint)) continue;
    states.set(t.mint, make(t, simReferenceFor(t).tracks === 'SOL' ? sol : undefined));
  }
  return states;
}

function noRoute(request: QuoteRequest, why: string): ExecutorError {
  return new ExecutorError('NO_ROUTE', `no simulated route from ${request.inputMint} to ${request.outputMint}: ${why}`, {
    inputMint: request.inputMint,
    outputMint: request.outputMint,
  });
}
