// Bytes the JS heap allocated over an interval, for the benchmark's allocation-per-request figure.
// V8 exposes no allocation counter, but v8.GCProfiler reports the used heap before and after every
// collection: what was allocated is the growth from one collection's end to the next one's start,
// summed, plus the growth since the last. Cheap enough to leave on in a measurement (it records
// only at collections). Old-space allocation that a concurrent marker frees without a pause is
// counted as the heap's growth too, so it is an upper bound by a little, the same for every build.

import v8 from 'node:v8';

/** What the JS heap allocated in an interval. */
export interface AllocationCount {
  /** Bytes allocated on the JS heap (external memory such as Buffer contents excluded). */
  bytes: number;
  /** Scavenges (young generation collections) in the interval. */
  minorGcs: number;
  /** Mark-compacts (full collections) in the interval. */
  majorGcs: number;
}

interface GcRecord {
  gcType: string;
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

/** Starts counting now; `stop()` returns the count since (call it once). */
export function startAllocationMeter(): { stop(): AllocationCount } {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const startUsed = v8.getHeapStatistics().used_heap_size;
  return {
    stop(): AllocationCount {
      const endUsed = v8.getHeapStatistics().used_heap_size;
      const gcs = (profiler.stop()?.statistics ?? []) as GcRecord[];
      let bytes = 0;
      let from = startUsed;
      for (const gc of gcs) {
        bytes += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - from);
        from = gc.afterGC.heapStatistics.usedHeapSize;
      }
      bytes += Math.max(0, endUsed - from);
      return {
        bytes,
        minorGcs: gcs.filter((g) => g.gcType === 'Scavenge' || g.gcType === 'MinorMarkCompact').length,
        majorGcs: gcs.filter((g) => g.gcType === 'MarkSweepCompact').length,
      };
    },
  };
}
