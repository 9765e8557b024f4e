/**
 * Portfolios come into being with their first trade or reset; reads never write (DESIGN.md,
 * "Portfolios"). Over real gRPC connections with the real file journal: reads of ids never seen
 * (GetPortfolio, ListTrades, StreamTrades) answer without writing a record or creating a portfolio,
 * and the cap on portfolios (portfolios.max) refuses the one past it with RESOURCE_EXHAUSTED
 * (PORTFOLIO_LIMIT), changing nothing.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isServiceError } from '../src/client/index.js';
import { ERROR_CODE_METADATA_KEY } from '../src/server/index.js';
import { startTestServer, trade } from './support.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

/** Bytes of every file under `dir`: the journal's segments, snapshots and lock. */
function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? bytesUnder(p) : statSync(p).size;
  }
  return n;
}

/**
 * The journal's last sequence once everything handed to it is durable: a trade's mark is journaled
 * after its answer is sent, so it may still be waiting for its fsync when the answer arrives.
 */
async function settled(journal: { stats(): { lastSeq: number; queuedSeq: number } }): Promise<number> {
  for (let i = 0; i < 1_000; i++) {
    const { lastSeq, queuedSeq } = journal.stats();
    if (lastSeq === queuedSeq) return lastSeq;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the journal did not settle');
}

async function refusal(p: Promise<unknown>): Promise<{ code: number; details: string; errorCode: unknown }> {
  try {
    await p;
  } catch (e) {
    if (!isServiceError(e)) throw e;
    return { code: e.code, details: e.details, errorCode: e.metadata.get(ERROR_CODE_METADATA_KEY)[0] };
  }
  throw new Error('expected the call to be refused');
}

describe('reads of unknown portfolios', () => {
  let s: Server;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pte-portfolios-'));
    s = await startTestServer({ dataDir });
  });
  afterAll(async () => {
    await s.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('1,000 GetPortfolio calls on fresh ids (and ListTrades, StreamTrades) write nothing and create no portfolio', async () => {
    // One real portfolio, so the journal is not empty.
    await s.client.executeTrade(trade({ portfolioId: 'real', amount: '0.01' }));
    const journal = s.app.journal;
    if (!journal) throw new Error('the file journal is on by default');
    const seq = await settled(journal);
    const bytes = bytesUnder(dataDir);

    for (let batch = 0; batch < 10; batch++) {
      const summaries = await Promise.all(Array.from({ length: 100 }, (_, i) => s.client.getPortfolio(`fresh-${batch}-${i}`)));
      for (const p of summaries) {
        // The configured starting state, answered without creating anything.
        expect(p.tradeCount).toBe('0');
        expect(p.feesPaidLamports).toBe('0');
        expect(p.balances.map((b) => `${b.token?.symbol}=${b.amount}`)).toEqual(['SOL=100', 'USDC=10000']);
        expect(p.stateHash).toBe('');
        expect(p.updatedAt).toBeNull();
      }
    }
    expect((await s.client.listTrades({ portfolioId: 'fresh-list' })).trades).toEqual([]);
    const stream = s.client.streamTrades('fresh-stream');
    stream.cancel();
    for await (const t of stream) throw new Error(`no trade expected, got ${t.tradeId}`);

    expect(journal.stats().lastSeq).toBe(seq);
    expect(bytesUnder(dataDir)).toBe(bytes);
    // Still unknown: the next read is again the starting state, and the first trade creates it.
    expect((await s.client.getPortfolio('fresh-0-0')).stateHash).toBe('');
    const r = await s.client.executeTrade(trade({ portfolioId: 'fresh-0-0', amount: '0.01' }));
    expect(r.portfolioState?.tradeCount).toBe('1');
    expect(await settled(journal)).toBe(seq + 4); // portfolio_created, its mark, the trade, its mark
    expect((await s.client.getPortfolio('fresh-0-0')).stateHash).not.toBe('');
  });

  it('a trade refused on an unknown portfolio (insufficient balance) creates nothing', async () => {
    const journal = s.app.journal;
    if (!journal) throw new Error('the file journal is on by default');
    const seq = await settled(journal);
    const r = await refusal(s.client.executeTrade(trade({ portfolioId: 'broke', amount: '100000' })));
    expect(r.code).toBe(status.FAILED_PRECONDITION);
    expect(journal.stats().lastSeq).toBe(seq);
    expect((await s.client.getPortfolio('broke')).stateHash).toBe('');
  });
});

describe('portfolios.max', () => {
  let s: Server;

  beforeAll(async () => {
    s = await startTestServer({ portfolios: { max: 3 } });
  });
  afterAll(async () => {
    await s.stop();
  });

  it('refuses the portfolio past the cap with RESOURCE_EXHAUSTED (PORTFOLIO_LIMIT), changing nothing; reads do not count', async () => {
    const journal = s.app.journal;
    if (!journal) throw new Error('the file journal is on by default');
    // Reads of many ids first: they must not use up the cap.
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.client.getPortfolio(`look-${i}`)));
    await s.client.executeTrade(trade({ portfolioId: 'p1', amount: '0.01' }));
    await s.client.resetPortfolio('p2', {});
    await s.client.executeTrade(trade({ portfolioId: 'p3', amount: '0.01' }));
    const seq = await settled(journal);

    const byTrade = await refusal(s.client.executeTrade(trade({ portfolioId: 'p4', amount: '0.01' })));
    expect(byTrade.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(byTrade.errorCode).toBe('PORTFOLIO_LIMIT');
    expect(byTrade.details).toMatch(/^portfolio_id: this server holds 3 portfolios, the most allowed \(portfolios\.max\)/);
    const byReset = await refusal(s.client.resetPortfolio('p4', {}));
    expect(byReset.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(byReset.errorCode).toBe('PORTFOLIO_LIMIT');
    expect(journal.stats().lastSeq).toBe(seq);
    expect((await s.client.getPortfolio('p4')).stateHash).toBe('');

    // The existing ones keep working: trades and resets of a portfolio that exists are never refused.
    await s.client.executeTrade(trade({ portfolioId: 'p1', amount: '0.01' }));
    await s.client.resetPortfolio('p2', {});
    expect(await settled(journal)).toBe(seq + 4); // the trade, its mark, the reset, its mark
  });
});
