// The ensemble and the settings both chaos specs share. Times in milliseconds.
//
// tickTime 500 lets sessions be short (the server allows 2–20 ticks: 1–10 s), so an expired or
// cut-off holder's node goes within the 4 s session timeout, and a frozen leader is given up after
// syncLimit (5 ticks, 2.5 s). forceSync=no spares the 2-core machine an fsync per write; a SIGKILL
// loses nothing by it (the page cache outlives the process), only a machine crash would. Members
// that rejoin sync from a snapshot, as the chaos runner's do: 3.8.0's DIFF sync can lose committed
// transactions when a member is killed soon after it (docs/chaos.md#the-ensemble-syncs-from-snapshots).

import { startTestingCluster, type TestingCluster } from '../../../testing/testing-cluster.js';
import type { ContenderKind } from './contenders.js';
import type { HoldMs } from './critical-section.js';
import type { FaultPlan } from './fault-injector.js';

export const SESSION_TIMEOUT_MS = 4000;

/** The six: 2 zookit on SequentialMicrotaskHandler, 2 on WorkerThreadsHandler, 2 kazoo. */
export const SIX_CONTENDERS: readonly ContenderKind[] = [
  'zookit-sequential',
  'zookit-sequential',
  'zookit-worker',
  'zookit-worker',
  'kazoo',
  'kazoo',
];

/**
 * Time inside, between the read and the write: a second holder inside at the same time collides
 * with the first, and 500 grants last long enough (about 20 s without faults) for 10+ faults.
 */
export const HOLD: HoldMs = { min: 20, max: 40 };

/**
 * At least 10 faults while 500 grants go by: an expiry every second and a member fault (kill a
 * follower, kill the leader, freeze the leader 3.5 s) every 2 s after the previous one is undone;
 * capped at 30 so a slow run does not keep the members down for its whole length.
 */
export const FAULTS: FaultPlan = {
  maxFaults: 30,
  memberEveryMs: 2000,
  downMs: 1500,
  pauseMs: 3500,
  expireEveryMs: 1000,
};

/** A chaos case must be done within this (the jest timeout is larger, for start-up and cleanup). */
export const DEADLINE_MS = 90_000;

export function startChaosEnsemble(): Promise<TestingCluster> {
  return startTestingCluster({
    size: 3,
    tickTimeMs: 500,
    extraConfig: { forceSync: 'no', forceSnapshotSync: true },
  });
}
