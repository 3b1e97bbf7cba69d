// The errors of WorkerThreadsHandler and its WorkerPool, in one place so the handler, the pool and
// the public entry share one class per failure (docs/errors.md#codes).

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

/**
 * A task's worker thread ended under it: the thread died (an uncaught exception, an exit,
 * terminate()), or the handler that spawned the task was stopped.
 */
export class WorkerExitError extends Error {
  override readonly name = 'WorkerExitError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_WORKER_EXIT';
}

/**
 * WorkerThreadsHandler or WorkerPool options that contradict each other or are out of range: a
 * pool with `resourceLimits` on the handler (the limits are the pool's), `pool` with `shared`,
 * a pool size that is not a positive integer.
 */
export class WorkerPoolOptionsError extends TypeError {
  override readonly name = 'WorkerPoolOptionsError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_WORKER_POOL_OPTIONS';
}

/** A task was spawned on a WorkerPool after its `terminate()`. */
export class WorkerPoolClosedError extends Error {
  override readonly name = 'WorkerPoolClosedError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_WORKER_POOL_CLOSED';
}
