// kazoo's Semaphore: up to `maxLeases` holders at once. The semaphore node `<path>` stores
// max_leases as ASCII decimal; each holder has an ephemeral lease node `<path>/<uuid>` (not
// sequential) whose data is its identifier; and only the holder of the sibling Lock at
// `<path>-__lock__` may count the leases and add one, so two acquirers never both see the last
// free lease. Python services on kazoo share it: docs/recipes.md#semaphore.
//
// Where this differs from kazoo, keeping its layout:
// - The lease is created in one transaction with a check of our sibling-lock node: if that node is
//   gone (the session was lost while we held the lock, and someone else may hold it now), no lease
//   is created, so the count can never be read by two lock holders at once
//   (docs/recipes.md#fenced-lease).
// - The whole acquire has one deadline: every wait gets the time that is left.
// - A lease node whose create may have happened (the reply was lost and the acquire then failed)
//   is deleted for certain, retried until it is gone or the session is, never best-effort: kazoo
//   #429's zombie leases. The sibling lock's node is the Lock's to remove, and it does so as surely
//   (docs/recipes.md#semaphore-waits-and-cleanup).
// - `isAcquired` turns false and 'lost' is emitted when the session is lost, which takes the
//   ephemeral lease with it. kazoo keeps `is_acquired` true.
// - The stored max_leases is created with the node in one request, never written after an empty
//   create another acquirer could read in between.

import { EventEmitter } from 'eventemitter3';
import {
  type CallOptions,
  ClientState,
  ConnectionClosedError,
  ConnectionState,
  InvalidArgumentError,
  joinPath,
  NodeExistsError,
  NoNodeError,
  type RecipeClient,
  TransactionFailedError,
  validatePath,
} from '../lib/recipe-client.js';
import { deleteForCertain } from './certain-delete.js';
import { LOCK_MARKER, newContenderPrefix } from './contenders.js';
import { type Countdown, checkWaitTimeout, startCountdown } from './countdown.js';
import { isConnectionProblem, reportFault } from './faults.js';
import { readIdentifiers } from './identifiers.js';
import { Lock } from './lock.js';
import { CancelledError, LockTimeoutError } from './recipe-errors.js';

/** The stored max_leases differs from this semaphore's: the node must be deleted to change it. */
export class MaxLeasesMismatchError extends InvalidArgumentError {
  override readonly name = 'MaxLeasesMismatchError';
  /** Stable code (docs/errors.md#codes). */
  override readonly code = 'ERR_ZOOKIT_MAX_LEASES_MISMATCH';
  constructor(
    /** The semaphore's path. */
    readonly path: string,
    /** The max_leases stored on the semaphore node. */
    readonly stored: number,
    /** The max_leases this Semaphore was made with. */
    readonly expected: number,
  ) {
    super('maxLeases', `inconsistent max leases on ${path}: ${stored} stored, ${expected} expected`);
  }
}

/** Options of `Semaphore.acquire()`. */
export interface SemaphoreAcquireOptions {
  /** Default true; false: one look, resolves false if no lease is free or the lock is taken. */
  blocking?: boolean;
  /** Give up after this many ms in all (LockTimeoutError); each wait gets what is left. */
  timeout?: number;
  /** Aborting it rejects with its reason; nothing is left behind. */
  signal?: AbortSignal;
}

/** The events of a Semaphore. */
export interface SemaphoreEvents {
  /** The session was lost while holding a lease: the lease is gone and `isAcquired` is false. */
  lost: [reason: string];
}

/** The first pause before deleting again after a connection problem, ms (doubling up to MAX_PAUSE_MS). */
const FIRST_PAUSE_MS = 50;
const MAX_PAUSE_MS = 1000;

/** What one pass under the sibling lock found: a lease, none free (non-blocking), or start over. */
type PassOutcome = 'acquired' | 'missed' | 'again';

/**
 * A counting semaphore shared with kazoo: at most `maxLeases` holders at once. Not re-entrant: a
 * second `acquire()` while holding resolves true at once (kazoo's answer); one while an acquire
 * is in progress resolves false. `await using` releases it.
 */
export class Semaphore extends EventEmitter<SemaphoreEvents> implements AsyncDisposable {
  /** The semaphore node: leases are its children, `<path>-__lock__` its sibling lock. */
  readonly path: string;
  /** Stored in the lease node, listed by `leaseHolders()`. */
  readonly identifier: string;
  /** How many holders at once; stored on the semaphore node, and checked against it. */
  readonly maxLeases: number;
  private readonly client: RecipeClient;
  /** The sibling lock's path, `<path>-__lock__`. */
  private readonly lockPath: string;
  /** The lease node's name (a fresh uuid per acquire, so a late cleanup never hits a newer lease). */
  private leaseName = newLeaseName();
  /** Set by the children watch or a session event: the waiter looks again. */
  private readonly wake;
  private acquired = false;
  private checkedMaxLeases = false;
  /** The acquire in progress, if any. */
  private countdown: Countdown | undefined;
  private listening = false;
  private readonly onState = (state: ClientState): void => this.stateChanged(state);
  private readonly onChildren = (): void => this.wake.set();

  /** A semaphore on `path` (nothing is sent until `acquire()`); `maxLeases` is an integer ≥ 1. */
  constructor(client: RecipeClient, path: string, identifier?: string, maxLeases = 1) {
    super();
    validatePath(path);
    if (!Number.isInteger(maxLeases) || maxLeases < 1) {
      throw new InvalidArgumentError('maxLeases', `maxLeases must be an integer ≥ 1, got ${maxLeases}`);
    }
    this.client = client;
    this.path = path;
    this.identifier = identifier ?? '';
    this.maxLeases = maxLeases;
    this.lockPath = `${path}-${LOCK_MARKER}`;
    this.wake = client.handler.eventObject();
  }

  /** Whether this instance holds a lease; false again once released or the session is lost ('lost'). */
  get isAcquired(): boolean {
    return this.acquired;
  }

  /** The lease node's path while it is held, for fencing: a holder's transaction can `check` it. */
  get node(): string | undefined {
    return this.acquired ? this.leasePath : undefined;
  }

  /**
   * Takes a lease: true once held; false when `blocking` is false and none is free (or the
   * sibling lock is busy), or when an acquire of this instance is already in progress. Rejects with
   * MaxLeasesMismatchError if the node stores another max_leases, LockTimeoutError after
   * `timeout`, CancelledError on `cancel()`, the signal's reason on abort, ConnectionClosedError at
   * once on a stopped or never-started client. Whenever it does not end holding a lease, nothing
   * of it is left: a lease it may have created is removed for certain (in the background).
   */
  async acquire(options: SemaphoreAcquireOptions = {}): Promise<boolean> {
    const { blocking = true, timeout, signal } = options;
    checkWaitTimeout(timeout);
    if (this.countdown !== undefined) return false;
    const { client } = this;
    if (client.connectionState === ConnectionState.CLOSED)
      throw new ConnectionClosedError(`cannot acquire ${this.path}: the client is not started`);
    signal?.throwIfAborted();
    const countdown = startCountdown(
      client.handler,
      { timeout, signal },
      () =>
        new LockTimeoutError(
          `could not acquire semaphore ${this.path} within ${timeout} ms`,
          this.path,
          timeout,
        ),
    );
    this.countdown = countdown;
    this.listen();
    let mayHaveCreated = false;
    try {
      if (!this.checkedMaxLeases) await this.checkMaxLeases(countdown.signal);
      if (this.acquired) {
        // Do we still have our lease? (kazoo answers true to a second acquire.)
        const stat = await client.retry(() =>
          client.exists(this.leasePath, undefined, { signal: countdown.signal }),
        );
        if (stat !== null) return true;
        this.acquired = false;
      }
      this.leaseName = newLeaseName();
      for (;;) {
        const outcome = await this.pass(blocking, countdown.signal, () => {
          mayHaveCreated = true;
        });
        if (outcome === 'again') continue;
        this.acquired = outcome === 'acquired';
        return this.acquired;
      }
    } catch (error) {
      // #429: a lease whose create may have happened goes, for certain, whatever ended the acquire.
      if (mayHaveCreated)
        void deleteForCertain(client, { parent: this.path, prefix: this.leaseName, name: this.leaseName });
      throw countdown.signal.aborted ? countdown.signal.reason : error;
    } finally {
      countdown.finish();
      this.countdown = undefined;
      if (!this.acquired) this.unlisten();
    }
  }

  /**
   * Gives the lease back: deletes its node and resolves true; false if none was held. During a
   * connection outage it waits for the connection, within `timeout` (ms, the handler's
   * TimeoutError) and `signal`; if it gives up, the lease is still held and release can be called
   * again. On a stopped client the lease went with the session: true.
   */
  async release(options: CallOptions = {}): Promise<boolean> {
    if (!this.acquired) return false;
    const { client } = this;
    const { handler } = client;
    const countdown = startCountdown(
      handler,
      options,
      () =>
        new handler.TimeoutError(`releasing semaphore ${this.path} timed out after ${options.timeout} ms`),
    );
    try {
      for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
        try {
          await client.delete(this.leasePath, { signal: countdown.signal });
          break;
        } catch (error) {
          if (error instanceof NoNodeError || error instanceof ConnectionClosedError) break;
          if (countdown.signal.aborted) throw countdown.signal.reason;
          if (!isConnectionProblem(client, error)) throw error;
          await handler.sleep(pause, countdown.signal);
        }
      }
    } finally {
      countdown.finish();
    }
    this.acquired = false;
    this.unlisten();
    return true;
  }

  /** Makes a waiting `acquire()` reject with CancelledError. A held lease is kept. */
  cancel(): void {
    this.countdown?.abort(
      new CancelledError(`the acquire of semaphore ${this.path} was cancelled`, this.path),
    );
  }

  /** The identifiers of the current lease holders, in no particular order ('' for none given). */
  async leaseHolders(options: CallOptions = {}): Promise<string[]> {
    const { client, path } = this;
    return client.retry(async () => {
      let children: string[];
      try {
        children = await client.getChildren(path, undefined, options);
      } catch (error) {
        if (error instanceof NoNodeError) return [];
        throw error;
      }
      return readIdentifiers(client, path, children, options);
    }, options.signal);
  }

  /** `await using sem = zk.Semaphore(path)`: cancels a pending acquire and releases. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.cancel();
    await this.release();
  }

  private get leasePath(): string {
    return joinPath(this.path, this.leaseName);
  }

  /**
   * Holds the sibling lock and waits for a free lease. 'again' when the lock was lost under us
   * (the session ended): the count may be someone else's to read now, so start over.
   */
  private async pass(blocking: boolean, signal: AbortSignal, creating: () => void): Promise<PassOutcome> {
    const { client } = this;
    const lock = new Lock(client, this.lockPath, this.identifier);
    // Rejects with the countdown's reason (timeout, cancel, abort); the Lock removes its own node.
    if (!(await lock.acquire({ blocking, signal }))) return 'missed';
    // Released for certain: awaited when the pass ends well, so the next acquirer goes on at once;
    // in the background when it failed, so the rejection is not held up by an outage.
    const release = (): Promise<unknown> =>
      lock.release().catch((error: unknown) => {
        if (!(error instanceof ConnectionClosedError)) reportFault(client, error);
      });
    let outcome: PassOutcome;
    try {
      outcome = await this.underLock(lock, blocking, signal, creating);
    } catch (error) {
      void release();
      throw error;
    }
    await release();
    return outcome;
  }

  /** Holding the sibling lock: counts the leases, takes one if one is free, else waits for a change. */
  private async underLock(
    lock: Lock,
    blocking: boolean,
    signal: AbortSignal,
    creating: () => void,
  ): Promise<PassOutcome> {
    const { client } = this;
    for (;;) {
      const lockNode = lock.node;
      if (!lock.isAcquired || lockNode === undefined) return 'again';
      // Cleared before reading, so a change during the read makes the wait below return at once.
      this.wake.clear();
      const children = await client.retry(
        () => client.getChildren(this.path, this.onChildren, { signal }),
        signal,
      );
      if (children.includes(this.leaseName)) return 'acquired';
      if (children.length < this.maxLeases) {
        creating();
        return this.createLease(lockNode, signal);
      }
      if (!blocking) return 'missed';
      await this.wake.wait(undefined, signal);
    }
  }

  /** Creates the lease, fenced by our sibling-lock node: 'again' if that node is gone. */
  private async createLease(lockNode: string, signal: AbortSignal): Promise<PassOutcome> {
    const { client } = this;
    try {
      await client.retry(
        () =>
          client
            .transaction()
            .check(lockNode, -1)
            .create(this.leasePath, this.identifier, { ephemeral: true })
            .commit({ throwOnFailure: true, signal }),
        signal,
      );
      return 'acquired';
    } catch (error) {
      if (!(error instanceof TransactionFailedError)) throw error;
      const { index, error: cause } = error.failedOp;
      // A create whose reply was lost did happen: the lease is ours.
      if (cause instanceof NodeExistsError) return 'acquired';
      // Our lock node is gone: we no longer hold the lock.
      if (cause instanceof NoNodeError && index === 0) return 'again';
      throw error;
    }
  }

  /**
   * kazoo's max_leases check: a semaphore node we create gets our value in the same request; one
   * that exists must store the same number. Data that is not a number is someone else's: ignored.
   * docs/recipes.md#max-leases
   */
  private async checkMaxLeases(signal: AbortSignal): Promise<void> {
    const { client, path } = this;
    try {
      await client.retry(
        () => client.create(path, String(this.maxLeases), { makepath: true, signal }),
        signal,
      );
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
      const [data] = await client.retry(() => client.get(path, undefined, { signal }), signal);
      const stored = storedMaxLeases(data);
      if (stored !== undefined && stored !== this.maxLeases) {
        throw new MaxLeasesMismatchError(path, stored, this.maxLeases);
      }
    }
    this.checkedMaxLeases = true;
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.client.on('state', this.onState);
  }

  private unlisten(): void {
    if (!this.listening) return;
    this.listening = false;
    this.client.off('state', this.onState);
  }

  private stateChanged(state: ClientState): void {
    // A waiter looks again after every session event: after LOST its lock is gone (start over),
    // after CONNECTED it reads what changed while it was away.
    if (this.countdown !== undefined) this.wake.set();
    if (state === ClientState.LOST && this.acquired) {
      this.acquired = false;
      this.unlisten();
      this.emit('lost', `the session ended (${this.client.connectionState})`);
    }
  }
}

/** A lease node's name: a uuid4 as 32 lower-case hex digits (kazoo's `uuid.uuid4().hex`), with no marker. */
function newLeaseName(): string {
  return newContenderPrefix('');
}

/** The stored max_leases as kazoo's `int(data.decode())` reads it; undefined if not a number. */
function storedMaxLeases(data: Buffer | null): number | undefined {
  if (data === null) return undefined;
  const text = data.toString('utf8').trim();
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}
