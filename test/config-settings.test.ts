/**
 * One configuration pass: the settings a module owns (MEV parameters, the landing delay, slippage
 * parameters, the QuestDB conf) are checked with the rest before anything starts. Each problem is a
 * configuration error naming its path and the source of the value, and `pte serve` exits 78 with it
 * instead of printing its start-up line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../src/config/load.js';
import type { CliIo } from '../src/cli/io.js';
import { run } from '../src/cli/run.js';

const dir = mkdtempSync(join(tmpdir(), 'pte-settings-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function issuesOf(f: () => unknown): { path: string; problem: string; source: string }[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.issues];
    throw e;
  }
  throw new Error('expected a ConfigError');
}

async function serve(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env, connect: () => { throw new Error('serve needs no client'); } };
  const code = await run(['serve', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('settings owned by their modules are validated in the one configuration pass', () => {
  it('a bad MEV parameter names mev.params.<key> and the file', () => {
    const f = file('mev.yaml', 'mev:\n  params:\n    regimeMultiplier: { peak: -1 }\n');
    expect(issuesOf(() => resolveConfig({ file: f }))).toEqual([
      { path: 'mev.params.regimeMultiplier.peak', problem: expect.stringContaining('must be a number') as string, source: f },
    ]);
  });

  it('an unknown MEV parameter names its path and the flag that set it', () => {
    const [issue] = issuesOf(() => resolveConfig({ flags: { mev: { params: { baseExposur: 0.1 } } } }));
    expect(issue).toMatchObject({ path: 'mev.params.baseExposur', source: 'flags' });
    expect(issue?.problem).toContain('unknown MEV parameter');
  });

  it('a bad landing parameter names slippage.landingDelay.<key>', () => {
    const f = file('landing.yaml', 'slippage:\n  landingDelay: { enabled: true, minSlots: -3 }\n');
    const [issue] = issuesOf(() => resolveConfig({ file: f }));
    expect(issue).toMatchObject({ path: 'slippage.landingDelay.minSlots', source: f });
  });

  it('a slippage parameter given as a string where a number belongs names slippage.model.params.<key>', () => {
    const f = file('string-bps.yaml', 'slippage:\n  model: { name: fixed, params: { bps: "75" } }\n');
    expect(issuesOf(() => resolveConfig({ file: f }))).toEqual([{ path: 'slippage.model.params.bps', problem: 'must be a number, got a string', source: f }]);
  });

  it('a malformed QuestDB conf names questdb.conf and its variable, never quoting the conf', () => {
    const [issue] = issuesOf(() => resolveConfig({ env: { QDB_CLIENT_CONF: 'http::password=hunter2;' } }));
    expect(issue).toMatchObject({ path: 'questdb.conf', source: 'env QDB_CLIENT_CONF' });
    expect(JSON.stringify(issue)).not.toContain('hunter2');
  });

  it('credentials in a QuestDB conf from a file are refused, naming the file', () => {
    const f = file('qdb.yaml', "questdb:\n  conf: 'http::addr=db:9000;password=hunter2;'\n");
    const [issue] = issuesOf(() => resolveConfig({ file: f }));
    expect(issue).toMatchObject({ path: 'questdb.conf', source: f });
    expect(issue?.problem).toContain('QDB_CLIENT_CONF');
  });

  it('reports every module-owned problem at once', () => {
    const f = file('all.yaml', 'mev:\n  params: { successRate: 2 }\nslippage:\n  model: { name: fixed, params: { bps: "75" } }\n');
    const paths = issuesOf(() => resolveConfig({ file: f, env: { QDB_CLIENT_CONF: 'nonsense' } })).map((i) => i.path);
    expect(paths).toEqual(['mev.params.successRate', 'slippage.model.params.bps', 'questdb.conf']);
  });

  it('pte serve exits 78 naming the path and source, before its start-up line', async () => {
    const cases: readonly { args: string[]; env?: NodeJS.ProcessEnv; path: string }[] = [
      { args: ['--config', file('serve-mev.yaml', 'mev:\n  params: { successRate: 2 }\n')], path: 'mev.params.successRate' },
      { args: ['--config', file('serve-landing.yaml', 'slippage:\n  landingDelay: { enabled: true, minSlots: -3 }\n')], path: 'slippage.landingDelay.minSlots' },
      { args: ['--config', file('serve-bps.yaml', 'slippage:\n  model: { name: fixed, params: { bps: "75" } }\n')], path: 'slippage.model.params.bps' },
      { args: ['--questdb', 'http::nohost'], path: 'questdb.conf' },
    ];
    for (const c of cases) {
      const r = await serve([...c.args, '--grpc-port', '0', '--metrics-port', '0', '--http-port', '0', '--no-journal'], c.env);
      expect(r.code, c.path).toBe(78);
      expect(r.err).toContain(`${c.path}: `);
      expect(r.err).toMatch(/\(from (flag --questdb|\/.+\.yaml)\)/);
      expect(r.out + r.err).not.toContain('pte: serving');
    }
  });
});
