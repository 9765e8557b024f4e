/**
 * The bank test on a shared ledger: three real `pte serve` processes on one PostgreSQL database, 32
 * clients spreading trades over 10 portfolios and all three executors, 10 % of the acknowledged
 * requests sent again to another executor with the same request_id, one executor SIGKILLed every few
 * seconds and restarted, and the database itself crashed (immediate shutdown) and restarted once.
 *
 * Afterwards: no acknowledged trade is lost, none is booked twice, every portfolio's balances equal
 * its starting balances plus its listed trades exactly, no balance was ever negative (every event
 * replays in order), the stored states equal the replay, and ListTrades is identical from every
 * executor.
 *
 * The database is a private PostgreSQL server (test/support/pg-server.ts) so that it can be crashed
 * without disturbing other tests; the executors run compiled JavaScript (test/cli-child.ts).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorClient, isServiceError, type ExecutorClient, type TradeMessage, type TradeRequestInput } from '../src/client/index.js';
import { parseBalance } from '../src/domain/amount.js';
import { applyEvent, type PortfolioState } from '../src/domain/ledger.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { portfolioStateHash } from '../src/executor/state-hash.js';
import { readPostgresLedger } from '../src/store/postgres/index.js';
import { buildCli, spawnServe, type ServeChild } from './cli-child.js';
import { startPgServer, type PgServer } from './support/pg-server.js';

const EXECUTORS = 3;
const CLIENTS = 32;
const PORTFOLIOS = Array.from({ length: 10 }, (_, i) => `bank-${i}`);
const RUN_MS = 24_000;
const KILL_EVERY_MS = 3_000;
const DB_CRASH_AT_MS = 9_000;
const tokens = createTokenRegistry();

/** A seeded generator (mulberry32): the test's choices are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Statuses after which the outcome is unknown: the same request is sent again, to another executor. */
const UNKNOWN_OUTCOME = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED, status.INTERNAL, status.UNKNOWN]);

let cli: ReturnType<typeof buildCli> | undefined;
let db: PgServer | undefined;
let url = '';

beforeAll(async () => {
  cli = buildCli('bank');
  db = await startPgServer();
  const admin = new pg.Client({ connectionString: db.url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE pte_bank');
  await admin.end();
  url = db.url('pte_bank');
}, 180_000);

/** One executor slot: its process and a client to it, replaced when it is restarted. */
interface Slot {
  child: ServeChild | undefined;
  client: ExecutorClient | undefined;
}

const slots: Slot[] = Array.from({ length: EXECUTORS }, () => ({ child: undefined, client: undefined }));

afterAll(async () => {
  // Also after a failure: no executor outlives the test.
  await Promise.all(slots.map(kill));
  cli?.remove();
  await db?.remove();
});

async function startExecutor(slot: Slot): Promise<void> {
  if (!cli) throw new Error('the CLI was not built');
  // A short retry budget: a request the database cannot take in time fails fast and is retried elsewhere.
  const child = await spawnServe(cli.main, ['--ledger-url', url, '--log-level', 'error'], { PTE_MARKS_INTERVAL_MS: '0', PTE_DEFAULT_DEADLINE_MS: '8000' });
  slot.child = child;
  slot.client = createExecutorClient(`127.0.0.1:${child.port}`, { defaultDeadlineMs: 8_000 });
}

function kill(slot: Slot): Promise<void> {
  const child = slot.child;
  slot.client?.close();
  slot.child = undefined;
  slot.client = undefined;
  return new Promise((resolve) => {
    if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return resolve();
    child.proc.once('exit', () => resolve());
    child.proc.kill('SIGKILL');
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every trade of a portfolio through ListTrades, oldest first, paging with a small page. */
async function listAll(client: ExecutorClient, portfolioId: string): Promise<TradeMessage[]> {
  const out: TradeMessage[] = [];
  let pageToken = '';
  do {
    const page = await client.listTrades({ portfolioId, limit: 97, pageToken });
    out.push(...page.trades);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return out.reverse();
}

/** Base units of a decimal amount in token units. */
const units = (amount: string, mint: string): bigint => {
  const token = tokens.find(mint);
  if (!token) throw new Error(`unknown mint ${mint}`);
  return parseBalance(amount, token.decimals, 'amount');
};

describe('three executors on one PostgreSQL ledger, killed and restarted, the database crashed once', () => {
  it('loses no acknowledged trade, books none twice, and every portfolio reconciles exactly', async () => {
    // All three start at once: the schema is migrated safely by whichever gets the lock first.
    await Promise.all(slots.map(startExecutor));

    const acked = new Map<string, { request: TradeRequestInput; trade: TradeMessage }>();
    const retriedElsewhere = { sent: 0, same: 0, differing: [] as string[] };
    const refused = new Map<string, number>();
    let stopped = false;
    const random = rng(20261201);

    /** A live slot other than `not`, or undefined while none is up. */
    const pick = (not?: number): number | undefined => {
      const live = slots.map((s, i) => (s.client && i !== not ? i : -1)).filter((i) => i >= 0);
      return live.length === 0 ? undefined : live[Math.floor(random() * live.length)];
    };

    /** Sends the request until an executor answers it (trying others after an unknown outcome). */
    async function send(request: TradeRequestInput, first: number | undefined, finish = false): Promise<TradeMessage | undefined> {
      let at = first;
      for (let attempt = 0; attempt < 40 && (finish || !stopped); attempt++) {
        const i = at ?? pick();
        at = undefined;
        const client = i === undefined ? undefined : slots[i]?.client;
        if (!client || i === undefined) {
          await sleep(100);
          continue;
        }
        try {
          return (await client.executeTrade(request)).trade ?? undefined;
        } catch (e) {
          if (isServiceError(e) && UNKNOWN_OUTCOME.has(e.code)) {
            await sleep(50 + random() * 150);
            at = pick(i);
            continue;
          }
          const code = isServiceError(e) ? e.details.split(':')[0] ?? 'error' : String(e);
          refused.set(code, (refused.get(code) ?? 0) + 1);
          return undefined;
        }
      }
      return undefined;
    }

    async function client(w: number): Promise<void> {
      while (!stopped) {
        const portfolioId = PORTFOLIOS[Math.floor(random() * PORTFOLIOS.length)] ?? 'bank-0';
        const sell = random() < 0.45;
        const request: TradeRequestInput = {
          requestId: randomUUID(),
          portfolioId,
          action: sell ? 'SELL' : 'BUY',
          baseToken: 'SOL',
          quoteToken: 'USDC',
          amount: (0.05 + Math.floor(random() * 50) / 100).toFixed(2),
          isBaseInput: true,
          metadata: { client: w },
        };
        const first = pick();
        const trade = await send(request, first);
        if (!trade) continue;
        acked.set(request.requestId, { request, trade });
        // 10 %: the same request again, on another executor; it must answer with the original trade.
        if (random() < 0.1) {
          retriedElsewhere.sent++;
          const again = await send(request, pick(first), true);
          if (again?.tradeId === trade.tradeId && again.sequence === trade.sequence) retriedElsewhere.same++;
          else retriedElsewhere.differing.push(`${request.requestId}: ${again ? `trade ${again.tradeId}` : 'no answer'} for trade ${trade.tradeId}`);
        }
      }
    }

    async function chaos(): Promise<number> {
      const t0 = Date.now();
      let crashed = false;
      let kills = 0;
      while (Date.now() - t0 < RUN_MS) {
        await sleep(KILL_EVERY_MS);
        const victim = Math.floor(random() * EXECUTORS);
        const slot = slots[victim];
        if (slot) {
          await kill(slot);
          kills++;
          await startExecutor(slot);
        }
        if (!crashed && Date.now() - t0 >= DB_CRASH_AT_MS) {
          crashed = true;
          await db?.crash();
          await sleep(1_500);
          await db?.start();
        }
      }
      expect(crashed).toBe(true);
      return kills;
    }

    const workers = Array.from({ length: CLIENTS }, (_, w) => client(w));
    const kills = await chaos();
    stopped = true;
    await Promise.all(workers);

    // Every executor up again for the reads.
    for (const slot of slots) if (!slot.client) await startExecutor(slot);
    const clients = slots.map((s) => s.client).filter((c): c is ExecutorClient => c !== undefined);
    await Promise.all(clients.map((c) => c.waitForReady(10_000)));
    // What this run did, for the record (the assertions below do not depend on it).
    console.info(
      `bank: ${acked.size} trades acknowledged over ${PORTFOLIOS.length} portfolios, ${retriedElsewhere.sent} sent again to another executor, ` +
        `${kills} executors killed, the database crashed once; refused: ${JSON.stringify(Object.fromEntries(refused))}`,
    );
    expect(acked.size).toBeGreaterThan(200);
    expect(retriedElsewhere.sent).toBeGreaterThan(10);
    expect(retriedElsewhere.differing).toEqual([]);
    expect(retriedElsewhere.same).toBe(retriedElsewhere.sent);

    // The ledger, read from the database alone: every event replays in order (a negative balance
    // would throw), each request id is booked at most once, and the stored states equal the replay.
    const replayed = new Map<string, PortfolioState>();
    const booked = new Map<string, number>();
    const report = await readPostgresLedger(url, tokens, (event) => {
      const next = applyEvent(replayed.get(event.portfolioId), event, tokens.sol);
      for (const [, p] of next.positions) expect(p.amount).toBeGreaterThanOrEqual(0n);
      replayed.set(event.portfolioId, next);
      if (event.kind === 'trade') booked.set(event.trade.requestId, (booked.get(event.trade.requestId) ?? 0) + 1);
    });
    for (const [id, n] of booked) expect(n, `request ${id} booked`).toBe(1);
    for (const [id, { trade }] of acked) expect(booked.get(id), `acknowledged ${id} (trade ${trade.tradeId})`).toBe(1);
    for (const [id, state] of replayed) expect(portfolioStateHash(state), `stored state of ${id}`).toBe(report.states.get(id) && portfolioStateHash(report.states.get(id) as PortfolioState));

    const [reference, ...others] = clients;
    if (!reference) throw new Error('no executor is up');
    const start = await reference.getPortfolio('bank-never-traded');
    for (const portfolioId of PORTFOLIOS) {
      const listed = await listAll(reference, portfolioId);
      // ListTrades is the same from every executor.
      for (const other of others) expect((await listAll(other, portfolioId)).map((t) => t.tradeId)).toEqual(listed.map((t) => t.tradeId));
      // Every acknowledged trade of the portfolio is listed, exactly as it was answered.
      const byId = new Map(listed.map((t) => [t.requestId, t]));
      for (const { request, trade } of acked.values()) if (request.portfolioId === portfolioId) expect(byId.get(request.requestId)).toEqual(trade);
      // Balances = start + listed trades, exactly (base units; the fee in lamports of SOL).
      const expected = new Map<string, bigint>();
      for (const b of start.balances) if (b.token) expected.set(b.token.mint, units(b.amount, b.token.mint));
      const add = (mint: string, delta: bigint): void => void expected.set(mint, (expected.get(mint) ?? 0n) + delta);
      for (const t of listed) {
        if (!t.input || !t.output) throw new Error(`trade ${t.tradeId} has no tokens`);
        add(tokens.sol.mint, -BigInt(t.networkFeeLamports));
        if (t.status === 'TRADE_STATUS_FILLED') {
          add(t.input.mint, -units(t.inputAmount, t.input.mint));
          add(t.output.mint, units(t.outputAmount, t.output.mint));
        }
      }
      const summary = await reference.getPortfolio(portfolioId);
      expect(BigInt(summary.tradeCount)).toBe(BigInt(listed.length));
      const actual = new Map(summary.balances.filter((b) => b.token).map((b) => [b.token?.mint ?? '', units(b.amount, b.token?.mint ?? '')]));
      for (const [mint, amount] of expected) expect(actual.get(mint) ?? 0n, `${portfolioId} ${tokens.find(mint)?.symbol ?? mint}`).toBe(amount);
      for (const other of others) expect((await other.getPortfolio(portfolioId)).stateHash).toBe(summary.stateHash);
    }
  }, 240_000);
});
