// What one measurement reports, and the arithmetic shared by the two drivers (the raw ceiling's and
// the adapters').

import type { LatencyHistogram } from './histogram.js';

/** How long a measurement warms up and then runs, ms. */
export interface Timing {
  warmupMs: number;
  measureMs: number;
}

/** One client × workload × window measurement, taken in its own process. */
export interface Measurement {
  /** Replies received inside the measured interval. */
  ops: number;
  /** Length of the measured interval, s. */
  seconds: number;
  opsPerSec: number;
  /** Median latency, µs (request issued → reply delivered to the caller). */
  p50Us: number;
  /** 99th percentile latency, µs. */
  p99Us: number;
  /** CPU time of the whole client process (user + system, every thread) per op, µs. */
  cpuUsPerOp: number;
  /** Resident set size of the client process at the end of the interval, MB (10^6 bytes). */
  rssMb: number;
}

/** Bytes per MB in every figure of the report (decimal, like ops/s and µs). */
export const MB = 1e6;

/** Builds the measurement of an interval that ended `elapsedMs` after it began. */
export function summarize(
  histogram: LatencyHistogram,
  ops: number,
  elapsedMs: number,
  cpu: NodeJS.CpuUsage,
): Measurement {
  const seconds = elapsedMs / 1000;
  return {
    ops,
    seconds,
    opsPerSec: ops / seconds,
    p50Us: histogram.percentile(50),
    p99Us: histogram.percentile(99),
    cpuUsPerOp: (cpu.user + cpu.system) / ops,
    rssMb: process.memoryUsage.rss() / MB,
  };
}

/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
