// Deliberate leaks, one per kind of growth the soak judges, so a test can show that the soak fails
// when something is kept per operation (a soak that cannot fail proves nothing). Each is the
// mistake a recipe or an application typically makes:
// - listener: a state listener added per call and never removed, closing over the call's data
//   (about 1 KiB of heap per operation);
// - timer: a long timeout armed per call and never cleared (one referenced timer per operation);
// - buffer: each reply's bytes kept in a list "for later" (1 KiB outside the V8 heap per operation).

import type { ZooKeeperClient } from '../../index.js';

/** The kinds of planted leak. */
export const PLANTED_LEAKS = ['listener', 'timer', 'buffer'] as const;
export type PlantedLeakKind = (typeof PLANTED_LEAKS)[number];

/** Leaks one thing per operation of the workload, until `release()`. */
export class PlantedLeak {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly buffers: Buffer[] = [];
  private readonly listeners: Array<[ZooKeeperClient, () => void]> = [];
  /** Things leaked so far. */
  count = 0;

  constructor(readonly kind: PlantedLeakKind) {}

  /** Called once per operation of the mixed-operations loops. */
  onOperation(zk: ZooKeeperClient): void {
    this.count++;
    switch (this.kind) {
      case 'listener': {
        // 128 numbers in a packed array: about 1 KiB kept alive by the closure.
        const context = Array.from({ length: 128 }, (_, i) => i + this.count);
        const listener = (): void => void context.length;
        zk.on('state', listener);
        this.listeners.push([zk, listener]);
        break;
      }
      case 'timer':
        this.timers.push(setTimeout(() => undefined, 3_600_000));
        break;
      case 'buffer':
        this.buffers.push(Buffer.alloc(1024, this.count & 0xff));
        break;
    }
  }

  /** Undoes the leak (the run is over: the timers must not hold the process open). */
  release(): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    this.buffers.length = 0;
    for (const [zk, listener] of this.listeners.splice(0)) zk.off('state', listener);
  }
}
