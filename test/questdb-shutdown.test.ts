/**
 * Stopping the real `pte serve` (a child process) while QuestDB cannot take the queued rows: the
 * recorder keeps trying until its shutdown deadline, the rows it could not send (trades and marks)
 * are reported with their count, and the process says it stopped and exits 0. Two ways QuestDB can be gone: nothing
 * listens at its address, or it accepts the connection and never answers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorClient } from '../src/client/index.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { readJournal } from '../src/store/journal-reader.js';
import { startQuestDbReceiver } from './fakes/questdb-receiver.js';
import { buildCli, spawnServe } from './cli-child.js';
import { trade } from './support.js';

const TRADES = 5;

let cli: ReturnType<typeof buildCli> | undefined;
const dirs: string[] = [];

beforeAll(() => {
  cli = buildCli('qdb-shutdown');
}, 180_000);

afterAll(() => {
  cli?.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A port nothing listens on: bound once by us, then released. */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const a = srv.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

interface LogLine {
  readonly level?: string;
  readonly msg?: string;
  readonly unsent?: number;
  readonly unsent_trades?: number;
  readonly unsent_marks?: number;
}

const logLines = (stdout: string): LogLine[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

/** Serves with QuestDB at `conf`, books TRADES trades, sends SIGTERM; the exit code and the output. */
async function tradeThenStop(conf: string): Promise<{ code: number | null; stderr: string; log: LogLine[]; dataDir: string; booked: string[] }> {
  if (!cli) throw new Error('the CLI was not built');
  const dataDir = mkdtempSync(join(tmpdir(), 'pte-qdb-stop-'));
  dirs.push(dataDir);
  const configFile = join(dataDir, 'pte.yaml');
  writeFileSync(configFile, 'questdb:\n  shutdownDeadlineMs: 1500\n  flushIntervalMs: 50\n');
  const server = await spawnServe(cli.main, ['--config', configFile, '--data-dir', join(dataDir, 'data'), '--log-level', 'info'], { QDB_CLIENT_CONF: conf }, { captureStdout: true });
  const client = createExecutorClient(`127.0.0.1:${server.port}`);
  try {
    const exited = new Promise<number | null>((resolve) => server.proc.once('exit', (code) => resolve(code)));
    const booked: string[] = [];
    for (let i = 0; i < TRADES; i++) {
      const r = await client.executeTrade(trade({ amount: '0.01' }), { deadlineMs: 10_000 });
      booked.push(r.trade?.tradeId ?? '');
    }
    client.close();
    server.proc.kill('SIGTERM');
    const code = await exited;
    return { code, stderr: server.stderr(), log: logLines(server.stdout()), dataDir: join(dataDir, 'data'), booked };
  } finally {
    client.close();
    if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
  }
}

async function journaledTrades(dataDir: string): Promise<string[]> {
  const ids: string[] = [];
  await readJournal(dataDir, createTokenRegistry(), (e) => {
    if (e.kind === 'trade') ids.push(e.trade.tradeId);
  });
  return ids;
}

describe('SIGTERM with rows queued for an unreachable QuestDB', () => {
  it('nothing listening: reports the unsent rows, says it stopped and exits 0', async () => {
    const r = await tradeThenStop(`http::addr=127.0.0.1:${await deadPort()};request_timeout=300;retry_timeout=300;`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/pte: stopped/);
    const unsent = r.log.filter((l) => l.unsent !== undefined);
    expect(unsent).toHaveLength(1);
    expect(unsent[0]).toMatchObject({ level: 'warn', unsent_trades: TRADES });
    expect(unsent[0]?.unsent).toBe(TRADES + (unsent[0]?.unsent_marks ?? 0));
    expect(unsent[0]?.unsent_marks).toBeGreaterThanOrEqual(TRADES); // a mark after each trade
    expect(r.log.some((l) => l.msg === 'paper trade executor stopped')).toBe(true);
    expect((await journaledTrades(r.dataDir)).sort()).toEqual([...r.booked].sort());
  }, 60_000);

  it('QuestDB accepting connections and never answering: the same, at the deadline', async () => {
    const receiver = await startQuestDbReceiver();
    try {
      await receiver.setMode('stall');
      const r = await tradeThenStop(`${receiver.conf}request_timeout=30000;retry_timeout=0;`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/pte: stopped/);
      const unsent = r.log.filter((l) => l.unsent !== undefined);
      expect(unsent).toHaveLength(1);
      expect(unsent[0]).toMatchObject({ level: 'warn', unsent_trades: TRADES });
      expect(unsent[0]?.unsent).toBe(TRADES + (unsent[0]?.unsent_marks ?? 0));
      expect(unsent[0]?.unsent_marks).toBeGreaterThanOrEqual(TRADES); // a mark after each trade
      expect(receiver.rows()).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  }, 60_000);
});
