// Contender nodes and leases still on the server once every contender stopped: a leak unless it
// belongs to a session that is still dying. Shared by the recipe chaos harness (harness.ts) and
// the chaos runner's mutual-exclusion scenario (spec/chaos/scenarios/mutual-exclusion.ts).

import type { ZooKeeperClient } from '../../../index.js';
import { sleep } from '../../support.js';
import type { ChaosMode } from './checker.js';

/** Where a run's contender nodes live: the guard's children, and a Semaphore's lock's too. */
export function contenderParents(mode: ChaosMode, guard: string): string[] {
  return mode === 'semaphore' ? [guard, `${guard}-__lock__`] : [guard];
}

/**
 * The children of `parents`, polled until there are none or `sessionTimeoutMs` + 5 s went by: a
 * node of a session still dying (its client cut off by the last fault) goes within a session
 * timeout; one that stays belongs to a live session.
 */
export async function nodesLeft(
  observer: ZooKeeperClient,
  parents: readonly string[],
  sessionTimeoutMs: number,
): Promise<string[]> {
  const deadline = performance.now() + sessionTimeoutMs + 5_000;
  for (;;) {
    const left: string[] = [];
    for (const parent of parents) {
      const children = await observer.getChildren(parent).catch(() => [] as string[]);
      left.push(...children.map((child) => `${parent}/${child}`));
    }
    if (left.length === 0 || performance.now() > deadline) return left;
    await sleep(250);
  }
}
