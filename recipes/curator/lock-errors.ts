// The one error the Curator locks raise themselves, under Java's name so a Curator user knows it:
// a handle asked to do what only a holder may (release a lock it does not hold, re-enter a hold
// its session lost, take the write lock while holding the read lock). Timeouts are not errors here:
// a timed acquire resolves false, as Curator's acquire(time, unit). docs/curator-locks.md#errors

/** A lock handle was asked to do what only a holder may (Curator's IllegalMonitorStateException). */
export class IllegalMonitorStateError extends Error {
  /** The class's name, as every zookit error carries it. */
  override readonly name = 'IllegalMonitorStateError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_ILLEGAL_MONITOR_STATE';

  constructor(
    message: string,
    /** The lock's path. */
    readonly path?: string,
  ) {
    super(message);
  }

  /** `{ name, message, code, path }` for JSON.stringify. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, code: this.code, path: this.path };
  }
}
