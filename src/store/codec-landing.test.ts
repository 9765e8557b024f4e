import { beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../domain/ledger.js';
import { createTokenRegistry } from '../domain/tokens.js';
import { decodeEvent, encodeEvent } from './codec.js';
import { mixedEvents } from '../../test/support/store.js';

const tokens = createTokenRegistry();
let trade: Extract<LedgerEvent, { kind: 'trade' }> | undefined;

beforeAll(async () => {
  trade = (await mixedEvents(10)).find((e): e is Extract<LedgerEvent, { kind: 'trade' }> => e.kind === 'trade');
});

describe('codec: landing-time records', () => {
  it('a landing trade round-trips its landing record exactly', () => {
    if (!trade) throw new Error('no trade in the mixed run');
    const landing = { pricing: 'LANDING' as const, slots: 4, delayMs: 1_600, sentAtMs: 1_700_000_000_123, pricedAtMs: 1_700_000_001_724 };
    const e: LedgerEvent = { ...trade, trade: { ...trade.trade, landing } };
    const text = encodeEvent(e);
    expect(decodeEvent(text, tokens)).toEqual(e);
    expect(encodeEvent(decodeEvent(text, tokens))).toBe(text);
  });

  it('a trade priced immediately encodes as before (no landing key) and reads back without one', () => {
    if (!trade) throw new Error('no trade in the mixed run');
    const text = encodeEvent(trade);
    expect(text).not.toContain('"landing"');
    const back = decodeEvent(text, tokens);
    expect(back.kind === 'trade' && 'landing' in back.trade).toBe(false);
  });

  it('a malformed landing record is refused naming the field', () => {
    if (!trade) throw new Error('no trade in the mixed run');
    const json = JSON.parse(encodeEvent(trade)) as { trade: Record<string, unknown> };
    json.trade.landing = { pricing: 'SOMETIMES', slots: 1, delayMs: 400, sentAtMs: 0, pricedAtMs: 400 };
    expect(() => decodeEvent(JSON.stringify(json), tokens)).toThrow(/event\.trade\.landing\.pricing/);
  });
});
