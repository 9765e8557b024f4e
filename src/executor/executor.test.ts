import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExecutorError, isExecutorError } from '../domain/errors.js';
import { fromBps, ZERO } from '../domain/ratio.js';
import { NO_MEV } from '../domain/trade.js';
import type { ExecutorMetricsSink, Log } from './ports.js';
import { buy, code, fixedPrices, testExecutor } from '../../test/support/executor.js';
import type { Executor, PortfolioSummary } from './types.js';

const balance = (p: PortfolioSummary, symbol: string): string => p.balances.find((b) => b.token.symbol === symbol)?.amount.toString() ?? '0';

describe('executeTrade', () => {
  it('fills a BUY at expected x 1.01, moves exactly the fill, and charges 5,000 lamports', async () => {
    const { executor } = testExecutor();
    const r = await executor.executeTrade(buy());
    expect(r.trade.status).toBe('FILLED');
    expect(r.trade.inputAmount).toBe(151_500_000n); // 1 SOL at 150 x 1.01 USDC
    expect(r.trade.outputAmount).toBe(1_000_000_000n);
    expect(r.trade.fees.total).toBe(5_000n);
    expect(balance(r.portfolio, 'SOL')).toBe(String(101_000_000_000n - 5_000n));
    expect(balance(r.portfolio, 'USDC')).toBe(String(10_000_000_000n - 151_500_000n));
    expect(r.portfolio.feesPaidLamports).toBe(5_000n);
    expect(r.metrics.totalUs).toBeGreaterThan(0);
  });

  it('a fill worse than the tolerance is FAILED_SLIPPAGE: no tokens move, the fee is charged', async () => {
    const { executor } = testExecutor();
    const r = await executor.executeTrade(buy({ slippageToleranceBps: 50, priorityFee: '10000' }));
    expect(r.trade.status).toBe('FAILED_SLIPPAGE');
    expect(r.trade.outputAmount).toBe(0n);
    expect(r.trade.failureReason).toMatch(/100\.00 bps exceeds the tolerance of 50 bps/);
    expect(balance(r.portfolio, 'USDC')).toBe('10000000000');
    expect(balance(r.portfolio, 'SOL')).toBe(String(100_000_000_000n - 15_000n));
  });

  it('warns when slippage is close to the tolerance', async () => {
    const { executor } = testExecutor();
    const r = await executor.executeTrade(buy({ slippageToleranceBps: 110 }));
    expect(r.trade.status).toBe('FILLED');
    expect(r.warnings.join('\n')).toMatch(/close to the tolerance/);
  });

  it('insufficient balance is FAILED_PRECONDITION and changes nothing', async () => {
    const { executor, journal } = testExecutor();
    const before = await executor.getPortfolio('');
    const events = journal.events.length;
    expect(await code(executor.executeTrade(buy({ amount: '1000' })))).toBe('INSUFFICIENT_BALANCE');
    expect(await executor.getPortfolio('')).toEqual(before);
    expect(journal.events.length).toBe(events);
  });

  it('fees count in the balance check: selling all SOL leaves nothing for the fee', async () => {
    const { executor } = testExecutor();
    expect(await code(executor.executeTrade(buy({ action: 'SELL', amount: '100' })))).toBe('INSUFFICIENT_BALANCE');
  });

  it('price impact above max_price_impact_bps is refused before any fee', async () => {
    const { executor } = testExecutor();
    const err = await executor.executeTrade(buy({ amount: '50', maxPriceImpactBps: 1 })).catch((e: unknown) => e);
    expect(isExecutorError(err, 'PRICE_IMPACT_TOO_HIGH')).toBe(true);
    expect((await executor.getPortfolio('')).feesPaidLamports).toBe(0n);
  });

  it('the same request_id returns the original result; a changed payload is ALREADY_EXISTS', async () => {
    const { executor, journal } = testExecutor();
    const req = buy();
    const [a, b] = await Promise.all([executor.executeTrade(req), executor.executeTrade(req)]);
    const c = await executor.executeTrade(req);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(journal.events.filter((e) => e.kind === 'trade')).toHaveLength(1);
    expect(await code(executor.executeTrade({ ...req, amount: '2' }))).toBe('DUPLICATE_REQUEST');
  });


  it('past the result cache a duplicate is answered from the journal: the original trade, no second booking, in any letter case', async () => {
    const { executor, journal } = testExecutor({ resultCache: 2 });
    const reqs = Array.from({ length: 6 }, () => buy());
    const firsts = [];
    for (const r of reqs) firsts.push(await executor.executeTrade(r));
    const trades = (): number => journal.events.filter((e) => e.kind === 'trade').length;
    expect(trades()).toBe(6);
    // The two newest results are kept whole; the older ones come back from the journal.
    expect(await executor.executeTrade(reqs[5] ?? buy())).toBe(firsts[5]);
    const again = await executor.executeTrade({ ...(reqs[0] ?? buy()), requestId: reqs[0]?.requestId.toUpperCase() ?? '' });
    expect(again.trade).toEqual(firsts[0]?.trade);
    expect(again.warnings.join('\n')).toMatch(/original trade as journaled; portfolio_state is current/);
    expect(again.portfolio.stateHash).toBe((await executor.getPortfolio('')).stateHash);
    expect(await code(executor.executeTrade({ ...(reqs[1] ?? buy()), amount: '2' }))).toBe('DUPLICATE_REQUEST');
    expect(trades()).toBe(6);
    // After a reset the ids are free again.
    await executor.resetPortfolio('', {});
    expect((await executor.executeTrade(reqs[0] ?? buy())).trade.sequence).toBeGreaterThan(firsts[5]?.trade.sequence ?? 0);
    expect(trades()).toBe(7);
  });

  it('a trade booked whose answer then failed is not booked again on retry', async () => {
    const prices = fixedPrices({ SOL: '150', USDC: '1', JUP: '0.85' });
    const { executor, journal } = testExecutor({ prices });
    // The portfolio exists (the trade's lookups are its own) and holds JUP, which the trade does not
    // price: valuing it after booking takes a second lookup.
    await executor.resetPortfolio('', { SOL: '100', USDC: '10000', JUP: '50' });
    const req = buy();
    // That second lookup, after booking, fails once.
    const real = prices.getUsdPrices.bind(prices);
    let calls = 0;
    prices.getUsdPrices = (mints) => (++calls === 2 ? Promise.reject(new ExecutorError('PRICE_UNAVAILABLE', 'price source down')) : real(mints));
    expect(await code(executor.executeTrade(req))).toBe('PRICE_UNAVAILABLE');
    expect(journal.events.filter((e) => e.kind === 'trade')).toHaveLength(1);
    const retry = await executor.executeTrade(req);
    expect(retry.trade.requestId).toBe(req.requestId);
    expect(journal.events.filter((e) => e.kind === 'trade')).toHaveLength(1);
  });
  it('pays token-account rent the first time a portfolio acquires a token, not after', async () => {
    const { executor } = testExecutor();
    const first = await executor.executeTrade(buy({ baseToken: 'JUP', amount: '10' }));
    const second = await executor.executeTrade(buy({ baseToken: 'JUP', amount: '10' }));
    expect(first.trade.fees.rent).toBe(2_039_280n);
    expect(first.trade.fees.total).toBe(2_044_280n);
    expect(second.trade.fees.rent).toBe(0n);
  });

  it('a per-request fixed model overrides the default: 75 bps executes at expected x 1.0075', async () => {
    const { executor } = testExecutor();
    const r = await executor.executeTrade(buy({ slippageModel: { name: 'fixed', params: { bps: 75 } } }));
    expect(r.trade.inputAmount).toBe(151_125_000n);
    expect(r.trade.slippageModel).toBe('fixed');
    expect(await code(executor.executeTrade(buy({ slippageModel: { name: 'nope', params: {} } })))).toBe('INVALID_ARGUMENT');
  });

  it('SWAP is priced on the route quote and reduced by the slippage', async () => {
    const { executor } = testExecutor();
    const r = await executor.executeTrade(buy({ action: 'SWAP', amount: '1' }));
    expect(r.trade.input.symbol).toBe('SOL');
    expect(r.trade.output.symbol).toBe('USDC');
    expect(r.trade.route).toHaveLength(1);
    expect(r.trade.priceImpactBps).toBeGreaterThan(0);
  });

  it('landing drift adds to the model slippage before the tolerance check', async () => {
    const { executor } = testExecutor({}, { drift: () => ({ fraction: fromBps(60), explanation: 'landed 3 slots late' }) });
    const passes = await executor.executeTrade(buy({ slippageToleranceBps: 160 }));
    const fails = await executor.executeTrade(buy({ slippageToleranceBps: 150 }));
    expect(passes.trade.status).toBe('FILLED');
    expect(passes.trade.slippageBps).toBe(160);
    expect(passes.trade.slippageExplanation).toBe('fixed 100 bps; landed 3 slots late');
    expect(fails.trade.status).toBe('FAILED_SLIPPAGE');
  });

  it('a failing MEV simulator is counted and logged; the trade goes on without MEV impact', async () => {
    const failures: string[] = [];
    const sink: ExecutorMetricsSink = {
      observeStage: () => undefined,
      countTrade: () => undefined,
      countError: () => undefined,
      countPriceLookup: () => undefined,
      countSideFailure: (c) => failures.push(c),
    };
    const { executor } = testExecutor(
      { metrics: sink },
      {
        mev: () => {
          throw new Error('boom');
        },
      },
    );
    const r = await executor.executeTrade(buy({ simulateMev: true }));
    expect(r.trade.status).toBe('FILLED');
    expect(r.trade.mevImpactBps).toBe(0);
    expect(failures).toEqual(['mev']);
    expect(r.warnings.join('\n')).toMatch(/MEV simulation failed/);
  });

  it('logs the completed trade with its amounts in token units and its request_id', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = (bindings: Record<string, unknown>): Log => ({
      debug: () => undefined,
      info: (obj, msg) => lines.push({ ...bindings, ...obj, msg }),
      warn: () => undefined,
      error: () => undefined,
      child: (more) => logger({ ...bindings, ...more }),
    });
    const { executor } = testExecutor({ log: logger({}) });
    const r = await executor.executeTrade(buy({ amount: '1.5' }));
    const done = lines.find((l) => l.msg === 'trade completed');
    expect(done).toMatchObject({ request_id: r.requestId, trade_id: r.trade.tradeId, input: '227.25 USDC', output: '1.5 SOL' });
  });

  it('writes the two lines of every trade to tradeLog with all their fields, and every other line to log', async () => {
    const logged = (into: Record<string, unknown>[], enabled = true): Log => ({
      debug: () => undefined,
      info: (obj, msg) => into.push({ ...obj, msg }),
      warn: (obj, msg) => into.push({ ...obj, msg }),
      error: (obj, msg) => into.push({ ...obj, msg }),
      child: () => logged(into, enabled),
      isLevelEnabled: () => enabled,
    });
    const service: Record<string, unknown>[] = [];
    const trades: Record<string, unknown>[] = [];
    const { executor } = testExecutor({ log: logged(service), tradeLog: logged(trades) });
    const r = await executor.executeTrade(buy({ amount: '1.5', slippageToleranceBps: 50 }));
    expect(trades).toEqual([
      { request_id: r.requestId, portfolio_id: 'default', action: 'BUY', base: 'SOL', quote: 'USDC', amount: '1.5', msg: 'trade received' },
      {
        request_id: r.requestId,
        trade_id: r.trade.tradeId,
        status: 'FAILED_SLIPPAGE',
        action: 'BUY',
        input: '227.25 USDC',
        output: '0 SOL',
        slippage_bps: 100,
        fee_lamports: '5000',
        total_us: r.metrics.totalUs,
        msg: 'trade completed',
      },
    ]);
    expect(service.map((l) => l.msg)).toEqual(['fill worse than tolerance']);

    // INFO off: the lines are not even built.
    const quiet: Record<string, unknown>[] = [];
    const off = testExecutor({ log: logged(service), tradeLog: logged(quiet, false) });
    await off.executor.executeTrade(buy());
    expect(quiet).toEqual([]);
  });

  it('a simulated revert is FAILED_MEV with the fee charged', async () => {
    const { executor } = testExecutor(
      {},
      { mev: () => ({ outcome: { ...NO_MEV, simulated: true, attacked: true, reverted: true, attackProbability: 1 }, lossFraction: ZERO, warnings: [] }) },
    );
    const r = await executor.executeTrade(buy({ simulateMev: true }));
    expect(r.trade.status).toBe('FAILED_MEV');
    expect(balance(r.portfolio, 'USDC')).toBe('10000000000');
    expect(r.portfolio.feesPaidLamports).toBe(5_000n);
  });

  it('a request cancelled before booking leaves no trade', async () => {
    const { executor, journal } = testExecutor();
    await executor.getPortfolio('');
    const ac = new AbortController();
    ac.abort();
    expect(await code(executor.executeTrade(buy(), { signal: ac.signal }))).toBe('DEADLINE_EXCEEDED');
    expect(journal.events.filter((e) => e.kind === 'trade')).toHaveLength(0);
  });

  it('portfolios are independent, can be reset, and list trades newest first in pages', async () => {
    const { executor } = testExecutor();
    for (let i = 0; i < 5; i++) await executor.executeTrade(buy({ portfolioId: 'a', amount: '0.1' }));
    await executor.executeTrade(buy({ portfolioId: 'b' }));
    const p1 = await executor.listTrades('a', 2, '');
    expect(p1.trades.map((t) => t.sequence)).toEqual([6, 5]);
    const p2 = await executor.listTrades('a', 2, p1.nextPageToken);
    const p3 = await executor.listTrades('a', 2, p2.nextPageToken);
    expect(p2.trades.map((t) => t.sequence)).toEqual([4, 3]);
    expect(p3.trades.map((t) => t.sequence)).toEqual([2]);
    expect(p3.nextPageToken).toBe('');
    const reset = await executor.resetPortfolio('a', { SOL: '1', BONK: '1000' });
    expect(reset.balances.map((b) => b.token.symbol)).toEqual(['SOL', 'BONK']);
    expect(reset.tradeCount).toBe(0);
    expect((await executor.getPortfolio('b')).tradeCount).toBe(1);
    expect(await code(executor.resetPortfolio('a', { NOPE: '1' }))).toBe('TOKEN_NOT_FOUND');
    expect(await code(executor.resetPortfolio('a', { SOL: '-1' }))).toBe('INVALID_ARGUMENT');
  });

  it('reads never create a portfolio; concurrent first trades create it once and book every trade', async () => {
    const { executor, journal } = testExecutor();
    const fresh = await executor.getPortfolio('new');
    expect([fresh.tradeCount, fresh.updatedAtMs, fresh.stateHash]).toEqual([0, 0, undefined]);
    await executor.listTrades('new', 0, '');
    expect(journal.events).toHaveLength(0);
    await Promise.all(Array.from({ length: 5 }, () => executor.executeTrade(buy({ portfolioId: 'new', amount: '0.1' }))));
    expect(journal.events.map((e) => e.kind)).toEqual(['portfolio_created', 'trade', 'trade', 'trade', 'trade', 'trade']);
    expect((await executor.getPortfolio('new')).tradeCount).toBe(5);
  });

  it('streams booked trades to subscribers, also when subscribed before the portfolio existed', async () => {
    const { executor } = testExecutor();
    const seen: number[] = [];
    const stop = executor.subscribe('fresh', (t) => seen.push(t.sequence));
    await executor.executeTrade(buy({ portfolioId: 'fresh' }));
    stop();
    await executor.executeTrade(buy({ portfolioId: 'fresh' }));
    expect(seen).toEqual([2]);
  });
});

describe('ledger invariants under concurrency and random sequences', () => {
  async function reconcile(executor: Executor, portfolioId: string, start: Record<string, bigint>): Promise<void> {
    const { trades } = await executor.listTrades(portfolioId, 1_000, '');
    const expected = new Map(Object.entries(start));
    let fees = 0n;
    for (const t of trades) {
      fees += t.fees.total;
      expected.set('SOL', (expected.get('SOL') ?? 0n) - t.fees.total);
      if (t.status !== 'FILLED') continue;
      expected.set(t.input.symbol, (expected.get(t.input.symbol) ?? 0n) - t.inputAmount);
      expected.set(t.output.symbol, (expected.get(t.output.symbol) ?? 0n) + t.outputAmount);
    }
    const p = await executor.getPortfolio(portfolioId);
    for (const [symbol, units] of expected) {
      expect(units).toBeGreaterThanOrEqual(0n);
      expect(balance(p, symbol)).toBe(units.toString());
    }
    expect(p.feesPaidLamports).toBe(fees);
    expect(p.tradeCount).toBe(trades.length);
  }

  it('1,000 concurrent trades on one portfolio: balance = start + sum of deltas, rejected trades leave no trace', async () => {
    const { executor } = testExecutor();
    const results = await Promise.allSettled(
      Array.from({ length: 1_000 }, (_, i) =>
        executor.executeTrade(buy({ action: i % 3 === 0 ? 'SELL' : i % 3 === 1 ? 'BUY' : 'SWAP', amount: String(1 + (i % 7)), isBaseInput: i % 2 === 0 })),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && isExecutorError(r.reason, 'INSUFFICIENT_BALANCE')).length;
    expect(ok + refused).toBe(1_000);
    expect(ok).toBeGreaterThan(0);
    await reconcile(executor, 'default', { SOL: 100_000_000_000n, USDC: 10_000_000_000n });
  });

  it('property: any sequence of trades and resets reconciles (fast-check)', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('trade' as const),
        action: fc.constantFrom('BUY', 'SELL', 'SWAP'),
        base: fc.constantFrom('SOL', 'JUP', 'BONK'),
        quote: fc.constantFrom('USDC', 'SOL'),
        amount: fc.integer({ min: 1, max: 5_000 }).map((n) => (n / 100).toFixed(2)),
        isBaseInput: fc.boolean(),
        bps: fc.integer({ min: 0, max: 400 }),
        tolerance: fc.integer({ min: 0, max: 500 }),
      }),
      fc.constant({ kind: 'reset' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const { executor } = testExecutor();
        for (const o of ops) {
          if (o.kind === 'reset') {
            await executor.resetPortfolio('p', {});
            continue;
          }
          await executor
            .executeTrade(
              buy({
                portfolioId: 'p',
                action: o.action as 'BUY',
                baseToken: o.base,
                quoteToken: o.quote,
                amount: o.amount,
                isBaseInput: o.isBaseInput,
                slippageModel: { name: 'fixed', params: { bps: o.bps } },
                slippageToleranceBps: o.tolerance,
              }),
            )
            .catch((e: unknown) => {
              if (!isExecutorError(e, 'INSUFFICIENT_BALANCE') && !isExecutorError(e, 'INVALID_ARGUMENT')) throw e;
            });
        }
        await reconcile(executor, 'p', { SOL: 100_000_000_000n, USDC: 10_000_000_000n });
      }),
      { numRuns: 60 },
    );
  });
});
