// One chaos run, start to finish, bounded in time and count: lay out the nodes, start the
// contenders (each with its share of the grants), inject faults while they work, then stop the
// faults, heal the ensemble, stop the contenders (clients still open), look for contender nodes
// left behind, read the counter and commits/ and hand everything to the checker. Whatever
// happens, every contender's client or process is closed before it returns or throws.
// The report is printed and written to .build/chaos/<name>.json for the closing note.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SequentialMicrotaskHandler, ZooKeeperClient } from '../../../index.js';
import type { TestingCluster } from '../../../testing/testing-cluster.js';
import { type ChaosReport, checkRun, summarize } from './checker.js';
import {
  type Contender,
  type ContenderKind,
  type GuardFactory,
  KazooContender,
  ZookitContender,
} from './contenders.js';
import { type ChaosPaths, type HoldMs, lockSection, semaphoreSection } from './critical-section.js';
import { FaultInjector, type FaultPlan } from './fault-injector.js';
import { contenderParents, nodesLeft } from './left-nodes.js';

/** A chaos run's shape; times in milliseconds. */
export interface ChaosRunOptions {
  /** Names the report file and the run's root node. */
  name: string;
  cluster: TestingCluster;
  mode: 'lock' | 'semaphore';
  /** Semaphore runs: its maxLeases (default 2). */
  maxLeases?: number;
  /** Grants in total, shared out among the contenders. */
  grants: number;
  contenders: readonly ContenderKind[];
  /** The zookit contenders' Lock or Semaphore on `paths.guard`. */
  guard: (paths: ChaosPaths, maxLeases: number) => GuardFactory;
  /** No faults when undefined. */
  faults?: FaultPlan;
  sessionTimeoutMs: number;
  hold: HoldMs;
  /** The contenders must be done by then; the run is stopped and reported incomplete otherwise. */
  deadlineMs: number;
}

let runs = 0;

/** Runs it and resolves with the checker's report (its `violations` empty when the run passed). */
export async function runChaos(options: ChaosRunOptions): Promise<ChaosReport> {
  const started = performance.now();
  const maxLeases = options.maxLeases ?? (options.mode === 'semaphore' ? 2 : 1);
  const root = `/chaos-${options.name}-${process.pid}-${++runs}`;
  const paths: ChaosPaths = {
    root,
    guard: `${root}/guard`,
    counter: `${root}/counter`,
    ledger: `${root}/ledger`,
    commits: `${root}/commits`,
  };
  const observer = new ZooKeeperClient({
    hosts: options.cluster.connectString,
    handler: new SequentialMicrotaskHandler(),
    sessionTimeout: 10_000,
    connectionRetry: { maxDelay: 500 },
  });
  const contenders: Contender[] = [];
  let injector: FaultInjector | undefined;
  try {
    await observer.start({ timeout: 20_000 });
    await observer
      .transaction()
      .create(root)
      .create(paths.guard)
      .create(paths.counter, '0')
      .create(paths.ledger, JSON.stringify({ entries: 0, inside: [] }))
      .create(paths.commits)
      .commit({ throwOnFailure: true });

    contenders.push(...makeContenders(options, paths, maxLeases));
    await Promise.all(contenders.map((contender) => contender.start()));
    if (options.faults) {
      injector = new FaultInjector(options.cluster, contenders, options.faults);
      injector.start();
    }

    let deadline: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(contenders.map((contender) => contender.finished)).then(() => false),
      new Promise<boolean>((resolve) => {
        deadline = setTimeout(() => resolve(true), options.deadlineMs - (performance.now() - started));
      }),
    ]);
    clearTimeout(deadline);
    await injector?.stop();
    await Promise.all(contenders.map((contender) => contender.stop()));
    const leftNodes = await nodesLeft(
      observer,
      contenderParents(options.mode, paths.guard),
      options.sessionTimeoutMs,
    );

    await observer.sync(root);
    const counter =
      options.mode === 'lock'
        ? Number(String((await observer.get(paths.counter))[0]))
        : (JSON.parse(String((await observer.get(paths.ledger))[0])) as { entries: number }).entries;
    const commitNodes = await observer.getChildren(paths.commits);

    const report = checkRun({
      name: options.name,
      mode: options.mode,
      durationMs: Math.round(performance.now() - started),
      targetGrants: options.grants,
      contenders: contenders.map((c) => ({
        name: c.name,
        kind: c.kind,
        grants: c.grants,
        contention: c.contention,
        reports: c.reports,
        errors: c.errors,
      })),
      faults: {
        total: injector?.faults.length ?? 0,
        byKind: injector?.byKind ?? {},
        failures: injector?.failures ?? [],
      },
      counter,
      commitNodes,
      leftNodes,
      timedOut,
    });
    await publish(report, contenders);
    await observer.delete(root, { recursive: true }).catch(() => undefined);
    return report;
  } finally {
    await injector?.stop().catch(() => undefined);
    await Promise.all(contenders.map((contender) => contender.close()));
    await observer.stop().catch(() => undefined);
  }
}

/** The contenders, in the order given, with the grants shared out as evenly as they go. */
function makeContenders(options: ChaosRunOptions, paths: ChaosPaths, maxLeases: number): Contender[] {
  const count = options.contenders.length;
  const quotaOf = (i: number) => Math.floor(options.grants / count) + (i < options.grants % count ? 1 : 0);
  const guard = options.guard(paths, maxLeases);
  const section =
    options.mode === 'lock'
      ? (zk: ZooKeeperClient, node: string, token: string) =>
          lockSection(zk, paths, node, token, options.hold)
      : (zk: ZooKeeperClient, node: string, token: string) =>
          semaphoreSection(zk, paths, node, token, options.hold, maxLeases);
  const short: Record<ContenderKind, string> = {
    'zookit-sequential': 'zs',
    'zookit-worker': 'zw',
    kazoo: 'kz',
  };
  return options.contenders.map((kind, i) => {
    const name = `${short[kind]}${i + 1}`;
    const common = { hosts: options.cluster.connectString, sessionTimeoutMs: options.sessionTimeoutMs };
    return kind === 'kazoo'
      ? new KazooContender(name, {
          ...common,
          mode: options.mode,
          paths,
          quota: quotaOf(i),
          maxLeases,
          hold: options.hold,
        })
      : new ZookitContender(name, kind, {
          ...common,
          quota: quotaOf(i),
          guard,
          section,
          acquireTimeoutMs: 20_000,
        });
  });
}

/** Prints the summary and writes the full report (with per-contender detail) under .build/chaos/. */
async function publish(report: ChaosReport, contenders: readonly Contender[]): Promise<void> {
  console.log(summarize(report));
  const dir = join(__dirname, '..', '..', '..', '.build', 'chaos');
  await mkdir(dir, { recursive: true });
  const detail = contenders.map((c) => ({
    name: c.name,
    kind: c.kind,
    grants: c.grants,
    errors: c.errors,
    notCommitted: c.reports.filter((r) => r.outcome !== 'committed'),
    ...(c instanceof KazooContender && c.noise.length > 0 ? { stderr: c.noise.join('').slice(-4000) } : {}),
  }));
  await writeFile(join(dir, `${report.name}.json`), `${JSON.stringify({ report, detail }, null, 2)}\n`);
}
