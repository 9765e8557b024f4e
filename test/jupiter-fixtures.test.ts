/**
 * Every real Jupiter response in test/fixtures/jupiter (copied from shared/reference/jupiter) parses
 * into the client's types, every error body classifies as the client must treat it, and a three-hop
 * ExactOut route prices exactly.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { amount } from '../src/domain/amount.js';
import type { QuoteRequest } from '../src/domain/market.js';
import { priceTrade } from '../src/domain/pricing.js';
import { fromNumber, ratio, ratioToString, toDecimalString } from '../src/domain/ratio.js';
import { createTokenRegistry, mint, type Mint } from '../src/domain/tokens.js';
import { request as swapRequest } from './support/domain.js';
import { toBps } from '../src/domain/pricing.js';
import {
  classifyError,
  MalformedResponseError,
  parsePriceV3,
  parseQuoteWire,
  parseTokenSearch,
  toRouteQuote,
} from '../src/market/jupiter-wire.js';

const DIR = new URL('./fixtures/jupiter/', import.meta.url);
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as unknown;
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const tokens = createTokenRegistry();
const SOL = tokens.bySymbol('SOL');
const USDC = tokens.bySymbol('USDC');
const MSOL = tokens.bySymbol('mSOL');
const JUP = tokens.bySymbol('JUP');

describe('fixtures', () => {
  it('are all present and each one is covered by a parser below', () => {
    expect(files.sort()).toEqual([
      'errors.json',
      'price-v3-jup-sol-minimal.json',
      'price-v3-sol-jup.json',
      'price-v3-sol-usdc.json',
      'quote-v1-sol-usdc-exactin-1hop-2025.json',
      'quote-v1-sol-usdc-exactin-1hop.json',
      'quote-v1-sol-usdc-raydium-clmm.json',
      'quote-v6-msol-usdc-exactout-3hop.json',
      'quote-v6-sol-usdt-usdc-exactin-2hop.json',
      'tokens-v2-search-jup.json',
    ]);
  });

  for (const f of files.filter((n) => n.startsWith('price-v3'))) {
    it(`${f} parses into exact, validated USD prices`, () => {
      const body = fixture(f) as Record<string, { usdPrice: number; liquidity?: number }>;
      const asked = Object.keys(body).map((k) => mint(k));
      const { prices, rejected } = parsePriceV3(body, asked, 'jupiter:https://api.jup.ag', 1);
      expect(rejected).toEqual([]);
      expect(prices.size).toBe(asked.length);
      for (const m of asked) {
        const p = prices.get(m);
        const raw = body[m];
        expect(p?.usd).toEqual(fromNumber(raw?.usdPrice ?? NaN));
        expect(p?.liquidityUsd).toEqual(raw?.liquidity === undefined ? undefined : fromNumber(raw.liquidity));
        expect(p?.source).toBe('jupiter:https://api.jup.ag');
      }
    });
  }

  it('price-v3-sol-usdc.json: SOL is exactly 147.48 USD with 621,679,197.67 USD of liquidity', () => {
    const { prices } = parsePriceV3(fixture('price-v3-sol-usdc.json'), [SOL.mint, USDC.mint], 'jupiter:x', 1);
    expect(prices.get(SOL.mint)?.usd).toEqual(ratio(14748n, 100n));
    expect(prices.get(SOL.mint)?.liquidityUsd).toEqual(ratio(62167919767n, 100n));
    expect(prices.get(USDC.mint)?.usd).toEqual(ratio(9999n, 10000n));
  });

  it('a mint asked for but absent from a 200 answer is unpriced, not an error', () => {
    const { prices, rejected } = parsePriceV3(fixture('price-v3-sol-jup.json'), [SOL.mint, JUP.mint, USDC.mint], 'jupiter:x', 1);
    expect([...prices.keys()]).toEqual([SOL.mint, JUP.mint]);
    expect(rejected).toEqual([]);
  });

  for (const f of files.filter((n) => n.startsWith('quote-'))) {
    it(`${f} parses into a RouteQuote with bigint amounts and a fractional price impact`, () => {
      const raw = fixture(f) as { inAmount: string; outAmount: string; swapMode: string; routePlan: unknown[]; priceImpactPct: string };
      const wire = parseQuoteWire(raw);
      const q = toRouteQuote(wire, 'jupiter:https://api.jup.ag');
      expect(q.inAmount).toBe(BigInt(raw.inAmount));
      expect(q.outAmount).toBe(BigInt(raw.outAmount));
      expect(q.swapMode).toBe(raw.swapMode);
      expect(q.route).toHaveLength(raw.routePlan.length);
      expect(toDecimalString(q.priceImpact, 30, 'floor')).toBe(raw.priceImpactPct.replace(/\.?0+$/, '') || '0');
      // Hops chain: each hop's output mint is the next hop's input mint.
      for (let i = 1; i < q.route.length; i++) expect(q.route[i]?.inputMint).toBe(q.route[i - 1]?.outputMint);
    });
  }

  it('the deprecated feeAmount/feeMint of the 2025 shape are read when present and optional otherwise', () => {
    const old = parseQuoteWire(fixture('quote-v1-sol-usdc-exactin-1hop-2025.json'));
    const current = parseQuoteWire(fixture('quote-v1-sol-usdc-exactin-1hop.json'));
    expect(old.routePlan[0]?.swapInfo.feeAmount).toBe(24825n);
    expect(current.routePlan[0]?.swapInfo.feeAmount).toBeUndefined();
    expect(toRouteQuote(old, 's')).toEqual(toRouteQuote(current, 's'));
  });

  it('priceImpactPct is a fraction: "0.01" on the Raydium CLMM quote is 100 bps, not 1 bp', () => {
    const q = toRouteQuote(parseQuoteWire(fixture('quote-v1-sol-usdc-raydium-clmm.json')), 's');
    expect(q.priceImpact).toEqual(ratio(1n, 100n));
    expect(toBps(q.priceImpact)).toBe(100);
  });

  it('the two-hop ExactIn quote summarises its route: Whirlpool then Meteora DLMM, through USDT', () => {
    const q = toRouteQuote(parseQuoteWire(fixture('quote-v6-sol-usdt-usdc-exactin-2hop.json')), 's');
    expect(q.route.map((h) => h.label)).toEqual(['Whirlpool', 'Meteora DLMM']);
    expect(q.route[0]?.outputMint).toBe(tokens.bySymbol('USDT').mint);
    expect(ratioToString(q.priceImpact)).toBe(ratioToString(ratio(146888216121999999999995n, 10n ** 27n)));
  });

  it('the three-hop ExactOut quote (mSOL -> SOL -> HNT -> 5 USDC) prices exactly', () => {
    const req: QuoteRequest = { inputMint: MSOL.mint, outputMint: USDC.mint, amount: amount(5_000_000n), swapMode: 'ExactOut', slippageBps: 50 };
    const q = toRouteQuote(parseQuoteWire(fixture('quote-v6-msol-usdc-exactout-3hop.json')), 'jupiter:https://api.jup.ag', req);
    expect(q.inAmount).toBe(23_698_263n);
    expect(q.outAmount).toBe(5_000_000n);
    expect(q.route.map((h) => `${h.label} ${tokens.find(h.inputMint)?.symbol}->${tokens.find(h.outputMint)?.symbol}`)).toEqual([
      'Raydium CLMM mSOL->SOL',
      'Whirlpool SOL->HNT',
      'Whirlpool HNT->USDC',
    ]);
    // Route rate, USDC per mSOL = (5,000,000 / 10^6) / (23,698,263 / 10^9) = 5,000,000,000 / 23,698,263.
    const request = swapRequest('SWAP', MSOL, USDC, 23_698_263n, true);
    const usd = (m: Mint, n: bigint) => ({ mint: m, usd: ratio(n), liquidityUsd: undefined, source: 'jupiter:x', observedAtMs: 0 });
    const priced = priceTrade(request, usd(MSOL.mint, 211n), usd(USDC.mint, 1n), q);
    expect(priced.expectedPrice).toEqual(ratio(5_000_000_000n, 23_698_263n));
    expect(toDecimalString(priced.expectedPrice, 6, 'floor')).toBe('210.985927');
    expect(priced.priceImpact).toEqual(ratio(0n));
  });

  it('a quote for another amount or mode than asked is refused as malformed', () => {
    const wire = parseQuoteWire(fixture('quote-v6-msol-usdc-exactout-3hop.json'));
    const asked: QuoteRequest = { inputMint: MSOL.mint, outputMint: USDC.mint, amount: amount(6_000_000n), swapMode: 'ExactOut', slippageBps: 50 };
    expect(() => toRouteQuote(wire, 's', asked)).toThrow(MalformedResponseError);
    expect(() => toRouteQuote(wire, 's', { ...asked, amount: amount(5_000_000n), swapMode: 'ExactIn' })).toThrow(MalformedResponseError);
  });

  it('tokens-v2-search-jup.json parses into mint, symbol and decimals', () => {
    expect(parseTokenSearch(fixture('tokens-v2-search-jup.json'))).toEqual([
      { mint: JUP.mint, symbol: 'JUP', decimals: 6, usdPrice: 0.1415, liquidity: 2992387.89 },
    ]);
  });

  it('errors.json: each error classifies on status and errorCode, never on message text', () => {
    const errors = fixture('errors.json') as Record<string, { status: number; body?: unknown; text?: string }>;
    const kinds = Object.fromEntries(
      Object.entries(errors).map(([k, e]) => [k, classifyError(e.status, e.text ?? JSON.stringify(e.body)).kind]),
    );
    expect(kinds).toEqual({
      E1_no_route: 'no-route',
      E2_no_routes: 'no-route',
      E3_not_tradable: 'no-route',
      E4_decimal_amount: 'bad-request',
      E5_bad_mint: 'bad-request',
      E6_same_mint: 'bad-request',
      E7_unauthorized: 'auth',
      E8_forbidden: 'auth',
      E9_rate_limited: 'rate-limited',
    });
    expect(classifyError(400, JSON.stringify({ error: 'Could not find any route' })).kind).toBe('bad-request');
    expect(classifyError(502, '<html>bad gateway</html>').kind).toBe('server');
    expect(classifyError(429, '{"message":"Rate limit exceeded"}').message).toBe('Rate limit exceeded');
  });
});
