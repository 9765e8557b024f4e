import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, cmp, fromDecimalString as d, ratio, ZERO, type Ratio } from '../domain/ratio.js';
import type { TradeAction, TradeStatus } from '../domain/request.js';
import { COST_COMPONENTS, sumCosts, tradeCosts } from './costs.js';
import { JUP, makeTrade, SOL, USDC, type TradeSpec } from '../../test/support/report.js';

const FRICTIONLESS = { signatureLamports: 0n, rentLamports: 0n, chargeRent: false };

/** A random trade: any action, size, prices, slippage, MEV, fees, status, with or without depth or route impact. */
const tradeSpec = (frictionless: boolean): fc.Arbitrary<TradeSpec> =>
  fc
    .record({
      action: fc.constantFrom<TradeAction>('BUY', 'SELL', 'SWAP'),
      pair: fc.constantFrom([SOL, USDC] as const, [JUP, SOL] as const, [JUP, USDC] as const),
      isBaseInput: fc.boolean(),
      amount: fc.bigInt({ min: 1_000_000n, max: 10n ** 12n }),
      baseCents: fc.integer({ min: 1, max: 1_000_000 }),
      quoteCents: fc.integer({ min: 1, max: 1_000_000 }),
      depth: fc.option(fc.integer({ min: 1_000, max: 10_000_000 }), { nil: undefined }),
      routeOutPerIn: fc.integer({ min: 1, max: 1_000_000 }),
      routeImpactBps: fc.integer({ min: 0, max: 500 }),
      slipBps: fc.integer({ min: 0, max: 300 }),
      mevBps: fc.integer({ min: 0, max: 200 }),
      status: fc.constantFrom<TradeStatus>('FILLED', 'FILLED', 'FAILED_SLIPPAGE', 'FAILED_MEV'),
      priorityFee: fc.bigInt({ min: 0n, max: 999_999n }),
      opensAccount: fc.boolean(),
    })
    .map((r) => ({
      sequence: 1,
      atMs: 0,
      action: r.action,
      base: r.pair[0],
      quote: r.pair[1],
      amount: r.amount,
      isBaseInput: r.isBaseInput,
      baseUsd: (r.baseCents / 100).toFixed(2),
      quoteUsd: (r.quoteCents / 100).toFixed(2),
      ...(r.depth === undefined ? {} : { baseLiquidityUsd: String(r.depth) }),
      route: { inUnits: r.amount, outUnits: r.amount * BigInt(r.routeOutPerIn), impact: ratio(BigInt(r.routeImpactBps), 10_000n) },
      slippage: frictionless ? ZERO : ratio(BigInt(r.slipBps), 10_000n),
      mevLoss: frictionless ? ZERO : ratio(BigInt(r.mevBps), 10_000n),
      status: r.status,
      ...(frictionless ? { fees: FRICTIONLESS, priorityFee: 0n } : { priorityFee: r.priorityFee }),
      opensAccount: r.opensAccount,
    }));

const sumOf = (rs: readonly Ratio[]): Ratio => rs.reduce(add, ZERO);

describe('tradeCosts', () => {
  it('property: the components of every trade add up exactly to its total', () => {
    fc.assert(
      fc.property(tradeSpec(false), (s) => {
        const c = tradeCosts(makeTrade(s), d('150'));
        expect(c.totalUsd).toEqual(sumOf(COST_COMPONENTS.map((k) => c[k])));
      }),
    );
  });

  it('property: summing many trades keeps the components adding up to the total', () => {
    fc.assert(
      fc.property(fc.array(tradeSpec(false), { maxLength: 8 }), (specs) => {
        const each = specs.map((s) => tradeCosts(makeTrade(s), d('150')));
        const total = sumCosts(each);
        expect(total.totalUsd).toEqual(sumOf(each.map((c) => c.totalUsd)));
        expect(total.totalUsd).toEqual(sumOf(COST_COMPONENTS.map((k) => total[k])));
      }),
    );
  });

  it('property: with no slippage, no MEV and fees and rent off, every cost is exactly 0, whatever the depth or route impact', () => {
    fc.assert(
      fc.property(tradeSpec(true), (s) => {
        const c = tradeCosts(makeTrade(s), d('150'));
        for (const k of [...COST_COMPONENTS, 'totalUsd'] as const) expect(cmp(c[k], ZERO)).toBe(0);
      }),
    );
  });

  it('property: when the fill only moved against the trader, impact and slippage are never negative and no failed-trade fee is counted', () => {
    fc.assert(
      fc.property(tradeSpec(false), (s) => {
        const c = tradeCosts(makeTrade({ ...s, status: 'FILLED' }), d('150'));
        expect(cmp(c.priceImpactUsd, ZERO)).toBeGreaterThanOrEqual(0);
        expect(cmp(c.slippageUsd, ZERO)).toBeGreaterThanOrEqual(0);
        expect(cmp(c.failedTradeFeesUsd, ZERO)).toBe(0);
      }),
    );
  });

  it('a failed trade costs its whole network fee and nothing else', () => {
    // 5,000 + 20,000 lamports at $150 = 0.000025 x 150 = 0.00375
    const t = makeTrade({ sequence: 1, atMs: 0, action: 'BUY', base: SOL, quote: USDC, amount: 10n ** 9n, isBaseInput: true, baseUsd: '150', quoteUsd: '1', slippage: ratio(1n, 100n), status: 'FAILED_MEV', priorityFee: 20_000n });
    const c = tradeCosts(t, d('150'));
    expect(c.failedTradeFeesUsd).toEqual(d('0.00375'));
    expect(c.totalUsd).toEqual(d('0.00375'));
    expect(c.slippageUsd).toEqual(ZERO);
  });

  it('rent of a filled trade that opens an account, at the SOL price given', () => {
    // 2,039,280 lamports = 0.00203928 SOL, at $100 = 0.203928; the 5,000-lamport signature = 0.0005
    const t = makeTrade({ sequence: 1, atMs: 0, action: 'BUY', base: JUP, quote: USDC, amount: 10n ** 6n, isBaseInput: true, baseUsd: '0.5', quoteUsd: '1', opensAccount: true });
    const c = tradeCosts(t, d('100'));
    expect(c.rentUsd).toEqual(d('0.203928'));
    expect(c.baseFeesUsd).toEqual(d('0.0005'));
    expect(c.slippageUsd).toEqual(ZERO);
  });

  it('a SWAP: the route impact is in the expected price; the gap is split between MEV and slippage', () => {
    // Sell 1 SOL on a route giving 150 USDC (impact 1 %, already in the quote), 20 bps slippage + 30 bps MEV:
    // executed 150 x 0.995 = 149.25; gap 0.75 USDC at $1; MEV 0.3 % of 150 = 0.45; slippage 0.3; impact 0.
    const t = makeTrade({
      sequence: 1,
      atMs: 0,
      action: 'SWAP',
      base: SOL,
      quote: USDC,
      amount: 10n ** 9n,
      isBaseInput: true,
      baseUsd: '151',
      quoteUsd: '1',
      route: { inUnits: 10n ** 9n, outUnits: 150_000_000n, impact: ratio(1n, 100n) },
      slippage: ratio(20n, 10_000n),
      mevLoss: ratio(30n, 10_000n),
      fees: FRICTIONLESS,
    });
    const c = tradeCosts(t, d('151'));
    expect(c.mevLossUsd).toEqual(d('0.45'));
    expect(c.slippageUsd).toEqual(d('0.3'));
    expect(c.priceImpactUsd).toEqual(ZERO);
    expect(c.totalUsd).toEqual(d('0.75'));
  });
});
