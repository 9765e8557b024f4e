import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, fixedFieldsLogger } from './logger.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { createMetrics } from './metrics.js';

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with the level as a label, filtered by level', () => {
    const out = sink();
    const log = createLogger({ level: 'info', destination: out.stream, base: { service: 'pte' } });
    log.debug('hidden');
    log.child({ request_id: 'r1' }).info({ port: 50051 }, 'listening');
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'listening', port: 50051, request_id: 'r1', service: 'pte' });
    expect(typeof lines[0]?.time).toBe('string');
  });

  it('never writes the Jupiter API key', () => {
    const out = sink();
    const log = createLogger({ level: 'info', destination: out.stream });
    log.info({ config: { jupiter: { apiKey: 'secret-key' } }, apiKey: 'secret-key' }, 'config loaded');
    const text = JSON.stringify(out.lines());
    expect(text).not.toContain('secret-key');
    expect(text).toContain('[redacted]');
  });

  it('censors every redacted path, in child bindings too, and leaves the logged objects as they were', () => {
    const out = sink();
    const log = createLogger({ level: 'info', destination: out.stream });
    const headers = { authorization: 'Bearer s1', 'x-api-key': 's2', accept: 'json' };
    const logged = { headers, call: { headers: { 'x-api-key': 's3', authorization: 'kept' } }, a: { b: { apiKey: 's4' }, apiKey: 's5' }, list: [{ apiKey: 's6' }] };
    log.child({ cfg: { apiKey: 's7' } }).info(logged, 'call');
    const [line] = out.lines();
    expect(line).toMatchObject({
      headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', accept: 'json' },
      call: { headers: { 'x-api-key': '[redacted]', authorization: 'kept' } },
      a: { b: { apiKey: '[redacted]' }, apiKey: '[redacted]' },
      list: [{ apiKey: '[redacted]' }],
      cfg: { apiKey: '[redacted]' },
    });
    expect(headers.authorization).toBe('Bearer s1');
    expect(logged.a.b.apiKey).toBe('s4');
  });

  it('writes fixed-field lines through fixedFieldsLogger exactly as the service logger does, and keeps redacting everything else', () => {
    const out = sink();
    const log = createLogger({ level: 'info', destination: out.stream, base: { service: 'pte' } });
    const trades = fixedFieldsLogger(log);
    // The two lines of every trade, with every field they carry.
    const received = { request_id: 'r1', portfolio_id: 'p1', action: 'BUY', base: 'SOL', quote: 'USDC', amount: '1.5' };
    const completed = { request_id: 'r1', trade_id: 't1', status: 'FILLED', action: 'BUY', input: '227.25 USDC', output: '1.5 SOL', slippage_bps: 100.5, fee_lamports: '5000', total_us: 812 };
    for (const l of [log, trades]) {
      l.info(received, 'trade received');
      l.info(completed, 'trade completed');
    }
    trades.debug({ request_id: 'r2' }, 'hidden: the service level holds');
    // The service logger still redacts, after its child was made.
    log.info({ config: { jupiter: { apiKey: 'secret-key' } }, headers: { authorization: 'Bearer s1' } }, 'config loaded');
    const lines = out.lines().map(({ time, ...rest }) => {
      expect(typeof time).toBe('string');
      return rest;
    });
    expect(lines).toEqual([
      { level: 'info', service: 'pte', ...received, msg: 'trade received' },
      { level: 'info', service: 'pte', ...completed, msg: 'trade completed' },
      { level: 'info', service: 'pte', ...received, msg: 'trade received' },
      { level: 'info', service: 'pte', ...completed, msg: 'trade completed' },
      { level: 'info', service: 'pte', config: { jupiter: { apiKey: '[redacted]' } }, headers: { authorization: '[redacted]' }, msg: 'config loaded' },
    ]);
    // Field for field and in the same order.
    expect(JSON.stringify(lines[2])).toBe(JSON.stringify(lines[0]));
    expect(JSON.stringify(lines[3])).toBe(JSON.stringify(lines[1]));
  });
});

describe('metrics', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics with the executor counters and histograms, and /healthz', async () => {
    const m = createMetrics();
    m.sink.countTrade('BUY', 'FILLED');
    m.sink.countTrade('BUY', 'FILLED');
    m.sink.countTrade('SELL', 'FAILED_SLIPPAGE');
    m.sink.countError('TOKEN_NOT_FOUND');
    m.sink.countPriceLookup(true);
    m.sink.countPriceLookup(false);
    m.sink.countPriceLookup(false);
    m.sink.countSideFailure('questdb');
    m.sink.observeStage('total', 0.00002);
    m.sink.observeStage('journal', 2);
    server = await startMetricsServer(m.registry, '127.0.0.1', 0);
    const base = `http://127.0.0.1:${server.port}`;

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toContain('pte_trades_total{action="BUY",status="FILLED"} 2');
    expect(body).toContain('pte_trades_total{action="SELL",status="FAILED_SLIPPAGE"} 1');
    expect(body).toContain('pte_errors_total{code="TOKEN_NOT_FOUND"} 1');
    expect(body).toContain('pte_price_cache_lookups_total{result="hit"} 1');
    expect(body).toContain('pte_price_cache_lookups_total{result="miss"} 2');
    expect(body).toContain('pte_side_failures_total{component="questdb"} 1');
    // 20 us falls in the 25 us bucket but not the 10 us one; 2 s only in +Inf.
    expect(body).toContain('pte_stage_duration_seconds_bucket{le="0.00001",stage="total"} 0');
    expect(body).toContain('pte_stage_duration_seconds_bucket{le="0.000025",stage="total"} 1');
    expect(body).toContain('pte_stage_duration_seconds_bucket{le="1",stage="journal"} 0');
    expect(body).toContain('pte_stage_duration_seconds_bucket{le="+Inf",stage="journal"} 1');
    expect(body).toContain('process_cpu_user_seconds_total');

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok\n');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('gives each instance its own registry, so two can live in one process', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.sink.countError('INTERNAL');
    expect(await a.registry.metrics()).toContain('pte_errors_total{code="INTERNAL"} 1');
    expect(await b.registry.metrics()).not.toContain('code="INTERNAL"');
  });

  it('closes promptly even with a keep-alive scraper connected', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const s = await startMetricsServer(m.registry, '127.0.0.1', 0);
    await (await fetch(`http://127.0.0.1:${s.port}/metrics`, { keepalive: true })).text();
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
