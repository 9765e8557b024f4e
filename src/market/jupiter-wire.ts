/**
 * Jupiter's HTTP shapes and their validation: the boundary where untyped JSON becomes domain values.
 * Nothing past this file sees a JSON number as a price: a price is checked (present, finite, positive,
 * within sane bounds) and converted exactly with fromNumber; amounts are bigint; priceImpactPct is an
 * exact fraction. Unknown fields are ignored; missing optional ones are tolerated.
 */
import { amount } from '../domain/amount.js';
import type { QuoteRequest, RouteHop, RouteQuote, SwapMode, UsdPrice } from '../domain/market.js';
import { fromNumber, pow10, ratio, ZERO } from '../domain/ratio.js';
import type { Ratio } from '../domain/ratio.js';
import { isMint } from '../domain/tokens.js';
import type { Mint } from '../domain/tokens.js';

/** One mint's entry in a Price v3 answer (`usdPrice` is the only required field). */
export interface PriceV3Entry {
  readonly usdPrice: number;
  readonly blockId: number | null | undefined;
  readonly decimals: number | undefined;
  readonly priceChange24h: number | null | undefined;
  readonly liquidity: number | undefined;
  readonly createdAt: string | undefined;
}

export interface QuoteSwapInfoWire {
  readonly ammKey: string;
  readonly label: string;
  readonly inputMint: string;
  readonly outputMint: string;
  readonly inAmount: bigint;
  readonly outAmount: bigint;
  readonly feeAmount: bigint | undefined;
  readonly feeMint: string | undefined;
}

export interface QuoteWire {
  readonly inputMint: Mint;
  readonly inAmount: bigint;
  readonly outputMint: Mint;
  readonly outAmount: bigint;
  readonly otherAmountThreshold: bigint;
  readonly swapMode: SwapMode;
  readonly slippageBps: number;
  /** Fraction, exact; negative values (a favourable route) are kept here and clamped to 0 on a RouteQuote. */
  readonly priceImpact: Ratio;
  readonly routePlan: readonly { readonly swapInfo: QuoteSwapInfoWire; readonly percent: number }[];
  readonly contextSlot: number | undefined;
  readonly timeTaken: number | undefined;
}

/** A 200 whose body is not what the API promises: treated like a server fault (retry, fail over). */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponseError';
}

/**
 * Prices outside these bounds are treated as garbage, not as prices. The widest real range on Solana
 * runs from sub-micro-cent memecoins (~1e-10 USD) to wrapped BTC (~1e5 USD); anything beyond is a bug
 * or an attack upstream, and a trade must not execute at it.
 */
export const MIN_SANE_USD_PRICE = 1e-12;
export const MAX_SANE_USD_PRICE = 1e7;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a price entry was refused, or undefined when it is usable. */
export function priceProblem(entry: unknown): string | undefined {
  if (!isRecord(entry)) return 'entry is not an object';
  const p = entry.usdPrice;
  if (p === undefined) return 'usdPrice is missing';
  if (typeof p !== 'number') return `usdPrice is a ${p === null ? 'null' : typeof p}, not a number`;
  if (!Number.isFinite(p)) return 'usdPrice is not finite';
  if (p <= 0) return `usdPrice ${p} is not positive`;
  if (p < MIN_SANE_USD_PRICE || p > MAX_SANE_USD_PRICE) return `usdPrice ${p} is outside [${MIN_SANE_USD_PRICE}, ${MAX_SANE_USD_PRICE}]`;
  return undefined;
}

const optNumber = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A validated entry; throws MalformedResponseError naming the problem. */
export function parsePriceV3Entry(entry: unknown): PriceV3Entry {
  const problem = priceProblem(entry);
  if (problem !== undefined || !isRecord(entry)) throw new MalformedResponseError(problem ?? 'entry is not an object');
  const blockId = entry.blockId === null ? null : optNumber(entry.blockId);
  const change = entry.priceChange24h === null ? null : optNumber(entry.priceChange24h);
  const liquidity = optNumber(entry.liquidity);
  return {
    usdPrice: entry.usdPrice as number,
    blockId,
    decimals: optNumber(entry.decimals),
    priceChange24h: change,
    liquidity: liquidity !== undefined && liquidity >= 0 ? liquidity : undefined,
    createdAt: typeof entry.createdAt === 'string' ? entry.createdAt : undefined,
  };
}

export interface PriceV3Result {
  readonly prices: Map<Mint, UsdPrice>;
  /** Mints answered with an entry that failed validation, and why: they count as unpriced. */
  readonly rejected: readonly { readonly mint: Mint; readonly reason: string }[];
}

/**
 * A Price v3 body for the mints asked. A mint absent from the body is "no price from this source"; an
 * entry that fails validation is rejected and also leaves the mint unpriced. Keys not asked for are
 * ignored. A body that is not an object at all is malformed.
 */
export function parsePriceV3(body: unknown, asked: readonly Mint[], source: string, observedAtMs: number): PriceV3Result {
  if (!isRecord(body)) throw new MalformedResponseError(`price body is ${Array.isArray(body) ? 'a list' : typeof body}, not an object keyed by mint`);
  const prices = new Map<Mint, UsdPrice>();
  const rejected: { mint: Mint; reason: string }[] = [];
  for (const m of asked) {
    if (!Object.hasOwn(body, m)) continue;
    const raw = body[m];
    if (raw === null) continue; // older responses used null for "no price"
    const problem = priceProblem(raw);
    if (problem !== undefined) {
      rejected.push({ mint: m, reason: problem });
      continue;
    }
    const e = parsePriceV3Entry(raw);
    // Liquidity is a depth estimate: a non-finite or negative one is dropped, not the price.
    const liquidityUsd = e.liquidity !== undefined && e.liquidity > 0 ? fromNumber(e.liquidity) : undefined;
    prices.set(m, { mint: m, usd: fromNumber(e.usdPrice), liquidityUsd, source, observedAtMs });
  }
  return { prices, rejected };
}

const UINT = /^\d{1,40}$/;

function bigintField(o: Record<string, unknown>, key: string, where: string): bigint {
  const v = o[key];
  if (typeof v !== 'string' || !UINT.test(v)) throw new MalformedResponseError(`${where}.${key} must be an integer string, got ${describe(v)}`);
  return BigInt(v);
}

function mintField(o: Record<string, unknown>, key: string, where: string): Mint {
  const v = o[key];
  if (typeof v !== 'string' || !isMint(v)) throw new MalformedResponseError(`${where}.${key} is not a mint address: ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (v === null || v === undefined) return String(v);
  return typeof v;
}

/** Exact value of a decimal text that may carry an exponent ("0.0001", "-1.5e-7"). */
export function parseDecimalText(s: string): Ratio {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,3}))?$/.exec(s.trim());
  if (!m) throw new MalformedResponseError(`not a decimal: ${describe(s)}`);
  const frac = m[3] ?? '';
  let n = BigInt((m[2] ?? '0') + frac);
  if (m[1] === '-') n = -n;
  const exp = Number(m[4] ?? '0') - frac.length;
  return exp >= 0 ? ratio(n * pow10(exp)) : ratio(n, pow10(-exp));
}

/** A /swap/v1/quote (or /v6/quote) body as typed wire values; throws MalformedResponseError. */
export function parseQuoteWire(body: unknown): QuoteWire {
  if (!isRecord(body)) throw new MalformedResponseError('quote body is not an object');
  const swapMode = body.swapMode;
  if (swapMode !== 'ExactIn' && swapMode !== 'ExactOut') throw new MalformedResponseError(`quote.swapMode is ${describe(swapMode)}`);
  const impact = body.priceImpactPct;
  if (typeof impact !== 'string' && typeof impact !== 'number') throw new MalformedResponseError(`quote.priceImpactPct is ${describe(impact)}`);
  if (typeof impact === 'number' && !Number.isFinite(impact)) throw new MalformedResponseError('quote.priceImpactPct is not finite');
  const plan = body.routePlan;
  if (!Array.isArray(plan) || plan.length === 0) throw new MalformedResponseError('quote.routePlan must be a non-empty list');
  const routePlan = plan.map((step: unknown, i) => {
    const where = `quote.routePlan[${i}]`;
    if (!isRecord(step) || !isRecord(step.swapInfo)) throw new MalformedResponseError(`${where}.swapInfo is missing`);
    const s = step.swapInfo;
    const percent = typeof step.percent === 'number' && Number.isFinite(step.percent) ? step.percent : 100;
    const fee = s.feeAmount;
    return {
      percent,
      swapInfo: {
        ammKey: typeof s.ammKey === 'string' ? s.ammKey : '',
        label: typeof s.label === 'string' ? s.label : 'unknown',
        inputMint: mintField(s, 'inputMint', `${where}.swapInfo`),
        outputMint: mintField(s, 'outputMint', `${where}.swapInfo`),
        inAmount: bigintField(s, 'inAmount', `${where}.swapInfo`),
        outAmount: bigintField(s, 'outAmount', `${where}.swapInfo`),
        feeAmount: typeof fee === 'string' && UINT.test(fee) ? BigInt(fee) : undefined,
        feeMint: typeof s.feeMint === 'string' ? s.feeMint : undefined,
      },
    };
  });
  const slippage = body.slippageBps;
  return {
    inputMint: mintField(body, 'inputMint', 'quote'),
    inAmount: bigintField(body, 'inAmount', 'quote'),
    outputMint: mintField(body, 'outputMint', 'quote'),
    outAmount: bigintField(body, 'outAmount', 'quote'),
    otherAmountThreshold: bigintField(body, 'otherAmountThreshold', 'quote'),
    swapMode,
    slippageBps: typeof slippage === 'number' && Number.isInteger(slippage) ? slippage : 0,
    priceImpact: typeof impact === 'number' ? fromNumber(impact) : parseDecimalText(impact),
    routePlan,
    contextSlot: optNumber(body.contextSlot),
    timeTaken: optNumber(body.timeTaken),
  };
}

/**
 * The domain RouteQuote of a wire quote. With a request, the answer must be for it: same mints, same
 * mode, and the fixed side equal to the amount asked; a quote for something else is malformed.
 * Amounts must be positive; a price impact above 100 % is garbage; a negative one (a route that beats
 * the reference price) is reported as zero impact.
 */
export function toRouteQuote(wire: QuoteWire, source: string, request?: QuoteRequest): RouteQuote {
  if (wire.inAmount <= 0n || wire.outAmount <= 0n) throw new MalformedResponseError('quote amounts must be positive');
  if (wire.priceImpact.n > wire.priceImpact.d) throw new MalformedResponseError('quote.priceImpactPct is above 1 (100 %)');
  if (request !== undefined) {
    if (wire.inputMint !== request.inputMint || wire.outputMint !== request.outputMint) throw new MalformedResponseError('quote is for other mints than asked');
    if (wire.swapMode !== request.swapMode) throw new MalformedResponseError(`quote is ${wire.swapMode}, asked ${request.swapMode}`);
    const fixed = request.swapMode === 'ExactIn' ? wire.inAmount : wire.outAmount;
    if (fixed !== request.amount) throw new MalformedResponseError(`quote is for amount ${fixed}, asked ${request.amount}`);
  }
  const route: RouteHop[] = wire.routePlan.map((step) => ({
    label: step.swapInfo.label,
    inputMint: step.swapInfo.inputMint,
    outputMint: step.swapInfo.outputMint,
    inAmount: step.swapInfo.inAmount,
    outAmount: step.swapInfo.outAmount,
    percent: step.percent,
  }));
  return {
    inputMint: wire.inputMint,
    outputMint: wire.outputMint,
    inAmount: amount(wire.inAmount),
    outAmount: amount(wire.outAmount),
    swapMode: wire.swapMode,
    priceImpact: wire.priceImpact.n < 0n ? ZERO : wire.priceImpact,
    route,
    source,
    contextSlot: wire.contextSlot,
  };
}

/** What an error answer means for the caller. */
export type ErrorClass =
  | 'no-route' // a definite business answer: no route, token not tradable
  | 'bad-request' // our request is wrong; the same everywhere, so neither retried nor failed over
  | 'auth' // 401/403: this endpoint refuses us; fail over, do not retry
  | 'rate-limited' // 429: wait until x-ratelimit-reset, or fail over
  | 'server'; // 5xx and anything unexpected: retry with backoff, then fail over

export const NO_ROUTE_ERROR_CODES: ReadonlySet<string> = new Set(['COULD_NOT_FIND_ANY_ROUTE', 'NO_ROUTES_FOUND', 'TOKEN_NOT_TRADABLE']);

export interface ErrorAnswer {
  readonly status: number;
  readonly kind: ErrorClass;
  /** Jupiter's errorCode when the body had one. */
  readonly errorCode: string | undefined;
  /** A short, printable excerpt of the body's message. */
  readonly message: string;
}

/** Classifies an error status and body on `errorCode` and status, never on message text. */
export function classifyError(status: number, text: string): ErrorAnswer {
  let errorCode: string | undefined;
  let message = text;
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body)) {
      if (typeof body.errorCode === 'string') errorCode = body.errorCode;
      const m = body.error ?? body.message;
      if (typeof m === 'string') message = m;
    }
  } catch {
    // Some 400s are plain text (errors.json E4, E5): keep the text as the message.
  }
  // eslint-disable-next-line no-control-regex
  message = message.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200);
  let kind: ErrorClass;
  if (status === 429) kind = 'rate-limited';
  else if (status === 401 || status === 403) kind = 'auth';
  else if (status === 400 && errorCode !== undefined && NO_ROUTE_ERROR_CODES.has(errorCode)) kind = 'no-route';
  else if (status >= 400 && status < 500 && status !== 408) kind = 'bad-request';
  else kind = 'server';
  return { status, kind, errorCode, message };
}

/** One token of a Tokens v2 search answer: the fields the executor could use to check a registry entry. */
export interface TokenV2Wire {
  readonly mint: Mint;
  readonly symbol: string;
  readonly decimals: number;
  readonly usdPrice: number | undefined;
  readonly liquidity: number | undefined;
}

/** A /tokens/v2/search body; throws MalformedResponseError. */
export function parseTokenSearch(body: unknown): TokenV2Wire[] {
  if (!Array.isArray(body)) throw new MalformedResponseError('token search body is not a list');
  return body.map((t: unknown, i) => {
    if (!isRecord(t)) throw new MalformedResponseError(`tokens[${i}] is not an object`);
    const decimals = t.decimals;
    if (typeof decimals !== 'number' || !Number.isInteger(decimals) || decimals < 0 || decimals > 18) {
      throw new MalformedResponseError(`tokens[${i}].decimals is ${describe(decimals)}`);
    }
    return {
      mint: mintField(t, 'id', `tokens[${i}]`),
      symbol: typeof t.symbol === 'string' ? t.symbol : '',
      decimals,
      usdPrice: priceProblem(t) === undefined ? (t.usdPrice as number) : undefined,
      liquidity: optNumber(t.liquidity),
    };
  });
}
