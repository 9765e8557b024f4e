/**
 * A journal that cannot serve every acknowledged trade is not served: start-up checks that every
 * segment file the trade index refers to is there and long enough, and refuses to start otherwise.
 * Read failures that reach a client name the segment file, never a path on the server.
 */
import { readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../src/app.js';
import { configSchema } from '../src/config/schema.js';
import type { LedgerEvent } from '../src/domain/ledger.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { silentLogger } from '../src/observability/logger.js';
import { JournalCorruptError, openFileJournal } from '../src/store/file-journal.js';
import { segmentName } from '../src/store/segment.js';
import { bookedAppend, mixedEvents } from './support/store.js';
import { rejection, startTestServer, trade } from './support.js';

const tokens = createTokenRegistry();
const dirs: string[] = [];
let events: LedgerEvent[] = [];

beforeAll(async () => {
  events = await mixedEvents(80);
});
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pte-recovery-'));
  dirs.push(d);
  return d;
}

const serverConfig = (dataDir: string) => configSchema.parse({ dataDir, grpc: { host: '127.0.0.1', port: 0 }, metrics: { host: '127.0.0.1', port: 0 }, http: { port: 0 }, server: { warmUpTrades: 0 } });

/** A journal in small segments with a snapshot past the first ones. */
async function journalWithSnapshot(dir: string): Promise<string[]> {
  const { journal } = await openFileJournal({ dir, tokens, segmentBytes: 8_192, snapshotEvery: 30 });
  const append = bookedAppend(journal);
  for (const e of events) await append(e);
  await journal.close();
  expect(readdirSync(dir).some((n) => n.startsWith('snapshot-'))).toBe(true);
  return readdirSync(dir)
    .filter((n) => n.startsWith('segment-'))
    .sort();
}

describe('recovery refuses a journal that cannot serve every acknowledged trade', () => {
  it('refuses to start when a segment before the snapshot that holds acknowledged trades is missing', async () => {
    const dir = tempDir();
    const segments = await journalWithSnapshot(dir);
    expect(segments[0]).toBe(segmentName(1));
    rmSync(join(dir, segmentName(1)));

    const err = await startApp(serverConfig(dir), { logger: silentLogger() }).then(
      async (app) => {
        await app.stop(0);
        return app;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JournalCorruptError);
    expect((err as Error).message).toMatch(/segment-0000000000000001\.log is missing, but the trade index refers to \d+ trades? of portfolios? p0/);
    expect((err as Error).message).toMatch(/refusing to start/);
  });

  it('refuses to start when such a segment is shorter than the trades it holds', async () => {
    const dir = tempDir();
    await journalWithSnapshot(dir);
    const first = join(dir, segmentName(1));
    const { truncateSync } = await import('node:fs');
    truncateSync(first, 100);
    await expect(openFileJournal({ dir, tokens })).rejects.toThrow(/segment-0000000000000001\.log is shorter than the trades it holds/);
  });
});

describe('read failures reach clients without server paths', () => {
  it('answers ListTrades with the segment file name, not its absolute path, when a segment disappears', async () => {
    const dataDir = tempDir();
    const { client, stop } = await startTestServer({ dataDir, journal: { tradeCache: 0 } });
    try {
      for (let i = 0; i < 3; i++) await client.executeTrade(trade());
      rmSync(join(dataDir, segmentName(1)));
      const { code, details } = await rejection(client.listTrades({ portfolioId: 'default', limit: 10, pageToken: '' }));
      expect(code).toBe(status.INTERNAL);
      expect(details).toMatch(/segment-0000000000000001\.log/);
      expect(details).not.toContain(dataDir);
      expect(details).not.toMatch(/\/tmp\//);
    } finally {
      await stop();
    }
  });
});
