// Curator's ServiceCache: the instances of one service, kept current in memory, on our CuratorCache
// of `<basePath>/<name>` (one persistent recursive watch; Curator 5 builds its ServiceCache on a
// CuratorCache too). Like Curator's, it makes the service's node (a container) when it starts, so
// the cache has something to watch, and it reports changes only once it is initialized.
//
// The CuratorCache delivers its events through the handler's dispatch, so by the time one reaches
// this cache the CuratorCache may already hold newer state (and `start()` may have resolved before
// the events of the initial load arrive). So an event is only a hint of which instance to look at:
// the cache compares that instance's node as the CuratorCache holds it *now* with what it last
// read (czxid and mzxid), and reports a change only when they differ. Each change is reported once,
// and never one that is already undone.

import { EventEmitter } from 'eventemitter3';
import { basename, joinPath, parentOf, type RecipeClient } from '../../../lib/recipe-client.js';
import type { CachedNode } from '../../cache-events.js';
import { CuratorCache } from '../../curator-cache.js';
import { reportFault } from '../../faults.js';
import { ensureContainers } from '../container-parents.js';
import type { InstanceSerializer } from './instance-json.js';
import type { ServiceInstance } from './service-instance.js';

/** A ServiceCache's events, with their listener arguments. */
export interface ServiceCacheEvents<P = unknown> {
  /** Any change (Curator's `cacheChanged`), after the more specific event below. */
  cacheChanged: [];
  /** An instance registered (keyed by its node's name). */
  instanceAdded: [instance: ServiceInstance<P>];
  /** An instance's data changed (`updateService`, or it registered again). */
  instanceUpdated: [instance: ServiceInstance<P>, previous: ServiceInstance<P>];
  /** An instance's node is gone. */
  instanceRemoved: [instance: ServiceInstance<P>];
  /** A node under the service could not be read as an instance, or a read failed. Without a listener it goes to the client's 'error'. */
  error: [error: unknown];
}

interface Known<P> {
  readonly instance: ServiceInstance<P>;
  readonly czxid: bigint;
  readonly mzxid: bigint;
}

/** The instances of one service, mirrored from ZooKeeper. Call `start()`; `close()` when done. */
export class ServiceCache<P = unknown>
  extends EventEmitter<ServiceCacheEvents<P>>
  implements AsyncDisposable
{
  /** The service's node, `<basePath>/<name>`. */
  readonly path: string;
  private readonly cache: CuratorCache;
  /** The instances by node name (the instance id, plus the sequence for DYNAMIC_SEQUENTIAL). */
  private readonly known = new Map<string, Known<P>>();
  private state: 'latent' | 'starting' | 'started' | 'closed' = 'latent';
  private starting: Promise<void> | undefined;

  /** Made by `discovery.serviceCache(name)`; `onClose` tells the discovery it is closed. */
  constructor(
    private readonly client: RecipeClient,
    /** The service's name. */
    readonly name: string,
    basePath: string,
    private readonly serializer: InstanceSerializer<P>,
    private readonly onClose: (cache: ServiceCache<P>) => void = () => {},
  ) {
    super();
    this.path = joinPath(basePath, name);
    this.cache = new CuratorCache(client, this.path);
    this.cache.on('nodeAdded', (node) => this.look(node));
    this.cache.on('nodeUpdated', (node) => this.look(node));
    this.cache.on('nodeRemoved', (node) => this.look(node));
    this.cache.on('error', (error) => this.publish('error', error));
  }

  /** Makes the service's node (a container) if missing, and resolves once the cache holds every instance. */
  start(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new Error('the service cache is closed'));
    this.starting ??= this.load();
    return this.starting;
  }

  /** Stops watching. The instances last seen stay readable. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.onClose(this);
    await this.cache.close();
  }

  /** `await using cache = discovery.serviceCache(name)` closes it when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The instances now, in the order of their node names. */
  getInstances(): ServiceInstance<P>[] {
    return [...this.known.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, known]) => known.instance);
  }

  private async load(): Promise<void> {
    this.state = 'starting';
    await this.client.retry(() => ensureContainers(this.client, this.path));
    await this.cache.start();
    if (this.state !== 'starting') return;
    // The initial load, read from the cache itself: its events may still be on their way.
    for (const name of this.cache.children(this.path) ?? []) this.refresh(joinPath(this.path, name), false);
    this.state = 'started';
  }

  /** A CuratorCache event: look at that instance again, if the node is one. */
  private look(node: CachedNode): void {
    if (this.state !== 'started' || parentOf(node.path) !== this.path || node.path === this.path) return;
    this.refresh(node.path, true);
  }

  /** Brings one instance in line with the CuratorCache's node, reporting the change when `report`. */
  private refresh(path: string, report: boolean): void {
    const id = basename(path);
    const node = this.cache.get(path);
    const previous = this.known.get(id);
    if (node === undefined) {
      if (previous === undefined) return;
      this.known.delete(id);
      if (report) this.changed('instanceRemoved', previous.instance);
      return;
    }
    if (previous !== undefined && previous.czxid === node.stat.czxid && previous.mzxid === node.stat.mzxid)
      return;
    let instance: ServiceInstance<P>;
    try {
      if (node.data === null) throw new Error('it has no data');
      instance = this.serializer.deserialize(node.data);
    } catch (error) {
      // Left out until it is readable; reported once per version.
      this.known.delete(id);
      this.publish('error', new Error(`${path} is not a service instance`, { cause: error }));
      if (previous !== undefined && report) this.changed('instanceRemoved', previous.instance);
      return;
    }
    this.known.set(id, { instance, czxid: node.stat.czxid, mzxid: node.stat.mzxid });
    if (!report) return;
    if (previous === undefined || previous.czxid !== node.stat.czxid) {
      if (previous !== undefined) this.changed('instanceRemoved', previous.instance);
      this.changed('instanceAdded', instance);
    } else this.changed('instanceUpdated', instance, previous.instance);
  }

  private changed<E extends 'instanceAdded' | 'instanceUpdated' | 'instanceRemoved'>(
    event: E,
    ...args: ServiceCacheEvents<P>[E]
  ): void {
    this.publish(event, ...args);
    this.publish('cacheChanged');
  }

  /** Delivers an event through the client's callback dispatch, in order; an unheard error goes to the client. */
  private publish<E extends keyof ServiceCacheEvents<P>>(event: E, ...args: ServiceCacheEvents<P>[E]): void {
    if (event === 'error' && this.listenerCount('error') === 0) {
      reportFault(this.client, args[0]);
      return;
    }
    for (const listener of this.listeners(event)) {
      this.removeListener(event, listener as () => void, undefined, true);
      this.client.handler.dispatchCallback(() => (listener as (...a: unknown[]) => unknown)(...args));
    }
  }
}
