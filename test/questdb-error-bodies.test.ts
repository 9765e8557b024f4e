/**
 * QuestDB's error answers reach the logs (and `pte export questdb`'s message) trimmed and without
 * credentials. The upstream here is what a misconfigured proxy in front of QuestDB can be: it answers
 * /write with an error whose body echoes every request header, Authorization included, followed by
 * a long tail. The recorder (502: retried; 400: the row is dropped) and the backfill talk to it over
 * real HTTP with the official client, which sends Basic or Bearer credentials from the conf.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trade } from '../src/domain/trade.js';
import { createTokenRegistry } from '../src/domain/tokens.js';
import { sampleTrade } from './fakes/fake-executor.js';
import { backfillQuestDb, BackfillError } from '../src/store/questdb/backfill.js';
import { createQuestDbRecorder, type RecorderLog } from '../src/store/questdb/recorder.js';
import { startTestServer, trade as tradeRequest } from './support.js';

const USER = `pte-${randomUUID().slice(0, 8)}`;
const PASSWORD = `pw-${randomUUID()}`;
const TOKEN = `tok-${randomUUID()}`;
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
/** Longest error text a log line may carry, plus room for the note saying how much was cut. */
const MAX_ERROR_CHARS = 512 + 64;

/** 502 (a proxy's Bad Gateway) and 400 are answered at once; the client retries 500, 503, 504 inside a flush. */
let status = 502;
let upstream: Server;
let addr = '';

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/settings') === true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ config: { 'line.proto.support.versions': [1, 2] } }));
        return;
      }
      const headers = Object.entries(req.headers)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join('\r\n');
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`proxy error; your request was:\r\n${headers}\r\nquery: password=${PASSWORD}&token=${TOKEN}\r\n${'x'.repeat(5_000)}`);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  addr = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => upstream.close(r));
});

/** Every log call as one JSON line. */
function capture(): { log: RecorderLog; lines: string[] } {
  const lines: string[] = [];
  const push = (obj: object, msg?: string): void => void lines.push(JSON.stringify({ ...obj, msg }));
  return { log: { info: push, warn: push, error: push }, lines };
}

function expectClean(text: string): void {
  for (const secret of [PASSWORD, TOKEN, BASIC]) expect(text).not.toContain(secret);
}

/** The error texts of the logged lines (the `err` field). */
const errTexts = (lines: readonly string[]): string[] =>
  lines.map((l) => (JSON.parse(l) as { err?: unknown }).err).filter((e): e is string => typeof e === 'string');

let seq = 0;
const trade = (): Trade => sampleTrade({ tradeId: randomUUID(), executedAtMs: 1_700_000_000_000 + seq++ });

describe('QuestDB error bodies in logs', () => {
  for (const [label, code] of [
    ['502 (retried)', 502],
    ['400 (row dropped)', 400],
  ] as const) {
    for (const [auth, creds] of [
      ['Basic', `username=${USER};password=${PASSWORD};`],
      ['Bearer', `token=${TOKEN};`],
    ] as const) {
      it(`an upstream echoing the ${auth} Authorization header in a ${label} is logged trimmed and without credentials`, async () => {
        status = code;
        const { log, lines } = capture();
        const rec = createQuestDbRecorder({
          conf: `http::addr=${addr};${creds}request_timeout=500;retry_timeout=300;`,
          queueCap: 100,
          flushRows: 10,
          flushIntervalMs: 20,
          backoffMinMs: 20,
          backoffMaxMs: 50,
          log,
        });
        rec.record(trade());
        const report = await rec.close(1_000);
        expect(report.sent).toBe(0);
        const errs = errTexts(lines);
        expect(errs.length).toBeGreaterThan(0);
        // The status stays readable: it says what happened.
        expect(errs.some((e) => e.includes(`statusCode=${code}`))).toBe(true);
        for (const e of errs) expect(e.length).toBeLessThanOrEqual(MAX_ERROR_CHARS);
        expectClean(lines.join('\n'));
      });
    }
  }

  it('pte export questdb: the error that stops the backfill is trimmed and without credentials', async () => {
    status = 502;
    const dataDir = mkdtempSync(join(tmpdir(), 'pte-qdb-body-'));
    try {
      const server = await startTestServer({ dataDir });
      try {
        await server.client.executeTrade(tradeRequest({ amount: '0.01' }));
      } finally {
        await server.stop();
      }
      const err = await backfillQuestDb({
        conf: `http::addr=${addr};username=${USER};password=${PASSWORD};request_timeout=500;retry_timeout=300;`,
        dataDir,
        tokens: createTokenRegistry(),
        attempts: 1,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BackfillError);
      const message = (err as BackfillError).message;
      expect(message).toContain('statusCode=502');
      expect(message.length).toBeLessThanOrEqual(MAX_ERROR_CHARS + 100);
      expectClean(message);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
