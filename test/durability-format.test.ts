/**
 * Format compatibility: a data directory written by the release before the portfolio book took sole
 * ownership of ledger state (test/fixtures/journal-v3: trades with and without metadata, a SWAP,
 * marks, resets, two version-3 snapshots and a tail after them) opens with this code and gives the
 * same state hashes and the same trade histories; a snapshot written now reads back to those states.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildExecutor } from '../src/app.js';
import { configSchema } from '../src/config/schema.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { portfolioStateHash } from '../src/executor/state-hash.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { openFileJournal } from '../src/store/file-journal.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'journal-v3');
const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as {
  stateHashes: Record<string, string>;
  tradeIds: Record<string, string[]>;
};
const tokens = createTokenRegistry();
const config = configSchema.parse({ portfolios: { startingBalances: { SOL: '20', USDC: '3000', JUP: '500' } } });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function copyOfFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pte-format-'));
  dirs.push(dir);
  cpSync(FIXTURE, dir, { recursive: true, filter: (src) => !src.endsWith('expected.json') });
  return dir;
}

async function open(dir: string, snapshotEvery = 0) {
  const { journal, image, report } = await openFileJournal({ dir, tokens, snapshotEvery });
  const { executor } = buildExecutor(config, silentLogger(), createMetrics({ defaultMetrics: false }), { journal, restored: image.portfolios });
  return { journal, executor, report };
}

async function hashesAndTrades(executor: Awaited<ReturnType<typeof open>>['executor']) {
  const hashes: Record<string, string | undefined> = {};
  const trades: Record<string, string[]> = {};
  for (const p of await executor.listPortfolios()) {
    hashes[p.portfolioId] = p.stateHash;
    trades[p.portfolioId] = (await executor.listTrades(p.portfolioId, 1_000, '')).trades.map((t) => t.tradeId);
  }
  return { hashes, trades };
}

describe('a journal written by the earlier release', () => {
  it('opens from its version-3 snapshot and tail with the same state hashes and trade histories', async () => {
    const { journal, executor, report } = await open(copyOfFixture());
    expect(report.snapshotSeq).toBeGreaterThan(0);
    expect(report.replayed).toBeGreaterThan(0);
    const { hashes, trades } = await hashesAndTrades(executor);
    expect(hashes).toEqual(expected.stateHashes);
    expect(trades).toEqual(expected.tradeIds);
    await journal.close();
  });

  it('gives the same state hashes from its records alone, without the snapshots', async () => {
    const dir = copyOfFixture();
    for (const n of readdirSync(dir)) if (n.startsWith('snapshot-')) rmSync(join(dir, n));
    const { journal, executor, report } = await open(dir);
    expect(report.snapshotSeq).toBe(0);
    expect((await hashesAndTrades(executor)).hashes).toEqual(expected.stateHashes);
    await journal.close();
  });

  it('answers a duplicate of a trade it holds with the original trade, and keeps the states after a snapshot taken from the book', async () => {
    const dir = copyOfFixture();
    const first = await open(dir, 1);
    // The fixture's first request (alpha's oldest trade), sent again with the same payload.
    const duplicate = await first.executor.executeTrade({
      requestId: '00000000-0000-4000-8000-000000000001',
      action: 'BUY',
      baseToken: 'SOL',
      quoteToken: 'USDC',
      amount: '0.5',
      isBaseInput: true,
      priorityFee: '10000',
      simulateMev: false,
      portfolioId: 'alpha',
      mevProtection: 'UNSPECIFIED',
      metadata: { strategy: 'momentum' },
    });
    expect(duplicate.trade.tradeId).toBe(expected.tradeIds.alpha?.at(-1));
    expect(duplicate.warnings.at(-1)).toMatch(/duplicate request_id: this is the original trade as journaled/);
    // One more record, so the journal takes a snapshot of the book's states at its sequence.
    await first.executor.resetPortfolio('delta', {});
    await first.journal.close();
    expect(first.journal.stats().snapshots).toBeGreaterThan(0);

    const again = await open(dir);
    expect(again.report.snapshotSeq).toBeGreaterThan(first.report.lastSeq); // a snapshot of the book, past the fixture's records
    const { hashes } = await hashesAndTrades(again.executor);
    expect(Object.fromEntries(Object.entries(hashes).filter(([id]) => id !== 'delta'))).toEqual(expected.stateHashes);
    const state = (await again.executor.states()).find((s) => s.portfolioId === 'delta');
    expect(state && portfolioStateHash(state)).toBe(hashes.delta);
    await again.journal.close();
  });
});
