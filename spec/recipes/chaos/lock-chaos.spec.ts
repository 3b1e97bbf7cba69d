// Issue 15, "Exclusive under faults", for the Lock: six contenders — two zookit clients on
// SequentialMicrotaskHandler, two on WorkerThreadsHandler, two kazoo programs — take one Lock
// 500 times on a 3-member ensemble while members are killed, frozen and restarted and holders'
// sessions are expired on the server. Each holder increments a counter with the version it read,
// fenced by a check of its own contender node (critical-section.ts). Run in the sequential jest
// project only (jest.config.js). A planted never-waiting lock shows the checker can fail.

import type { TestingCluster } from '../../../testing/testing-cluster.js';
import { NeverWaitingLock } from './broken-guards.js';
import { DEADLINE_MS, HOLD, SESSION_TIMEOUT_MS, startChaosEnsemble } from './ensemble.js';
import { runChaos } from './harness.js';

let cluster: TestingCluster;

beforeAll(async () => {
  cluster = await startChaosEnsemble();
}, 90_000);
afterAll(async () => {
  await cluster?.close();
});

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
