import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../cli/io.js';
import { run } from '../cli/run.js';
import { ConfigError, loadConfig } from './load.js';
import { configuredSlippage } from './slippage.js';

const dir = mkdtempSync(join(tmpdir(), 'pte-slippage-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const levels = (f: (i: number) => number): string => JSON.stringify(Array.from({ length: 101 }, (_, i) => f(i)));
const modelYaml = (quantiles: string, extra = ''): string =>
  [
    'slippage:',
    '  model:',
    '    name: empirical',
    '    params:',
    '      version: 1',
    '      horizonSlots: 1',
    '      fittedOn: test',
    '      sizeBucketsBps: [10]',
    '      tables:',
    `        - { class: meme, side: buy, bucket: 0, n: 40, quantilesBps: ${quantiles} }`,
    extra,
  ].join('\n');

function issues(f: () => unknown): { path: string; problem: string; source: string }[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.issues];
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('slippage settings are checked at start', () => {
  it('loads an empirical model given inline or from a model file, and names it by digest', () => {
    const inline = file('inline.yaml', modelYaml(levels((i) => i - 50)));
    const fromFile = file('ref.yaml', `slippage:\n  model: { name: empirical, params: { file: ${JSON.stringify(inline)} } }\n`);
    const a = configuredSlippage(loadConfig({ file: inline }));
    const b = configuredSlippage(loadConfig({ file: fromFile }));
    expect(a.defaultModel.name).toBe('empirical');
    expect(b.defaultModel).toEqual(a.defaultModel);
    expect(a.registry.names).toContain('empirical');
    // Without an empirical model the registry does not offer one.
    expect(configuredSlippage(loadConfig({})).registry.names).not.toContain('empirical');
  });

  it('names the path inside the model file and the file for a bad table', () => {
    const bad = file('bad-model.yaml', modelYaml(levels((i) => (i === 30 ? -5 : i))));
    expect(issues(() => loadConfig({ file: bad }))).toEqual([
      { path: 'slippage.model.params.tables[0].quantilesBps[30]', problem: 'must not be below the previous quantile', source: bad },
    ]);
    const ref = file('ref-bad.yaml', `slippage:\n  model: { name: empirical, params: { file: ${JSON.stringify(bad)} } }\n`);
    expect(issues(() => loadConfig({ file: ref }))).toEqual([
      { path: 'slippage.model.params.tables[0].quantilesBps[30]', problem: 'must not be below the previous quantile', source: bad },
    ]);
  });

  it('names params.file and the config for a missing or unusable model file', () => {
    const missing = file('missing.yaml', 'slippage:\n  model: { name: empirical, params: { file: /nonexistent/model.yaml } }\n');
    const [i] = issues(() => loadConfig({ file: missing }));
    expect(i?.path).toBe('slippage.model.params.file');
    expect(i?.source).toBe(missing);
    expect(i?.problem).toMatch(/cannot load the model file "\/nonexistent\/model.yaml": no such file/);
    const notModel = file('not-model.yaml', 'slippage:\n  model: { name: fixed, params: { bps: 5 } }\n');
    const ref = file('ref-not-model.yaml', `slippage:\n  model: { name: empirical, params: { file: ${JSON.stringify(notModel)} } }\n`);
    expect(issues(() => loadConfig({ file: ref }))).toEqual([
      { path: 'slippage.model', problem: 'the model file must hold slippage.model with name empirical and the fitted tables as params', source: notModel },
    ]);
  });

  it('names the parameter of any model and of the landing delay', () => {
    const f = file('fixed.yaml', 'slippage:\n  model: { name: fixed, params: { bps: 99999 } }\n  landingDelay: { enabled: true, minSlots: 500 }\n');
    expect(issues(() => loadConfig({ file: f }))).toEqual([
      { path: 'slippage.model.params.bps', problem: 'must be between 0 and 4999', source: f },
      { path: 'slippage.landingDelay.minSlots', problem: 'must be between 0 and 150', source: f },
    ]);
  });

  it('makes pte serve exit 78 with the path on stderr', async () => {
    const bad = file('serve-bad.yaml', modelYaml(levels((i) => i), '      colour: red'));
    const err: string[] = [];
    const io: CliIo = {
      out: () => undefined,
      err: (t) => err.push(t),
      env: {},
      connect: () => {
        throw new Error('no client is needed');
      },
    };
    expect(await run(['serve', '--config', bad, '--print-config'], io)).toBe(78);
    expect(err.join('\n')).toContain(`slippage.model.params.colour: unknown parameter`);
    expect(err.join('\n')).toContain(`(from ${bad})`);
  });
});
