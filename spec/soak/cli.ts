// `npm run soak -- --minutes M`: runs the soak (runner.ts), prints one summary line, writes the
// whole report (every sample included) to .build/soak/, and exits 0 when it passed, 1 when
// something grew (or the workload stalled or threw what no fault explains), 2 when it could not
// run. Options:
//   --minutes M           length of the run, warm-up included (default 2)
//   --warmup S            seconds not judged at the start (default 10% of the run, 30–180 s)
//   --seed N              the run's seed (default: a fresh one, printed)
//   --ops N               mixed operations per second per client (default 100)
//   --reconnect-every S   mean seconds between connection cuts (default 10; 0: none)
//   --expire-every S      mean seconds between session expiries (default 45; 0: none)
//   --ensemble            a 3-member ensemble instead of one standalone server
//   --plant KIND          plant a leak (listener, timer, buffer): the run must then fail
//   --out FILE            where the JSON report goes (default .build/soak/soak-<time>.json)
//   --heap-snapshots      write heap snapshots after the warm-up and at the end, next to the
//                         report, to compare in Chrome DevTools when the heap grows
// Run with node --expose-gc (the npm script does); without it the sampler turns the flag on itself.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PLANTED_LEAKS, type PlantedLeakKind } from './planted-leak.js';
import { runSoak, type SoakOptions, type SoakReport } from './runner.js';
import { formatBytes, formatRate, type MetricVerdict } from './verdict.js';

/** The repository root: this file runs as .build/spec/soak/cli.js. */
const REPO_ROOT = join(__dirname, '..', '..', '..');

class UsageError extends Error {}

function readOptions(argv: readonly string[]): { soak: SoakOptions; out: string } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      minutes: { type: 'string', default: '2' },
      warmup: { type: 'string' },
      seed: { type: 'string' },
      ops: { type: 'string', default: '100' },
      'reconnect-every': { type: 'string', default: '10' },
      'expire-every': { type: 'string', default: '45' },
      ensemble: { type: 'boolean', default: false },
      plant: { type: 'string' },
      out: { type: 'string' },
      'heap-snapshots': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const number = (name: string, text: string | undefined, min: number): number => {
    const value = Number(text);
    if (text === undefined || text === '' || !Number.isFinite(value) || value < min)
      throw new UsageError(`--${name} must be a number ≥ ${min}, got ${text}`);
    return value;
  };
  const durationMs = number('minutes', values.minutes, 0.1) * 60_000;
  const warmupMs =
    values.warmup === undefined
      ? Math.min(180_000, Math.max(30_000, durationMs / 10))
      : number('warmup', values.warmup, 0) * 1000;
  if (warmupMs >= durationMs) throw new UsageError('the warm-up must be shorter than the run');
  const plant = values.plant;
  if (plant !== undefined && !PLANTED_LEAKS.includes(plant as PlantedLeakKind))
    throw new UsageError(`--plant must be one of ${PLANTED_LEAKS.join(', ')}, got ${plant}`);
  const seed =
    values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number('seed', values.seed, 0) >>> 0;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = resolve(values.out ?? join(REPO_ROOT, '.build', 'soak', `soak-${stamp}.json`));
  if (values['heap-snapshots']) mkdirSync(dirname(out), { recursive: true });
  return {
    soak: {
      durationMs,
      warmupMs,
      seed,
      opsPerSecond: number('ops', values.ops, 1),
      reconnectEveryMs: number('reconnect-every', values['reconnect-every'], 0) * 1000,
      expireEveryMs: number('expire-every', values['expire-every'], 0) * 1000,
      ensemble: values.ensemble === true,
      leak: plant as PlantedLeakKind | undefined,
      heapSnapshotDir: values['heap-snapshots'] ? dirname(out) : undefined,
      log: (line) => console.log(`soak: ${line}`),
    },
    out,
  };
}

/** `heapUsed +0.12 MiB/min [−0.05, +0.29] (limit 1.00 MiB)`. */
function describeMetric(m: MetricVerdict): string {
  const limit = m.unit === 'bytes' ? formatBytes(m.thresholdPerMinute) : m.thresholdPerMinute.toFixed(2);
  return (
    `${m.metric} ${formatRate(m.trend.slope, m.unit)} ` +
    `[${formatRate(m.trend.low, m.unit).replace('/min', '')}, ${formatRate(m.trend.high, m.unit).replace('/min', '')}]` +
    `${m.grew ? ' GROWS' : ''} (limit ${limit})`
  );
}

/** The one line a run ends with. */
function summaryLine(report: SoakReport): string {
  const { verdict, faults, options } = report;
  const errors = Object.values(report.errorsByName).reduce((a, b) => a + b, 0);
  return [
    `soak: ${verdict.passed ? 'PASSED' : 'FAILED'} ${(report.elapsedMs / 60_000).toFixed(1)} min ` +
      `(seed ${options.seed}, ${options.ensemble ? 'ensemble' : 'standalone'}, sequential+worker` +
      `${options.leak ? `, planted ${options.leak} leak` : ''}): ` +
      `${report.operations.toLocaleString('en-US')} ops, ${errors} errors (${report.unexpectedErrors.length > 0 ? 'some' : 'none'} unexpected), ` +
      `${report.events.toLocaleString('en-US')} events, ${faults.reconnects} reconnects, ${faults.expiries} expiries; ` +
      `per min after ${verdict.warmupMs / 1000} s warm-up (${verdict.samplesJudged} samples):`,
    ...verdict.metrics.map(describeMetric),
    ...(verdict.reasons.length > 0 ? [`why: ${verdict.reasons.join('; ')}`] : []),
    ...(report.harnessWarnings.length > 0 ? [`harness warning: ${report.harnessWarnings.join('; ')}`] : []),
  ].join(' | ');
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof readOptions>;
  try {
    parsed = readOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`soak: ${(error as Error).message}`);
    return 2;
  }
  const report = await runSoak(parsed.soak);
  mkdirSync(dirname(parsed.out), { recursive: true });
  writeFileSync(parsed.out, `${JSON.stringify(report, null, 1)}\n`);
  for (const line of report.unexpectedErrors) console.log(`soak: unexpected error: ${line}`);
  console.log(summaryLine(report));
  console.log(`soak: report written to ${parsed.out}`);
  return report.verdict.passed ? 0 : 1;
}

// Exits at once when done: something the run could not close (reported above) would otherwise
// keep the process alive.
main().then(
  (code) => process.exit(code),
  (error) => {
    console.error('soak: could not run:', error);
    process.exit(2);
  },
);
