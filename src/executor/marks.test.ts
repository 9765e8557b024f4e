import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isExecutorError } from '../domain/errors.js';
import type { UsdPrice } from '../domain/market.js';
import { nanoUsd } from '../domain/pricing.js';
import { fromDecimalString, type Ratio } from '../domain/ratio.js';
import { createTokenRegistry, type Mint } from '../domain/tokens.js';
import { formatUsd, usdFromNano } from '../report/usd.js';
import { openFileJournal, type FileJournal } from '../store/file-journal.js';
import { readJournal } from '../store/journal-reader.js';
import { createMemoryJournal } from '../store/memory-journal.js';
import type { LedgerEvent } from '../domain/ledger.js';
import { DEFAULT_FEES } from '../domain/fees.js';
import { createSlippageRegistry } from '../domain/slippage/registry.js';
import type { MarkingExecutor } from './executor.js';
import type { PipelineOptions } from './pipeline.js';
import type { MarkRecord, PriceProvider } from './ports.js';
import { verifyEvents } from './replay.js';
import { buy as trade, fixedPrices, testExecutor } from '../../test/support/executor.js';

const tokens = createTokenRegistry();
const SOL = tokens.bySymbol('SOL');

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    if (isExecutorError(e)) return `${e.code} ${e.context.field ?? ''}`.trim();
    throw e;
  }
  return 'OK';
}

/** Fixed prices, except SOL's, which a test moves between trades; counts batched lookups. */
function movingPrices(): PriceProvider & { solUsd: string; lookups: number } {
  const base = fixedPrices({ SOL: '150', USDC: '1', JUP: '0.85' });
  const p = {
    sourceName: 'fixed',
    solUsd: '150',
    lookups: 0,
    async getUsdPrices(mints: readonly Mint[]) {
      p.lookups++;
      const r = await base.getUsdPrices(mints);
      const prices = new Map<Mint, UsdPrice>(r.prices);
      const sol = prices.get(SOL.mint);
      if (sol) prices.set(SOL.mint, { ...sol, usd: fromDecimalString(p.solUsd) });
      return { ...r, prices };
    },
    getQuote: base.getQuote.bind(base),
  };
  return p;
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'pte-marks-'));
  dirs.push(d);
  return d;
}

/** The real executor on a file journal in `dir`, resumed from what the journal recovered. */
async function open(dir: string, prices = movingPrices(), snapshotEvery = 0): Promise<{ executor: MarkingExecutor; journal: FileJournal; prices: ReturnType<typeof movingPrices> }> {
  const { journal, image } = await openFileJournal({ dir, tokens, snapshotEvery });
  const { executor } = testExecutor({ journal, prices, restored: image.portfolios });
  return { executor: executor as MarkingExecutor, journal, prices };
}

/** sum over holdings of floor(units x price) at the mark's own prices, independently of computeMark. */
function valueOf(m: MarkRecord): Ratio {
  let nano = 0n;
  for (const h of m.holdings) {
    const t = tokens.find(h.mint);
    const p = m.prices.find((x) => x.mint === h.mint);
    if (t && p) nano += nanoUsd(h.amount, t.decimals, p.usd);
  }
  return usdFromNano(nano);
}

describe('equity marks through the real executor', () => {
  it('property: each mark equals the sum of balances times its prices, and the last equity point is GetPortfolio\'s total value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ sell: fc.boolean(), tenths: fc.integer({ min: 1, max: 20 }), solUsd: fc.integer({ min: 50, max: 400 }) }), { minLength: 1, maxLength: 6 }), async (steps) => {
        const journal = createMemoryJournal();
        const prices = movingPrices();
        const { executor } = testExecutor({ journal, prices });
        for (const s of steps) {
          prices.solUsd = String(s.solUsd);
          await executor.executeTrade(trade({ action: s.sell ? 'SELL' : 'BUY', amount: (s.tenths / 10).toFixed(1) })).catch(() => undefined);
        }
        for (const m of journal.marks) expect(m.valueUsd).toEqual(valueOf(m));
        const summary = await executor.getPortfolio('default');
        const report = await executor.getReport('default', {});
        expect(formatUsd(report.end.valueUsd)).toBe(summary.totalValueUsd);
        expect(report.equity.at(-1)?.valueUsd).toEqual(report.end.valueUsd);
      }),
      { numRuns: 25 },
    );
  });

  it('takes a mark at creation, on every trade and on reset, each after the ledger event it follows', async () => {
    const journal = createMemoryJournal();
    const { executor } = testExecutor({ journal });
    await executor.executeTrade(trade());
    await executor.executeTrade(trade({ action: 'SELL', amount: '0.5' }));
    await executor.resetPortfolio('default', {});
    expect(journal.marks.map((m) => m.sequence)).toEqual([1, 2, 3, 4]);
    // A reset starts a new series: the report covers the portfolio since it.
    const report = await executor.getReport('default', {});
    expect(report.start.sequence).toBe(4);
    expect(report.trades.total).toBe(0);
  });

  it('marks are journaled, survive a restart (and a snapshot), and replay still verifies with the same state hash', async () => {
    const dir = await tempDir();
    const first = await open(dir, movingPrices(), 3);
    for (const [i, solUsd] of ['150', '160', '140', '155'].entries()) {
      first.prices.solUsd = solUsd;
      await first.executor.executeTrade(trade({ action: i % 2 === 0 ? 'BUY' : 'SELL', amount: '0.5', metadata: { strategy: i < 2 ? 'a' : 'b' } }));
    }
    expect(await first.executor.markAll()).toBe(1);
    const hashBefore = (await first.executor.getPortfolio('default')).stateHash;
    // A mark is read back once durable; closing waits for the last group commit.
    await first.journal.close();
    const before = await first.executor.getReport('default', { toMs: Date.now() + 60_000 });

    const second = await open(dir);
    const after = await second.executor.getReport('default', { toMs: Date.now() + 60_000 });
    expect(after.markCount).toBe(6); // creation, 4 trades, 1 periodic
    expect(after.markCount).toBe(before.markCount);
    expect(after.end).toEqual(before.end);
    expect(after.pnl).toEqual(before.pnl);
    expect(after.groups.map((g) => [g.value, g.trades.total])).toEqual([['a', 2], ['b', 2]]);
    expect((await second.executor.getPortfolio('default')).stateHash).toBe(hashBefore);
    await second.journal.close();

    const events: LedgerEvent[] = [];
    const read = await readJournal(dir, tokens, (e) => {
      events.push(e);
    });
    expect(read.records).toBe(events.length + 6);
    expect(verifyEvents(events, testPipeline(), SOL).mismatches).toEqual([]);
  });

  it('a journal written before marks and trade metadata opens with the same state hash and reports from a mark taken now', async () => {
    // The old format: ledger events only, trades without metadata.
    const mem = createMemoryJournal();
    const { executor: writer } = testExecutor({ journal: mem });
    await writer.executeTrade(trade());
    await writer.executeTrade(trade({ action: 'SELL', amount: '0.25' }));
    const hash = (await writer.getPortfolio('default')).stateHash;
    const dir = await tempDir();
    const { journal } = await openFileJournal({ dir, tokens, snapshotEvery: 0 });
    for (const e of mem.events) await journal.append(e);
    await journal.close();

    const { executor, journal: reopened } = await open(dir, movingPrices());
    expect((await executor.getPortfolio('default')).stateHash).toBe(hash);
    expect((await executor.listTrades('default', 0, '')).trades.every((t) => t.metadata === undefined)).toBe(true);
    const report = await executor.getReport('default', {});
    expect(report.markCount).toBe(1);
    expect(formatUsd(report.end.valueUsd)).toBe((await executor.getPortfolio('default')).totalValueUsd);
    await reopened.close();
    const all = await readJournal(dir, tokens, () => undefined);
    expect(all.records).toBe(mem.events.length); // reads wrote nothing
  });

  it('periodic marks: every portfolio holding anything, with one batched price lookup', async () => {
    const journal = createMemoryJournal();
    const prices = movingPrices();
    const executor = testExecutor({ journal, prices }).executor as MarkingExecutor;
    for (const id of ['b', 'a', 'c']) await executor.executeTrade(trade({ portfolioId: id }));
    await executor.resetPortfolio('empty', { USDC: '0' });
    const seen: number[] = [];
    const stop = executor.subscribeMarks('a', (m) => seen.push(m.sequence));
    const lookups = prices.lookups;
    expect(await executor.markAll()).toBe(3);
    expect(prices.lookups - lookups).toBe(1);
    expect(seen).toEqual([2]);
    stop();
    const listed = await executor.listPortfolios();
    expect(listed.map((p) => p.portfolioId)).toEqual(['a', 'b', 'c', 'empty']);
    expect(prices.lookups - lookups).toBe(2); // listPortfolios: one lookup for all of them
    expect(listed[0]).toEqual(await executor.getPortfolio('a'));
  });

  it('a report of an unknown portfolio is NOT_FOUND; from after to is INVALID_ARGUMENT naming from', async () => {
    const { executor } = testExecutor();
    expect(await code(executor.getReport('nobody', {}))).toBe('PORTFOLIO_NOT_FOUND portfolio_id');
    await executor.executeTrade(trade());
    expect(await code(executor.getReport('default', { fromMs: 2_000, toMs: 1_000 }))).toBe('INVALID_ARGUMENT from');
    expect(await code(executor.getReport('default', {}))).toBe('OK');
  });
});

describe('trade metadata', () => {
  it('is kept on the trade and journaled; absent and {} are the same payload', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    const id = randomUUID();
    const tagged = await first.executor.executeTrade(trade({ metadata: { strategy: 'momentum', v: 2 } }));
    expect(tagged.trade.metadata).toEqual({ strategy: 'momentum', v: 2 });
    const plain = await first.executor.executeTrade(trade({ requestId: id }));
    expect(plain.trade.metadata).toBeUndefined();
    const again = await first.executor.executeTrade(trade({ requestId: id, metadata: {} }));
    expect(again.trade.tradeId).toBe(plain.trade.tradeId);
    expect(await code(first.executor.executeTrade(trade({ requestId: id, metadata: { strategy: 'x' } })))).toBe('DUPLICATE_REQUEST request_id');
    await first.journal.close();
    const second = await open(dir);
    const listed = (await second.executor.listTrades('default', 0, '')).trades;
    expect(listed.map((t) => t.metadata)).toEqual([undefined, { strategy: 'momentum', v: 2 }]);
    await second.journal.close();
  });
});

/** The same steps 4-8 as testExecutor's, so verifyEvents re-executes exactly. */
const testPipeline = (): PipelineOptions => ({
  slippage: createSlippageRegistry(),
  defaultSlippageModel: { name: 'fixed', params: { bps: 100 } },
  defaultToleranceBps: 300,
  nearToleranceRatio: 0.8,
  fees: DEFAULT_FEES,
  sol: SOL,
  mev: undefined,
  drift: undefined,
});
