/** `pte replay` and `pte export` on real journal files, driven through run() like the other commands. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExport, parseExportArgs, CSV_COLUMNS } from '../src/cli/export.js';
import type { CliIo } from '../src/cli/io.js';
import { run } from '../src/cli/run.js';
import type { LedgerEvent } from '../src/domain/ledger.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { openFileJournal } from '../src/store/file-journal.js';
import { segmentName } from '../src/store/segment.js';
import { mixedConfig, mixedEvents } from './support/store.js';

let dir = '';
let events: LedgerEvent[] = [];
let configFile = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pte-cli-'));
  events = await mixedEvents(40);
  const { journal } = await openFileJournal({ dir, tokens: createTokenRegistry() });
  for (const e of events) await journal.append(e);
  await journal.close();
  configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ slippage: { model: mixedConfig.slippage.model, landingDelay: { enabled: true } }, mev: { regime: 'peak' } }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: {},
      connect: () => {
        throw new Error('replay and export need no server');
      },
    },
  };
}

const trades = (): Extract<LedgerEvent, { kind: 'trade' }>['trade'][] => events.flatMap((e) => (e.kind === 'trade' ? [e.trade] : []));

describe('pte replay', () => {
  it('prints every portfolio with its state hash, and verifies every trade', async () => {
    const c = capture();
    expect(await run(['replay', '--data-dir', dir, '--config', configFile, '--verify'], c.io)).toBe(0);
    const text = c.out.join('\n');
    expect(text).toMatch(new RegExp(`${events.length} records in 1 segment`));
    expect(text).toMatch(/p0\s+\d+\s+\d+\s+[0-9a-f]{64}/);
    expect(text).toMatch(/state hash \(all portfolios\): [0-9a-f]{64}/);
    expect(text).toMatch(new RegExp(`verify: ${trades().length} trades re-executed from their recorded inputs; every one reproduced exactly`));
  });

  it('exits 1 naming the place when the journal is corrupt in the middle', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'pte-cli-bad-'));
    try {
      const lines = readFileSync(join(dir, segmentName(1)), 'utf8').split('\n');
      lines[3] = (lines[3] ?? '').replace('"atMs":', '"atMs": ');
      writeFileSync(join(bad, segmentName(1)), lines.join('\n'));
      const c = capture();
      expect(await run(['replay', '--data-dir', bad], c.io)).toBe(1);
      expect(c.err.join('\n')).toMatch(/corrupt in the middle: segment-0000000000000001\.log at byte \d+ \(after sequence 3\): checksum mismatch/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('warns that a damaged whole last record may have been acknowledged, unlike an incomplete one', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'pte-cli-tail-'));
    try {
      const bytes = readFileSync(join(dir, segmentName(1)));
      const last = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
      bytes[last + 30] = (bytes[last + 30] ?? 0) ^ 0x01;
      writeFileSync(join(bad, segmentName(1)), bytes);
      const c = capture();
      expect(await run(['replay', '--data-dir', bad], c.io)).toBe(0);
      expect(c.err.join('\n')).toMatch(new RegExp(`ends with a damaged record at byte ${last} \\(sequence ${events.length}: checksum mismatch\\); it was written whole and may have been acknowledged`));
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('refuses a wrong command line with the usage', async () => {
    const c = capture();
    expect(await run(['export', '--format', 'xml'], c.io)).toBe(64);
    expect(c.err.join('\n')).toMatch(/--format: "xml" must be csv or jsonl[\s\S]*usage: pte export/);
  });
});

describe('pte export', () => {
  const noProgress = { stdout: undefined, progress: { isTTY: false, write: () => undefined } };

  it('writes every trade as CSV in journal order, with a header', async () => {
    const c = capture();
    expect(await runExport(parseExportArgs(['--data-dir', dir]), c.io, noProgress)).toBe(0);
    expect(c.out[0]).toBe(CSV_COLUMNS.join(','));
    const rows = c.out.slice(1);
    expect(rows).toHaveLength(trades().length); // trades from before p1's reset included
    expect(rows.map((r) => r.split(',')[1])).toEqual(trades().map((t) => t.tradeId));
  });

  it('writes JSON lines with the recorded inputs to a file, with progress when asked', async () => {
    const c = capture();
    const progress: string[] = [];
    const out = join(dir, 'trades.jsonl');
    const code = await runExport(parseExportArgs(['--data-dir', dir, '--format', 'jsonl', '--out', out, '--portfolio', 'p0', '--progress']), c.io, {
      stdout: undefined,
      progress: { isTTY: false, write: (t) => progress.push(t) },
    });
    expect(code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tradeId: string; inputs: { fingerprint: string }; journalSeq: number });
    const p0 = trades().filter((t) => t.portfolioId === 'p0');
    expect(lines.map((l) => l.tradeId)).toEqual(p0.map((t) => t.tradeId));
    expect(lines[0]?.inputs.fingerprint).toBe(p0[0]?.inputs.fingerprint);
    expect(progress.join('')).toMatch(/export: 100% \(\d+ trades\)/);
    expect(c.err.join('\n')).toMatch(new RegExp(`${p0.length} trades written to`));
  });
});
