// Curator's InterProcessSemaphoreMutex ("Shared Lock"): a mutex that is not re-entrant, being an
// InterProcessSemaphoreV2 with one lease on Curator's layout (`P/locks/`, `P/leases/`). Because it
// is not re-entrant, one handle also excludes the tasks of its own process from each other: a
// second acquire waits until the first is released, whoever releases it (as in Curator, where any
// thread may release). An acquire by the task that already holds waits for itself: use a timeout
// or InterProcessMutex. docs/curator-locks.md#interprocesssemaphoremutex

import type { CallOptions, RecipeClient } from '../../lib/recipe-client.js';
import { IllegalMonitorStateError } from './lock-errors.js';
import type { InterProcessMutexAcquireOptions } from './mutex.js';
import { InterProcessSemaphoreV2, type Lease } from './semaphore-v2.js';

/** Curator's InterProcessSemaphoreMutex on `path`. `await using` releases it. */
export class InterProcessSemaphoreMutex implements AsyncDisposable {
  /** The semaphore's directory. */
  readonly path: string;
  private readonly semaphore: InterProcessSemaphoreV2;
  private lease: Lease | undefined;

  constructor(client: RecipeClient, path: string) {
    this.path = path;
    this.semaphore = new InterProcessSemaphoreV2(client, path, 1);
  }

  /**
   * Takes the lock: true once held, false when `timeout` (ms, counted across every wait; 0 is a
   * try-lock) ran out first. Rejects with the signal's reason on abort.
   */
  async acquire(options: InterProcessMutexAcquireOptions = {}): Promise<boolean> {
    const lease = await this.semaphore.acquire(options);
    // A timed-out acquire leaves the current lease (another task's) alone.
    if (lease === undefined) return false;
    this.lease = lease;
    return true;
  }

  /**
   * Releases the lock (deletes the lease, a guaranteed delete, waiting through an outage within
   * `timeout` and `signal`). Rejects with IllegalMonitorStateError if it is not held.
   */
  async release(options: CallOptions = {}): Promise<void> {
    const lease = this.lease;
    if (lease === undefined) throw new IllegalMonitorStateError(`${this.path} is not acquired`, this.path);
    await lease.close(options);
    if (this.lease === lease) this.lease = undefined;
  }

  /** Whether this handle holds a lease. */
  isAcquiredInThisProcess(): boolean {
    return this.lease !== undefined;
  }

  /** The names of the lease nodes (one while held, plus any acquirer waiting in the gate). */
  getParticipantNodes(options?: CallOptions): Promise<string[]> {
    return this.semaphore.getParticipantNodes(options);
  }

  /** `await using`: releases if held. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.lease !== undefined) await this.release();
  }
}
