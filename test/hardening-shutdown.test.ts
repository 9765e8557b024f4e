/**
 * Clean shutdown of the real `pte serve` in a child process: SIGTERM while trades are in flight.
 * Health turns NOT_SERVING and new trades are refused UNAVAILABLE while it drains, every in-flight
 * trade is answered and is in the journal, and the process exits 0.
 *
 * Prices come from a Jupiter emulator that takes 300 ms per answer, so the trades are still waiting
 * for their price when the signal arrives. The child runs compiled JavaScript, built with tsc
 * (test/cli-child.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status, type Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutorClient } from '../src/client/index.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { startJupiterEmulator, type JupiterEmulator } from '../src/market/jupiter-emulator.js';
import { readJournal } from '../src/store/journal-reader.js';
import { buildCli, spawnServe, type ServeChild } from './cli-child.js';
import { rejection, trade } from './support.js';

const IN_FLIGHT = 16;

let dataDir = '';
let cli: ReturnType<typeof buildCli> | undefined;
let emu: JupiterEmulator;

beforeAll(async () => {
  cli = buildCli('shutdown');
  dataDir = mkdtempSync(join(tmpdir(), 'pte-shutdown-'));
  emu = await startJupiterEmulator({ faults: ['latency=300'] });
}, 180_000);

afterAll(async () => {
  await emu.close();
  cli?.remove();
  if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
});

function startServer(): Promise<ServeChild> {
  if (!cli) throw new Error('the CLI was not built');
  return spawnServe(cli.main, ['--data-dir', dataDir, '--market', 'jupiter', '--jupiter-url', emu.url, '--log-level', 'warn'], {
    PTE_JUPITER_RATE_PER_SEC: '10000',
    PTE_PRICE_TTL_MS: '0',
    PTE_JUPITER_TIMEOUT_MS: '5000',
    PTE_SHUTDOWN_GRACE_MS: '8000',
  });
}

/** grpc.health.v1.Health/Check for the whole server, with hand-encoded messages: 1 SERVING, 2 NOT_SERVING. */
function health(client: Client): Promise<number> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), { deadline: Date.now() + 5_000 }, (err, res) => {
      if (err) reject(err);
      else resolve(res !== undefined && res.length >= 2 && res[0] === 0x08 ? (res[1] ?? 0) : 0);
    });
  });
}

describe('SIGTERM', () => {
  it('drains in-flight trades, reports NOT_SERVING while draining, journals them and exits 0', async () => {
    const server = await startServer();
    const client = createExecutorClient(`127.0.0.1:${server.port}`);
    try {
      await client.waitForReady(5_000);
      expect(await health(client.grpcClient)).toBe(1);
      const exited = new Promise<number | null>((resolve) => server.proc.once('exit', (code) => resolve(code)));

      const requests = Array.from({ length: IN_FLIGHT }, (_, i) => trade({ requestId: randomUUID(), amount: '0.01', portfolioId: `s${i % 4}` }));
      emu.resetRequests();
      const answers = requests.map((r) => client.executeTrade(r, { deadlineMs: 15_000 }).then((res) => res, (e: unknown) => e));
      // Wait until the trades are waiting on their (slow) price: they are in flight.
      while (emu.count() === 0) await new Promise((r) => setTimeout(r, 5));
      server.proc.kill('SIGTERM');
      // Until the SIGTERM handler has run the server may still say SERVING; poll the status.
      let h = 1;
      for (let i = 0; i < 100 && h === 1; i++) {
        h = await health(client.grpcClient);
        if (h === 1) await new Promise((r) => setTimeout(r, 10));
      }
      expect(h).toBe(2);
      const late = await rejection(client.executeTrade(trade({ amount: '0.01' }), { deadlineMs: 5_000 }));
      expect(late.code).toBe(status.UNAVAILABLE);
      expect(late.details).toMatch(/shutting down/);

      const results = await Promise.all(answers);
      for (const r of results) expect(r).toHaveProperty('trade.status', 'TRADE_STATUS_FILLED');
      expect(await exited).toBe(0);
      expect(server.stderr()).toMatch(/pte: stopped/);

      const journaled = new Set<string>();
      await readJournal(dataDir, createTokenRegistry(), (e) => {
        if (e.kind === 'trade') journaled.add(e.trade.requestId);
      });
      for (const r of requests) expect(journaled.has(r.requestId), r.requestId).toBe(true);
    } finally {
      client.close();
      if (server.proc.exitCode === null) server.proc.kill('SIGKILL');
    }
  }, 60_000);
});
