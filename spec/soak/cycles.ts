// Start/stop cycles of a client, and what they leave behind: the live resources (resources.ts),
// counted before the first cycle and again once everything settled after the last stop (libuv's
// thread pool is started first: its threads live as long as the process), and the heap's growth
// per cycle. The heap is not compared once, before and after: the first thousand or so cycles
// grow it by a megabyte or more while V8 compiles the hot paths, and later collections can flush
// bytecode and shrink it by as much. Instead it is measured after a full collection at 21 points
// through the second half of the cycles and fitted as a line (trend.ts), whose slope per cycle,
// with its confidence interval, says whether each cycle keeps something. Used by
// start-stop-cycles.spec.ts, for real clients and for planted leaks.

import { lookup } from 'node:dns/promises';
import type { ZooKeeperClient } from '../../index.js';
import { countResources, settledGain } from './resources.js';
import { exposeGc } from './sampler.js';
import { fitLine, type Trend } from './trend.js';

/** What a run of cycles left behind and how long it took. */
export interface CycleReport {
  readonly cycles: number;
  readonly totalMs: number;
  /** Mean time of one start + stop, ms. */
  readonly meanMs: number;
  /** Resources live after the last stop (and a settling moment) that were not there before, by type. */
  readonly leftBehind: Readonly<Record<string, number>>;
  /** heapUsed after a full collection against the cycle number, second half: bytes per cycle. */
  readonly heapPerCycle: Trend;
}

/** How a cycle makes its client, and what it does after stopping it. */
export interface CycleSubject {
  /** A new, not started client. */
  client(): ZooKeeperClient;
  /** After the client stopped (e.g. stop the handler it was given); optional. */
  afterStop?(zk: ZooKeeperClient): Promise<void>;
  /** After the last cycle, before the comparison (e.g. stop a handler every cycle shared). */
  afterAll?(): Promise<void>;
}

/** How long resources may take to go after the last stop, ms (a socket's FIN, a thread's join). */
const SETTLE_MS = 2000;

async function cycle(subject: CycleSubject): Promise<void> {
  const zk = subject.client();
  await zk.start({ timeout: 30_000 });
  await zk.stop();
  await subject.afterStop?.(zk);
}

/** heapUsed after two full collections a turn of the event loop apart. */
async function settledHeap(gc: () => void): Promise<number> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap measurements through the second half of the cycles. */
const HEAP_POINTS = 21;

/** Runs `count` start/stop cycles of `subject`'s clients, one after the other. */
export async function runCycles(count: number, subject: CycleSubject): Promise<CycleReport> {
  const gc = exposeGc();
  await lookup('localhost'); // starts libuv's thread pool, if nothing has yet
  const baseline = countResources();
  const measureAt = new Set(
    Array.from({ length: HEAP_POINTS }, (_, k) =>
      Math.round(count / 2 + (k * (count / 2)) / (HEAP_POINTS - 1)),
    ),
  );
  const cycleNumbers: number[] = [];
  const heap: number[] = [];
  let measuringMs = 0;
  const started = performance.now();
  for (let i = 0; i <= count; i++) {
    if (measureAt.has(i)) {
      const t = performance.now();
      cycleNumbers.push(i);
      heap.push(await settledHeap(gc));
      measuringMs += performance.now() - t;
    }
    if (i < count) await cycle(subject);
  }
  const totalMs = performance.now() - started - measuringMs;
  await subject.afterAll?.();
  const leftBehind = await settledGain(baseline, SETTLE_MS);
  return {
    cycles: count,
    totalMs,
    meanMs: totalMs / count,
    leftBehind,
    heapPerCycle: fitLine(cycleNumbers, heap),
  };
}
