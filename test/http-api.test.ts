/**
 * The dashboard's JSON API on the real app (simulated market): the contract's JSON mapping, the same
 * validation as gRPC with errors naming the field or parameter and nothing changed, API keys and
 * per-key portfolios, live updates batched over server-sent events, and the page's assets served
 * from the package.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHash } from '../src/server/guards/index.js';
import { freePort, startTestServer } from './support.js';

type Json = Record<string, unknown>;

interface Answer {
  readonly status: number;
  readonly body: Json;
  readonly headers: Headers;
}

function caller(base: string, key?: string) {
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({ ...(key === undefined ? {} : { 'x-api-key': key }), ...extra });
  const parse = async (res: Response): Promise<Answer> => {
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Json, headers: res.headers };
  };
  return {
    get: async (path: string): Promise<Answer> => parse(await fetch(base + path, { headers: headers() })),
    post: async (path: string, body: unknown): Promise<Answer> =>
      parse(await fetch(base + path, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: typeof body === 'string' ? body : JSON.stringify(body) })),
  };
}

const tradeBody = (patch: Json = {}): Json => ({
  requestId: randomUUID(),
  action: 'TRADE_ACTION_BUY',
  baseToken: 'SOL',
  quoteToken: 'USDC',
  amount: '0.5',
  isBaseInput: true,
  portfolioId: 'alpha',
  metadata: { strategy: 'momentum' },
  ...patch,
});

describe('dashboard JSON API', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof caller>;
  let base: string;

  beforeAll(async () => {
    server = await startTestServer({ http: { port: await freePort() }, journal: { enabled: false } });
    base = `http://127.0.0.1:${server.app.httpPort}`;
    api = caller(base);
  });
  afterAll(async () => server.stop());

  it('serves the page and its chart library from the package, with a policy that loads nothing from elsewhere', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/vendor/uPlot.iife.min.js');
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const lib = await fetch(`${base}/vendor/uPlot.iife.min.js`);
    expect(lib.status).toBe(200);
    expect(lib.headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${base}/../package.json`)).status).toBe(404);
  });

  it('executes a TradeRequest in proto3 JSON and answers the TradeResult in proto3 JSON', async () => {
    const r = await api.post('/api/v1/trades', tradeBody());
    expect(r.status).toBe(200);
    const trade = r.body.trade as Json;
    expect(trade.status).toBe('TRADE_STATUS_FILLED');
    expect(trade.action).toBe('TRADE_ACTION_BUY');
    expect(trade.executedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(typeof trade.seed).toBe('string');
    expect(trade.metadata).toEqual({ strategy: 'momentum' });
    expect((r.body.portfolioState as Json).portfolioId).toBe('alpha');
    expect(typeof (r.body.executionMetrics as Json).totalUs).toBe('string');
  });

  it('accepts proto field names as well as JSON names', async () => {
    const r = await api.post('/api/v1/trades', { request_id: randomUUID(), action: 'TRADE_ACTION_SELL', base_token: 'SOL', quote_token: 'USDC', amount: '0.1', is_base_input: true, portfolio_id: 'alpha' });
    expect(r.status).toBe(200);
  });

  it.each([
    ['too many decimals', { amount: '0.0000000001' }, 'amount'],
    ['an amount as a number', { amount: 1 }, 'amount'],
    ['an unknown field', { amout: '1' }, 'amout'],
    ['a boolean as text', { isBaseInput: 'yes' }, 'is_base_input'],
    ['an unknown action', { action: 'BUY_NOW' }, 'action'],
    ['a bad request id', { requestId: 'r-1' }, 'request_id'],
    ['a bad tolerance', { slippageToleranceBps: -5 }, 'slippage_tolerance_bps'],
    ['metadata that is not an object', { metadata: [1] }, 'metadata'],
    ['a bad portfolio id', { portfolioId: 'no spaces' }, 'portfolio_id'],
  ])('refuses %s with 400 naming the field, and changes nothing', async (_name, patch, field) => {
    const before = await api.get('/api/v1/portfolios/alpha');
    const r = await api.post('/api/v1/trades', tradeBody(patch));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INVALID_ARGUMENT', status: 'INVALID_ARGUMENT', field });
    expect(r.body.message).toMatch(new RegExp(`^${field}: `));
    expect((await api.get('/api/v1/portfolios/alpha')).body).toEqual(before.body);
  });

  it('refuses a body that is not JSON, naming the body', async () => {
    const r = await api.post('/api/v1/trades', '{"amount": ');
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('body');
  });

  it('maps business outcomes to HTTP statuses: insufficient balance is 412, an unknown token 404', async () => {
    const poor = await api.post('/api/v1/trades', tradeBody({ amount: '1000000' }));
    expect(poor.status).toBe(412);
    expect(poor.body.code).toBe('INSUFFICIENT_BALANCE');
    const unknown = await api.post('/api/v1/trades', tradeBody({ baseToken: 'NOPE' }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('TOKEN_NOT_FOUND');
  });

  it('lists portfolios, reads one and pages its trades', async () => {
    await api.post('/api/v1/trades', tradeBody({ portfolioId: 'beta' }));
    const list = await api.get('/api/v1/portfolios');
    expect((list.body.portfolios as Json[]).map((p) => p.portfolioId)).toEqual(expect.arrayContaining(['alpha', 'beta']));
    const one = await api.get('/api/v1/portfolios/alpha');
    expect(one.body.tradeCount).toBe('2');
    const first = await api.get('/api/v1/portfolios/alpha/trades?limit=1');
    expect(first.body.trades).toHaveLength(1);
    expect(first.body.nextPageToken).not.toBe('');
    const second = await api.get(`/api/v1/portfolios/alpha/trades?limit=1&pageToken=${encodeURIComponent(String(first.body.nextPageToken))}`);
    expect((second.body.trades as Json[])[0]?.tradeId).not.toBe((first.body.trades as Json[])[0]?.tradeId);
  });

  it.each([
    ['/api/v1/portfolios/alpha/trades?limit=abc', 'limit'],
    ['/api/v1/portfolios/alpha/trades?limit=5000', 'limit'],
    ['/api/v1/portfolios/alpha/trades?limit=1&limit=2', 'limit'],
    ['/api/v1/portfolios/alpha/trades?limt=5', 'limt'],
    ['/api/v1/portfolios/alpha/report?from=yesterday', 'from'],
    ['/api/v1/portfolios/alpha/report?to=2026-02-30T00:00:00Z', 'to'],
    ['/api/v1/portfolios/alpha/report?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ['/api/v1/portfolios/alpha/report?maxPoints=2', 'maxPoints'],
    ['/api/v1/portfolios/alpha/report?maxPoints=-1', 'maxPoints'],
    ['/api/v1/portfolios/alpha/report?groupBy=%01', 'groupBy'],
    [`/api/v1/portfolios/${'x'.repeat(65)}`, 'portfolio_id'],
    ['/api/v1/portfolios/a%20b/trades', 'portfolio_id'],
    ['/api/v1/portfolios?all=1', 'all'],
  ])('GET %s is 400 naming %s', async (path, field) => {
    const r = await api.get(path);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INVALID_ARGUMENT', field });
  });

  it('answers the report in proto3 JSON: equity against buy and hold, costs and per-tag results', async () => {
    const r = await api.get('/api/v1/portfolios/alpha/report?maxPoints=100&groupBy=strategy');
    expect(r.status).toBe(200);
    expect(r.body.portfolioId).toBe('alpha');
    const equity = r.body.equity as Json[];
    expect(equity.length).toBeGreaterThan(1);
    expect(equity[0]).toMatchObject({ at: expect.stringMatching(/Z$/) as unknown, valueUsd: expect.any(String) as unknown, benchmarkUsd: expect.any(String) as unknown });
    expect((r.body.costs as Json).totalUsd).toEqual(expect.any(String));
    expect((r.body.groups as Json[]).map((g) => g.value)).toContain('momentum');
  });

  it('an unknown portfolio has no report: 404 or 412, never a 500', async () => {
    const r = await api.get('/api/v1/portfolios/nobody/report');
    expect([404, 412]).toContain(r.status);
  });

  it('resets with the request balances, and refuses unknown fields without resetting', async () => {
    const bad = await api.post('/api/v1/portfolios/beta/reset', { balance: { SOL: '1' } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('balance');
    expect((await api.get('/api/v1/portfolios/beta')).body.tradeCount).toBe('1');
    const badAmount = await api.post('/api/v1/portfolios/beta/reset', { balances: { SOL: 2 } });
    expect(badAmount.body.field).toBe('balances.SOL');
    const ok = await api.post('/api/v1/portfolios/beta/reset', { balances: { SOL: '3', USDC: '100' } });
    expect(ok.status).toBe(200);
    expect((ok.body.balances as Json[]).map((b) => [(b.token as Json).symbol, b.amount])).toEqual(expect.arrayContaining([['SOL', '3'], ['USDC', '100']]));
  });

  it('reports health: the price source, the cache hit rate and stage latencies', async () => {
    const r = await api.get('/api/v1/health');
    expect(r.status).toBe(200);
    expect(r.body.priceSource).toBe('sim');
    expect(r.body.cacheHitRate).toBeGreaterThanOrEqual(0);
    expect((r.body.stages as Record<string, Json>).total?.count).toBeGreaterThan(0);
  });

  it('streams new trades and marks in batches over server-sent events', async () => {
    const abort = new AbortController();
    const res = await fetch(`${base}/api/v1/portfolios/alpha/events`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    if (res.body === null) throw new Error('no body');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes(': connected')) text += (await reader.read()).value ?? '';
    await Promise.all([1, 2, 3].map(() => api.post('/api/v1/trades', tradeBody({ amount: '0.01' }))));
    const events: Json[] = [];
    let trades = 0;
    while (trades < 3) {
      const { value } = await reader.read();
      text += value ?? '';
      let end;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        if (block.startsWith('data: ')) {
          const ev = JSON.parse(block.slice(6)) as Json;
          events.push(ev);
          trades += (ev.trades as Json[]).length;
        }
      }
    }
    abort.abort();
    expect(events.length).toBeLessThan(3); // batched: three trades at once arrive together
    expect((events[0]?.trades as Json[])[0]).toMatchObject({ portfolioId: 'alpha', status: 'TRADE_STATUS_FILLED' });
    expect(events.flatMap((e) => e.marks as Json[]).length).toBeGreaterThan(0);
  });

  it('answers unknown endpoints with a JSON 404', async () => {
    const r = await api.get('/api/v1/nothing');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('NOT_FOUND');
  });
});

describe('dashboard JSON API with API keys', () => {
  const key = 'k-alpha-0123456789';
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let base: string;

  beforeAll(async () => {
    server = await startTestServer({
      http: { port: await freePort() },
      journal: { enabled: false },
      server: { apiKeys: [{ name: 'alpha-bot', keyHash: apiKeyHash(key), portfolios: ['alpha'] }] },
    });
    base = `http://127.0.0.1:${server.app.httpPort}`;
    await caller(base, key).post('/api/v1/trades', tradeBody());
  });
  afterAll(async () => server.stop());

  it('refuses a call without a key or with a wrong one (401) and names the header', async () => {
    const none = await caller(base).get('/api/v1/portfolios');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 'UNAUTHENTICATED', field: 'x-api-key' });
    expect((await caller(base, 'wrong').get('/api/v1/portfolios')).status).toBe(401);
    expect((await fetch(`${base}/api/v1/portfolios/alpha/events`)).status).toBe(401);
  });

  it("applies the key's portfolios: another portfolio is 403 and is not listed", async () => {
    const api = caller(base, key);
    const denied = await api.post('/api/v1/trades', tradeBody({ portfolioId: 'beta' }));
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'PERMISSION_DENIED', field: 'portfolio_id' });
    expect((await api.get('/api/v1/portfolios/beta/trades')).status).toBe(403);
    const list = await api.get('/api/v1/portfolios');
    expect((list.body.portfolios as Json[]).map((p) => p.portfolioId)).toEqual(['alpha']);
  });

  it('takes the key as a bearer token too, and the page itself needs none', async () => {
    const res = await fetch(`${base}/api/v1/portfolios/alpha`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect((await fetch(`${base}/`)).status).toBe(200);
    const cfg = (await (await fetch(`${base}/api/v1/config`)).json()) as Json;
    expect(cfg.keysRequired).toBe(true);
  });
});
