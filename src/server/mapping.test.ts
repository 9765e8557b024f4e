import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ratio } from '../domain/ratio.js';
import { isExecutorError } from '../domain/errors.js';
import { contractRoot, serviceDefinition } from '../contract/index.js';
import type { JsonValue } from '../domain/request.js';
import type { Trade } from '../domain/trade.js';
import type { PortfolioSummary, TradeResult } from '../executor/types.js';
import {
  executedPriceRounding,
  portfolioToWire,
  timestampFromMs,
  tradeForEncoding,
  tradeRequestFromWire,
  tradeResultForEncoding,
  tradeResultToWire,
  tradeToWire,
  type DecodedTradeRequest,
} from './mapping.js';
import { SOL, USDC, sampleTrade } from '../../test/fakes/fake-executor.js';

/** A portfolio of 1.5 SOL worth $225, 7 trades, 2^60 lamports of fees: both sides of 2^53 in one summary. */
const samplePortfolio = (over: Partial<PortfolioSummary> = {}): PortfolioSummary => ({
  portfolioId: 'default',
  balances: [{ token: SOL, amount: 1_500_000_000n as never, usdValue: '225', avgCostUsd: '150' }],
  totalValueUsd: '225',
  realizedPnlUsd: '0',
  unrealizedPnlUsd: '0',
  tradeCount: 7,
  feesPaidLamports: 1n << 60n,
  updatedAtMs: 0,
  priceSource: 'sim',
  ...over,
});

const wireRequest = (over: Partial<DecodedTradeRequest> = {}): DecodedTradeRequest => ({
  requestId: 'r',
  action: 'TRADE_ACTION_BUY',
  baseToken: 'SOL',
  quoteToken: 'USDC',
  amount: '1',
  isBaseInput: true,
  priorityFee: '0',
  simulateMev: false,
  metadata: null,
  portfolioId: '',
  slippageModel: null,
  mevProtection: 'MEV_PROTECTION_UNSPECIFIED',
  ...over,
});

describe('tradeRequestFromWire', () => {
  it('names every known enum value by its short domain name', () => {
    expect(tradeRequestFromWire(wireRequest({ action: 'TRADE_ACTION_SWAP' })).action).toBe('SWAP');
    expect(tradeRequestFromWire(wireRequest({ action: 'TRADE_ACTION_UNSPECIFIED' })).action).toBe('UNSPECIFIED');
    expect(tradeRequestFromWire(wireRequest({ mevProtection: 'MEV_PROTECTION_JITO_DONTFRONT' })).mevProtection).toBe('JITO_DONTFRONT');
    expect(tradeRequestFromWire(wireRequest({ mevProtection: 'MEV_PROTECTION_PRIVATE' })).mevProtection).toBe('PRIVATE');
  });

  it('passes unknown enum numbers through unchanged', () => {
    const raw = tradeRequestFromWire(wireRequest({ action: 99, mevProtection: 5 }));
    expect(raw.action).toBe(99);
    expect(raw.mevProtection).toBe(5);
  });

  it('keeps optional scalars absent when unset and present when zero', () => {
    expect(tradeRequestFromWire(wireRequest()).slippageToleranceBps).toBeUndefined();
    expect(tradeRequestFromWire(wireRequest({ slippageToleranceBps: 0, maxPriceImpactBps: 0 }))).toMatchObject({
      slippageToleranceBps: 0,
      maxPriceImpactBps: 0,
    });
  });

  it('reads a slippage model spec with absent params as empty params', () => {
    expect(tradeRequestFromWire(wireRequest({ slippageModel: { name: 'cpmm', params: null } })).slippageModel).toEqual({ name: 'cpmm', params: {} });
  });

  it('rejects a too-deep slippage_model.params as INVALID_ARGUMENT naming the field', () => {
    let v: Record<string, unknown> = { fields: { x: { numberValue: 1 } } };
    for (let i = 0; i < 40; i++) v = { fields: { d: { structValue: v } } };
    try {
      tradeRequestFromWire(wireRequest({ slippageModel: { name: 'fixed', params: v as never } }));
      expect.unreachable();
    } catch (e) {
      expect(isExecutorError(e, 'INVALID_ARGUMENT') && e.context.field).toBe('slippage_model.params');
    }
  });
});

describe('tradeToWire', () => {
  it('rounds the executed price against the trader: BUY up, SELL down; SWAP by direction', () => {
    const third = ratio(1n, 3n);
    const buy = tradeToWire(sampleTrade({ executedPrice: third, expectedPrice: third }));
    expect(buy.executedPrice).toBe('0.333333333333333334');
    expect(buy.expectedPrice).toBe('0.333333333333333333');
    const sell = tradeToWire(sampleTrade({ action: 'SELL', input: SOL, output: USDC, executedPrice: third }));
    expect(sell.executedPrice).toBe('0.333333333333333333');
    expect(executedPriceRounding({ action: 'SWAP', input: USDC, quote: USDC })).toBe('ceil');
    expect(executedPriceRounding({ action: 'SWAP', input: SOL, quote: USDC })).toBe('floor');
  });

  it('formats amounts with each token\'s decimals and a failed trade\'s output as "0"', () => {
    const t = tradeToWire(sampleTrade({ status: 'FAILED_SLIPPAGE', outputAmount: 0n as never, failureReason: 'slippage 120 bps > tolerance 100 bps' }));
    expect(t.status).toBe('TRADE_STATUS_FAILED_SLIPPAGE');
    expect(t.inputAmount).toBe('225.000001');
    expect(t.outputAmount).toBe('0');
    expect(t.failureReason).toBe('slippage 120 bps > tolerance 100 bps');
  });
});

describe('timestampFromMs', () => {
  it('splits milliseconds into seconds and nanos, nanos always in [0, 1e9)', () => {
    expect(timestampFromMs(1_700_000_000_123)).toEqual({ seconds: '1700000000', nanos: 123_000_000 });
    expect(timestampFromMs(-1)).toEqual({ seconds: '-1', nanos: 999_000_000 });
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e15 }), (ms) => {
        const ts = timestampFromMs(ms);
        expect(ts.nanos).toBeGreaterThanOrEqual(0);
        expect(ts.nanos).toBeLessThan(1e9);
        expect(Number(ts.seconds) * 1000 + ts.nanos / 1e6).toBe(ms);
      }),
    );
  });
});

describe('tradeResultForEncoding', () => {
  const encode = serviceDefinition('paper_trader.v1.PaperTradeExecutor').ExecuteTrade.responseSerialize;
  /** What the server writes: protobufjs's own encode, with no fromObject before it (grpc-server.ts). */
  const resultType = contractRoot().lookupType('paper_trader.v1.TradeResult');
  const encodeDirectly = (r: TradeResult): Buffer => Buffer.from(resultType.encode(tradeResultForEncoding(r)).finish());
  const result = (seed: bigint, fee: bigint, updatedAtMs: number, over: Partial<Trade> = {}): TradeResult => {
    const trade = sampleTrade({ seed, ...over });
    return {
      requestId: trade.requestId,
      trade: { ...trade, fees: { ...trade.fees, priorityFee: fee as never, total: (trade.fees.baseFee + fee) as never } },
      portfolio: samplePortfolio({ updatedAtMs, stateHash: 'ab'.repeat(32) }),
      metrics: { totalUs: 812.6, validationUs: 0, priceLookupUs: -1, slippageUs: Number.NaN, mevUs: 3.2, portfolioUpdateUs: 9, journalUs: 400.5, cacheHit: true, priceFetchAttempts: 1, priceSource: 'sim' },
      warnings: ['w1', 'w2'],
    };
  };
  /** The reply the way every other method's is encoded: names, decimal strings, through fromObject. */
  const expected = (r: TradeResult): Buffer => encode(tradeResultToWire(r));

  it('encodes to the very bytes of tradeResultToWire, small and huge uint64 values alike', () => {
    for (const [seed, fee, updatedAtMs] of [
      [0n, 0n, 0],
      [12_345n, 999_999n, 1_700_000_000_123],
      [(1n << 64n) - 1n, 2n ** 53n + 1n, 1_700_000_000_999],
      [BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER), 1],
      [2n ** 32n, 2n ** 53n, 1],
    ] as const) {
      const r = result(seed, fee, updatedAtMs);
      expect(encode(tradeResultForEncoding(r) as never).equals(expected(r))).toBe(true);
      expect(encodeDirectly(r).equals(expected(r))).toBe(true);
    }
  });

  it('gives every action, status and execution pricing its number, and the landing, mev and failure fields', () => {
    const landing = (pricing: 'IMMEDIATE' | 'LANDING') => ({ pricing, slots: 3, delayMs: 1_200, sentAtMs: 1_700_000_000_001, pricedAtMs: 1_700_000_001_201 });
    const trades: Partial<Trade>[] = [
      { action: 'SELL', input: SOL, output: USDC },
      { action: 'SWAP', route: [] },
      { status: 'FAILED_SLIPPAGE', failureReason: 'slippage 120 bps > tolerance 100 bps' },
      { status: 'FAILED_MEV', mev: { simulated: true, attackProbability: 0.35, attacked: true, reverted: true, lossUsd: '1.25', riskLevel: 'high' } },
      { landing: landing('LANDING') },
      { landing: landing('IMMEDIATE') },
    ];
    for (const over of trades) {
      const r = result(42n, 10_000n, 1_700_000_000_123, over);
      expect(encodeDirectly(r).equals(expected(r))).toBe(true);
    }
  });

  it('encodes any JSON metadata as the Struct tradeResultToWire gives', () => {
    const key = fc.oneof(fc.string(), fc.constant('__proto__'));
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 5 }), (metadata) => {
        const r = result(7n, 0n, 1, { metadata: metadata as Readonly<Record<string, JsonValue>> });
        expect(encodeDirectly(r).equals(expected(r))).toBe(true);
      }),
    );
    const proto = JSON.parse('{"__proto__": {"x": 1}, "strategy": "momentum", "none": null, "nested": {"__proto__": [1, "a"]}}') as Record<string, JsonValue>;
    const r = result(7n, 0n, 1, { metadata: proto });
    expect(encodeDirectly(r).equals(expected(r))).toBe(true);
  });
  it('encodes a streamed Trade to the very bytes of tradeToWire, directly or through proto-loader', () => {
    const encodeTrade = serviceDefinition('paper_trader.v1.PaperTradeExecutor').StreamTrades.responseSerialize;
    const tradeType = contractRoot().lookupType('paper_trader.v1.Trade');
    const landing = { pricing: 'LANDING' as const, slots: 3, delayMs: 1_200, sentAtMs: 1_700_000_000_001, pricedAtMs: 1_700_000_001_201 };
    for (const over of [{}, { action: 'SWAP', route: [] }, { status: 'FAILED_MEV', failureReason: 'sandwiched' }, { landing, metadata: { a: null, b: [1, 'x'] } }] as Partial<Trade>[]) {
      const t = sampleTrade(over);
      const bytes = encodeTrade(tradeToWire(t));
      expect(encodeTrade(tradeForEncoding(t)).equals(bytes)).toBe(true);
      expect(Buffer.from(tradeType.encode(tradeForEncoding(t)).finish()).equals(bytes)).toBe(true);
    }
  });

  it('is, in the decoded shape, what a gRPC client decodes from the reply', () => {
    const decode = serviceDefinition('paper_trader.v1.PaperTradeExecutor').ExecuteTrade.responseDeserialize;
    const landing = { pricing: 'IMMEDIATE' as const, slots: 0, delayMs: 0, sentAtMs: 1_700_000_000_001, pricedAtMs: 1_700_000_000_001 };
    for (const r of [result(42n, 10_000n, 1_700_000_000_123), result((1n << 64n) - 1n, 0n, 0, { landing, status: 'FAILED_SLIPPAGE', failureReason: 'x' })]) {
      expect(decode(encodeDirectly(r))).toEqual(tradeResultToWire(r));
    }
  });
});

describe('the decoded shape (tradeResultToWire, portfolioToWire)', () => {
  // The HTTP API's JSON and `pte export`'s JSON lines are this shape as text: field order, null for
  // an unset message and "" for an unset string are part of what they write.
  it('writes every field, in the contract order, as the HTTP API and pte export show it', () => {
    const r: TradeResult = {
      requestId: 'req',
      trade: sampleTrade({
        landing: { pricing: 'LANDING', slots: 3, delayMs: 1_200, sentAtMs: 1_700_000_000_001, pricedAtMs: 1_700_000_001_201 },
        metadata: { strategy: 'momentum', none: null, tags: [1, 'a'] },
      }),
      portfolio: samplePortfolio({ updatedAtMs: 1_700_000_000_123, stateHash: 'ab' }),
      metrics: { totalUs: 812.6, validationUs: 0, priceLookupUs: -1, slippageUs: Number.NaN, mevUs: 3.2, portfolioUpdateUs: 9, journalUs: 400.5, cacheHit: true, priceFetchAttempts: 1, priceSource: 'sim' },
      warnings: ['w1'],
    };
    const token = (t: typeof SOL) => ({ symbol: t.symbol, mint: t.mint, decimals: t.decimals });
    const timestamp = (seconds: string, nanos: number) => ({ seconds, nanos });
    const balances = [{ token: token(SOL), amount: '1.5', usdValue: '225', avgCostUsd: '150' }];
    const expected = {
      requestId: 'req',
      trade: {
        tradeId: 'trade-1',
        requestId: '6f1c1f1e-9a0b-4c4d-8e8f-0a1b2c3d4e5f',
        portfolioId: 'default',
        action: 'TRADE_ACTION_BUY',
        status: 'TRADE_STATUS_FILLED',
        base: token(SOL),
        quote: token(USDC),
        input: token(USDC),
        output: token(SOL),
        inputAmount: '225.000001',
        outputAmount: '1.5',
        expectedPrice: '149.666666666666666666',
        executedPrice: '150.333333333333333334',
        slippageBps: 44.5,
        mevImpactBps: 0,
        priceImpactBps: 1.25,
        networkFeeLamports: '2054280',
        executedAt: timestamp('1700000000', 123_000_000),
        priceSource: 'sim',
        mev: { simulated: false, attackProbability: 0, attacked: false, lossUsd: '0', riskLevel: 'none' },
        slippageModel: 'fixed',
        seed: '18446744073709551615',
        fees: { baseFeeLamports: '5000', priorityFeeLamports: '10000', rentLamports: '2039280', signatures: 1 },
        slippageExplanation: 'fixed 44.5 bps',
        route: [{ label: 'Orca', inputMint: USDC.mint, outputMint: SOL.mint, inAmount: '225000001', outAmount: '1500000000', percent: 100 }],
        failureReason: '',
        sequence: '7',
        landing: { pricing: 'EXECUTION_PRICING_LANDING', slots: 3, delayMs: '1200', sentAt: timestamp('1700000000', 1_000_000), pricedAt: timestamp('1700000001', 201_000_000) },
        metadata: {
          fields: {
            strategy: { stringValue: 'momentum' },
            none: { nullValue: 'NULL_VALUE' },
            tags: { listValue: { values: [{ numberValue: 1 }, { stringValue: 'a' }] } },
          },
        },
      },
      portfolioState: {
        portfolioId: 'default',
        balances,
        totalValueUsd: '225',
        realizedPnlUsd: '0',
        unrealizedPnlUsd: '0',
        tradeCount: '7',
        feesPaidLamports: '1152921504606846976',
        updatedAt: timestamp('1700000000', 123_000_000),
        priceSource: 'sim',
        stateHash: 'ab',
      },
      executionMetrics: {
        totalUs: '813',
        validationUs: '0',
        priceLookupUs: '0',
        slippageUs: '0',
        mevUs: '3',
        portfolioUpdateUs: '9',
        journalUs: '401',
        cacheHit: true,
        priceFetchAttempts: 1,
        priceSource: 'sim',
        landingWaitUs: '0',
      },
      warnings: ['w1'],
    };
    // As text: toEqual would not see the order of the keys.
    expect(JSON.stringify(tradeResultToWire(r))).toBe(JSON.stringify(expected));
    expect(JSON.stringify(tradeToWire(r.trade))).toBe(JSON.stringify(expected.trade));
    // A portfolio not created yet: no update time, no state hash.
    const { stateHash: _hash, ...unhashed } = r.portfolio;
    expect(JSON.stringify(portfolioToWire({ ...unhashed, updatedAtMs: 0 }))).toBe(
      JSON.stringify({ ...expected.portfolioState, updatedAt: null, priceSource: 'sim', stateHash: '' }),
    );
  });
});
