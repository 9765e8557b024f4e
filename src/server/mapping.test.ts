import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ratio } from '../domain/ratio.js';
import { isExecutorError } from '../domain/errors.js';
import { contractRoot, serviceDefinition } from '../contract/index.js';
import type { JsonValue } from '../domain/request.js';
import type { Trade } from '../domain/trade.js';
import type { TradeResult } from '../executor/types.js';
import { executedPriceRounding, timestampFromMs, tradeRequestFromWire, tradeResultForEncoding, tradeResultToWire, tradeToWire, type DecodedTradeRequest } from './mapping.js';
import { SOL, USDC, sampleTrade } from '../../test/fakes/fake-executor.js';

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
      portfolio: {
        portfolioId: 'default',
        balances: [{ token: SOL, amount: 1_500_000_000n as never, usdValue: '225', avgCostUsd: '150' }],
        totalValueUsd: '225',
        realizedPnlUsd: '0',
        unrealizedPnlUsd: '0',
        tradeCount: 7,
        feesPaidLamports: 1n << 60n,
        updatedAtMs,
        priceSource: 'sim',
        stateHash: 'ab'.repeat(32),
      },
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
});
