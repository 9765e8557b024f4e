/**
 * Wire <-> domain, in one place. Inbound, the decoded TradeRequest becomes a RawTradeRequest with no
 * judgement passed: validation (domain/validation.ts) decides what is acceptable, so an unknown enum
 * number is handed on as a number to be rejected there. Outbound, exact domain values become the
 * contract's decimal strings, each rounding named and against the trader.
 */
import { formatAmount } from '../domain/amount.js';
import { invalidArgument } from '../domain/errors.js';
import { toDecimalString, type Ratio, type Rounding } from '../domain/ratio.js';
import type { ExecutionPricing, JsonValue, MevProtection, RawTradeRequest, SlippageModelSpec, TradeAction } from '../domain/request.js';
import type { Token } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import type { ExecutionMetrics, PortfolioSummary, TradePage, TradeResult } from '../executor/types.js';
import type {
  ExecutionMetricsMessage,
  ExecutionPricingMessage,
  LandingMessage,
  ListTradesResponseMessage,
  MevProtectionMessage,
  PortfolioSummaryMessage,
  StructMessage,
  TimestampMessage,
  TokenRefMessage,
  TradeActionMessage,
  TradeMessage,
  TradeRequestMessage,
  TradeResultMessage,
  TradeResultMessageInput,
} from '../contract/index.js';
import { StructError, fromStruct, toStruct } from '../contract/index.js';

/** Fraction digits of reported prices: enough for any pair of tokens with up to 9 decimals. */
export const PRICE_PLACES = 18;

// ---------------------------------------------------------------------------------------------
// Inbound

const ACTIONS: Readonly<Record<string, TradeAction | 'UNSPECIFIED'>> = {
  TRADE_ACTION_UNSPECIFIED: 'UNSPECIFIED',
  TRADE_ACTION_BUY: 'BUY',
  TRADE_ACTION_SELL: 'SELL',
  TRADE_ACTION_SWAP: 'SWAP',
};
const PROTECTIONS: Readonly<Record<string, MevProtection | 'UNSPECIFIED'>> = {
  MEV_PROTECTION_UNSPECIFIED: 'UNSPECIFIED',
  MEV_PROTECTION_PUBLIC: 'PUBLIC',
  MEV_PROTECTION_JITO_BUNDLE: 'JITO_BUNDLE',
  MEV_PROTECTION_JITO_DONTFRONT: 'JITO_DONTFRONT',
  MEV_PROTECTION_PRIVATE: 'PRIVATE',
};
const PRICINGS: Readonly<Record<string, ExecutionPricing | 'UNSPECIFIED'>> = {
  EXECUTION_PRICING_UNSPECIFIED: 'UNSPECIFIED',
  EXECUTION_PRICING_IMMEDIATE: 'IMMEDIATE',
  EXECUTION_PRICING_LANDING: 'LANDING',
};

/**
 * An enum from the decoder: a known name maps to the domain's short name; a number (a value this
 * schema does not know) passes through. A string that is no name of ours cannot come from the
 * decoder; it becomes UNSPECIFIED, which validation rejects or defaults like an unset field.
 */
function enumFromWire<T extends string>(value: unknown, table: Readonly<Record<string, T | 'UNSPECIFIED'>>): T | 'UNSPECIFIED' | number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return table[value] ?? 'UNSPECIFIED';
  return 'UNSPECIFIED';
}

/**
 * A TradeRequest as the decoder really hands it over. With enums as names, a value this schema does
 * not know (sent by a newer client) still arrives as its number, which the generated type (names
 * only) does not show; the dashboard's JSON API may leave execution_pricing out.
 */
export type DecodedTradeRequest = Omit<TradeRequestMessage, 'action' | 'mevProtection' | 'executionPricing'> & {
  action: TradeActionMessage | number;
  mevProtection: MevProtectionMessage | number;
  executionPricing?: ExecutionPricingMessage | number;
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const bool = (v: unknown): boolean => v === true;
const optionalNumber = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function structField(s: StructMessage | null | undefined, field: string): Readonly<Record<string, JsonValue>> | undefined {
  if (s === null || s === undefined) return undefined;
  try {
    return fromStruct(s);
  } catch (e) {
    if (e instanceof StructError) throw invalidArgument(field, e.message);
    throw e;
  }
}

/**
 * The decoded TradeRequest as the executor's RawTradeRequest. Presence is preserved: an unset
 * optional scalar or message field is `undefined`, a set one (even 0 or {}) keeps its value. Every
 * field is read defensively: the decoder's output is trusted for shape, not assumed for type.
 */
export function tradeRequestFromWire(m: DecodedTradeRequest): RawTradeRequest {
  const spec = m.slippageModel;
  let slippageModel: SlippageModelSpec | undefined;
  if (spec !== null) {
    slippageModel = { name: str(spec.name), params: structField(spec.params, 'slippage_model.params') ?? {} };
  }
  return {
    requestId: str(m.requestId),
    action: enumFromWire(m.action, ACTIONS),
    baseToken: str(m.baseToken),
    quoteToken: str(m.quoteToken),
    amount: str(m.amount),
    isBaseInput: bool(m.isBaseInput),
    slippageToleranceBps: optionalNumber(m.slippageToleranceBps),
    priorityFee: str(m.priorityFee),
    simulateMev: bool(m.simulateMev),
    maxPriceImpactBps: optionalNumber(m.maxPriceImpactBps),
    metadata: structField(m.metadata, 'metadata'),
    portfolioId: str(m.portfolioId),
    slippageModel,
    mevProtection: enumFromWire(m.mevProtection, PROTECTIONS),
    ...executionPricingFromWire(m.executionPricing),
  };
}

/** execution_pricing: absent when UNSPECIFIED (the server's default applies), else as decoded. */
function executionPricingFromWire(v: unknown): Pick<RawTradeRequest, 'executionPricing'> {
  const p = enumFromWire(v, PRICINGS);
  return p === 'UNSPECIFIED' ? {} : { executionPricing: p };
}

// ---------------------------------------------------------------------------------------------
// Outbound

/** Milliseconds since the epoch as a Timestamp (nanos always in [0, 1e9), as the spec requires). */
export function timestampFromMs(ms: number): TimestampMessage {
  const whole = Math.floor(ms);
  const seconds = Math.floor(whole / 1000);
  const nanos = (whole - seconds * 1000) * 1_000_000;
  return { seconds: String(seconds), nanos };
}

export const tokenRefToWire = (t: Token): TokenRefMessage => ({ symbol: t.symbol, mint: t.mint, decimals: t.decimals });

/**
 * Rounding for the executed price, against the trader: whoever receives base pays quote, so a
 * higher price is worse for them (ceil); whoever gives base is worse off with a lower one (floor).
 * A SWAP receives base exactly when its input is the quote token.
 */
export function executedPriceRounding(trade: Pick<Trade, 'action' | 'input' | 'quote'>): Rounding {
  switch (trade.action) {
    case 'BUY':
      return 'ceil';
    case 'SELL':
      return 'floor';
    case 'SWAP':
      return trade.input.mint === trade.quote.mint ? 'ceil' : 'floor';
  }
}

const price = (r: Ratio, rounding: Rounding): string => toDecimalString(r, PRICE_PLACES, rounding);

export function tradeToWire(t: Trade): TradeMessage {
  return {
    tradeId: t.tradeId,
    requestId: t.requestId,
    portfolioId: t.portfolioId,
    action: `TRADE_ACTION_${t.action}`,
    status: `TRADE_STATUS_${t.status}`,
    base: tokenRefToWire(t.base),
    quote: tokenRefToWire(t.quote),
    input: tokenRefToWire(t.input),
    output: tokenRefToWire(t.output),
    inputAmount: formatAmount(t.inputAmount, t.input.decimals),
    outputAmount: formatAmount(t.outputAmount, t.output.decimals),
    expectedPrice: price(t.expectedPrice, 'floor'),
    executedPrice: price(t.executedPrice, executedPriceRounding(t)),
    slippageBps: t.slippageBps,
    mevImpactBps: t.mevImpactBps,
    priceImpactBps: t.priceImpactBps,
    networkFeeLamports: t.fees.total.toString(),
    executedAt: timestampFromMs(t.executedAtMs),
    priceSource: t.priceSource,
    mev: {
      simulated: t.mev.simulated,
      attackProbability: t.mev.attackProbability,
      attacked: t.mev.attacked,
      lossUsd: t.mev.lossUsd,
      riskLevel: t.mev.riskLevel,
    },
    slippageModel: t.slippageModel,
    seed: t.seed.toString(),
    fees: {
      baseFeeLamports: t.fees.baseFee.toString(),
      priorityFeeLamports: t.fees.priorityFee.toString(),
      rentLamports: t.fees.rent.toString(),
      signatures: t.fees.signatures,
    },
    slippageExplanation: t.slippageExplanation,
    route: t.route.map((h) => ({
      label: h.label,
      inputMint: h.inputMint,
      outputMint: h.outputMint,
      inAmount: h.inAmount.toString(),
      outAmount: h.outAmount.toString(),
      percent: h.percent,
    })),
    failureReason: t.failureReason ?? '',
    sequence: String(t.sequence),
    landing: landingToWire(t),
    metadata: t.metadata === undefined ? null : toStruct(t.metadata),
  };
}

/** A landing-time trade's timing; null on a trade priced immediately. */
function landingToWire(t: Trade): LandingMessage | null {
  const l = t.landing;
  if (l === undefined) return null;
  return {
    pricing: `EXECUTION_PRICING_${l.pricing}`,
    slots: l.slots,
    delayMs: String(l.delayMs),
    sentAt: timestampFromMs(l.sentAtMs),
    pricedAt: timestampFromMs(l.pricedAtMs),
  };
}

export function portfolioToWire(p: PortfolioSummary): PortfolioSummaryMessage {
  return {
    portfolioId: p.portfolioId,
    balances: p.balances.map((b) => ({
      token: tokenRefToWire(b.token),
      amount: formatAmount(b.amount, b.token.decimals),
      usdValue: b.usdValue,
      avgCostUsd: b.avgCostUsd,
    })),
    totalValueUsd: p.totalValueUsd,
    realizedPnlUsd: p.realizedPnlUsd,
    unrealizedPnlUsd: p.unrealizedPnlUsd,
    tradeCount: String(p.tradeCount),
    feesPaidLamports: p.feesPaidLamports.toString(),
    // 0: a portfolio not created yet (GetPortfolio of an unknown id answers its starting state).
    updatedAt: p.updatedAtMs > 0 ? timestampFromMs(p.updatedAtMs) : null,
    priceSource: p.priceSource,
    stateHash: p.stateHash ?? '',
  };
}

/** Timings are measured as fractional microseconds; uint64 on the wire takes the nearest whole one. */
const micros = (us: number): string => (Number.isFinite(us) && us > 0 ? String(Math.round(us)) : '0');

export function metricsToWire(m: ExecutionMetrics): ExecutionMetricsMessage {
  return {
    totalUs: micros(m.totalUs),
    validationUs: micros(m.validationUs),
    priceLookupUs: micros(m.priceLookupUs),
    slippageUs: micros(m.slippageUs),
    mevUs: micros(m.mevUs),
    portfolioUpdateUs: micros(m.portfolioUpdateUs),
    journalUs: micros(m.journalUs),
    cacheHit: m.cacheHit,
    priceFetchAttempts: m.priceFetchAttempts,
    priceSource: m.priceSource,
    landingWaitUs: micros(m.landingWaitUs ?? 0),
  };
}

export function tradeResultToWire(r: TradeResult): TradeResultMessage {
  return {
    requestId: r.requestId,
    trade: tradeToWire(r.trade),
    portfolioState: portfolioToWire(r.portfolio),
    executionMetrics: metricsToWire(r.metrics),
    warnings: [...r.warnings],
  };
}

export function tradePageToWire(p: TradePage): ListTradesResponseMessage {
  return { trades: p.trades.map(tradeToWire), nextPageToken: p.nextPageToken };
}

// ---------------------------------------------------------------------------------------------
// The ExecuteTrade reply as handed to the encoder

/** The largest integer a double holds exactly. */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A uint64 for the encoder: a number when a double holds it exactly, else its decimal string. The
 * wire bytes are the same either way; protobufjs converts a number directly, while a string goes
 * through Long.fromString, which was most of the encoder's cost on a trade's reply.
 */
const u64 = (v: bigint): number | string => (v >= 0n && v <= MAX_EXACT ? Number(v) : v.toString());

/** timestampFromMs with seconds as a number (exact: milliseconds since the epoch fit a double). */
function timestampForEncoding(ms: number): { seconds: number; nanos: number } {
  const whole = Math.floor(ms);
  const seconds = Math.floor(whole / 1000);
  return { seconds, nanos: (whole - seconds * 1000) * 1_000_000 };
}

/**
 * tradeResultToWire as the ExecuteTrade handler hands it to grpc-js: every field the same, the
 * per-reply uint64 fields (timings, fees, counts, sequence, seed, timestamps) as numbers where
 * exact. Encodes to the very bytes of tradeResultToWire (mapping.test.ts).
 */
export function tradeResultForEncoding(r: TradeResult): TradeResultMessageInput {
  const t = r.trade;
  const trade = tradeToWire(t);
  const p = r.portfolio;
  const m = r.metrics;
  const us = (x: number): number => (Number.isFinite(x) && x > 0 ? Math.round(x) : 0);
  return {
    requestId: r.requestId,
    trade: {
      ...trade,
      networkFeeLamports: u64(t.fees.total),
      executedAt: timestampForEncoding(t.executedAtMs),
      seed: u64(t.seed),
      fees: { baseFeeLamports: u64(t.fees.baseFee), priorityFeeLamports: u64(t.fees.priorityFee), rentLamports: u64(t.fees.rent), signatures: t.fees.signatures },
      sequence: t.sequence,
    },
    portfolioState: {
      ...portfolioToWire(p),
      tradeCount: p.tradeCount,
      feesPaidLamports: u64(p.feesPaidLamports),
      updatedAt: p.updatedAtMs > 0 ? timestampForEncoding(p.updatedAtMs) : null,
    },
    executionMetrics: {
      totalUs: us(m.totalUs),
      validationUs: us(m.validationUs),
      priceLookupUs: us(m.priceLookupUs),
      slippageUs: us(m.slippageUs),
      mevUs: us(m.mevUs),
      portfolioUpdateUs: us(m.portfolioUpdateUs),
      journalUs: us(m.journalUs),
      cacheHit: m.cacheHit,
      priceFetchAttempts: m.priceFetchAttempts,
      priceSource: m.priceSource,
      landingWaitUs: us(m.landingWaitUs ?? 0),
    },
    warnings: [...r.warnings],
  };
}
