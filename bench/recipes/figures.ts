// Turns the drivers' event logs (contract.ts) into one measurement's figures. The events of every
// process of a measurement share one clock (CLOCK_MONOTONIC minus the runner's base), so a
// hand-off is the next grant minus the previous holder's release call, and a fail-over the next
// leader's election minus the previous leader's resign/close call, whichever process logged them.

import type { DriverResult, RecipeWorkload } from './contract.js';

/** One measurement (one workload, one contender kind, one round). */
export interface RecipeMeasurement {
  /** Grants, fail-overs, increments or consumed items per second. */
  rate: number;
  /** What was counted for `rate`. */
  count: number;
  /** Hand-off (lock) or fail-over (election) latency percentiles, ms. */
  p50Ms?: number;
  p99Ms?: number;
  /** Latencies the percentiles are taken over. */
  samples?: number;
  /** p50 of a plain getData round trip, measured by the same driver before the workload, ms. */
  rttP50Ms: number;
  /** counter: failed compare-and-sets per successful increment. */
  retriesPerOp?: number;
  /** counter: the fewest and most increments of one contender. */
  fairness?: [number, number];
  /** CPU time of every driver process per counted operation, µs. */
  cpuUsPerOp: number;
  /** What the correctness check found: null when it passed. */
  problem: string | null;
}

/** The p-th percentile (0–100) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The median of values (NaN for none). */
export function median(values: readonly number[]): number {
  const sorted = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ms = (ns: number): number => ns / 1e6;

/** What the runner read from the server after the drivers finished. */
export interface AfterRun {
  /** lock: the counter znode's value; counter: the counter's value. */
  value?: number;
  /** queue: entries still in the queue. */
  remaining?: number;
}

/** Figures of one measurement from every process's result; `seconds` is the measured span. */
export function measure(
  workload: RecipeWorkload,
  results: readonly DriverResult[],
  seconds: number,
  after: AfterRun,
): RecipeMeasurement {
  const rtt = results.flatMap((r) => r.rttNs).sort((a, b) => a - b);
  const rttP50Ms = ms(percentile(rtt, 50));
  const figure =
    workload === 'lock'
      ? lock(results, seconds, after, rttP50Ms)
      : workload === 'counter'
        ? counter(results, seconds, after, rttP50Ms)
        : workload === 'queue'
          ? queue(results, seconds, after, rttP50Ms)
          : election(results, seconds, rttP50Ms);
  const cpuNs = results.reduce((sum, r) => sum + r.cpuNs, 0);
  return { ...figure, cpuUsPerOp: figure.count === 0 ? Number.NaN : cpuNs / 1000 / figure.count };
}

function latencies(values: number[]): Pick<RecipeMeasurement, 'p50Ms' | 'p99Ms' | 'samples'> {
  values.sort((a, b) => a - b);
  return { p50Ms: ms(percentile(values, 50)), p99Ms: ms(percentile(values, 99)), samples: values.length };
}

function lock(results: readonly DriverResult[], seconds: number, after: AfterRun, rttP50Ms: number) {
  const grants = results.flatMap((r) => r.grants ?? []).sort((a, b) => a[0] - b[0]);
  const handoffs: number[] = [];
  const problems: string[] = [];
  let overlapping = 0;
  for (let i = 1; i < grants.length; i++) {
    const gap = grants[i]![0] - grants[i - 1]![1];
    if (gap < 0) overlapping++;
    else handoffs.push(gap);
  }
  const overlaps = results.reduce((sum, r) => sum + (r.overlaps ?? 0), 0);
  if (overlapping > 0) problems.push(`${overlapping} grants before the previous holder's release`);
  if (overlaps > 0) problems.push(`${overlaps} counter writes lost to another holder`);
  if (after.value !== grants.length) problems.push(`counter ${after.value} ≠ ${grants.length} grants`);
  return {
    rate: grants.length / seconds,
    count: grants.length,
    ...latencies(handoffs),
    rttP50Ms,
    problem: problems.length === 0 ? null : problems.join('; '),
  };
}

function election(
  results: readonly DriverResult[],
  seconds: number,
  rttP50Ms: number,
): Omit<RecipeMeasurement, 'cpuUsPerOp'> {
  const events: [number, 'elected' | 'resigned'][] = [];
  for (const r of results) {
    for (const t of r.elected ?? []) events.push([t, 'elected']);
    for (const t of r.resigned ?? []) events.push([t, 'resigned']);
  }
  events.sort((a, b) => a[0] - b[0]);
  const failovers: number[] = [];
  // Leaders at once: elections minus resigns so far; more than one is an overlap.
  let open = 0;
  let overlap = 0;
  for (let i = 0; i < events.length; i++) {
    const [t, kind] = events[i]!;
    if (kind === 'resigned') {
      open--;
      continue;
    }
    if (++open > 1) overlap++;
    const previous = events[i - 1];
    if (previous !== undefined && previous[1] === 'resigned') failovers.push(t - previous[0]);
  }
  const resigns = events.filter((e) => e[1] === 'resigned').length;
  return {
    rate: failovers.length / seconds,
    count: failovers.length,
    ...latencies(failovers),
    rttP50Ms,
    problem:
      overlap > 0
        ? `${overlap} elections while another leader had not resigned (of ${resigns} resigns)`
        : null,
  };
}

function counter(results: readonly DriverResult[], seconds: number, after: AfterRun, rttP50Ms: number) {
  const increments = results.flatMap((r) => r.increments ?? []);
  const retries = results.flatMap((r) => r.retries ?? []);
  const total = increments.reduce((a, b) => a + b, 0);
  const tries = retries.reduce((a, b) => a + b, 0);
  return {
    rate: total / seconds,
    count: total,
    rttP50Ms,
    retriesPerOp: total === 0 ? Number.NaN : tries / total,
    fairness: [Math.min(...increments), Math.max(...increments)] as [number, number],
    problem:
      after.value === total ? null : `counter ${after.value} ≠ ${total} increments (lost or double updates)`,
  };
}

function queue(results: readonly DriverResult[], seconds: number, after: AfterRun, rttP50Ms: number) {
  const produced = new Map<string, number>();
  for (const r of results) for (const [index, n] of Object.entries(r.produced ?? {})) produced.set(index, n);
  const made = [...produced.values()].reduce((a, b) => a + b, 0);
  const consumed = results.flatMap((r) => r.consumed ?? []);
  const seen = new Set<string>();
  const problems: string[] = [];
  let duplicates = 0;
  let unknown = 0;
  for (const id of consumed) {
    if (seen.has(id)) duplicates++;
    seen.add(id);
    const [index, n] = id.split('-');
    if (!(Number(n) < (produced.get(index ?? '') ?? 0))) unknown++;
  }
  if (duplicates > 0) problems.push(`${duplicates} items consumed twice`);
  if (unknown > 0) problems.push(`${unknown} consumed items never put`);
  if (after.remaining !== made - seen.size)
    problems.push(`${made} put − ${seen.size} consumed ≠ ${after.remaining} left in the queue`);
  return {
    rate: consumed.length / seconds,
    count: consumed.length,
    rttP50Ms,
    problem: problems.length === 0 ? null : problems.join('; '),
  };
}
