// Issue 15, "Exclusive under faults", for the Semaphore(maxLeases = 2): the Lock's chaos run
// (lock-chaos.spec.ts) with a semaphore. At most 2 holders at once is checked with a ledger of the
// holders inside, entered and left with versioned transactions fenced by each holder's own lease
// (critical-section.ts explains why a counter's version cannot show it). Sequential jest project
// only (jest.config.js). A planted semaphore that never counts leases shows the checker can fail.

import type { TestingCluster } from '../../../testing/testing-cluster.js';
import { UncountedSemaphore } from './broken-guards.js';
import { DEADLINE_MS, HOLD, SESSION_TIMEOUT_MS, startChaosEnsemble } from './ensemble.js';
import { runChaos } from './harness.js';

let cluster: TestingCluster;

beforeAll(async () => {
  cluster = await startChaosEnsemble();
}, 90_000);
afterAll(async () => {
  await cluster?.close();
});

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
