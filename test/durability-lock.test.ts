/**
 * One owner per data directory. The LOCK file is created atomically and released only by its owner;
 * a dead owner's lock is taken over by exactly one of the starters racing for it. Shown in-process
 * (concurrent opens, with the lock's file operations slowed as on a slow or network disk) and with
 * real `pte serve` processes racing for one directory, some of them killed to leave a stale lock.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../src/app.js';
import { createExecutorClient } from '../src/client/index.js';
import { configSchema } from '../src/config/schema.js';
import { replayJournal } from '../src/cli/replay.js';
import { applyEvent, type LedgerEvent, type PortfolioState } from '../src/domain/ledger.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { combinedStateHash } from '../src/executor/state-hash.js';
import { silentLogger } from '../src/observability/logger.js';
import { lockIdentity } from '../src/store/dir-lock.js';
import { fileJournalIo, JournalLockedError, openFileJournal, type FileJournal, type FileJournalOptions, type JournalIo } from '../src/store/file-journal.js';
import { readJournal } from '../src/store/journal-reader.js';
import { mixedEvents } from './support/store.js';
import { buildCli, spawnServe } from './cli-child.js';
import { trade } from './support.js';

const tokens = createTokenRegistry();
const dirs: string[] = [];
let events: LedgerEvent[] = [];

beforeAll(async () => {
  events = await mixedEvents(420);
});
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pte-lock-'));
  dirs.push(d);
  return d;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The real file operations, with every step on the LOCK file delayed by `pause(step)`. */
const slowLock = (pause: (step: string) => number): JournalIo => ({ ...fileJournalIo, lockPause: (step) => sleep(pause(step)) });

const open = (dir: string, extra: Partial<FileJournalOptions> = {}) => openFileJournal({ dir, tokens, snapshotEvery: 0, ...extra });

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

/** Opens `n` journals on `dir` at once; returns the ones that got it and the refusals. */
async function race(dir: string, n: number, io?: () => JournalIo): Promise<{ holders: FileJournal[]; refusals: Error[] }> {
  const settled = await Promise.allSettled(Array.from({ length: n }, () => open(dir, io ? { io: io() } : {})));
  const holders: FileJournal[] = [];
  const refusals: Error[] = [];
  for (const s of settled) {
    if (s.status === 'fulfilled') holders.push(s.value.journal);
    else refusals.push(s.reason as Error);
  }
  return { holders, refusals };
}

const hashOf = (list: readonly LedgerEvent[]): string => {
  const states = new Map<string, PortfolioState>();
  for (const e of list) states.set(e.portfolioId, applyEvent(states.get(e.portfolioId), e, tokens.sol));
  return combinedStateHash(states.values());
};

describe('data directory lock', () => {
  it('lets exactly one of two servers started at once on one directory serve, with the lock slowed by 300 ms', async () => {
    const dir = tempDir();
    const config = configSchema.parse({ dataDir: dir, grpc: { host: '127.0.0.1', port: 0 }, metrics: { host: '127.0.0.1', port: 0 }, http: { port: 0 }, server: { warmUpTrades: 0 } });
    const settled = await Promise.allSettled([0, 1].map(() => startApp(config, { logger: silentLogger(), journalIo: slowLock(() => 300) })));
    const apps = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    try {
      expect(apps).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(JournalLockedError);
      expect(refused[0]?.message).toMatch(new RegExp(`in use by process ${process.pid} \\(since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, on ${hostname()}\\)`));
      const app = apps[0];
      if (!app) throw new Error('no server started');
      const client = createExecutorClient(`127.0.0.1:${app.grpcPort}`);
      for (let i = 0; i < 20; i++) await client.executeTrade(trade());
      client.close();
      await app.stop(1_000);
    } finally {
      for (const a of apps) await a.stop(0).catch(() => undefined);
    }
    // Every acknowledged trade is there and the journal opens cleanly.
    const again = await open(dir);
    expect(again.report).toMatchObject({ truncated: undefined });
    expect([...again.image.portfolios.values()].map((p) => p.state.tradeCount)).toEqual([20]);
    await again.journal.close();
  });

  it('has exactly one holder in each of 200 rounds of three concurrent opens, and the journal replays cleanly after', async () => {
    const dir = tempDir();
    const rounds = 200;
    expect(events.length).toBeGreaterThanOrEqual(rounds);
    let exactlyOne = 0;
    for (let r = 0; r < rounds; r++) {
      // Random delays on each lock step shuffle the interleavings from round to round.
      const { holders, refusals } = await race(dir, 3, () => slowLock(() => Math.floor(Math.random() * 3)));
      if (holders.length === 1) exactlyOne++;
      expect(holders, `round ${r}`).toHaveLength(1);
      for (const e of refusals) expect(e, `round ${r}`).toBeInstanceOf(JournalLockedError);
      const holder = holders[0] as FileJournal;
      await holder.append(events[r] as LedgerEvent);
      await holder.close();
    }
    console.log(`lock race: ${exactlyOne} of ${rounds} rounds of 3 concurrent opens had exactly one holder`);
    const again = await open(dir);
    expect(again.report).toMatchObject({ lastSeq: rounds, replayed: rounds, truncated: undefined });
    expect(combinedStateHash([...again.image.portfolios.values()].map((p) => p.state))).toBe(hashOf(events.slice(0, rounds)));
    await again.journal.close();
    expect((await readJournal(dir, tokens, () => undefined)).lastSeq).toBe(rounds);
  });

  it('takes a dead owner\'s lock over with exactly one of several racing starters, 100 times', async () => {
    const dir = tempDir();
    const dead = deadPid();
    const stale = [
      `${dead}\n`, // the earlier format: a pid alone
      `${JSON.stringify({ pid: dead, token: 'feedfacefeedface', host: hostname(), processStartMs: 1, acquiredAtMs: 2 })}\n`,
    ];
    for (let r = 0; r < 100; r++) {
      writeFileSync(join(dir, 'LOCK'), stale[r % 2] ?? '');
      const { holders, refusals } = await race(dir, 4, () => slowLock(() => Math.floor(Math.random() * 3)));
      expect(holders, `round ${r}`).toHaveLength(1);
      for (const e of refusals) expect(e, `round ${r}`).toBeInstanceOf(JournalLockedError);
      await (holders[0] as FileJournal).close();
      expect(readdirSync(dir).filter((n) => n.startsWith('LOCK')), `round ${r}`).toEqual([]);
    }
  });

  it('finishes a takeover that a starter which then died left half done', async () => {
    const dir = tempDir();
    const staleLock = `${JSON.stringify({ pid: deadPid(), token: 'aaaaaaaaaaaaaaaa', host: hostname() })}\n`;
    const deadClaim = `${JSON.stringify({ pid: deadPid(), token: 'bbbbbbbbbbbbbbbb', host: hostname() })}\n`;
    writeFileSync(join(dir, 'LOCK'), staleLock);
    writeFileSync(join(dir, `LOCK.takeover-${lockIdentity(staleLock)}`), deadClaim);
    const { holders } = await race(dir, 3);
    expect(holders).toHaveLength(1);
    await (holders[0] as FileJournal).close();
    expect(readdirSync(dir).filter((n) => n.startsWith('LOCK'))).toEqual([]);
  });

  it('takes over a lock of an earlier process that had this pid (a restarted container), refuses one of this process', async () => {
    const dir = tempDir();
    const earlier = { pid: process.pid, token: 'cccccccccccccccc', host: hostname(), processStartMs: Date.now() - 3_600_000 };
    writeFileSync(join(dir, 'LOCK'), `${JSON.stringify(earlier)}\n`);
    const first = await open(dir);
    await expect(open(dir)).rejects.toThrow(new RegExp(`in use by process ${process.pid}`));
    await first.journal.close();
  });

  it('refuses a lock held by a live process or by another host, naming the holder', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'LOCK'), `${JSON.stringify({ pid: process.ppid, token: 'dddddddddddddddd', host: hostname(), acquiredAtMs: Date.UTC(2026, 0, 2, 3, 4, 5) })}\n`);
    await expect(open(dir)).rejects.toThrow(new RegExp(`in use by process ${process.ppid} \\(since 2026-01-02T03:04:05.000Z, on ${hostname()}\\)`));
    writeFileSync(join(dir, 'LOCK'), `${JSON.stringify({ pid: deadPid(), token: 'eeeeeeeeeeeeeeee', host: 'some-other-host' })}\n`);
    await expect(open(dir)).rejects.toThrow(/in use by process \d+ \(on some-other-host\)/);
  });

  it('removes LOCK on close only while it still holds its own token', async () => {
    const dir = tempDir();
    const { journal } = await open(dir);
    const other = `${JSON.stringify({ pid: process.ppid, token: 'ffffffffffffffff', host: hostname() })}\n`;
    writeFileSync(join(dir, 'LOCK'), other); // say an operator removed ours and another server took it
    await journal.close();
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(other);
  });

  it('lets pte replay read a directory a live server holds, without touching it: it sees the acknowledged prefix', async () => {
    const dir = tempDir();
    const { journal } = await open(dir);
    for (const e of events.slice(0, 30)) await journal.append(e);
    const lock = readFileSync(join(dir, 'LOCK'), 'utf8');
    const before = readdirSync(dir).sort();
    const writing = Promise.all(events.slice(30, 90).map((e) => journal.append(e)));
    const out = await replayJournal({ dataDir: dir, configFile: undefined, verify: false, json: true }, {});
    await writing;
    expect(out.journal.lastSeq).toBeGreaterThanOrEqual(30);
    expect(out.journal.lastSeq).toBeLessThanOrEqual(90);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(lock);
    expect(readdirSync(dir).sort()).toEqual(before);
    await journal.close();
  });
});

describe('processes racing for one data directory', () => {
  let cli: ReturnType<typeof buildCli> | undefined;
  beforeAll(() => {
    cli = buildCli('lock');
  }, 120_000);
  afterAll(() => cli?.remove());

  /**
   * A process that opens the journal in `dir` when it reads "go" (so all start at once), with every
   * lock step slowed by 0-40 ms, says "held" or "locked <message>", and closes it on "close".
   */
  function opener(dist: string, dir: string): { proc: ChildProcess; ready: Promise<string>; said: Promise<string> } {
    const code = `
      import { createInterface } from 'node:readline';
      const { openFileJournal, fileJournalIo } = await import(${JSON.stringify(`${dist}/src/store/file-journal.js`)});
      const { createTokenRegistry } = await import(${JSON.stringify(`${dist}/src/domain/tokens.js`)});
      const tokens = createTokenRegistry();
      const io = { ...fileJournalIo, lockPause: () => new Promise((r) => setTimeout(r, Math.random() * 40)) };
      let journal;
      process.stdout.write('ready\\n');
      for await (const line of createInterface({ input: process.stdin })) {
        if (line === 'go') {
          try {
            journal = (await openFileJournal({ dir: ${JSON.stringify(dir)}, tokens, io, snapshotEvery: 0 })).journal;
            process.stdout.write('held\\n');
          } catch (e) {
            process.stdout.write('locked ' + e.message + '\\n');
            process.exit(0);
          }
        } else if (line === 'close') {
          await journal?.close();
          process.exit(0);
        }
      }`;
    const proc = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const saying = (pattern: RegExp): Promise<string> =>
      new Promise<string>((resolve, reject) => {
        const check = (): void => {
          const m = pattern.exec(out);
          if (m?.[1] !== undefined) resolve(m[1]);
        };
        proc.stdout.on('data', check);
        proc.once('exit', (c) => reject(new Error(`opener exited with ${c}: ${out}`)));
      });
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    return { proc, ready: saying(/^(ready)$/m), said: saying(/^(held|locked .*)$/m) };
  }

  const exited = (proc: ChildProcess): Promise<void> =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
    });

  it('lets exactly one of four processes opening at once hold the lock; a killed holder leaves one the next round takes over', async () => {
    if (!cli) throw new Error('the CLI was not built');
    const dist = join(cli.main, '..', '..', '..');
    const dir = tempDir();
    const rounds = 12;
    let exactlyOne = 0;
    for (let r = 0; r < rounds; r++) {
      const openers = [0, 1, 2, 3].map(() => opener(dist, dir));
      await Promise.all(openers.map((o) => o.ready));
      for (const o of openers) o.proc.stdin?.write('go\n');
      const answers = await Promise.all(openers.map((o) => o.said));
      const holders = openers.filter((_o, i) => answers[i] === 'held');
      if (holders.length === 1) exactlyOne++;
      for (const a of answers) if (a !== 'held') expect(a).toMatch(/in use by process \d+/);
      // Odd rounds die holding the lock: the next round races to take a dead owner's lock over.
      for (const h of holders) {
        if (r % 2 === 1) h.proc.kill('SIGKILL');
        else h.proc.stdin?.write('close\n');
      }
      await Promise.all(openers.map((o) => exited(o.proc)));
      expect(holders.length, `round ${r}: ${answers.join(' | ')}`).toBe(1);
    }
    console.log(`lock race across processes: ${exactlyOne} of ${rounds} rounds of 4 processes had exactly one holder`);
    const again = await open(dir);
    expect(again.report.truncated).toBeUndefined();
    await again.journal.close();
  }, 120_000);

  it('serves from exactly one of three pte serve processes per round, also after a killed one left its lock', async () => {
    if (!cli) throw new Error('the CLI was not built');
    const main = cli.main;
    const dir = tempDir();
    const rounds = 4;
    let acked = 0;
    for (let r = 0; r < rounds; r++) {
      const settled = await Promise.allSettled([0, 1, 2].map(() => spawnServe(main, ['--data-dir', dir, '--log-level', 'error'])));
      const serving = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const refused = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
      try {
        expect(serving, `round ${r}: ${refused.join(' | ')}`).toHaveLength(1);
        for (const m of refused) expect(m).toMatch(/in use by process \d+/);
        const client = createExecutorClient(`127.0.0.1:${serving[0]?.port}`);
        for (let i = 0; i < 5; i++) await client.executeTrade(trade());
        acked += 5;
        client.close();
      } finally {
        for (const s of serving) {
          s.proc.kill(r % 2 === 1 ? 'SIGKILL' : 'SIGTERM');
          await exited(s.proc);
        }
      }
      if (r % 2 === 1) expect(readdirSync(dir)).toContain('LOCK');
    }
    let trades = 0;
    const report = await readJournal(dir, tokens, (e) => {
      if (e.kind === 'trade') trades++;
    });
    expect(report.tornTail).toBeUndefined();
    expect(trades).toBe(acked);
  }, 180_000);
});
