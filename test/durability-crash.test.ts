/**
 * Crash test: the real `pte serve` in a child process, under concurrent load, killed with SIGKILL at
 * random moments, again and again. After every restart each acknowledged trade is in the journal
 * exactly once (and in ListTrades once), a resent request returns its original trade, and every
 * portfolio's state hash equals the one replayed from the journal.
 *
 * The child runs compiled JavaScript, built once with tsc (test/cli-child.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorClient, type ExecutorClient, type TradeMessage, type TradeRequestInput } from '../src/client/index.js';
import { applyEvent, type PortfolioState } from '../src/domain/ledger.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { portfolioStateHash } from '../src/executor/state-hash.js';
import { readJournal } from '../src/store/journal-reader.js';
import { buildCli, spawnServe, type ServeChild } from './cli-child.js';

const KILLS = 22;
const WORKERS = 24;
const PORTFOLIOS = ['c0', 'c1', 'c2', 'c3'];
const tokens = createTokenRegistry();

let dataDir = '';
let cli: ReturnType<typeof buildCli> | undefined;

beforeAll(() => {
  cli = buildCli('crash');
  dataDir = mkdtempSync(join(tmpdir(), 'pte-crash-'));
}, 120_000);

afterAll(() => {
  cli?.remove();
  if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
});

function startServer(): Promise<ServeChild> {
  if (!cli) throw new Error('the CLI was not built');
  return spawnServe(cli.main, ['--data-dir', dataDir, '--log-level', 'error'], { PTE_JOURNAL_SNAPSHOT_EVERY: '150' });
}

function kill(child: ServeChild): Promise<void> {
  return new Promise((resolve) => {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return resolve();
    child.proc.once('exit', () => resolve());
    child.proc.kill('SIGKILL');
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Acknowledged trades: request -> the trade the service answered with. */
const acked = new Map<string, { request: TradeRequestInput; trade: TradeMessage }>();

/** Checks the recovered service against the journal; returns the number of journaled trades. */
async function verify(client: ExecutorClient): Promise<number> {
  const states = new Map<string, PortfolioState>();
  const counts = new Map<string, number>();
  await readJournal(dataDir, tokens, (e) => {
    states.set(e.portfolioId, applyEvent(states.get(e.portfolioId), e, tokens.sol));
    if (e.kind === 'trade') counts.set(e.trade.requestId, (counts.get(e.trade.requestId) ?? 0) + 1);
  });
  // Every acknowledged trade exactly once; nothing twice.
  for (const [id] of acked) expect(counts.get(id), `acknowledged ${id}`).toBe(1);
  for (const [id, n] of counts) expect(n, `journaled ${id}`).toBe(1);
  // Live balances equal the replay of the journal.
  for (const [id, state] of states) expect((await client.getPortfolio(id)).stateHash, `portfolio ${id}`).toBe(portfolioStateHash(state));
  // A resent acknowledged request answers with its original trade.
  for (const { request, trade } of [...acked.values()].slice(-5)) expect((await client.executeTrade(request)).trade).toEqual(trade);
  return counts.size;
}

async function load(client: ExecutorClient, stop: { stopped: boolean }): Promise<void> {
  let n = 0;
  // Read through a function: the flag changes while a call is awaited.
  const stopped = (): boolean => stop.stopped;
  const worker = async (w: number): Promise<void> => {
    while (!stop.stopped) {
      n++;
      const resend = n % 10 === 0 && acked.size > 0 ? [...acked.values()][n % acked.size] : undefined;
      const request: TradeRequestInput = resend?.request ?? {
        requestId: randomUUID(),
        action: n % 2 === 0 ? 'BUY' : 'SELL',
        baseToken: 'SOL',
        quoteToken: 'USDC',
        amount: '0.01',
        isBaseInput: true,
        portfolioId: PORTFOLIOS[w % PORTFOLIOS.length] ?? 'c0',
      };
      try {
        const res = await client.executeTrade(request, { deadlineMs: 5_000 });
        const trade = res.trade;
        if (!trade) throw new Error('a result without a trade');
        const before = acked.get(request.requestId);
        if (before) expect(trade).toEqual(before.trade);
        else acked.set(request.requestId, { request, trade });
      } catch (e) {
        if (!stopped()) throw e; // only the kill may fail a call
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
}

describe('crash recovery', () => {
  it(`loses no acknowledged trade across ${KILLS} SIGKILLs under concurrent load`, async () => {
    let journaled = 0;
    for (let round = 0; round < KILLS; round++) {
      const child = await startServer();
      const client = createExecutorClient(`127.0.0.1:${child.port}`);
      try {
        await client.waitForReady(5_000);
        journaled = await verify(client);
        const stop = { stopped: false };
        const running = load(client, stop);
        await sleep(50 + Math.random() * 350);
        stop.stopped = true;
        await kill(child);
        await running;
      } finally {
        client.close();
        await kill(child);
      }
    }
    // A last start: the final state, and the full history through ListTrades.
    const child = await startServer();
    const client = createExecutorClient(`127.0.0.1:${child.port}`);
    try {
      await client.waitForReady(5_000);
      journaled = await verify(client);
      const listed = new Map<string, number>();
      for (const id of PORTFOLIOS) {
        let pageToken = '';
        do {
          const page = await client.listTrades({ portfolioId: id, limit: 1_000, pageToken });
          for (const t of page.trades) listed.set(t.requestId, (listed.get(t.requestId) ?? 0) + 1);
          pageToken = page.nextPageToken;
        } while (pageToken !== '');
      }
      for (const [id] of acked) expect(listed.get(id), `listed ${id}`).toBe(1);
      expect(acked.size).toBeGreaterThan(KILLS * 10); // the load really ran
      expect(journaled).toBeGreaterThanOrEqual(acked.size);
    } finally {
      client.close();
      await kill(child);
    }
  }, 120_000);
});
