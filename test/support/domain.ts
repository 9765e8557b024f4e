import { amount, lamports } from '../../src/domain/amount.js';
import type { RouteQuote, UsdPrice } from '../../src/domain/market.js';
import { fromDecimalString, ZERO } from '../../src/domain/ratio.js';
import type { TradeAction, TradeRequest } from '../../src/domain/request.js';
import { createTokenRegistry, type Token } from '../../src/domain/tokens.js';

/** Shared fixtures for domain tests: the real registry and prices written as decimal strings. */
export const registry = createTokenRegistry();
export const SOL = registry.bySymbol('SOL');
export const USDC = registry.bySymbol('USDC');
export const JUP = registry.bySymbol('JUP');

export function usd(token: Token, price: string, liquidity?: string): UsdPrice {
  return {
    mint: token.mint,
    usd: fromDecimalString(price),
    liquidityUsd: liquidity === undefined ? undefined : fromDecimalString(liquidity),
    source: 'test',
    observedAtMs: 0,
  };
}

export function request(action: TradeAction, base: Token, quote: Token, units: bigint, isBaseInput: boolean): TradeRequest {
  return {
    requestId: '00000000-0000-4000-8000-000000000001',
    portfolioId: 'default',
    action,
    base,
    quote,
    amount: amount(units),
    isBaseInput,
    slippageToleranceBps: undefined,
    priorityFee: lamports(0n),
    simulateMev: false,
    maxPriceImpactBps: undefined,
    metadata: undefined,
    slippageModel: undefined,
    mevProtection: 'PUBLIC',
  };
}

export function routeQuote(input: Token, output: Token, inUnits: bigint, outUnits: bigint): RouteQuote {
  return {
    inputMint: input.mint,
    outputMint: output.mint,
    inAmount: amount(inUnits),
    outAmount: amount(outUnits),
    swapMode: 'ExactIn',
    priceImpact: ZERO,
    route: [],
    source: 'test',
    contextSlot: undefined,
  };
}
