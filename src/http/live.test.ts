import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Trade } from '../domain/trade.js';
import type { Mark } from '../report/marks.js';
import { sampleTrade } from '../../test/fakes/fake-executor.js';
import { createLiveHub, type LiveSink } from './live.js';

function fakeStreams() {
  const trades = new Map<string, Set<(t: Trade) => void>>();
  const marks = new Map<string, Set<(m: Mark) => void>>();
  const add = <T>(map: Map<string, Set<T>>, id: string, f: T): (() => void) => {
    const set = map.get(id) ?? new Set<T>();
    map.set(id, set);
    set.add(f);
    return () => set.delete(f);
  };
  return {
    subscribe: (id: string, f: (t: Trade) => void) => add(trades, id, f),
    subscribeMarks: (id: string, f: (m: Mark) => void) => add(marks, id, f),
    trade: (t: Trade) => trades.get(t.portfolioId)?.forEach((f) => f(t)),
    subscribers: (id: string) => (trades.get(id)?.size ?? 0) + (marks.get(id)?.size ?? 0),
  };
}

function sink(): LiveSink & { readonly text: string[]; ended: boolean; buffered: number } {
  const s = {
    text: [] as string[],
    ended: false,
    buffered: 0,
    write(t: string) {
      s.text.push(t);
    },
    get writableLength() {
      return s.buffered;
    },
    end() {
      s.ended = true;
    },
  };
  return s;
}

const events = (s: { text: string[] }): { trades: { tradeId: string }[]; droppedTrades?: number }[] =>
  s.text.filter((t) => t.startsWith('data: ')).map((t) => JSON.parse(t.slice(6)) as { trades: { tradeId: string }[]; droppedTrades?: number });

describe('live updates', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends one batch per interval to every watcher, from one subscription per portfolio', () => {
    vi.useFakeTimers();
    const streams = fakeStreams();
    const hub = createLiveHub({ executor: streams, intervalMs: 250 });
    const a = sink();
    const b = sink();
    hub.watch('default', a);
    const detachB = hub.watch('default', b);
    expect(streams.subscribers('default')).toBe(2); // trades + marks, once
    for (let i = 0; i < 5; i++) streams.trade(sampleTrade({ tradeId: `t${i}` }));
    expect(events(a)).toEqual([]);
    vi.advanceTimersByTime(250);
    expect(events(a)).toHaveLength(1);
    expect(events(a)[0]?.trades.map((t) => t.tradeId)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(b.text).toEqual(a.text);
    detachB();
    expect(b.ended).toBe(true);
    hub.close();
    expect(streams.subscribers('default')).toBe(0);
  });

  it('keeps the newest trades of a busy interval and counts the rest', () => {
    vi.useFakeTimers();
    const streams = fakeStreams();
    const hub = createLiveHub({ executor: streams, intervalMs: 250, maxBatch: 3 });
    const a = sink();
    hub.watch('default', a);
    for (let i = 0; i < 10; i++) streams.trade(sampleTrade({ tradeId: `t${i}` }));
    vi.advanceTimersByTime(250);
    expect(events(a)[0]).toMatchObject({ droppedTrades: 7, trades: [{ tradeId: 't7' }, { tradeId: 't8' }, { tradeId: 't9' }] });
    hub.close();
  });

  it('disconnects a watcher that does not read, and unsubscribes when the last one goes', () => {
    vi.useFakeTimers();
    const streams = fakeStreams();
    const hub = createLiveHub({ executor: streams, intervalMs: 250, maxBufferedBytes: 100 });
    const slow = sink();
    hub.watch('default', slow);
    slow.buffered = 1_000;
    streams.trade(sampleTrade());
    vi.advanceTimersByTime(250);
    expect(slow.ended).toBe(true);
    expect(hub.watchers).toBe(0);
    expect(streams.subscribers('default')).toBe(0);
    hub.close();
  });
});
