import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildExecutor } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { cmp } from '../src/domain/ratio.js';
import type { RawTradeRequest } from '../src/domain/request.js';
import { exceedProbability } from '../src/domain/slippage/empirical.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { DEFAULT_FIT, errorSamples, fitEmpirical } from '../src/fidelity/distribution.js';
import { emittedModelText } from '../src/fidelity/emit.js';
import { splitTrades } from '../src/fidelity/evaluate.js';
import { buildHistory } from '../src/fidelity/history.js';
import { loadTrades } from '../src/fidelity/load.js';
import { createMetrics } from '../src/observability/metrics.js';
import { silentLogger } from '../src/observability/logger.js';

/**
 * The empirical model end to end: fitted on the shipped pump.fun file (each token's first half, quotes
 * one slot old), written as `pte evaluate --emit-model` writes it, named from a config file, loaded at
 * start, and run by the executor on memecoin trades. The file's tokens are not in the registry: BONK
 * and WIF are memecoins of the same class, so they draw from the meme class's tables.
 */
const dir = mkdtempSync(join(tmpdir(), 'pte-empirical-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = readFileSync(new URL('../reference/live-trades/pumpfun-trades-2025-09.csv', import.meta.url), 'utf8');
const loaded = loadTrades(text, createTokenRegistry());
const history = buildHistory(loaded.trades);
const model = fitEmpirical(errorSamples(splitTrades(loaded.trades, 'per-token').first, history, 1), { ...DEFAULT_FIT, horizonSlots: 1, fittedOn: 'test' });
const modelFile = join(dir, 'memecoin.yaml');
writeFileSync(modelFile, emittedModelText(model, modelFile));
const configFile = join(dir, 'pte.yaml');
writeFileSync(
  configFile,
  [
    'seed: 42',
    'slippage:',
    `  model: { name: empirical, params: { file: ${JSON.stringify(modelFile)} } }`,
    'fees: { chargeRent: false }',
    'portfolios:',
    '  startingBalances: { SOL: "100000", BONK: "100000000000", WIF: "10000000" }',
  ].join('\n'),
);

const executorFor = () => buildExecutor(loadConfig({ file: configFile }), silentLogger(), createMetrics({ defaultMetrics: false })).executor;

/** Seeded ids: the same 1,000 trades on every run. */
const id = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
function memecoinTrade(i: number): RawTradeRequest {
  const token = i % 4 < 2 ? 'BONK' : 'WIF';
  const buy = i % 2 === 0;
  return {
    requestId: id(i),
    action: buy ? 'BUY' : 'SELL',
    baseToken: token,
    quoteToken: 'SOL',
    // Buys spend 0.5 SOL; sells sell about as much of the token.
    amount: buy ? '0.5' : token === 'BONK' ? '4000000' : '40',
    isBaseInput: !buy,
    slippageToleranceBps: 50,
    priorityFee: '0',
    simulateMev: false,
    portfolioId: '',
    mevProtection: 'PUBLIC',
  };
}

describe('the empirical model through the executor', () => {
  it('fails memecoin trades at 50 bps tolerance as often as the fitted tables say, moving fills both ways', async () => {
    const executor = executorFor();
    const trades = [];
    for (let i = 0; i < 1_000; i++) trades.push((await executor.executeTrade(memecoinTrade(i))).trade);
    // Every trade drew from the meme class's smallest size bucket: the expected failure rate is that
    // of its side's table.
    const table = (side: 'buy' | 'sell') => {
      const t = model.tables.find((x) => x.scope.kind === 'class' && x.scope.class === 'meme' && x.side === side && x.bucket === 0);
      if (!t) throw new Error(`no meme ${side} table`);
      return t.quantilesBps;
    };
    for (const t of trades) expect(t.slippageExplanation).toMatch(/^empirical: .* the meme class \((buy|sell), size under [\d.]+ bps of depth;/);
    const expected = trades.reduce((a, t) => a + exceedProbability(table(t.action === 'BUY' ? 'buy' : 'sell'), 50), 0) / trades.length;
    const failed = trades.filter((t) => t.status === 'FAILED_SLIPPAGE');
    expect(expected).toBeGreaterThan(0.05);
    expect(Math.abs(failed.length / trades.length - expected)).toBeLessThanOrEqual(0.03);
    // The tolerance decides: every failure drew more than 50 bps against the trade, every fill at most 50.
    expect(failed.every((t) => t.slippageBps > 50 && t.outputAmount === 0n && t.fees.total > 0n)).toBe(true);
    const filled = trades.filter((t) => t.status === 'FILLED');
    expect(filled.every((t) => t.slippageBps <= 50)).toBe(true);
    // Markets move both ways: some fills are better than the quote.
    const favourable = filled.filter((t) => t.slippageBps < 0);
    expect(favourable.length).toBeGreaterThan(10);
    for (const t of favourable.slice(0, 20)) {
      // A BUY at a negative slippage pays less per token than expected: executed < expected price.
      expect(cmp(t.executedPrice, t.expectedPrice)).toBe(t.action === 'BUY' ? -1 : 1);
    }
    // The trade records the model by its digest, not its file or tables.
    expect(trades[0]?.inputs.slippageModel).toEqual({ name: 'empirical', params: { sha256: model.digest } });
  });

  it('reproduces every draw from the seed on a fresh executor', async () => {
    const [a, b] = [executorFor(), executorFor()];
    for (let i = 0; i < 50; i++) {
      const [x, y] = [(await a.executeTrade(memecoinTrade(i))).trade, (await b.executeTrade(memecoinTrade(i))).trade];
      expect([y.seed, y.status, y.slippageBps, y.outputAmount]).toEqual([x.seed, x.status, x.slippageBps, x.outputAmount]);
    }
  });
});
