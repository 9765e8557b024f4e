/**
 * Reads a portfolio's marks back from the journal's segments through the mark index: the index picks
 * the marks of the range (thinned to the range's limit), then each chosen record is read at its
 * offset, checked (checksum, kind, portfolio, sequence) and decoded. Work per read is bounded by the
 * limit, whatever the length of the range; nothing read is kept.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { MarkJournal, MarkRecord } from '../executor/ports.js';
import { markFromJson } from './mark-codec.js';
import type { MarkIndex, MarkRef } from './mark-index.js';
import { checkLine, JournalCorruptError, segmentName } from './segment.js';

export function createMarkReader(dir: string, index: MarkIndex): Pick<MarkJournal, 'readMarks'> {
  async function readSegment(segment: number, refs: readonly MarkRef[], portfolioId: string): Promise<MarkRecord[]> {
    const name = segmentName(segment);
    const unreadable = (err: unknown): JournalCorruptError =>
      new JournalCorruptError(`journal segment ${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'read error'}): marks of portfolio ${portfolioId}`);
    const fh = await open(join(dir, name), 'r').catch((err: unknown) => {
      throw unreadable(err);
    });
    try {
      const out: MarkRecord[] = [];
      for (const ref of refs) {
        const buf = Buffer.alloc(ref.length);
        const { bytesRead } = await fh.read(buf, 0, ref.length, ref.offset).catch((err: unknown) => {
          throw unreadable(err);
        });
        const where = `${name} at byte ${ref.offset}`;
        if (bytesRead !== ref.length || buf[ref.length - 1] !== 0x0a) throw new JournalCorruptError(`journal record ${where}: short read`);
        const line = checkLine(buf, 0, ref.length - 1);
        if (!line.ok) throw new JournalCorruptError(`journal record ${where}: ${line.reason}`);
        const mark = markFromJson(line.event);
        if (mark.portfolioId !== portfolioId || mark.sequence !== ref.sequence) throw new JournalCorruptError(`journal record ${where} is not the mark the index names`);
        out.push(mark);
      }
      return out;
    } finally {
      await fh.close();
    }
  }

  return {
    async readMarks(portfolioId, range) {
      const list = index.list(portfolioId);
      if (!list) return { marks: [], inRange: 0 };
      const { positions, inRange } = list.select(range.fromMs, range.toMs, range.limit);
      const refs = positions.map((i) => list.at(i));
      // One open per segment; records come back in index order.
      const marks: MarkRecord[] = [];
      for (let i = 0; i < refs.length; ) {
        const segment = refs[i]?.segment ?? 0;
        let j = i;
        while (j < refs.length && refs[j]?.segment === segment) j++;
        marks.push(...(await readSegment(segment, refs.slice(i, j), portfolioId)));
        i = j;
      }
      return { marks, inRange };
    },
  };
}
