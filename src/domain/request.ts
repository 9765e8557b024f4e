import type { Amount, Lamports } from './amount.js';
import type { Token } from './tokens.js';

export type TradeAction = 'BUY' | 'SELL' | 'SWAP';
export type TradeStatus = 'FILLED' | 'FAILED_SLIPPAGE' | 'FAILED_MEV';
export type MevProtection = 'PUBLIC' | 'JITO_BUNDLE' | 'JITO_DONTFRONT' | 'PRIVATE';
/** When a trade is priced: on arrival, or on the market as it is when the transaction would land. */
export type ExecutionPricing = 'IMMEDIATE' | 'LANDING';

/** JSON-like values: what google.protobuf.Struct carries. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface SlippageModelSpec {
  readonly name: string;
  readonly params: Readonly<Record<string, JsonValue>>;
}

/**
 * A trade request as it arrives, before validation: the transport's view of TradeRequest with
 * enums already named. Every field may be anything the wire allows.
 */
export interface RawTradeRequest {
  readonly requestId: string;
  readonly action: TradeAction | 'UNSPECIFIED' | number;
  readonly baseToken: string;
  readonly quoteToken: string;
  readonly amount: string;
  readonly isBaseInput: boolean;
  readonly slippageToleranceBps?: number | undefined;
  /** uint64 on the wire: carried as a decimal string to keep all 64 bits. */
  readonly priorityFee: string;
  readonly simulateMev: boolean;
  readonly maxPriceImpactBps?: number | undefined;
  readonly metadata?: Readonly<Record<string, JsonValue>> | undefined;
  readonly portfolioId: string;
  readonly slippageModel?: SlippageModelSpec | undefined;
  readonly mevProtection: MevProtection | 'UNSPECIFIED' | number;
  /** Absent or UNSPECIFIED: the server's execution.pricing. */
  readonly executionPricing?: ExecutionPricing | 'UNSPECIFIED' | number;
}

/** A request that passed validation: tokens resolved, amounts in base units, defaults applied. */
export interface TradeRequest {
  readonly requestId: string;
  readonly portfolioId: string;
  readonly action: TradeAction;
  readonly base: Token;
  readonly quote: Token;
  /** In base units of `amountToken`. */
  readonly amount: Amount;
  readonly isBaseInput: boolean;
  /** Undefined: the configured default applies. */
  readonly slippageToleranceBps: number | undefined;
  readonly priorityFee: Lamports;
  readonly simulateMev: boolean;
  readonly maxPriceImpactBps: number | undefined;
  readonly metadata: Readonly<Record<string, JsonValue>> | undefined;
  readonly slippageModel: SlippageModelSpec | undefined;
  readonly mevProtection: MevProtection;
  /** As asked; undefined (not asked) means the server's execution.pricing. */
  readonly executionPricing?: ExecutionPricing | undefined;
}

/** The token `amount` is denominated in. */
export const amountToken = (r: Pick<TradeRequest, 'base' | 'quote' | 'isBaseInput'>): Token =>
  r.isBaseInput ? r.base : r.quote;
