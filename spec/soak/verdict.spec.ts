// The soak's verdict on made-up samples: a flat run passes; growth above a threshold fails with a
// reason that names the metric, also when it comes in bursts that leave its interval unbounded;
// growth inside the warm-up is not judged; a stalled workload, an unexpected error, a hung step
// or an unclosed client each fail the run.

import type { Sample } from './sampler.js';
import { DEFAULT_RULES, judge } from './verdict.js';

const MIB = 1024 * 1024;

/** One sample a second for `seconds`, flat unless `shape` changes it; operations complete steadily. */
function run(seconds: number, shape: (atMs: number) => Partial<Sample> = () => ({})): Sample[] {
  return Array.from({ length: seconds }, (_, i) => {
    const atMs = (i + 1) * 1000;
    return {
      atMs,
      heapUsed: 30 * MIB + ((i * 7919) % 13) * 1024,
      external: 2 * MIB,
      rss: 100 * MIB,
      handles: 10,
      timers: 12 + (i % 3),
      threads: 12,
      byType: {},
      completed: i * 150,
      gcMs: 10,
      ...shape(atMs),
    };
  });
}

const quiet = { warmupMs: 30_000, unexpectedErrors: 0 };

/** What grows `perMinute` while the process runs, from 30 s to 50 s and after 90 s, by `atMs`. */
function bursts(atMs: number, perMinute: number): number {
  const seconds = atMs / 1000;
  const running = Math.max(0, Math.min(seconds, 50) - 30) + Math.max(0, seconds - 90);
  return (running * perMinute) / 60;
}

describe('judge', () => {
  it('passes a flat run and reports every metric', () => {
    const verdict = judge(run(120), quiet);
    expect(verdict.reasons).toEqual([]);
    expect(verdict.passed).toBe(true);
    expect(verdict.samplesJudged).toBe(91);
    expect(verdict.metrics.map((m) => m.metric)).toEqual([
      'heapUsed',
      'external',
      'rss',
      'handles',
      'timers',
      'threads',
    ]);
  });

  it('fails a heap that grows 2 MiB a minute, naming the metric', () => {
    const verdict = judge(
      run(120, (atMs) => ({ heapUsed: 30 * MIB + (2 * MIB * atMs) / 60_000 })),
      quiet,
    );
    expect(verdict.passed).toBe(false);
    expect(verdict.metrics.find((m) => m.metric === 'heapUsed')?.grew).toBe(true);
    expect(verdict.reasons).toEqual([expect.stringMatching(/^heapUsed grows \+2\.00 MiB\/min/)]);
  });

  it('fails a leak that climbs in steps and plateaus, as on a starved machine, though its interval is unbounded', () => {
    // 5 MiB a minute while the process runs, and it does not run from 50 s to 90 s (the shape a
    // planted leak took at a load of 22): the residuals of a line are long runs.
    const verdict = judge(
      run(150, (atMs) => ({ heapUsed: 30 * MIB + bursts(atMs, 5 * MIB) })),
      quiet,
    );
    const heap = verdict.metrics.find((m) => m.metric === 'heapUsed')!;
    expect(heap.trend.nEffective).toBeLessThan(5);
    expect(heap.trend.low).toBeLessThan(DEFAULT_RULES.heapUsed.thresholdPerMinute);
    expect(heap.grew).toBe(true);
    expect(verdict.reasons).toEqual([
      expect.stringMatching(/^heapUsed grows \+2\.\d\d MiB\/min .*121 samples worth 0\.\d\)/),
    ]);
  });

  it('lets such steps pass when their slope is under twice the threshold', () => {
    const verdict = judge(
      run(150, (atMs) => ({ heapUsed: 30 * MIB + bursts(atMs, 2.5 * MIB) })),
      quiet,
    );
    expect(verdict.metrics.find((m) => m.metric === 'heapUsed')!.trend.nEffective).toBeLessThan(5);
    expect(verdict.passed).toBe(true);
  });

  it('lets a metric grow below its threshold', () => {
    const perMinute = DEFAULT_RULES.timers.thresholdPerMinute / 2;
    const verdict = judge(
      run(120, (atMs) => ({ timers: 12 + Math.floor((perMinute * atMs) / 60_000) })),
      quiet,
    );
    expect(verdict.passed).toBe(true);
  });

  it('does not judge what happens during the warm-up', () => {
    const verdict = judge(
      run(120, (atMs) => ({ heapUsed: 20 * MIB + Math.min(atMs, 30_000) * 300 })),
      quiet,
    );
    expect(verdict.passed).toBe(true);
  });

  it('fails a run whose operations stopped for longer than 30 s', () => {
    const verdict = judge(
      run(120, (atMs) => (atMs > 50_000 && atMs < 90_000 ? { completed: 7000 } : {})),
      quiet,
    );
    expect(verdict.longestStallMs).toBeGreaterThan(30_000);
    expect(verdict.reasons).toEqual([expect.stringMatching(/^no operation completed for \d+ s$/)]);
  });

  it('fails on unexpected errors, a hung step and a client that did not close', () => {
    const verdict = judge(run(120), {
      warmupMs: 30_000,
      unexpectedErrors: 2,
      hung: ['worker lock for 40.0 s'],
      notClosed: ['the worker client and its handler did not close within 15 s'],
    });
    expect(verdict.reasons).toEqual([
      '2 unexpected errors',
      'the workload did not stop: worker lock for 40.0 s',
      'the worker client and its handler did not close within 15 s',
    ]);
  });

  it('refuses to pass a run with too few samples to judge', () => {
    expect(judge(run(35), quiet).reasons).toEqual([expect.stringMatching(/^only 6 samples/)]);
  });
});
