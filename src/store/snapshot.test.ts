import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PortfolioState } from '../domain/ledger.js';
import { createTokenRegistry } from '../domain/tokens.js';
import type { PortfolioImage } from './image.js';
import { MARK_ENTRY_BYTES, MarkList } from './mark-index.js';
import { readSnapshot, writeSnapshot } from './snapshot.js';
import { ENTRY_BYTES, TradeList } from './trade-index.js';

const dir = mkdtempSync(join(tmpdir(), 'pte-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tokens = createTokenRegistry();
const stateOf = (portfolioId: string, sequence: number): PortfolioState => ({
  portfolioId,
  positions: new Map([[tokens.sol.mint, { amount: 10n ** 12n, costNanoUsd: 123_456_789n }]]),
  accounts: new Set([tokens.sol.mint]),
  realizedPnlNanoUsd: -5n,
  feesPaidLamports: 5_000n,
  tradeCount: sequence - 1,
  sequence,
  updatedAtMs: 1_700_000_000_000,
});

describe('snapshots', () => {
  it('write each index entry in the documented layout, every line canonical JSON, and read back the same lists', async () => {
    // More entries than one line holds (4,096), so a portfolio's index spans several lines.
    const trades = new TradeList();
    const marks = new MarkList();
    const n = 4_096 + 1_000;
    const ids = Array.from({ length: n }, () => randomUUID());
    for (let i = 0; i < n; i++) {
      trades.add(ids[i] ?? '', { sequence: 2 * i + 2, segment: 1 + Math.floor(i / 1_000) * 1_000, offset: i * 2_711, length: 2_000 + (i % 700) });
      marks.add({ sequence: 2 * i + 3, atMs: 1_700_000_000_000 + i * 1_000, value: 1_234.5 + i / 7, segment: 1 + Math.floor(i / 1_000) * 1_000, offset: i * 2_711 + 2_300, length: 400 });
    }
    const portfolios = new Map<string, PortfolioImage>([
      ['p', { state: stateOf('p', 2 * n + 1), trades: { list: trades, count: n }, marks: { list: marks, count: n } }],
      ['q', { state: stateOf('q', 1), trades: undefined, marks: undefined }],
    ]);
    const { path } = await writeSnapshot(dir, { seq: 3 * n, portfolios }, 1_700_000_000_123);

    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    for (const line of lines) expect(JSON.stringify(JSON.parse(line))).toBe(line);
    // The entries, packed as the format says (little-endian, ENTRY_BYTES / MARK_ENTRY_BYTES each).
    const packedTrades = Buffer.concat(
      lines.flatMap((l) => {
        const v = JSON.parse(l) as { index?: string };
        return v.index === undefined ? [] : [Buffer.from(v.index, 'base64')];
      }),
    );
    expect(packedTrades.length).toBe(n * ENTRY_BYTES);
    for (const i of [0, 1, 4_095, 4_096, n - 1]) {
      const ref = trades.at(i);
      const o = i * ENTRY_BYTES;
      expect([packedTrades.readDoubleLE(o), packedTrades.readDoubleLE(o + 8), packedTrades.readUInt32LE(o + 16), packedTrades.readUInt32LE(o + 20)]).toEqual([ref.sequence, ref.segment, ref.offset, ref.length]);
    }
    const packedMarks = Buffer.concat(
      lines.flatMap((l) => {
        const v = JSON.parse(l) as { marks?: unknown };
        return typeof v.marks === 'string' ? [Buffer.from(v.marks, 'base64')] : [];
      }),
    );
    expect(packedMarks.length).toBe(n * MARK_ENTRY_BYTES);
    for (const i of [0, 4_096, n - 1]) {
      const ref = marks.at(i);
      const o = i * MARK_ENTRY_BYTES;
      expect([0, 8, 16, 24].map((k) => packedMarks.readDoubleLE(o + k))).toEqual([ref.sequence, ref.atMs, ref.value, ref.segment]);
      expect([packedMarks.readUInt32LE(o + 32), packedMarks.readUInt32LE(o + 36)]).toEqual([ref.offset, ref.length]);
    }

    const back = await readSnapshot(path);
    expect(back.seq).toBe(3 * n);
    const p = back.portfolios.get('p');
    expect(p?.state).toEqual(stateOf('p', 2 * n + 1));
    expect(p?.trades?.count).toBe(n);
    expect(p?.marks?.count).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(p?.trades?.list.at(i)).toEqual(trades.at(i));
      expect(p?.trades?.list.find(ids[i] ?? '')).toBe(i);
      expect(p?.marks?.list.at(i)).toEqual(marks.at(i));
    }
    expect(back.portfolios.get('q')).toEqual({ state: stateOf('q', 1), trades: undefined, marks: undefined });
  });
});
