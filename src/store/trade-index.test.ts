import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENTRY_BYTES, TradeIndex, TradeList, type TradeRef } from './trade-index.js';

const refOf = (i: number, sequence: number): TradeRef => ({ sequence, segment: 1 + (i % 3) * 1_000, offset: i * 517, length: 400 + (i % 97) });

describe('trade index', () => {
  it('finds every id added (any letter case, with or without hyphens), never one not added, and pages like a sorted array', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uuid(), { minLength: 0, maxLength: 300, selector: (u) => u.toLowerCase() }), fc.array(fc.uuid(), { maxLength: 20 }), fc.integer({ min: 1, max: 40 }), (ids, others, limit) => {
        const list = new TradeList();
        const seqs = ids.map((_id, i) => 3 * i + 1); // increasing, with gaps (other events between trades)
        ids.forEach((id, i) => list.add(id, refOf(i, seqs[i] ?? 0)));
        expect(list.count).toBe(ids.length);
        ids.forEach((id, i) => {
          expect(list.find(id)).toBe(i);
          expect(list.find(id.toUpperCase())).toBe(i);
          expect(list.find(id.replaceAll('-', ''))).toBe(i);
          expect(list.at(i)).toEqual(refOf(i, seqs[i] ?? 0));
        });
        const added = new Set(ids.map((u) => u.toLowerCase()));
        for (const o of others) if (!added.has(o.toLowerCase())) expect(list.find(o)).toBe(-1);
        expect(list.find('not-a-uuid')).toBe(-1);
        // Paging from every token reproduces the sorted model.
        for (const before of [Number.MAX_SAFE_INTEGER, ...seqs, 0, 2]) {
          const below = seqs.map((s, i) => ({ s, i })).filter((x) => x.s < before);
          const want = below.slice(-limit).reverse().map((x) => refOf(x.i, x.s));
          const page = list.page(before, limit);
          expect(page.refs).toEqual(want);
          expect(page.more).toBe(below.length > limit);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('takes exactly the strings of the UUID pattern: 32 hex digits in either case, each of the four hyphens optional', () => {
    const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
    const char = fc.constantFrom(...'0123456789abcdefABCDEF-g -Z'.split(''), '\u00e9', '\u0663', '\u0130');
    // UUIDs with characters dropped, inserted or replaced, so that many are near misses.
    const mutated = fc.tuple(fc.uuid(), fc.array(fc.tuple(fc.nat(37), fc.constantFrom('drop', 'insert', 'replace'), char), { maxLength: 3 })).map(([u, edits]) => {
      let s = u;
      for (const [at, op, c] of edits) {
        const i = at % (s.length + 1);
        s = op === 'drop' ? s.slice(0, i) + s.slice(i + 1) : op === 'insert' ? s.slice(0, i) + c + s.slice(i) : s.slice(0, i) + c + s.slice(i + 1);
      }
      return s;
    });
    const any = fc.string({ unit: char, minLength: 28, maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(mutated, any, fc.uuid().map((u) => u.replaceAll('-', ''))), (s) => {
        const list = new TradeList();
        if (UUID.test(s)) {
          list.add(s, refOf(0, 1));
          expect(list.find(s)).toBe(0);
          expect(list.find(s.replaceAll('-', '').toLowerCase())).toBe(0);
        } else {
          expect(() => list.add(s, refOf(0, 1))).toThrow(/not a UUID/);
          expect(list.find(s)).toBe(-1);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('round-trips through its snapshot encoding, and refuses a damaged one', () => {
    const list = new TradeList();
    const ids = Array.from({ length: 1_000 }, () => crypto.randomUUID());
    ids.forEach((id, i) => list.add(id, refOf(i, i + 1)));
    const copy = new TradeList();
    copy.decodeAppend(list.encode(0, 600));
    copy.decodeAppend(list.encode(600, 1_000));
    expect(copy.count).toBe(1_000);
    ids.forEach((id, i) => {
      expect(copy.find(id)).toBe(i);
      expect(copy.at(i)).toEqual(list.at(i));
    });
    expect(() => new TradeList().decodeAppend(list.encode(0, 10).subarray(0, ENTRY_BYTES * 2 + 3))).toThrow(/whole number of entries/);
    const outOfOrder = Buffer.concat([list.encode(5, 6), list.encode(2, 3)]);
    expect(() => new TradeList().decodeAppend(outOfOrder)).toThrow(/entry 1 is not valid/);
  });

  it('keeps an id pointing at its first trade, and a reset list captured earlier unchanged', () => {
    const index = new TradeIndex();
    const id = crypto.randomUUID();
    index.add('p', id, refOf(0, 1));
    index.add('p', id.toUpperCase(), refOf(1, 2));
    const captured = index.list('p');
    expect(captured?.find(id)).toBe(0);
    index.reset('p');
    expect(index.list('p')).toBeUndefined();
    index.add('p', crypto.randomUUID(), refOf(2, 5));
    expect(captured?.count).toBe(2);
    expect(index.stats().trades).toBe(1);
    expect(() => index.add('p', 'nope', refOf(3, 6))).toThrow(/not a UUID/);
  });
});
