// kazoo's TreeCache (a port of Curator's): an in-memory mirror of a subtree, kept current with
// one-shot data and child watches on every node, reporting what changed as events.
//
// How it stays correct where kazoo's does not:
// - A watch event is only a reason to read the node again; the cache changes only from read
//   results. A node's reads run one round at a time, so its results arrive in the order they were
//   sent, which for one client is zxid order; a data result is applied only if its mzxid is newer.
//   Events of a node therefore never go back in time (kazoo #645: a slow read landing after the
//   delete it predates re-added the node).
// - A deleted node's object is detached, and reads still in flight for it are ignored; a node
//   created again at the same path is a new object (or, seen by a changed czxid, reported as
//   removed and added again).
// - A plain reconnect reads nothing: the client's SetWatches re-sets every watch and the server
//   fires what changed meanwhile. Only a session loss, which ends every watch, re-reads the whole
//   tree (kazoo re-reads the whole tree on every reconnect, #664).
// - A read that fails on a connection problem waits for the next CONNECTED; nothing retries on a
//   timer per node during an outage.

import {
  basename,
  ClientState,
  InvalidArgumentError,
  joinPath,
  NoNodeError,
  type RecipeClient,
  validatePath,
  type WatchCallback,
  type WatchedEvent,
} from '../lib/recipe-client.js';
import { EventType, type Stat } from '../protocol/index.js';
import { type CachedNode, CacheEventEmitter } from './cache-events.js';
import { isConnectionProblem } from './faults.js';
import { removeWatch } from './remove-watch.js';
import { TreeNode } from './tree-node.js';

/** Options of a TreeCache. */
export interface TreeCacheOptions {
  /** The deepest level cached, counted from the root: 0 caches the root alone. Default: no limit. */
  maxDepth?: number;
}

/** Wait this long (ms) before reading again after a connection problem seen while connected. */
const RETRY_WHILE_CONNECTED_MS = 1000;

/**
 * A cache of the subtree at `path`. `start()` builds it and resolves once it matches the server
 * ('initialized'); after that every change is reported once, per node in zxid order: 'nodeAdded',
 * 'nodeUpdated' (the data's mzxid grew), 'nodeRemoved'. A missing root is waited for, never
 * created (Curator's default; kazoo's start() creates it). `close()` removes its server-side watches.
 */
export class TreeCache extends CacheEventEmitter {
  /** The root of the cached subtree (client path). */
  readonly path: string;
  private readonly maxDepth: number;
  private readonly root: TreeNode;
  /** Every attached node by path, the root always among them. */
  private readonly nodes = new Map<string, TreeNode>();
  private state: 'latent' | 'started' | 'closed' = 'latent';
  /** Nodes with a round of reads in flight (detached ones too, until their round settles). */
  private readonly busy = new Set<TreeNode>();
  /** Set by close(): called once the last round in flight has settled. */
  private whenIdle: (() => void) | undefined;
  /** Nodes whose reads failed on a connection problem: they read again on the next CONNECTED. */
  private readonly parked = new Set<TreeNode>();
  private isInitialized = false;
  /** The session ended: every watch is gone, so the next CONNECTED re-reads every node. */
  private sessionLost = false;
  private seenConnected = false;
  private readonly initialized: Promise<void>;
  private resolveInitialized!: () => void;
  private closing: Promise<void> | undefined;
  /** The one watch callback of every node: events find their node by path. */
  private readonly onWatch: WatchCallback = (event) => this.watchFired(event);
  private readonly onState = (state: ClientState): void => this.stateChanged(state);

  constructor(client: RecipeClient, path: string, options: TreeCacheOptions = {}) {
    super(client);
    validatePath(path);
    const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
    if (!(maxDepth === Number.POSITIVE_INFINITY || (Number.isInteger(maxDepth) && maxDepth >= 0))) {
      throw new InvalidArgumentError('maxDepth', `maxDepth must be an integer ≥ 0, got ${maxDepth}`);
    }
    this.path = path;
    this.maxDepth = maxDepth;
    this.root = new TreeNode(path, basename(path), 0, undefined);
    this.nodes.set(path, this.root);
    this.initialized = new Promise<void>((resolve) => {
      this.resolveInitialized = resolve;
    });
  }

  /**
   * Starts building the cache and watching the subtree. Resolves once the cache first matches the
   * server (with 'initialized'), or when it is closed first. Calling it again returns the same promise.
   */
  start(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new Error(`the cache of ${this.path} is closed`));
    if (this.state === 'started') return this.initialized;
    this.state = 'started';
    this.seenConnected = this.client.isConnected;
    this.client.on('state', this.onState);
    this.request(this.root, true, true);
    return this.initialized;
  }

  /**
   * Stops following the server and empties the cache (no events). Resolves once its watches are
   * removed from the server (best effort: failures are reported, never thrown). Cannot be restarted.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const wasStarted = this.state === 'started';
    this.state = 'closed';
    this.client.off('state', this.onState);
    const paths = new Set([...this.nodes.keys(), ...[...this.busy].map((node) => node.path)]);
    for (const node of this.nodes.values()) {
      node.attached = false;
      node.cached = undefined;
      node.children.clear();
    }
    this.nodes.clear();
    this.parked.clear();
    this.resolveInitialized();
    const idle = new Promise<void>((resolve) => {
      this.whenIdle = resolve;
    });
    if (this.busy.size === 0) this.whenIdle?.();
    this.closing = (async () => {
      if (!wasStarted) return;
      // Reads already sent are not abandoned: the server sets their watches either way, and only a
      // watch the client also holds can be removed from the server. No new round starts now.
      await idle;
      await Promise.all([...paths].map((path) => removeWatch(this.client, path, 'any', this.onWatch)));
    })();
    return this.closing;
  }

  /** `await using cache = ...` closes it (as `close()`) when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The cached node at `path` (data and stat), or undefined if the cache has no such node. Throws for a path outside the subtree. */
  get(path: string): CachedNode | undefined {
    return this.nodeAt(path)?.cached;
  }

  /** The names of the cached children of `path`, sorted; undefined if the cache has no such node. */
  children(path: string): string[] | undefined {
    const node = this.nodeAt(path);
    if (node?.cached === undefined) return undefined;
    const names: string[] = [];
    for (const child of node.children.values()) if (child.cached !== undefined) names.push(child.name);
    return names.sort();
  }

  // --- reads ------------------------------------------------------------------------------------

  /** Asks for a round of reads of `node`; it starts now unless one is in flight or the node is parked. */
  private request(node: TreeNode, data: boolean, children: boolean): void {
    if (!node.attached || this.state !== 'started') return;
    if (data) node.wantData = true;
    if (children && node.depth < this.maxDepth) node.wantChildren = true;
    if (node.busy || this.parked.has(node) || !(node.wantData || node.wantChildren)) return;
    void this.drain(node);
  }

  private async drain(node: TreeNode): Promise<void> {
    node.busy = true;
    this.busy.add(node);
    try {
      while (node.attached && this.state === 'started' && (node.wantData || node.wantChildren)) {
        const data = node.wantData;
        const children = node.wantChildren;
        node.wantData = false;
        node.wantChildren = false;
        if (!(await this.readRound(node, data, children))) break;
      }
    } catch (error) {
      this.publish({ type: 'error', error });
    } finally {
      node.busy = false;
      this.busy.delete(node);
      if (this.busy.size === 0) this.whenIdle?.();
      this.checkInitialized();
    }
  }

  /** One round: the data and/or the children, with watches. Returns false when the node was parked. */
  private async readRound(node: TreeNode, data: boolean, children: boolean): Promise<boolean> {
    const { client, onWatch } = this;
    // Sent together and answered in this order by the one server the session is on, so the
    // children result is never older than the data result.
    const dataRead = data ? client.get(node.path, onWatch) : undefined;
    const childrenRead = children ? client.getChildren(node.path, onWatch, { includeData: true }) : undefined;
    const [dataResult, childrenResult] = await Promise.allSettled([dataRead, childrenRead]);
    if (!node.attached || this.state !== 'started') return true;
    let problem: unknown;
    if (data) {
      if (dataResult.status === 'fulfilled') {
        const [bytes, stat] = dataResult.value!;
        this.applyData(node, bytes, stat);
      } else if (dataResult.reason instanceof NoNodeError) {
        return this.gone(node);
      } else {
        node.wantData = true;
        problem = dataResult.reason;
      }
    }
    if (children && node.attached) {
      if (childrenResult.status === 'fulfilled') {
        const [names, stat] = childrenResult.value!;
        this.applyChildren(node, names, stat);
      } else if (childrenResult.reason instanceof NoNodeError) {
        return this.gone(node);
      } else {
        node.wantChildren = true;
        problem ??= childrenResult.reason;
      }
    }
    return problem === undefined ? true : this.failed(node, problem);
  }

  private applyData(node: TreeNode, data: Buffer | null, stat: Stat): void {
    if (node.cached !== undefined && stat.czxid !== node.cached.stat.czxid) this.replaced(node);
    const current = node.cached;
    const next: CachedNode = { path: node.path, data, stat };
    if (current === undefined) {
      node.cached = next;
      this.publish({ type: 'nodeAdded', node: next });
    } else if (stat.mzxid > current.stat.mzxid) {
      node.cached = next;
      this.publish({ type: 'nodeUpdated', node: next, previous: current });
    } else if (stat.mzxid === current.stat.mzxid) {
      // Same data, fresher counters (children, ACL version): no event, as Curator.
      node.cached = { path: node.path, data: current.data, stat };
    }
  }

  private applyChildren(node: TreeNode, names: string[], stat: Stat): void {
    if (node.cached !== undefined && stat.czxid !== node.cached.stat.czxid) {
      this.replaced(node);
      node.wantData = true;
    }
    const present = new Set(names);
    for (const [name, child] of node.children) if (!present.has(name)) this.detach(child);
    for (const name of names) {
      if (node.children.has(name)) continue;
      const child = new TreeNode(joinPath(node.path, name), name, node.depth + 1, node);
      node.children.set(name, child);
      this.nodes.set(child.path, child);
      this.request(child, true, true);
    }
    const cached = node.cached;
    if (cached !== undefined && stat.mzxid === cached.stat.mzxid) {
      node.cached = { path: node.path, data: cached.data, stat };
    }
  }

  /** The node does not exist (any more). The root stays and waits for its creation; others leave. */
  private async gone(node: TreeNode): Promise<boolean> {
    if (node !== this.root) {
      this.detach(node);
      return true;
    }
    this.empty(node);
    let stat: Stat | null;
    try {
      // Unlike getData, exists sets a watch on a missing node: NodeCreated brings the root back.
      stat = await this.client.exists(node.path, this.onWatch);
    } catch (error) {
      if (!node.attached || this.state !== 'started') return true;
      node.wantData = true;
      node.wantChildren = node.depth < this.maxDepth;
      return this.failed(node, error);
    }
    // Created between the reads: read it again.
    if (stat !== null) this.request(node, true, true);
    return true;
  }

  /** A read failed. Connection problems park the node until the next CONNECTED; other faults are reported and the round dropped. */
  private failed(node: TreeNode, error: unknown): boolean {
    if (!isConnectionProblem(this.client, error)) {
      node.wantData = false;
      node.wantChildren = false;
      this.publish({ type: 'error', error });
      return true;
    }
    this.parked.add(node);
    // The CONNECTED this read waits for may already have come.
    if (this.client.isConnected) {
      this.client.handler.sleep(RETRY_WHILE_CONNECTED_MS).then(() => this.resumeParked());
    }
    return false;
  }

  // --- the tree -------------------------------------------------------------------------------

  /** The node was deleted and created again between two reads (its czxid changed): report the old one removed. */
  private replaced(node: TreeNode): void {
    this.empty(node);
    node.wantChildren = node.depth < this.maxDepth;
  }

  /** Removes the node's subtree and its own cached state, reporting each live node removed, deepest first. */
  private empty(node: TreeNode): void {
    for (const child of node.children.values()) this.detach(child);
    node.children.clear();
    const cached = node.cached;
    node.cached = undefined;
    if (cached !== undefined) this.publish({ type: 'nodeRemoved', node: cached });
  }

  /** Takes a (non-root) node and its subtree out of the tree. */
  private detach(node: TreeNode): void {
    node.attached = false;
    this.parked.delete(node);
    if (this.nodes.get(node.path) === node) this.nodes.delete(node.path);
    if (node.parent?.children.get(node.name) === node) node.parent.children.delete(node.name);
    this.empty(node);
  }

  private nodeAt(path: string): TreeNode | undefined {
    validatePath(path);
    const root = this.path;
    if (!(path === root || root === '/' || path.startsWith(`${root}/`))) {
      throw new InvalidArgumentError('path', `${path} is outside the cached tree ${root}`);
    }
    return this.nodes.get(path);
  }

  // --- events ---------------------------------------------------------------------------------

  private watchFired(event: WatchedEvent): void {
    if (this.state !== 'started') return;
    const node = this.nodes.get(event.path);
    if (node === undefined) return; // a watch left by a node that is gone
    switch (event.type) {
      case EventType.NodeDataChanged:
        this.request(node, true, false);
        return;
      case EventType.NodeChildrenChanged:
        this.request(node, false, true);
        return;
      case EventType.NodeCreated:
      case EventType.NodeDeleted:
        // A deletion is confirmed by reading (NoNode), so it is applied in order with the node's other reads.
        this.request(node, true, true);
        return;
      default:
        // NONE: the session ended; the state listener rebuilds on the next CONNECTED.
        return;
    }
  }

  private stateChanged(state: ClientState): void {
    if (this.state !== 'started') return;
    if (state === ClientState.SUSPENDED) {
      this.publish({ type: 'connectionSuspended' });
    } else if (state === ClientState.LOST) {
      this.sessionLost = true;
      this.isInitialized = false;
      this.publish({ type: 'connectionLost' });
    } else if (state === ClientState.CONNECTED) {
      if (this.seenConnected) this.publish({ type: 'connectionReconnected' });
      this.seenConnected = true;
      if (this.sessionLost) {
        this.sessionLost = false;
        for (const node of [...this.nodes.values()]) this.request(node, true, true);
      }
      this.resumeParked();
    }
  }

  private resumeParked(): void {
    if (this.state !== 'started' || !this.client.isConnected || this.parked.size === 0) return;
    const nodes = [...this.parked];
    this.parked.clear();
    for (const node of nodes) this.request(node, false, false);
    this.checkInitialized();
  }

  /** 'initialized' once no read is in flight or waiting, the first time and after each session-loss rebuild. */
  private checkInitialized(): void {
    if (this.state !== 'started' || this.isInitialized || this.sessionLost) return;
    if (this.busy.size > 0 || this.parked.size > 0) return;
    this.isInitialized = true;
    this.publish({ type: 'initialized' });
    this.resolveInitialized();
  }
}
