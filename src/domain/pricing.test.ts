import { describe, expect, it } from 'vitest';
import { fillTrade, priceTrade, toBps } from './pricing.js';
import { cmp, div, fromBps, fromDecimalString, mul, ONE, ratio, sub, toDecimalString } from './ratio.js';
import { JUP, request, routeQuote, SOL, USDC, usd } from '../../test/support/domain.js';

// Fixture prices of the Jupiter Price v3 sample: SOL 147.48 USD, USDC 0.9999 USD.
// Expected price = 147.48 / 0.9999 = 491600/3333 USDC per SOL. Slippage 100 bps.
// Every figure below was computed by hand with exact fractions (rounding noted per case).
const sol = usd(SOL, '147.48');
const usdc = usd(USDC, '0.9999');
const s = fromBps(100);
const P = ratio(491_600n, 3_333n);

describe('BUY and SELL on USD prices', () => {
  it('expected price is base_usd / quote_usd (quote per one base)', () => {
    const priced = priceTrade(request('BUY', SOL, USDC, 1_000_000_000n, true), sol, usdc, undefined);
    expect(cmp(priced.expectedPrice, P)).toBe(0);
  });

  it('BUY, is_base_input: receive exactly 1 SOL, pay ceil(P x 1.01 x 10^6) = 148,969,697 USDC units', () => {
    const r = request('BUY', SOL, USDC, 1_000_000_000n, true);
    const fill = fillTrade(r, priceTrade(r, sol, usdc, undefined), undefined, s);
    expect(fill.outputAmount).toBe(1_000_000_000n);
    expect(fill.inputAmount).toBe(148_969_697n);
    expect(cmp(fill.executedPrice, mul(P, ratio(101n, 100n)))).toBe(0);
  });

  it('BUY, quote input: spend exactly 100 USDC, receive floor(100 / (P x 1.01)) = 0.671277461 SOL', () => {
    const r = request('BUY', SOL, USDC, 100_000_000n, false);
    const fill = fillTrade(r, priceTrade(r, sol, usdc, undefined), undefined, s);
    expect(fill.inputAmount).toBe(100_000_000n);
    expect(fill.outputAmount).toBe(671_277_461n);
  });

  it('SELL, is_base_input: sell exactly 1 SOL, receive floor(P x 0.99 x 10^6) = 146,019,801 USDC units', () => {
    const r = request('SELL', SOL, USDC, 1_000_000_000n, true);
    const fill = fillTrade(r, priceTrade(r, sol, usdc, undefined), undefined, s);
    expect(fill.inputAmount).toBe(1_000_000_000n);
    expect(fill.outputAmount).toBe(146_019_801n);
    expect(cmp(fill.executedPrice, mul(P, ratio(99n, 100n)))).toBe(0);
  });

  it('SELL, quote input: receive exactly 100 USDC, pay ceil(100 / (P x 0.99)) = 0.684838623 SOL', () => {
    const r = request('SELL', SOL, USDC, 100_000_000n, false);
    const fill = fillTrade(r, priceTrade(r, sol, usdc, undefined), undefined, s);
    expect(fill.outputAmount).toBe(100_000_000n);
    expect(fill.inputAmount).toBe(684_838_623n);
  });

  it('zero slippage fills at the expected price', () => {
    const r = request('SELL', SOL, USDC, 1_000_000_000n, true);
    const fill = fillTrade(r, priceTrade(r, sol, usdc, undefined), undefined, ratio(0n));
    expect(toDecimalString(fill.executedPrice, 6, 'floor')).toBe('147.494749');
  });

  it('price impact grows with size on a pool of known depth (dx / (x + dx), x = half the depth)', () => {
    const deep = usd(SOL, '150', '1000000');
    const stable = usd(USDC, '1', '1000000');
    const small = priceTrade(request('BUY', SOL, USDC, 1_000_000_000n, true), deep, stable, undefined);
    const big = priceTrade(request('BUY', SOL, USDC, 1_000_000_000_000n, true), deep, stable, undefined);
    // $150 into $500k: 150 / 500150; $150k into $500k: 150000 / 650000.
    expect(cmp(small.priceImpact, ratio(150n, 500_150n))).toBe(0);
    expect(cmp(big.priceImpact, ratio(150_000n, 650_000n))).toBe(0);
    expect(toBps(big.priceImpact)).toBeCloseTo(2307.692308, 5);
  });
});

describe('SWAP on a route quote', () => {
  it('base -> quote: expected = out/in; output reduced by s and floored', () => {
    const r = request('SWAP', SOL, USDC, 1_000_000_000n, true);
    const q = routeQuote(SOL, USDC, 1_000_000_000n, 149_000_000n);
    const priced = priceTrade(r, sol, usdc, q);
    expect(toDecimalString(priced.expectedPrice, 18, 'floor')).toBe('149');
    const fill = fillTrade(r, priced, q, s);
    expect(fill.inputAmount).toBe(1_000_000_000n);
    expect(fill.outputAmount).toBe(147_510_000n); // floor(149,000,000 x 0.99)
    expect(toDecimalString(fill.executedPrice, 18, 'floor')).toBe('147.51');
  });

  it('quote -> base: expected = in/out (quote per base); executed = expected / (1 - s)', () => {
    const r = request('SWAP', JUP, USDC, 10_000_000n, false); // 10 USDC into JUP
    const q = routeQuote(USDC, JUP, 10_000_000n, 11_764_705n); // 11.764705 JUP
    const priced = priceTrade(r, usd(JUP, '0.85'), usd(USDC, '1'), q);
    expect(priced.input).toBe(USDC);
    expect(priced.output).toBe(JUP);
    expect(cmp(priced.expectedPrice, ratio(10_000_000n, 11_764_705n))).toBe(0);
    const fill = fillTrade(r, priced, q, s);
    expect(fill.outputAmount).toBe(11_647_057n); // floor(11,764,705 x 0.99) = floor(11,647,057.95)
    expect(cmp(fill.executedPrice, div(priced.expectedPrice, sub(ONE, s)))).toBe(0);
    expect(cmp(fill.executedPrice, priced.expectedPrice)).toBe(1); // adverse: pays more quote per base
  });

  it('the trade size in USD is the amount at its token price', () => {
    const r = request('SWAP', JUP, USDC, 10_000_000n, false);
    const priced = priceTrade(r, usd(JUP, '0.85'), usd(USDC, '1'), routeQuote(USDC, JUP, 10_000_000n, 1n));
    expect(cmp(priced.tradeUsd, fromDecimalString('10'))).toBe(0);
  });
});
