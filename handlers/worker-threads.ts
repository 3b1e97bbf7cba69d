// The second concurrency model: the connection loop (socket, framing, pings, read timeouts,
// reconnects, session resume) runs in a worker thread, so heartbeats go on while the main thread
// is busy for longer than the session timeout. The client, its request pipeline and every user
// callback stay on the main thread, in wire order; the two talk over a MessagePort that carries
// frames in batches (one message per flush, one per socket read).

import { join } from 'node:path';
import { MessageChannel, type ResourceLimits, Worker, type WorkerOptions } from 'node:worker_threads';
import type { ChannelEnd, HandlerEvent, Spawned, SpawnTask } from './handler.js';
import { PortChannelEnd } from './port-channel.js';
import { SequentialMicrotaskHandler } from './sequential-microtask.js';
import { SharedEvent } from './shared-event.js';
import { workerEntryPath } from './worker-entry-path.js';
import type { FromWorker, PortMarker, ToWorker, WorkerBoot } from './worker-protocol.js';

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

/** Options of WorkerThreadsHandler. */
export interface WorkerThreadsHandlerOptions {
  /** Resource limits of the worker (Node's `resourceLimits`). */
  resourceLimits?: ResourceLimits;
}

/** The worker's side of a spawned task: how it ended. */
interface RunningTask {
  /** The worker it runs in: when that worker dies, only its tasks fail. */
  worker: Worker;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A task's failure as reported by the worker, rebuilt on this thread. */
export class WorkerTaskError extends Error {
  override readonly name = 'WorkerTaskError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_WORKER_TASK';
}

/**
 * A spawn argument that cannot cross to the worker thread: structured clone refuses functions and
 * class instances such as a TLS `checkServerIdentity` or a SecureContext.
 */
export class WorkerArgumentError extends TypeError {
  override readonly name = 'WorkerArgumentError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_WORKER_ARGUMENT';
}

/** The worker thread itself died (an uncaught exception, an exit, or terminate()). */
export class WorkerExitError extends Error {
  override readonly name = 'WorkerExitError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_WORKER_EXIT';
}

/**
 * Runs spawned tasks in one worker thread per handler (started on the first spawn, ended by
 * `stop()`); everything else — time, sockets opened here, locks, callback dispatch — is the
 * sequential handler's, on the main thread. Event objects are SharedEvents (SharedArrayBuffer +
 * Atomics), so they can be handed to another thread. The worker is referenced only while a task
 * runs, so an idle or stopped handler never keeps the process alive.
 */
export class WorkerThreadsHandler extends SequentialMicrotaskHandler {
  override readonly name = 'worker_threads';
  private readonly options: WorkerThreadsHandlerOptions;
  private worker: Worker | undefined;
  private readonly tasks = new Map<number, RunningTask>();
  private nextTaskId = 1;

  constructor(options: WorkerThreadsHandlerOptions = {}) {
    super();
    this.options = options;
  }

  /** Ends the worker (its tasks fail with WorkerExitError); callbacks already dispatched still run. */
  override async stop(): Promise<void> {
    await super.stop();
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) {
      this.failTasks(worker, new WorkerExitError('the handler was stopped'));
      await worker.terminate();
    }
  }

  override eventObject(): HandlerEvent {
    return new SharedEvent(this);
  }

  /** A MessageChannel: the first end stays here, the second is transferred to the worker by `spawn`. */
  override createSocketPair<A, B>(): [ChannelEnd<B, A>, ChannelEnd<A, B>] {
    const { port1, port2 } = new MessageChannel();
    return [new PortChannelEnd<B, A>(port1), new PortChannelEnd<A, B>(port2)];
  }

  /**
   * Runs `task` in the worker, which loads `task.module` (once) and runs the task of that name.
   * `arg` must be structured-clone safe, except that channel ends from
   * `createSocketPair` may sit in its top-level fields: their ports are transferred. An argument
   * that cannot cross (a function, such as a TLS `checkServerIdentity`) throws WorkerArgumentError.
   */
  override spawn<A>(task: SpawnTask<A>, arg: A): Spawned {
    const id = this.nextTaskId++;
    const transfer: PortChannelEnd<unknown, unknown>['port'][] = [];
    const wireArg: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(arg as Record<string, unknown>)) {
      if (value instanceof PortChannelEnd) {
        transfer.push(value.port);
        wireArg[key] = { zookitChannelPort: value.port } satisfies PortMarker;
      } else wireArg[key] = value;
    }
    const worker = this.ensureWorker();
    const done = new Promise<void>((resolve, reject) => this.tasks.set(id, { worker, resolve, reject }));
    done.catch(() => {}); // the owner observes `done`; never an unhandled rejection here
    try {
      worker.postMessage(
        { t: 'spawn', id, task: task.name, module: task.module, arg: wireArg } satisfies ToWorker,
        transfer,
      );
    } catch (error) {
      this.tasks.delete(id);
      throw new WorkerArgumentError(
        `${task.name} cannot run in a worker thread with these settings (only plain data crosses threads: ` +
          `no functions such as tls.checkServerIdentity or connectionRetry.random): ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.refWhileBusy();
    return { done };
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const entry = workerEntryPath();
    const boot: WorkerBoot = { entry };
    // From TypeScript sources (tests, development) the worker starts in a loader of .ts files that
    // then requires the entry; a built package's entry is JavaScript and has no such loader beside it.
    const script = entry.endsWith('.ts') ? join(__dirname, 'typescript-worker-bootstrap.cjs') : entry;
    const worker = startWorker(script, {
      workerData: boot,
      resourceLimits: this.options.resourceLimits,
      // The loop logs through its channel; the worker's own stdio is the process's.
      stdout: false,
      stderr: false,
    });
    worker.on('message', (message: FromWorker) => this.onWorkerMessage(message));
    worker.on('error', (error) => {
      if (this.worker === worker) this.worker = undefined;
      this.failTasks(
        worker,
        new WorkerExitError(`the worker thread failed: ${error.message}`, { cause: error }),
      );
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      this.failTasks(worker, new WorkerExitError(`the worker thread exited with code ${code}`));
    });
    this.worker = worker;
    return worker;
  }

  private onWorkerMessage(message: FromWorker): void {
    const running = this.tasks.get(message.id);
    if (running === undefined) return;
    this.tasks.delete(message.id);
    if (message.t === 'done') running.resolve();
    else {
      const error = new WorkerTaskError(`${message.error.name}: ${message.error.message}`);
      if (message.error.stack) error.stack = message.error.stack;
      running.reject(error);
    }
    this.refWhileBusy();
  }

  private failTasks(worker: Worker, error: Error): void {
    for (const [id, task] of this.tasks) {
      if (task.worker !== worker) continue;
      this.tasks.delete(id);
      task.reject(error);
    }
  }

  /** The worker holds the process open only while it runs a task, as an open socket would. */
  private refWhileBusy(): void {
    if (this.worker === undefined) return;
    if (this.tasks.size > 0)
      this.worker.ref(); // tasks of a dead worker are already gone
    else this.worker.unref();
  }
}
