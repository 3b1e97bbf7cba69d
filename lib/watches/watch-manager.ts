// The session's watches, between the client's calls and the registry: which requests carry
// watch=true, what each reply changes in the registry, who hears each event, and what goes back
// to the server after a reconnect or a removal. It sends through the session's own pipeline, so
// its requests keep their place in the wire order.
//
// A 3.8 server keeps one mode per (connection, path, table) (ZOOKEEPER-4466): a standard watch
// sent on the path of a persistent one turns that into a one-shot. So a one-shot watch on such a
// path is kept here only and fired from the persistent watch's events, and when a persistent
// watch goes, the one-shot watches it fed are registered with the server again.

import type { Handler } from '../../handlers/handler.js';
import { AddWatchMode, EventType, KeeperState, OpCode } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ClientOp, RequestOf, ResponseOf } from '../../protocol/operations.js';
import { NoWatcherError } from '../errors.js';
import { prefixChroot, stripChroot } from '../paths.js';
import { type WatchChannelMessage, watchChannel } from '../tracing.js';
import { rearmRequests, reconnectRequests, type SetWatchesRequest } from './set-watches.js';
import {
  type OneShotKind,
  type PersistentMode,
  type WatchCallback,
  type WatchedEvent,
  type WatchKind,
  WatchRegistry,
} from './watch-registry.js';
import { planRemoval, type RemovableWatchType, type RemovalPlan } from './watch-removal.js';
import { watchedEvent } from './watched-event.js';

/** What a request does to the registry once its outcome is known. */
export interface WatchAction {
  /**
   * Called once with the reply's error code (0 for success), or with the failure's code when the
   * request failed without a reply; returns the code the caller sees (0 resolves). `abandoned`:
   * the caller gave up (abort, timeout) and will not see it.
   */
  settle(code: number, abandoned: boolean): number;
}

/** How long the caller of an addWatch or removeWatches waits (the session's CallLimits). */
export interface WatchCallOptions {
  signal?: AbortSignal | undefined;
  /** Fail after this many ms without a reply. */
  timeout?: number | undefined;
}

/** How a request the manager sends is submitted (the session's `submit`). */
export type WatchSubmit = <O extends ClientOp>(
  op: O,
  body: RequestOf<O>,
  spec: {
    path?: string;
    convert?: (body: ResponseOf<O>) => unknown;
    accept?: (code: number) => { value: unknown } | undefined;
    watch?: WatchAction;
  },
  call?: WatchCallOptions,
) => Promise<unknown>;

/** What the manager needs from its session. */
export interface WatchHost {
  readonly handler: Pick<Handler, 'dispatchCallback'>;
  readonly chroot: string;
  /** Highest zxid seen in a reply: what SetWatches is relative to. */
  lastZxid(): bigint;
  /** Whether a connection is up (re-registration waits for the next one otherwise). */
  isConnected(): boolean;
  submit: WatchSubmit;
  log(level: 'debug' | 'warn', message: string): void;
}

/** The event type a removed watch's callback receives, by table (as the Java client). */
const REMOVED_EVENT: Record<WatchKind, EventType> = {
  data: EventType.DataWatchRemoved,
  exist: EventType.DataWatchRemoved,
  child: EventType.ChildWatchRemoved,
  persistent: EventType.PersistentWatchRemoved,
  persistentRecursive: EventType.PersistentWatchRemoved,
};

const toVoid = (): undefined => undefined;

/** The kind a throwing watch callback is reported as (docs/observability.md#callback-errors). */
const WATCH_CALLBACK = 'watch callback';

/** A one-shot watch waiting for its reply: registered on success (or NONODE, for exists). */
export class OneShotWatch implements WatchAction {
  constructor(
    private readonly manager: WatchManager,
    private readonly path: string,
    private readonly callback: WatchCallback,
    private readonly onOk: OneShotKind,
    private readonly onNoNode: OneShotKind | undefined,
    /** Whether the request asks the server for the watch (false: a persistent watch feeds it). */
    readonly sent: boolean,
    private readonly recursiveAddsAtSubmit: number,
  ) {}

  settle(code: number, abandoned: boolean): number {
    // A caller who gave up does not want the callback; the server's watch fires into nothing.
    if (abandoned) return code;
    const kind = code === 0 ? this.onOk : code === ErrorCode.NONODE ? this.onNoNode : undefined;
    if (kind !== undefined) this.manager.register(kind, this.path, this.callback, this);
    return code;
  }

  /** Whether a recursive watch was added after this request went out (see WatchManager.register). */
  overtakenByRecursive(recursiveAdds: number): boolean {
    return recursiveAdds !== this.recursiveAddsAtSubmit;
  }
}

/** One session's watches. */
export class WatchManager {
  readonly registry = new WatchRegistry();
  /** Counts recursive addWatch requests, so a child watch answered later can tell it was overtaken. */
  private recursiveAdds = 0;
  /**
   * While a new connection's SetWatches are answered: the last event type each path delivered to
   * persistent watches. A node deleted while we were away is reported by both its data and its
   * child replay entry; the second NodeDeleted in a row is that duplicate.
   */
  private replay: Map<string, EventType> | undefined;
  /** Whether the connection being primed resumed the session (then persistent watches hear of it). */
  private resumed = false;

  constructor(private readonly host: WatchHost) {}

  // --- one-shot watches -------------------------------------------------------------------------

  /**
   * A one-shot watch for a getData/exists/getChildren on `path`: its `sent` says whether the request
   * carries watch=true. `onOk` is the table on success, `onNoNode` on NONODE (exists only).
   */
  oneShot(path: string, callback: WatchCallback, onOk: OneShotKind, onNoNode?: OneShotKind): OneShotWatch {
    const sent = !this.registry.servedByPersistent(onOk, path);
    return new OneShotWatch(this, path, callback, onOk, onNoNode, sent, this.recursiveAdds);
  }

  /**
   * Registers an answered one-shot watch, and asks the server for it after all when what was
   * decided at submit time no longer holds: the persistent watch that was to feed it is gone, or a
   * recursive watch added on its path since turned the server's child entry recursive (a 3.8
   * server puts recursive watches in its child table too, where they never fire for children).
   */
  register(kind: OneShotKind, path: string, callback: WatchCallback, watch: OneShotWatch): void {
    this.registry.add(kind, path, callback);
    const unfed = !watch.sent && !this.registry.servedByPersistent(kind, path);
    const overtaken =
      kind === 'child' &&
      this.registry.has('persistentRecursive', path) &&
      watch.overtakenByRecursive(this.recursiveAdds);
    if (unfed || overtaken) this.rearm(path);
  }

  // --- persistent watches -----------------------------------------------------------------------

  /**
   * Adds a persistent or recursive watch (op 106). The callback is registered at once, so an
   * event that overtakes the reply is not lost, and removed again if the request fails. The wire
   * mode is the strongest the path needs: a path with a recursive watch stays recursive.
   *
   * The first watch on a path is followed by an exists request, whose answer tells a reconnect
   * whether to replay the node as a data or an exist path (set-watches.ts). The caller's promise
   * is that request's, carrying the addWatch outcome: it is answered right after the addWatch, so
   * promises still settle in request order, and a resolved addWatch means the replay can work.
   */
  addPersistent(
    path: string,
    mode: PersistentMode,
    callback: WatchCallback,
    options: WatchCallOptions,
  ): Promise<void> {
    const added = this.registry.add(mode, path, callback);
    if (mode === 'persistentRecursive') this.recursiveAdds++;
    const recursive = this.registry.has('persistentRecursive', path);
    const serverPath = prefixChroot(this.host.chroot, path);
    const learn = this.registry.believedExists(path) === undefined;
    let outcome = 0;
    const watchAction: WatchAction = {
      settle: (code) => {
        if (code !== 0 && added) this.rollback(mode, path, callback);
        outcome = code;
        return code;
      },
    };
    const body = {
      path: serverPath,
      mode: recursive ? AddWatchMode.PERSISTENT_RECURSIVE : AddWatchMode.PERSISTENT,
    };
    const reply = this.host.submit(
      OpCode.addWatch,
      body,
      { path, convert: toVoid, watch: watchAction },
      learn ? {} : options,
    ) as Promise<void>;
    if (mode === 'persistentRecursive' && this.registry.has('child', path)) this.rearm(path);
    if (!learn) return reply;
    reply.catch(() => undefined); // reported through the exists request below
    const existsAction: WatchAction = {
      settle: (code) => {
        if (code === 0 || code === ErrorCode.NONODE) this.registry.noteExists(path, code === 0);
        return outcome;
      },
    };
    return this.host.submit(
      OpCode.exists,
      { path: serverPath, watch: false },
      { path, convert: toVoid, watch: existsAction },
      options,
    ) as Promise<void>;
  }

  private rollback(mode: PersistentMode, path: string, callback: WatchCallback): void {
    this.registry.remove(mode, path, callback);
    this.rearm(path);
  }

  // --- removal ----------------------------------------------------------------------------------

  /**
   * Removes `callback` (or every callback) of `type` from `path` (see watch-removal.ts for what is
   * sent). Checked locally first: NoWatcherError when nothing matches. The registrations go when
   * the reply comes, as in the Java client; with `local`, also when the server cannot be reached.
   * Each removed callback receives DataWatchRemoved, ChildWatchRemoved or PersistentWatchRemoved.
   */
  remove(
    path: string,
    type: RemovableWatchType,
    callback: WatchCallback | undefined,
    local: boolean,
    options: WatchCallOptions,
  ): Promise<void> {
    const plan = planRemoval(this.registry, path, prefixChroot(this.host.chroot, path), type, callback);
    if (plan === undefined) return Promise.reject(new NoWatcherError(undefined, path));
    const action: WatchAction = { settle: (code) => this.applyRemoval(plan, path, code, local) };
    const { op, body } = plan.request;
    return this.host.submit(
      op,
      body as never,
      { path, convert: toVoid, watch: action },
      options,
    ) as Promise<void>;
  }

  private applyRemoval(plan: RemovalPlan, path: string, code: number, local: boolean): number {
    // NOWATCHER from the server: it had nothing; what is left here is removed all the same.
    const reached = code === 0 || code === ErrorCode.NOWATCHER;
    if (!reached && !local) return code;
    const removed = new Map<WatchCallback, Set<EventType>>();
    for (const [kind, callback] of plan.targets) {
      if (!this.registry.remove(kind, path, callback)) continue;
      const types = removed.get(callback) ?? new Set<EventType>();
      types.add(REMOVED_EVENT[kind]);
      removed.set(callback, types);
    }
    // Fired in the meantime (a one-shot watch) or removed by another call.
    if (removed.size === 0) return ErrorCode.NOWATCHER;
    const state = reached ? KeeperState.SyncConnected : KeeperState.Disconnected;
    for (const [callback, types] of removed) {
      for (const type of types) this.dispatch(callback, { type, state, path });
    }
    if (plan.rearm && reached) this.rearm(path);
    return 0;
  }

  /** Registers with the server again the one-shot watches of `path` no persistent watch feeds. */
  private rearm(path: string): void {
    // Without a connection the next one's SetWatches carries them.
    if (!this.host.isConnected()) return;
    const requests = rearmRequests(this.registry, path, this.host.lastZxid(), this.host.chroot);
    for (const { op, body } of requests) {
      this.host
        .submit(op, body as never, {})
        .catch((err: Error) =>
          this.host.log('warn', `re-registering the watches of ${path} failed: ${err.message}`),
        );
    }
  }

  // --- events -----------------------------------------------------------------------------------

  /** Fans a server event out to every local callback it reaches, in wire order. */
  onEvent(type: EventType, serverPath: string): void {
    const path = stripChroot(this.host.chroot, serverPath);
    // A path outside the chroot (/zookeeper/config) is not below the client's '/'.
    const inside = this.host.chroot === '' || path !== serverPath;
    let persistent = true;
    if (this.replay !== undefined) {
      persistent = !(type === EventType.NodeDeleted && this.replay.get(path) === EventType.NodeDeleted);
      this.replay.set(path, type);
    }
    if (this.registry.persistentCount > 0) this.registry.noteExists(path, type !== EventType.NodeDeleted);
    const callbacks = this.registry.take(type, path, inside, persistent);
    if (callbacks.length === 0) {
      this.host.log('debug', `event ${type} for ${path}, which no callback watches`);
      return;
    }
    const event = watchedEvent(type, KeeperState.SyncConnected, path);
    if (watchChannel.hasSubscribers) publishWatch(event, callbacks.length);
    for (const callback of callbacks)
      this.host.handler.dispatchCallback(() => callback(event), WATCH_CALLBACK);
  }

  // --- connections ------------------------------------------------------------------------------

  /**
   * The SetWatches/SetWatches2 requests that prime a new connection. `resumed`: the connection
   * carries on the same session, so persistent watches are told once priming is answered.
   */
  connectionRequests(resumed: boolean): SetWatchesRequest[] {
    this.resumed = resumed;
    this.replay = this.registry.persistentCount > 0 ? new Map() : undefined;
    return reconnectRequests(this.registry, this.host.lastZxid(), this.host.chroot);
  }

  /**
   * The last priming request is answered: every missed event the server replays has come. After
   * a resume, each persistent callback gets one None event (state SyncConnected): changes below a
   * recursive watch's node made while disconnected are not replayed by any server, so this is
   * where a cache re-reads.
   */
  primed(): void {
    this.replay = undefined;
    if (!this.resumed) return;
    for (const [path, callback] of this.registry.persistentCallbacks()) {
      this.dispatch(callback, { type: EventType.None, state: KeeperState.SyncConnected, path });
    }
  }

  /** The session ended (expired, closed, authentication failed): each callback gets one final event. */
  lose(state: number): void {
    this.replay = undefined;
    for (const [path, callback] of this.registry.drain()) {
      this.dispatch(callback, { type: EventType.None, state, path });
    }
  }

  private dispatch(callback: WatchCallback, { type, state, path }: WatchedEvent): void {
    const event = watchedEvent(type, state, path);
    if (watchChannel.hasSubscribers) publishWatch(event, 1);
    this.host.handler.dispatchCallback(() => callback(event), WATCH_CALLBACK);
  }
}

/** Tells `zookit:watch` subscribers of an event about to reach `callbacks` callbacks (docs/observability.md#zookitwatch). */
function publishWatch(event: { type: EventType; state: number; path: string }, callbacks: number): void {
  const message: WatchChannelMessage = { type: event.type, state: event.state, path: event.path, callbacks };
  watchChannel.publish(message);
}
