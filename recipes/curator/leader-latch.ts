// Curator's LeaderLatch, on Curator's layout so Java and Node participants stand in one election:
// each participant creates `<path>/_c_<uuid>-latch-<seq>` (protected, ephemeral, sequential, data =
// its id as UTF-8), the directory made as a container. The children are ordered as Curator orders
// them, by the text after the last `latch-`; the first is the leader, and every other participant
// sets a getData watch on the one just before it (no herd; getData rather than exists, which would
// leave a watch behind on a node already gone: Curator TN9). docs/curator-leaders.md#leaderlatch
//
// What Curator learned the hard way, each with a test in spec/recipes/curator/leader-latch.spec.ts:
// - a first node of an ended session is not leadership: its ephemeralOwner must be the current
//   session (CURATOR-696), else the latch starts over with a new node;
// - after a reconnect the latch reads the children again and makes a node only if its own is gone
//   (CURATOR-644/645: recreating on every reconnect livelocked two latches);
// - a directory deleted under it (a container reaped while away) is made again (CURATOR-724);
// - leadership is dropped as soon as the connection is SUSPENDED (Curator's Standard error policy)
//   and on LOST, and the last path that led stays readable as a fencing token (CURATOR-537).
// Beyond Curator: the leader watches its own node, so one deleted by hand ends leadership at once;
// and every look at the election runs one at a time (no two resets racing, CURATOR-504).

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
} from '../../lib/recipe-client.js';
import { EventType } from '../../protocol/index.js';
import { deleteForCertain } from '../certain-delete.js';
import { checkWaitTimeout, raceAbort, startCountdown } from '../countdown.js';
import { isConnectionProblem, reportFault } from '../faults.js';
import { CancelledError } from '../recipe-errors.js';
import { removeWatch } from '../remove-watch.js';
import { SerialRefresh } from '../serial-refresh.js';
import { createWithContainerParents } from './container-parents.js';
import type { Participant } from './participant.js';
import { whileConnected } from './while-connected.js';

/** Curator's LOCK_NAME of LeaderLatch: what every participant's node name carries before its sequence. */
export const LATCH_NAME = 'latch-';

/** Wait this long (ms) before looking again after a connection problem seen while connected. */
const RETRY_WHILE_CONNECTED_MS = 500;

/** Options of a LeaderLatch. */
export interface LeaderLatchOptions {
  /**
   * Emit 'notLeader' when close() ends this latch's leadership (Curator's CloseMode.NOTIFY_LEADER).
   * Default false (CloseMode.SILENT); `close({ notifyLeader })` overrides it.
   */
  notifyLeaderOnClose?: boolean;
}

/** Options of `await()`. */
export interface LeaderLatchAwaitOptions {
  /** Resolve false once this many ms pass without leadership (0: look once). Default: no limit. */
  timeout?: number;
  /** Aborting it rejects the wait with the signal's reason. */
  signal?: AbortSignal;
}

/** Events of a LeaderLatch: Curator's LeaderLatchListener. */
export interface LeaderLatchEvents {
  /** This latch leads now (`hasLeadership` is true). */
  isLeader: [];
  /** This latch led and does not any more (`hasLeadership` is false). */
  notLeader: [];
}

/** Where a latch is in its life: Curator's LeaderLatch.State. */
export type LeaderLatchState = 'latent' | 'started' | 'closed';

/** Ordered by Curator's sorter: the text after the last `latch-` (the whole name when there is none), compared as Java compares strings. */
export function sortLikeCurator(children: readonly string[], lockName = LATCH_NAME): string[] {
  const key = (name: string): string => {
    const at = name.lastIndexOf(lockName);
    return at < 0 ? name : name.slice(at + lockName.length);
  };
  return [...children].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** A promise with its resolve and reject functions. */
interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  const d = { settled: false } as Deferred<T>;
  d.promise = new Promise<T>((resolve, reject) => {
    d.resolve = (value) => {
      d.settled = true;
      resolve(value);
    };
    d.reject = (error) => {
      d.settled = true;
      reject(error);
    };
  });
  d.promise.catch(() => {});
  return d;
}

/**
 * Curator's LeaderLatch: `start()` enters the election at `path`, `hasLeadership` says whether this
 * latch leads now, 'isLeader' and 'notLeader' say when that changes, and `close()` leaves. The
 * only way to give leadership up is close() (or losing the connection). `await using` closes it.
 */
export class LeaderLatch extends EventEmitter<LeaderLatchEvents> implements AsyncDisposable {
  /** The election's directory: participants are its children. */
  readonly path: string;
  /** This participant's id, the data of its node. */
  readonly id: string;
  private readonly client: RecipeClient;
  private readonly notifyLeaderOnClose: boolean;
  private status: LeaderLatchState = 'latent';
  private leader = false;
  /** This latch's node (full path) while it has one. */
  private ourPath: string | undefined;
  private lastLeaderPath: string | undefined;
  /** The node whose data watch this latch has set and not seen fire. */
  private watching: string | undefined;
  /** A look waits for the next CONNECTED (it failed on a connection problem). */
  private parked = false;
  /** The look in progress, if any: close() lets it finish before cleaning up. */
  private inFlight: Promise<void> | undefined;
  /** Settles start(): resolved after the first complete look (or close), rejected by a fault before it. */
  private readonly entered = deferred<void>();
  /** Resolved (and replaced) whenever leadership or the state changes: what await() waits on. */
  private changed = deferred<void>();
  /** Aborted by close(): ends a retry pause. */
  private readonly closing = new AbortController();
  private readonly refresh = new SerialRefresh<void>(
    () => this.look(),
    () => undefined,
  );

  /** A participant of the election at `path`, known as `id` ('' for none). Nothing is sent until `start()`. */
  constructor(client: RecipeClient, path: string, id = '', options: LeaderLatchOptions = {}) {
    super();
    validatePath(path);
    if (typeof id !== 'string') throw new InvalidArgumentError('id', 'the id must be a string');
    this.client = client;
    this.path = path;
    this.id = id;
    this.notifyLeaderOnClose = options.notifyLeaderOnClose ?? false;
  }

  /** Whether this latch leads now: started, not closed, first in the election, connected. */
  get hasLeadership(): boolean {
    return this.status === 'started' && this.leader;
  }

  /** 'latent' before start(), 'started', 'closed' after close(). */
  get state(): LeaderLatchState {
    return this.status;
  }

  /**
   * Enters the election. Resolves once this latch's node exists and it has looked at the election
   * once (`hasLeadership` then tells), or when close() comes first; connection problems are waited
   * out. Rejects if the latch was started before, on a stopped client (ConnectionClosedError), or
   * on a fault such as NoAuth. Work goes on in the background whether or not it is awaited.
   */
  start(): Promise<void> {
    if (this.status !== 'latent')
      return Promise.reject(new Error(`the LeaderLatch on ${this.path} cannot be started more than once`));
    if (this.client.connectionState === ConnectionState.CLOSED)
      return Promise.reject(
        new ConnectionClosedError(`cannot start a LeaderLatch on ${this.path}: the client is stopped`),
      );
    this.status = 'started';
    this.client.on('state', this.onState);
    this.refresh.request();
    return this.entered.promise;
  }

  /**
   * Waits for leadership: resolves true once this latch leads (at once if it does), false when
   * `timeout` ms pass first (Curator's `await(timeout)`). Rejects with CancelledError if the latch
   * is closed (or was never started), and with the signal's reason when `signal` aborts.
   */
  async await(options: LeaderLatchAwaitOptions = {}): Promise<boolean> {
    const { timeout, signal } = options;
    checkWaitTimeout(timeout);
    signal?.throwIfAborted();
    const timedOut = Symbol('timed out');
    const countdown = startCountdown(this.client.handler, { timeout, signal }, () => timedOut);
    try {
      for (;;) {
        if (this.status !== 'started')
          throw new CancelledError(`the LeaderLatch on ${this.path} is ${this.status}`, this.path);
        if (this.leader) return true;
        await raceAbort(this.changed.promise, countdown.signal);
      }
    } catch (error) {
      if (error === timedOut) return false;
      throw error;
    } finally {
      countdown.finish();
    }
  }

  /**
   * The participants in Curator's order, the leader first, read from the server (so it may
   * disagree with `hasLeadership` for a moment). [] when the directory does not exist.
   */
  async getParticipants(options: CallOptions = {}): Promise<Participant[]> {
    const names = await this.participantNodes(options);
    const ids = await Promise.all(names.map((name) => this.readId(name, options)));
    const present = ids.filter((id): id is string => id !== undefined);
    return present.map((id, index) => ({ id, isLeader: index === 0 }));
  }

  /** The leader, read from the server; `{ id: '', isLeader: false }` when there is none (Curator's dummy). */
  async getLeader(options: CallOptions = {}): Promise<Participant> {
    for (const name of await this.participantNodes(options)) {
      const id = await this.readId(name, options);
      if (id !== undefined) return { id, isLeader: true };
    }
    return { id: '', isLeader: false };
  }

  /** This latch's node while it has one (it changes when the latch starts over); undefined otherwise. */
  getOurPath(): string | undefined {
    return this.ourPath;
  }

  /**
   * The last of this latch's nodes that was the leader (CURATOR-537), undefined if it never led.
   * A fencing token: a write that must come from the leader can `check` it in a transaction.
   */
  getLastPathIsLeader(): string | undefined {
    return this.lastLeaderPath;
  }

  /**
   * Leaves the election: leadership ends at once ('notLeader' is emitted only with `notifyLeader`,
   * default the constructor's `notifyLeaderOnClose`), then the node is deleted. Resolves once it is
   * gone; while disconnected the delete goes on in the background and close() does not wait. Idempotent.
   */
  async close(options: { notifyLeader?: boolean } = {}): Promise<void> {
    if (this.status === 'closed') return;
    const wasStarted = this.status === 'started';
    this.status = 'closed';
    if (!wasStarted) return;
    this.client.off('state', this.onState);
    this.closing.abort(new CancelledError(`the LeaderLatch on ${this.path} was closed`, this.path));
    if (options.notifyLeader ?? this.notifyLeaderOnClose) this.setLeadership(false);
    else this.leader = false;
    this.signalChange();
    this.entered.resolve();
    const cleanup = (async () => {
      await this.inFlight;
      const { watching, ourPath } = this;
      this.watching = undefined;
      this.ourPath = undefined;
      await Promise.all([
        watching === undefined ? undefined : removeWatch(this.client, watching, 'data', this.onWatch),
        ourPath === undefined ? undefined : this.deleteNode(ourPath),
      ]);
    })();
    await whileConnected(this.client, cleanup);
  }

  /** `await using latch = zk.LeaderLatch(path, id)` closes it (as `close()`) when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One look at the election, with its failure handled: never throws. */
  private async look(): Promise<void> {
    if (this.status !== 'started') return;
    const pass = this.pass();
    this.inFlight = pass.then(
      () => {},
      () => {},
    );
    try {
      await pass;
      this.entered.resolve();
    } catch (error) {
      if (this.status !== 'started') return;
      this.parked = true;
      const { client } = this;
      if (error instanceof ConnectionClosedError || client.connectionState === ConnectionState.CLOSED) {
        if (!this.entered.settled) this.entered.reject(error);
        return;
      }
      if (!isConnectionProblem(client, error)) {
        // NoAuth and the like: say so, and look again on the next CONNECTED (Curator logs and waits).
        if (this.entered.settled) reportFault(client, error);
        else this.entered.reject(error);
        return;
      }
      // The CONNECTED this look waits for may have come while it failed.
      if (client.isConnected)
        client.handler.sleep(RETRY_WHILE_CONNECTED_MS, this.closing.signal).then(
          () => this.resume(),
          () => {},
        );
    }
  }

  /** Makes sure this latch has a node, then leads or watches its predecessor. */
  private async pass(): Promise<void> {
    const { client } = this;
    for (;;) {
      if (this.status !== 'started') return;
      if (this.ourPath === undefined) {
        const created = await createWithContainerParents(client, joinPath(this.path, LATCH_NAME), this.id, {
          protected: true,
          ephemeral: true,
          sequence: true,
        });
        if (this.status !== 'started') {
          await this.deleteNode(created);
          return;
        }
        this.ourPath = created;
      }
      const ourPath = this.ourPath;
      let children: string[];
      try {
        children = await client.getChildren(this.path);
      } catch (error) {
        // The directory is gone, our node with it (CURATOR-724): start over.
        if (!(error instanceof NoNodeError)) throw error;
        this.startOver();
        continue;
      }
      const sorted = sortLikeCurator(children);
      const index = sorted.indexOf(basename(ourPath));
      if (index < 0) {
        // Our node is gone (deleted, or its session ended): make a new one.
        this.startOver();
        continue;
      }
      if (index > 0) {
        this.setLeadership(false);
        const predecessor = joinPath(this.path, sorted[index - 1]!);
        if (await this.watchNode(predecessor)) return;
        continue; // gone already: look again
      }
      // First: lead only with a node of the current session (CURATOR-696). The same read watches
      // our own node, so its deletion ends leadership at once.
      let owner: bigint;
      try {
        owner = (await client.get(ourPath, this.onWatch))[1].ephemeralOwner;
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
        this.startOver();
        continue;
      }
      this.noteWatching(ourPath);
      if (this.status !== 'started' || this.ourPath !== ourPath) return;
      if (owner !== client.clientId?.sessionId) {
        this.startOver();
        continue;
      }
      this.lastLeaderPath = ourPath;
      // A SUSPENDED that came during the reads is not leadership: the next CONNECTED looks again.
      if (client.state === ClientState.CONNECTED) this.setLeadership(true);
      return;
    }
  }

  /** Sets this latch's data watch on `path`; false when the node is already gone. */
  private async watchNode(path: string): Promise<boolean> {
    try {
      await this.client.get(path, this.onWatch);
    } catch (error) {
      if (error instanceof NoNodeError) return false;
      throw error;
    }
    this.noteWatching(path);
    return true;
  }

  /** Records the node this latch watches now, taking back a watch left on another one. */
  private noteWatching(path: string): void {
    const previous = this.watching;
    this.watching = path;
    if (previous !== undefined && previous !== path)
      void removeWatch(this.client, previous, 'data', this.onWatch);
  }

  /** Drops leadership and this latch's node (deleted for certain in the background), so the next pass makes a new one. */
  private startOver(): void {
    this.setLeadership(false);
    const ourPath = this.ourPath;
    this.ourPath = undefined;
    if (ourPath !== undefined) void this.deleteNode(ourPath);
  }

  private deleteNode(path: string): Promise<void> {
    return deleteForCertain(this.client, { parent: this.path, prefix: '', name: basename(path) });
  }

  private setLeadership(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    this.signalChange();
    try {
      this.emit(leader ? 'isLeader' : 'notLeader');
    } catch (error) {
      reportFault(this.client, error);
    }
  }

  private signalChange(): void {
    const changed = this.changed;
    this.changed = deferred();
    changed.resolve();
  }

  private readonly onWatch: WatchCallback = (event) => {
    // NONE events only tell of the session; the state listener handles those.
    if (event.type === EventType.None) return;
    if (event.path === this.watching) this.watching = undefined;
    if (this.status === 'started') this.refresh.request();
  };

  private readonly onState = (state: ClientState): void => {
    if (this.status !== 'started') return;
    if (state === ClientState.SUSPENDED) {
      // Curator's Standard error policy: a leader that cannot reach the server stops leading.
      this.setLeadership(false);
    } else if (state === ClientState.LOST) {
      // The session's ephemerals are gone, our node and our watch with them.
      this.watching = undefined;
      this.startOver();
    } else if (state === ClientState.CONNECTED) {
      // Read the election again, whatever happened meanwhile; a node is made only if ours is gone.
      this.parked = false;
      this.refresh.request();
    }
  };

  /** Looks again after a parked look, if connected. */
  private resume(): void {
    if (this.status !== 'started' || !this.parked || !this.client.isConnected) return;
    this.parked = false;
    this.refresh.request();
  }

  /** The children of `path` in Curator's order; [] when it does not exist. */
  private async participantNodes(options: CallOptions): Promise<string[]> {
    const { client } = this;
    try {
      return sortLikeCurator(
        await client.retry(() => client.getChildren(this.path, undefined, options), options.signal),
      );
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
  }

  /** A participant's id (its node's data as UTF-8), undefined when the node is gone. */
  private async readId(name: string, options: CallOptions): Promise<string | undefined> {
    const { client } = this;
    try {
      const [data] = await client.retry(
        () => client.get(joinPath(this.path, name), undefined, options),
        options.signal,
      );
      return data === null ? '' : data.toString('utf8');
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      throw error;
    }
  }
}
