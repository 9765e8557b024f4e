import type { Amount, Lamports } from './amount.js';
import type { RouteHop } from './market.js';
import type { Ratio } from './ratio.js';
import type { ExecutionPricing, JsonValue, MevProtection, SlippageModelSpec, TradeAction, TradeStatus } from './request.js';
import type { Token } from './tokens.js';

export interface FeeBreakdown {
  readonly signatures: number;
  readonly baseFee: Lamports;
  readonly priorityFee: Lamports;
  readonly rent: Lamports;
  readonly total: Lamports;
}

export type MevRiskLevel = 'none' | 'low' | 'medium' | 'high';

export interface MevOutcome {
  readonly simulated: boolean;
  readonly attackProbability: number;
  readonly attacked: boolean;
  readonly reverted: boolean;
  /** USD lost to the attack, as a decimal string. */
  readonly lossUsd: string;
  readonly riskLevel: MevRiskLevel;
}

export const NO_MEV: MevOutcome = {
  simulated: false,
  attackProbability: 0,
  attacked: false,
  reverted: false,
  lossUsd: '0',
  riskLevel: 'none',
};

/**
 * What a trade was priced from: enough to re-execute it with no network and get the same result.
 * Typed values (the validated request's and the market snapshot's); the journal's codec is the only
 * place they become strings. Ratios are kept in lowest terms, as the codec reads them back.
 */
export interface TradeInputs {
  /** The request's amount in base units of base (is_base_input) or quote. */
  readonly amount: Amount;
  readonly isBaseInput: boolean;
  readonly maxPriceImpactBps: number | undefined;
  /** Canonical payload fingerprint: the idempotency check after a restart compares against it. */
  readonly fingerprint: string;
  /** USD price of base and quote. */
  readonly baseUsd: Ratio;
  readonly quoteUsd: Ratio;
  readonly baseLiquidityUsd: Ratio | undefined;
  readonly quoteLiquidityUsd: Ratio | undefined;
  readonly priceSource: string;
  /** The route quote a SWAP was priced on, amounts in base units. */
  readonly quote:
    | {
        readonly inAmount: Amount;
        readonly outAmount: Amount;
        readonly priceImpact: Ratio;
        readonly route: readonly RouteHop[];
        readonly source: string;
      }
    | undefined;
  readonly slippageModel: SlippageModelSpec;
  readonly slippageToleranceBps: number;
  readonly priorityFee: Lamports;
  readonly simulateMev: boolean;
  readonly mevProtection: MevProtection;
}

/**
 * A landing-time trade's timing (DESIGN.md, execution timing): the landing delay drawn from the
 * trade's seed, and when the market it was priced on was observed (never before sentAtMs + delayMs).
 */
export interface TradeLanding {
  readonly pricing: ExecutionPricing;
  readonly slots: number;
  readonly delayMs: number;
  /** When the request was taken: the moment a live transaction would have been sent. */
  readonly sentAtMs: number;
  /** When the price lookup began, after the wait. */
  readonly pricedAtMs: number;
}

/** One booked trade, filled or failed. The unit the ledger, the journal and every API speak of. */
export interface Trade {
  readonly tradeId: string;
  readonly requestId: string;
  readonly portfolioId: string;
  /** Position in the portfolio's ledger (1-based). */
  readonly sequence: number;
  readonly action: TradeAction;
  readonly status: TradeStatus;
  readonly base: Token;
  readonly quote: Token;
  readonly input: Token;
  readonly output: Token;
  readonly inputAmount: Amount;
  /** 0 when failed. */
  readonly outputAmount: Amount;
  /** Quote per one base. */
  readonly expectedPrice: Ratio;
  readonly executedPrice: Ratio;
  readonly slippageBps: number;
  readonly mevImpactBps: number;
  readonly priceImpactBps: number;
  readonly fees: FeeBreakdown;
  readonly executedAtMs: number;
  readonly priceSource: string;
  readonly mev: MevOutcome;
  readonly slippageModel: string;
  readonly slippageExplanation: string;
  readonly seed: bigint;
  readonly route: readonly RouteHop[];
  readonly failureReason: string | undefined;
  /** USD value of the input at the moment of the trade (the trade's size); nano-USD. */
  readonly inputValueNanoUsd: bigint;
  readonly inputs: TradeInputs;
  readonly warnings: readonly string[];
  /** Set on a landing-time trade; absent when priced immediately (and on every older record). */
  readonly landing?: TradeLanding;
  /** The request's metadata (e.g. {"strategy": "momentum-v2"}); absent when it had none (or {}), and on older records. */
  readonly metadata?: Readonly<Record<string, JsonValue>>;
}
