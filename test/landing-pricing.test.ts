/**
 * Landing-time pricing end to end over gRPC (DESIGN.md, execution timing): the executor draws the
 * seeded landing delay, waits it out, prices on a market observed no earlier than the landing instant
 * (the simulated market, the Jupiter emulator), answers then, and `pte replay --verify` reproduces
 * every such trade from the journal, before and after a restart.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pipelineOptions } from '../src/app.js';
import type { CliIo } from '../src/cli/io.js';
import { replayJournal } from '../src/cli/replay.js';
import { run } from '../src/cli/run.js';
import type { ExecutorClient, TimestampMessage, TradeResultMessage } from '../src/client/index.js';
import { configSchema, type ConfigInput } from '../src/config/schema.js';
import type { LedgerEvent } from '../src/domain/ledger.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { verifyEvents } from '../src/executor/replay.js';
import { createRedisClient } from '../src/market/build.js';
import { startJupiterEmulator, type JupiterEmulator } from '../src/market/jupiter-emulator.js';
import { createJupiterSource } from '../src/market/jupiter-source.js';
import { createJupiterTransport } from '../src/market/jupiter-transport.js';
import { startLocalRedis, type LocalRedis } from './fakes/local-redis.js';
import { createPriceCache } from '../src/market/price-cache.js';
import { createRedisPriceLayer } from '../src/market/redis-price-layer.js';
import { readJournal } from '../src/store/journal-reader.js';
import { rejection, startTestServer, trade } from './support.js';

const msOf = (ts: TimestampMessage | null | undefined): number => {
  if (!ts) throw new Error('missing timestamp');
  return Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
};

/** The reply and how long it took, measured by the caller. */
async function timed(p: () => Promise<TradeResultMessage>): Promise<{ r: TradeResultMessage; elapsedMs: number }> {
  const t0 = performance.now();
  const r = await p();
  return { r, elapsedMs: performance.now() - t0 };
}

function landingOf(r: TradeResultMessage): { slots: number; delayMs: number; sentAtMs: number; pricedAtMs: number } {
  const l = r.trade?.landing;
  if (!l) throw new Error('the trade carries no landing record');
  expect(l.pricing).toBe('EXECUTION_PRICING_LANDING');
  return { slots: l.slots, delayMs: Number(l.delayMs), sentAtMs: msOf(l.sentAt), pricedAtMs: msOf(l.pricedAt) };
}

// Small slots keep the file quick; at least 3 slots make every delay clearly measurable.
const TIMING: ConfigInput = { execution: { slotMs: 40 }, slippage: { landingDelay: { minSlots: 3 } } };

describe('landing-time pricing with the simulated market', () => {
  let client: ExecutorClient;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    // A long price lifetime: an immediate trade is served from the cache, a landing trade must not be.
    ({ client, stop } = await startTestServer({ ...TIMING, market: { priceTtlMs: 60_000 } }));
  });
  afterAll(async () => stop());

  it('immediate stays the default: no landing record, no wait, the cached price is used', async () => {
    await client.executeTrade(trade({ portfolioId: 'sim-default', amount: '0.1' }));
    const r = await client.executeTrade(trade({ portfolioId: 'sim-default', amount: '0.1' }));
    expect(r.trade?.status).toBe('TRADE_STATUS_FILLED');
    expect(r.trade?.landing ?? null).toBeNull();
    expect(r.executionMetrics?.cacheHit).toBe(true);
    expect(r.executionMetrics?.landingWaitUs).toBe('0');
  });

  it('a landing trade waits the seeded delay, is priced on a state observed after it, and answers then', async () => {
    await client.executeTrade(trade({ portfolioId: 'sim-landing', amount: '0.1' })); // warms the cache
    const { r, elapsedMs } = await timed(() => client.executeTrade(trade({ portfolioId: 'sim-landing', amount: '0.1', executionPricing: 'LANDING' })));
    const l = landingOf(r);
    expect(r.trade?.status).toBe('TRADE_STATUS_FILLED');
    expect(l.slots).toBeGreaterThanOrEqual(3);
    expect(l.delayMs).toBe(l.slots * 40);
    expect(l.pricedAtMs).toBeGreaterThanOrEqual(l.sentAtMs + l.delayMs);
    expect(elapsedMs).toBeGreaterThanOrEqual(l.delayMs);
    expect(Number(r.executionMetrics?.landingWaitUs)).toBeGreaterThanOrEqual(l.delayMs * 1000);
    // The cache entry fetched before the request was sent is passed over: the market is asked again.
    expect(r.executionMetrics?.cacheHit).toBe(false);
    expect(r.executionMetrics?.priceFetchAttempts).toBeGreaterThanOrEqual(1);
    expect(r.warnings.some((w) => w.startsWith('slow execution'))).toBe(false);
  });

  it('the delay is drawn from the trade seed: the same request id draws the same slots on another server', async () => {
    const id = '7d5f7c1e-2a8b-4c3d-9e0f-1a2b3c4d5e6f';
    const first = await client.executeTrade(trade({ requestId: id, portfolioId: 'sim-seeded-1', amount: '0.1', executionPricing: 'LANDING' }));
    const other = await startTestServer(TIMING);
    try {
      const second = await other.client.executeTrade(trade({ requestId: id, portfolioId: 'sim-seeded-1', amount: '0.1', executionPricing: 'LANDING' }));
      expect(second.trade?.seed).toBe(first.trade?.seed);
      expect(landingOf(second).slots).toBe(landingOf(first).slots);
    } finally {
      await other.stop();
    }
  });

  it('other trades of the portfolio go on while a landing trade waits; it is booked when it lands', async () => {
    const pid = 'sim-order';
    const landing = client.executeTrade(trade({ portfolioId: pid, amount: '0.1', executionPricing: 'LANDING' }));
    const quick = await client.executeTrade(trade({ portfolioId: pid, amount: '0.1' }));
    const landed = await landing;
    // The portfolio's creation is ledger entry 1; the quick trade is booked first, the landing one after.
    expect(quick.trade?.sequence).toBe('2');
    expect(landed.trade?.sequence).toBe('3');
    expect(msOf(landed.trade?.executedAt)).toBeGreaterThanOrEqual(landingOf(landed).sentAtMs + landingOf(landed).delayMs);
  });

  it('a deadline shorter than the landing delay is DEADLINE_EXCEEDED and nothing is booked', async () => {
    const pid = 'sim-deadline';
    const e = await rejection(client.executeTrade(trade({ portfolioId: pid, amount: '0.1', executionPricing: 'LANDING' }), { deadlineMs: 50 }));
    expect(e.code).toBe(4);
    // Past any landing instant the trade could have had (3+ slots of 40 ms; the geometric tail is short).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await client.listTrades({ portfolioId: pid })).trades).toHaveLength(0);
    expect((await client.getPortfolio(pid)).tradeCount).toBe('0');
  });

  it('an execution_pricing this server does not know is INVALID_ARGUMENT naming the field', async () => {
    const e = await rejection(client.executeTrade(trade({ portfolioId: 'sim-bad-enum', amount: '0.1', executionPricing: 7 })));
    expect(e.code).toBe(3);
    expect(e.details).toContain('execution_pricing');
  });

  it('execution_pricing is part of the payload: the same request id with another pricing is refused', async () => {
    const unset = trade({ portfolioId: 'sim-idem', amount: '0.1' });
    const req = { ...unset, executionPricing: 'LANDING' as const };
    const first = await client.executeTrade(req);
    const again = await client.executeTrade(req);
    expect(again.trade?.tradeId).toBe(first.trade?.tradeId);
    expect(again.trade?.landing?.slots).toBe(first.trade?.landing?.slots);
    const changed = await rejection(client.executeTrade(unset));
    expect(changed.code).toBe(6); // ALREADY_EXISTS: a different payload
    const explicit = await rejection(client.executeTrade({ ...req, executionPricing: 'IMMEDIATE' }));
    expect(explicit.code).toBe(6);
  });
});

describe('landing-time pricing with the Jupiter emulator', () => {
  let a: JupiterEmulator;
  let b: JupiterEmulator;
  let client: ExecutorClient;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    [a, b] = await Promise.all([startJupiterEmulator(), startJupiterEmulator()]);
    ({ client, stop } = await startTestServer({
      ...TIMING,
      market: { kind: 'jupiter', jupiterUrls: [a.url, b.url], priceTtlMs: 60_000, perEndpointRatePerSec: 1_000, backoffBaseMs: 5, requestTimeoutMs: 500 },
    }));
  });
  afterAll(async () => {
    await stop();
    await Promise.all([a.close(), b.close()]);
  });

  it('the price request reaches Jupiter after sent_at + delay, and the fill is priced on its answer', async () => {
    await client.executeTrade(trade({ portfolioId: 'jup-landing', amount: '0.1' })); // cached for a minute from here
    a.resetRequests();
    b.resetRequests();
    const { r, elapsedMs } = await timed(() => client.executeTrade(trade({ portfolioId: 'jup-landing', amount: '0.1', executionPricing: 'LANDING' })));
    const l = landingOf(r);
    expect(r.trade?.status).toBe('TRADE_STATUS_FILLED');
    expect(r.trade?.priceSource).toMatch(/^jupiter:/);
    expect(elapsedMs).toBeGreaterThanOrEqual(l.delayMs);
    const priceRequests = [...a.requests(), ...b.requests()].filter((q) => q.path === 'price');
    expect(priceRequests.length).toBeGreaterThanOrEqual(1);
    for (const q of priceRequests) expect(q.receivedAtMs).toBeGreaterThanOrEqual(l.sentAtMs + l.delayMs);
  });

  it('a landing SWAP takes a fresh route quote after the landing instant', async () => {
    a.resetRequests();
    b.resetRequests();
    const r = await client.executeTrade(trade({ portfolioId: 'jup-swap', action: 'SWAP', baseToken: 'SOL', quoteToken: 'JUP', amount: '1', executionPricing: 'LANDING' }));
    const l = landingOf(r);
    expect(r.trade?.status).toBe('TRADE_STATUS_FILLED');
    const quotes = [...a.requests(), ...b.requests()].filter((q) => q.path === 'quote');
    expect(quotes).toHaveLength(1);
    expect(quotes[0]?.receivedAtMs).toBeGreaterThanOrEqual(l.sentAtMs + l.delayMs);
  });
});

describe('landing-time pricing and the Redis price cache', () => {
  let redis: LocalRedis;
  let jupiter: JupiterEmulator;
  let client: Redis;
  beforeAll(async () => {
    [redis, jupiter] = await Promise.all([startLocalRedis(), startJupiterEmulator()]);
    client = createRedisClient(redis.url, 200);
    for (let i = 0; i < 200 && client.status !== 'ready'; i++) await new Promise((res) => setTimeout(res, 25));
  });
  afterAll(async () => {
    client.disconnect();
    await Promise.all([redis.stop(), jupiter.close()]);
  });

  it('an entry fetched before the bound is not served from L1 or Redis; one fetched after it is', async () => {
    const tokens = createTokenRegistry();
    const SOL = tokens.bySymbol('SOL').mint;
    const layer = () => createRedisPriceLayer(createJupiterSource({ transport: createJupiterTransport({ baseUrls: [jupiter.url], ratePerSec: 1_000 }) }), { redis: client, ttlMs: 60_000 });
    const l1 = createPriceCache(layer(), { ttlMs: 60_000 });
    jupiter.resetRequests();
    await l1.getUsdPrices([SOL]);
    expect(jupiter.count('price')).toBe(1);
    expect((await l1.getUsdPrices([SOL])).cacheHit).toBe(true);
    expect(jupiter.count('price')).toBe(1);
    // A second process (its own L1) finds the Redis entry, unless it must be newer than a bound.
    const other = createPriceCache(layer(), { ttlMs: 60_000 });
    expect((await other.getUsdPrices([SOL])).cacheHit).toBe(true);
    await new Promise((res) => setTimeout(res, 5));
    const bound = Date.now();
    const fresh = await other.getUsdPrices([SOL], { notBeforeMs: bound });
    expect(fresh.cacheHit).toBe(false);
    expect(jupiter.count('price')).toBe(2);
    expect(jupiter.requests().at(-1)?.receivedAtMs).toBeGreaterThanOrEqual(bound);
    // The fresh answer is now in both levels: the same bound is met from the cache.
    expect((await other.getUsdPrices([SOL], { notBeforeMs: bound })).cacheHit).toBe(true);
    expect((await createPriceCache(layer(), { ttlMs: 60_000 }).getUsdPrices([SOL], { notBeforeMs: bound })).cacheHit).toBe(true);
    expect(jupiter.count('price')).toBe(2);
  });
});

describe('replaying landing-time trades', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('pte replay --verify reproduces every landing trade exactly, before and after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pte-landing-'));
    dirs.push(dir);
    const settings: ConfigInput = { ...TIMING, execution: { pricing: 'landing', slotMs: 40 }, dataDir: dir };
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ execution: settings.execution, slippage: TIMING.slippage }));

    const first = await startTestServer(settings);
    const ids: string[] = [];
    try {
      const runs = await Promise.all([
        first.client.executeTrade(trade({ portfolioId: 'r', amount: '0.5' })), // the server's default: landing
        first.client.executeTrade(trade({ portfolioId: 'r', amount: '0.2', executionPricing: 'LANDING', priorityFee: '200000' })),
        first.client.executeTrade(trade({ portfolioId: 'r', amount: '0.1', executionPricing: 'IMMEDIATE' })),
        first.client.executeTrade(trade({ portfolioId: 's', action: 'SWAP', baseToken: 'SOL', quoteToken: 'JUP', amount: '1' })),
      ]);
      expect(runs.map((r) => r.trade?.landing?.pricing ?? 'none')).toEqual(['EXECUTION_PRICING_LANDING', 'EXECUTION_PRICING_LANDING', 'none', 'EXECUTION_PRICING_LANDING']);
      const sell = await first.client.executeTrade(trade({ portfolioId: 'r', action: 'SELL', amount: '0.3' }));
      ids.push(...[...runs, sell].map((r) => r.trade?.requestId ?? ''));
    } finally {
      await first.stop();
    }
    const io: CliIo = { out: () => undefined, err: () => undefined, env: {}, connect: () => { throw new Error('replay needs no server'); } };
    const verify = async (): Promise<string> => {
      const out: string[] = [];
      expect(await run(['replay', '--data-dir', dir, '--config', configFile, '--verify'], { ...io, out: (t) => out.push(t) })).toBe(0);
      return out.join('\n');
    };
    expect(await verify()).toMatch(/verify: 5 trades re-executed from their recorded inputs; every one reproduced exactly/);

    // After a restart: a duplicate gets the original landing trade; a new landing trade joins the journal.
    const second = await startTestServer(settings);
    try {
      const dup = await second.client.executeTrade(trade({ requestId: ids[1] ?? '', portfolioId: 'r', amount: '0.2', executionPricing: 'LANDING', priorityFee: '200000' }));
      expect(dup.trade?.landing?.pricing).toBe('EXECUTION_PRICING_LANDING');
      const more = await second.client.executeTrade(trade({ portfolioId: 'r', amount: '0.1' }));
      expect(more.trade?.landing?.pricing).toBe('EXECUTION_PRICING_LANDING');
    } finally {
      await second.stop();
    }
    expect(await verify()).toMatch(/verify: 6 trades re-executed from their recorded inputs; every one reproduced exactly/);
    const replayed = await replayJournal({ dataDir: dir, configFile, verify: true, json: false }, {});
    expect(replayed.verify).toEqual({ trades: 6, mismatches: [] });

    // A record whose landing delay does not follow from its seed is caught, with the field named.
    const events: LedgerEvent[] = [];
    await readJournal(dir, createTokenRegistry(), (e) => void events.push(e));
    const pipeline = pipelineOptions(configSchema.parse(JSON.parse(JSON.stringify({ execution: settings.execution, slippage: TIMING.slippage }))));
    const sol = createTokenRegistry().sol;
    expect(verifyEvents(events, pipeline, sol).mismatches).toEqual([]);
    const tampered = events.map((e) => (e.kind === 'trade' && e.trade.landing ? { ...e, trade: { ...e.trade, landing: { ...e.trade.landing, slots: e.trade.landing.slots + 1 } } } : e));
    const bad = verifyEvents(tampered, pipeline, sol);
    expect(bad.mismatches.length).toBe(5);
    expect(bad.mismatches[0]?.differences.join('\n')).toMatch(/^landing: recorded LANDING \d+ slots/);
  });
});

describe('execution.pricing configuration', () => {
  it('an unknown execution.pricing stops pte serve with exit 78 naming the path and the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pte-landing-config-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'execution:\n  pricing: sometimes\n');
      const err: string[] = [];
      const io: CliIo = { out: () => undefined, err: (t) => err.push(t), env: {}, connect: () => { throw new Error('no client is needed'); } };
      expect(await run(['serve', '--config', bad, '--print-config'], io)).toBe(78);
      expect(err.join('\n')).toMatch(/execution\.pricing: .*"immediate", "landing".*sometimes/);
      expect(err.join('\n')).toContain(`(from ${bad})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
