import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { amount, lamports } from '../domain/amount.js';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../domain/ledger.js';
import { ratio, reduced } from '../domain/ratio.js';
import { createTokenRegistry } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { CodecError, decodeEvent, encodeEvent, stateFromJson, stateToJson } from './codec.js';
import { mixedEvents } from '../../test/support/store.js';

const tokens = createTokenRegistry();
let events: LedgerEvent[] = [];
let trades: Trade[] = [];

beforeAll(async () => {
  events = await mixedEvents(60);
  trades = events.flatMap((e) => (e.kind === 'trade' ? [e.trade] : []));
});

const roundTrip = (e: LedgerEvent): LedgerEvent => decodeEvent(encodeEvent(e), tokens);

describe('codec', () => {
  it('round-trips every event of a mixed run exactly, and encodes deterministically', () => {
    expect(trades.length).toBeGreaterThan(20);
    expect(trades.some((t) => t.inputs.quote !== undefined)).toBe(true); // swaps carry a route quote
    expect(trades.some((t) => t.status !== 'FILLED')).toBe(true);
    expect(events.some((e) => e.kind === 'portfolio_reset')).toBe(true);
    for (const e of events) {
      const back = roundTrip(e);
      expect(back).toEqual(e);
      expect(encodeEvent(back)).toBe(encodeEvent(e));
    }
  });

  it('round-trips any bigint, exact ratio, double and optional field of a trade (property)', () => {
    const bigint = fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n });
    const positive = fc.bigInt({ min: 1n, max: 2n ** 300n });
    const double = fc.double({ noNaN: false, noDefaultInfinity: false }).filter((x) => !Object.is(x, -0));
    fc.assert(
      fc.property(
        fc.nat(),
        fc.record({
          inputAmount: bigint,
          outputAmount: bigint,
          n: bigint,
          d: positive,
          slippageBps: double,
          attackProbability: double,
          seed: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          rent: bigint,
          failureReason: fc.option(fc.string(), { nil: undefined }),
          maxPriceImpactBps: fc.option(fc.integer(), { nil: undefined }),
          liquidity: fc.option(fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 300n }), fc.bigInt({ min: 1n, max: 2n ** 300n })), { nil: undefined }),
          warnings: fc.array(fc.string()),
          requestId: fc.string(),
        }),
        (pick, v) => {
          const t = trades[pick % trades.length];
          if (!t) throw new Error('no trades');
          const trade: Trade = {
            ...t,
            requestId: v.requestId,
            inputAmount: amount(v.inputAmount),
            outputAmount: amount(v.outputAmount),
            executedPrice: ratio(v.n, v.d),
            slippageBps: v.slippageBps,
            mev: { ...t.mev, attackProbability: v.attackProbability },
            seed: v.seed,
            fees: { ...t.fees, rent: lamports(v.rent) },
            failureReason: v.failureReason,
            inputs: { ...t.inputs, maxPriceImpactBps: v.maxPriceImpactBps, baseLiquidityUsd: v.liquidity && reduced(ratio(v.liquidity[0], v.liquidity[1])) },
            warnings: v.warnings,
          };
          const e: LedgerEvent = { kind: 'trade', portfolioId: t.portfolioId, atMs: t.executedAtMs, trade };
          expect(roundTrip(e)).toEqual(e);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips portfolio states with their positions and accounts in order', () => {
    const states = new Map<string, PortfolioState>();
    for (const e of events) states.set(e.portfolioId, applyEvent(states.get(e.portfolioId), e, tokens.sol));
    for (const s of states.values()) {
      const back = stateFromJson(JSON.parse(JSON.stringify(stateToJson(s))));
      expect(back).toEqual(s);
      expect([...back.positions.keys()]).toEqual([...s.positions.keys()]);
    }
  });

  it('names the path of a field that does not decode', () => {
    const e = events.find((x) => x.kind === 'trade');
    if (!e) throw new Error('no trade');
    const json = JSON.parse(encodeEvent(e)) as { trade: { fees: { total: unknown }; base: unknown } };
    json.trade.fees.total = 12;
    expect(() => decodeEvent(JSON.stringify(json), tokens)).toThrow(/event\.trade\.fees\.total: expected a decimal integer string/);
    json.trade.fees.total = '12';
    json.trade.base = 'So11111111111111111111111111111111111111119';
    expect(() => decodeEvent(JSON.stringify(json), tokens)).toThrow(CodecError);
    expect(() => decodeEvent('{"kind":"trade"', tokens)).toThrow(/not JSON/);
  });
});
