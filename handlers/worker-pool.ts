// The worker threads WorkerThreadsHandler runs its tasks in. A handler of its own has a private
// pool of one thread, as before; a pool given to many handlers (or the process-wide
// `WorkerPool.shared()`) runs the connection loops of many clients in one thread (or a few), so a
// client after the first connects without booting a thread (about 11 MB and 50 ms each) and a
// thousand sessions cost a thousand loops, not a thousand V8 isolates (docs/handlers.md#sharing).
// What the pool guarantees, whoever shares it:
// - a task belongs to the handler (the owner) that spawned it: `cancel(owner)` ends only that
//   owner's tasks, and never a thread;
// - a thread that dies fails only the tasks it ran (WorkerExitError); the next spawn starts a
//   fresh thread in its slot;
// - a thread holds the process open only while it runs a task, as an open socket would.

import { join } from 'node:path';
import { type ResourceLimits, Worker, type WorkerOptions } from 'node:worker_threads';
import type { Spawned } from './handler.js';
import { workerEntryPath } from './worker-entry-path.js';
import {
  WorkerArgumentError,
  WorkerExitError,
  WorkerPoolClosedError,
  WorkerPoolOptionsError,
  WorkerTaskError,
} from './worker-errors.js';
import type { FromWorker, ToWorker, WorkerBoot } from './worker-protocol.js';

/** Options of a WorkerPool. */
export interface WorkerPoolOptions {
  /** How many worker threads at most (default 1); tasks go to the one running the fewest. */
  size?: number;
  /** Resource limits of each thread (Node's `resourceLimits`). */
  resourceLimits?: ResourceLimits;
}

/**
 * A task as WorkerThreadsHandler hands it to the pool: the `spawn` message without its id, and the
 * ports it transfers.
 *
 * @internal
 */
export interface PoolTask {
  task: string;
  module: string;
  arg: unknown;
  transfer: Transferable[];
  /** Names the task in a WorkerArgumentError. */
  describe: string;
}

type Transferable = NonNullable<Parameters<Worker['postMessage']>[1]>[number];

/** A spawned task the pool waits on. */
interface RunningTask {
  /** The thread it runs in: when that thread dies, only its tasks fail. */
  worker: Worker;
  /** The handler that spawned it: `cancel(owner)` ends exactly these. */
  owner: object;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * A Worker with the process's Node flags where a worker accepts them. A worker inherits
 * `process.execArgv`, but Node refuses some flags in a worker (`--expose-gc` and other V8 or
 * process-wide options) and `--input-type` (from `node --input-type=module -e`) stops it loading a
 * file: those are left out.
 */
function startWorker(script: string, options: WorkerOptions): Worker {
  let execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
  for (;;) {
    try {
      return new Worker(script, { ...options, execArgv });
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || execArgv.length === 0)
        throw error;
      // The message lists the refused flags; without them, or failing that with none.
      const refused = (error as Error).message.split(':').slice(1).join(':');
      const kept = execArgv.filter((flag) => !refused.includes(flag.split('=')[0]!));
      execArgv = kept.length < execArgv.length ? kept : [];
    }
  }
}

let sharedPool: WorkerPool | undefined;

/**
 * The shared pool's thread caps its young generation, MB. Left to V8, a thread that took a
 * thousand connects at once grows it to about 34 MB and keeps it committed while idle (measured:
 * 110 KB of RSS per session for 1,000 sessions; capped at 8, 86 KB, with the same heap in use). The
 * loops allocate little that survives, so a scavenge of a small young generation is cheap. A pool
 * made with `new WorkerPool()` keeps V8's sizing unless given `resourceLimits`.
 */
const SHARED_POOL_YOUNG_GENERATION_MB = 8;

/**
 * Worker threads that run spawned tasks for any number of WorkerThreadsHandlers. Threads start on
 * demand (up to `size`) and stay until `terminate()`; an idle pool never keeps the process alive.
 */
export class WorkerPool {
  /** The most threads this pool runs at once. */
  readonly size: number;
  /** Each thread's resource limits (Node's `resourceLimits`), as given. */
  readonly resourceLimits: ResourceLimits | undefined;
  /** One slot per thread; undefined until its first task, and again after its thread died. */
  private readonly slots: Array<Worker | undefined>;
  private readonly tasks = new Map<number, RunningTask>();
  /** Running tasks per thread, to place the next task and to ref/unref the thread. */
  private readonly load = new Map<Worker, number>();
  private nextTaskId = 1;
  private closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    const size = options.size ?? 1;
    if (!Number.isInteger(size) || size < 1)
      throw new WorkerPoolOptionsError(`a WorkerPool's size must be a positive integer, got ${size}`);
    this.size = size;
    this.resourceLimits = options.resourceLimits;
    this.slots = new Array<Worker | undefined>(size).fill(undefined);
  }

  /**
   * The process-wide pool of one thread that `new WorkerThreadsHandler({ shared: true })` uses,
   * its young generation capped at 8 MB: made on first use, and made again if someone terminated it.
   */
  static shared(): WorkerPool {
    if (sharedPool === undefined || sharedPool.closed)
      sharedPool = new WorkerPool({
        resourceLimits: { maxYoungGenerationSizeMb: SHARED_POOL_YOUNG_GENERATION_MB },
      });
    return sharedPool;
  }

  /** Threads alive now (0 before the first task and after `terminate()`). */
  get threads(): number {
    return this.slots.filter((worker) => worker !== undefined).length;
  }

  /** Tasks running now, over every thread and owner. */
  get running(): number {
    return this.tasks.size;
  }

  /**
   * @internal WorkerThreadsHandler's plumbing (its `spawn`): runs `task` for `owner` on the thread with the fewest tasks (starting one while fewer than
   * `size` run). Throws WorkerArgumentError when the argument cannot cross, WorkerPoolClosedError
   * after `terminate()`.
   */
  run(owner: object, task: PoolTask): Spawned {
    if (this.closed) throw new WorkerPoolClosedError(`${task.describe}: the WorkerPool was terminated`);
    const id = this.nextTaskId++;
    const worker = this.pickWorker();
    const done = new Promise<void>((resolve, reject) =>
      this.tasks.set(id, { worker, owner, resolve, reject }),
    );
    done.catch(() => {}); // the owner observes `done`; never an unhandled rejection here
    try {
      worker.postMessage(
        { t: 'spawn', id, task: task.task, module: task.module, arg: task.arg } satisfies ToWorker,
        task.transfer as readonly Transferable[],
      );
    } catch (error) {
      this.tasks.delete(id);
      throw new WorkerArgumentError(
        `${task.describe} cannot run in a worker thread with these settings (only plain data crosses threads: ` +
          `no functions such as tls.checkServerIdentity or connectionRetry.random): ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.adjustLoad(worker, +1);
    return { done };
  }

  /**
   * @internal WorkerThreadsHandler's plumbing (its `stop`): ends every task `owner` runs: each `done` rejects with `error` at once, and its thread is told
   * to end it (its sleeps are aborted and the connections it opened destroyed). Other owners'
   * tasks, and the threads, go on.
   */
  cancel(owner: object, error: Error): void {
    for (const [id, running] of this.tasks) {
      if (running.owner !== owner) continue;
      this.settle(id, running);
      running.reject(error);
      running.worker.postMessage({ t: 'cancel', id } satisfies ToWorker);
    }
  }

  /** @internal The thread running `owner`'s first task, if any (the chaos fault terminate-worker ends it). */
  workerOf(owner: object): Worker | undefined {
    for (const running of this.tasks.values()) if (running.owner === owner) return running.worker;
    return undefined;
  }

  /** Ends every thread (their tasks fail with WorkerExitError); later spawns throw WorkerPoolClosedError. */
  async terminate(): Promise<void> {
    this.closed = true;
    const workers = this.slots.filter((worker): worker is Worker => worker !== undefined);
    this.slots.fill(undefined);
    for (const worker of workers)
      this.failTasks(worker, new WorkerExitError('the worker pool was terminated'));
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  /** The live thread with the fewest tasks, or a new one in a free slot while every live one is busy. */
  private pickWorker(): Worker {
    let best: Worker | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    let free = -1;
    for (let i = 0; i < this.slots.length; i++) {
      const worker = this.slots[i];
      if (worker === undefined) {
        if (free === -1) free = i;
        continue;
      }
      const load = this.load.get(worker) ?? 0;
      if (load < bestLoad) {
        best = worker;
        bestLoad = load;
      }
    }
    if (best !== undefined && (bestLoad === 0 || free === -1)) return best;
    return this.startThread(free);
  }

  private startThread(slot: number): Worker {
    const entry = workerEntryPath();
    const boot: WorkerBoot = { entry };
    // From TypeScript sources (tests, development) the worker starts in a loader of .ts files that
    // then requires the entry; a built package's entry is JavaScript and has no such loader beside it.
    const script = entry.endsWith('.ts') ? join(__dirname, 'typescript-worker-bootstrap.cjs') : entry;
    const worker = startWorker(script, {
      workerData: boot,
      resourceLimits: this.resourceLimits,
      // The loop logs through its channel; the worker's own stdio is the process's.
      stdout: false,
      stderr: false,
    });
    worker.on('message', (message: FromWorker) => this.onWorkerMessage(message));
    worker.on('error', (error) =>
      this.onThreadGone(
        worker,
        new WorkerExitError(`the worker thread failed: ${error.message}`, { cause: error }),
      ),
    );
    worker.on('exit', (code) =>
      this.onThreadGone(worker, new WorkerExitError(`the worker thread exited with code ${code}`)),
    );
    worker.unref();
    this.slots[slot] = worker;
    this.load.set(worker, 0);
    return worker;
  }

  private onThreadGone(worker: Worker, error: Error): void {
    const slot = this.slots.indexOf(worker);
    if (slot !== -1) this.slots[slot] = undefined;
    this.failTasks(worker, error);
    this.load.delete(worker);
  }

  private onWorkerMessage(message: FromWorker): void {
    const running = this.tasks.get(message.id);
    if (running === undefined) return; // cancelled: its owner was told already
    this.settle(message.id, running);
    if (message.t === 'done') running.resolve();
    else {
      const error = new WorkerTaskError(`${message.error.name}: ${message.error.message}`);
      if (message.error.stack) error.stack = message.error.stack;
      running.reject(error);
    }
  }

  private failTasks(worker: Worker, error: Error): void {
    for (const [id, running] of this.tasks) {
      if (running.worker !== worker) continue;
      this.settle(id, running);
      running.reject(error);
    }
  }

  private settle(id: number, running: RunningTask): void {
    this.tasks.delete(id);
    this.adjustLoad(running.worker, -1);
  }

  /** A thread holds the process open only while it runs a task, as an open socket would. */
  private adjustLoad(worker: Worker, by: number): void {
    const before = this.load.get(worker);
    if (before === undefined) return; // the thread is gone
    const after = before + by;
    this.load.set(worker, after);
    if (before === 0 && after > 0) worker.ref();
    else if (before > 0 && after === 0) worker.unref();
  }
}
