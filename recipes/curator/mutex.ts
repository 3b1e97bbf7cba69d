// Curator's InterProcessMutex ("Shared Reentrant Lock") on Curator's layout, so a Node process and
// Java services on Curator exclude each other on one path: each contender is
// `P/_c_<uuid>-lock-<seq>` (protected, ephemeral-sequential, the directory a container), and it
// holds once no contender sorts before it (lock-internals.ts). docs/curator-locks.md#interprocessmutex
//
// Re-entrance is counted per handle, where Curator counts per thread: every `acquire()` of a
// handle that holds succeeds at once and needs its own `release()`. Acquires of one handle that
// does not hold yet queue behind each other, so one handle never has two nodes in the line.
//
// Where it differs from Curator 5.4, keeping the layout:
// - a release whose delete fails (connection loss) keeps the hold until the delete succeeds, so
//   the handle never forgets a node still on the server (CURATOR-678);
// - the session's end is noticed: the hold turns lost ('lost' event, `isAcquiredInThisProcess()`
//   false) and cannot be re-entered, where Curator re-enters a hold whose node is gone;
// - a timed acquire's timeout counts across every wait of the call, and resolves false.

import { EventEmitter } from 'eventemitter3';
import {
  type CallOptions,
  ClientState,
  type RecipeClient,
  type Value,
  validatePath,
} from '../../lib/recipe-client.js';
import { checkWaitTimeout } from '../countdown.js';
import { IllegalMonitorStateError } from './lock-errors.js';
import { attemptLock, deleteNode, type LockDriver, participantNodes } from './lock-internals.js';
import { watchForRevocation } from './revocation.js';

/** Curator's lock name: contenders are `_c_<uuid>-lock-<seq>`. */
const LOCK_NAME = 'lock-';

/** Options of an InterProcessMutex. */
export interface InterProcessMutexOptions {
  /**
   * The data of this handle's lock nodes (LeaderSelector stores its id here). Default: none (empty);
   * Curator's default is the host's IP address as text (its framework's `defaultData`).
   */
  data?: Value;
}

/** Options of `acquire()`. */
export interface InterProcessMutexAcquireOptions {
  /**
   * Give up after this many ms, counted across every wait, and resolve false (Curator's
   * `acquire(time, unit)`). 0 is a try-lock: one look, false if the lock is held elsewhere.
   * Default: wait as long as it takes.
   */
  timeout?: number;
  /** Aborting it rejects the acquire with the signal's reason; the node it made is removed. */
  signal?: AbortSignal;
}

/** Events of a lock handle while it holds. */
export interface InterProcessMutexEvents {
  /** The session ended while holding: the node is gone, the hold is lost (release() it). */
  lost: [nodePath: string];
}

/** The hold of a handle: its node, how many acquires it counts, and what became of it. */
interface Hold {
  readonly path: string;
  count: number;
  /** The session ended: the node is gone, only the count is left to release. */
  lost: boolean;
  /** The last release is deleting the node. */
  releasing: boolean;
}

/**
 * Curator's InterProcessMutex: a re-entrant lock shared with Curator (and with kazoo's Lock given
 * `extra_lock_patterns=['-lock-']`). `await using` releases every count it holds.
 */
export class InterProcessMutex extends EventEmitter<InterProcessMutexEvents> implements AsyncDisposable {
  /** The lock directory: contenders are its children. */
  readonly path: string;
  private readonly client: RecipeClient;
  private readonly data: Value | undefined;
  /** Queues this handle's acquires (and its last release), so it has one node at a time. */
  private readonly turn;
  private hold: Hold | undefined;
  private revocationListener: ((mutex: this) => void) | undefined;
  private stopRevocationWatch: (() => void) | undefined;
  private listening = false;

  /** A mutex on `path` (nothing is sent until `acquire()`). */
  constructor(client: RecipeClient, path: string, options: InterProcessMutexOptions = {}) {
    super();
    validatePath(path);
    this.client = client;
    this.path = path;
    this.data = options.data;
    this.turn = client.handler.lockObject();
  }

  /**
   * Takes the lock, or counts one more acquire if this handle holds it. Resolves true once held;
   * false when `timeout` ran out first. Rejects with the signal's reason on abort,
   * ConnectionClosedError on a stopped client, IllegalMonitorStateError if this handle's hold was
   * lost and not yet released. Whenever it does not end holding, its node is removed for certain.
   */
  async acquire(options: InterProcessMutexAcquireOptions = {}): Promise<boolean> {
    const { timeout, signal } = options;
    checkWaitTimeout(timeout);
    if (this.reenter()) return true;
    const { handler } = this.client;
    const started = handler.now();
    let endTurn: (() => void) | undefined;
    if (timeout === 0) endTurn = this.turn.tryAcquire();
    else {
      try {
        endTurn = await this.turn.acquire({ timeoutMs: timeout, signal });
      } catch (error) {
        if (error instanceof handler.TimeoutError) return false;
        throw error;
      }
    }
    if (endTurn === undefined) return false; // a try-lock while this handle is busy acquiring
    try {
      if (this.reenter()) return true;
      let left = timeout;
      if (timeout !== undefined && timeout > 0) {
        left = timeout - (handler.now() - started);
        if (left <= 0) return false;
      }
      const path = await attemptLock(this.client, this.path, this.driver(), {
        timeout: left,
        signal,
        data: this.data,
        onNode: (node) => this.watchRevocation(node),
      });
      if (path === undefined) {
        this.unwatchRevocation();
        return false;
      }
      this.hold = { path, count: 1, lost: false, releasing: false };
      this.listen();
      return true;
    } catch (error) {
      this.unwatchRevocation();
      throw error;
    } finally {
      endTurn();
    }
  }

  /**
   * Counts one acquire off; the last one deletes the node (a guaranteed delete). During a
   * connection outage it waits for the connection, within `timeout` (ms, the handler's
   * TimeoutError) and `signal`; if it gives up, the hold stays and release() can be called again
   * (the client's guaranteed delete goes on in the background). Rejects with
   * IllegalMonitorStateError if this handle does not hold the lock.
   */
  async release(options: CallOptions = {}): Promise<void> {
    const hold = this.hold;
    if (hold === undefined || hold.releasing)
      throw new IllegalMonitorStateError(`${this.path} is not held by this handle`, this.path);
    if (hold.count > 1) {
      hold.count -= 1;
      return;
    }
    if (hold.lost) {
      this.forget(hold);
      return;
    }
    hold.releasing = true;
    const endTurn = await this.turn.acquire({ signal: options.signal }).catch((error: unknown) => {
      hold.releasing = false;
      throw error;
    });
    try {
      await deleteNode(this.client, hold.path, options);
      this.forget(hold);
    } finally {
      hold.releasing = false;
      endTurn();
    }
  }

  /** Whether this handle holds the lock (false once its session was lost). */
  isAcquiredInThisProcess(): boolean {
    return this.hold !== undefined && !this.hold.lost;
  }

  /**
   * The full path of this handle's node while it holds (Curator 5.5's `getLockPath`), for
   * fencing: a holder's transaction can `check` it, so a write fails if the lock was lost meanwhile.
   */
  get lockPath(): string | undefined {
    return this.isAcquiredInThisProcess() ? this.hold?.path : undefined;
  }

  /** The full paths of every contender's node, the holder first; [] when the directory does not exist. */
  getParticipantNodes(options: CallOptions = {}): Promise<string[]> {
    return this.client.retry(
      () => participantNodes(this.client, this.path, this.markers, options.signal),
      options.signal,
    );
  }

  /**
   * Makes this handle's holds revocable: when another process calls `attemptRevoke(zk, node)` on
   * the node this handle holds (or waits with), `listener(this)` runs; releasing is up to it.
   * Applies to acquires made from now on.
   */
  makeRevocable(listener: (mutex: this) => void): void {
    this.revocationListener = listener;
  }

  /** `await using mutex = zk.InterProcessMutex(path)`: releases every count this handle holds. */
  async [Symbol.asyncDispose](): Promise<void> {
    const hold = this.hold;
    if (hold === undefined || hold.releasing) return;
    hold.count = 1;
    await this.release();
  }

  /** The names contenders carry before their counter. */
  protected get markers(): readonly string[] {
    return [LOCK_NAME];
  }

  /** The name this handle's next node is created with (after the protected prefix). */
  protected nodeName(): { name: string; sequential: boolean } {
    return { name: LOCK_NAME, sequential: true };
  }

  /** The node ours waits for: the one just before it; undefined when ours is first. */
  protected waitFor(sorted: readonly string[], ourIndex: number): string | undefined {
    return ourIndex < 1 ? undefined : sorted[ourIndex - 1];
  }

  private driver(): LockDriver {
    return {
      markers: this.markers,
      nodeName: () => this.nodeName(),
      waitFor: (sorted, ourIndex) => this.waitFor(sorted, ourIndex),
    };
  }

  /** Counts one more acquire of a live hold; false when there is none to re-enter. */
  private reenter(): boolean {
    const hold = this.hold;
    if (hold === undefined || hold.releasing) return false;
    if (hold.lost)
      throw new IllegalMonitorStateError(
        `the hold of ${this.path} was lost with its session: release() it before acquiring again`,
        this.path,
      );
    hold.count += 1;
    return true;
  }

  private forget(hold: Hold): void {
    if (this.hold !== hold) return;
    this.hold = undefined;
    this.unwatchRevocation();
    this.unlisten();
  }

  private watchRevocation(node: string): void {
    this.unwatchRevocation();
    const listener = this.revocationListener;
    if (listener === undefined) return;
    this.stopRevocationWatch = watchForRevocation(this.client, node, () =>
      this.client.handler.dispatchCallback(() => listener(this)),
    );
  }

  private unwatchRevocation(): void {
    this.stopRevocationWatch?.();
    this.stopRevocationWatch = undefined;
  }

  private readonly onState = (state: ClientState): void => {
    const hold = this.hold;
    if (state !== ClientState.LOST || hold === undefined || hold.lost) return;
    hold.lost = true;
    this.unwatchRevocation();
    this.emit('lost', hold.path);
  };

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
}
