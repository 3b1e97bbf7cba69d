// kazoo's Lock, WriteLock and ReadLock, on kazoo's znode layout so Python and Node contenders share
// one lock: each contender creates `<path>/<uuid><marker><seq>` (ephemeral, sequential, data = its
// identifier) and holds the lock once no blocking contender sorts before it; until then it watches
// only its immediate predecessor (docs/recipes.md#layout).
//
// What this does that kazoo 2.8 does not (each has a test in spec/recipes/lock.spec.ts):
// - the order of contenders survives the counter's wrap (contenders.ts, #730);
// - a timeout counts down across waits (countdown.ts, docs/recipes.md#timeout-countdown);
// - a node left by a timeout, cancel, abort, error or non-blocking miss is removed for certain
//   (certain-delete.ts, #732, #429);
// - a create whose reply was lost is found by its prefix and adopted only if the current session
//   owns it (docs/recipes.md#lost-create-recovery);
// - acquire on a stopped or never-started client rejects at once (#83, #482);
// - a lock node deleted under it is made again (#563, docs/recipes.md#parent-recreation);
// - `isAcquired` turns false and 'lost' is emitted when the session ends; a waiter wakes on every
//   session event and re-reads (docs/recipes.md#session-events);
// - a reader waits only for writers before it (#649, docs/recipes.md#reader-and-writer-rules);
// - acquire while the handle holds resolves false at once instead of spinning
//   (docs/recipes.md#re-entrancy).

import { EventEmitter } from 'eventemitter3';
import {
  basename,
  type CallOptions,
  ClientState,
  ConnectionClosedError,
  ConnectionState,
  InvalidArgumentError,
  joinPath,
  NoNodeError,
  type RecipeClient,
  validatePath,
  type WatchCallback,
} from '../lib/recipe-client.js';
import { EventType } from '../protocol/index.js';
import { deleteForCertain } from './certain-delete.js';
import {
  contenderPattern,
  contendersOf,
  LOCK_MARKER,
  newContenderPrefix,
  predecessorOf,
  READ_LOCK_MARKER,
} from './contenders.js';
import { type Countdown, checkWaitTimeout, raceAbort, startCountdown } from './countdown.js';
import { isConnectionProblem } from './faults.js';
import { readIdentifiers } from './identifiers.js';
import { CancelledError, LockTimeoutError } from './recipe-errors.js';
import { removeWatch } from './remove-watch.js';

/** Options of a Lock. */
export interface LockOptions {
  /**
   * kazoo's `extra_lock_patterns`: more name fragments (literal text) whose nodes count as
   * contenders that block this one, e.g. `'-lock-'` for Curator's and go-zookeeper's
   * `_c_<uuid>-lock-<seq>`.
   */
  extraLockPatterns?: readonly string[];
}

/** Options of `acquire`. */
export interface LockAcquireOptions {
  /** Wait for the lock (default); false: one look, resolving false if the lock is held. */
  blocking?: boolean;
  /**
   * Give up after this many ms with LockTimeoutError. One budget for the whole call, counting down
   * across every wait (kazoo restarts it on each wait). Default: no limit.
   */
  timeout?: number;
  /** Aborting it rejects the acquire with the signal's reason. */
  signal?: AbortSignal;
  /** An ephemeral contender node (default); false: persistent, so the lock outlives the session. */
  ephemeral?: boolean;
}

/** Events of a lock while it is held. */
export interface LockEvents {
  /** The session ended (expired, closed): the lock is no longer held (`isAcquired` is false). */
  lost: [reason: string];
  /** The connection broke while holding: the lock may be lost; pause work that needs it. */
  suspended: [];
  /** Connected again on the same session after `suspended`: the lock is still held. */
  reconnected: [];
}

/** The first pause before trying again after a connection problem, ms (doubling up to MAX_PAUSE_MS). */
const FIRST_PAUSE_MS = 50;
const MAX_PAUSE_MS = 1000;

/** One contender node of an acquire: its name prefix, the create in flight, the node once known. */
interface Round {
  readonly prefix: string;
  readonly ephemeral: boolean;
  /** A create was sent: its reply may have been lost, so look for the prefix before creating again. */
  createSent: boolean;
  /** The last create's outcome (the node's name, or undefined if it failed). */
  created?: Promise<string | undefined>;
  /** The node, once known, with the session that owns it (0 for a persistent node). */
  node?: { name: string; ephemeralOwner: bigint };
}

/** What one pass of the acquire loop found. */
type PassOutcome = 'acquired' | 'missed' | 'again';

/**
 * kazoo's exclusive Lock: one holder at a time among every Lock and WriteLock on `path` (and
 * contenders matching `extraLockPatterns`). **A plain Lock ignores readers**: it is acquired
 * while ReadLocks are held, as in kazoo; use WriteLock with ReadLock. Not re-entrant: an acquire
 * while this handle holds (or is acquiring) resolves false at once. `await using` releases it.
 */
export class Lock extends EventEmitter<LockEvents> implements AsyncDisposable {
  /** The lock node: contenders are its children. */
  readonly path: string;
  /** What `contenders()` shows for this contender ('' for none): its node's data, UTF-8. */
  readonly identifier: string;
  protected readonly client: RecipeClient;
  /** Matches this contender's own node name. */
  private readonly ownPattern: RegExp;
  /** Matches the contenders that block this one. */
  private readonly blockerPattern: RegExp;
  /** Matches every contender `contenders()` lists. */
  private readonly everyPattern: RegExp;
  private readonly wake;
  /** The acquire in progress, if any. */
  private countdown: Countdown | undefined;
  private round: Round | undefined;
  /** The node while held. */
  private held: { name: string; ephemeral: boolean } | undefined;
  private suspended = false;
  /** The predecessor whose data watch is set and has not fired. */
  private watching: string | undefined;
  private listening = false;

  constructor(client: RecipeClient, path: string, identifier?: string, options: LockOptions = {}) {
    super();
    validatePath(path);
    const extra = options.extraLockPatterns ?? [];
    if (!Array.isArray(extra) || extra.some((p) => typeof p !== 'string' || p === ''))
      throw new InvalidArgumentError('extraLockPatterns', 'extraLockPatterns must be non-empty strings');
    this.client = client;
    this.path = path;
    this.identifier = identifier ?? '';
    const { node, blockers } = this.markers;
    this.ownPattern = contenderPattern([node]);
    this.blockerPattern = contenderPattern([...blockers, ...extra]);
    this.everyPattern = contenderPattern([node, ...blockers, ...extra]);
    this.wake = client.handler.eventObject();
  }

  /** Whether this handle holds the lock; false again once released or the session is lost. */
  get isAcquired(): boolean {
    return this.held !== undefined;
  }

  /**
   * The full path of this contender's node while it contends or holds, for fencing: a holder's
   * transaction can `check` it, so a write fails if the lock was lost meanwhile.
   */
  get node(): string | undefined {
    const name = this.held?.name ?? this.round?.node?.name;
    return name === undefined ? undefined : joinPath(this.path, name);
  }

  /**
   * Takes the lock: true once held; false when `blocking` is false and the lock is held elsewhere,
   * or when this handle already holds or is acquiring it (not re-entrant). Rejects with
   * LockTimeoutError after `timeout`, CancelledError on `cancel()`, the signal's reason on abort,
   * ConnectionClosedError at once on a stopped or never-started client. Whenever it does not end
   * holding the lock, its node is removed for certain (in the background when it rejects).
   */
  async acquire(options: LockAcquireOptions = {}): Promise<boolean> {
    const { blocking = true, timeout, signal, ephemeral = true } = options;
    checkWaitTimeout(timeout);
    // Not re-entrant: docs/recipes.md#re-entrancy
    if (this.held !== undefined || this.countdown !== undefined) return false;
    if (this.client.connectionState === ConnectionState.CLOSED)
      throw new ConnectionClosedError(`cannot acquire ${this.path}: the client is not started`);
    signal?.throwIfAborted();
    const countdown = startCountdown(
      this.client.handler,
      { timeout, signal },
      () => new LockTimeoutError(`could not acquire ${this.path} within ${timeout} ms`, this.path, timeout),
    );
    this.countdown = countdown;
    this.round = { prefix: newContenderPrefix(this.markers.node), ephemeral, createSent: false };
    this.listen();
    try {
      for (let pause = FIRST_PAUSE_MS; ; ) {
        let outcome: PassOutcome;
        try {
          outcome = await this.pass(blocking, countdown.signal);
        } catch (error) {
          if (countdown.signal.aborted) throw countdown.signal.reason;
          if (error instanceof ConnectionClosedError || !isConnectionProblem(this.client, error)) throw error;
          await this.client.handler.sleep(pause, countdown.signal);
          pause = Math.min(pause * 2, MAX_PAUSE_MS);
          continue;
        }
        if (outcome === 'acquired') {
          this.held = { name: this.round!.node!.name, ephemeral };
          this.round = undefined;
          this.suspended = false;
          return true;
        }
        if (outcome === 'missed') {
          // One look found the lock held: the node goes before the answer, within the budget.
          await raceAbort(this.abandonRound(), countdown.signal).catch(() => {});
          return false;
        }
        pause = FIRST_PAUSE_MS;
      }
    } catch (error) {
      void this.abandonRound();
      throw countdown.signal.aborted ? countdown.signal.reason : error;
    } finally {
      countdown.finish();
      this.countdown = undefined;
      this.unwatchPredecessor();
      if (this.held === undefined) this.unlisten();
    }
  }

  /**
   * Releases the lock: deletes its node and resolves true; false if this handle did not hold it.
   * During a connection outage it waits for the connection, within `timeout` (ms, the handler's
   * TimeoutError) and `signal`; if it gives up, the lock is still held and release can be called again.
   */
  async release(options: CallOptions = {}): Promise<boolean> {
    const held = this.held;
    if (held === undefined) return false;
    const { handler } = this.client;
    const countdown = startCountdown(
      handler,
      options,
      () => new handler.TimeoutError(`releasing ${this.path} timed out after ${options.timeout} ms`),
    );
    const path = joinPath(this.path, held.name);
    try {
      for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
        try {
          await this.client.delete(path, { signal: countdown.signal });
          break;
        } catch (error) {
          if (error instanceof NoNodeError) break;
          if (countdown.signal.aborted) throw countdown.signal.reason;
          if (error instanceof ConnectionClosedError || !isConnectionProblem(this.client, error)) throw error;
          await handler.sleep(pause, countdown.signal);
        }
      }
    } finally {
      countdown.finish();
    }
    if (this.held === held) {
      this.held = undefined;
      this.unlisten();
    }
    return true;
  }

  /** Makes a waiting acquire reject with CancelledError (its node is removed); nothing otherwise. */
  cancel(): void {
    this.countdown?.abort(new CancelledError(`the acquire of ${this.path} was cancelled`, this.path));
  }

  /**
   * The identifiers of every contender (holder first, then the waiters in order), read from the
   * nodes' data; contenders created without one show as ''. A Lock lists `__lock__` contenders,
   * ReadLock and WriteLock both kinds. [] when the lock node does not exist.
   */
  async contenders(options: CallOptions = {}): Promise<string[]> {
    return this.client.retry(async () => {
      let children: string[];
      try {
        children = await this.client.getChildren(this.path, undefined, options);
      } catch (error) {
        if (error instanceof NoNodeError) return [];
        throw error;
      }
      const names = contendersOf(children, this.everyPattern).map((contender) => contender.name);
      return readIdentifiers(this.client, this.path, names, options);
    }, options.signal);
  }

  /** `await using lock = zk.Lock(path)`: cancels a pending acquire and releases (as `release()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.cancel();
    await this.release();
  }

  /** This contender's marker and the markers of the contenders that block it (kazoo's `_NODE_NAME`, `_EXCLUDE_NAMES`). */
  protected get markers(): { node: string; blockers: readonly string[] } {
    return { node: LOCK_MARKER, blockers: [LOCK_MARKER] };
  }

  /** One look: make sure our node exists, find its predecessor, and wait for it if there is one. */
  private async pass(blocking: boolean, signal: AbortSignal): Promise<PassOutcome> {
    const round = this.round!;
    // Cleared before reading, so an event during the reads makes the wait below return at once.
    this.wake.clear();
    if (round.node === undefined) await this.enter(round, signal);
    const own = round.node!;
    let children: string[];
    try {
      children = await this.client.getChildren(this.path, undefined, { signal });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      children = []; // the lock node was deleted, and our node with it
    }
    if (!children.includes(own.name)) {
      // Our node is gone (the session ended, or someone deleted it): contend again with a new one.
      this.round = {
        prefix: newContenderPrefix(this.markers.node),
        ephemeral: round.ephemeral,
        createSent: false,
      };
      return 'again';
    }
    const predecessor = predecessorOf(children, own.name, this.ownPattern, this.blockerPattern);
    if (predecessor === undefined) {
      const session = this.client.clientId?.sessionId;
      if (own.ephemeralOwner !== 0n && own.ephemeralOwner !== session) {
        // A node of an ended session that a lagging server still lists: not ours to hold with.
        // docs/recipes.md#lost-create-recovery
        void deleteForCertain(this.client, { parent: this.path, prefix: round.prefix, name: own.name });
        this.round = {
          prefix: newContenderPrefix(this.markers.node),
          ephemeral: round.ephemeral,
          createSent: false,
        };
        return 'again';
      }
      return 'acquired';
    }
    if (!blocking) return 'missed';
    // A data watch (getData): on a node already gone it fails with NoNode and sets nothing,
    // where exists would leave a creation watch behind.
    const predecessorPath = joinPath(this.path, predecessor);
    try {
      await this.client.get(predecessorPath, this.onPredecessorEvent, { signal });
    } catch (error) {
      if (error instanceof NoNodeError) return 'again';
      throw error;
    }
    this.watching = predecessorPath;
    await this.wake.wait(undefined, signal);
    return 'again';
  }

  /** Gets the round's node: found by its prefix if a create was sent before, else created. */
  private async enter(round: Round, signal: AbortSignal): Promise<void> {
    if (round.createSent) {
      // The create's reply was lost: the node may exist. docs/recipes.md#lost-create-recovery
      const children = await this.client.getChildren(this.path, undefined, { signal }).catch((error) => {
        if (error instanceof NoNodeError) return [];
        throw error;
      });
      const found = children.find((child) => child.startsWith(round.prefix));
      if (found !== undefined) {
        const stat = await this.client.exists(joinPath(this.path, found), undefined, { signal });
        if (stat !== null) {
          round.node = { name: found, ephemeralOwner: stat.ephemeralOwner };
          return;
        }
      }
    }
    for (;;) {
      round.createSent = true;
      // Sent without the signal: a caller that gives up does not wait for it, but the cleanup
      // does, so a node it makes after all is removed.
      const create = this.client.create(joinPath(this.path, round.prefix), this.identifier, {
        sequence: true,
        ephemeral: round.ephemeral,
        includeData: true,
      });
      round.created = create.then(
        ([path]) => basename(path),
        () => undefined,
      );
      try {
        const [path, stat] = await raceAbort(create, signal);
        round.node = { name: basename(path), ephemeralOwner: stat.ephemeralOwner };
        return;
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
        // The lock node is missing: first use, or deleted meanwhile (#563). Make it and create again.
        // docs/recipes.md#parent-recreation
        round.createSent = false;
        await this.client.ensurePath(this.path, { signal });
      }
    }
  }

  /** Removes the current round's node for certain (in the background) and forgets the round. */
  private abandonRound(): Promise<void> {
    const round = this.round;
    this.round = undefined;
    if (round === undefined || (!round.createSent && round.node === undefined)) return Promise.resolve();
    return deleteForCertain(this.client, {
      parent: this.path,
      prefix: round.prefix,
      name: round.node?.name,
      created: round.created,
      persistent: !round.ephemeral,
    });
  }

  private readonly onPredecessorEvent: WatchCallback = (event) => {
    if (event.type !== EventType.None) this.watching = undefined;
    this.wake.set();
  };

  /** Takes back a predecessor watch that has not fired, so a gone waiter leaves nothing on the server. */
  private unwatchPredecessor(): void {
    const watching = this.watching;
    this.watching = undefined;
    // A stopped client's watches ended with its session.
    if (watching === undefined || this.client.connectionState === ConnectionState.CLOSED) return;
    void removeWatch(this.client, watching, 'data', this.onPredecessorEvent);
  }

  private readonly onState = (state: ClientState): void => {
    // A waiter re-reads on every session event: nothing it waits for is left hanging.
    if (this.countdown !== undefined) this.wake.set();
    const held = this.held;
    if (held === undefined) return;
    // docs/recipes.md#session-events
    if (state === ClientState.SUSPENDED) {
      this.suspended = true;
      this.emit('suspended');
    } else if (state === ClientState.CONNECTED) {
      if (this.suspended) {
        this.suspended = false;
        this.emit('reconnected');
      }
    } else if (state === ClientState.LOST && held.ephemeral) {
      this.held = undefined;
      this.suspended = false;
      this.unlisten();
      this.emit('lost', `the session ended (${this.client.connectionState})`);
    }
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

/**
 * kazoo's WriteLock: node `__lock__`, like Lock, but it also waits for ReadLocks (`__rlock__`)
 * that came before it. The write side of a read/write lock on the same path.
 */
export class WriteLock extends Lock {
  /** `__lock__`, blocked by `__lock__` and `__rlock__`. */
  protected override get markers(): { node: string; blockers: readonly string[] } {
    return { node: LOCK_MARKER, blockers: [LOCK_MARKER, READ_LOCK_MARKER] };
  }
}

/**
 * kazoo's ReadLock: node `__rlock__`; readers share the lock, and each waits only for the
 * writers (`__lock__`) that came before it, never for later ones (kazoo #649).
 */
export class ReadLock extends Lock {
  /** `__rlock__`, blocked by `__lock__` only. */
  protected override get markers(): { node: string; blockers: readonly string[] } {
    return { node: READ_LOCK_MARKER, blockers: [LOCK_MARKER] };
  }
}
