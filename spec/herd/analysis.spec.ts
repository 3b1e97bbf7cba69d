// The herd checks on made-up runs, no server: a clean run passes every check, and each planted
// fault (a herd onto one member, reconnects all at once or spread over the wrong window, a lost
// acknowledged write, a session back too late or with a new id, a request never settled, a queued
// request failed without a failed pass, an expiry) fails the check meant for it, so none of the
// herd spec's checks can pass vacuously. The jitter checks' limits are also put to simulated
// runs: uniform waits, lags within the allowance, and no false alarm.

import { SeededRandom } from '../../testing/chaos/seeded-random.js';
import {
  analyse,
  binomialSpreadZ,
  densestLimit,
  densestWindow,
  histogram,
  JITTER_FIT_CHECK,
  JITTER_SPREAD_CHECK,
  jitterFit,
  type KillFacts,
  ksFromUniform,
  LAG_ALLOWANCE_MS,
  spreadOf,
} from './analysis.js';
import type { FleetReport, RequestRecord, SessionRecord } from './records.js';

const KILL: KillFacts = { victim: 'v:1', victimRole: 'follower', survivors: ['a:1', 'b:1'], killAt: 1000 };

/** A request that went out connected and was acknowledged, its node on the server. */
function acked(n: number, at: number): RequestRecord {
  return {
    n,
    kind: 'tick',
    issuedAt: at,
    stateAtIssue: 'CONNECTED',
    outcome: 'ok',
    settledAt: at + 5,
    onServer: true,
  };
}

/** Session i's wait of n, evenly over [0, 1000) in a shuffled order. */
function evenDelay(i: number, n: number): number {
  return (((i * 7) % n) + 0.5) * (1000 / n);
}

/**
 * A run of `displaced` sessions on the victim and `stayed` on a survivor. Displaced session i
 * loses its connection 10 ms after the kill, makes one request while disconnected, waits
 * `delay(i)` ms (by default evenly over [0, 1000), the jitter of a 10 s session), connects in
 * 30 ms, and is back `backAfter(i)` ms after the kill on `landing(i)`.
 */
function run({
  displaced = 40,
  stayed = 20,
  landing = (i: number) => (i % 2 === 0 ? 'a:1' : 'b:1'),
  delay = (i: number) => evenDelay(i, displaced),
  backAfter = (i: number) => 10 + delay(i) + 30,
}: {
  displaced?: number;
  stayed?: number;
  landing?: (i: number) => string;
  delay?: (i: number) => number;
  backAfter?: (i: number) => number;
} = {}): FleetReport {
  const sessions: SessionRecord[] = [];
  for (let i = 0; i < displaced; i++) {
    const back = KILL.killAt + backAfter(i);
    const attempt = Math.min(KILL.killAt + 10 + delay(i), back);
    sessions.push({
      label: `d${i}`,
      sessionId: `0x${i}`,
      timeoutMs: 10_000,
      firstServer: KILL.victim,
      transitions: [
        {
          at: KILL.killAt + 10,
          state: 'CONNECTING',
          detail: 'connection closed by the server',
          sessionId: `0x${i}`,
        },
        { at: back, state: 'CONNECTED', detail: landing(i), sessionId: `0x${i}` },
      ],
      listenerStates: ['CONNECTING', 'CONNECTED'],
      failedPasses: [],
      connects: [{ startedAt: attempt, connectedAt: back, server: landing(i) }],
      failedAttempts: [],
      requests: [
        acked(1, 500),
        {
          n: 2,
          kind: 'outage',
          issuedAt: KILL.killAt + 11,
          stateAtIssue: 'CONNECTING',
          outcome: 'ok',
          settledAt: back + 3,
          onServer: true,
        },
      ],
      phantoms: [],
    });
  }
  for (let i = 0; i < stayed; i++) {
    sessions.push({
      label: `s${i}`,
      sessionId: `0x${1000 + i}`,
      timeoutMs: 10_000,
      firstServer: 'a:1',
      transitions: [],
      listenerStates: [],
      failedPasses: [],
      connects: [],
      failedAttempts: [],
      requests: [acked(1, 500), acked(2, 1500)],
      phantoms: [],
    });
  }
  return {
    summary: { handler: 'test', failedAttempts: {}, recoveredAt: KILL.killAt + 500, callbackErrors: [] },
    sessions,
  };
}

/** The names of the checks that fail. */
function failing(report: FleetReport, kill: KillFacts = KILL): string[] {
  return analyse([report], kill)
    .checks.filter((c) => !c.ok)
    .map((c) => c.name);
}

/** The one displaced session to plant a fault in. */
function first(report: FleetReport): SessionRecord {
  return report.sessions[0]!;
}

it('passes every check on a clean run', () => {
  expect(failing(run())).toEqual([]);
});

it('fails the spread check when every displaced session lands on the same member', () => {
  expect(failing(run({ landing: () => 'a:1' }))).toEqual([
    'the displaced sessions spread over the survivors as a random shuffle does (max |z| < 5)',
  ]);
});

it('fails when an acknowledged create is missing on the server', () => {
  const report = run();
  first(report).requests[0]!.onServer = false;
  expect(failing(report)).toEqual(['every acknowledged create is on the server afterwards']);
});

it('fails the jitter checks, and only those, when every session reconnects at once', () => {
  expect(failing(run({ delay: (i) => i % 5 }))).toEqual([JITTER_FIT_CHECK, JITTER_SPREAD_CHECK]);
});

it('fails the jitter fit, not the spread in time, when the waits are uniform over half the window', () => {
  const report = run({ displaced: 200, delay: (i) => (((i * 7) % 200) + 0.5) * 2.5 });
  expect(failing(report)).toEqual([JITTER_FIT_CHECK]);
  expect(analyse([report], KILL).jitter).toMatchObject({ count: 200, ahead: expect.closeTo(0.5, 2) });
});

it('passes the jitter checks when every wait is late, as on a busy event loop, even by far more than the allowance', () => {
  // Lateness only moves the delays' distribution behind uniform: the one-sided test ignores it.
  const report = run({ displaced: 200, delay: (i) => evenDelay(i, 200) * 1.2 + 300 });
  expect(failing(report)).toEqual([]);
  expect(analyse([report], KILL).jitter.ks).toBeGreaterThan(0.4);
});

it('takes the first attempt, failed or not, as the reconnect, and fails the fit when none is known', () => {
  // The attempt that took it back began 187.5 ms after the disconnect, but one had begun at 20 ms
  // and failed at 60; of another, only the failure at 40 ms is known.
  const report = run();
  const session = report.sessions[1]!;
  const disconnect = session.transitions[0]!.at;
  expect(analyse([report], KILL).comebacks[1]!.attemptMs).toBe(187.5);
  session.failedAttempts.push({ startedAt: disconnect + 20, failedAt: disconnect + 60, server: 'v:1' });
  expect(analyse([report], KILL).comebacks[1]!.attemptMs).toBe(20);
  session.failedAttempts.push({ startedAt: undefined, failedAt: disconnect + 15, server: 'a:1' });
  expect(analyse([report], KILL).comebacks[1]!.attemptMs).toBe(15);
  session.connects.length = 0;
  session.failedAttempts.length = 0;
  expect(failing(report)).toEqual([JITTER_FIT_CHECK]);
});

it('fails when a session comes back after its session timeout', () => {
  expect(failing(run({ backAfter: (i) => (i === 3 ? 10_500 : 40 + evenDelay(i, 40)) }))).toEqual([
    'every displaced session was back within its session timeout',
  ]);
});

it("counts a leader's death from when the ensemble served again: a long election is the servers' time", () => {
  // Every session back 10.9–11.9 s after the kill: the survivors took 10.9 s to serve.
  const leaderKill: KillFacts = { ...KILL, victimRole: 'leader' };
  const slowElection = run({ backAfter: (i) => 10_900 + evenDelay(i, 40) });
  expect(failing(slowElection)).toEqual(['every displaced session was back within its session timeout']);
  expect(failing(slowElection, leaderKill)).toEqual([]);
  // One of them comes back 10.5 s after the ensemble served: the client's fault, found.
  const oneLate = run({ backAfter: (i) => (i === 3 ? 21_500 : 10_900 + evenDelay(i, 40)) });
  expect(failing(oneLate, leaderKill)).toEqual([
    'every displaced session was back within its session timeout',
  ]);
});

it('fails when a session comes back with another session id', () => {
  const report = run();
  const back = first(report).transitions[1]!;
  first(report).transitions[1] = { ...back, sessionId: '0xfeed' };
  expect(failing(report)).toEqual(['every displaced session resumed its own session (same id)']);
});

it('fails when a request never settled', () => {
  const report = run();
  const request = first(report).requests[0]!;
  request.outcome = 'pending';
  delete request.settledAt;
  expect(failing(report)).toContain('every request settled (none lost in the client)');
});

it('fails when a request made while disconnected failed though no pass over the hosts failed', () => {
  const report = run();
  const request = first(report).requests[1]!;
  request.outcome = 'connectionLoss';
  request.onServer = false;
  expect(failing(report)).toEqual([
    'a request made while disconnected completed after the reconnect, or failed (never sent) only after a whole pass failed',
  ]);
  // After a failed pass the same failure is the documented behaviour.
  first(report).failedPasses.push(request.issuedAt + 1);
  expect(failing(report)).toEqual([]);
});

it('fails when a session expired, and when a session on a survivor lost its connection though a follower died', () => {
  const report = run();
  first(report).listenerStates.push('EXPIRED_SESSION');
  report.sessions
    .at(-1)!
    .transitions.push({ at: 1200, state: 'CONNECTING', detail: 'x', sessionId: '0x1019' });
  expect(failing(report)).toEqual(
    expect.arrayContaining([
      'no session was ever LOST (no expiry, no auth failure, no close)',
      'sessions on the surviving members kept their connection (a follower was killed)',
    ]),
  );
});

it('fails when a phantom node is found or a fleet never recovered', () => {
  const report = run();
  first(report).phantoms.push('r99');
  const stuck: FleetReport = { ...report, summary: { ...report.summary, recoveredAt: undefined } };
  expect(failing(stuck)).toEqual([
    'every fleet saw all its sessions connected again, none on the killed member',
    'every session was verified on the server, and nothing is there that no request created',
  ]);
});

it('holds the jitter limits on simulated runs: uniform waits with lags within the allowance never fail', () => {
  // Four kinds of lag, each within ±LAG_ALLOWANCE_MS: random either way; every delay short by
  // the whole allowance (the worst case for the fit) or late by it; and stalls that hold every
  // wait due within one allowance-long span until its end (bunching, the worst case for the
  // spread in time).
  const random = new SeededRandom(18);
  const lags: Record<string, (wait: number) => number> = {
    random: () => (random.next() * 2 - 1) * LAG_ALLOWANCE_MS,
    early: () => -LAG_ALLOWANCE_MS,
    late: () => LAG_ALLOWANCE_MS,
    stalls: (wait) => Math.ceil(wait / LAG_ALLOWANCE_MS) * LAG_ALLOWANCE_MS - wait,
  };
  const alarms: string[] = [];
  for (const n of [40, 74, 340, 1000]) {
    for (const [kind, lag] of Object.entries(lags)) {
      for (let trial = 0; trial < 50; trial++) {
        const comebacks = Array.from({ length: n }, () => {
          const wait = random.next() * 1000;
          return { attemptMs: Math.max(0, wait + lag(wait)), jitterWindowMs: 1000 };
        });
        const fit = jitterFit(comebacks);
        if (fit.ahead >= fit.aheadLimit || fit.densest >= fit.densestLimit) {
          alarms.push(
            `n ${n} ${kind}: D+ ${fit.ahead.toFixed(3)}/${fit.aheadLimit.toFixed(3)}, ${fit.densest}/${fit.densestLimit}`,
          );
        }
      }
    }
  }
  expect(alarms).toEqual([]);
});

it('computes the Kolmogorov–Smirnov distances and the densest-window limit', () => {
  expect(ksFromUniform([0.125, 0.375, 0.625, 0.875])).toEqual({ ahead: 0.125, behind: 0.125 });
  expect(ksFromUniform([0, 0, 0, 0])).toEqual({ ahead: 1, behind: 0 });
  expect(ksFromUniform([2, 3])).toEqual({ ahead: 0, behind: 1 }); // every value past the window
  // A single interval as wide as the whole window holds every point: the limit is above n.
  expect(densestLimit(50, 1, 1e-6)).toBe(51);
  // Limits grow with n, and fall towards the interval's share for large n.
  expect(densestLimit(1000, 0.1, 1e-6)).toBeLessThan(250);
  expect(densestLimit(1000, 0.1, 1e-6)).toBeGreaterThan(125);
});

it('measures spread, windows and percentiles', () => {
  expect(binomialSpreadZ([50, 50], 2)).toBe(0);
  expect(binomialSpreadZ([100, 0], 2)).toBeCloseTo(10); // sqrt(n) for a herd of n onto one of two
  expect(densestWindow([0, 10, 20, 300, 310], 100)).toBe(3);
  expect(spreadOf([5, 1, 3, 2, 4])).toMatchObject({ min: 1, p50: 3, max: 5, count: 5 });
  expect(histogram([0, 1, 12, 19]).split('\n')[0]).toMatch(/^ *0– *2 ms │█+ 2$/);
  expect(histogram([0, 0.1, 0.7])).toBe('0–1 ms │██████████████████████████████████████████████████ 3');
});
