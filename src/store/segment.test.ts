import { describe, expect, it } from 'vitest';
import { checkLine, encodeRecord, encodeRecordBytes, recordLength, writeRecord } from './segment.js';

const samples = [
  [1, '{"kind":"trade"}'],
  [1234567, '{"note":"prix: 1 500 €, 価格, 🚀","n":[1,2,3]}'],
  [42, '{}'],
  [9, '{"a":"\\u0000\\n\\"","b":"\\ud800"}'],
  [10, '{"x":1}'],
  [Number.MAX_SAFE_INTEGER, '{"y":"é"}'],
] as const;

describe('encodeRecordBytes', () => {
  it('writes the very bytes of encodeRecord, multi-byte characters included', () => {
    for (const [seq, json] of samples) {
      const bytes = encodeRecordBytes(seq, json);
      expect(bytes.equals(Buffer.from(encodeRecord(seq, json), 'utf8'))).toBe(true);
      const check = checkLine(bytes, 0, bytes.length - 1);
      expect(check).toMatchObject({ ok: true, seq });
    }
  });

  it('lays records out one after another in a shared buffer exactly as their lines joined (a group commit)', () => {
    const lengths = samples.map(([seq, json]) => recordLength(seq, json));
    samples.forEach(([seq, json], i) => expect(lengths[i]).toBe(Buffer.byteLength(encodeRecord(seq, json), 'utf8')));
    const buf = Buffer.alloc(lengths.reduce((a, b) => a + b, 0), 0xff);
    let at = 0;
    for (const [seq, json] of samples) at += writeRecord(buf, at, seq, json);
    expect(at).toBe(buf.length);
    expect(buf.toString('utf8')).toBe(samples.map(([seq, json]) => encodeRecord(seq, json)).join(''));
  });
});
