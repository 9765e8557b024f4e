/**
 * Wire <-> domain, in one place. Inbound, the decoded TradeRequest becomes a RawTradeRequest with no
 * judgement passed: validation (domain/validation.ts) decides what is acceptable, so an unknown enum
 * number is handed on as a number to be rejected there. Outbound, exact domain values become the
 * contract's decimal strings, each rounding named and against the trader; each message's fields are
 * listed once and built in either of two leaf forms (decoded or wire types, see LeafForms).
 */
import { formatAmount } from '../domain/amount.js';
import { invalidArgument } from '../domain/errors.js';
import { toDecimalString, type Ratio, type Rounding } from '../domain/ratio.js';
import type { ExecutionPricing, JsonValue, MevProtection, RawTradeRequest, SlippageModelSpec, TradeAction, TradeStatus } from '../domain/request.js';
import type { Token } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import type { ExecutionMetrics, PortfolioSummary, TradePage, TradeResult } from '../executor/types.js';
import { Long } from '@grpc/proto-loader';
import type {
  ExecutionMetricsMessage,
  ExecutionPricingMessage,
  ExecutionPricingMessageInput,
  ListTradesResponseMessage,
  MevProtectionMessage,
  PortfolioSummaryMessage,
  StructMessage,
  StructMessageInput,
  TimestampMessage,
  TimestampMessageInput,
  TokenRefMessage,
  TradeActionMessage,
  TradeActionMessageInput,
  TradeMessage,
  TradeMessageInput,
  TradeRequestMessage,
  TradeResultMessage,
  TradeResultMessageInput,
  TradeStatusMessage,
  TradeStatusMessageInput,
} from '../contract/index.js';
import { StructError, fromStruct, toStruct, toStructForEncoding } from '../contract/index.js';

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

/**
 * The two shapes an outbound message takes, differing only in their leaves. Decoded: the shape
 * proto-loader decodes into (enum names, uint64 and Timestamp seconds as decimal strings), which the
 * HTTP API's JSON, `pte export` and proto-loader's serializer read. Wire types: what protobufjs's
 * encode writes without a fromObject copy first (enum numbers, uint64 as numbers or Longs), the
 * ExecuteTrade reply's and StreamTrades' form; proto-loader's serializer takes it too. Each message
 * below lists its fields once and takes its leaves from one of these.
 */
interface LeafForms {
  readonly u64: unknown;
  readonly timestamp: unknown;
  readonly struct: unknown;
  readonly action: unknown;
  readonly status: unknown;
  readonly pricing: unknown;
}

interface Leaves<F extends LeafForms> {
  /** A uint64 held as a bigint (lamports, seed). */
  readonly u64: (v: bigint) => F['u64'];
  /** A uint64 held as a number (a count, a sequence, milliseconds): always a whole, non-negative one. */
  readonly count: (n: number) => F['u64'];
  /** A timing in fractional microseconds: uint64 on the wire takes the nearest whole one. */
  readonly micros: (us: number) => F['u64'];
  readonly timestamp: (ms: number) => F['timestamp'];
  readonly struct: (obj: Readonly<Record<string, JsonValue>>) => F['struct'];
  readonly action: (a: TradeAction) => F['action'];
  readonly status: (s: TradeStatus) => F['status'];
  readonly pricing: (p: ExecutionPricing) => F['pricing'];
}

/** Timings are measured as fractional microseconds; negative or not finite ones are 0. */
const wholeMicros = (us: number): number => (Number.isFinite(us) && us > 0 ? Math.round(us) : 0);

const DECODED: Leaves<{
  u64: string;
  timestamp: TimestampMessage;
  struct: StructMessage;
  action: TradeActionMessage;
  status: TradeStatusMessage;
  pricing: ExecutionPricingMessage;
}> = {
  u64: (v) => v.toString(),
  count: String,
  micros: (us) => String(wholeMicros(us)),
  timestamp: timestampFromMs,
  struct: toStruct,
  action: (a) => `TRADE_ACTION_${a}`,
  status: (s) => `TRADE_STATUS_${s}`,
  pricing: (p) => `EXECUTION_PRICING_${p}`,
};

/**
 * Enum numbers of the contract (proto/: names and numbers are binding), for messages protobufjs
 * encodes without proto-loader's fromObject, which is what turns names into numbers.
 * mapping.test.ts checks every value against the name the decoded shape gives.
 */
const ACTION_NUMBER: Readonly<Record<TradeAction, Extract<TradeActionMessageInput, number>>> = { BUY: 1, SELL: 2, SWAP: 3 };
const STATUS_NUMBER: Readonly<Record<TradeStatus, Extract<TradeStatusMessageInput, number>>> = { FILLED: 1, FAILED_SLIPPAGE: 2, FAILED_MEV: 3 };
const PRICING_NUMBER: Readonly<Record<ExecutionPricing, Extract<ExecutionPricingMessageInput, number>>> = { IMMEDIATE: 1, LANDING: 2 };

/** The largest integer a double holds exactly. */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const LOW_32 = 0xffff_ffffn;

/**
 * A uint64 in wire types: a number when a double holds it exactly, else a Long of its two 32-bit
 * halves. Either is written as the same varint; a decimal string would cost a Long.fromString.
 */
const u64 = (v: bigint): number | Long => (v >= 0n && v <= MAX_EXACT ? Number(v) : Long.fromBits(Number(v & LOW_32), Number((v >> 32n) & LOW_32), true));

/** timestampFromMs with seconds as a number (exact: milliseconds since the epoch fit a double). */
function timestampForEncoding(ms: number): TimestampMessageInput {
  const whole = Math.floor(ms);
  const seconds = Math.floor(whole / 1000);
  return { seconds, nanos: (whole - seconds * 1000) * 1_000_000 };
}

const WIRE: Leaves<{
  u64: number | Long;
  timestamp: TimestampMessageInput;
  struct: StructMessageInput;
  action: Extract<TradeActionMessageInput, number>;
  status: Extract<TradeStatusMessageInput, number>;
  pricing: Extract<ExecutionPricingMessageInput, number>;
}> = {
  u64,
  // Whole, non-negative and below 2^53 (counts, sequences, milliseconds): a double holds it exactly.
  count: (n) => n,
  micros: wholeMicros,
  timestamp: timestampForEncoding,
  struct: toStructForEncoding,
  action: (a) => ACTION_NUMBER[a],
  status: (s) => STATUS_NUMBER[s],
  pricing: (p) => PRICING_NUMBER[p],
};

// Every outbound message's fields, once.

function tradeIn<F extends LeafForms>(t: Trade, c: Leaves<F>) {
  return {
    tradeId: t.tradeId,
    requestId: t.requestId,
    portfolioId: t.portfolioId,
    action: c.action(t.action),
    status: c.status(t.status),
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
    networkFeeLamports: c.u64(t.fees.total),
    executedAt: c.timestamp(t.executedAtMs),
    priceSource: t.priceSource,
    mev: {
      simulated: t.mev.simulated,
      attackProbability: t.mev.attackProbability,
      attacked: t.mev.attacked,
      lossUsd: t.mev.lossUsd,
      riskLevel: t.mev.riskLevel,
    },
    slippageModel: t.slippageModel,
    seed: c.u64(t.seed),
    fees: {
      baseFeeLamports: c.u64(t.fees.baseFee),
      priorityFeeLamports: c.u64(t.fees.priorityFee),
      rentLamports: c.u64(t.fees.rent),
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
    sequence: c.count(t.sequence),
    landing: landingIn(t, c),
    metadata: t.metadata === undefined ? null : c.struct(t.metadata),
  };
}

/** A landing-time trade's timing; null on a trade priced immediately. */
function landingIn<F extends LeafForms>(t: Trade, c: Leaves<F>) {
  const l = t.landing;
  if (l === undefined) return null;
  return {
    pricing: c.pricing(l.pricing),
    slots: l.slots,
    delayMs: c.count(l.delayMs),
    sentAt: c.timestamp(l.sentAtMs),
    pricedAt: c.timestamp(l.pricedAtMs),
  };
}

function portfolioIn<F extends LeafForms>(p: PortfolioSummary, c: Leaves<F>) {
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
    tradeCount: c.count(p.tradeCount),
    feesPaidLamports: c.u64(p.feesPaidLamports),
    // 0: a portfolio not created yet (GetPortfolio of an unknown id answers its starting state).
    updatedAt: p.updatedAtMs > 0 ? c.timestamp(p.updatedAtMs) : null,
    priceSource: p.priceSource,
    stateHash: p.stateHash ?? '',
  };
}

function metricsIn<F extends LeafForms>(m: ExecutionMetrics, c: Leaves<F>) {
  return {
    totalUs: c.micros(m.totalUs),
    validationUs: c.micros(m.validationUs),
    priceLookupUs: c.micros(m.priceLookupUs),
    slippageUs: c.micros(m.slippageUs),
    mevUs: c.micros(m.mevUs),
    portfolioUpdateUs: c.micros(m.portfolioUpdateUs),
    journalUs: c.micros(m.journalUs),
    cacheHit: m.cacheHit,
    priceFetchAttempts: m.priceFetchAttempts,
    priceSource: m.priceSource,
    landingWaitUs: c.micros(m.landingWaitUs ?? 0),
  };
}

function tradeResultIn<F extends LeafForms>(r: TradeResult, c: Leaves<F>) {
  return {
    requestId: r.requestId,
    trade: tradeIn(r.trade, c),
    portfolioState: portfolioIn(r.portfolio, c),
    executionMetrics: metricsIn(r.metrics, c),
    warnings: [...r.warnings],
  };
}

// The decoded shape: gRPC methods encoded by proto-loader, the HTTP API's JSON, `pte export`.

export const tradeToWire = (t: Trade): TradeMessage => tradeIn(t, DECODED);
export const portfolioToWire = (p: PortfolioSummary): PortfolioSummaryMessage => portfolioIn(p, DECODED);
export const metricsToWire = (m: ExecutionMetrics): ExecutionMetricsMessage => metricsIn(m, DECODED);
export const tradeResultToWire = (r: TradeResult): TradeResultMessage => tradeResultIn(r, DECODED);

export function tradePageToWire(p: TradePage): ListTradesResponseMessage {
  return { trades: p.trades.map(tradeToWire), nextPageToken: p.nextPageToken };
}

// Wire types: the same messages for protobufjs's encode, built in one pass from the domain values.

/**
 * The ExecuteTrade reply as the handler hands it to grpc-js, whose serializer for this reply
 * (grpc-server.ts) is protobufjs's encode itself. Encodes to the very bytes proto-loader's serializer
 * writes for tradeResultToWire (mapping.test.ts); proto-loader's serializer takes it too.
 */
export const tradeResultForEncoding = (r: TradeResult): TradeResultMessageInput => tradeResultIn(r, WIRE);

/** A Trade in wire types, for StreamTrades (encoded once per trade by proto-loader's serializer). */
export const tradeForEncoding = (t: Trade): TradeMessageInput => tradeIn(t, WIRE);
