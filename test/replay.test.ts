import { describe, expect, it } from 'vitest';
import { pipelineOptions } from '../src/app.js';
import type { LedgerEvent } from '../src/domain/ledger.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { verifyEvents } from '../src/executor/replay.js';
import { mixedConfig, mixedEvents } from './support/store.js';

describe('replay --verify', () => {
  it('re-executes every trade of a mixed run bit for bit from its recorded inputs', async () => {
    const events = await mixedEvents(120); // buys, sells, swaps, failures, a reset, over three portfolios
    const trades = events.filter((e) => e.kind === 'trade');
    expect(trades.length).toBeGreaterThan(60);
    expect(trades.some((e) => e.trade.status !== 'FILLED')).toBe(true);
    const pipeline = pipelineOptions(mixedConfig);
    const sol = createTokenRegistry().sol;
    const report = verifyEvents(events, pipeline, sol);
    expect(report.trades).toBe(trades.length);
    expect(report.mismatches).toEqual([]);

    // A tampered record is caught, with the field named.
    const tampered: LedgerEvent[] = events.map((e) =>
      e.kind === 'trade' && e.trade.sequence === 2 && e.portfolioId === 'p0'
        ? { ...e, trade: { ...e.trade, inputs: { ...e.trade.inputs, slippageToleranceBps: e.trade.inputs.slippageToleranceBps + 1 }, slippageBps: e.trade.slippageBps + 1 } }
        : e,
    );
    const bad = verifyEvents(tampered, pipeline, sol);
    expect(bad.mismatches).toHaveLength(1);
    expect(bad.mismatches[0]?.differences.join('\n')).toMatch(/slippage_bps/);
  });
});
