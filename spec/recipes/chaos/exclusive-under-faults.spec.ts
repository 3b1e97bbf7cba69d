// Issue 15, "Exclusive under faults": six contenders — two zookit clients on
// SequentialMicrotaskHandler, two on WorkerThreadsHandler, two kazoo programs
// (kazoo_contender.py) — take one Lock 500 times, then share one Semaphore(maxLeases = 2) 500
// times, on a 3-member ensemble while members are killed, frozen and restarted and sessions are
// expired on the server (fault-injector.ts). Each holder does a fenced critical section
// (critical-section.ts): for the Lock a counter incremented with the version it read, for the
// Semaphore a ledger of the holders inside; the checker (checker.ts) turns the outcomes and the
// server's nodes into counts and violations. Before each, a planted broken recipe run through the
// same harness shows the checker reports overlaps: it can fail.
//
// One file, one ensemble, cases in turn: two chaos files would run at once on jest's two workers
// (6 JVMs and 12 contenders on a 2-core machine). Sequential jest project only (jest.config.js).
// Each run prints its counts and writes them to .build/chaos/<name>.json.

import type { TestingCluster } from '../../../testing/testing-cluster.js';
import { NeverWaitingLock, UncountedSemaphore } from './broken-guards.js';
import {
  DEADLINE_MS,
  FAULTS,
  HOLD,
  SESSION_TIMEOUT_MS,
  SIX_CONTENDERS,
  startChaosEnsemble,
} from './ensemble.js';
import { runChaos } from './harness.js';

let cluster: TestingCluster;

beforeAll(async () => {
  cluster = await startChaosEnsemble();
}, 90_000);
afterAll(async () => {
  await cluster?.close();
});

describe('Lock', () => {
  it('the checker reports overlaps when a planted lock lets every contender in at once', async () => {
    const report = await runChaos({
      name: 'lock-planted-fault',
      cluster,
      mode: 'lock',
      grants: 60,
      contenders: ['zookit-sequential', 'zookit-sequential', 'zookit-worker', 'zookit-worker'],
      guard: (paths) => (zk) => new NeverWaitingLock(zk, paths.guard),
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      hold: HOLD,
      deadlineMs: DEADLINE_MS,
    });
    expect(report.overlaps).toBeGreaterThan(0);
    expect(report.violations.join('\n')).toMatch(
      /BadVersion on the counter: two holders inside the lock at once/,
    );
    // The rest of the checker still agrees with the server: only the refused writes are missing.
    expect(report.counter).toBe(report.committed);
  }, 120_000);

  it('six zookit and kazoo contenders take one Lock 500 times through killed, frozen and expired members, never two inside at once', async () => {
    const report = await runChaos({
      name: 'lock-chaos',
      cluster,
      mode: 'lock',
      grants: 500,
      contenders: SIX_CONTENDERS,
      guard: (paths) => (zk, identifier) => zk.Lock(paths.guard, identifier),
      faults: FAULTS,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      hold: HOLD,
      deadlineMs: DEADLINE_MS,
    });
    expect(report.violations).toEqual([]);
    expect(report.overlaps).toBe(0);
    expect(report.grants).toBe(500);
    expect(report.counter).toBe(report.committed);
    expect(report.leftNodes).toEqual([]);
    expect(report.faults).toBeGreaterThanOrEqual(10);
  }, 180_000);
});

describe('Semaphore(maxLeases = 2)', () => {
  it('the checker reports overlaps when a planted semaphore lets every contender in at once', async () => {
    const report = await runChaos({
      name: 'semaphore-planted-fault',
      cluster,
      mode: 'semaphore',
      grants: 60,
      contenders: ['zookit-sequential', 'zookit-sequential', 'zookit-worker', 'zookit-worker'],
      guard: (paths) => (zk) => new UncountedSemaphore(zk, paths.guard),
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      hold: HOLD,
      deadlineMs: DEADLINE_MS,
    });
    expect(report.overlaps).toBeGreaterThan(0);
    expect(report.violations.join('\n')).toMatch(/entries with more than maxLeases holders inside/);
    expect(report.counter).toBe(report.committed);
  }, 120_000);

  it('six zookit and kazoo contenders share a Semaphore(2) 500 times through killed, frozen and expired members, never more than 2 inside', async () => {
    const report = await runChaos({
      name: 'semaphore-chaos',
      cluster,
      mode: 'semaphore',
      maxLeases: 2,
      grants: 500,
      contenders: SIX_CONTENDERS,
      guard: (paths, maxLeases) => (zk, identifier) => zk.Semaphore(paths.guard, identifier, maxLeases),
      faults: FAULTS,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      hold: HOLD,
      deadlineMs: DEADLINE_MS,
    });
    expect(report.violations).toEqual([]);
    expect(report.overlaps).toBe(0);
    expect(report.grants).toBe(500);
    expect(report.counter).toBe(report.committed);
    expect(report.leftNodes).toEqual([]);
    expect(report.faults).toBeGreaterThanOrEqual(10);
  }, 180_000);
});
