// runChaos: one seeded chaos run, start to finish (docs/chaos.md#the-runner). It starts a 3-member
// ensemble unless given one, draws the fault schedule from the seed, starts every scenario (which
// opens its clients through the runner, behind fault proxies), carries out the schedule for the
// run's length, stops the faults, heals (every member running, a quorum, every proxy passing),
// asks each scenario for its verdict, and closes everything — whatever happened, in a finally.
// The report counts operations, faults by kind, checks and violations, and shows each violation
// with the events around it; `summaryLine` is the one line a run ends with.

import { setMaxListeners } from 'node:events';
import { startTestingCluster, type TestingCluster } from '../testing-cluster.js';
import { ChaosClients } from './chaos-clients.js';
import { type ChaosEventWindow, ChaosTimeline, formatEvent } from './event-log.js';
import { FaultExecutor, type InjectedFault, type SkippedFault } from './fault-executor.js';
import type { ChaosContext, ChaosScenario, ChaosViolation, ScenarioVerdict } from './scenario.js';
import { drawSchedule, FAULT_KINDS, type FaultKind, type ScheduledFault } from './schedule.js';
import { SeededRandom } from './seeded-random.js';

/** Options for {@link runChaos}. */
export interface RunChaosOptions {
  /** The seed the schedule and every scenario's stream are drawn from (32 bits). */
  seed: number;
  /** How long faults are injected while the scenarios work, ms. */
  durationMs: number;
  /** What runs under the faults; names must be unique. */
  scenarios: readonly ChaosScenario[];
  /**
   * The ensemble to run against; by default the runner starts a 3-member one with tickTime 500 ms
   * (session timeouts of 1–10 s allowed) and closes it at the end.
   */
  cluster?: TestingCluster;
  /** The clients' session timeout, ms, which the faults are sized for (default 4000). */
  sessionTimeoutMs?: number;
  /** Only these kinds of fault (default: every kind). */
  faultKinds?: readonly FaultKind[];
  /** Where progress lines go (the run's phases, each violation as found); default: nowhere. */
  report?: (line: string) => void;
  /** A scenario's check() that takes longer is a violation, ms (default 120000). */
  checkTimeoutMs?: number;
  /** Ends the faults early when aborted (Ctrl-C in a CLI); the run still heals, checks and closes. */
  signal?: AbortSignal;
}

/** A violation as reported: which scenario found it, and the events around it. */
export interface ChaosViolationReport extends ChaosViolation {
  /** The scenario that reported it. */
  readonly scenario: string;
  /** The events around `atMs` (or around the start of the check when it has none). */
  readonly events: ChaosEventWindow;
}

/** One scenario's part of the report. */
export interface ScenarioReport extends ScenarioVerdict {
  /** The invariants the scenario checks. */
  readonly invariants: readonly string[];
}

/** What a run found. */
export interface ChaosReport {
  /** The run's seed: `runChaos` with it replays the same schedule. */
  readonly seed: number;
  /** How long the faults ran, ms (measured; at least the requested duration). */
  readonly durationMs: number;
  /** Operations the scenarios made, in total. */
  readonly operations: number;
  /** Faults injected, by kind (kinds never injected are left out). */
  readonly faultsByKind: Partial<Record<FaultKind, number>>;
  /** Every fault injected, in the order they began. */
  readonly faults: readonly InjectedFault[];
  /** Faults of the schedule that did not happen, with the reason. */
  readonly skippedFaults: readonly SkippedFault[];
  /** How many faults the schedule had. */
  readonly scheduledFaults: number;
  /** Invariant checks made, in total. */
  readonly checks: number;
  /** Every violation found, each with the events around it (none: the run passed). */
  readonly violations: readonly ChaosViolationReport[];
  /** Each scenario's verdict, by name. */
  readonly perScenario: Readonly<Record<string, ScenarioReport>>;
  /** `chaos seed=123 4m59s: 18234 operations, faults {kill-member: 5, …}, 9123 checks, 0 violations`. */
  readonly summaryLine: string;
}

/** The session timeout the faults are sized for unless told otherwise, ms. */
export const DEFAULT_CHAOS_SESSION_TIMEOUT_MS = 4000;

/** Options of startChaosCluster. */
export interface ChaosClusterOptions {
  /**
   * Let a rejoining member catch up by DIFF (the server's default) instead of from a snapshot.
   * ZooKeeper before 3.8.4 can lose committed transactions on that path when a member is killed
   * soon after a DIFF sync and then elected (docs/chaos.md#the-ensemble-syncs-from-snapshots):
   * turn it on to test a server, not a client. Default false.
   */
  diffSync?: boolean;
}

/**
 * The runner's own ensemble: tickTime 500 ms lets sessions be 1–10 s, so a cut-off client's
 * session expires within the run, and a member paused for more than syncLimit (5 ticks by default: 2.5 s) is
 * given up by the others. forceSync=no spares a small machine an fsync per write; a SIGKILL loses
 * nothing by it (the page cache outlives the process), only a machine crash would. Rejoining
 * members sync from a snapshot (`forceSnapshotSync`, a key zoo.cfg passes on as the system property
 * zookeeper.forceSnapshotSync) unless `diffSync`: see ChaosClusterOptions.
 */
export function startChaosCluster(options: ChaosClusterOptions = {}): Promise<TestingCluster> {
  const extraConfig: Record<string, string | boolean> = { forceSync: 'no' };
  if (options.diffSync !== true) extraConfig.forceSnapshotSync = true;
  return startTestingCluster({ size: 3, tickTimeMs: 500, extraConfig });
}

/** Runs the scenarios under a seeded fault schedule; resolves with the report, rejects only if the harness fails. */
export async function runChaos(options: RunChaosOptions): Promise<ChaosReport> {
  const names = options.scenarios.map((scenario) => scenario.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new Error(`two scenarios are named '${twice}'`);
  const progress = options.report ?? (() => undefined);
  const sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_CHAOS_SESSION_TIMEOUT_MS;
  const log = new ChaosTimeline();
  const random = new SeededRandom(options.seed);
  const schedule: ScheduledFault[] = drawSchedule({
    random,
    durationMs: options.durationMs,
    sessionTimeoutMs,
    kinds: options.faultKinds,
  });
  progress(
    `chaos seed=${options.seed}: ${schedule.length} faults scheduled over ${formatDuration(options.durationMs)}`,
  );

  const abort = new AbortController();
  // Every scenario's workers wait on this one signal at once: many listeners is the design, not a
  // leak, so Node's warning at 11 would only be noise.
  setMaxListeners(0, abort.signal);
  const violations: ChaosViolationReport[] = [];
  const perScenario: Record<string, ScenarioReport> = {};
  const attempted: ChaosScenario[] = [];
  let cluster = options.cluster;
  let clients: ChaosClients | undefined;
  let executor: FaultExecutor | undefined;
  const violated = (scenario: string, violation: ChaosViolation, aroundMs: number) => {
    const report = { ...violation, scenario, events: log.around(violation.atMs ?? aroundMs) };
    violations.push(report);
    progress(formatViolation(report));
  };
  try {
    if (cluster === undefined) {
      progress('starting a 3-member ensemble');
      cluster = await startChaosCluster();
    }
    const running = cluster;
    const openedClients = new ChaosClients({
      cluster: running,
      random: random.fork('clients'),
      log,
      sessionTimeoutMs,
    });
    clients = openedClients;
    const contexts = new Map<ChaosScenario, ChaosContext>();
    for (const scenario of options.scenarios) {
      const context: ChaosContext = {
        seed: options.seed,
        random: random.fork(`scenario:${scenario.name}`),
        cluster: running,
        log,
        sessionTimeoutMs,
        signal: abort.signal,
        openClient: (request) => openedClients.open(request),
        addSessionTarget: (name, session) => openedClients.addSessionTarget(name, session),
      };
      attempted.push(scenario);
      log.record('runner', `start ${scenario.name}`);
      try {
        await scenario.start(context);
        contexts.set(scenario, context);
      } catch (error) {
        perScenario[scenario.name] = {
          operations: 0,
          checks: 0,
          violations: [],
          invariants: scenario.invariants,
        };
        violated(
          scenario.name,
          { invariant: 'scenario-runs', message: `start() failed: ${messageOf(error)}` },
          log.now(),
        );
      }
    }

    progress(`${contexts.size} scenarios working; faults for ${formatDuration(options.durationMs)}`);
    const originMs = log.now();
    log.record('runner', 'faults start', { scheduled: schedule.length });
    executor = new FaultExecutor({ cluster: running, clients: openedClients, log, originMs });
    executor.start(schedule);
    await faultPhase(options.durationMs, options.signal);
    abort.abort(new Error('the chaos run is over'));
    log.record('runner', 'faults stop');
    await executor.stop();
    const durationMs = Math.round(log.now() - originMs);
    progress('faults stopped; healing the ensemble');
    await executor.heal();

    for (const [scenario, context] of contexts) {
      progress(`checking ${scenario.name}`);
      const checkAt = log.now();
      log.record('runner', `check ${scenario.name}`);
      try {
        const verdict = await withTimeout(scenario.check(context), options.checkTimeoutMs ?? 120_000);
        perScenario[scenario.name] = { ...verdict, invariants: scenario.invariants };
        for (const violation of verdict.violations) violated(scenario.name, violation, checkAt);
      } catch (error) {
        perScenario[scenario.name] = {
          operations: 0,
          checks: 0,
          violations: [],
          invariants: scenario.invariants,
        };
        violated(
          scenario.name,
          { invariant: 'scenario-runs', message: `check() failed: ${messageOf(error)}` },
          checkAt,
        );
      }
    }

    const faultsByKind: Partial<Record<FaultKind, number>> = {};
    for (const kind of FAULT_KINDS) {
      const count = executor.injected.filter((fault) => fault.kind === kind).length;
      if (count > 0) faultsByKind[kind] = count;
    }
    const verdicts = Object.values(perScenario);
    const operations = verdicts.reduce((sum, v) => sum + v.operations, 0);
    const checks = verdicts.reduce((sum, v) => sum + v.checks, 0);
    const report: Omit<ChaosReport, 'summaryLine'> = {
      seed: options.seed,
      durationMs,
      operations,
      faultsByKind,
      faults: [...executor.injected].sort((a, b) => a.atMs - b.atMs),
      skippedFaults: [...executor.skipped].sort((a, b) => a.seq - b.seq),
      scheduledFaults: schedule.length,
      checks,
      violations,
      perScenario,
    };
    return { ...report, summaryLine: summaryLineOf(report) };
  } finally {
    abort.abort(new Error('the chaos run is over'));
    await executor?.stop().catch(() => undefined);
    for (const scenario of attempted) {
      await scenario
        .close()
        .catch((error: unknown) => progress(`${scenario.name}.close() failed: ${messageOf(error)}`));
    }
    await clients?.closeAll();
    if (options.cluster === undefined) await cluster?.close();
  }
}

/** `chaos seed=123 4m59s: 18234 operations, faults {kill-member: 5, …}, 9123 checks, 0 violations`. */
export function summaryLineOf(report: Omit<ChaosReport, 'summaryLine'>): string {
  const faults = Object.entries(report.faultsByKind)
    .map(([kind, count]) => `${kind}: ${count}`)
    .join(', ');
  const count = report.violations.length;
  return (
    `chaos seed=${report.seed} ${formatDuration(report.durationMs)}: ${report.operations} operations, ` +
    `faults {${faults}}, ${report.checks} checks, ${count} ${count === 1 ? 'violation' : 'violations'}`
  );
}

/** A violation with its events, as lines for a console. */
export function formatViolation(violation: ChaosViolationReport): string {
  const at = violation.atMs === undefined ? '' : ` at ${(violation.atMs / 1000).toFixed(3)}s`;
  return [
    `VIOLATION ${violation.invariant} (${violation.scenario})${at}: ${violation.message}`,
    ...violation.events.before.map(formatEvent),
    '  ---------- (the violation) ----------',
    ...violation.events.after.map(formatEvent),
  ].join('\n');
}

/** `4m59s`, `45s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60
    ? `${seconds}s`
    : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** Resolves after `ms`, or as soon as `signal` is aborted. */
function faultPhase(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
