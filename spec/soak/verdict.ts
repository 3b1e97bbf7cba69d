// When a soak fails. Each sampled metric is fitted after the warm-up (trend.ts), and grows when its
// slope's 95% interval lies wholly above the metric's threshold: "the process is gaining at least
// this much a minute, and noise does not explain it". On a starved machine the process works in
// bursts, so even a plain leak climbs in steps and plateaus in wall time; the residuals of a
// straight line then resemble each other so much that the samples are worth fewer than 5
// independent ones and the interval says little or nothing (measured: 90 samples worth 2.5, at a
// load of 22 on 2 cores, around a leak of 4.9 MiB/min). A leak gate errs toward failing there: with
// fewer than 5 effective samples, a slope above twice the threshold fails too, for every metric
// but RSS, which climbs in steps even when nothing leaks (a heap snapshot once lifted it 25 MiB
// at once). The run also fails when its workload stalled (a soak whose operations stopped can
// show no leak), threw errors no fault explains (tally.ts), did not stop when told (a step hung),
// or left a client it started unclosed.
//
// The thresholds, per minute of run, against what runs on this 2-core machine measured (slope
// [95% interval]; clean runs with the default faults, planted runs from planted-leak.ts):
// - heapUsed 1 MiB: the V8 heap after a full collection. Clean: +0.40 [0.32, 0.48] MiB over a
//   2-minute run, +0.20 [0.16, 0.24] over 5 minutes, +0.12 [0.11, 0.13] over 6 minutes with a
//   60 s warm-up; a heap snapshot comparison shows that slow growth is V8 compiling the rarer paths
//   (code, feedback vectors, deoptimization data) and the sampler's own samples (~10 KiB/min),
//   and it fades. 1 MiB/min is 1.4 GiB a day: no service would live a day with it. A state
//   listener of 1 KiB kept per operation measured +14.9 [13.7, 16.1] MiB/min.
// - external 1 MiB: Buffers outside the V8 heap. Clean: within ±0.05 MiB/min of zero. One 1 KiB
//   Buffer kept per operation: +11.8 MiB/min.
// - rss 8 MiB: the allocator keeps freed pages and grows in steps, so RSS is the noisiest series.
//   Clean: +2.6 [2.1, 3.1] MiB/min over 2 minutes, +0.8 [0.6, 1.0] over 5. It is there for what the
//   two above cannot see (native memory, the worker thread's own heap, which the main thread's
//   gc() does not collect); the kept Buffers measured +30.6 [21.4, 39.9] MiB/min.
// - handles 2 and timers 3: counts that go up and down with reconnects, requests in flight and
//   recipe waits. Clean: handles flat; the timers' interval wanders (over every 90-sample window of
//   three clean 5-minute runs its lower end was at most +1.4/min, above +0.9 in 5% of them), so
//   the threshold sits at twice that. One timer or handle left behind per reconnect (one every
//   10 s) is 6/min; a timer kept per operation measured +12,000/min. Slower per-session leftovers
//   are the start/stop cycles' to find (start-stop-cycles.spec.ts: 10,000 sessions, counted exactly).
// - threads 0.5: a worker thread (or any thread) left behind once every two minutes. Clean: flat.

import type { Sample } from './sampler.js';
import { fitTrend, type Trend } from './trend.js';

/** The metrics judged, in report order. */
export const METRICS = ['heapUsed', 'external', 'rss', 'handles', 'timers', 'threads'] as const;
export type Metric = (typeof METRICS)[number];

/** A metric's threshold and unit. */
export interface MetricRule {
  /** Growth per minute above which the metric fails (bytes or a count). */
  readonly thresholdPerMinute: number;
  readonly unit: 'bytes' | 'count';
  /**
   * Whether a slope above twice the threshold fails when the samples are too alike to bound it
   * (see the top). Not for RSS, which climbs in steps even when nothing leaks.
   */
  readonly stepsCount: boolean;
}

const MIB = 1024 * 1024;

/** The default thresholds (see the file's opening comment for why these). */
export const DEFAULT_RULES: Readonly<Record<Metric, MetricRule>> = {
  heapUsed: { thresholdPerMinute: 1 * MIB, unit: 'bytes', stepsCount: true },
  external: { thresholdPerMinute: 1 * MIB, unit: 'bytes', stepsCount: true },
  rss: { thresholdPerMinute: 8 * MIB, unit: 'bytes', stepsCount: false },
  handles: { thresholdPerMinute: 2, unit: 'count', stepsCount: true },
  timers: { thresholdPerMinute: 3, unit: 'count', stepsCount: true },
  threads: { thresholdPerMinute: 0.5, unit: 'count', stepsCount: true },
};

/** Fewer independent samples than this, and the interval alone does not decide (see the top). */
export const MIN_EFFECTIVE_SAMPLES = 5;

/** A stretch without a single completed operation longer than this fails the run, ms. */
export const MAX_STALL_MS = 30_000;

/** One metric's trend and what it means. */
export interface MetricVerdict {
  readonly metric: Metric;
  readonly unit: MetricRule['unit'];
  readonly thresholdPerMinute: number;
  readonly trend: Trend;
  /** The first and last value judged. */
  readonly first: number;
  readonly last: number;
  /**
   * The interval's lower end is above the threshold, or (where the rule counts steps) the samples
   * are worth fewer than MIN_EFFECTIVE_SAMPLES and the slope is above twice the threshold.
   */
  readonly grew: boolean;
}

/** Everything that decides a run. */
export interface Verdict {
  readonly passed: boolean;
  /** Why it failed, one line each; empty when it passed. */
  readonly reasons: readonly string[];
  readonly metrics: readonly MetricVerdict[];
  /** Samples judged (after the warm-up) and the warm-up itself, ms. */
  readonly samplesJudged: number;
  readonly warmupMs: number;
  /** The longest stretch without a completed operation after the warm-up, ms. */
  readonly longestStallMs: number;
}

/** Judges a run's samples; `unexpectedErrors` is the tally's count of errors no fault explains. */
export function judge(
  samples: readonly Sample[],
  options: {
    warmupMs: number;
    unexpectedErrors: number;
    /** Steps of the workload still running long after it was told to stop. */
    hung?: readonly string[];
    /** What the run started and could not close (a client, a proxy, a server), as sentences. */
    notClosed?: readonly string[];
    rules?: Readonly<Record<Metric, MetricRule>>;
  },
): Verdict {
  const rules = options.rules ?? DEFAULT_RULES;
  const judged = samples.filter((s) => s.atMs >= options.warmupMs);
  const times = judged.map((s) => s.atMs);
  const metrics = METRICS.map((metric): MetricVerdict => {
    const values = judged.map((s) => s[metric]);
    const trend = fitTrend(times, values);
    const rule = rules[metric];
    return {
      metric,
      unit: rule.unit,
      thresholdPerMinute: rule.thresholdPerMinute,
      trend,
      first: values[0] ?? Number.NaN,
      last: values[values.length - 1] ?? Number.NaN,
      grew:
        trend.low > rule.thresholdPerMinute ||
        (rule.stepsCount &&
          trend.nEffective < MIN_EFFECTIVE_SAMPLES &&
          trend.slope > 2 * rule.thresholdPerMinute),
    };
  });
  const reasons: string[] = [];
  if (judged.length < 10) reasons.push(`only ${judged.length} samples after the warm-up: nothing to judge`);
  for (const m of metrics) {
    if (m.grew)
      reasons.push(
        `${m.metric} grows ${formatRate(m.trend.slope, m.unit)} (95% CI ${formatRate(m.trend.low, m.unit)} … ` +
          `${formatRate(m.trend.high, m.unit)}, ${m.trend.n} samples worth ${m.trend.nEffective.toFixed(1)}), ` +
          `above ${formatRate(m.thresholdPerMinute, m.unit)}`,
      );
  }
  const longestStallMs = longestStall(judged);
  if (longestStallMs > MAX_STALL_MS)
    reasons.push(`no operation completed for ${(longestStallMs / 1000).toFixed(0)} s`);
  if (options.unexpectedErrors > 0) reasons.push(`${options.unexpectedErrors} unexpected errors`);
  if (options.hung !== undefined && options.hung.length > 0)
    reasons.push(`the workload did not stop: ${options.hung.join('; ')}`);
  for (const problem of options.notClosed ?? []) reasons.push(problem);
  return {
    passed: reasons.length === 0,
    reasons,
    metrics,
    samplesJudged: judged.length,
    warmupMs: options.warmupMs,
    longestStallMs,
  };
}

/** The longest time between two samples across which `completed` did not move, ms. */
function longestStall(samples: readonly Sample[]): number {
  let longest = 0;
  let since = samples[0];
  for (const sample of samples) {
    if (since === undefined || sample.completed !== since.completed) since = sample;
    else longest = Math.max(longest, sample.atMs - since.atMs);
  }
  return longest;
}

/** `+1.23 MiB/min` or `+0.50/min`. */
export function formatRate(perMinute: number, unit: MetricRule['unit']): string {
  if (!Number.isFinite(perMinute)) return perMinute > 0 ? '+∞/min' : '−∞/min';
  const sign = perMinute < 0 ? '−' : '+';
  const magnitude = Math.abs(perMinute);
  if (unit === 'count') return `${sign}${magnitude.toFixed(2)}/min`;
  return `${sign}${formatBytes(magnitude)}/min`;
}

/** Bytes in KiB or MiB, two decimals. */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) >= MIB) return `${(bytes / MIB).toFixed(2)} MiB`;
  return `${(bytes / 1024).toFixed(2)} KiB`;
}
