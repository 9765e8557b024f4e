/**
 * Market-data benchmark: steady trade load over 10 tokens against the Jupiter emulator (20-50 ms of
 * upstream latency) through Redis, in process, with the production wiring (createMarket via
 * buildExecutor). Prints the cache hit rate, upstream calls per second (against the per-endpoint
 * limit), price-lookup latency per cache level and end-to-end latency; then the BUY/SELL price-impact
 * comparison (depth model vs a route quote) behind the decision in docs/market-data.md.
 *
 * Run: npm run build && node dist/bench/market.js
 * Options (env): PTE_BENCH_MARKET_SECONDS (default 60), PTE_BENCH_MARKET_RATE (trades/s, default 200).
 */
import { randomUUID } from 'node:crypto';
import { build, type Histogram } from 'hdr-histogram-js';
import { buildExecutor } from '../src/app.js';
import { configSchema } from '../src/config/schema.js';
import { amount } from '../src/domain/amount.js';
import { depthImpact, toBps } from '../src/domain/pricing.js';
import { pow10, ratio, toNumber } from '../src/domain/ratio.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { createRedisClient } from '../src/market/build.js';
import { startJupiterEmulator } from '../src/market/jupiter-emulator.js';
import { createJupiterSource } from '../src/market/jupiter-source.js';
import { createJupiterTransport } from '../src/market/jupiter-transport.js';
import { startLocalRedis } from '../test/fakes/local-redis.js';
import { createRedisPriceLayer } from '../src/market/redis-price-layer.js';
import { createMetrics } from '../src/observability/metrics.js';
import { silentLogger } from '../src/observability/logger.js';
import { table } from './table.js';

const SECONDS = Number(process.env.PTE_BENCH_MARKET_SECONDS ?? '60');
const RATE = Number(process.env.PTE_BENCH_MARKET_RATE ?? '200');
const TOKENS = ['SOL', 'USDT', 'JUP', 'BONK', 'WIF', 'JTO', 'RAY', 'PYTH', 'mSOL', 'JitoSOL'];
const PORTFOLIOS = 10;

const histogram = (): Histogram => build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: 3 });
/** ns -> "12.3 us" / "4.56 ms". */
const fmt = (ns: number): string => (ns < 1_000_000 ? `${(ns / 1000).toFixed(1)} us` : `${(ns / 1e6).toFixed(2)} ms`);
const pct = (h: Histogram, p: number): string => (h.totalCount === 0 ? '-' : fmt(h.getValueAtPercentile(p)));
const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const tokens = createTokenRegistry();
  const [redis, jupiter] = await Promise.all([startLocalRedis(), startJupiterEmulator({ faults: ['latency=20-50'] })]);
  const config = configSchema.parse({
    market: { kind: 'jupiter', jupiterUrls: [jupiter.url], redisUrl: redis.url },
    portfolios: { startingBalances: { SOL: '100', USDC: '1000000' } },
  });
  const { executor, market } = buildExecutor(config, silentLogger(), createMetrics({ defaultMetrics: false }));
  process.stderr.write(
    `bench market: ${SECONDS}s at ${RATE} trades/s over ${TOKENS.length} tokens; emulator ${jupiter.url} (20-50 ms), redis ${redis.url}; ` +
      `L1 TTL ${config.market.l1TtlMs ?? Math.min(500, config.market.priceTtlMs)} ms, Redis TTL ${config.market.priceTtlMs} ms, ` +
      `limit ${config.market.perEndpointRatePerSec}/s per endpoint\n`,
  );

  const e2e = histogram();
  const lookup = histogram();
  const lookupHit = histogram();
  let trades = 0;
  let errors = 0;
  const trade = async (i: number): Promise<void> => {
    const t0 = process.hrtime.bigint();
    try {
      const r = await executor.executeTrade({
        requestId: randomUUID(),
        action: 'BUY',
        baseToken: TOKENS[i % TOKENS.length] ?? 'SOL',
        quoteToken: 'USDC',
        amount: '0.01',
        isBaseInput: false,
        priorityFee: '0',
        simulateMev: false,
        portfolioId: `bench-${i % PORTFOLIOS}`,
        mevProtection: 'PUBLIC',
      });
      e2e.recordValue(Math.max(1, since(t0)));
      lookup.recordValue(Math.max(1, r.metrics.priceLookupUs * 1000));
      if (r.metrics.cacheHit) lookupHit.recordValue(Math.max(1, r.metrics.priceLookupUs * 1000));
      trades++;
    } catch {
      errors++;
    }
  };

  // Warm-up: portfolios, JIT, and the first cache fills (whose second upstream call waits for a
  // rate-limit slot); then forget what it cost.
  const load = async (seconds: number): Promise<number> => {
    const t0 = Date.now();
    const inflight = new Set<Promise<void>>();
    for (let tick = 0; Date.now() - t0 < seconds * 1000; tick++) {
      const due = Math.floor(((tick + 1) * RATE) / 100) - Math.floor((tick * RATE) / 100);
      for (let k = 0; k < due; k++) {
        const p = trade(i++);
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
      await sleep(Math.max(0, t0 + (tick + 1) * 10 - Date.now()));
    }
    await Promise.all(inflight);
    return (Date.now() - t0) / 1000;
  };
  let i = 0;
  await load(3);
  jupiter.resetRequests();
  e2e.reset();
  lookup.reset();
  lookupHit.reset();
  trades = 0;
  errors = 0;
  const before = market.stats();
  trades = 0;

  // Open loop: RATE trades a second in 10 ms ticks, whatever the latency of earlier ones.
  const start = Date.now();
  const elapsed = await load(SECONDS);
  const after = market.stats();

  const l1Hits = after.l1.hits - before.l1.hits;
  const l1Misses = after.l1.misses - before.l1.misses;
  const l2Hits = (after.l2?.hits ?? 0) - (before.l2?.hits ?? 0);
  const l2Misses = (after.l2?.misses ?? 0) - (before.l2?.misses ?? 0);
  const lookups = l1Hits + l1Misses;
  const perSecond = new Map<number, number>();
  for (const r of jupiter.requests()) {
    const s = Math.floor((r.atMs - start) / 1000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  const upstream = jupiter.count();
  if (process.env.PTE_BENCH_MARKET_DEBUG === '1') {
    for (const r of jupiter.requests()) process.stderr.write(`upstream ${r.path} at +${r.atMs - start} ms, ${r.mints.length} ids\n`);
  }
  const maxPerSecond = Math.max(0, ...perSecond.values());

  // Isolated lookups, so each level's latency is its own: L1 hits (warm), then Redis hits.
  const l1Only = histogram();
  const mints = [tokens.bySymbol('SOL').mint, tokens.bySymbol('USDC').mint];
  await market.prices.getUsdPrices(mints);
  for (let k = 0; k < 50_000; k++) {
    const t0 = process.hrtime.bigint();
    await market.prices.getUsdPrices(mints);
    l1Only.recordValue(Math.max(1, since(t0)));
  }
  const l2Only = histogram();
  const client = createRedisClient(redis.url, 50);
  while (client.status !== 'ready') await sleep(10);
  const failing = createJupiterSource({ transport: createJupiterTransport({ baseUrls: ['http://127.0.0.1:9'], maxAttemptsPerEndpoint: 1 }) });
  // Own keys with a long TTL, so the measurement sees only hits.
  const keyPrefix = 'bench:price:';
  const l2 = createRedisPriceLayer(failing, { redis: client, ttlMs: 60_000, keyPrefix });
  await createRedisPriceLayer(createJupiterSource({ transport: createJupiterTransport({ baseUrls: [jupiter.url], ratePerSec: 100 }) }), {
    redis: client,
    ttlMs: 60_000,
    keyPrefix,
  }).fetchUsdPrices(mints);
  await sleep(50);
  // A command past the 50 ms Redis timeout falls through to the (dead) upstream: counted, not timed.
  let l2Timeouts = 0;
  for (let k = 0; k < 7_000; k++) {
    const t0 = process.hrtime.bigint();
    try {
      const r = await l2.fetchUsdPrices(mints);
      if (r.fromCache && k >= 2_000) l2Only.recordValue(Math.max(1, since(t0)));
    } catch {
      l2Timeouts++;
    }
  }

  process.stdout.write(`\n## Market data: ${elapsed.toFixed(0)} s, ${RATE} trades/s over ${TOKENS.length} tokens, emulator at 20-50 ms, Redis TTL 2 s\n\n`);
  process.stdout.write(
    table(
      ['metric', 'value', 'goal'],
      [
        ['trades (errors)', `${trades} (${errors})`, '-'],
        ['mint lookups', String(lookups), '-'],
        ['L1 hit rate', `${((100 * l1Hits) / Math.max(1, lookups)).toFixed(2)} %`, '-'],
        ['L2 (Redis) hits / misses', `${l2Hits} / ${l2Misses}`, '-'],
        ['cache hit rate (L1 + Redis)', `${((100 * (lookups - l2Misses)) / Math.max(1, lookups)).toFixed(2)} %`, '>= 95 %'],
        ['upstream calls/s, mean', (upstream / elapsed).toFixed(2), `<= ${config.market.perEndpointRatePerSec}`],
        ['upstream calls in the busiest second', String(maxPerSecond), `<= ${config.market.perEndpointRatePerSec}`],
        ['price lookup p50 / p99 (every trade)', `${pct(lookup, 50)} / ${pct(lookup, 99)}`, '-'],
        ['price lookup p50 / p99 (trades served from cache)', `${pct(lookupHit, 50)} / ${pct(lookupHit, 99)}`, '-'],
        ['L1 hit lookup p50 / p99 (isolated, 2 mints)', `${pct(l1Only, 50)} / ${pct(l1Only, 99)}`, '< 50 us'],
        ['Redis hit lookup p50 / p99 (isolated, 2 mints)', `${pct(l2Only, 50)} / ${pct(l2Only, 99)}${l2Timeouts > 0 ? ` (${l2Timeouts} past the 50 ms timeout)` : ''}`, 'p99 < 1 ms'],
        ['end-to-end trade p50 / p99 / max', `${pct(e2e, 50)} / ${pct(e2e, 99)} / ${fmt(e2e.maxValue)}`, '-'],
      ],
    ) + '\n',
  );

  // BUY/SELL price impact: the depth model (Price v3 liquidity, no extra call) vs a route quote.
  const rows: string[][] = [];
  const quoteTimes = histogram();
  const direct = createJupiterSource({ transport: createJupiterTransport({ baseUrls: [jupiter.url], ratePerSec: 1_000 }) });
  for (const symbol of ['SOL', 'JUP', 'BONK']) {
    const t = tokens.bySymbol(symbol);
    const usdc = tokens.bySymbol('USDC');
    const prices = (await direct.fetchUsdPrices([t.mint])).prices.get(t.mint);
    if (!prices) continue;
    for (const usd of [1_000n, 10_000n, 100_000n, 1_000_000n]) {
      const tradeUsd = ratio(usd);
      const depth = depthImpact(tradeUsd, prices.liquidityUsd);
      const t0 = process.hrtime.bigint();
      const q = await direct.fetchQuote({ inputMint: usdc.mint, outputMint: t.mint, amount: amount(usd * pow10(usdc.decimals)), swapMode: 'ExactIn', slippageBps: 50 });
      quoteTimes.recordValue(Math.max(1, since(t0)));
      const liqM = prices.liquidityUsd ? toNumber(prices.liquidityUsd) / 1e6 : 0;
      rows.push([symbol, `$${usd.toLocaleString('en-US')}`, `$${liqM.toFixed(1)}M`, toBps(depth).toFixed(1), toBps(q.quote.priceImpact).toFixed(1), (toBps(q.quote.priceImpact) - toBps(depth)).toFixed(1)]);
    }
  }
  process.stdout.write('\n## BUY/SELL price impact: depth model vs route quote (bps)\n\n');
  process.stdout.write(table(['token', 'trade (USDC in)', 'liquidity', 'depth model', 'quote', 'quote - depth'], rows) + '\n');
  process.stdout.write(`\nA quote costs one uncached upstream call per trade: p50 ${pct(quoteTimes, 50)}, p99 ${pct(quoteTimes, 99)} here (emulator at 20-50 ms), and one slot of the ${config.market.perEndpointRatePerSec}/s budget.\n`);

  client.disconnect();
  await market.close();
  await Promise.all([redis.stop(), jupiter.close()]);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench market failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
