import type { ObservedTrade, PoolState } from './trades.js';

/**
 * What each pool looked like at the end of every slot in which it traded, from the post-trade
 * reserves in the file. "The information available k slots before a trade in slot s" is the state at
 * the end of slot s - k: the post-trade state of the pool's last trade in a slot <= s - k. For k = 0
 * it is the trade's own pre-trade state (exact state), since other trades of slot s may precede it.
 */
export interface PoolHistory {
  /** The state `k` slots before `t`, and the slot it is from; undefined when the file has none. */
  stateBefore(t: ObservedTrade, k: number): { readonly state: PoolState; readonly slot: number } | undefined;
  /** The earlier legs of `t`'s transaction on its pool, in execution (file) order. */
  legsBefore(t: ObservedTrade): readonly ObservedTrade[];
}

interface Timeline {
  readonly slots: number[];
  readonly states: PoolState[];
}

const key = (s: PoolState): string => `${s.base}:${s.quote}`;

export function buildHistory(trades: readonly ObservedTrade[]): PoolHistory {
  const groups = new Map<string, Map<number, ObservedTrade[]>>();
  for (const t of trades) {
    if (!t.post) continue;
    let bySlot = groups.get(t.pool);
    if (!bySlot) groups.set(t.pool, (bySlot = new Map<number, ObservedTrade[]>()));
    const g = bySlot.get(t.slot);
    if (g) g.push(t);
    else bySlot.set(t.slot, [t]);
  }
  const byTx = new Map<string, ObservedTrade[]>();
  for (const t of trades) {
    if (t.tx === undefined) continue;
    const legs = byTx.get(t.tx);
    if (legs) legs.push(t);
    else byTx.set(t.tx, [t]);
  }
  for (const legs of byTx.values()) legs.sort((a, b) => a.line - b.line);
  const timelines = new Map<string, Timeline>();
  for (const [pool, bySlot] of groups) {
    const slots = [...bySlot.keys()].sort((a, b) => a - b);
    timelines.set(pool, { slots, states: slots.map((s) => endOfSlot(bySlot.get(s) ?? [])) });
  }
  return {
    stateBefore(t, k) {
      if (k === 0) return t.pre ? { state: t.pre, slot: t.slot } : undefined;
      const tl = timelines.get(t.pool);
      if (!tl) return undefined;
      const i = lastAtOrBefore(tl.slots, t.slot - k);
      const slot = tl.slots[i];
      const state = tl.states[i];
      return slot === undefined || state === undefined ? undefined : { state, slot };
    },
    legsBefore(t) {
      const legs = t.tx === undefined ? undefined : byTx.get(t.tx);
      return legs ? legs.filter((l) => l.pool === t.pool && l.slot === t.slot && l.line < t.line) : [];
    },
  };
}

/**
 * The state after the last trade of one pool in one slot. The order is recovered from the chain of
 * states, so a file that stores a slot's rows in any order works (in the shipped file, file order
 * within a pool and slot is execution order): the last trade is the one whose post-trade state no
 * other trade of the slot started from. When that does not single one out (a trade missing
 * from the file breaks the chain), the last row in file order is taken.
 */
export function endOfSlot(group: readonly ObservedTrade[]): PoolState {
  const starts = new Map<string, number>();
  for (const t of group) if (t.pre) starts.set(key(t.pre), (starts.get(key(t.pre)) ?? 0) + 1);
  const ends = group.filter((t) => t.post !== undefined && !starts.has(key(t.post)));
  const pick = ends.length === 1 ? ends[0] : [...group].sort((a, b) => a.line - b.line).at(-1);
  if (!pick?.post) throw new Error('endOfSlot: a group without post-trade states');
  return pick.post;
}

/** Index of the last element <= x in ascending `xs`, or -1. */
function lastAtOrBefore(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] ?? Infinity) <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
