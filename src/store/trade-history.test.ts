import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenRegistry } from '../domain/tokens.js';
import type { Trade } from '../domain/trade.js';
import { createTradeReader } from './trade-history.js';
import type { TradeRef } from './trade-index.js';

const dir = mkdtempSync(join(tmpdir(), 'pte-trade-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refOf = (i: number): TradeRef => ({ sequence: i + 1, segment: 1 + (i % 2), offset: i * 100, length: 90 });
/** Stands in for a decoded trade: the cache keeps objects, it never looks inside them. */
const tradeOf = (i: number): Trade => ({ tradeId: `t${i}` }) as unknown as Trade;

describe('the decoded-trade cache', () => {
  it('keeps the most recently remembered or read trades, least recently used out (against a model)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(fc.oneof(fc.constant(-1), fc.nat(30)), { minLength: 1, maxLength: 120 }), async (size, ops) => {
        // The segment files do not exist: a trade not in the cache fails to load, one in it loads without a read.
        const reader = createTradeReader(dir, createTokenRegistry(), size);
        const model: number[] = []; // least recently used first
        let next = 0;
        for (const op of ops) {
          if (op === -1 || model.length === 0) {
            const i = next++; // a trade just made durable
            reader.remember(refOf(i), tradeOf(i));
            model.push(i);
            if (model.length > size) model.shift();
          } else {
            const i = model[op % model.length] ?? 0; // a cached trade read again
            expect(await reader.load([refOf(i)])).toEqual([tradeOf(i)]);
            model.splice(model.indexOf(i), 1);
            model.push(i);
          }
        }
        for (let i = 0; i < next; i++) {
          if (model.includes(i)) expect(await reader.load([refOf(i)])).toEqual([tradeOf(i)]);
          else await expect(reader.load([refOf(i)])).rejects.toThrow(/cannot be read/);
        }
        expect(reader.diskReads).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
