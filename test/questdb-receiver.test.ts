import { Sender } from '@questdb/nodejs-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startQuestDbReceiver, type QuestDbReceiver } from './fakes/questdb-receiver.js';

let receiver: QuestDbReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const post = async (r: QuestDbReceiver, body: string): Promise<{ status: number; text: string }> => {
  const res = await fetch(`http://127.0.0.1:${r.port}/write?precision=n`, { method: 'POST', body });
  return { status: res.status, text: await res.text() };
};

describe('the local QuestDB receiver', () => {
  it('accepts well-formed line protocol and keeps the rows', async () => {
    receiver = await startQuestDbReceiver();
    const res = await post(receiver, 'trades,action=BUY trade_id="a",fee=5000i,px=1.5,ok=t 1700000000123000000\n');
    expect(res.status).toBe(204);
    expect(receiver.rows('trades')).toEqual([
      {
        table: 'trades',
        symbols: { action: 'BUY' },
        fields: { trade_id: { type: 'string', value: 'a' }, fee: { type: 'long', value: 5000n }, px: { type: 'double', value: 1.5 }, ok: { type: 'boolean', value: true } },
        timestampUs: 1_700_000_000_123_000n,
      },
    ]);
  });

  const malformed: readonly (readonly [string, string])[] = [
    ['no fields', 'trades,action=BUY 1700000000000000000\n'],
    ['an unterminated string', 'trades trade_id="a 1700000000000000000\n'],
    ['a value of no type', 'trades fee=12abc 1700000000000000000\n'],
    ['an int out of range', 'trades fee=9223372036854775808i 1700000000000000000\n'],
    ['a duplicate column', 'trades a=1i,a=2i 1700000000000000000\n'],
    ['a symbol after a field', 'trades a=1i,action=BUY x 1700000000000000000\n'],
    ['no designated timestamp', 'trades trade_id="a"\n'],
    ['a bad timestamp', 'trades trade_id="a" 17000x\n'],
    ['a column name QuestDB refuses', 'trades a.b=1i 1700000000000000000\n'],
    ['an empty symbol value', 'trades,action= a=1i 1700000000000000000\n'],
  ];
  for (const [what, line] of malformed) {
    it(`rejects a line with ${what} with 400, keeping nothing of the request`, async () => {
      receiver = await startQuestDbReceiver();
      const res = await post(receiver, `trades trade_id="good" 1700000000000000000\n${line}`);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ code: 'invalid', line: 2 });
      expect(receiver.rows()).toEqual([]);
      expect(receiver.stats.rejected).toBe(1);
    });
  }

  it('rejects a column whose type changes between rows (a cast error)', async () => {
    receiver = await startQuestDbReceiver();
    expect((await post(receiver, 'trades fee=1i 1\n')).status).toBe(204);
    expect((await post(receiver, 'trades fee="x" 2\n')).status).toBe(400);
    expect(receiver.rows()).toHaveLength(1);
  });

  it('deduplicates on (timestamp, trade_id) like DEDUP UPSERT KEYS(ts, trade_id)', async () => {
    receiver = await startQuestDbReceiver();
    await post(receiver, 'trades trade_id="a",v=1i 1000\ntrades trade_id="a",v=2i 1000\ntrades trade_id="a",v=3i 2000\n');
    expect(receiver.rows().map((r) => r.fields.v?.value)).toEqual([2n, 3n]);
    expect(receiver.stats.duplicates).toBe(1);
  });

  it('serves /settings so the official client negotiates protocol v2 and its binary doubles parse', async () => {
    receiver = await startQuestDbReceiver();
    const sender = await Sender.fromConfig(`${receiver.conf}auto_flush=off;`);
    await sender.table('trades').symbol('action', 'SELL').stringColumn('trade_id', 'b').floatColumn('px', 0.1).at(1_700_000_000_000n, 'us');
    await sender.flush();
    await sender.close();
    expect(receiver.stats.settings).toBe(1);
    expect(receiver.rows()[0]?.fields.px).toEqual({ type: 'double', value: 0.1 });
  });

  it('reports 400 to the official client as a non-retryable error', async () => {
    receiver = await startQuestDbReceiver({ protocolVersions: [1] });
    const sender = await Sender.fromConfig(`${receiver.conf}auto_flush=off;`);
    await sender.table('trades').intColumn('fee', 1).at(1n, 'us');
    await sender.flush();
    await sender.table('trades').stringColumn('fee', 'x').at(2n, 'us');
    await expect(sender.flush()).rejects.toThrow(/statusCode=400/);
  });

  it('can refuse connections, fail with 500 and stall, then recover', async () => {
    receiver = await startQuestDbReceiver();
    await receiver.setMode('refuse');
    await expect(fetch(`http://127.0.0.1:${receiver.port}/settings`)).rejects.toThrow();
    await receiver.setMode('error');
    expect((await fetch(`http://127.0.0.1:${receiver.port}/settings`)).status).toBe(500);
    await receiver.setMode('stall');
    const stalled = fetch(`http://127.0.0.1:${receiver.port}/settings`, { signal: AbortSignal.timeout(200) });
    await expect(stalled).rejects.toThrow();
    await receiver.setMode('ok');
    expect((await fetch(`http://127.0.0.1:${receiver.port}/settings`)).status).toBe(200);
  });
});
