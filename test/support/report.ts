import { amount, lamports } from '../../src/domain/amount.js';
import { DEFAULT_FEES, networkFee, type FeeSchedule } from '../../src/domain/fees.js';
import type { Position } from '../../src/domain/ledger.js';
import { fillTrade, nanoUsd, priceTrade, toBps } from '../../src/domain/pricing.js';
import { add, fromBps, reduced, ZERO, type Ratio } from '../../src/domain/ratio.js';
import type { JsonValue, TradeAction, TradeStatus } from '../../src/domain/request.js';
import { registry, request, routeQuote, SOL, usd, USDC } from './domain.js';
import type { Mint, Token } from '../../src/domain/tokens.js';
import { NO_MEV } from '../../src/domain/trade.js';
import { computeMark, type Mark } from '../../src/report/marks.js';
import type { ReportInput, ReportTrade } from '../../src/report/report.js';

export { JUP, registry, SOL, USDC } from './domain.js';

/** A trade as the executor would book it, built with the domain's own pricing, fill and fee functions. */
export interface TradeSpec {
  readonly sequence: number;
  readonly atMs: number;
  readonly action: TradeAction;
  readonly base: Token;
  readonly quote: Token;
  /** Base units of base (isBaseInput) or quote. */
  readonly amount: bigint;
  readonly isBaseInput: boolean;
  /** USD prices as decimal strings. */
  readonly baseUsd: string;
  readonly quoteUsd: string;
  readonly baseLiquidityUsd?: string;
  /** SWAP only: the route quote's amounts and impact. */
  readonly route?: { readonly inUnits: bigint; readonly outUnits: bigint; readonly impact: Ratio };
  /** The slippage model's adverse fraction and the MEV loss fraction. */
  readonly slippage?: Ratio;
  readonly mevLoss?: Ratio;
  readonly status?: TradeStatus;
  readonly fees?: FeeSchedule;
  readonly priorityFee?: bigint;
  readonly opensAccount?: boolean;
  readonly metadata?: Readonly<Record<string, JsonValue>>;
  readonly portfolioId?: string;
}

export function makeTrade(s: TradeSpec): ReportTrade {
  const req = { ...request(s.action, s.base, s.quote, s.amount, s.isBaseInput), portfolioId: s.portfolioId ?? 'default' };
  const base = usd(s.base, s.baseUsd, s.baseLiquidityUsd);
  const quote = usd(s.quote, s.quoteUsd);
  const input = s.action === 'BUY' || (s.action === 'SWAP' && !s.isBaseInput) ? s.quote : s.base;
  const output = input === s.base ? s.quote : s.base;
  const route = s.route && { ...routeQuote(input, output, s.route.inUnits, s.route.outUnits), priceImpact: s.route.impact };
  const priced = priceTrade(req, base, quote, route);
  const slippage = s.slippage ?? ZERO;
  const mevLoss = s.mevLoss ?? ZERO;
  const fill = fillTrade(req, priced, route, add(slippage, mevLoss));
  const status = s.status ?? 'FILLED';
  const filled = status === 'FILLED';
  const fees = networkFee(s.fees ?? DEFAULT_FEES, lamports(s.priorityFee ?? 0n), filled && (s.opensAccount ?? false));
  return {
    tradeId: `t${s.sequence}`,
    requestId: `r${s.sequence}`,
    portfolioId: req.portfolioId,
    sequence: s.sequence,
    action: s.action,
    status,
    base: s.base,
    quote: s.quote,
    input: priced.input,
    output: priced.output,
    inputAmount: fill.inputAmount,
    outputAmount: filled ? fill.outputAmount : amount(0n),
    expectedPrice: priced.expectedPrice,
    executedPrice: fill.executedPrice,
    slippageBps: toBps(slippage),
    mevImpactBps: toBps(mevLoss),
    priceImpactBps: toBps(priced.priceImpact),
    fees,
    executedAtMs: s.atMs,
    priceSource: 'test',
    mev: mevLoss.n > 0n ? { ...NO_MEV, simulated: true, attacked: true } : NO_MEV,
    slippageModel: 'fixed',
    slippageExplanation: '',
    seed: 0n,
    route: [],
    failureReason: filled ? undefined : 'test',
    inputValueNanoUsd: nanoUsd(fill.inputAmount, priced.input.decimals, priced.inputUsdPrice),
    inputs: {
      amount: amount(s.amount),
      isBaseInput: s.isBaseInput,
      maxPriceImpactBps: undefined,
      fingerprint: '',
      baseUsd: reduced(base.usd),
      quoteUsd: reduced(quote.usd),
      baseLiquidityUsd: base.liquidityUsd && reduced(base.liquidityUsd),
      quoteLiquidityUsd: undefined,
      priceSource: 'test',
      quote: undefined,
      slippageModel: { name: 'fixed', params: {} },
      slippageToleranceBps: 100,
      priorityFee: lamports(s.priorityFee ?? 0n),
      simulateMev: mevLoss.n > 0n,
      mevProtection: 'PUBLIC',
    },
    warnings: [],
    ...(s.metadata ? { metadata: s.metadata } : {}),
  };
}

/** Balances by token, as the ledger holds them. */
export const positionsOf = (balances: readonly (readonly [Token, bigint])[]): Map<Mint, Position> =>
  new Map(balances.map(([t, units]) => [t.mint, { amount: units, costNanoUsd: 0n }] as const));

/** Prices by token from decimal strings. */
export const pricesOf = (prices: readonly (readonly [Token, string])[]): Map<Mint, ReturnType<typeof usd>> =>
  new Map(prices.map(([t, p]) => [t.mint, usd(t, p)] as const));

/** A mark of the given balances at the given prices. */
export function markOf(sequence: number, atMs: number, balances: readonly (readonly [Token, bigint])[], prices: readonly (readonly [Token, string])[], portfolioId = 'default'): Mark {
  return computeMark({ portfolioId, sequence, positions: positionsOf(balances) }, registry, pricesOf(prices), atMs);
}

/**
 * A fixed history for reports: 10 SOL and 1,000 USDC at SOL $100 ($2,000); a BUY of 1 SOL with 100 bps
 * slippage; SOL to $120 and $90; a SELL of 2 SOL tagged "momentum" with slippage, impact and MEV; a
 * BUY that fails on slippage at SOL $110 (tagged "momentum"). Six marks over four UTC days of 2024.
 */
export const REPORT_T0 = Date.UTC(2024, 0, 1);
export function sampleReportInput(portfolioId = 'default'): Omit<ReportInput, 'fromMs' | 'toMs' | 'groupBy' | 'maxPoints'> {
  const H = 3_600_000;
  const T0 = REPORT_T0;
  const s1 = 10_999_995_000n;
  const s2 = 8_999_980_000n;
  const s3 = 8_999_975_000n;
  const marks: Mark[] = [
    markOf(1, T0, [[SOL, 10_000_000_000n], [USDC, 1_000_000_000n]], [[SOL, '100'], [USDC, '1']], portfolioId),
    markOf(2, T0 + 12 * H, [[SOL, s1], [USDC, 899_000_000n]], [[SOL, '100'], [USDC, '1']], portfolioId),
    markOf(2, T0 + 36 * H, [[SOL, s1], [USDC, 899_000_000n]], [[SOL, '120'], [USDC, '1']], portfolioId),
    markOf(2, T0 + 60 * H, [[SOL, s1], [USDC, 899_000_000n]], [[SOL, '90'], [USDC, '1']], portfolioId),
    markOf(3, T0 + 61 * H, [[SOL, s2], [USDC, 1_077_200_000n]], [[SOL, '90'], [USDC, '1']], portfolioId),
    markOf(4, T0 + 84 * H, [[SOL, s3], [USDC, 1_077_200_000n]], [[SOL, '110'], [USDC, '1']], portfolioId),
  ];
  const common = { base: SOL, quote: USDC, quoteUsd: '1', isBaseInput: true, portfolioId } as const;
  const trades = [
    makeTrade({ ...common, sequence: 2, atMs: T0 + 12 * H, action: 'BUY', amount: 1_000_000_000n, baseUsd: '100', slippage: fromBps(100) }),
    makeTrade({
      ...common,
      sequence: 3,
      atMs: T0 + 61 * H,
      action: 'SELL',
      amount: 2_000_000_000n,
      baseUsd: '90',
      baseLiquidityUsd: '119640',
      slippage: fromBps(50),
      mevLoss: fromBps(50),
      priorityFee: 10_000n,
      metadata: { strategy: 'momentum' },
    }),
    makeTrade({ ...common, sequence: 4, atMs: T0 + 84 * H, action: 'BUY', amount: 1_000_000_000n, baseUsd: '110', status: 'FAILED_SLIPPAGE', metadata: { strategy: 'momentum' } }),
  ];
  return { portfolioId, trades, marks, sol: SOL };
}
