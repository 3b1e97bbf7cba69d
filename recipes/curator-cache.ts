// Curator 5's CuratorCache: an in-memory mirror of a subtree kept current by ONE persistent
// recursive watch (ZooKeeper 3.6+) instead of a data and a child watch per node as TreeCache.
//
// How it stays correct:
// - A watch event is only a reason to read; the cache changes only from read results, applied in
//   the order they arrive. One session's replies and notifications come in server order, so a
//   later result never describes an older state; a data result is applied only when its mzxid is
//   newer than the cached one all the same (events never go back in time, kazoo #645).
// - NodeDeleted is applied when it arrives (the node and anything left below it), which in wire
//   order is after every read the server answered before the delete and before every read after.
// - The watch is added before the first read, so no change falls between reading and watching.
// - Persistent watches are re-registered on a reconnect (SetWatches2) but the server does not
//   replay what changed meanwhile, so after a reconnect the cache re-syncs: it lists every
//   directory with its Stat and reads data only for nodes that are new or whose mzxid moved
//   ("only what changed"). After a session loss the watch is gone: it is added again and the same
//   re-sync rebuilds the tree, reporting only differences, then 'initialized' again.
// - A pass that fails on a connection problem is dropped; the next CONNECTED starts a new one.

import {
  basename,
  ClientState,
  joinPath,
  NoNodeError,
  parentOf,
  type RecipeClient,
  validatePath,
  type WatchCallback,
  type WatchedEvent,
} from '../lib/recipe-client.js';
import { EventType, type Stat } from '../protocol/index.js';
import { type CachedNode, CacheEventEmitter } from './cache-events.js';
import { isConnectionProblem } from './faults.js';

/**
 * A cache of the subtree at `path` on one persistent recursive watch. `start()` resolves once the
 * cache matches the server ('initialized'); after that each change is reported once, in the order
 * the server made them: 'nodeAdded', 'nodeUpdated' (mzxid grew), 'nodeRemoved'. A missing root is
 * waited for, never created.
 */
export class CuratorCache extends CacheEventEmitter {
  /** The root of the cached subtree (client path). */
  readonly path: string;
  private readonly nodes = new Map<string, CachedNode>();
  /** Child names of every cached node (a node with no children has an empty set). */
  private readonly childNames = new Map<string, Set<string>>();
  private state: 'latent' | 'started' | 'closed' = 'latent';
  /** Sync passes started; a pass whose number is no longer this one stops applying results. */
  private pass = 0;
  /**
   * Reads of nodes whose parent is not cached yet (the parent's own read is still coming), by
   * parent path: applied when the parent is added, dropped when it is removed.
   */
  private readonly orphans = new Map<string, Map<string, CachedNode>>();
  private watching = false;
  /** Report 'initialized' at the end of the next full pass: the first one, and the one after a session loss. */
  private announceInitialized = true;
  private wasSuspended = false;
  private readonly initialized: Promise<void>;
  private resolveInitialized!: () => void;
  private rejectInitialized!: (error: unknown) => void;
  private readonly onWatch: WatchCallback = (event) => this.watchFired(event);
  private readonly onState = (state: ClientState): void => this.stateChanged(state);

  constructor(client: RecipeClient, path: string) {
    super(client);
    validatePath(path);
    this.path = path;
    this.initialized = new Promise((resolve, reject) => {
      this.resolveInitialized = resolve;
      this.rejectInitialized = reject;
    });
    this.initialized.catch(() => {});
  }

  /** Adds the watch and reads the tree; resolves once the cache matches the server. */
  start(): Promise<void> {
    if (this.state !== 'latent') return this.initialized;
    this.state = 'started';
    this.client.on('state', this.onState);
    if (this.client.isConnected) void this.sync();
    return this.initialized;
  }

  /** Stops listening and removes the server-side watch; the cached nodes stay readable. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasWatching = this.watching;
    this.state = 'closed';
    this.pass++;
    this.watching = false;
    this.client.off('state', this.onState);
    this.rejectInitialized(new Error('the cache was closed before it was initialized'));
    if (wasWatching) {
      await this.client
        .removeWatches(this.path, 'persistentRecursive', { callback: this.onWatch })
        .catch(() => undefined); // a stopped client or a lost session has no watch to remove
    }
  }

  /** `await using cache = ...` closes it (as `close()`) when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The cached node at `path`, or undefined. */
  get(path: string): CachedNode | undefined {
    return this.nodes.get(path);
  }

  /** The names of the cached children of `path` (sorted), or undefined when `path` is not cached. */
  children(path: string): string[] | undefined {
    const names = this.childNames.get(path);
    return names === undefined ? undefined : [...names].sort();
  }

  /** How many nodes are cached. */
  get size(): number {
    return this.nodes.size;
  }

  /** Every cached node, parents before their children. */
  *entries(): IterableIterator<CachedNode> {
    const stack = this.nodes.has(this.path) ? [this.path] : [];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.nodes.get(path);
      if (node === undefined) continue;
      yield node;
      for (const name of this.childNames.get(path) ?? []) stack.push(joinPath(path, name));
    }
  }

  // --- connection states ----------------------------------------------------------------------

  private stateChanged(state: ClientState): void {
    if (this.state !== 'started') return;
    switch (state) {
      case ClientState.SUSPENDED:
        this.wasSuspended = true;
        this.pass++; // reads in flight will fail; the next CONNECTED re-syncs
        this.publish({ type: 'connectionSuspended' });
        return;
      case ClientState.LOST:
        // The session's watches are gone with it.
        this.watching = false;
        this.announceInitialized = true;
        this.pass++;
        this.publish({ type: 'connectionLost' });
        return;
      case ClientState.CONNECTED:
        if (this.wasSuspended) this.publish({ type: 'connectionReconnected' });
        this.wasSuspended = false;
        void this.sync();
        return;
    }
  }

  // --- syncing --------------------------------------------------------------------------------

  /**
   * One pass: make sure the watch is set, then walk the server's tree, reading data only where the
   * cache is missing a node or holds an older mzxid, and dropping what the server no longer has.
   */
  private async sync(): Promise<void> {
    const pass = ++this.pass;
    const current = (): boolean => this.pass === pass && this.state === 'started';
    try {
      if (!this.watching) {
        await this.client.addWatch(this.path, this.onWatch, { mode: 'persistentRecursive' });
        if (!current()) return;
        this.watching = true;
      }
      await this.syncSubtree(this.path, current);
      if (!current()) return;
      if (this.announceInitialized) {
        this.announceInitialized = false;
        this.publish({ type: 'initialized' });
      }
      this.resolveInitialized();
    } catch (error) {
      if (!current()) return;
      if (isConnectionProblem(this.client, error)) return; // the next CONNECTED starts a new pass
      this.publish({ type: 'error', error });
    }
  }

  /** Brings `path` and everything below it in line with the server, children in parallel. */
  private async syncSubtree(path: string, current: () => boolean): Promise<void> {
    let names: string[];
    let stat: Stat;
    try {
      [names, stat] = await this.client.getChildren(path, undefined, { includeData: true });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      if (current()) this.removeTree(path);
      return;
    }
    if (!current()) return;
    // Children the cache holds but the listing lacks were deleted while no event could reach us
    // (a reconnect). Checked now, against the cache as of this reply: once anything else is
    // awaited, later events may have added children this listing predates.
    const listed = new Set(names);
    for (const name of [...(this.childNames.get(path) ?? [])]) {
      if (!listed.has(name)) this.removeTree(joinPath(path, name));
    }
    const cached = this.nodes.get(path);
    if (cached === undefined || stat.mzxid > cached.stat.mzxid || stat.czxid !== cached.stat.czxid) {
      if (!(await this.refresh(path, current))) return; // gone meanwhile: its delete event removes it
    }
    if (!current()) return;
    await Promise.all(names.map((name) => this.syncSubtree(joinPath(path, name), current)));
  }

  /** Reads `path` and applies the result; false when the node does not exist. */
  private async refresh(
    path: string,
    current: () => boolean = () => this.state === 'started',
  ): Promise<boolean> {
    let data: Buffer | null;
    let stat: Stat;
    try {
      [data, stat] = await this.client.get(path);
    } catch (error) {
      if (error instanceof NoNodeError) return false;
      throw error;
    }
    if (current()) this.apply(path, data, stat);
    return true;
  }

  // --- events and applying results ------------------------------------------------------------

  private watchFired(event: WatchedEvent): void {
    if (this.state !== 'started') return;
    switch (event.type) {
      case EventType.NodeCreated:
      case EventType.NodeDataChanged:
        this.refresh(event.path).catch((error: unknown) => {
          // A connection problem is repaired by the re-sync on the next CONNECTED.
          if (!isConnectionProblem(this.client, error)) this.publish({ type: 'error', error });
        });
        return;
      case EventType.NodeDeleted:
        this.removeTree(event.path);
        return;
      default:
        return; // recursive watches get no NodeChildrenChanged; state events come as client states
    }
  }

  /** Applies a read of `path`: adds it, updates it when its mzxid is newer, or replaces a node created again. */
  private apply(path: string, data: Buffer | null, stat: Stat): void {
    const node: CachedNode = { path, data, stat };
    const previous = this.nodes.get(path);
    if (previous === undefined) {
      const parent = parentOf(path);
      if (path !== this.path && !this.nodes.has(parent)) {
        // The parent's read has not landed yet: hold this one until it does.
        let held = this.orphans.get(parent);
        if (held === undefined) {
          held = new Map();
          this.orphans.set(parent, held);
        }
        const older = held.get(path);
        if (older === undefined || older.stat.mzxid < stat.mzxid) held.set(path, node);
        return;
      }
      this.nodes.set(path, node);
      this.childNames.set(path, new Set());
      if (path !== this.path) this.childNames.get(parent)!.add(basename(path));
      this.publish({ type: 'nodeAdded', node });
      const children = this.orphans.get(path);
      if (children !== undefined) {
        this.orphans.delete(path);
        for (const child of children.values()) this.apply(child.path, child.data, child.stat);
      }
      return;
    }
    if (stat.czxid !== previous.stat.czxid) {
      // Deleted and created again between two looks: report it as such.
      this.removeTree(path);
      this.apply(path, data, stat);
      return;
    }
    if (stat.mzxid <= previous.stat.mzxid) return;
    this.nodes.set(path, node);
    this.publish({ type: 'nodeUpdated', node, previous });
  }

  /** Removes `path` and every cached node below it, deepest first. */
  private removeTree(path: string): void {
    this.dropOrphansBelow(path);
    const node = this.nodes.get(path);
    if (node === undefined) return;
    for (const name of [...(this.childNames.get(path) ?? [])]) this.removeTree(joinPath(path, name));
    this.nodes.delete(path);
    this.childNames.delete(path);
    if (path !== this.path) this.childNames.get(parentOf(path))?.delete(basename(path));
    this.publish({ type: 'nodeRemoved', node });
  }

  /** Forgets held reads at or below `path` (their parent is gone). */
  private dropOrphansBelow(path: string): void {
    const prefix = `${path}/`;
    for (const parent of this.orphans.keys()) {
      if (parent === path || parent.startsWith(prefix)) this.orphans.delete(parent);
    }
    this.orphans.get(parentOf(path))?.delete(path);
  }
}
