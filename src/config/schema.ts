/**
 * The configuration schema. Every default here is the embedded one (DESIGN.md, "Real parts, embedded
 * defaults"): with no file, no environment and no flags, the executor runs on one machine with no
 * network. Objects are strict, so a misspelt key is an error instead of a setting that silently does
 * nothing; the few open objects (model and MEV parameters) are validated by the module that owns them.
 */
import { z } from 'zod';
import { createTokenRegistry, isMint } from '../domain/tokens.js';
import type { JsonValue } from '../domain/request.js';

/** Largest value a uint64 (the wire type of a trade's seed) can hold. */
export const UINT64_MAX = 2n ** 64n - 1n;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const MARKET_KINDS = ['sim', 'jupiter'] as const;
export type MarketKind = (typeof MARKET_KINDS)[number];

/**
 * Slippage model names from the contract (TradeRequest.slippage_model); the registry validates params
 * (config/slippage.ts at start). "empirical" is fitted by `pte evaluate --emit-model`.
 */
export const SLIPPAGE_MODEL_NAMES = ['fixed', 'quote', 'cpmm', 'sqrt', 'random', 'empirical'] as const;

export const MEV_REGIMES = ['current', 'mid_2025', 'peak'] as const;

/** When trades are priced (DESIGN.md, execution timing); a request's execution_pricing overrides it. */
export const EXECUTION_PRICINGS = ['immediate', 'landing'] as const;
export type ExecutionPricingSetting = (typeof EXECUTION_PRICINGS)[number];
export type MevRegime = (typeof MEV_REGIMES)[number];

const PORTFOLIO_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$/;
const UINT_TEXT = /^\d+$/;

// Known tokens let the schema check a starting balance's decimals at start instead of at the first trade.
const KNOWN_TOKENS = createTokenRegistry();

const whole = (min: number, max: number) =>
  z
    .number({ error: (iss) => `must be a whole number between ${min} and ${max}, got ${describeInput(iss.input)}` })
    .int({ error: `must be a whole number between ${min} and ${max}` })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` });

function describeInput(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'a list' : 'a mapping';
  return String(v);
}

const port = () => whole(0, 65_535);
const host = () => z.string().min(1, { error: 'must not be empty' });
const httpUrl = z.string().refine((s) => /^https?:\/\/[^\s/]+/.test(s), { error: 'must be an http:// or https:// URL' });

/**
 * A Jupiter endpoint: a base URL, or {url, label} to name it by the label wherever it is shown (price
 * sources, logs, metrics) instead of by scheme://host[:port]. Labels are unique and printable.
 */
const jupiterEndpoint = z.union(
  [
    httpUrl,
    z.strictObject({
      url: httpUrl,
      label: z.string().regex(/^[A-Za-z0-9._:-]{1,40}$/, { error: 'a label holds 1-40 letters, digits and . _ : -' }),
    }),
  ],
  { error: 'must be a URL or a mapping {url, label}' },
);

/**
 * uint64 seed. Accepts a bigint (YAML parsed with exact integers), a safe-integer number, or a decimal
 * string; a number beyond 2^53 has already lost digits, so it is refused instead of silently rounded.
 */
export const seedSchema = z.union([z.bigint(), z.number(), z.string()]).transform((v, ctx): bigint => {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) {
      ctx.addIssue({
        code: 'custom',
        message: Number.isInteger(v)
          ? `${v} is beyond 2^53 and was rounded by the parser; write it as a string, e.g. "18446744073709551615"`
          : 'must be a whole number',
        input: v,
      });
      return z.NEVER;
    }
    n = BigInt(v);
  } else {
    const s = v.trim();
    if (!UINT_TEXT.test(s)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a whole decimal number`, input: v });
      return z.NEVER;
    }
    n = BigInt(s);
  }
  if (n < 0n || n > UINT64_MAX) {
    ctx.addIssue({ code: 'custom', message: `must be between 0 and ${UINT64_MAX} (uint64)`, input: v });
    return z.NEVER;
  }
  return n;
});

/**
 * token symbol or mint -> amount in token units. YAML numbers are accepted when they print as a plain
 * decimal (100, 0.5). Known tokens are checked against their decimals. One transform checks every
 * entry, so all bad entries are reported together.
 */
const balances = z.record(z.string(), z.union([z.string(), z.number()])).transform((rec, ctx): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(rec)) {
    const amount = typeof v === 'number' ? String(v) : v.trim();
    const token = KNOWN_TOKENS.find(key);
    if (!token && !isMint(key)) {
      const examples = KNOWN_TOKENS.all.slice(0, 6).map((t) => t.symbol);
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `unknown token ${JSON.stringify(key)}; use a known symbol (${examples.join(', ')}, ...) or a mint address`,
        input: key,
      });
    } else if (!PLAIN_DECIMAL.test(amount)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message:
          typeof v === 'number'
            ? `${amount} is not a plain decimal; write it as a string, e.g. "0.0000001"`
            : `${JSON.stringify(v)} is not a plain non-negative decimal (digits, one optional point)`,
        input: v,
      });
    } else if (token && (amount.split('.')[1]?.length ?? 0) > token.decimals) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `${amount} has ${amount.split('.')[1]?.length ?? 0} decimals; ${token.symbol} has ${token.decimals}`,
        input: v,
      });
    }
    out[key] = amount;
  }
  return out;
});

const DEFAULT_STARTING_BALANCES: Record<string, string> = { SOL: '100', USDC: '10000' };

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);
const params = z.record(z.string(), jsonValue);

export const configSchema = z.strictObject({
  grpc: z
    .strictObject({
      host: host().default('127.0.0.1'),
      port: port().default(50_051),
      maxMessageBytes: whole(1_024, 64 * 1024 * 1024).default(1024 * 1024),
    })
    .prefault({}),
  /** Hardening of the gRPC port: access control, limits, overload, TLS, shutdown (docs/hardening.md). */
  server: z
    .strictObject({
      /** Requests worked on at once; past it calls are answered RESOURCE_EXHAUSTED at once. */
      maxInFlight: whole(1, 1_000_000).default(2_048),
      /**
       * Event-loop delay (ms) past which new trades and resets are answered RESOURCE_EXHAUSTED at once,
       * before any work (server/guards/loop-delay.ts); 0 = no such check.
       */
      maxEventLoopDelayMs: whole(0, 60_000).default(0),
      /** Deadline given to a call that sends none. */
      defaultDeadlineMs: whole(1, 3_600_000).default(10_000),
      /** Largest total size of one call's metadata (header names plus values). */
      maxMetadataBytes: whole(256, 1024 * 1024).default(8 * 1024),
      /** Open StreamTrades calls at once; past it a new stream is answered RESOURCE_EXHAUSTED (docs/hardening.md). */
      maxStreams: whole(1, 100_000).default(256),
      /** Open StreamTrades calls at once per API key (with apiKeys); past it RESOURCE_EXHAUSTED. */
      maxStreamsPerKey: whole(1, 100_000).default(64),
      /** Trades queued for a StreamTrades reader that falls behind; past it its stream is ended RESOURCE_EXHAUSTED. */
      streamQueueTrades: whole(1, 100_000).default(128),
      /** On SIGTERM/SIGINT: how long in-flight calls may run before they are cut. */
      shutdownGraceMs: whole(0, 600_000).default(10_000),
      /** API keys; empty = no authentication (a sidecar on localhost). */
      apiKeys: z
        .array(
          z
            .strictObject({
              name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'holds 1-64 letters, digits and . _ -' }),
              /** Environment variable holding the key. */
              keyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' }).optional(),
              /** SHA-256 of the key in hex, optionally "sha256:"-prefixed (`printf %s KEY | sha256sum`). */
              keyHash: z.string().regex(/^(?:sha256:)?[0-9a-fA-F]{64}$/, { error: 'must be a SHA-256 hex digest' }).optional(),
              /** Portfolio ids the key may use; "default" is the default portfolio, "*" every one. */
              portfolios: z
                .array(z.string().regex(/^(?:\*|[A-Za-z0-9._:-]{1,64})$/, { error: 'a portfolio id or "*"' }))
                .min(1, { error: 'must list at least one portfolio (or "*")' }),
              /** Requests per second allowed to this key (token bucket); unset = unlimited. */
              ratePerSec: z.number().gt(0, { error: 'must be above 0' }).max(1_000_000).optional(),
              /** Requests allowed at once after a pause; default max(1, ratePerSec). */
              burst: whole(1, 1_000_000).optional(),
            })
            .refine((k) => (k.keyEnv === undefined) !== (k.keyHash === undefined), { error: 'set exactly one of keyEnv and keyHash' }),
        )
        .default([])
        .refine((keys) => new Set(keys.map((k) => k.name)).size === keys.length, { error: 'key names must be unique' }),
      /**
       * Also serve paper_trader.v1.Diagnostics, whose Noop measures the transport's own cost (the
       * benchmark turns it on). Off by default: it is no part of the trading contract.
       */
      diagnostics: z.boolean().default(false),
      /**
       * Trades run through two scratch copies of the whole hot path (gRPC, executor, journal) before
       * the service starts serving, so the first burst after a start finds the code compiled (it is
       * still about twice as slow as a warm one: README, Benchmarks). The scratch servers, portfolios
       * and journals are discarded: nothing is booked, reported or counted. 0 = off.
       */
      warmUpTrades: whole(0, 100_000).default(2_000),
      /** Serve TLS on the gRPC port (PEM files). */
      tls: z
        .strictObject({
          certFile: z.string().min(1, { error: 'must not be empty' }),
          keyFile: z.string().min(1, { error: 'must not be empty' }),
        })
        .optional(),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      host: host().default('127.0.0.1'),
      port: port().default(9_464),
    })
    .prefault({}),
  /** The dashboard and its JSON API (docs/dashboard.md); port 0 = off. */
  http: z
    .strictObject({
      host: host().default('127.0.0.1'),
      port: port().default(8_080),
    })
    .prefault({}),
  dataDir: z.string().min(1, { error: 'must not be empty' }).default('./data'),
  /** The durable journal in dataDir (docs/durability.md). */
  journal: z
    .strictObject({
      /** Off: an in-memory journal, state lost on restart (benchmarks, throwaway runs). */
      enabled: z.boolean().default(true),
      /** Records between snapshots; start-up replays at most this many after the latest one. 0 = none. */
      snapshotEvery: whole(0, 100_000_000).default(10_000),
      /** Size at which a segment file is closed and the next one started. */
      segmentBytes: whole(4_096, 1024 * 1024 * 1024).default(64 * 1024 * 1024),
      /** Recent trades kept decoded in memory for ListTrades and duplicates; older ones are read from the segments. */
      tradeCache: whole(0, 10_000_000).default(4_096),
    })
    .prefault({}),
  /**
   * The ledger store (docs/deployment.md). Unset: the embedded file journal in dataDir, owned by this
   * process. A postgres:// URL: a PostgreSQL database several executors share; journal settings and
   * dataDir are then unused.
   */
  ledger: z
    .strictObject({
      url: z
        .string()
        .refine((s) => /^postgres(ql)?:\/\/\S+$/.test(s), { error: 'must be a postgres:// or postgresql:// URL' })
        .optional(),
      /** Connections each executor keeps to the database. */
      poolSize: whole(1, 1_000).default(10),
      /** How long a change waits for the database (retries included) when its request carries no deadline. */
      retryBudgetMs: whole(1, 600_000).default(5_000),
    })
    .prefault({}),
  /** Equity marks (docs/reports.md): besides one on every trade and reset, every portfolio holding anything is marked every intervalMs; 0 = no periodic marks. */
  marks: z
    .strictObject({
      intervalMs: whole(0, 86_400_000).default(60_000),
    })
    .prefault({}),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  seed: seedSchema.default(1n),
  market: z
    .strictObject({
      kind: z.enum(MARKET_KINDS).default('sim'),
      jupiterUrls: z
        .array(jupiterEndpoint)
        .min(1, { error: 'must list at least one URL' })
        .superRefine((list, ctx) => {
          const seen = new Set<string>();
          list.forEach((e, i) => {
            if (typeof e === 'string') return;
            if (seen.has(e.label)) ctx.addIssue({ code: 'custom', path: [i, 'label'], message: `label ${JSON.stringify(e.label)} is used twice` });
            seen.add(e.label);
          });
        })
        .default(['https://api.jup.ag', 'https://lite-api.jup.ag']),
      redisUrl: z
        .string()
        .refine((s) => /^rediss?:\/\/\S*$/.test(s), { error: 'must be a redis:// or rediss:// URL' })
        .optional(),
      /** Lifetime of a price in the shared Redis cache, or in the in-process cache when there is no Redis. */
      priceTtlMs: whole(0, 3_600_000).default(2_000),
      /** In-process (L1) lifetime when Redis is set; unset = min(500, priceTtlMs). Without Redis L1 uses priceTtlMs. */
      l1TtlMs: whole(0, 3_600_000).optional(),
      /** Timeout of one Jupiter HTTP attempt. */
      requestTimeoutMs: whole(1, 60_000).default(800),
      /** Requests per second to each Jupiter endpoint (token bucket); Jupiter's free plan allows 1. */
      perEndpointRatePerSec: z
        .number({ error: 'must be a number' })
        .gt(0, { error: 'must be above 0 and at most 10000' })
        .max(10_000, { error: 'must be above 0 and at most 10000' })
        .default(1),
      /** Attempts on one endpoint (the first plus retries) before failing over to the next. */
      maxAttemptsPerEndpoint: whole(1, 10).default(3),
      /** First retry backoff; doubles per retry up to backoffMaxMs, with jitter. */
      backoffBaseMs: whole(0, 60_000).default(100),
      backoffMaxMs: whole(0, 60_000).default(2_000),
      /** Longest wait for a 429's x-ratelimit-reset or a rate-limit slot before failing over. */
      maxRateLimitWaitMs: whole(0, 60_000).default(2_000),
      /** Consecutive failures that open an endpoint's circuit, and how long it stays open before a probe. */
      breakerFailureThreshold: whole(1, 100).default(3),
      breakerOpenMs: whole(1, 3_600_000).default(10_000),
      /** A Jupiter price further than this from the mint's last good price (or another endpoint's) is refused. */
      maxDeviationBps: whole(1, 1_000_000).default(1_000),
      /** How long a price taken from Jupiter serves as the mint's last good price. */
      lastGoodMaxAgeMs: whole(1, 86_400_000).default(30_000),
      /** Timeout of one Redis command; past it the lookup goes upstream and the failure is counted. */
      redisTimeoutMs: whole(1, 10_000).default(50),
      /**
       * Lifetime of the shared cache's refresh lock per mint, and the longest an executor waits on another's
       * fetch before fetching itself (what a dead holder costs); 0 = no lock.
       */
      redisLockMs: whole(0, 10_000).default(300),
    })
    .prefault({}),
  slippage: z
    .strictObject({
      model: z
        .strictObject({
          name: z.enum(SLIPPAGE_MODEL_NAMES),
          params: params.default({}),
        })
        .default({ name: 'fixed', params: { bps: 100 } }),
      defaultToleranceBps: whole(0, 4_999).default(300),
      // Open on purpose: the landing-delay parameters belong to the slippage module.
      landingDelay: z.looseObject({ enabled: z.boolean().default(false) }).prefault({}),
    })
    .prefault({}),
  fees: z
    .strictObject({
      signatureLamports: whole(0, 1_000_000).default(5_000),
      rentLamports: whole(0, 100_000_000).default(2_039_280),
      chargeRent: z.boolean().default(true),
    })
    .prefault({}),
  portfolios: z
    .strictObject({
      startingBalances: balances.default(DEFAULT_STARTING_BALANCES),
      byId: z
        .record(
          z.string().regex(PORTFOLIO_ID, { error: 'portfolio ids hold 1-64 letters, digits and . _ : -' }),
          z.strictObject({ startingBalances: balances }),
        )
        .default({}),
      /**
       * Portfolios this server holds at most. A trade or reset that would create one more is answered
       * RESOURCE_EXHAUSTED (PORTFOLIO_LIMIT); reads never create one. Portfolios recovered at start
       * count but are never dropped.
       */
      max: whole(1, 10_000_000).default(10_000),
    })
    .prefault({}),
  mev: z
    .strictObject({
      regime: z.enum(MEV_REGIMES).default('current'),
      // Validated in the same pass by the MEV module, which owns its parameter names (config/settings.ts).
      params: z.record(z.string(), z.unknown()).default({}),
    })
    .prefault({}),
  execution: z
    .strictObject({
      /**
       * immediate: priced when the request arrives. landing: the executor draws the landing delay
       * (slippage.landingDelay's slot model), waits it out, prices on the market as it is then and
       * answers then.
       */
      pricing: z.enum(EXECUTION_PRICINGS).default('immediate'),
      /** Milliseconds per slot of the landing delay (Solana: about 400). */
      slotMs: whole(1, 10_000).default(400),
    })
    .prefault({}),
  warnings: z
    .strictObject({
      slowExecutionMs: z.number().min(0, { error: 'must not be negative' }).default(50),
      nearToleranceRatio: z
        .number()
        .gt(0, { error: 'must be above 0 and at most 1' })
        .max(1, { error: 'must be above 0 and at most 1' })
        .default(0.8),
    })
    .prefault({}),
  questdb: z
    .strictObject({
      /** QuestDB client configuration string, e.g. "http::addr=localhost:9000;". Unset = no recorder. */
      conf: z.string().min(1, { error: 'must not be empty' }).optional(),
      /** Trades held in memory while QuestDB is slow or down; beyond it the oldest are dropped (the journal keeps them). */
      queueCap: whole(2, 10_000_000).default(100_000),
      /** Rows per flush; reaching it sends at once. Must be below queueCap. */
      flushRows: whole(1, 1_000_000).default(1_000),
      /** A partial batch waits at most this long before it is sent. */
      flushIntervalMs: whole(10, 60_000).default(1_000),
      /** On stop, how long to keep sending what is queued. */
      shutdownDeadlineMs: whole(0, 600_000).default(3_000),
    })
    .refine((q) => q.flushRows < q.queueCap, { error: 'flushRows must be below queueCap', path: ['flushRows'] })
    .prefault({}),
});

/** The validated configuration every part is built from. */
export type Config = z.output<typeof configSchema>;

/** What a config file, the environment or flags may say: every key optional, values before parsing. */
export type ConfigInput = z.input<typeof configSchema>;

/** The configuration with nothing set: every embedded default. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
