// Curator's InterProcessMultiLock: several locks taken as one. It takes them in the order given and,
// when one cannot be had (timeout, abort, error), releases those it took, last first, so a failed
// acquire holds nothing (an error from those releases is dropped: the acquire's own outcome is
// what the caller needs). A path given stands for an InterProcessMutex on Curator's layout, so
// Curator's own multi lock on the same paths excludes it. Every process should name the paths in
// one order: two that take them in opposite orders can each wait on the other until a timeout.
// docs/curator-locks.md#interprocessmultilock
//
// Where it differs from Curator 5.4: the timeout counts across all the locks (Curator gives each
// lock the whole time again). As in Curator, a release that fails on one lock still releases the
// others and then rejects with the first error; the handle counts itself released, and the lock
// whose release failed keeps its own hold (a mutex keeps it until its delete gets through).

import { type CallOptions, InvalidArgumentError, type RecipeClient } from '../../lib/recipe-client.js';
import { checkWaitTimeout } from '../countdown.js';
import { IllegalMonitorStateError } from './lock-errors.js';
import { InterProcessMutex, type InterProcessMutexAcquireOptions } from './mutex.js';

/** What a multi lock needs of each lock it holds (Curator's InterProcessLock). */
export interface InterProcessLock {
  /** Takes the lock: true once held, false when `timeout` ran out first. */
  acquire(options?: InterProcessMutexAcquireOptions): Promise<boolean>;
  /** Releases one acquire of the lock. */
  release(options?: CallOptions): Promise<void>;
  /** Whether this handle holds the lock. */
  isAcquiredInThisProcess(): boolean;
}

/** Curator's InterProcessMultiLock over `locks`, taken in their order. `await using` releases it. */
export class InterProcessMultiLock implements InterProcessLock, AsyncDisposable {
  /** The locks, in the order they are taken. */
  readonly locks: readonly InterProcessLock[];
  private readonly client: RecipeClient;
  /** How many complete acquires this handle holds (each took every lock once). */
  private held = 0;

  /**
   * A multi lock over `locks`: a path stands for an InterProcessMutex on it (Curator's
   * `InterProcessMultiLock(client, paths)`); a lock may be any of the others (a read/write lock's
   * side, an InterProcessSemaphoreMutex, another multi lock). The list may not be empty.
   */
  constructor(client: RecipeClient, locks: readonly (string | InterProcessLock)[]) {
    if (locks.length === 0) throw new InvalidArgumentError('locks', 'a multi lock needs at least one lock');
    this.client = client;
    this.locks = locks.map((lock) => (typeof lock === 'string' ? new InterProcessMutex(client, lock) : lock));
  }

  /**
   * Takes every lock, in order. Resolves true once all are held; false when `timeout` (ms, counted
   * across all of them; 0 tries each once) ran out first, holding none of them. Rejects with the
   * signal's reason on abort, or with the first lock's error, in both cases holding none.
   */
  async acquire(options: InterProcessMutexAcquireOptions = {}): Promise<boolean> {
    const { timeout, signal } = options;
    checkWaitTimeout(timeout);
    const { handler } = this.client;
    const deadline = timeout === undefined ? undefined : handler.now() + timeout;
    const taken: InterProcessLock[] = [];
    try {
      for (const lock of this.locks) {
        const left = deadline === undefined ? undefined : Math.max(0, deadline - handler.now());
        if (!(await lock.acquire({ timeout: left, signal }))) {
          await releaseAll(taken);
          return false;
        }
        taken.push(lock);
      }
    } catch (error) {
      await releaseAll(taken);
      throw error;
    }
    this.held++;
    return true;
  }

  /**
   * Releases one acquire of every lock, last first. Every lock is released even when one fails;
   * then it rejects with the first error. Rejects with IllegalMonitorStateError if not held.
   */
  async release(options: CallOptions = {}): Promise<void> {
    if (this.held === 0)
      throw new IllegalMonitorStateError('the multi lock is not acquired', this.locks.map(pathOf).join(', '));
    this.held--;
    const errors = await releaseAll(this.locks, options);
    if (errors.length > 0) throw errors[0];
  }

  /** Whether this handle holds every one of its locks. */
  isAcquiredInThisProcess(): boolean {
    return this.held > 0 && this.locks.every((lock) => lock.isAcquiredInThisProcess());
  }

  /** `await using`: releases every acquire it holds. */
  async [Symbol.asyncDispose](): Promise<void> {
    while (this.held > 0) await this.release();
  }
}

/** Releases `locks` last first, going on past failures; the errors, in the order they happened. */
async function releaseAll(locks: readonly InterProcessLock[], options?: CallOptions): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (let i = locks.length - 1; i >= 0; i--) {
    try {
      await locks[i]!.release(options);
    } catch (error) {
      errors.push(error);
    }
  }
  return errors;
}

/** A lock's path for messages: a mutex's or semaphore's directory, else its kind. */
function pathOf(lock: InterProcessLock): string {
  const path = (lock as { path?: unknown }).path;
  return typeof path === 'string' ? path : lock.constructor.name;
}
