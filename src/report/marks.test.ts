import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvent, type PortfolioState } from '../domain/ledger.js';
import { fromDecimalString as d, pow10, ratio } from '../domain/ratio.js';
import type { Token } from '../domain/tokens.js';
// The executor's portfolio valuation (GetPortfolio's total_value_usd), used here only to prove the mark equals it.
import { summarize } from '../executor/summary.js';
import { computeMark } from './marks.js';
import { buildReport } from './report.js';
import { formatUsd } from './usd.js';
import { makeTrade, markOf, pricesOf, registry, SOL, USDC, JUP } from '../../test/support/report.js';

const tokens = [SOL, USDC, JUP] as const;
const balance = fc.bigInt({ min: 0n, max: 10n ** 15n });
/** A USD price with up to 9 decimals, as text. */
const price = fc.bigInt({ min: 1n, max: 10n ** 13n }).map((n) => (Number(n) / 1e9).toFixed(9));

describe('computeMark', () => {
  it('values 2.5 SOL at $150 and 100 USDC at $0.9999', () => {
    const m = markOf(3, 1000, [[SOL, 2_500_000_000n], [USDC, 100_000_000n]], [[SOL, '150'], [USDC, '0.9999']]);
    // 375 + 99.99
    expect(m.valueUsd).toEqual(d('474.99'));
    expect(m.valueSol).toEqual(ratio(47_499n, 15_000n));
    expect(m.holdings.map((h) => h.token.symbol)).toEqual(['SOL', 'USDC']);
    expect(m.sequence).toBe(3);
  });

  it('property: the value is the sum of balances times the prices, each floored to the nano-USD', () => {
    fc.assert(
      fc.property(fc.tuple(balance, balance, balance), fc.tuple(price, price, price), (bs, ps) => {
        const balances = tokens.map((t, i) => [t, bs[i] ?? 0n] as const);
        const m = markOf(1, 0, balances, tokens.map((t, i) => [t, ps[i] ?? '1'] as const));
        // floor(units x price x 10^9 / 10^decimals) per balance, written out with bigints
        let nano = 0n;
        balances.forEach(([t, units], i) => {
          const p = d(ps[i] ?? '1');
          nano += (units * p.n * 1_000_000_000n) / (p.d * pow10(t.decimals));
        });
        expect(m.valueUsd).toEqual(ratio(nano, 1_000_000_000n));
        expect(m.holdings.every((h) => h.amount > 0n)).toBe(true);
      }),
    );
  });

  it('property: the mark equals the total value GetPortfolio reports at the same prices', () => {
    fc.assert(
      fc.property(fc.tuple(balance, balance, balance), fc.tuple(price, price, price), (bs, ps) => {
        const state = applyEvent(
          undefined,
          { kind: 'portfolio_created', portfolioId: 'p', atMs: 0, balances: tokens.map((t: Token, i) => ({ mint: t.mint, amount: bs[i] ?? 0n, costNanoUsd: 0n })) },
          SOL,
        );
        const prices = pricesOf(tokens.map((t, i) => [t, ps[i] ?? '1'] as const));
        const m = computeMark(state, registry, prices, 0);
        expect(formatUsd(m.valueUsd)).toBe(summarize(state, registry, prices, 'test').totalValueUsd);
      }),
    );
  });

  it('the last equity point equals the portfolio total after replaying trades through the ledger', () => {
    const start = applyEvent(
      undefined,
      { kind: 'portfolio_created', portfolioId: 'default', atMs: 0, balances: [{ mint: SOL.mint, amount: 5n * 10n ** 9n, costNanoUsd: 0n }, { mint: USDC.mint, amount: 500n * 10n ** 6n, costNanoUsd: 0n }] },
      SOL,
    );
    const prices = pricesOf([[SOL, '150'], [USDC, '1'], [JUP, '0.75']]);
    const t1 = makeTrade({ sequence: 2, atMs: 10, action: 'BUY', base: JUP, quote: USDC, amount: 100_000_000n, isBaseInput: false, baseUsd: '0.75', quoteUsd: '1', slippage: ratio(3n, 1000n), opensAccount: true });
    const t2 = makeTrade({ sequence: 3, atMs: 20, action: 'SELL', base: SOL, quote: USDC, amount: 10n ** 9n, isBaseInput: true, baseUsd: '150', quoteUsd: '1', slippage: ratio(1n, 1000n) });
    let state: PortfolioState = start;
    const marks = [computeMark(state, registry, prices, 0)];
    for (const t of [t1, t2]) {
      state = applyEvent(state, { kind: 'trade', portfolioId: 'default', atMs: t.executedAtMs, trade: t }, SOL);
      marks.push(computeMark(state, registry, prices, t.executedAtMs));
    }
    const r = buildReport({ portfolioId: 'default', trades: [t1, t2], marks, sol: SOL });
    const last = r.equity[r.equity.length - 1];
    expect(last && formatUsd(last.valueUsd)).toBe(summarize(state, registry, prices, 'test').totalValueUsd);
    expect(r.tokens.find((t) => t.token.symbol === 'JUP')?.endAmount).toBe(state.positions.get(JUP.mint)?.amount);
  });
});
