import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig, resolveConfig } from './load.js';
import { defaultConfig, UINT64_MAX } from './schema.js';

const dir = mkdtempSync(join(tmpdir(), 'pte-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('are the embedded ones: local ports, simulated market, seed 1', () => {
    const c = loadConfig();
    expect(c.grpc).toEqual({ host: '127.0.0.1', port: 50051, maxMessageBytes: 1024 * 1024 });
    expect(c.metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(c.dataDir).toBe('./data');
    expect(c.logLevel).toBe('info');
    expect(c.seed).toBe(1n);
    expect(c.market).toEqual({
      kind: 'sim',
      jupiterUrls: ['https://api.jup.ag', 'https://lite-api.jup.ag'],
      priceTtlMs: 2000,
      requestTimeoutMs: 800,
      perEndpointRatePerSec: 1,
      maxAttemptsPerEndpoint: 3,
      backoffBaseMs: 100,
      backoffMaxMs: 2000,
      maxRateLimitWaitMs: 2000,
      breakerFailureThreshold: 3,
      breakerOpenMs: 10000,
      maxDeviationBps: 1000,
      lastGoodMaxAgeMs: 30000,
      redisTimeoutMs: 50,
      redisLockMs: 300,
    });
    expect(c.market.redisUrl).toBeUndefined();
    expect(c.slippage).toEqual({
      model: { name: 'fixed', params: { bps: 100 } },
      defaultToleranceBps: 300,
      landingDelay: { enabled: false },
    });
    expect(c.fees).toEqual({ signatureLamports: 5000, rentLamports: 2039280, chargeRent: true });
    expect(c.portfolios).toEqual({ startingBalances: { SOL: '100', USDC: '10000' }, byId: {}, max: 10000 });
    expect(c.mev).toEqual({ regime: 'current', params: {} });
    expect(c.warnings).toEqual({ slowExecutionMs: 50, nearToleranceRatio: 0.8 });
    expect(c.server.maxInFlight).toBe(2048);
    expect([c.server.maxStreams, c.server.maxStreamsPerKey, c.server.streamQueueTrades]).toEqual([256, 64, 128]);
    expect(c.server.maxEventLoopDelayMs).toBe(0);
    expect(c.questdb.conf).toBeUndefined();
    expect(c).toEqual(defaultConfig());
  });

  it('ignore process.env unless an env is passed explicitly', () => {
    expect(loadConfig({}).grpc.port).toBe(50051);
  });
});

describe('precedence: defaults < file < env < flags', () => {
  const yaml = file('prec.yaml', 'grpc:\n  port: 6000\n  host: 0.0.0.0\nmetrics:\n  port: 7000\ndataDir: /var/pte\nseed: 7\n');

  it('file overrides defaults and keeps the defaults it does not mention', () => {
    const c = loadConfig({ file: yaml });
    expect(c.grpc).toEqual({ host: '0.0.0.0', port: 6000, maxMessageBytes: 1024 * 1024 });
    expect(c.metrics.port).toBe(7000);
    expect(c.dataDir).toBe('/var/pte');
    expect(c.seed).toBe(7n);
    expect(c.logLevel).toBe('info');
  });

  it('env overrides the file', () => {
    const c = loadConfig({ file: yaml, env: { PTE_GRPC_PORT: '6001', PTE_SEED: '9', PTE_LOG_LEVEL: 'debug' } });
    expect(c.grpc.port).toBe(6001);
    expect(c.grpc.host).toBe('0.0.0.0');
    expect(c.metrics.port).toBe(7000);
    expect(c.seed).toBe(9n);
    expect(c.logLevel).toBe('debug');
  });

  it('flags override env and file', () => {
    const c = loadConfig({
      file: yaml,
      env: { PTE_GRPC_PORT: '6001', PTE_DATA_DIR: '/env/dir' },
      flags: { grpc: { port: 6002 }, seed: '11' },
    });
    expect(c.grpc.port).toBe(6002);
    expect(c.grpc.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe('/env/dir');
    expect(c.seed).toBe(11n);
  });

  it('maps every documented environment variable', () => {
    const c = loadConfig({
      env: {
        PTE_GRPC_PORT: '1',
        PTE_METRICS_PORT: '2',
        PTE_DATA_DIR: 'd',
        PTE_LOG_LEVEL: 'warn',
        PTE_SEED: '3',
        PTE_MARKET: 'jupiter',
        PTE_JUPITER_URLS: 'https://a.example, https://b.example,',
        PTE_REDIS_URL: 'redis://localhost:6379',
        PTE_PRICE_TTL_MS: '500',
        PTE_MAX_IN_FLIGHT: '500',
        PTE_MAX_EVENT_LOOP_DELAY_MS: '40',
        QDB_CLIENT_CONF: 'http::addr=localhost:9000;',
        JUPITER_API_KEY: 'secret-key',
      },
    });
    expect(c.grpc.port).toBe(1);
    expect(c.metrics.port).toBe(2);
    expect(c.dataDir).toBe('d');
    expect(c.logLevel).toBe('warn');
    expect(c.seed).toBe(3n);
    expect(c.market.kind).toBe('jupiter');
    expect(c.market.jupiterUrls).toEqual(['https://a.example', 'https://b.example']);
    expect(c.market.redisUrl).toBe('redis://localhost:6379');
    expect(c.market.priceTtlMs).toBe(500);
    expect(c.server.maxInFlight).toBe(500);
    expect(c.server.maxEventLoopDelayMs).toBe(40);
    expect(c.questdb.conf).toBe('http::addr=localhost:9000;');
    expect(JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain('secret-key');
  });

  it('treats an empty environment variable as unset', () => {
    expect(loadConfig({ env: { PTE_GRPC_PORT: '' } }).grpc.port).toBe(50051);
  });

  it('replaces a slippage model as a whole instead of mixing params across layers', () => {
    const f = file('model.yaml', 'slippage:\n  model:\n    name: fixed\n    params: { bps: 20 }\n');
    const c = loadConfig({ file: f, flags: { slippage: { model: { name: 'cpmm' } } } });
    expect(c.slippage.model).toEqual({ name: 'cpmm', params: {} });
  });
});

describe('config files', () => {
  it('reads YAML (.yaml and .yml) and JSON with the same meaning', () => {
    const body = {
      grpc: { port: 5100 },
      market: { kind: 'jupiter', jupiterUrls: ['https://x.example'] },
      portfolios: { startingBalances: { SOL: '5', USDC: '250.5' }, byId: { alice: { startingBalances: { SOL: '1' } } } },
      mev: { regime: 'peak', params: { baseExposure: 0.02, regimeMultiplier: { peak: 5 } } },
    };
    const fromYaml = loadConfig({ file: file('a.yaml', YAML.stringify(body)) });
    const fromYml = loadConfig({ file: file('a.yml', YAML.stringify(body)) });
    const fromJson = loadConfig({ file: file('a.json', JSON.stringify(body)) });
    expect(fromYaml).toEqual(fromJson);
    expect(fromYml).toEqual(fromJson);
    expect(fromJson.portfolios.byId.alice?.startingBalances).toEqual({ SOL: '1' });
    expect(fromJson.mev.params).toEqual({ baseExposure: 0.02, regimeMultiplier: { peak: 5 } });
  });

  it('accepts an empty file and empty sections as all defaults', () => {
    expect(loadConfig({ file: file('empty.yaml', '') })).toEqual(defaultConfig());
    expect(loadConfig({ file: file('sections.yaml', 'grpc:\nquestdb:\n') })).toEqual(defaultConfig());
  });

  it('accepts YAML numbers as balances when they are plain decimals', () => {
    const c = loadConfig({ file: file('bal.yaml', 'portfolios:\n  startingBalances:\n    SOL: 2.5\n    USDC: 100\n') });
    expect(c.portfolios.startingBalances).toEqual({ SOL: '2.5', USDC: '100' });
  });

  it('reports a missing file, a bad extension and a syntax error, naming the file', () => {
    expect(configError(() => loadConfig({ file: join(dir, 'nope.yaml') })).message).toMatch(/config file: no such file \(from .*nope\.yaml\)/);
    expect(configError(() => loadConfig({ file: file('x.toml', '') })).message).toContain('unsupported extension ".toml"');
    expect(configError(() => loadConfig({ file: file('bad.json', '{"grpc": ') })).message).toContain('not valid JSON');
    expect(configError(() => loadConfig({ file: file('bad.yaml', 'grpc: [1,\n') })).message).toContain('not valid YAML');
    expect(configError(() => loadConfig({ file: file('list.yaml', '- 1\n') })).message).toContain('mapping of settings');
  });
});

describe('validation errors name the path and the source', () => {
  it('rejects an unknown key and suggests the intended one', () => {
    const f = file('typo.yaml', 'grpc:\n  prot: 5000\n');
    const e = configError(() => loadConfig({ file: f }));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]?.path).toBe('grpc.prot');
    expect(e.message).toContain(`grpc.prot: unknown setting (did you mean "port"?)`);
    expect(e.message).toContain(`(from ${f})`);
  });

  it('rejects an unknown top-level section', () => {
    const e = configError(() => loadConfig({ flags: { grcp: { port: 1 } } as never }));
    expect(e.message).toContain('grcp: unknown setting (did you mean "grpc"?)');
  });

  it('lists every problem at once, each with its own source', () => {
    const f = file('many.yaml', 'logLevel: loud\nmarket:\n  kind: live\n');
    const e = configError(() =>
      loadConfig({ file: f, env: { PTE_GRPC_PORT: 'abc', PTE_METRICS_PORT: '70000' }, flags: { dataDir: '' } }),
    );
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('invalid configuration:');
    expect(e.message).toContain('grpc.port: must be a whole number between 0 and 65535, got "abc" (from env PTE_GRPC_PORT)');
    expect(e.message).toContain('metrics.port: must be between 0 and 65535 (from env PTE_METRICS_PORT)');
    expect(e.message).toMatch(/logLevel: must be one of "fatal", .*; got "loud" \(from .*many\.yaml\)/);
    expect(e.message).toMatch(/market\.kind: must be one of "sim", "jupiter"; got "live" \(from .*many\.yaml\)/);
    expect(e.message).toContain('dataDir: must not be empty (from flag --data-dir)');
    expect(e.issues).toHaveLength(5);
  });

  it('names the flag for a bad flag value', () => {
    const e = configError(() => loadConfig({ flags: { market: { jupiterUrls: ['https://ok.example', 'ftp://x'] } } }));
    expect(e.message).toContain('market.jupiterUrls[1]: must be an http:// or https:// URL (from flag --jupiter-url)');
  });

  it('checks starting balances: known token, plain decimal, token decimals, portfolio id', () => {
    const f = file(
      'bal-bad.yaml',
      [
        'portfolios:',
        '  startingBalances:',
        '    SOLL: "1"',
        '    USDC: "1.0000001"',
        '    SOL: "1e3"',
        '  byId:',
        '    "bad id":',
        '      startingBalances: { SOL: "1" }',
        '',
      ].join('\n'),
    );
    const e = configError(() => loadConfig({ file: f }));
    expect(e.message).toContain('portfolios.startingBalances.SOLL: unknown token "SOLL"');
    expect(e.message).toContain('portfolios.startingBalances.USDC: 1.0000001 has 7 decimals; USDC has 6');
    expect(e.message).toContain('portfolios.startingBalances.SOL: "1e3" is not a plain non-negative decimal');
    expect(e.message).toContain('portfolios.byId["bad id"]: invalid key "bad id"');
  });

  it('checks ranges: tolerance below 5000 bps, near-tolerance ratio in (0, 1]', () => {
    const e = configError(() => loadConfig({ flags: { slippage: { defaultToleranceBps: 5000 }, warnings: { nearToleranceRatio: 0 } } }));
    expect(e.message).toContain('slippage.defaultToleranceBps: must be between 0 and 4999');
    expect(e.message).toContain('warnings.nearToleranceRatio: must be above 0 and at most 1');
  });

  it('ConfigError is an Error with structured issues', () => {
    const e = configError(() => loadConfig({ env: { PTE_MARKET: 'x' } }));
    expect(e).toBeInstanceOf(Error);
    expect(e.issues[0]).toEqual({ path: 'market.kind', problem: 'must be one of "sim", "jupiter"; got "x"', source: 'env PTE_MARKET' });
  });
});

describe('seed', () => {
  it('keeps a full uint64 exact from YAML, JSON strings, env and flags', () => {
    expect(loadConfig({ file: file('seed.yaml', 'seed: 18446744073709551615\n') }).seed).toBe(UINT64_MAX);
    expect(loadConfig({ file: file('seed.json', '{"seed": "18446744073709551615"}') }).seed).toBe(UINT64_MAX);
    expect(loadConfig({ env: { PTE_SEED: '12345678901234567890' } }).seed).toBe(12345678901234567890n);
    expect(loadConfig({ flags: { seed: 9007199254740993n } }).seed).toBe(9007199254740993n);
    expect(loadConfig({ flags: { seed: 42 } }).seed).toBe(42n);
    expect(loadConfig({ flags: { seed: '0' } }).seed).toBe(0n);
  });

  it('refuses a JSON number that lost digits, instead of silently using a rounded seed', () => {
    const e = configError(() => loadConfig({ file: file('seed-big.json', '{"seed": 18446744073709551615}') }));
    expect(e.message).toMatch(/seed: .* beyond 2\^53 .* write it as a string/);
  });

  it('refuses negatives, fractions, text and values above uint64', () => {
    for (const seed of ['-1', '1.5', 'abc', '18446744073709551616', ' ']) {
      const e = configError(() => loadConfig({ env: { PTE_SEED: seed === ' ' ? 'x y' : seed } }));
      expect(e.issues[0]?.path).toBe('seed');
      expect(e.issues[0]?.source).toBe('env PTE_SEED');
    }
    expect(configError(() => loadConfig({ flags: { seed: -1 } })).message).toContain('seed: must be between 0 and 18446744073709551615');
    expect(configError(() => loadConfig({ flags: { seed: 1.5 } })).message).toContain('seed: must be a whole number');
  });
});

describe('describeConfig', () => {
  it('prints a YAML config that loads back to the same configuration', () => {
    const c = loadConfig({ flags: { seed: UINT64_MAX, grpc: { port: 6000 } } });
    const text = describeConfig(c);
    expect(text).toContain('port: 6000');
    expect(text).toContain('seed: 18446744073709551615');
    const back = loadConfig({ file: file('roundtrip.yaml', text) });
    expect(back).toEqual(c);
  });

  it('redacts secrets: Redis password, credential query params, QuestDB password and token', () => {
    const c = loadConfig({
      env: {
        PTE_REDIS_URL: 'redis://user:hunter2@redis.example:6379/0',
        PTE_JUPITER_URLS: 'https://api.jup.ag?api-key=sk-live-123&x=1',
        QDB_CLIENT_CONF: 'https::addr=db:9000;username=admin;password=hunter3;;pw9;token=tok-abc;',
      },
    });
    const text = describeConfig(c, { env: { JUPITER_API_KEY: 'jup-secret' } });
    for (const secret of ['hunter2', 'sk-live-123', 'hunter3', 'pw9', 'tok-abc', 'jup-secret']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('redis://user:<redacted>@redis.example:6379/0');
    expect(text).toContain('username=admin');
    expect(text).toContain('# JUPITER_API_KEY: set (not shown)');
    expect(describeConfig(c, { env: {} })).toContain('# JUPITER_API_KEY: not set');
  });

  it('annotates where each overridden value came from', () => {
    const f = file('origin.yaml', 'metrics:\n  port: 9999\n');
    const { config, origins } = resolveConfig({ file: f, env: { PTE_GRPC_PORT: '6001' }, flags: { logLevel: 'debug' } });
    const text = describeConfig(config, { origins });
    expect(text).toMatch(/port: 6001 # from env PTE_GRPC_PORT/);
    expect(text).toMatch(/port: 9999 # from .*origin\.yaml/);
    expect(text).toMatch(/logLevel: debug # from flag --log-level/);
  });
});
