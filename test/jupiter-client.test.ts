/**
 * The Jupiter client against the emulator, one fault at a time: retries and backoff (exact, under a
 * fake clock), failover, the circuit breaker, 429s with x-ratelimit-reset, the per-endpoint rate limit,
 * validation of every answer, batching, and the API key staying a header.
 */
import { describe, expect, it } from 'vitest';
import { amount } from '../src/domain/amount.js';
import { ExecutorError, isExecutorError } from '../src/domain/errors.js';
import type { QuoteRequest } from '../src/domain/market.js';
import { fromDecimalString, toDecimalString } from '../src/domain/ratio.js';
import type { Mint } from '../src/domain/tokens.js';
import { startJupiterEmulator } from '../src/market/jupiter-emulator.js';
import { createRateLimiter } from '../src/market/rate-limiter.js';
import { createSimulatedMarket } from '../src/market/sim-market.js';
import { JUP, jupiterPair, SOL, START_MS, tokens, USDC } from './support/jupiter.js';

const emu = jupiterPair();
const { clock, client } = emu;

async function failure(p: Promise<unknown>): Promise<ExecutorError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ExecutorError) return e;
    throw e;
  }
  throw new Error('expected an ExecutorError');
}

describe('retries', () => {
  it('a 500 is retried with exponential backoff and jitter: 3 attempts, waits of 75 and 150 ms, then PRICE_UNAVAILABLE', async () => {
    const c = client([emu.a.url]);
    emu.a.setFaults(['price:500']);
    const e = await failure(c.source.fetchUsdPrices([SOL]));
    expect(e.code).toBe('PRICE_UNAVAILABLE');
    expect(e.context).toMatchObject({ attempts: 3 });
    expect(emu.a.count('price')).toBe(3);
    expect(clock.sleeps).toEqual([75, 150]);
  });

  it('two 500s then an answer: the price arrives on the third attempt, and the attempts are reported', async () => {
    const c = client([emu.a.url]);
    emu.a.setFaults(['price:500*2']);
    const r = await c.source.fetchUsdPrices([SOL]);
    expect(r.attempts).toBe(3);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.a.url}`);
    expect(clock.sleeps).toEqual([75, 150]);
  });

  it('the backoff doubles up to its cap: 5 attempts with base 100 and cap 300 wait 75, 150, 225, 225', async () => {
    const c = client([emu.a.url], { maxAttemptsPerEndpoint: 5, backoffMaxMs: 300, breakerFailureThreshold: 10 });
    emu.a.setFaults(['price:503']);
    await failure(c.source.fetchUsdPrices([SOL]));
    expect(emu.a.count('price')).toBe(5);
    expect(clock.sleeps).toEqual([75, 150, 225, 225]);
  });

  it('jitter spans half to all of the step: random() = 0 waits 50 then 100 ms', async () => {
    const c = client([emu.a.url], { random: () => 0 });
    emu.a.setFaults(['price:500']);
    await failure(c.source.fetchUsdPrices([SOL]));
    expect(clock.sleeps).toEqual([50, 100]);
  });

  it('an attempt that hangs past the timeout is abandoned and retried', async () => {
    const c = client([emu.a.url], { timeoutMs: 150 });
    emu.a.setFaults(['price:hang*1']);
    const r = await c.source.fetchUsdPrices([SOL]);
    expect(r.attempts).toBe(2);
    expect(r.prices.has(SOL)).toBe(true);
    expect(emu.a.requests().map((q) => q.status)).toEqual(['hang', 200]);
  });

  it('malformed JSON in a 200 is a transient fault: retried, then failed over', async () => {
    const c = client([emu.a.url, emu.b.url]);
    emu.a.setFaults(['price:malformed']);
    const r = await c.source.fetchUsdPrices([SOL]);
    expect(emu.a.count('price')).toBe(3);
    expect(r.attempts).toBe(4);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.b.url}`);
  });

  it('400, 401 and 403 are never retried; a 400 is not failed over either (it would fail the same everywhere)', async () => {
    let c = client([emu.a.url, emu.b.url]);
    emu.a.setFaults(['price:400']);
    let e = await failure(c.source.fetchUsdPrices([SOL]));
    expect(e.code).toBe('PRICE_UNAVAILABLE');
    expect([emu.a.count(), emu.b.count()]).toEqual([1, 0]);
    for (const status of ['401', '403']) {
      emu.a.resetRequests();
      emu.b.resetRequests();
      c = client([emu.a.url, emu.b.url]);
      emu.a.setFaults([`price:${status}`]);
      const r = await c.source.fetchUsdPrices([SOL]);
      expect([emu.a.count(), emu.b.count(), r.attempts]).toEqual([1, 1, 2]);
      expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.b.url}`);
    }
    // With one endpoint, a 401 fails at once.
    emu.a.resetRequests();
    c = client([emu.a.url]);
    emu.a.setFaults(['price:401']);
    e = await failure(c.source.fetchUsdPrices([SOL]));
    expect(e.message).toContain('HTTP 401');
    expect(emu.a.count()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('business errors', () => {
  const quote = (inputMint: Mint, outputMint: Mint): QuoteRequest => ({ inputMint, outputMint, amount: amount(1_000_000_000n), swapMode: 'ExactIn', slippageBps: 50 });

  for (const code of ['COULD_NOT_FIND_ANY_ROUTE', 'NO_ROUTES_FOUND', 'TOKEN_NOT_TRADABLE']) {
    it(`a 400 with errorCode ${code} is ExecutorError NO_ROUTE after one attempt, with no failover`, async () => {
      const c = client([emu.a.url, emu.b.url]);
      emu.a.setFaults([`quote:400=${code}`]);
      const e = await failure(c.source.fetchQuote(quote(SOL, USDC)));
      expect(e.code).toBe('NO_ROUTE');
      expect(e.context).toMatchObject({ errorCode: code });
      expect([emu.a.count(), emu.b.count()]).toEqual([1, 0]);
    });
  }

  it('a token the market does not list is not tradable: NO_ROUTE', async () => {
    const c = client([emu.a.url]);
    const unknown = '4G9USgnbg6fDTQ5AUfpCjM89zqbzWj32xfqvsaAu66DM' as Mint;
    const e = await failure(c.source.fetchQuote(quote(unknown, USDC)));
    expect(isExecutorError(e, 'NO_ROUTE')).toBe(true);
  });
});

describe('failover and the circuit breaker', () => {
  it('a dead first endpoint fails over to the second: the price names the endpoint that answered', async () => {
    const c = client([emu.a.url, emu.b.url]);
    emu.a.setFaults(['price:500']);
    const r = await c.source.fetchUsdPrices([SOL, USDC]);
    expect(r.attempts).toBe(4);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.b.url}`);
    expect(r.prices.get(USDC)?.source).toBe(`jupiter:${emu.b.url}`);
  });

  it('the circuit opens after 3 failures, skips the endpoint, probes it after 10 s, and closes when a probe succeeds', async () => {
    const c = client([emu.a.url, emu.b.url]);
    const state = (): string => c.transport.endpoints()[0]?.breaker ?? '';
    emu.a.setFaults(['500']);
    await c.source.fetchUsdPrices([SOL]);
    expect(state()).toBe('open');
    expect(emu.a.count()).toBe(3);

    // Open: the dead endpoint costs nothing.
    let r = await c.source.fetchUsdPrices([SOL]);
    expect([emu.a.count(), r.attempts]).toEqual([3, 1]);

    // After the open period one probe goes through; it fails and the circuit opens again.
    clock.advance(10_000);
    r = await c.source.fetchUsdPrices([SOL]);
    expect([emu.a.count(), r.attempts, state()]).toEqual([4, 2, 'open']);
    r = await c.source.fetchUsdPrices([SOL]);
    expect(emu.a.count()).toBe(4);

    // The endpoint recovers; the next probe succeeds and closes the circuit.
    emu.a.clearFaults();
    clock.advance(9_999);
    await c.source.fetchUsdPrices([SOL]);
    expect(emu.a.count()).toBe(4); // still open 1 ms before the period ends
    clock.advance(1);
    r = await c.source.fetchUsdPrices([SOL]);
    expect([emu.a.count(), r.attempts, state()]).toEqual([5, 1, 'closed']);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.a.url}`);
  });

  it('with every circuit open the lookup fails at once, without a request', async () => {
    const c = client([emu.a.url, emu.b.url]);
    emu.a.setFaults(['500']);
    emu.b.setFaults(['500']);
    await failure(c.source.fetchUsdPrices([SOL]));
    expect([emu.a.count(), emu.b.count()]).toEqual([3, 3]);
    const e = await failure(c.source.fetchUsdPrices([SOL]));
    expect(e.context).toMatchObject({ attempts: 0 });
    expect(e.message).toContain('circuit open');
    expect([emu.a.count(), emu.b.count()]).toEqual([3, 3]);
  });
});

describe('rate limits', () => {
  it('a 429 is honoured until its x-ratelimit-reset: the endpoint is skipped until then, and used again after', async () => {
    const c = client([emu.a.url, emu.b.url]);
    emu.a.setFaults(['price:429=5*1']);
    let r = await c.source.fetchUsdPrices([SOL]);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.b.url}`);
    expect(c.transport.endpoints()[0]?.rateLimitedUntilMs).toBe(START_MS + 5_000);
    clock.advance(4_999);
    r = await c.source.fetchUsdPrices([SOL]);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.b.url}`);
    expect(emu.a.count()).toBe(1);
    clock.advance(1);
    r = await c.source.fetchUsdPrices([SOL]);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.a.url}`);
    expect(c.transport.endpoints()[0]?.breaker).toBe('closed'); // a 429 is not a failure of the endpoint
  });

  it('on the last endpoint a short 429 is waited out exactly: 1,000 ms to the reset, then the retry succeeds', async () => {
    const c = client([emu.a.url]);
    emu.a.setFaults(['price:429=1*1']);
    const r = await c.source.fetchUsdPrices([SOL]);
    expect(r.attempts).toBe(2);
    expect(clock.sleeps).toEqual([1_000]);
    expect(emu.a.requests().map((q) => q.atMs - START_MS)).toEqual([0, 1_000]);
  });

  it('a reset further away than maxWaitMs is not waited for: PRICE_UNAVAILABLE, and no request until the reset', async () => {
    const c = client([emu.a.url]);
    emu.a.setFaults(['price:429=30*1']);
    const e = await failure(c.source.fetchUsdPrices([SOL]));
    expect(e.code).toBe('PRICE_UNAVAILABLE');
    expect(e.message).toContain('rate limited');
    await failure(c.source.fetchUsdPrices([SOL]));
    expect(emu.a.count()).toBe(1);
    clock.advance(30_000);
    expect((await c.source.fetchUsdPrices([SOL])).prices.has(SOL)).toBe(true);
  });

  it('the per-endpoint token bucket keeps calls at 1 per second: sequential lookups are spaced 1,000 ms apart', async () => {
    const c = client([emu.a.url], { ratePerSec: 1 });
    for (let i = 0; i < 5; i++) await c.source.fetchUsdPrices([SOL]);
    expect(emu.a.requests().map((q) => q.atMs - START_MS)).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
  });

  it('the bucket queues reservations in time order and refuses one that would wait too long', () => {
    const limiter = createRateLimiter(1);
    expect([0, 0, 0, 0].map(() => limiter.reserve(0, 2_000))).toEqual([0, 1_000, 2_000, undefined]);
    expect(limiter.reserve(3_000, 0)).toBe(0);
  });

  it('a lookup that would exceed its wait for a slot fails over to the next endpoint instead', async () => {
    const c = client([emu.a.url, emu.b.url], { ratePerSec: 0.1, maxWaitMs: 1_000 });
    await c.source.fetchUsdPrices([SOL]); // a first price is confirmed by the second endpoint: one call each
    clock.advance(10_000); // both buckets full again
    await c.source.fetchUsdPrices([SOL]); // checked against the last good price: the first endpoint alone
    const r = await c.source.fetchUsdPrices([SOL]);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${emu.b.url}`);
    expect([emu.a.count(), emu.b.count()]).toEqual([2, 2]);
  });
});

describe('validation at the boundary', () => {
  it('a mint absent from a 200 answer is unpriced, without a retry', async () => {
    const c = client([emu.a.url]);
    emu.a.setFaults([`price:missing=${JUP}`]);
    const r = await c.source.fetchUsdPrices([SOL, JUP]);
    expect(r.prices.has(SOL)).toBe(true);
    expect(r.prices.has(JUP)).toBe(false);
    expect(r.attempts).toBe(1);
  });

  for (const garbage of ['0', '-1', '1e300', '1e-300', 'null', '"147.2"', '{"v":1}']) {
    it(`usdPrice ${garbage} never becomes a price`, async () => {
      const c = client([emu.a.url]);
      emu.a.setFaults([`price:garbage=${garbage}`]);
      const r = await c.source.fetchUsdPrices([SOL, USDC]);
      expect(r.prices.size).toBe(0);
      expect(c.rejected).toHaveLength(2);
    });
  }

  it('prices are exact ratios of what was sent, and carry the liquidity depth', async () => {
    const c = client([emu.a.url]);
    const r = await c.source.fetchUsdPrices([SOL]);
    const sim = await createSimulatedMarket({ tokens, seed: 1n, now: () => clock.now(), startMs: clock.now() }).getUsdPrices([SOL]);
    expect(r.prices.get(SOL)?.usd).toEqual(sim.get(SOL)?.usd);
    expect(r.prices.get(SOL)?.liquidityUsd).toEqual(sim.get(SOL)?.liquidityUsd);
  });

  it('more than 50 mints go out in batches of at most 50 ids', async () => {
    const c = client([emu.a.url]);
    const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
    const extra = Array.from({ length: 96 }, (_, i) => `${'1'.repeat(42)}${alphabet[Math.floor(i / 58)] ?? '1'}${alphabet[i % 58] ?? '1'}` as Mint);
    const mints = [...tokens.all.map((t) => t.mint), ...extra];
    expect(mints).toHaveLength(120);
    const r = await c.source.fetchUsdPrices(mints);
    expect(emu.a.requests().map((q) => q.mints.length).sort((x, y) => x - y)).toEqual([20, 50, 50]);
    expect(r.prices.size).toBe(tokens.all.length);
    expect(r.attempts).toBe(3);
  });
});

describe('quotes', () => {
  it('an ExactIn quote is the simulated market quote, with its route and the endpoint named', async () => {
    const c = client([emu.a.url]);
    const req: QuoteRequest = { inputMint: SOL, outputMint: JUP, amount: amount(2_000_000_000n), swapMode: 'ExactIn', slippageBps: 50 };
    const { quote, attempts } = await c.source.fetchQuote(req);
    const sim = await createSimulatedMarket({ tokens, seed: 1n, now: () => clock.now(), startMs: clock.now() }).getQuote(req);
    expect(attempts).toBe(1);
    expect(quote.source).toBe(`jupiter:${emu.a.url}`);
    expect(quote.outAmount).toBe(sim.outAmount);
    // priceImpactPct travels as a decimal string: exact to the 24 places the emulator writes.
    expect(quote.priceImpact).toEqual(fromDecimalString(toDecimalString(sim.priceImpact, 24, 'floor')));
    expect(quote.priceImpact.n).toBeGreaterThan(0n);
    expect(quote.route.map((h) => [h.label, h.inAmount, h.outAmount])).toEqual(sim.route.map((h) => [h.label, h.inAmount, h.outAmount]));
  });

  it('an ExactOut quote fixes the output amount', async () => {
    const c = client([emu.a.url]);
    const req: QuoteRequest = { inputMint: SOL, outputMint: USDC, amount: amount(5_000_000n), swapMode: 'ExactOut', slippageBps: 50 };
    const { quote } = await c.source.fetchQuote(req);
    expect(quote.outAmount).toBe(5_000_000n);
    expect(quote.inAmount).toBeGreaterThan(0n);
    expect(emu.a.requests()[0]?.url).toContain('swapMode=ExactOut');
  });
});

describe('the API key', () => {
  it('is sent as x-api-key and never in the URL', async () => {
    const key = await startJupiterEmulator({ requireApiKey: 'k-123-secret' });
    try {
      const c = client([key.url], { apiKey: 'k-123-secret' });
      const r = await c.source.fetchUsdPrices([SOL]);
      expect(r.prices.has(SOL)).toBe(true);
      expect(key.requests()[0]?.apiKey).toBe('k-123-secret');
      expect(key.requests()[0]?.url).not.toContain('k-123-secret');
    } finally {
      await key.close();
    }
  });

  it('never appears in an error, even when an endpoint echoes it back', async () => {
    const echo: typeof fetch = (_url, init) => {
      const sent = new Headers(init?.headers).get('x-api-key') ?? '';
      return Promise.resolve(new Response(JSON.stringify({ error: `bad key ${sent}` }), { status: 400 }));
    };
    const c = client(['http://127.0.0.1:9'], { apiKey: 'k-456-secret', fetch: echo });
    const e = await failure(c.source.fetchUsdPrices([SOL]));
    expect(e.message).toContain('bad key [redacted]');
    expect(JSON.stringify({ m: e.message, c: e.context })).not.toContain('k-456-secret');
  });
});
