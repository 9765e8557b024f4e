/**
 * Bytes allocated on the V8 heap over a stretch of work, for "allocated bytes per trade". Node 20 has
 * no allocation counter, so it is read off the collector: v8.GCProfiler reports the used heap before
 * and after every collection in the window, and what was allocated is what each collection freed plus
 * how far the used heap grew from the start to the end:
 *
 *   allocated = (used at the end - used at the start) + sum over collections of (used before - used after)
 *
 * Exact up to what V8 counts as "used" (objects promoted, not copied, count once), and independent of
 * --expose-gc. Retained bytes (heap growth after a forced collection) are a different figure, which
 * bench/inprocess.ts reports beside it.
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';

export interface AllocationMeter {
  /** Bytes allocated since the meter started; stops it. */
  stop(): number;
}

interface GcStats {
  readonly beforeGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
  readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
}

export function startAllocationMeter(): AllocationMeter {
  const profiler = new GCProfiler();
  profiler.start();
  const usedAtStart = getHeapStatistics().used_heap_size;
  return {
    stop() {
      const usedAtEnd = getHeapStatistics().used_heap_size;
      const data = profiler.stop() as { statistics?: readonly GcStats[] } | undefined;
      let freed = 0;
      for (const gc of data?.statistics ?? []) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
      return usedAtEnd - usedAtStart + freed;
    },
  };
}
