// Issue 18's invariant checkers 2–6, each run through runChaos on one shared 3-member ensemble:
// first with a planted fault (a deliberately broken writer, watcher, delivery, cache or recipe),
// which the checker must report — so none passes vacuously — then sound, under the runner's full
// fault schedule for a short while, where it must report nothing and show the operations and
// checks it made. Each run prints its summary line and counts.
//
// Sequential jest project only: the scenarios choose each client's handler themselves.

import { type ChaosReport, runChaos, startChaosCluster } from '../../testing/chaos/runner.js';
import type { ChaosScenario } from '../../testing/chaos/scenario.js';
import { FAULT_KINDS, type FaultKind } from '../../testing/chaos/schedule.js';
import type { TestingCluster } from '../../testing/testing-cluster.js';
import { acknowledgedWritesScenario } from './scenarios/acknowledged-writes.js';
import { cacheConvergenceScenario } from './scenarios/cache-convergence.js';
import { orderingScenario } from './scenarios/ordering.js';
import { recipesFinishScenario } from './scenarios/recipes-finish.js';
import { watchCompletenessScenario } from './scenarios/watch-completeness.js';

let cluster: TestingCluster;

beforeAll(async () => {
  cluster = await startChaosCluster();
}, 90_000);
afterAll(async () => {
  await cluster?.close();
});

/**
 * The faults of the planted-fault runs: every kind but those that can take one client out of a
 * short run altogether (a black-hole outlasting the session timeout, a blocked main thread), which
 * would leave the planted client nothing to do and the test to luck. The sound runs get them all.
 */
const PLANTED_RUN_FAULTS = FAULT_KINDS.filter(
  (kind) => kind !== 'black-hole-client' && kind !== 'block-main-thread',
);

/** Runs one scenario under the runner's faults for `durationMs`, and prints what it found. */
async function run(
  seed: number,
  durationMs: number,
  scenario: ChaosScenario,
  faultKinds?: readonly FaultKind[],
): Promise<ChaosReport> {
  // The previous run healed the ensemble before its checks; its members may still be catching up.
  await cluster.waitForQuorum({ timeoutMs: 60_000 });
  // CHAOS_PROGRESS=1 prints the runner's progress lines as they come.
  const progress = process.env.CHAOS_PROGRESS
    ? (line: string) => process.stderr.write(`${line}\n`)
    : undefined;
  const report = await runChaos({
    seed,
    durationMs,
    scenarios: [scenario],
    cluster,
    report: progress,
    faultKinds,
  });
  const verdict = report.perScenario[scenario.name];
  console.log(
    [
      report.summaryLine,
      `  ${scenario.name}: ${JSON.stringify(verdict?.counts ?? {})}`,
      ...report.violations.slice(0, 8).map((v) => `  ${v.invariant}: ${v.message}`),
    ].join('\n'),
  );
  return report;
}

/** The messages of the violations of `invariant`. */
function violationsOf(report: ChaosReport, invariant: string): string[] {
  return report.violations.filter((v) => v.invariant === invariant).map((v) => v.message);
}

/** A sound run: no violation at all, and work and checks to show for it. */
function expectSound(report: ChaosReport, name: string): void {
  expect(report.violations.map((v) => `${v.invariant}: ${v.message}`)).toEqual([]);
  const verdict = report.perScenario[name]!;
  expect(verdict.operations).toBeGreaterThan(100);
  expect(verdict.checks).toBeGreaterThan(10);
  expect(report.faults.length).toBeGreaterThan(0);
}

describe('acknowledged-writes', () => {
  it('reports the writes a planted writer acknowledged without sending', async () => {
    const report = await run(
      18_201,
      6000,
      acknowledgedWritesScenario({ plant: 'acknowledge-unsent' }),
      PLANTED_RUN_FAULTS,
    );
    expect(report.perScenario['acknowledged-writes']!.counts!.plantedUnsent).toBeGreaterThan(0);
    expect(violationsOf(report, 'acknowledged-writes').join('\n')).toMatch(
      /was acknowledged at version \d+, but the write acknowledged before it|the server holds .*, but the last acknowledged/,
    );
  }, 180_000);

  it('finds every acknowledged write on the server (or superseded) under the runner faults', async () => {
    const report = await run(18_202, 20_000, acknowledgedWritesScenario());
    expectSound(report, 'acknowledged-writes');
  }, 240_000);
});

describe('watch-completeness', () => {
  it('reports the versions a persistent watch missed when it is not added again after a session loss', async () => {
    const report = await run(
      18_301,
      6000,
      watchCompletenessScenario({ plant: 'no-rearm-after-session-loss' }),
      PLANTED_RUN_FAULTS,
    );
    const messages = violationsOf(report, 'watch-completeness');
    expect(messages.join('\n')).toMatch(
      /watch-sequential\/persistent never reported .* at its final version/,
    );
    // The sound watchers of the same run (the other client, DataWatch, CuratorCache) are not reported.
    expect(messages.filter((m) => !m.includes('watch-sequential/persistent'))).toEqual([]);
  }, 180_000);

  it('DataWatch, persistent watches and CuratorCache report every version or a later one, and the last, under the runner faults', async () => {
    const report = await run(18_302, 20_000, watchCompletenessScenario());
    expectSound(report, 'watch-completeness');
  }, 240_000);
});

describe('ordering', () => {
  it('reports watch events a planted delivery hands over after later replies', async () => {
    const report = await run(
      18_401,
      6000,
      orderingScenario({ plant: 'deferred-events' }),
      PLANTED_RUN_FAULTS,
    );
    const messages = violationsOf(report, 'ordering');
    expect(messages.join('\n')).toMatch(
      /ordering-s1 saw the (NodeCreated|NodeChildrenChanged) event .* after the/,
    );
    expect(messages.filter((m) => !m.startsWith('ordering-s1'))).toEqual([]);
  }, 180_000);

  it('each client sees replies and watch events in zxid order under the runner faults', async () => {
    const report = await run(18_402, 20_000, orderingScenario());
    expectSound(report, 'ordering');
  }, 240_000);
});

describe('cache-convergence', () => {
  it('reports a CuratorCache whose reconnect handling is switched off', async () => {
    const report = await run(
      18_501,
      6000,
      cacheConvergenceScenario({ plant: 'curator-cache-ignores-reconnect' }),
      PLANTED_RUN_FAULTS,
    );
    const messages = violationsOf(report, 'cache-convergence');
    expect(messages.join('\n')).toMatch(/cache-sequential\/CuratorCache does not equal the server's tree/);
    expect(messages.filter((m) => !m.includes('cache-sequential/CuratorCache'))).toEqual([]);
  }, 180_000);

  it('TreeCache and CuratorCache equal the server within a session timeout once the faults stop', async () => {
    const report = await run(18_502, 20_000, cacheConvergenceScenario());
    expectSound(report, 'cache-convergence');
  }, 240_000);
});

describe('recipes-finish', () => {
  it('reports items consumed twice by a consumer that takes without removing, and a barrier member released early', async () => {
    const report = await run(
      18_601,
      6000,
      recipesFinishScenario({ plant: ['take-without-removing', 'barrier-releases-early'] }),
      PLANTED_RUN_FAULTS,
    );
    const messages = violationsOf(report, 'recipes-finish').join('\n');
    expect(messages).toMatch(/LockingQueue item\(s\) consumed more than once/);
    expect(messages).toMatch(/Queue item\(s\) taken more than once/);
    expect(messages).toMatch(/member-1 was released from Barrier .* before the coordinator removed it/);
  }, 180_000);

  it('queue items are consumed once and barriers release every member once under the runner faults', async () => {
    const report = await run(18_602, 20_000, recipesFinishScenario());
    expectSound(report, 'recipes-finish');
  }, 240_000);
});
