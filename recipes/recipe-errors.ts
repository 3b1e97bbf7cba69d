// The errors the waiting recipes raise themselves (Lock, ReadLock, WriteLock, Semaphore, Election):
// kazoo's LockTimeout and CancelledError under zookit's names, each with a stable `code` in the
// client's style (docs/errors.md#codes), so a caller branches on `error.code` without importing them.

/** `{ name, message, ...own fields }`, as the client's own errors serialise (the message is not enumerable). */
function toJSONOf(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  for (const [key, value] of Object.entries(error)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * An acquire's `timeout` passed before the lock (or lease) was got. The time counts down across
 * every wait of the acquire, so the whole call lasts at most about `timeout` ms (kazoo restarts it on
 * each wait). The contender node it had is removed, for certain, in the background.
 */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_LOCK_TIMEOUT';

  constructor(
    message: string,
    /** The lock's path. */
    readonly path?: string,
    /** The acquire's timeout, ms. */
    readonly timeout?: number,
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return toJSONOf(this);
  }
}

/** `cancel()` was called while an acquire was waiting; its contender node is removed, for certain. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_CANCELLED';

  constructor(
    message = 'the acquire was cancelled',
    /** The recipe's path. */
    readonly path?: string,
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return toJSONOf(this);
  }
}
