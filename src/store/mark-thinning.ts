/**
 * Which marks of a series a report reads: the range's marks, thinned by min-max buckets when there
 * are more than the report can draw. Pure and shared by every ledger store (the file journal's mark
 * index, PostgreSQL), so the same marks give the same chart whichever store holds them.
 */

/** A series of marks in time order, as positions 0..count-1: only their times and values are read. */
export interface MarkSeries {
  readonly count: number;
  /** Times never decrease along the series. */
  atMs(position: number): number;
  /** The mark's USD value as a double: for choosing marks only, never as money. */
  value(position: number): number;
}

/** Number of marks among the first `upTo` with atMs <= ms (binary search: times never decrease). */
function countAtOrBefore(series: MarkSeries, ms: number, upTo: number): number {
  let lo = 0;
  let hi = upTo;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (series.atMs(mid) <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Positions of the range's marks: the last mark at or before `fromMs` (else the first), through the
 * last one at or before `toMs`. At most `limit` (at least 4) positions: beyond that, the first and
 * last are kept and the rest is cut into buckets, each giving its lowest and highest value, so no
 * peak or trough of the curve is dropped. `inRange` counts all of them.
 */
export function selectMarks(series: MarkSeries, fromMs: number | undefined, toMs: number | undefined, limit: number): { readonly positions: number[]; readonly inRange: number } {
  const n = series.count;
  const end = (toMs === undefined ? n : countAtOrBefore(series, toMs, n)) - 1;
  if (end < 0) return { positions: [], inRange: 0 };
  const start = fromMs === undefined ? 0 : Math.max(0, countAtOrBefore(series, fromMs, end + 1) - 1);
  const inRange = end - start + 1;
  if (inRange <= limit) return { positions: Array.from({ length: inRange }, (_, k) => start + k), inRange };
  const positions = [start];
  const inner = inRange - 2;
  const buckets = Math.max(1, Math.floor((Math.max(4, limit) - 2) / 2));
  for (let b = 0; b < buckets; b++) {
    const lo = start + 1 + Math.floor((b * inner) / buckets);
    const hi = start + 1 + Math.floor(((b + 1) * inner) / buckets);
    if (lo >= hi) continue;
    let min = lo;
    let max = lo;
    for (let i = lo + 1; i < hi; i++) {
      if (series.value(i) < series.value(min)) min = i;
      if (series.value(i) > series.value(max)) max = i;
    }
    if (min === max) positions.push(min);
    else positions.push(Math.min(min, max), Math.max(min, max));
  }
  positions.push(end);
  return { positions, inRange };
}

/** A mark's value as the thinning reads it: the exact ratio as a double (0 when it is not finite). */
export function markValue(valueUsd: { readonly n: bigint; readonly d: bigint }): number {
  const value = Number(valueUsd.n) / Number(valueUsd.d);
  return Number.isFinite(value) ? value : 0;
}
