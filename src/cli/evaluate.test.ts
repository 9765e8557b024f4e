import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { configuredSlippage } from '../config/slippage.js';
import { UsageError } from './args.js';
import { parseEvaluateArgs, runEvaluate } from './evaluate.js';
import type { CliIo } from './io.js';

const FILE = new URL('../../reference/live-trades/pumpfun-trades-2025-09.csv', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'pte-evaluate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { io: CliIo; out: string[] } {
  const out: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: () => undefined,
    env: {},
    connect: () => {
      throw new Error('pte evaluate needs no executor');
    },
  };
  return { io, out };
}

describe('pte evaluate options', () => {
  it.each([
    [['--trades', 'f.csv', '--split', 'random'], /--split: expected time or per-token/],
    [['--trades', 'f.csv', '--emit-model', 'm.yaml'], /--emit-model needs --fit/],
    [['--trades', 'f.csv', '--fit', '--emit-model', 'm.txt'], /\.yaml, \.yml or \.json/],
    [['--trades', 'f.csv', '--fit', '--k', '0', '--emit-model', 'm.yaml'], /k >= 1/],
    [['--trades', 'f.csv', '--recent', '-1'], /--recent/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseEvaluateArgs(argv)).toThrow(UsageError);
    expect(() => parseEvaluateArgs(argv)).toThrow(message);
  });
});

describe('pte evaluate on the shipped file', () => {
  it('prints the landing-time column beside every k', async () => {
    const { io, out } = capture();
    expect(await runEvaluate(parseEvaluateArgs(['--trades', FILE, '--k', '0,2', '--models', 'fixed', '--quiet']), io)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/landing <=50\s+landing p90/);
    const baseline = text.split('\n').find((l) => l.startsWith('k=2') && l.includes('baseline'));
    // Send-time accuracy 63.9 %, landing-time 78.7 % on the whole file.
    expect(baseline).toMatch(/63\.9 %.*78\.7 %/);
    expect(text).toMatch(/k=2 {4}accuracy \(within 50 bps\): fixed [\d.]+ %; baseline 63\.9 %; priced at landing 78\.7 %/);
  });

  it('fits per token, scores the distribution and writes a model pte serve loads', async () => {
    const model = join(dir, 'model.yaml');
    const { io, out } = capture();
    const cmd = parseEvaluateArgs(['--trades', FILE, '--k', '1', '--models', 'fixed', '--fit', '--split', 'per-token', '--emit-model', model, '--quiet']);
    expect(await runEvaluate(cmd, io)).toBe(0);
    const text = out.join('\n');
    expect(text).toContain("fit (per-token split: each token's first half by time fits, its second half scores)");
    expect(text).toMatch(/horizon\s+n\s+50 % PI\s+80 % PI\s+90 % PI\s+CRPS\s+MAE point\s+CRPS vs MAE\s+fail@50 pred\/real/);
    expect(text).toMatch(/^k=1\s+1259\s/m);
    expect(text).toContain(`to ${model}`);
    const loaded = configuredSlippage(loadConfig({ file: model }));
    expect(loaded.defaultModel.name).toBe('empirical');
    const digest = loaded.defaultModel.params['sha256'];
    expect(typeof digest).toBe('string');
    expect(text).toContain(`sha256 ${typeof digest === 'string' ? digest : '?'}`);
  });
});
