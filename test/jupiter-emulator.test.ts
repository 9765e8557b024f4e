/** The emulator's fault language, its runtime admin path and the `pte jupiter-emulator` command line. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJupiterEmulatorArgs } from '../src/cli/jupiter-emulator.js';
import { UsageError } from '../src/cli/args.js';
import { parseFault, startJupiterEmulator, type JupiterEmulator } from '../src/market/jupiter-emulator.js';

describe('fault specs', () => {
  it('parse scope, kind, argument and count', () => {
    expect(parseFault('price:500*3')).toEqual({ scope: 'price', spec: { kind: 'status', status: 500 }, remaining: 3 });
    expect(parseFault('quote:latency=20-50')).toEqual({ scope: 'quote', spec: { kind: 'latency', minMs: 20, maxMs: 50 } });
    expect(parseFault('429=5')).toEqual({ scope: 'all', spec: { kind: 'status', status: 429, resetInS: 5 } });
    expect(parseFault('429')).toEqual({ scope: 'all', spec: { kind: 'status', status: 429, resetInS: 1 } });
    expect(parseFault('quote:400=NO_ROUTES_FOUND')).toEqual({ scope: 'quote', spec: { kind: 'status', status: 400, errorCode: 'NO_ROUTES_FOUND' } });
    expect(parseFault('price:missing=So11111111111111111111111111111111111111112')).toEqual({
      scope: 'price',
      spec: { kind: 'missing', mints: ['So11111111111111111111111111111111111111112'] },
    });
    expect(parseFault('price:garbage=-1')).toEqual({ scope: 'price', spec: { kind: 'garbage', value: -1 } });
    expect(parseFault('hang*1')).toEqual({ scope: 'all', spec: { kind: 'hang' }, remaining: 1 });
  });

  it('refuse what they cannot mean', () => {
    for (const bad of ['explode', 'latency=fast', 'latency=50-20', '200', 'garbage=', 'garbage={', '429=soon']) expect(() => parseFault(bad)).toThrow(/fault/);
  });
});

describe('runtime control', () => {
  let e: JupiterEmulator;
  beforeAll(async () => (e = await startJupiterEmulator()));
  afterAll(() => e.close());

  it('PUT /__emulator/faults sets faults, a counted one lapses, DELETE clears, stats count requests', async () => {
    const put = await fetch(`${e.url}/__emulator/faults`, { method: 'PUT', body: JSON.stringify(['price:503*1']) });
    expect(put.status).toBe(200);
    const sol = `${e.url}/price/v3?ids=So11111111111111111111111111111111111111112`;
    expect((await fetch(sol)).status).toBe(503);
    expect((await fetch(sol)).status).toBe(200);
    await fetch(`${e.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify(['price:429=7']) });
    const limited = await fetch(sol);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBe(Math.floor(Date.now() / 1000) + 7);
    expect(await limited.json()).toEqual({ code: 429, message: '[API Gateway] Too many requests' });
    await fetch(`${e.url}/__emulator/faults`, { method: 'DELETE' });
    expect((await fetch(sol)).status).toBe(200);
    const stats = (await (await fetch(`${e.url}/__emulator/stats`)).json()) as { requests: { price: number } };
    expect(stats.requests.price).toBe(4);
    const bad = await fetch(`${e.url}/__emulator/faults`, { method: 'PUT', body: '["explode"]' });
    expect(bad.status).toBe(400);
  });

  it('serves the real quote errors for a decimal amount, a bad mint and equal mints', async () => {
    const q = (qs: string) => fetch(`${e.url}/swap/v1/quote?${qs}`);
    const SOL = 'So11111111111111111111111111111111111111112';
    const USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
    expect(await (await q(`inputMint=${SOL}&outputMint=${USDC}&amount=1.5`)).text()).toContain('ParseIntError');
    expect(await (await q(`inputMint=abc&outputMint=${USDC}&amount=1`)).text()).toContain('WrongSize');
    expect(await (await q(`inputMint=${SOL}&outputMint=${SOL}&amount=1`)).json()).toMatchObject({ errorCode: 'CIRCULAR_ARBITRAGE_IS_DISABLED' });
  });
});

describe('bad price answers on the wire', () => {
  let e: JupiterEmulator;
  beforeAll(async () => (e = await startJupiterEmulator()));
  afterAll(() => e.close());
  const SOL = 'So11111111111111111111111111111111111111112';
  const USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
  /** The raw body of a price answer for SOL and USDC under one fault. */
  const body = async (fault: string): Promise<{ status: number; text: string; json: Record<string, Record<string, unknown> | null> }> => {
    e.setFaults([fault]);
    const res = await fetch(`${e.url}/price/v3?ids=${SOL},${USDC}`);
    const text = await res.text();
    e.clearFaults();
    return { status: res.status, text, json: JSON.parse(text) as Record<string, Record<string, unknown> | null> };
  };

  it('garbage=null answers 200 with usdPrice null for every mint', async () => {
    const r = await body('price:garbage=null');
    expect(r.status).toBe(200);
    expect(r.json[SOL]?.usdPrice).toBeNull();
    expect(r.json[USDC]?.usdPrice).toBeNull();
  });

  it('garbage=1e300 answers 200 with usdPrice 1e300 on the wire', async () => {
    const r = await body('price:garbage=1e300');
    expect(r.status).toBe(200);
    expect(r.text).toContain('"usdPrice":1e+300');
    expect(r.json[SOL]?.usdPrice).toBe(1e300);
  });

  it('missing answers 200 with an empty object; missing=SOL (a symbol) drops just that mint', async () => {
    expect(await body('price:missing')).toMatchObject({ status: 200, json: {} });
    const one = await body('price:missing=SOL');
    expect(Object.keys(one.json)).toEqual([USDC]);
  });

  it('wrong-price=1 answers a plausible, well-formed price of 1 USD for every mint', async () => {
    expect(parseFault('price:wrong-price=1')).toEqual({ scope: 'price', spec: { kind: 'wrong-price', usd: 1 } });
    for (const bad of ['wrong-price', 'wrong-price=0', 'wrong-price=-2', 'wrong-price=abc']) expect(() => parseFault(bad)).toThrow(/fault/);
    const r = await body('price:wrong-price=1');
    expect(r.status).toBe(200);
    expect([r.json[SOL]?.usdPrice, r.json[USDC]?.usdPrice]).toEqual([1, 1]);
    expect(typeof r.json[SOL]?.liquidity).toBe('number');
  });

  it('serves a base URL with a path prefix (hosted style https://host/TOKEN)', async () => {
    const res = await fetch(`${e.url}/TOKEN-abc/price/v3?ids=${SOL}`);
    expect(res.status).toBe(200);
    expect(Object.keys((await res.json()) as object)).toEqual([SOL]);
  });
});

describe('pte jupiter-emulator', () => {
  it('takes a port, a seed and repeatable faults', () => {
    const c = parseJupiterEmulatorArgs(['--port', '8081', '--seed', '7', '--fault', 'price:500*2', '--fault', 'quote:latency=20-50']);
    expect(c.port).toBe(8081);
    expect(c.seed).toBe(7n);
    expect(c.faults.map((f) => f.spec.kind)).toEqual(['status', 'latency']);
    expect(parseJupiterEmulatorArgs(['--fault', 'wrong-price=1']).faults[0]?.spec).toEqual({ kind: 'wrong-price', usd: 1 });
  });

  it('a bad fault is a usage error naming --fault', () => {
    expect(() => parseJupiterEmulatorArgs(['--fault', 'explode'])).toThrow(UsageError);
    expect(() => parseJupiterEmulatorArgs(['--fault', 'explode'])).toThrow(/--fault/);
  });
});
