// kazoo's Election: contenders queue on a Lock at `<path>` (nodes `<uuid>__lock__<seq>`, data =
// identifier), and the holder runs the leader function until it settles, then gives leadership up.
// Python services on kazoo share the election: docs/recipes.md#election.
//
// What kazoo leaves to the leader, this does: the function gets an AbortSignal, appended to its
// arguments, that aborts (with LeadershipLostError) when leadership is lost — the session is
// lost, or the leader's node was deleted by someone else — so a leader stops acting instead of
// overlapping the next one. A SUSPENDED connection does not abort it (the session may well
// survive); a leader that must pause then listens to `election.lock`'s 'suspended' event, and one
// that must not act twice fences its writes with `election.lock.node` in a transaction
// (docs/recipes.md#leadership).

import {
  type CallOptions,
  ClientState,
  InvalidArgumentError,
  type RecipeClient,
  type WatchedEvent,
} from '../lib/recipe-client.js';
import { EventType } from '../protocol/index.js';
import { Lock } from './lock.js';
import { CancelledError } from './recipe-errors.js';

/** The reason a leader's signal aborts with: it is no longer the leader. */
export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_LEADERSHIP_LOST';
  constructor(
    /** The election's path. */
    readonly path: string,
    /** 'session lost' or 'node deleted'. */
    readonly reason: string,
  ) {
    super(`leadership of ${path} lost: ${reason}`);
  }

  /** `{ name, message, code, path, reason }` for JSON.stringify. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, code: this.code, path: this.path, reason: this.reason };
  }
}

/** A leader-election contender shared with kazoo: `run(fn)` waits to lead, then runs `fn`. */
export class Election {
  /** The election's lock node: contenders are its children. */
  readonly path: string;
  /** The lock behind the election (its 'suspended' and 'lost' events, its `node` for fencing). */
  readonly lock: Lock;
  private readonly client: RecipeClient;
  /** run() is waiting for the lock. */
  private waiting = false;
  /** cancel() came while no run() waited: the next run() resolves undefined at once. */
  private cancelPending = false;

  /** A contender for `path`, known to others by `identifier` (nothing is sent until `run()`). */
  constructor(client: RecipeClient, path: string, identifier?: string) {
    this.client = client;
    this.path = path;
    this.lock = new Lock(client, path, identifier);
  }

  /**
   * Waits for leadership, then runs `fn(...args, signal)` and gives leadership up once it settles
   * (its rejection is `run`'s). `signal` aborts when leadership is lost. Resolves undefined if
   * cancel() ends the wait, or came before it (kazoo swallows its CancelledError too).
   */
  async run<A extends unknown[], R>(
    fn: (...args: [...A, AbortSignal]) => R | Promise<R>,
    ...args: A
  ): Promise<R | undefined> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'the leader function is not callable');
    const { lock } = this;
    if (this.cancelPending) {
      this.cancelPending = false;
      return undefined;
    }
    if (this.waiting || lock.isAcquired)
      throw new Error(`run() of the election ${this.path} is already in progress`);
    this.waiting = true;
    try {
      if (!(await lock.acquire()))
        throw new Error(`the lock of the election ${this.path} is busy in this process`);
    } catch (error) {
      if (error instanceof CancelledError) return undefined;
      throw error;
    } finally {
      this.waiting = false;
    }
    const leadership = new AbortController();
    let leading = true;
    const lose = (reason: string): void => {
      // Once fn has settled, our own release deletes the node: that is no loss to report.
      if (leading && !leadership.signal.aborted) leadership.abort(new LeadershipLostError(this.path, reason));
    };
    const onLost = (): void => lose('session lost');
    lock.on('lost', onLost);
    try {
      // A LOST before the listener was added leaves the lock not acquired.
      if (!lock.isAcquired) lose('session lost');
      // The watch on our node is sent now but not awaited: the leader starts one round trip sooner
      // (fail-over is the predecessor's deletion notice and one getChildren, nothing more). The
      // getChildren that granted the lock saw the node; the exists is sent before anything fn
      // sends, so the server answers it first, and a deletion since is reported through `signal`.
      // docs/recipes.md#leader-starts-before-its-watch-is-set
      else void this.watchNode(lock.node, lose, () => leading && !leadership.signal.aborted);
      return await fn(...args, leadership.signal);
    } finally {
      leading = false;
      lock.off('lost', onLost);
      await lock.release();
    }
  }

  /**
   * Makes a waiting `run()` resolve undefined; called before `run()`, it makes the next one do so
   * (kazoo's flag, so a cancel racing the start of `run` is not lost). A running leader function
   * is not interrupted, as in kazoo.
   */
  cancel(): void {
    if (this.lock.isAcquired) return;
    // While run() waits, the Lock's acquire is in progress: its cancel ends it. Otherwise the flag
    // waits for the next run().
    this.cancelPending = !this.waiting;
    if (this.waiting) this.lock.cancel();
  }

  /** The contenders' identifiers, the leader first ('' for none given). */
  contenders(options?: CallOptions): Promise<string[]> {
    return this.lock.contenders(options);
  }

  /**
   * Watches the leader's own node (a data watch, re-set on data changes) and calls `lose` once it
   * is deleted. Session events need nothing here: the lock reports LOST itself.
   */
  private async watchNode(
    node: string | undefined,
    lose: (reason: string) => void,
    leading: () => boolean,
  ): Promise<void> {
    if (node === undefined) {
      lose('node deleted');
      return;
    }
    const { client } = this;
    const watch = (event: WatchedEvent): void => {
      if (!leading()) return;
      // A data change (someone wrote to our node) needs the watch set again; deletion ends it.
      if (event.type === EventType.NodeDeleted) lose('node deleted');
      else if (event.type !== EventType.None) void arm();
    };
    const arm = async (): Promise<void> => {
      try {
        const stat = await client.retry(() => client.exists(node, watch));
        if (stat === null) lose('node deleted');
      } catch {
        // The session ended or the client stopped: the lock's 'lost' says so.
        if (client.state === ClientState.LOST) lose('session lost');
      }
    };
    await arm();
  }
}
