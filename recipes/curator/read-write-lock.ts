// Curator's InterProcessReadWriteLock ("Shared Reentrant Read Write Lock") on Curator's layout: one
// directory holding writers `P/_c_<uuid>-__WRIT__<seq>` and readers `P/_c_<uuid>-__READ__<seq>`,
// ordered together by the counter after either name. A writer holds when it is first of all; a
// reader holds when no writer sorts before it, and otherwise waits for the first writer ahead.
// Both sides are InterProcessMutexes (re-entrant per handle). docs/curator-locks.md#interprocessreadwritelock
//
// The handle that holds the write lock may take the read lock too (a downgrade), and then release
// the write lock and keep reading. Its read node is then made with the writer's own counter, as a
// plain ephemeral `_c_<uuid>-__READ__<writer's seq>`, so it sorts right behind the writer and
// before any writer that queued meanwhile: that writer keeps waiting for the reader (CURATOR-621;
// Curator 5.4 gave the reader a fresh counter, behind the queued writer, which then took the lock
// while the downgraded reader still read). Upgrading (read, then write, on one handle) would wait
// on itself for ever; it is refused at once.

import type { CallOptions, RecipeClient, Value } from '../../lib/recipe-client.js';
import { IllegalMonitorStateError } from './lock-errors.js';
import { InterProcessMutex, type InterProcessMutexAcquireOptions } from './mutex.js';

/** Curator's names, of equal length as LockInternals needs. */
const READ_LOCK_NAME = '__READ__';
const WRITE_LOCK_NAME = '__WRIT__';
/** Both kinds are contenders; on a tie of counters (a downgrade) the writer sorts first. */
const MARKERS: readonly string[] = [WRITE_LOCK_NAME, READ_LOCK_NAME];

/** Options of an InterProcessReadWriteLock. */
export interface InterProcessReadWriteLockOptions {
  /** The data of both sides' nodes (Curator's `lockData`). Default: none (empty). */
  data?: Value;
}

/** The read side each write lock is paired with, to refuse an upgrade. */
const readerOf = new WeakMap<InterProcessWriteLock, InterProcessReadLock>();

/** The write side of an InterProcessReadWriteLock: exclusive of every reader and writer. */
export class InterProcessWriteLock extends InterProcessMutex {
  /**
   * Takes the write lock (as InterProcessMutex's acquire). Rejects with IllegalMonitorStateError
   * when this pair's read lock is held and not the write lock: an upgrade would wait for itself.
   */
  override acquire(options?: InterProcessMutexAcquireOptions): Promise<boolean> {
    const reader = readerOf.get(this);
    if (reader?.isAcquiredInThisProcess() && !this.isAcquiredInThisProcess())
      return Promise.reject(
        new IllegalMonitorStateError(
          `cannot upgrade the read lock of ${this.path} to the write lock: release the read lock first`,
          this.path,
        ),
      );
    return super.acquire(options);
  }

  /** The full paths of the writers' nodes, in lock order. */
  override async getParticipantNodes(options?: CallOptions): Promise<string[]> {
    return (await super.getParticipantNodes(options)).filter((node) => node.includes(WRITE_LOCK_NAME));
  }

  /** `__WRIT__` and `__READ__`: writers and readers queue in one line. */
  protected override get markers(): readonly string[] {
    return MARKERS;
  }

  /** A sequential `__WRIT__` node. */
  protected override nodeName(): { name: string; sequential: boolean } {
    return { name: WRITE_LOCK_NAME, sequential: true };
  }
}

/** The read side of an InterProcessReadWriteLock: shared among readers, after earlier writers. */
export class InterProcessReadLock extends InterProcessMutex {
  private readonly writeLock: InterProcessWriteLock;

  /** The read side paired with `writeLock` (which it may downgrade from); both on `path`. */
  constructor(client: RecipeClient, path: string, writeLock: InterProcessWriteLock, data?: Value) {
    super(client, path, { data });
    this.writeLock = writeLock;
    readerOf.set(writeLock, this);
  }

  /** The full paths of the readers' nodes, in lock order. */
  override async getParticipantNodes(options?: CallOptions): Promise<string[]> {
    return (await super.getParticipantNodes(options)).filter((node) => node.includes(READ_LOCK_NAME));
  }

  /** `__WRIT__` and `__READ__`: writers and readers queue in one line. */
  protected override get markers(): readonly string[] {
    return MARKERS;
  }

  /** A fresh reader's name, or, when this pair holds the write lock, one with the writer's counter. */
  protected override nodeName(): { name: string; sequential: boolean } {
    const writer = this.writeLock.lockPath;
    if (writer !== undefined) {
      const counter = writer.slice(writer.lastIndexOf(WRITE_LOCK_NAME) + WRITE_LOCK_NAME.length);
      return { name: READ_LOCK_NAME + counter, sequential: false };
    }
    return { name: READ_LOCK_NAME, sequential: true };
  }

  /** Holds at once under this pair's write lock; otherwise waits for the first writer before it. */
  protected override waitFor(sorted: readonly string[], ourIndex: number): string | undefined {
    if (this.writeLock.isAcquiredInThisProcess()) return undefined;
    for (let i = 0; i < ourIndex; i++) if (sorted[i]!.includes(WRITE_LOCK_NAME)) return sorted[i];
    return undefined;
  }
}

/**
 * Curator's InterProcessReadWriteLock on `path`: `readLock()` and `writeLock()`, each re-entrant
 * per handle, shared with Curator's lock of the same path. Nothing is sent until an acquire.
 */
export class InterProcessReadWriteLock {
  /** The lock directory: readers and writers are its children. */
  readonly path: string;
  private readonly reader: InterProcessReadLock;
  private readonly writer: InterProcessWriteLock;

  constructor(client: RecipeClient, path: string, options: InterProcessReadWriteLockOptions = {}) {
    this.path = path;
    this.writer = new InterProcessWriteLock(client, path, { data: options.data });
    this.reader = new InterProcessReadLock(client, path, this.writer, options.data);
  }

  /** The read side (the same object on every call). */
  readLock(): InterProcessReadLock {
    return this.reader;
  }

  /** The write side (the same object on every call). */
  writeLock(): InterProcessWriteLock {
    return this.writer;
  }
}
