/**
 * The dashboard's HTTP server: the page and its assets (web/, and uPlot from the package's own
 * dependencies: nothing is loaded from a CDN), the JSON API under /api/v1 (docs/dashboard.md) and the
 * live updates. The API is one more caller of the executor, beside gRPC: the same requests, the same
 * validation and messages, the same guard in front (access.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { ExecutorError, invalidArgument, isExecutorError } from '../domain/errors.js';
import type { Executor } from '../executor/types.js';
import { reportQueryFromWire } from '../server/report-mapping.js';
import { tradeRequestFromWire } from '../server/mapping.js';
import { OPEN_ACCESS, type AccessKind, type HttpAccess, type HttpCredentials } from './access.js';
import { httpError } from './errors.js';
import { portfolioJson, reportJson, tradePageJson, tradeRequestFromJson, tradeResultJson, type Json } from './json.js';
import { createLiveHub, type LiveHub } from './live.js';
import { portfolioParam, QUERY_NAME, readQuery, reportRequestFromQuery, textParam, wholeParam } from './params.js';

/** What the health strip shows; computed by the composition root from config and the metrics registry. */
export interface HealthSnapshot {
  readonly priceSource: string;
  /** Share of price lookups the cache answered, 0..1; absent before the first lookup. */
  readonly cacheHitRate?: number | undefined;
  readonly priceLookups: number;
  /** Per pipeline stage: latency quantiles in microseconds and the number of observations. */
  readonly stages: Readonly<Record<string, { readonly p50Us: number; readonly p99Us: number; readonly count: number }>>;
  readonly serving: boolean;
}

export interface HttpServerOptions {
  readonly executor: Executor;
  readonly host: string;
  /** 0 = any free port (tests); the composition root does not start the server when the setting is 0. */
  readonly port: number;
  readonly access?: HttpAccess;
  readonly health?: () => Promise<HealthSnapshot> | HealthSnapshot;
  /** Live update batch interval (ms); default 250. */
  readonly liveIntervalMs?: number;
  /** Told of unexpected failures (INTERNAL); answers are not logged. */
  readonly onInternalError?: (err: unknown, route: string) => void;
}

export interface HttpServer {
  readonly port: number;
  readonly url: string;
  readonly live: LiveHub;
  close(): Promise<void>;
}

/** Largest request body: a TradeRequest with its metadata (8 KiB at most) fits many times over. */
const BODY_LIMIT = 64 * 1024;

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The package's web/: in the nearest folder above this file that holds web/index.html (from src/http, dist/src/http or a build elsewhere in the tree). */
function webRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'web', 'index.html'))) return join(dir, 'web');
    dir = dirname(dir);
  }
  throw new Error('dashboard assets (web/index.html) not found next to the package');
}

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** Every file the page may load, read once at start: nothing outside this list is served. */
function loadAssets(): Map<string, Asset> {
  const web = webRoot();
  const require = createRequire(import.meta.url);
  const uplotDir = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const files: [string, string, string][] = [
    ['/', join(web, 'index.html'), 'text/html; charset=utf-8'],
    ['/app.js', join(web, 'app.js'), 'text/javascript; charset=utf-8'],
    ['/charts.js', join(web, 'charts.js'), 'text/javascript; charset=utf-8'],
    ['/api.js', join(web, 'api.js'), 'text/javascript; charset=utf-8'],
    ['/format.js', join(web, 'format.js'), 'text/javascript; charset=utf-8'],
    ['/style.css', join(web, 'style.css'), 'text/css; charset=utf-8'],
    ['/vendor/uPlot.iife.min.js', join(uplotDir, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['/vendor/uPlot.min.css', join(uplotDir, 'uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  return new Map(files.map(([path, file, type]) => [path, { type, body: readFileSync(file) }]));
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** API keys travel in HTTP headers as in gRPC metadata: printable ASCII only. */
function credentials(req: FastifyRequest): HttpCredentials {
  const apiKey = header(req, 'x-api-key');
  const authorization = header(req, 'authorization');
  for (const v of [apiKey, authorization]) {
    if (v !== undefined && !/^[\x20-\x7e]*$/.test(v)) throw new ExecutorError('UNAUTHENTICATED', 'invalid API key: not printable ASCII', { field: 'x-api-key' });
  }
  return { apiKey: apiKey === '' ? undefined : apiKey, authorization };
}

/** The report request's problems name the query parameter (maxPoints) rather than the proto field (max_points). */
function asQueryError(e: unknown): unknown {
  if (!isExecutorError(e, 'INVALID_ARGUMENT')) return e;
  const field = e.context.field;
  const name = typeof field === 'string' ? QUERY_NAME[field] : undefined;
  if (name === undefined || typeof field !== 'string') return e;
  return invalidArgument(name, e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message);
}

function resetBalances(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('body', 'must be a JSON object ({"balances": {"SOL": "10"}})');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === 'portfolioId' || k === 'portfolio_id') throw invalidArgument(k, 'the portfolio is named by the path');
    if (k !== 'balances') throw invalidArgument(k.slice(0, 64), 'unknown field of ResetPortfolioRequest');
    if (v === null) continue;
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument('balances', 'must be an object of token -> decimal amount');
    for (const [token, amount] of Object.entries(v as Record<string, unknown>)) {
      if (typeof amount !== 'string') throw invalidArgument(`balances.${token.slice(0, 64)}`, 'must be a decimal string, e.g. "10"');
      out[token] = amount;
    }
  }
  return out;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { executor } = options;
  const access = options.access ?? OPEN_ACCESS;
  const assets = loadAssets();
  const live = createLiveHub({ executor, ...(options.liveIntervalMs === undefined ? {} : { intervalMs: options.liveIntervalMs }) });
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, forceCloseConnections: true, return503OnClosing: true });

  const sendError = (reply: FastifyReply, cause: unknown, route: string): void => {
    const { httpStatus, body } = httpError(cause);
    if (httpStatus === 500) options.onInternalError?.(cause, route);
    void reply.code(httpStatus).header('cache-control', 'no-store').send(body);
  };

  /** One API call: admitted by the guard, answered in JSON, released when done. */
  const api = async (
    req: FastifyRequest,
    reply: FastifyReply,
    route: string,
    portfolioOf: () => string | undefined,
    kind: AccessKind,
    run: () => Promise<Json>,
  ): Promise<void> => {
    let admission: { release(): void } | undefined;
    try {
      admission = access.admit(credentials(req), portfolioOf(), kind);
      const body = await run();
      void reply.header('cache-control', 'no-store').send(body);
    } catch (e) {
      sendError(reply, e, route);
    } finally {
      admission?.release();
    }
  };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof ExecutorError) return sendError(reply, err, 'request');
    const status = err.statusCode ?? 500;
    if (status >= 500) return sendError(reply, err, 'request');
    // Fastify's own refusals (a body that is not JSON, too large, of another content type) keep their
    // HTTP status and name the body.
    void reply.code(status).send({ code: 'INVALID_ARGUMENT', status: 'INVALID_ARGUMENT', message: `body: ${err.message}`, field: 'body' });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ code: 'NOT_FOUND', status: 'NOT_FOUND', message: `no such endpoint: ${req.method} ${req.url.split('?')[0] ?? ''}` });
  });

  // The page and its assets.
  for (const [path, asset] of assets) {
    app.get(path, (_req, reply) => {
      void reply
        .header('content-type', asset.type)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .send(asset.body);
    });
  }

  app.get('/api/v1/config', (_req, reply) => {
    void reply.send({ keysRequired: access.keysRequired, liveIntervalMs: options.liveIntervalMs ?? 250 });
  });

  app.get('/api/v1/portfolios', (req, reply) =>
    api(req, reply, 'ListPortfolios', () => undefined, 'read', async () => {
      readQuery(req.query, []);
      const creds = credentials(req);
      const all = await executor.listPortfolios();
      return { portfolios: all.filter((p) => access.mayUse(creds, p.portfolioId)).map(portfolioJson) };
    }),
  );

  const idOf = (req: FastifyRequest): string => portfolioParam((req.params as Record<string, unknown>).id);

  app.get('/api/v1/portfolios/:id', (req, reply) =>
    api(req, reply, 'GetPortfolio', () => idOf(req), 'read', async () => {
      readQuery(req.query, []);
      return portfolioJson(await executor.getPortfolio(idOf(req)));
    }),
  );

  app.get('/api/v1/portfolios/:id/report', (req, reply) =>
    api(req, reply, 'GetReport', () => idOf(req), 'read', async () => {
      let q;
      try {
        q = reportQueryFromWire(reportRequestFromQuery(idOf(req), req.query));
      } catch (e) {
        throw asQueryError(e);
      }
      return reportJson(await executor.getReport(q.portfolioId, q.query));
    }),
  );

  app.get('/api/v1/portfolios/:id/trades', (req, reply) =>
    api(req, reply, 'ListTrades', () => idOf(req), 'read', async () => {
      const q = readQuery(req.query, ['limit', 'pageToken']);
      const limit = wholeParam(q, 'limit', 0, 1_000) ?? 0;
      const pageToken = textParam(q, 'pageToken', 512) ?? '';
      return tradePageJson(await executor.listTrades(idOf(req), limit, pageToken));
    }),
  );

  app.post('/api/v1/trades', (req, reply) => {
    let message: ReturnType<typeof tradeRequestFromJson> | undefined;
    return api(
      req,
      reply,
      'ExecuteTrade',
      () => {
        readQuery(req.query, []);
        message = tradeRequestFromJson(req.body);
        return message.portfolioId;
      },
      'write',
      async () => {
        if (message === undefined) throw new Error('request not decoded');
        const raw = tradeRequestFromWire(message);
        // The caller hanging up abandons work not yet booked, as a cancelled gRPC call does.
        const abort = new AbortController();
        const onClose = (): void => {
          if (!reply.raw.writableFinished) abort.abort(new ExecutorError('DEADLINE_EXCEEDED', 'the client closed the connection before the answer; the trade may still be booked: retry with the same request_id'));
        };
        reply.raw.once('close', onClose);
        try {
          return tradeResultJson(await executor.executeTrade(raw, { signal: abort.signal }));
        } finally {
          reply.raw.off('close', onClose);
        }
      },
    );
  });

  app.post('/api/v1/portfolios/:id/reset', (req, reply) =>
    api(req, reply, 'ResetPortfolio', () => idOf(req), 'write', async () => {
      readQuery(req.query, []);
      const balances = resetBalances(req.body);
      return portfolioJson(await executor.resetPortfolio(idOf(req), balances));
    }),
  );

  app.get('/api/v1/health', (req, reply) =>
    api(req, reply, 'Health', () => undefined, 'read', async () => {
      readQuery(req.query, []);
      const h = await (options.health?.() ?? { priceSource: '', priceLookups: 0, stages: {}, serving: true });
      return h as unknown as Json;
    }),
  );

  app.get('/api/v1/portfolios/:id/events', (req, reply) => {
    let admission: { release(): void } | undefined;
    let portfolioId: string;
    try {
      readQuery(req.query, []);
      portfolioId = idOf(req);
      admission = access.admit(credentials(req), portfolioId, 'stream');
    } catch (e) {
      sendError(reply, e, 'Events');
      return;
    }
    const res = reply.raw;
    let detach: (() => void) | undefined;
    const done = (): void => {
      detach?.();
      detach = undefined;
      admission?.release();
      admission = undefined;
    };
    try {
      reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      res.on('close', done);
      detach = live.watch(portfolioId, { write: (t) => res.write(t), get writableLength() { return res.writableLength; }, end: () => res.end() });
    } catch (e) {
      done();
      options.onInternalError?.(e, 'Events');
      res.destroy();
    }
  });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    port,
    url: `http://${host}:${port}/`,
    live,
    async close() {
      live.close();
      await app.close();
    },
  };
}
