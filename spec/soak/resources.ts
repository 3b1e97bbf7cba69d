// What "left behind" means, counted the same way by the soak's sampler and the start/stop cycles:
// Node's own list of what keeps the event loop alive (process.getActiveResourcesInfo(): sockets,
// servers, message ports, child processes, pending requests, one 'Timeout' per referenced timer),
// grouped by type, plus the process's thread count. Threads stand in for worker threads: Node
// lists a Worker only while it is referenced (WorkerThreadsHandler unreferences an idle one, as
// an idle socket would be), but every live worker is an OS thread of this process (Linux:
// /proc/self/status). Unreferenced timers and handles are not listed by Node, and zookit makes
// none besides the idle worker (its sockets and timers are all referenced).

import { readFileSync } from 'node:fs';

/** Live resources at one moment. */
export interface ResourceCounts {
  /** process.getActiveResourcesInfo() counted by type, e.g. { TCPSocketWrap: 2, Timeout: 5 }. */
  readonly byType: Readonly<Record<string, number>>;
  /** Every listed resource except timers and immediates: sockets, ports, processes, requests. */
  readonly handles: number;
  /** Referenced timers ('Timeout'). */
  readonly timers: number;
  /** OS threads of this process (main, libuv pool, V8 platform, one per live worker); NaN where unknown. */
  readonly threads: number;
}

/** Types that are timers rather than handles. */
const TIMER_TYPES = new Set(['Timeout', 'Immediate']);

/** Counts what is live now. */
export function countResources(): ResourceCounts {
  const byType: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) byType[type] = (byType[type] ?? 0) + 1;
  let handles = 0;
  for (const [type, count] of Object.entries(byType)) if (!TIMER_TYPES.has(type)) handles += count;
  return { byType, handles, timers: byType['Timeout'] ?? 0, threads: threadCount() };
}

/** The number of OS threads of this process, from /proc/self/status; NaN where there is none. */
export function threadCount(): number {
  try {
    const match = /^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match === null ? Number.NaN : Number(match[1]);
  } catch {
    return Number.NaN;
  }
}

/**
 * What `after` holds more of than `before`, by type (threads as 'threads'); empty when nothing
 * grew. Types that shrank are left out: only what is left behind matters.
 */
export function resourcesGained(before: ResourceCounts, after: ResourceCounts): Record<string, number> {
  const gained: Record<string, number> = {};
  for (const [type, count] of Object.entries(after.byType)) {
    const extra = count - (before.byType[type] ?? 0);
    if (extra > 0) gained[type] = extra;
  }
  if (after.threads - before.threads > 0) gained['threads'] = after.threads - before.threads;
  return gained;
}

/**
 * Polls until nothing is gained over `baseline` or `timeoutMs` passes, and returns what is still
 * gained then (empty when it settled). A stopped client's socket closes only when the server
 * answers its FIN, and a terminated worker's thread is joined a moment after terminate()
 * resolves: such things are gone within milliseconds and are not what this looks for.
 */
export async function settledGain(
  baseline: ResourceCounts,
  timeoutMs: number,
  exclude: readonly string[] = [],
): Promise<Record<string, number>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const gained = resourcesGained(baseline, countResources());
    for (const type of exclude) delete gained[type];
    if (Object.keys(gained).length === 0 || performance.now() >= deadline) return gained;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
