import { describe, expect, it } from 'vitest';
import { checkLine, encodeRecord, encodeRecordBytes } from './segment.js';

describe('encodeRecordBytes', () => {
  it('writes the very bytes of encodeRecord, multi-byte characters included', () => {
    for (const [seq, json] of [
      [1, '{"kind":"trade"}'],
      [1234567, '{"note":"prix: 1 500 €, 価格, 🚀","n":[1,2,3]}'],
      [42, '{}'],
    ] as const) {
      const bytes = encodeRecordBytes(seq, json);
      expect(bytes.equals(Buffer.from(encodeRecord(seq, json), 'utf8'))).toBe(true);
      const check = checkLine(bytes, 0, bytes.length - 1);
      expect(check).toMatchObject({ ok: true, seq });
    }
  });
});
