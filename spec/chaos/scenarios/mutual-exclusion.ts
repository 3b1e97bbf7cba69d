// Invariant 1 of issue 18, mutual exclusion, as a chaos-runner scenario: the Recipes-I chaos
// (spec/recipes/chaos/) — contenders taking a recipe over and over and doing a fenced critical
// section inside — for Lock (a fenced counter), ReadLock/WriteLock and Semaphore (a ledger of the
// holders inside; readers may share, a writer excludes everyone, at most maxLeases share a
// Semaphore). zookit contenders run on both handlers through the runner's clients, so its faults
// (black-holes, lost replies, terminated worker threads, a blocked main thread, …) reach them;
// kazoo contenders (kazoo_contender.py, same znode layout) take the same recipe beside them and
// are registered as session targets, so the runner expires their sessions too.
//
// The check stops every contender, waits for contender nodes of dying sessions to go, reads the
// counter, the ledger and the commits from the server and hands it all to the Recipes-I checker
// (checker.ts). Every overlap is recorded in the run's event log when it happens, so a violation
// is reported with the faults and state changes around it.

import type { ZooKeeperClient } from '../../../index.js';
import type {
  ChaosClient,
  ChaosContext,
  ChaosScenario,
  ChaosViolation,
  ScenarioVerdict,
} from '../../../testing/index.js';
import { type ChaosMode, checkRun } from '../../recipes/chaos/checker.js';
import {
  type Contender,
  type ContenderKind,
  type GuardFactory,
  KazooContender,
  type KazooMode,
  ZookitContender,
} from '../../recipes/chaos/contenders.js';
import {
  type ChaosPaths,
  type HoldMs,
  type LockSide,
  lockSection,
  readWriteSection,
  type SectionReport,
  semaphoreSection,
} from '../../recipes/chaos/critical-section.js';
import { HOLD } from '../../recipes/chaos/ensemble.js';
import { contenderParents, nodesLeft } from '../../recipes/chaos/left-nodes.js';

/** The invariant this scenario checks. */
export const MUTUAL_EXCLUSION = 'mutual-exclusion';

/** The recipes it can run. */
export type ExclusionRecipe = 'lock' | 'read-write' | 'semaphore';

/** Options for {@link mutualExclusionScenario}. */
export interface MutualExclusionOptions {
  /** Default 'mutual-exclusion'. */
  name?: string;
  /** Default all three. */
  recipes?: readonly ExclusionRecipe[];
  /** kazoo contenders beside zookit's (default true). */
  kazoo?: boolean;
  /** zookit's Lock contenders take this guard instead (the planted-fault test's broken lock). */
  lockGuard?: (paths: ChaosPaths) => GuardFactory;
  /** The Semaphore's maxLeases (default 2). */
  maxLeases?: number;
  /** Time inside, ms (default Recipes I's 20–40 ms). */
  hold?: HoldMs;
}

/** One contender of a recipe: where it runs, and for ReadLock/WriteLock its side. */
interface Seat {
  id: string;
  kind: ContenderKind;
  side?: LockSide;
}

/** Each recipe's contenders: both handlers, and kazoo where its recipe is sound. */
const SEATS: Record<ExclusionRecipe, readonly Seat[]> = {
  lock: [
    { id: 'zs', kind: 'zookit-sequential' },
    { id: 'zw', kind: 'zookit-worker' },
    { id: 'kz', kind: 'kazoo' },
  ],
  // No kazoo reader: kazoo 2.8.0's ReadLock (Debian's) takes the last writer on the path as its
  // predecessor, even one queued after it, and deadlocks with it (python-zk/kazoo#649, fixed in
  // 2.9.0). Its WriteLock is sound, and takes its turn among zookit's readers and writers.
  'read-write': [
    { id: 'r-zs', kind: 'zookit-sequential', side: 'read' },
    { id: 'r-zw', kind: 'zookit-worker', side: 'read' },
    { id: 'w-zs', kind: 'zookit-sequential', side: 'write' },
    { id: 'w-zw', kind: 'zookit-worker', side: 'write' },
    { id: 'w-kz', kind: 'kazoo', side: 'write' },
  ],
  semaphore: [
    { id: 'zs', kind: 'zookit-sequential' },
    { id: 'zw', kind: 'zookit-worker' },
    { id: 'kz', kind: 'kazoo' },
  ],
};

const MODE: Record<ExclusionRecipe, ChaosMode> = {
  lock: 'lock',
  'read-write': 'read-write',
  semaphore: 'semaphore',
};

/** One recipe's run within the scenario. */
interface Part {
  recipe: ExclusionRecipe;
  paths: ChaosPaths;
  contenders: Contender[];
  /** When the first overlap was reported, ms since the run started. */
  firstOverlapAtMs?: number;
}

let scenarios = 0;

/** The mutual-exclusion scenario (see the file's opening comment). */
export function mutualExclusionScenario(options: MutualExclusionOptions = {}): ChaosScenario {
  const name = options.name ?? MUTUAL_EXCLUSION;
  const recipes = options.recipes ?? (['lock', 'read-write', 'semaphore'] as const);
  const maxLeases = options.maxLeases ?? 2;
  const hold = options.hold ?? HOLD;
  const parts: Part[] = [];
  let observer: ChaosClient;
  let root = '';

  function makeContender(context: ChaosContext, part: Part, seat: Seat): Promise<Contender> {
    const contenderName = `${name}-${part.recipe}-${seat.id}`;
    const onReport = (report: SectionReport) => {
      if (report.outcome === 'committed') return;
      const event = context.log.record(contenderName, `section ${report.outcome}`, {
        token: report.token,
        ...(report.detail === undefined ? {} : { detail: report.detail }),
      });
      if (report.outcome === 'overlap') part.firstOverlapAtMs ??= event.atMs;
    };
    if (seat.kind === 'kazoo') {
      const mode: KazooMode = part.recipe === 'read-write' ? (seat.side as LockSide) : part.recipe;
      const contender = new KazooContender(contenderName, {
        hosts: context.cluster.connectString,
        mode,
        paths: part.paths,
        quota: 1_000_000_000,
        maxLeases,
        sessionTimeoutMs: context.sessionTimeoutMs,
        hold,
        onReport,
      });
      context.addSessionTarget(contenderName, () => contender.session);
      return Promise.resolve(contender);
    }
    const paths = part.paths;
    const guard: GuardFactory =
      part.recipe === 'lock'
        ? (options.lockGuard?.(paths) ?? ((zk, id) => zk.Lock(paths.guard, id)))
        : part.recipe === 'semaphore'
          ? (zk, id) => zk.Semaphore(paths.guard, id, maxLeases)
          : seat.side === 'read'
            ? (zk, id) => zk.ReadLock(paths.guard, id)
            : (zk, id) => zk.WriteLock(paths.guard, id);
    const section =
      part.recipe === 'lock'
        ? (zk: ZooKeeperClient, node: string, token: string) => lockSection(zk, paths, node, token, hold)
        : part.recipe === 'semaphore'
          ? (zk: ZooKeeperClient, node: string, token: string) =>
              semaphoreSection(zk, paths, node, token, hold, maxLeases)
          : (zk: ZooKeeperClient, node: string, token: string) =>
              readWriteSection(zk, paths, node, token, hold, seat.side as LockSide);
    return context
      .openClient({
        name: contenderName,
        handler: seat.kind === 'zookit-worker' ? 'worker' : 'sequential',
        client: { requestTimeout: 10_000 },
      })
      .then(
        (client) =>
          new ZookitContender(contenderName, seat.kind as 'zookit-sequential' | 'zookit-worker', {
            client: client.zk,
            quota: Number.POSITIVE_INFINITY,
            guard,
            section,
            acquireTimeoutMs: 20_000,
            onReport,
          }),
      );
  }

  async function checkPart(context: ChaosContext, part: Part): Promise<ScenarioVerdict> {
    const zk = observer.zk;
    const mode = MODE[part.recipe];
    const leftNodes = await nodesLeft(zk, contenderParents(mode, part.paths.guard), context.sessionTimeoutMs);
    await zk.sync(part.paths.root);
    const counter =
      mode === 'lock'
        ? Number(String((await zk.get(part.paths.counter))[0]))
        : (JSON.parse(String((await zk.get(part.paths.ledger))[0])) as { entries: number }).entries;
    const commitNodes = await zk.getChildren(part.paths.commits);
    const report = checkRun({
      name: `${name}-${part.recipe}`,
      mode,
      durationMs: 0,
      targetGrants: 0, // no quota: the contenders work until the run stops them
      contenders: part.contenders.map((c) => ({
        name: c.name,
        kind: c.kind,
        grants: c.grants,
        contention: c.contention,
        reports: c.reports,
        errors: c.errors,
      })),
      faults: { total: 0, byKind: {}, failures: [] },
      counter,
      commitNodes,
      leftNodes,
      timedOut: false,
    });
    const violations: ChaosViolation[] = report.violations.map((message) => ({
      invariant: MUTUAL_EXCLUSION,
      message: `${part.recipe}: ${message}`,
      ...(message.includes('inside') && part.firstOverlapAtMs !== undefined
        ? { atMs: part.firstOverlapAtMs }
        : {}),
    }));
    // A run in which nobody got in proves nothing about exclusion.
    if (report.grants === 0)
      violations.push({
        invariant: MUTUAL_EXCLUSION,
        message: `${part.recipe}: not one grant in the whole run`,
      });
    const sections = part.contenders.reduce((sum, c) => sum + c.reports.length, 0);
    return {
      operations: 2 * report.grants + sections,
      // Each outcome classified, each commit node accounted for, the counter against the commits,
      // each contender parent looked through.
      checks: sections + commitNodes.length + 1 + contenderParents(mode, part.paths.guard).length,
      violations,
      counts: {
        [`${part.recipe}.grants`]: report.grants,
        // The fewest any one contender got: 0 means someone starved (a deadlock shows here first).
        [`${part.recipe}.fewestGrants`]: Math.min(...part.contenders.map((c) => c.grants)),
        [`${part.recipe}.committed`]: report.committed,
        [`${part.recipe}.overlaps`]: report.overlaps,
        [`${part.recipe}.fenced`]: report.rejectedFencedWrites,
        [`${part.recipe}.ambiguous`]: report.outcomes.ambiguous,
        [`${part.recipe}.ambiguousCommitted`]: report.ambiguousCommitted,
      },
    };
  }

  return {
    name,
    invariants: [MUTUAL_EXCLUSION],

    async start(context) {
      root = `/chaos-${name}-${context.seed}-${process.pid}-${++scenarios}`;
      observer = await context.openClient({
        name: `${name}-observer`,
        handler: 'sequential',
        proxied: false,
      });
      const transaction = observer.zk.transaction().create(root);
      for (const recipe of recipes) {
        const base = `${root}/${recipe}`;
        const paths: ChaosPaths = {
          root: base,
          guard: `${base}/guard`,
          counter: `${base}/counter`,
          ledger: `${base}/ledger`,
          commits: `${base}/commits`,
        };
        transaction
          .create(base)
          .create(paths.guard)
          .create(paths.counter, '0')
          .create(paths.ledger, JSON.stringify({ entries: 0, inside: [] }))
          .create(paths.commits);
        parts.push({ recipe, paths, contenders: [] });
      }
      await transaction.commit({ throwOnFailure: true });
      for (const part of parts) {
        const seats = SEATS[part.recipe].filter((seat) => seat.kind !== 'kazoo' || (options.kazoo ?? true));
        for (const seat of seats) part.contenders.push(await makeContender(context, part, seat));
      }
      for (const part of parts) await Promise.all(part.contenders.map((contender) => contender.start()));
      context.log.record(name, 'contenders working', {
        contenders: parts.reduce((sum, part) => sum + part.contenders.length, 0),
      });
    },

    async check(context) {
      await Promise.all(parts.flatMap((part) => part.contenders.map((contender) => contender.stop())));
      const verdicts = await Promise.all(parts.map((part) => checkPart(context, part)));
      await observer.zk.delete(root, { recursive: true }).catch(() => undefined);
      return {
        operations: verdicts.reduce((sum, v) => sum + v.operations, 0),
        checks: verdicts.reduce((sum, v) => sum + v.checks, 0),
        violations: verdicts.flatMap((v) => v.violations),
        counts: Object.assign({}, ...verdicts.map((v) => v.counts)),
      };
    },

    async close() {
      await Promise.all(parts.flatMap((part) => part.contenders.map((contender) => contender.close())));
    },
  };
}
