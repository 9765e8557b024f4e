/**
 * The gRPC contract loaded at run time with @grpc/proto-loader, plus hand-written types for every
 * message in the shape proto-loader produces with {@link LOADER_OPTIONS}: camelCase fields, uint64 as
 * decimal strings, enums as their names (a number the schema does not know stays a number), message
 * fields `null` when absent, proto3 `optional` scalars absent when unset.
 *
 * The server and the typed client share this module, so both speak exactly the same shapes.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSync, type MethodDefinition, type Options, type PackageDefinition, type ServiceDefinition } from '@grpc/proto-loader';

/** The contract's file, relative to the proto root. */
export const EXECUTOR_PROTO_FILE = 'paper_trader/v1/executor.proto';
export const PROTO_PACKAGE = 'paper_trader.v1';
export const EXECUTOR_SERVICE_NAME = 'paper_trader.v1.PaperTradeExecutor';
export const DIAGNOSTICS_SERVICE_NAME = 'paper_trader.v1.Diagnostics';

/**
 * The options every loader of the contract uses. `defaults` so absent scalars read as their zero
 * value; `oneofs` so Struct values carry a `kind`; google/protobuf imports resolve from
 * protobufjs' bundled copies, and {@link findProtoRoot} is on the include path for our own files.
 */
export const LOADER_OPTIONS: Readonly<Options> = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * Finds the repository's proto/ folder by walking up from this module. The module runs from
 * src/client (vitest, tsx) and from dist/src/client (after tsc), and the published package ships
 * proto/ next to dist/, so a fixed relative path would be right in only one of those layouts.
 */
export function findProtoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, EXECUTOR_PROTO_FILE))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find proto/${EXECUTOR_PROTO_FILE} above ${start}`);
    dir = parent;
  }
}

let cached: PackageDefinition | undefined;

/** The contract's package definition; loaded once per process (parsing the proto takes milliseconds). */
export function loadExecutorPackage(): PackageDefinition {
  cached ??= loadSync(EXECUTOR_PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [findProtoRoot()] });
  return cached;
}

/** A service of the package, checked to be one (a message type has `format`, a service has method paths). */
export function serviceDefinition(pkg: PackageDefinition, name: string): ServiceDefinition {
  const def = pkg[name];
  if (def === undefined || 'format' in def) throw new Error(`${name} is not a service of the loaded package`);
  return def;
}

function method<Req, Res>(svc: ServiceDefinition, name: string): MethodDefinition<Req, Res> {
  const m = svc[name];
  if (m === undefined) throw new Error(`the loaded contract has no method ${name}`);
  // proto-loader types every method as <object, object>; the shapes are those the schema (and so the
  // message types below) describes, which is the one place this cast is justified.
  return m as unknown as MethodDefinition<Req, Res>;
}

/** The PaperTradeExecutor methods, typed. */
export interface ExecutorMethods {
  readonly ExecuteTrade: MethodDefinition<TradeRequestMessage, TradeResultMessage>;
  readonly GetPortfolio: MethodDefinition<GetPortfolioRequestMessage, PortfolioSummaryMessage>;
  readonly ResetPortfolio: MethodDefinition<ResetPortfolioRequestMessage, PortfolioSummaryMessage>;
  readonly ListTrades: MethodDefinition<ListTradesRequestMessage, ListTradesResponseMessage>;
  readonly StreamTrades: MethodDefinition<StreamTradesRequestMessage, TradeMessage>;
  readonly ListPortfolios: MethodDefinition<ListPortfoliosRequestMessage, ListPortfoliosResponseMessage>;
  readonly GetReport: MethodDefinition<GetReportRequestMessage, PortfolioReportMessage>;
}

export interface DiagnosticsMethods {
  readonly Noop: MethodDefinition<NoopRequestMessage, NoopResponseMessage>;
}

export function executorMethods(pkg: PackageDefinition = loadExecutorPackage()): ExecutorMethods {
  const svc = serviceDefinition(pkg, EXECUTOR_SERVICE_NAME);
  return {
    ExecuteTrade: method(svc, 'ExecuteTrade'),
    GetPortfolio: method(svc, 'GetPortfolio'),
    ResetPortfolio: method(svc, 'ResetPortfolio'),
    ListTrades: method(svc, 'ListTrades'),
    StreamTrades: method(svc, 'StreamTrades'),
    ListPortfolios: method(svc, 'ListPortfolios'),
    GetReport: method(svc, 'GetReport'),
  };
}

export function diagnosticsMethods(pkg: PackageDefinition = loadExecutorPackage()): DiagnosticsMethods {
  return { Noop: method(serviceDefinition(pkg, DIAGNOSTICS_SERVICE_NAME), 'Noop') };
}

// ---------------------------------------------------------------------------------------------
// Well-known types

/** google.protobuf.Timestamp; seconds is an int64, so a decimal string. */
export interface TimestampMessage {
  seconds: string;
  nanos: number;
}

export type NullValueName = 'NULL_VALUE';

/** google.protobuf.Value: exactly one member is set; `kind` names it on decoded messages. */
export interface ValueMessage {
  nullValue?: NullValueName | number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: StructMessage;
  listValue?: ListValueMessage;
  kind?: 'nullValue' | 'numberValue' | 'stringValue' | 'boolValue' | 'structValue' | 'listValue';
}

/** google.protobuf.Struct. */
export interface StructMessage {
  fields: Record<string, ValueMessage>;
}

export interface ListValueMessage {
  values: ValueMessage[];
}

// ---------------------------------------------------------------------------------------------
// Enums: names as in the proto. Decoded fields also admit a number: a value this schema does not
// know (a newer peer) arrives as its number rather than being lost.

export type TradeActionName = 'TRADE_ACTION_UNSPECIFIED' | 'TRADE_ACTION_BUY' | 'TRADE_ACTION_SELL' | 'TRADE_ACTION_SWAP';
export type TradeStatusName =
  | 'TRADE_STATUS_UNSPECIFIED'
  | 'TRADE_STATUS_FILLED'
  | 'TRADE_STATUS_FAILED_SLIPPAGE'
  | 'TRADE_STATUS_FAILED_MEV';
export type MevProtectionName =
  | 'MEV_PROTECTION_UNSPECIFIED'
  | 'MEV_PROTECTION_PUBLIC'
  | 'MEV_PROTECTION_JITO_BUNDLE'
  | 'MEV_PROTECTION_JITO_DONTFRONT'
  | 'MEV_PROTECTION_PRIVATE';
export type ExecutionPricingName = 'EXECUTION_PRICING_UNSPECIFIED' | 'EXECUTION_PRICING_IMMEDIATE' | 'EXECUTION_PRICING_LANDING';

// ---------------------------------------------------------------------------------------------
// paper_trader.v1 messages

export interface NoopRequestMessage {
  requestId: string;
}

export interface NoopResponseMessage {
  requestId: string;
}

export interface SlippageModelSpecMessage {
  name: string;
  params: StructMessage | null;
}

export interface TradeRequestMessage {
  requestId: string;
  action: TradeActionName | number;
  baseToken: string;
  quoteToken: string;
  amount: string;
  isBaseInput: boolean;
  /** proto3 optional: absent when unset. */
  slippageToleranceBps?: number | undefined;
  /** uint64 lamports. */
  priorityFee: string;
  simulateMev: boolean;
  /** proto3 optional: absent when unset. */
  maxPriceImpactBps?: number | undefined;
  metadata: StructMessage | null;
  portfolioId: string;
  slippageModel: SlippageModelSpecMessage | null;
  mevProtection: MevProtectionName | number;
  /** UNSPECIFIED: the server's execution.pricing. Absent from a client that predates the field. */
  executionPricing?: ExecutionPricingName | number;
  /** Set by the decoder when the optional field is present (proto-loader's synthetic oneof). */
  _slippageToleranceBps?: 'slippageToleranceBps';
  _maxPriceImpactBps?: 'maxPriceImpactBps';
}

export interface TokenRefMessage {
  symbol: string;
  mint: string;
  decimals: number;
}

export interface MevOutcomeMessage {
  simulated: boolean;
  attackProbability: number;
  attacked: boolean;
  lossUsd: string;
  riskLevel: string;
}

export interface FeeBreakdownMessage {
  baseFeeLamports: string;
  priorityFeeLamports: string;
  rentLamports: string;
  signatures: number;
}

export interface RouteHopMessage {
  label: string;
  inputMint: string;
  outputMint: string;
  /** Base units. */
  inAmount: string;
  outAmount: string;
  percent: number;
}

export interface TradeMessage {
  tradeId: string;
  requestId: string;
  portfolioId: string;
  action: TradeActionName | number;
  status: TradeStatusName | number;
  base: TokenRefMessage | null;
  quote: TokenRefMessage | null;
  input: TokenRefMessage | null;
  output: TokenRefMessage | null;
  /** Token units (decimal string). */
  inputAmount: string;
  outputAmount: string;
  /** Quote per one base (decimal string). */
  expectedPrice: string;
  executedPrice: string;
  slippageBps: number;
  mevImpactBps: number;
  priceImpactBps: number;
  networkFeeLamports: string;
  executedAt: TimestampMessage | null;
  priceSource: string;
  mev: MevOutcomeMessage | null;
  slippageModel: string;
  seed: string;
  fees: FeeBreakdownMessage | null;
  slippageExplanation: string;
  route: RouteHopMessage[];
  failureReason: string;
  sequence: string;
  /** Set on a landing-time trade; null when priced immediately. */
  landing?: LandingMessage | null;
  /** The request's metadata; null when it had none. */
  metadata?: StructMessage | null;
}

/** A landing-time trade's timing. */
export interface LandingMessage {
  pricing: ExecutionPricingName | number;
  slots: number;
  /** uint64 milliseconds. */
  delayMs: string;
  sentAt: TimestampMessage | null;
  pricedAt: TimestampMessage | null;
}

export interface BalanceMessage {
  token: TokenRefMessage | null;
  amount: string;
  usdValue: string;
  avgCostUsd: string;
}

export interface PortfolioSummaryMessage {
  portfolioId: string;
  balances: BalanceMessage[];
  totalValueUsd: string;
  realizedPnlUsd: string;
  unrealizedPnlUsd: string;
  tradeCount: string;
  feesPaidLamports: string;
  updatedAt: TimestampMessage | null;
  priceSource: string;
  /** Canonical SHA-256 of the ledger state; always present when decoded ("" from a server that predates it). */
  stateHash?: string;
}

export interface ExecutionMetricsMessage {
  totalUs: string;
  validationUs: string;
  priceLookupUs: string;
  slippageUs: string;
  mevUs: string;
  portfolioUpdateUs: string;
  journalUs: string;
  cacheHit: boolean;
  priceFetchAttempts: number;
  priceSource: string;
  /** uint64 microseconds spent waiting for the landing instant; absent from a server that predates it. */
  landingWaitUs?: string;
}

export interface TradeResultMessage {
  requestId: string;
  trade: TradeMessage | null;
  portfolioState: PortfolioSummaryMessage | null;
  executionMetrics: ExecutionMetricsMessage | null;
  warnings: string[];
}

export interface GetPortfolioRequestMessage {
  portfolioId: string;
}

export interface ResetPortfolioRequestMessage {
  portfolioId: string;
  balances: Record<string, string>;
}

export interface ListTradesRequestMessage {
  portfolioId: string;
  limit: number;
  pageToken: string;
}

export interface ListTradesResponseMessage {
  trades: TradeMessage[];
  nextPageToken: string;
}

export interface StreamTradesRequestMessage {
  portfolioId: string;
}

// Reports (docs/reports.md). Money is decimal text: values and PnL floored, costs rounded up, 6 places.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the contract's empty request
export interface ListPortfoliosRequestMessage {}

export interface ListPortfoliosResponseMessage {
  /** Sorted by portfolio_id; only the portfolios the caller's API key may use. */
  portfolios: PortfolioSummaryMessage[];
}

export interface GetReportRequestMessage {
  portfolioId: string;
  /** Absent: the portfolio's first mark. */
  from: TimestampMessage | null;
  /** Absent: now. */
  to: TimestampMessage | null;
  /** "" = "strategy". */
  groupBy: string;
  /** 0 = 2,000. */
  maxPoints: number;
}

export interface EquityPointMessage {
  at: TimestampMessage | null;
  valueUsd: string;
  /** "" when SOL had no price. */
  valueSol: string;
  benchmarkUsd: string;
  /** (running peak - value) / running peak, 0..1. */
  drawdown: number;
}

export interface DrawdownMessage {
  max: number;
  maxUsd: string;
  maxPeakAt: TimestampMessage | null;
  maxTroughAt: TimestampMessage | null;
  current: number;
  currentUsd: string;
  /** uint64 ms. */
  longestDurationMs: string;
}

export interface DailyReturnMessage {
  day: string;
  dailyReturn: number;
  valueUsd: string;
}

export interface CostBreakdownMessage {
  baseFeesUsd: string;
  priorityFeesUsd: string;
  rentUsd: string;
  slippageUsd: string;
  priceImpactUsd: string;
  mevLossUsd: string;
  failedTradeFeesUsd: string;
  totalUsd: string;
}

/** uint64 counts as decimal strings. */
export interface TradeCountsMessage {
  total: string;
  filled: string;
  failedSlippage: string;
  failedMev: string;
}

export interface CloseStatsMessage {
  closes: string;
  wins: string;
  losses: string;
  /** proto3 optional: absent without closes. */
  winRate?: number | undefined;
  grossProfitUsd: string;
  grossLossUsd: string;
  /** proto3 optional: absent when nothing was lost. */
  profitFactor?: number | undefined;
}

export interface TokenResultMessage {
  token: TokenRefMessage | null;
  startAmount: string;
  endAmount: string;
  realizedPnlUsd: string;
  costBasisUsd: string;
  endValueUsd: string;
  unrealizedPnlUsd: string;
}

export interface GroupResultMessage {
  value: string;
  /** True for the trades without the key (value is then ""). */
  untagged: boolean;
  trades: TradeCountsMessage | null;
  volumeUsd: string;
  realizedPnlUsd: string;
  closes: CloseStatsMessage | null;
  costs: CostBreakdownMessage | null;
}

export interface PortfolioReportMessage {
  portfolioId: string;
  from: TimestampMessage | null;
  to: TimestampMessage | null;
  startValueUsd: string;
  endValueUsd: string;
  /** proto3 optional scalars below: absent when undefined (e.g. a zero start value, fewer than two daily returns). */
  totalReturn?: number | undefined;
  realizedPnlUsd: string;
  unrealizedPnlUsd: string;
  equity: EquityPointMessage[];
  markCount: string;
  drawdown: DrawdownMessage | null;
  dailyReturns: DailyReturnMessage[];
  sharpe?: number | undefined;
  sortino?: number | undefined;
  ratioMethod: string;
  benchmarkStartUsd: string;
  benchmarkEndUsd: string;
  benchmarkReturn?: number | undefined;
  excessReturn?: number | undefined;
  trades: TradeCountsMessage | null;
  closes: CloseStatsMessage | null;
  tokens: TokenResultMessage[];
  groupBy: string;
  groups: GroupResultMessage[];
  costs: CostBreakdownMessage | null;
  startValueSol: string;
  endValueSol: string;
}
