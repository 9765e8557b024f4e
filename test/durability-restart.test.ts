/**
 * The service over gRPC with its file journal: state, history and idempotency survive a restart;
 * duplicates execute once; a journal that cannot be written stops trading (UNAVAILABLE, NOT_SERVING).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, Metadata, status, type MethodDefinition } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp } from '../src/app.js';
import { replayJournal } from '../src/cli/replay.js';
import { createExecutorClient, type ExecutorClient, type TradeMessage, type TradeRequestInput } from '../src/client/index.js';
import { configSchema, type ConfigInput } from '../src/config/schema.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { silentLogger } from '../src/observability/logger.js';
import type { JournalIo } from '../src/store/file-journal.js';
import { readJournal } from '../src/store/journal-reader.js';
import { rejection, startTestServer, trade } from './support.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pte-durable-'));
  dirs.push(d);
  return d;
}

const settings = (dataDir: string): ConfigInput => ({ dataDir, journal: { snapshotEvery: 50 }, portfolios: { startingBalances: { SOL: '1000', USDC: '100000' } } });

async function allTrades(client: ExecutorClient, portfolioId: string): Promise<TradeMessage[]> {
  const out: TradeMessage[] = [];
  let pageToken = '';
  do {
    const page = await client.listTrades({ portfolioId, limit: 100, pageToken });
    out.push(...page.trades);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return out;
}

/** request_id -> how many trade records the journal holds for it. */
async function journalCounts(dir: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await readJournal(dir, createTokenRegistry(), (e) => {
    if (e.kind === 'trade') counts.set(e.trade.requestId, (counts.get(e.trade.requestId) ?? 0) + 1);
  });
  return counts;
}

const ledgerView = (p: { balances: { token: { symbol: string } | null; amount: string }[]; tradeCount: string; feesPaidLamports: string; realizedPnlUsd: string; stateHash?: string }) => ({
  balances: p.balances.map((b) => [b.token?.symbol, b.amount]),
  tradeCount: p.tradeCount,
  fees: p.feesPaidLamports,
  realized: p.realizedPnlUsd,
  stateHash: p.stateHash,
});

describe('durability over gRPC', () => {
  it('restores balances, history and state hash after a restart; pte replay prints the same hash', async () => {
    const dir = tempDir();
    let s = await startTestServer(settings(dir));
    for (let i = 0; i < 90; i++) {
      await s.client.executeTrade(trade({ action: i % 2 ? 'SELL' : 'BUY', amount: String(1 + (i % 4)), portfolioId: `p${i % 3}` }));
      if (i === 40) await s.client.resetPortfolio('p1');
    }
    const before = await Promise.all(['p0', 'p1', 'p2'].map(async (id) => ({ summary: await s.client.getPortfolio(id), trades: await allTrades(s.client, id) })));
    await s.stop();

    s = await startTestServer(settings(dir));
    try {
      const after = await Promise.all(['p0', 'p1', 'p2'].map(async (id) => ({ summary: await s.client.getPortfolio(id), trades: await allTrades(s.client, id) })));
      after.forEach((a, i) => {
        const b = before[i];
        if (!b) throw new Error(`no state before the restart for ${a.summary.portfolioId}`);
        expect(ledgerView(a.summary)).toEqual(ledgerView(b.summary));
        expect(a.trades).toEqual(b.trades);
      });
      expect(after[1]?.trades.length).toBeLessThan(after[0]?.trades.length ?? 0); // the reset cleared p1's history
      const replayed = await replayJournal({ dataDir: dir, configFile: undefined, verify: true, json: false }, {});
      for (const a of after) {
        expect(a.summary.stateHash).toMatch(/^[0-9a-f]{64}$/);
        expect(replayed.portfolios.find((p) => p.portfolioId === a.summary.portfolioId)?.stateHash).toBe(a.summary.stateHash);
      }
      expect(replayed.verify?.trades).toBe(90);
      expect(replayed.verify?.mismatches).toEqual([]);
    } finally {
      await s.stop();
    }
  });

  it('duplicates: with 10 % of requests reusing a request_id each id executes once and returns its original result, before and after a restart', async () => {
    const dir = tempDir();
    let s = await startTestServer(settings(dir));
    const originals: TradeRequestInput[] = [];
    const requests: TradeRequestInput[] = [];
    for (let i = 0; i < 400; i++) {
      const reuse = i % 10 === 9 && originals.length > 0;
      const r = reuse ? (originals[(i * 7) % originals.length] as TradeRequestInput) : trade({ action: i % 2 ? 'SELL' : 'BUY', amount: '0.5', portfolioId: `d${i % 4}` });
      if (!reuse) originals.push(r);
      requests.push(r);
    }
    const results = await Promise.all(requests.map((r) => s.client.executeTrade(r)));
    const byId = new Map<string, TradeMessage>();
    results.forEach((res, i) => {
      const id = requests[i]?.requestId ?? '';
      const first = byId.get(id);
      if (first) expect(res.trade).toEqual(first);
      else byId.set(id, res.trade as TradeMessage);
    });
    expect(byId.size).toBe(originals.length);
    let counts = await journalCounts(dir);
    expect(counts.size).toBe(originals.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    // A changed payload under a used id.
    const changed = { ...(originals[3] as TradeRequestInput), amount: '0.75' };
    expect((await rejection(s.client.executeTrade(changed))).code).toBe(status.ALREADY_EXISTS);
    await s.stop();

    s = await startTestServer(settings(dir));
    try {
      const again = await Promise.all(originals.slice(0, 40).map((r) => s.client.executeTrade(r)));
      again.forEach((res, i) => {
        expect(res.trade).toEqual(byId.get(originals[i]?.requestId ?? ''));
        expect(res.warnings.join('\n')).toMatch(/original trade as journaled/);
      });
      expect((await rejection(s.client.executeTrade(changed))).code).toBe(status.ALREADY_EXISTS);
      counts = await journalCounts(dir);
      expect(counts.size).toBe(originals.length);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await s.stop();
    }
  });

  it('stops accepting trades when the journal cannot be written: UNAVAILABLE, health NOT_SERVING, nothing acknowledged lost', async () => {
    const dir = tempDir();
    let full = false;
    const io: JournalIo = {
      async write(fh, data) {
        if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        await fh.write(data);
      },
      datasync: (fh) => fh.datasync(),
    };
    const config = configSchema.parse({ ...settings(dir), grpc: { host: '127.0.0.1', port: 0 }, metrics: { host: '127.0.0.1', port: 0 }, http: { port: 0 }, server: { warmUpTrades: 0 } });
    const app = await startApp(config, { logger: silentLogger(), journalIo: io });
    const client = createExecutorClient(`127.0.0.1:${app.grpcPort}`);
    const health = new Client(`127.0.0.1:${app.grpcPort}`, credentials.createInsecure());
    const check = healthService.Check as unknown as MethodDefinition<{ service: string }, { status: string }>;
    const healthStatus = (): Promise<string> =>
      new Promise((resolve, reject) => {
        health.makeUnaryRequest(check.path, check.requestSerialize, check.responseDeserialize, { service: '' }, new Metadata(), (err, res) =>
          err || !res ? reject(err ?? new Error('no response')) : resolve(res.status),
        );
      });
    const acked: string[] = [];
    try {
      for (let i = 0; i < 5; i++) acked.push((await client.executeTrade(trade())).trade?.tradeId ?? '');
      expect(await healthStatus()).toBe('SERVING');
      full = true;
      const refused = await rejection(client.executeTrade(trade()));
      expect(refused.code).toBe(status.UNAVAILABLE);
      expect(refused.details).toMatch(/journal/);
      full = false; // even with space again, the journal stays failed until a restart
      expect((await rejection(client.executeTrade(trade()))).code).toBe(status.UNAVAILABLE);
      expect(await healthStatus()).toBe('NOT_SERVING');
      expect(app.journal?.failed).toBe(true);
    } finally {
      client.close();
      health.close();
      await app.stop(1_000);
    }
    const s = await startTestServer(settings(dir));
    try {
      const trades = await allTrades(s.client, 'default');
      expect(trades.map((t) => t.tradeId).reverse()).toEqual(acked);
      await s.client.executeTrade(trade()); // and it trades again
    } finally {
      await s.stop();
    }
  });
});
