// The mutual-exclusion scenario through the chaos runner (testing/chaos/runner.ts): a planted
// broken lock (spec/recipes/chaos/broken-guards.ts: grants at once, never waits) must come out as
// a 'mutual-exclusion' violation with the events around the first overlap — proof the check can
// fail — and the real Lock, ReadLock/WriteLock and Semaphore, with zookit contenders on both
// handlers and kazoo contenders beside them, must come through a short seeded schedule clean.
//
// One ensemble for both runs. Not in the worker jest project (jest.config.js): the scenario picks
// each contender's handler itself.

import { formatViolation, runChaos, startChaosCluster, type TestingCluster } from '../../testing/index.js';
import { NeverWaitingLock } from '../recipes/chaos/broken-guards.js';
import { MUTUAL_EXCLUSION, mutualExclusionScenario } from './scenarios/mutual-exclusion.js';

let cluster: TestingCluster;

beforeAll(async () => {
  cluster = await startChaosCluster();
}, 90_000);
afterAll(async () => {
  await cluster?.close();
});

it('reports a planted lock that lets every contender in as a mutual-exclusion violation, with the events around it', async () => {
  const report = await runChaos({
    seed: 18,
    durationMs: 15_000,
    cluster,
    scenarios: [
      mutualExclusionScenario({
        name: 'planted-lock',
        recipes: ['lock'],
        kazoo: false,
        lockGuard: (paths) => (zk) => new NeverWaitingLock(zk, paths.guard),
      }),
    ],
  });
  console.log(report.summaryLine);
  const overlap = report.violations.find(
    (v) => v.invariant === MUTUAL_EXCLUSION && /two holders inside the lock at once/.test(v.message),
  );
  expect(overlap).toBeDefined();
  expect(overlap?.scenario).toBe('planted-lock');
  // Placed in time, with the run's events around it: the overlap itself is among them.
  expect(overlap?.atMs).toEqual(expect.any(Number));
  expect(overlap?.events.before.length).toBeGreaterThan(0);
  expect(overlap?.events.before.at(-1)).toMatchObject({ atMs: overlap?.atMs, what: 'section overlap' });
  expect(formatViolation(overlap!)).toContain('section overlap');
  expect(report.summaryLine).toMatch(
    /^chaos seed=18 \d+s: \d+ operations, faults \{.*\}, \d+ checks, [1-9]\d* violations?$/,
  );
}, 180_000);

it('Lock, ReadLock/WriteLock and Semaphore keep their holders apart under a seeded schedule, zookit on both handlers and kazoo alike', async () => {
  const report = await runChaos({
    seed: 1818,
    durationMs: 40_000,
    cluster,
    scenarios: [mutualExclusionScenario()],
  });
  console.log(report.summaryLine);
  expect(report.violations.map(formatViolation)).toEqual([]);
  const counts = report.perScenario[MUTUAL_EXCLUSION]?.counts ?? {};
  for (const recipe of ['lock', 'read-write', 'semaphore']) {
    expect(counts[`${recipe}.fewestGrants`]).toBeGreaterThan(0); // every contender got in
    expect(counts[`${recipe}.overlaps`]).toBe(0);
  }
  expect(report.checks).toBeGreaterThan(0);
  expect(report.faults.length).toBeGreaterThan(5);
}, 240_000);
