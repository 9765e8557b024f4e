import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../domain/request.js';
import { toTradeRequestMessage } from './index.js';
import { fromStruct, fromValue, serviceDefinition, StructError, toStruct } from '../contract/index.js';

describe('toTradeRequestMessage', () => {
  it('applies the contract defaults and leaves optional scalars absent', () => {
    const m = toTradeRequestMessage({ requestId: 'r', action: 'BUY', baseToken: 'SOL', quoteToken: 'USDC', amount: '1', isBaseInput: true });
    expect(m).toEqual({
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
    });
    expect('slippageToleranceBps' in m).toBe(false);
  });

  it('accepts full enum names, numbers, bigint fees and a slippage model', () => {
    const m = toTradeRequestMessage({
      requestId: 'r',
      action: 'TRADE_ACTION_SWAP',
      baseToken: 'SOL',
      quoteToken: 'USDC',
      amount: '1',
      isBaseInput: false,
      priorityFee: 123n,
      mevProtection: 3,
      slippageModel: { name: 'fixed', params: { bps: 75 } },
    });
    expect(m.action).toBe('TRADE_ACTION_SWAP');
    expect(m.mevProtection).toBe(3);
    expect(m.priorityFee).toBe('123');
    expect(m.slippageModel).toEqual({ name: 'fixed', params: { fields: { bps: { numberValue: 75 } } } });
  });
});

/**
 * JSON as it survives a JSON round trip (no -0, no undefined) and without "__proto__" keys, which
 * protobufjs drops while decoding a map (see the dedicated test below).
 */
const plain = (v: unknown): JsonValue => JSON.parse(JSON.stringify(v), (k, x: unknown) => (k === '__proto__' ? undefined : x)) as JsonValue;
const json: fc.Arbitrary<Record<string, JsonValue>> = fc
  .dictionary(fc.string().filter((k) => k !== '__proto__'), fc.jsonValue({ maxDepth: 4 }))
  .map((o) => plain(o) as Record<string, JsonValue>);

describe('Struct <-> JSON', () => {
  it('round-trips any JSON object through the real protobuf codec', () => {
    const m = serviceDefinition('paper_trader.v1.PaperTradeExecutor').ExecuteTrade;
    fc.assert(
      fc.property(json, (obj) => {
        const msg = toTradeRequestMessage({ requestId: 'r', action: 'BUY', baseToken: 'a', quoteToken: 'b', amount: '1', isBaseInput: true, metadata: obj });
        const decoded = m.requestDeserialize(m.requestSerialize(msg));
        expect(decoded.metadata).not.toBeNull();
        if (decoded.metadata) expect(fromStruct(decoded.metadata)).toEqual(obj);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a "__proto__" key an own property and pollutes nothing', () => {
    const obj = fromStruct({ fields: JSON.parse('{"__proto__": {"stringValue": "x"}}') as Record<string, never> });
    expect(Object.hasOwn(obj, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    const back = toStruct(obj);
    expect(Object.hasOwn(back.fields, '__proto__')).toBe(true);
  });

  it('reads a Value with no kind as null and refuses runaway nesting', () => {
    expect(fromValue({})).toBeNull();
    let v: unknown = { numberValue: 1 };
    for (let i = 0; i < 40; i++) v = { listValue: { values: [v] } };
    expect(() => fromValue(v)).toThrow(StructError);
  });
});
