/**
 * A local stand-in for Jupiter's HTTP API, for tests, benchmarks and trying failover by hand. It serves
 * GET /price/v3 and GET /swap/v1/quote in the real response shapes (see the fixtures in
 * test/fixtures/jupiter), priced from the simulated market, and injects faults per path: added
 * latency, any status (429 with x-ratelimit-reset, 500, 401, a 400 with an errorCode), hangs past the
 * client's timeout, malformed JSON, missing mints, garbage prices and plausible but wrong prices. A base
 * URL with a path in front (the hosted style https://host/TOKEN/price/v3) is served too. Faults are set at start, through
 * the programmatic API, or at runtime over HTTP:
 *   GET    /__emulator/stats    request counts and the active faults
 *   PUT    /__emulator/faults   body: a JSON list of fault specs (strings, see parseFault); replaces them
 *   POST   /__emulator/faults   the same, but adds to the active faults
 *   DELETE /__emulator/faults   clears every fault
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { amount } from '../domain/amount.js';
import { isExecutorError } from '../domain/errors.js';
import type { RouteQuote, SwapMode } from '../domain/market.js';
import { ceil, ratio, toDecimalString } from '../domain/ratio.js';
import type { Ratio } from '../domain/ratio.js';
import { createTokenRegistry, isMint } from '../domain/tokens.js';
import type { Mint, TokenRegistry } from '../domain/tokens.js';
import type { PriceSource } from '../executor/ports.js';
import { createSimulatedMarket } from './sim-market.js';

export type FaultScope = 'price' | 'quote' | 'all';

export type FaultSpec =
  | { readonly kind: 'latency'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'status'; readonly status: number; readonly errorCode?: string; readonly resetInS?: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'malformed' }
  /** Drops the listed mints from price answers (all of them when `mints` is absent). */
  | { readonly kind: 'missing'; readonly mints?: readonly string[] }
  /** Replaces usdPrice with `value` (any JSON value: 0, -1, 1e300, null, "x"). */
  | { readonly kind: 'garbage'; readonly value: unknown }
  /** Answers every price as `usd`: well-formed and within the sane range, but wrong. */
  | { readonly kind: 'wrong-price'; readonly usd: number };

export interface Fault {
  readonly scope: FaultScope;
  readonly spec: FaultSpec;
  /** Applies to this many more matching requests, then lapses; undefined = until cleared. */
  remaining?: number;
}

export const FAULT_SYNTAX = `[price:|quote:|all:]SPEC[*N], SPEC one of:
  latency=MS | latency=MIN-MAX   added delay
  429[=RESET_S]                   rate limited, x-ratelimit-reset = now + RESET_S (default 1)
  500 | 503 | 401 | 403 ...       that status with Jupiter's body for it
  400=ERROR_CODE                  e.g. 400=COULD_NOT_FIND_ANY_ROUTE, 400=TOKEN_NOT_TRADABLE
  hang                            never answers
  malformed                       200 with a body that is not JSON
  missing | missing=MINT,MINT     mints absent from price answers (all, or these mints or symbols)
  garbage=JSON                    usdPrice replaced, e.g. garbage=0, garbage=-1, garbage=1e300, garbage=null
  wrong-price=USD                 every usdPrice a plausible but wrong USD value, e.g. wrong-price=1
*N applies the fault to the next N matching requests only. Scope defaults to all.`;

/** Parses a fault spec such as "price:500*3", "quote:latency=20-50", "all:429=5". */
export function parseFault(text: string): Fault {
  let rest = text.trim();
  let scope: FaultScope = 'all';
  const scoped = /^(price|quote|all):(.*)$/s.exec(rest);
  if (scoped) {
    scope = scoped[1] as FaultScope;
    rest = scoped[2] ?? '';
  }
  let remaining: number | undefined;
  const counted = /^(.*)\*(\d+)$/s.exec(rest);
  if (counted) {
    rest = counted[1] ?? '';
    remaining = Number(counted[2]);
  }
  const eq = rest.indexOf('=');
  const head = eq < 0 ? rest : rest.slice(0, eq);
  const arg = eq < 0 ? undefined : rest.slice(eq + 1);
  const bad = (why: string): Error => new Error(`fault ${JSON.stringify(text)}: ${why}\n${FAULT_SYNTAX}`);
  let spec: FaultSpec;
  if (head === 'latency') {
    const m = /^(\d+)(?:-(\d+))?$/.exec(arg ?? '');
    if (!m) throw bad('latency needs MS or MIN-MAX');
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : Number(m[2]);
    if (max < min) throw bad('latency MAX is below MIN');
    spec = { kind: 'latency', minMs: min, maxMs: max };
  } else if (/^\d{3}$/.test(head)) {
    const status = Number(head);
    if (status < 400 || status > 599) throw bad('a status fault needs a 4xx or 5xx status');
    if (status === 429) {
      if (arg !== undefined && !/^\d+$/.test(arg)) throw bad('429=RESET_S needs whole seconds');
      spec = { kind: 'status', status, resetInS: arg === undefined ? 1 : Number(arg) };
    } else spec = arg === undefined ? { kind: 'status', status } : { kind: 'status', status, errorCode: arg };
  } else if (head === 'hang' || head === 'malformed') {
    spec = { kind: head };
  } else if (head === 'missing') {
    spec = arg === undefined ? { kind: 'missing' } : { kind: 'missing', mints: arg.split(',').map((s) => s.trim()) };
  } else if (head === 'garbage') {
    if (arg === undefined) throw bad('garbage needs a JSON value');
    try {
      spec = { kind: 'garbage', value: JSON.parse(arg) as unknown };
    } catch {
      throw bad('garbage value is not JSON');
    }
  } else if (head === 'wrong-price') {
    const usd = arg !== undefined && /^\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(arg) ? Number(arg) : NaN;
    if (!Number.isFinite(usd) || usd <= 0) throw bad('wrong-price needs a positive USD price, e.g. wrong-price=1');
    spec = { kind: 'wrong-price', usd };
  } else throw bad(`unknown fault ${JSON.stringify(head)}`);
  return remaining === undefined ? { scope, spec } : { scope, spec, remaining };
}

export interface JupiterEmulatorOptions {
  readonly port?: number;
  readonly host?: string;
  readonly tokens?: TokenRegistry;
  /** Seed of the simulated market behind the emulator. Default 1. */
  readonly seed?: bigint;
  /** The market to price from; default a simulated market on `tokens`, `seed` and `now`. */
  readonly market?: PriceSource;
  readonly faults?: readonly (Fault | string)[];
  /** Clock for x-ratelimit-reset and the simulated market; default Date.now. */
  readonly now?: () => number;
  /** When set, a request without this x-api-key gets 401, like a keyed endpoint. */
  readonly requireApiKey?: string;
}

export type EmulatorPath = 'price' | 'quote';

export interface EmulatorRequest {
  readonly path: EmulatorPath;
  /** When it was answered (or given up on). */
  readonly atMs: number;
  /** When it arrived, before any injected latency: when the market was asked. */
  readonly receivedAtMs: number;
  readonly status: number | 'hang';
  /** ids asked (price) or [inputMint, outputMint] (quote). */
  readonly mints: readonly string[];
  /** The x-api-key header as received (tests check it is sent, and only as a header). */
  readonly apiKey: string | undefined;
  readonly url: string;
}

export interface JupiterEmulator {
  readonly url: string;
  readonly port: number;
  setFaults(faults: readonly (Fault | string)[]): void;
  addFault(fault: Fault | string): void;
  clearFaults(): void;
  faults(): readonly Fault[];
  requests(): readonly EmulatorRequest[];
  count(path?: EmulatorPath): number;
  resetRequests(): void;
  close(): Promise<void>;
}

const PRICE_CREATED_AT = '2024-06-05T08:55:25.527Z';
const AMM_KEY = '5BKxfWMbmYBAEWvyPZS9esPducUba9GqyMjtLCfbaqyF';
const ERROR_BODIES: Readonly<Record<number, unknown>> = {
  401: { code: 401, message: 'Unauthorized' },
  403: { code: 403, message: 'API key does not have access to this endpoint' },
  429: { code: 429, message: '[API Gateway] Too many requests' },
};

/** A number on the wire, as Jupiter sends it (a JSON double), from an exact ratio. */
const wireNumber = (r: Ratio): number => Number(toDecimalString(r, 24, 'floor'));

export async function startJupiterEmulator(options: JupiterEmulatorOptions = {}): Promise<JupiterEmulator> {
  const now = options.now ?? Date.now;
  const tokens = options.tokens ?? createTokenRegistry();
  const market = options.market ?? createSimulatedMarket({ tokens, seed: options.seed ?? 1n, now });
  let active: Fault[] = (options.faults ?? []).map((f) => (typeof f === 'string' ? parseFault(f) : { ...f }));
  const log: EmulatorRequest[] = [];
  let slot = 300_000_000;

  /** Faults matching the path, consuming one use of each counted one. */
  function take(path: EmulatorPath): FaultSpec[] {
    const out: FaultSpec[] = [];
    for (const f of active) {
      if (f.scope !== 'all' && f.scope !== path) continue;
      out.push(f.spec);
      if (f.remaining !== undefined) f.remaining--;
    }
    active = active.filter((f) => f.remaining === undefined || f.remaining > 0);
    return out;
  }

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
    res.end(text);
  };

  async function price(ids: readonly string[], faults: readonly FaultSpec[]): Promise<{ status: number; body: unknown }> {
    if (ids.length > 50) return { status: 400, body: { error: 'ids: at most 50 ids per call' } };
    const mints = ids.filter(isMint);
    const prices = await market.getUsdPrices(mints);
    const body: Record<string, unknown> = {};
    for (const m of mints) {
      const p = prices.get(m);
      const t = tokens.find(m);
      if (!p) continue;
      body[m] = {
        createdAt: PRICE_CREATED_AT,
        liquidity: p.liquidityUsd ? wireNumber(p.liquidityUsd) : undefined,
        usdPrice: wireNumber(p.usd),
        blockId: slot,
        decimals: t?.decimals,
        priceChange24h: 0,
      };
    }
    for (const f of faults) {
      if (f.kind === 'missing') for (const m of f.mints ?? Object.keys(body)) Reflect.deleteProperty(body, tokens.find(m)?.mint ?? m);
      if (f.kind === 'garbage') for (const entry of Object.values(body)) (entry as Record<string, unknown>).usdPrice = f.value;
      if (f.kind === 'wrong-price') for (const entry of Object.values(body)) (entry as Record<string, unknown>).usdPrice = f.usd;
    }
    return { status: 200, body };
  }

  async function quote(q: URLSearchParams): Promise<{ status: number; body: unknown }> {
    const inputMint = q.get('inputMint') ?? '';
    const outputMint = q.get('outputMint') ?? '';
    const amountText = q.get('amount') ?? '';
    const modeText = q.get('swapMode') ?? 'ExactIn';
    const slippageBps = Number(q.get('slippageBps') ?? '50');
    if (!isMint(inputMint)) return { status: 400, body: 'Query parameter inputMint cannot be parsed: WrongSize' };
    if (!isMint(outputMint)) return { status: 400, body: 'Query parameter outputMint cannot be parsed: WrongSize' };
    if (!/^\d+$/.test(amountText)) return { status: 400, body: 'Query parameter amount cannot be parsed: ParseIntError { kind: InvalidDigit }' };
    if (modeText !== 'ExactIn' && modeText !== 'ExactOut') return { status: 400, body: 'Query parameter swapMode cannot be parsed' };
    const swapMode: SwapMode = modeText;
    if (!Number.isInteger(slippageBps) || slippageBps < 0 || slippageBps > 10_000) return { status: 400, body: 'Query parameter slippageBps cannot be parsed' };
    if (inputMint === outputMint) return { status: 400, body: { error: 'Input and output mints are not allowed to be equal', errorCode: 'CIRCULAR_ARBITRAGE_IS_DISABLED' } };
    for (const m of [inputMint, outputMint]) {
      if (!tokens.find(m)) return { status: 400, body: { error: `The token ${m} is not tradable`, errorCode: 'TOKEN_NOT_TRADABLE' } };
    }
    let r: RouteQuote;
    try {
      r = await market.getQuote({ inputMint, outputMint, amount: amount(BigInt(amountText)), swapMode, slippageBps });
    } catch (e) {
      if (isExecutorError(e, 'NO_ROUTE')) return { status: 400, body: { error: 'Could not find any route', errorCode: 'COULD_NOT_FIND_ANY_ROUTE' } };
      throw e;
    }
    const bps = BigInt(slippageBps);
    const threshold =
      swapMode === 'ExactIn' ? ceil(ratio(r.outAmount * (10_000n - bps), 10_000n)) : ceil(ratio(r.inAmount * (10_000n + bps), 10_000n));
    return {
      status: 200,
      body: {
        inputMint: r.inputMint,
        inAmount: r.inAmount.toString(),
        outputMint: r.outputMint,
        outAmount: r.outAmount.toString(),
        otherAmountThreshold: threshold.toString(),
        swapMode,
        slippageBps,
        platformFee: null,
        priceImpactPct: toDecimalString(r.priceImpact, 24, 'floor'),
        routePlan: r.route.map((h) => ({
          swapInfo: {
            ammKey: AMM_KEY,
            label: h.label,
            inputMint: h.inputMint,
            outputMint: h.outputMint,
            inAmount: h.inAmount.toString(),
            outAmount: h.outAmount.toString(),
          },
          percent: h.percent,
        })),
        contextSlot: slot,
        timeTaken: 0.001,
      },
    };
  }

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/__emulator/stats' && req.method === 'GET') {
      send(res, 200, { requests: { price: count('price'), quote: count('quote') }, faults: active });
      return;
    }
    if (path === '/__emulator/faults') {
      if (req.method === 'DELETE') {
        active = [];
        send(res, 200, { faults: active });
        return;
      }
      if (req.method === 'PUT' || req.method === 'POST') {
        let text = '';
        for await (const chunk of req) text += String(chunk);
        try {
          const list: unknown = JSON.parse(text);
          if (!Array.isArray(list)) throw new Error('body must be a JSON list of fault specs');
          const parsed = list.map((f) => (typeof f === 'string' ? parseFault(f) : (f as Fault)));
          active = req.method === 'PUT' ? parsed : [...active, ...parsed];
          send(res, 200, { faults: active });
        } catch (e) {
          send(res, 400, { error: e instanceof Error ? e.message : String(e) });
        }
        return;
      }
    }
    send(res, 404, { error: 'not found' });
  }

  const count = (path?: EmulatorPath): number => (path === undefined ? log.length : log.filter((r) => r.path === path).length);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAtMs = now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname.startsWith('/__emulator/')) return admin(req, res, url.pathname);
    // Any prefix is accepted before the API path, as hosted plans put a token there.
    const p = url.pathname;
    const path: EmulatorPath | undefined = p.endsWith('/price/v3') ? 'price' : p.endsWith('/swap/v1/quote') || p.endsWith('/v6/quote') ? 'quote' : undefined;
    if (path === undefined || req.method !== 'GET') {
      send(res, 404, { error: 'not found' });
      return;
    }
    const header = req.headers['x-api-key'];
    const apiKey = typeof header === 'string' ? header : undefined;
    const ids = path === 'price' ? (url.searchParams.get('ids') ?? '').split(',').filter((s) => s !== '') : [url.searchParams.get('inputMint') ?? '', url.searchParams.get('outputMint') ?? ''];
    const record = (status: number | 'hang'): void => {
      log.push({ path, atMs: now(), receivedAtMs, status, mints: ids, apiKey, url: url.pathname + url.search });
    };
    slot++;
    const faults = take(path);
    for (const f of faults) {
      if (f.kind === 'latency') await delay(f.minMs + Math.floor(Math.random() * (f.maxMs - f.minMs + 1)));
    }
    if (options.requireApiKey !== undefined && apiKey !== options.requireApiKey) {
      record(401);
      send(res, 401, ERROR_BODIES[401]);
      return;
    }
    for (const f of faults) {
      if (f.kind === 'hang') {
        record('hang');
        return; // the socket stays open until the client gives up or the emulator closes
      }
      if (f.kind === 'malformed') {
        record(200);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"So11111111111111111111111111111111111111112": {"usdPrice": 147.4');
        return;
      }
      if (f.kind === 'status') {
        record(f.status);
        const headers: Record<string, string> = {};
        if (f.resetInS !== undefined) headers['x-ratelimit-reset'] = String(Math.floor(now() / 1000) + f.resetInS);
        const body = f.errorCode !== undefined ? { error: `emulated ${f.errorCode}`, errorCode: f.errorCode } : (ERROR_BODIES[f.status] ?? { error: 'Internal Server Error' });
        send(res, f.status, body, headers);
        return;
      }
    }
    const answer = path === 'price' ? await price(ids, faults) : await quote(url.searchParams);
    record(answer.status);
    send(res, answer.status, answer.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: e instanceof Error ? e.message : String(e) });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    setFaults(faults) {
      active = faults.map((f) => (typeof f === 'string' ? parseFault(f) : { ...f }));
    },
    addFault(fault) {
      active.push(typeof fault === 'string' ? parseFault(fault) : { ...fault });
    },
    clearFaults() {
      active = [];
    },
    faults: () => active,
    requests: () => log,
    count,
    resetRequests() {
      log.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The mints of a price request, for tests that check batching. */
export const mintsOf = (r: EmulatorRequest): readonly Mint[] => r.mints.filter(isMint);
