// The soak's measurements: once a second, a full collection, then the heap, off-heap buffers, RSS
// and the live resources (resources.ts). Collecting first is what makes heapUsed a trend worth
// fitting: without it the series is a sawtooth of garbage waiting for the next collection, whose
// slope says nothing about what is retained. The collection runs twice (the first one's weak
// callbacks and finalizers can release more for the second), with a turn of the event loop
// between them. `gc` comes from node --expose-gc; without that flag the sampler turns it on.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { countResources } from './resources.js';

/** One sample; memory in bytes, time in ms since the sampler started. */
export interface Sample {
  readonly atMs: number;
  /** V8 heap in use after the collection. */
  readonly heapUsed: number;
  /** Memory of ArrayBuffers and Buffers, outside the V8 heap (process.memoryUsage().external). */
  readonly external: number;
  readonly rss: number;
  readonly handles: number;
  readonly timers: number;
  readonly threads: number;
  /** Live resources by type, for the report. */
  readonly byType: Readonly<Record<string, number>>;
  /** Operations the workload had completed by then (the `progress` the sampler was given). */
  readonly completed: number;
  /** How long the collections took, ms (a slow one means the process is starved or the heap is big). */
  readonly gcMs: number;
}

/** The process's full-collection function, turning on --expose-gc if it is off. */
export function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing !== undefined) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Takes a sample every `intervalMs` until stopped; one sample at a time even when they run late. */
export class Sampler {
  readonly samples: Sample[] = [];
  private readonly gc = exposeGc();
  private readonly startedAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private taking: Promise<void> | undefined;

  constructor(
    private readonly intervalMs = 1000,
    private readonly progress: () => number = () => 0,
  ) {}

  start(): void {
    const tick = (): void => {
      this.taking = this.take().finally(() => {
        this.taking = undefined;
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.nextDelay());
      });
    };
    this.timer = setTimeout(tick, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.taking;
  }

  /** Until the next whole interval since the start, so late samples do not shift every later one. */
  private nextDelay(): number {
    const elapsed = performance.now() - this.startedAt;
    return this.intervalMs - (elapsed % this.intervalMs);
  }

  private async take(): Promise<void> {
    const gcStart = performance.now();
    this.gc();
    await new Promise((resolve) => setImmediate(resolve));
    this.gc();
    const gcMs = performance.now() - gcStart;
    const memory = process.memoryUsage();
    const resources = countResources();
    this.samples.push({
      atMs: performance.now() - this.startedAt,
      heapUsed: memory.heapUsed,
      external: memory.external,
      rss: memory.rss,
      handles: resources.handles,
      timers: resources.timers,
      threads: resources.threads,
      byType: resources.byType,
      completed: this.progress(),
      gcMs,
    });
  }
}
