import { amount } from '../../src/domain/amount.js';
import type { QuoteRequest, RouteQuote, UsdPrice } from '../../src/domain/market.js';
import { add, div, floor, mul, ONE, pow10, ratio, sub } from '../../src/domain/ratio.js';
import type { Token } from '../../src/domain/tokens.js';

/**
 * A one-hop constant-product quote from two USD prices and depths, for tests that need a SWAP
 * quote with a known formula: out = y * dx / (x + dx), with x, y half of the thinner depth.
 */
export function cpmmQuote(q: QuoteRequest, input: Token, output: Token, inUsd: UsdPrice, outUsd: UsdPrice): RouteQuote {
  const depth = inUsd.liquidityUsd ?? ratio(1_000_000n);
  const half = mul(depth, ratio(1n, 2n));
  const x = mul(div(half, inUsd.usd), ratio(pow10(input.decimals))); // input reserve, base units
  const y = mul(div(half, outUsd.usd), ratio(pow10(output.decimals)));
  const dx = ratio(q.amount);
  const out = floor(div(mul(y, dx), add(x, dx)));
  const mid = mul(div(y, x), dx);
  return {
    inputMint: q.inputMint,
    outputMint: q.outputMint,
    inAmount: q.amount,
    outAmount: amount(out),
    swapMode: 'ExactIn',
    priceImpact: sub(ONE, div(ratio(out), mid)),
    route: [{ label: 'Test CPMM', inputMint: q.inputMint, outputMint: q.outputMint, inAmount: q.amount, outAmount: out, percent: 100 }],
    source: 'fixed',
    contextSlot: undefined,
  };
}
