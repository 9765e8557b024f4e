/**
 * A Jupiter base URL may carry a secret in its path (the hosted style https://host/TOKEN). It is used to
 * send requests and nowhere else: every place that names an endpoint (a trade's price_source, the
 * journal, errors, logs, metrics labels, --print-config) names it by a configured label, or by
 * scheme://host[:port] with the path replaced by "/…".
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeConfig } from '../src/config/describe.js';
import { loadConfig } from '../src/config/load.js';
import { configSchema } from '../src/config/schema.js';
import { ExecutorError } from '../src/domain/errors.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import type { Log } from '../src/executor/ports.js';
import { createMarket } from '../src/market/build.js';
import { startJupiterEmulator, type JupiterEmulator } from '../src/market/jupiter-emulator.js';
import { createJupiterSource } from '../src/market/jupiter-source.js';
import { createJupiterTransport, endpointName } from '../src/market/jupiter-transport.js';
import { startTestServer, trade } from './support.js';

const SECRET = 'sk-path-token-7f3a9c';
const tokens = createTokenRegistry();
const SOL = tokens.bySymbol('SOL').mint;

let a: JupiterEmulator;
let b: JupiterEmulator;
beforeAll(async () => {
  [a, b] = await Promise.all([startJupiterEmulator(), startJupiterEmulator()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

/** A Log that keeps every line as JSON text. */
function captureLog(): { log: Log; text: () => string } {
  const lines: string[] = [];
  const log: Log = {
    debug: (o, m) => lines.push(JSON.stringify({ o, m })),
    info: (o, m) => lines.push(JSON.stringify({ o, m })),
    warn: (o, m) => lines.push(JSON.stringify({ o, m })),
    error: (o, m) => lines.push(JSON.stringify({ o, m })),
    child: () => log,
  };
  return { log, text: () => lines.join('\n') };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('endpoint names', () => {
  it('keep scheme, host and port, and hide any path, credentials and query', () => {
    expect(endpointName('https://api.jup.ag')).toBe('https://api.jup.ag');
    expect(endpointName('https://api.jup.ag/')).toBe('https://api.jup.ag');
    expect(endpointName(`https://rpc.example.com/${SECRET}`)).toBe('https://rpc.example.com/…');
    expect(endpointName(`http://127.0.0.1:8081/v1/${SECRET}/`)).toBe('http://127.0.0.1:8081/…');
    expect(endpointName(`https://user:${SECRET}@host.example:444?key=${SECRET}`)).toBe('https://host.example:444/…');
  });

  it('config accepts {url, label} entries beside plain URLs, and refuses bad or repeated labels naming the path', () => {
    const c = loadConfig({ flags: { market: { jupiterUrls: [{ url: `https://h.example/${SECRET}`, label: 'hosted-1' }, 'https://api.jup.ag'] } } });
    expect(c.market.jupiterUrls).toEqual([{ url: `https://h.example/${SECRET}`, label: 'hosted-1' }, 'https://api.jup.ag']);
    const bad = (urls: unknown[]): string => {
      try {
        loadConfig({ flags: { market: { jupiterUrls: urls } } });
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
      return 'accepted';
    };
    expect(bad([{ url: 'https://a.example', label: 'has space' }])).toContain('label');
    expect(bad([{ url: 'https://a.example', label: 'x' }, { url: 'https://b.example', label: 'x' }])).toContain('market.jupiterUrls[1].label: label "x" is used twice');
    expect(bad([{ url: 'ftp://a.example', label: 'x' }])).toContain('must be an http:// or https:// URL');
  });
});

describe('a URL with a token in its path is never printed', () => {
  it('price_source names the host, or the label when one is configured', async () => {
    const transport = createJupiterTransport({ baseUrls: [`${a.url}/${SECRET}`, { url: `${b.url}/${SECRET}`, label: 'backup' }], ratePerSec: 1_000 });
    const source = createJupiterSource({ transport });
    const r = await source.fetchUsdPrices([SOL]);
    expect(r.prices.get(SOL)?.source).toBe(`jupiter:${a.url}/…`);
    expect(a.requests()[0]?.url).toContain(SECRET); // the path is still used to send the request
    expect(transport.endpoints().map((e) => e.name)).toEqual([`${a.url}/…`, 'backup']);
    a.setFaults(['price:500']);
    const q = await source.fetchUsdPrices([SOL]);
    expect(q.prices.get(SOL)?.source).toBe('jupiter:backup');
    a.clearFaults();
  });

  it('errors (including bodies and network errors that echo the URL) and logs name the endpoint without its path', async () => {
    const { log, text } = captureLog();
    const echo: typeof fetch = (url) => Promise.resolve(new Response(JSON.stringify({ error: `cannot serve ${url instanceof Request ? url.url : url.toString()}` }), { status: 500 }));
    const transport = createJupiterTransport({ baseUrls: [`https://rpc.example.com/${SECRET}`], ratePerSec: 1_000, backoffBaseMs: 0, fetch: echo, log });
    const source = createJupiterSource({ transport, log });
    let error: unknown;
    try {
      await source.fetchUsdPrices([SOL]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExecutorError);
    const e = error as ExecutorError;
    expect(e.message).toContain('https://rpc.example.com/…');
    expect(JSON.stringify({ m: e.message, c: e.context })).not.toContain(SECRET);

    const thrower: typeof fetch = (url) => Promise.reject(new TypeError(`fetch failed for ${url instanceof Request ? url.url : url.toString()}`));
    const t2 = createJupiterTransport({ baseUrls: [`https://rpc.example.com/${SECRET}`], ratePerSec: 1_000, backoffBaseMs: 0, fetch: thrower, log });
    let e2: unknown;
    try {
      await createJupiterSource({ transport: t2, log }).fetchUsdPrices([SOL]);
    } catch (x) {
      e2 = x;
    }
    expect(e2).toBeInstanceOf(ExecutorError);
    expect(JSON.stringify({ m: (e2 as ExecutorError).message, c: (e2 as ExecutorError).context })).not.toContain(SECRET);
    expect(text()).toContain('https://rpc.example.com/…');
    expect(text()).not.toContain(SECRET);
  });

  it('metrics labels and market logs name the endpoint without its path', async () => {
    const registry = new Registry();
    const { log, text } = captureLog();
    const config = configSchema.parse({ market: { kind: 'jupiter', jupiterUrls: [`${a.url}/${SECRET}`, { url: `${b.url}/${SECRET}`, label: 'backup' }], priceTtlMs: 0, perEndpointRatePerSec: 1_000, backoffBaseMs: 0 } });
    const market = createMarket({ ...config.market, seed: config.seed }, tokens, { registry, log });
    a.setFaults(['price:500']);
    await market.prices.getUsdPrices([SOL]);
    a.clearFaults();
    const metrics = await registry.metrics();
    expect(metrics).toContain(`endpoint="${a.url}/…"`);
    expect(metrics).toContain('endpoint="backup"');
    expect(metrics).not.toContain(SECRET);
    expect(text()).not.toContain(SECRET);
    await market.close();
  });

  it('--print-config shows the host and hides the path', () => {
    const config = configSchema.parse({ market: { kind: 'jupiter', jupiterUrls: [`https://rpc.example.com/${SECRET}`, { url: `https://h.example/v1/${SECRET}`, label: 'hosted' }, 'https://api.jup.ag'] } });
    const text = describeConfig(config);
    expect(text).not.toContain(SECRET);
    expect(text).toContain('https://rpc.example.com/<redacted>');
    expect(text).toContain('https://h.example/<redacted>');
    expect(text).toContain('label: hosted');
    expect(text).toContain('https://api.jup.ag');
  });

  it('over gRPC: the trade, its listing and the journal on disk name the endpoint without its path', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pte-jupiter-names-'));
    const { app, client, stop } = await startTestServer({
      dataDir,
      market: { kind: 'jupiter', jupiterUrls: [`${a.url}/${SECRET}`, { url: `${b.url}/${SECRET}`, label: 'backup' }], priceTtlMs: 0, perEndpointRatePerSec: 1_000, backoffBaseMs: 0 },
    });
    try {
      const r = await client.executeTrade(trade({ portfolioId: 'names', amount: '0.1' }));
      expect(r.trade?.priceSource).toBe(`jupiter:${a.url}/…`);
      expect(r.executionMetrics?.priceSource).toBe(`jupiter:${a.url}/…`);
      a.setFaults(['price:500']);
      const f = await client.executeTrade(trade({ portfolioId: 'names', amount: '0.1' }));
      a.clearFaults();
      expect(f.trade?.priceSource).toBe('jupiter:backup');
      const listed = await client.listTrades({ portfolioId: 'names' });
      expect(JSON.stringify(listed)).not.toContain(SECRET);
      const metrics = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
      expect(metrics).toContain('pte_jupiter_attempts_total');
      expect(metrics).not.toContain(SECRET);
    } finally {
      await stop();
    }
    const journal = filesUnder(dataDir).map((p) => readFileSync(p).toString('latin1')).join('\n');
    expect(journal).toContain('jupiter:backup');
    expect(journal).not.toContain(SECRET);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
