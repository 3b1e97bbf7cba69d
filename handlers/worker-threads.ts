// The second concurrency model: the connection loop (socket, framing, pings, read timeouts,
// reconnects, session resume) runs in a worker thread, so heartbeats go on while the main thread
// is busy for longer than the session timeout. The client, its request pipeline and every user
// callback stay on the main thread, in wire order; the two talk over a MessagePort that carries
// frames in batches (one message per flush, one per socket read). Which thread runs the loop is a
// WorkerPool's business: a private one per handler by default, or one many handlers share
// (docs/handlers.md#sharing).

import { MessageChannel, type ResourceLimits } from 'node:worker_threads';
import type { ChannelEnd, HandlerEvent, Spawned, SpawnTask } from './handler.js';
import { PortChannelEnd } from './port-channel.js';
import { SequentialMicrotaskHandler } from './sequential-microtask.js';
import { SharedEvent } from './shared-event.js';
import { WorkerExitError, WorkerPoolOptionsError } from './worker-errors.js';
import { WorkerPool } from './worker-pool.js';
import type { PortMarker } from './worker-protocol.js';

export {
  WorkerArgumentError,
  WorkerExitError,
  WorkerPoolClosedError,
  WorkerPoolOptionsError,
  WorkerTaskError,
} from './worker-errors.js';

/** Options of WorkerThreadsHandler. */
export interface WorkerThreadsHandlerOptions {
  /** Resource limits of the handler's own worker (Node's `resourceLimits`); not with `pool` or `shared`. */
  resourceLimits?: ResourceLimits;
  /**
   * Run tasks in this pool's threads, with every other handler given it, instead of a thread of
   * the handler's own. `stop()` then ends only this handler's tasks.
   */
  pool?: WorkerPool;
  /** Run tasks in the process-wide `WorkerPool.shared()` (one thread); not with `pool`. */
  shared?: boolean;
}

/**
 * Runs spawned tasks in a worker thread — its own (started on the first spawn, ended by `stop()`)
 * or one of a WorkerPool it shares with other handlers; everything else — time, sockets opened
 * here, locks, callback dispatch — is the sequential handler's, on the main thread. Event objects
 * are SharedEvents (SharedArrayBuffer + Atomics), so they can be handed to another thread. A
 * thread is referenced only while it runs a task, so an idle or stopped handler never keeps the
 * process alive.
 */
export class WorkerThreadsHandler extends SequentialMicrotaskHandler {
  override readonly name = 'worker_threads';
  /** The handler's own pool, or the one it shares. */
  #pool: WorkerPool;
  /** What a pool of the handler's own is made with; undefined when it shares one. */
  readonly #ownPool: { resourceLimits?: ResourceLimits } | undefined;

  constructor(options: WorkerThreadsHandlerOptions = {}) {
    super();
    const sharing = options.pool !== undefined || options.shared === true;
    if (options.pool !== undefined && options.shared === true)
      throw new WorkerPoolOptionsError('give WorkerThreadsHandler either `pool` or `shared: true`, not both');
    if (sharing && options.resourceLimits !== undefined)
      throw new WorkerPoolOptionsError(
        "resourceLimits of a shared worker are its pool's: new WorkerPool({ resourceLimits }), not the handler's",
      );
    this.#ownPool = sharing ? undefined : { resourceLimits: options.resourceLimits };
    this.#pool =
      options.pool ?? (options.shared === true ? WorkerPool.shared() : new WorkerPool(this.#ownPool));
  }

  /** The threads this handler's tasks run in: its own pool of one, or the pool it shares. */
  get pool(): WorkerPool {
    return this.#pool;
  }

  /** A handler on the process-wide shared pool: `new WorkerThreadsHandler({ shared: true })`. */
  static shared(): WorkerThreadsHandler {
    return new WorkerThreadsHandler({ shared: true });
  }

  /**
   * Ends this handler's tasks (they fail with WorkerExitError) — with a pool of its own, by ending
   * the thread; in a shared pool, by telling the thread to end just them. Callbacks already
   * dispatched still run.
   */
  override async stop(): Promise<void> {
    await super.stop();
    this.#pool.cancel(this, new WorkerExitError('the handler was stopped'));
    if (this.#ownPool === undefined) return;
    // A client restarted on this handler spawns again: into a fresh pool of its own.
    const ended = this.#pool;
    this.#pool = new WorkerPool(this.#ownPool);
    await ended.terminate();
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
   * Runs `task` in a worker, which loads `task.module` (once per thread) and runs the task of that
   * name. `arg` must be structured-clone safe, except that channel ends from `createSocketPair`
   * may sit in its top-level fields: their ports are transferred. An argument that cannot cross (a
   * function, such as a TLS `checkServerIdentity`) throws WorkerArgumentError.
   */
  override spawn<A>(task: SpawnTask<A>, arg: A): Spawned {
    const transfer: PortChannelEnd<unknown, unknown>['port'][] = [];
    const wireArg: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(arg as Record<string, unknown>)) {
      if (value instanceof PortChannelEnd) {
        transfer.push(value.port);
        wireArg[key] = { zookitChannelPort: value.port } satisfies PortMarker;
      } else wireArg[key] = value;
    }
    return this.#pool.run(this, {
      task: task.name,
      module: task.module,
      arg: wireArg,
      transfer,
      describe: task.name,
    });
  }
}
