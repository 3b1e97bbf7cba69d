// Curator's ServiceDiscovery (curator-x-discovery) on Curator's layout: each instance is a znode
// `<basePath>/<name>/<id>` holding Curator's ServiceInstance JSON (instance-json.ts), so a Java
// service on Curator and a Node service on zookit register in, and discover from, one registry.
// docs/curator-discovery.md
//
// Registration follows Curator: the node's kind comes from the ServiceType (DYNAMIC ephemeral,
// DYNAMIC_SEQUENTIAL ephemeral sequential, STATIC and PERMANENT persistent), missing parents are
// made as containers, and a create that finds the node already there deletes it and creates it
// again, so watchers see the new registration (an old session's ephemeral that the server has not
// removed yet is replaced that way too). Where it departs from Curator, it does so to keep the
// registration true:
// - After every reconnect Curator deletes and re-creates every instance, so each connection blip
//   shows up as an instance going and coming for every watcher. Here a reconnect in the same
//   session only re-creates a node that is missing; after a new session (the old one expired),
//   every ephemeral instance is registered again, delete + create as Curator.
// - The node's actual path is remembered, so a DYNAMIC_SEQUENTIAL instance (`<id>0000000007`) can
//   be updated and unregistered; Curator deletes `<name>/<id>`, which does not exist, and leaves
//   the sequential node until the session ends.
// - An unregister that fails on a connection problem keeps deleting in the background until the
//   node is gone (Curator's `guaranteed()`), through recipes/certain-delete.ts.
// Every registration change of one instance runs under that instance's lock (the handler's lock
// object), as Curator synchronizes on its entry, so a re-registration never races an unregister.

import {
  basename,
  ClientState,
  joinPath,
  NodeExistsError,
  NoNodeError,
  parentOf,
  type RecipeClient,
  validatePath,
} from '../../../lib/recipe-client.js';
import type { Stat } from '../../../protocol/index.js';
import type { CachedNode } from '../../cache-events.js';
import { deleteForCertain } from '../../certain-delete.js';
import { CuratorCache } from '../../curator-cache.js';
import { isConnectionProblem, reportFault } from '../../faults.js';
import { ensureContainers } from '../container-parents.js';
import { type InstanceSerializer, JsonInstanceSerializer } from './instance-json.js';
import { ServiceCache } from './service-cache.js';
import { checkInstance, nodeModeOf, type ServiceInstance } from './service-instance.js';
import { ServiceProvider, type ServiceProviderOptions } from './service-provider.js';

/** Options of a ServiceDiscovery (Curator's ServiceDiscoveryBuilder). */
export interface ServiceDiscoveryOptions<P = unknown> {
  /** The registry's root: instances live at `<basePath>/<name>/<id>`. */
  basePath: string;
  /** An instance registered by `start()` (Curator's `thisInstance`). */
  thisInstance?: ServiceInstance<P>;
  /**
   * Keep a cache of each registered instance's node and adopt changes others make to it (Curator's
   * `watchInstances`): `registeredInstance(id)` then returns the node's current instance, and a
   * re-registration writes that. Default false.
   */
  watchInstances?: boolean;
  /** How instances become znode data (default: Curator's JsonInstanceSerializer, compatible mode). */
  serializer?: InstanceSerializer<P>;
}

/** How often a registration's create may find the node there (and delete it) before it gives up. */
const MAX_REGISTER_ATTEMPTS = 3;
/** How often a create re-makes container parents that vanished under it. */
const MAX_PARENT_REMAKES = 10;

type Lock = ReturnType<RecipeClient['handler']['lockObject']>;

/** One instance this discovery registered. */
interface Registration<P> {
  instance: ServiceInstance<P>;
  /** The node's actual path, once made (the sequence included). */
  path: string | undefined;
  /** The session the node was made in (an ephemeral's owner). */
  session: bigint | undefined;
  /** The mzxid of this discovery's last write of the node: a watched change no newer is its own. */
  written: bigint | undefined;
  readonly lock: Lock;
  /** The node's cache with `watchInstances`. */
  watch: CuratorCache | undefined;
  removed: boolean;
}

/**
 * A service registry shared with Curator's ServiceDiscovery. Register instances, query them, and
 * make caches and providers of a service. `start()` registers `thisInstance` and keeps every
 * registered instance registered across reconnects and session loss; `close()` unregisters them.
 */
export class ServiceDiscovery<P = unknown> implements AsyncDisposable {
  /** The registry's root. */
  readonly basePath: string;
  /** How instances become znode data and back. */
  readonly serializer: InstanceSerializer<P>;
  private readonly watchInstances: boolean;
  private readonly registrations = new Map<string, Registration<P>>();
  private readonly caches = new Set<ServiceCache<P>>();
  private readonly providers = new Set<ServiceProvider<P>>();
  private state: 'latent' | 'started' | 'closed' = 'latent';
  private readonly onState = (state: ClientState): void => {
    if (state === ClientState.CONNECTED && this.state === 'started') void this.reconcile();
  };

  constructor(
    private readonly client: RecipeClient,
    options: ServiceDiscoveryOptions<P>,
  ) {
    validatePath(options.basePath);
    this.basePath = options.basePath;
    this.serializer = options.serializer ?? new JsonInstanceSerializer<P>();
    this.watchInstances = options.watchInstances ?? false;
    if (options.thisInstance !== undefined) {
      checkInstance(options.thisInstance);
      this.registrations.set(options.thisInstance.id, this.newRegistration(options.thisInstance));
    }
  }

  /**
   * Registers `thisInstance` (and any instance registered before), and from now on registers them
   * again after session loss. Resolves once they are registered; a failure rejects, and the next
   * CONNECTED tries again.
   */
  async start(): Promise<void> {
    if (this.state === 'closed') throw new Error('the service discovery is closed');
    if (this.state === 'started') return;
    this.state = 'started';
    this.client.on('state', this.onState);
    await Promise.all(
      [...this.registrations.values()].map((r) => r.lock.run(() => this.ensureRegistered(r))),
    );
  }

  /**
   * Closes its providers and caches, then unregisters every instance it registered (persistent ones
   * included, as Curator does). Rejects with the failures, after trying every instance.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.client.off('state', this.onState);
    await Promise.all([...this.providers, ...this.caches].map((closable) => closable.close()));
    const registrations = [...this.registrations.values()];
    this.registrations.clear();
    const failures: unknown[] = [];
    await Promise.all(
      registrations.map((r) => this.unregister(r).catch((error: unknown) => failures.push(error))),
    );
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1)
      throw new AggregateError(failures, 'could not unregister every service instance');
  }

  /** `await using discovery = zk.ServiceDiscovery(...)` closes it when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Registers `instance`: creates its node (deleting one already there first). Registering an id
   * again replaces that registration (its old node is removed if the name or type changed).
   */
  async registerService(instance: ServiceInstance<P>): Promise<void> {
    this.checkOpen();
    checkInstance(instance);
    this.serializer.serialize(instance); // a payload or field it cannot write fails here, not later
    let r = this.registrations.get(instance.id);
    if (r === undefined) {
      r = this.newRegistration(instance);
      this.registrations.set(instance.id, r);
    }
    const registration = r;
    await registration.lock.run(async () => {
      if (registration.removed) return;
      registration.instance = instance;
      await this.createNode(registration);
    });
  }

  /**
   * Writes a registered instance's new fields to its node (a data change for watchers). A changed
   * name or type moves it: the old node goes and a new one is made. Rejects when `instance.id` is
   * not registered here.
   */
  async updateService(instance: ServiceInstance<P>): Promise<void> {
    this.checkOpen();
    checkInstance(instance);
    const data = this.serializer.serialize(instance);
    const r = this.registrations.get(instance.id);
    if (r === undefined) throw new Error(`service instance ${instance.id} is not registered`);
    await r.lock.run(async () => {
      if (r.removed) throw new Error(`service instance ${instance.id} is not registered`);
      const moved = instance.name !== r.instance.name || instance.serviceType !== r.instance.serviceType;
      r.instance = instance;
      const path = r.path;
      if (path === undefined || moved) {
        await this.createNode(r);
        return;
      }
      try {
        const stat = await this.client.retry(() => this.client.set(path, data));
        r.written = stat.mzxid;
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
        await this.createNode(r); // gone meanwhile: it is still registered, so make it again
      }
    });
  }

  /** Unregisters an instance (by itself or its id): deletes its node, for certain. Unknown ids are fine. */
  async unregisterService(instance: ServiceInstance<P> | string): Promise<void> {
    const id = typeof instance === 'string' ? instance : instance.id;
    const r = this.registrations.get(id);
    if (r === undefined) return;
    this.registrations.delete(id);
    await this.unregister(r);
  }

  /** The instance registered here under `id`, as last written or (with `watchInstances`) seen; undefined if none. */
  registeredInstance(id: string): ServiceInstance<P> | undefined {
    return this.registrations.get(id)?.instance;
  }

  /** The services' names: the children of `basePath` ([] when it does not exist). */
  async queryForNames(): Promise<string[]> {
    try {
      return (await this.client.retry(() => this.client.getChildren(this.basePath))).sort();
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
  }

  /** Every instance of service `name`, in the order of their node names ([] for an unknown service). */
  async queryForInstances(name: string): Promise<ServiceInstance<P>[]> {
    const path = this.pathForName(name);
    let ids: string[];
    try {
      ids = await this.client.retry(() => this.client.getChildren(path));
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
    const read = await Promise.all(ids.sort().map((id) => this.read(joinPath(path, id))));
    return read.filter((instance): instance is ServiceInstance<P> => instance !== undefined);
  }

  /** The instance `id` of service `name`, or undefined. */
  queryForInstance(name: string, id: string): Promise<ServiceInstance<P> | undefined> {
    return this.read(this.pathForInstance(name, id));
  }

  /** A cache of service `name`'s instances (not started: call `start()`); closed with the discovery. */
  serviceCache(name: string): ServiceCache<P> {
    this.checkOpen();
    this.pathForName(name);
    const cache = new ServiceCache<P>(this.client, name, this.basePath, this.serializer, (closed) =>
      this.caches.delete(closed),
    );
    this.caches.add(cache);
    return cache;
  }

  /** A provider of service `name`'s instances on its own cache (not started: call `start()`); closed with the discovery. */
  serviceProvider(name: string, options: ServiceProviderOptions<P> = {}): ServiceProvider<P> {
    this.checkOpen();
    this.pathForName(name);
    const cache = new ServiceCache<P>(this.client, name, this.basePath, this.serializer);
    const provider = new ServiceProvider<P>(this.client, cache, options, (closed) =>
      this.providers.delete(closed),
    );
    this.providers.add(provider);
    return provider;
  }

  /** `<basePath>/<name>`. */
  pathForName(name: string): string {
    if (name === '' || name.includes('/')) throw new TypeError(`not a service name: ${JSON.stringify(name)}`);
    const path = joinPath(this.basePath, name);
    validatePath(path);
    return path;
  }

  /** `<basePath>/<name>/<id>` (a DYNAMIC_SEQUENTIAL instance's node has the sequence after it). */
  pathForInstance(name: string, id: string): string {
    if (id === '' || id.includes('/')) throw new TypeError(`not an instance id: ${JSON.stringify(id)}`);
    const path = joinPath(this.pathForName(name), id);
    validatePath(path);
    return path;
  }

  // --- registration ---------------------------------------------------------------------------

  private newRegistration(instance: ServiceInstance<P>): Registration<P> {
    return {
      instance,
      path: undefined,
      session: undefined,
      written: undefined,
      lock: this.client.handler.lockObject(),
      watch: undefined,
      removed: false,
    };
  }

  private checkOpen(): void {
    if (this.state === 'closed') throw new Error('the service discovery is closed');
  }

  /** After a (re)connect: every instance registered again where its node is missing or belongs to an ended session. */
  private async reconcile(): Promise<void> {
    await Promise.all(
      [...this.registrations.values()].map((r) =>
        r.lock
          .run(() => this.ensureRegistered(r))
          .catch((error: unknown) => {
            // A connection problem ends with the next CONNECTED, which tries again.
            if (!isConnectionProblem(this.client, error)) reportFault(this.client, error);
          }),
      ),
    );
  }

  /** Makes the node unless it is there from this session (or, for a persistent one, there at all). Under the lock. */
  private async ensureRegistered(r: Registration<P>): Promise<void> {
    if (r.removed || this.state !== 'started') return;
    const path = r.path;
    const ephemeral = nodeModeOf(r.instance.serviceType).ephemeral;
    if (path !== undefined && (!ephemeral || r.session === this.client.clientId?.sessionId)) {
      if ((await this.client.retry(() => this.client.exists(path))) !== null) return;
    }
    await this.createNode(r);
  }

  /**
   * Creates the instance's node from `r.instance`; a node already at the path is deleted and the
   * create tried again (so watchers see a new registration, not a silent takeover). The previous
   * node of a sequential or moved instance is deleted first. Under the lock.
   */
  private async createNode(r: Registration<P>): Promise<void> {
    const { instance } = r;
    const data = this.serializer.serialize(instance);
    const mode = nodeModeOf(instance.serviceType);
    const path = this.pathForInstance(instance.name, instance.id);
    if (r.path !== undefined && r.path !== path) await this.deleteIfThere(r.path);
    r.path = undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const [made, stat] = await this.client.retry(() => this.createWithParents(path, data, mode));
        r.path = made;
        r.session = mode.ephemeral ? stat.ephemeralOwner : this.client.clientId?.sessionId;
        r.written = stat.mzxid;
        break;
      } catch (error) {
        if (!(error instanceof NodeExistsError) || attempt >= MAX_REGISTER_ATTEMPTS) throw error;
        await this.deleteIfThere(path);
      }
    }
    this.watchRegistration(r);
  }

  /** Creates `path`, making missing parents as containers (as often as they vanish, CURATOR-724). */
  private async createWithParents(
    path: string,
    data: Buffer,
    mode: { ephemeral: boolean; sequence: boolean },
  ): Promise<[string, Stat]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.client.create(path, data, { ...mode, includeData: true });
      } catch (error) {
        if (!(error instanceof NoNodeError) || attempt >= MAX_PARENT_REMAKES) throw error;
        await ensureContainers(this.client, parentOf(path));
      }
    }
  }

  private async deleteIfThere(path: string): Promise<void> {
    try {
      await this.client.retry(() => this.client.delete(path));
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }

  /** Ends a registration: stops its watch and deletes its node, in the background if the connection is down. */
  private async unregister(r: Registration<P>): Promise<void> {
    r.removed = true;
    await r.lock.run(async () => {
      const watch = r.watch;
      r.watch = undefined;
      await watch?.close();
      const mode = nodeModeOf(r.instance.serviceType);
      // A create whose reply was lost leaves no path: a fixed name can still be deleted.
      const path =
        r.path ?? (mode.sequence ? undefined : this.pathForInstance(r.instance.name, r.instance.id));
      if (path === undefined) return;
      try {
        await this.client.delete(path);
      } catch (error) {
        if (error instanceof NoNodeError) return;
        if (!isConnectionProblem(this.client, error)) throw error;
        const name = basename(path);
        void deleteForCertain(this.client, {
          parent: parentOf(path),
          prefix: name,
          name,
          persistent: !mode.ephemeral,
        });
      }
    });
  }

  /** With `watchInstances`: follows the registration's node, adopting what others write to it. */
  private watchRegistration(r: Registration<P>): void {
    if (!this.watchInstances || r.path === undefined || r.removed || r.watch?.path === r.path) return;
    void r.watch?.close();
    const watch = new CuratorCache(this.client, r.path);
    r.watch = watch;
    const adopt = (node: CachedNode): void => {
      if (r.watch !== watch || r.removed || node.path !== watch.path || node.data === null) return;
      if (r.written !== undefined && node.stat.mzxid <= r.written) return; // our own write, or older
      let instance: ServiceInstance<P>;
      try {
        instance = this.serializer.deserialize(node.data);
      } catch {
        return; // not an instance: Curator ignores it too, and keeps what it had
      }
      if (instance.id !== r.instance.id) return;
      r.instance = instance;
      r.written = node.stat.mzxid;
    };
    watch.on('nodeAdded', adopt);
    watch.on('nodeUpdated', adopt);
    void watch.start().catch(() => undefined); // closed before it was initialized
  }

  // --- queries ----------------------------------------------------------------------------------

  private async read(path: string): Promise<ServiceInstance<P> | undefined> {
    let data: Buffer | null;
    try {
      [data] = await this.client.retry(() => this.client.get(path));
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      throw error;
    }
    if (data === null) throw new Error(`${path} has no data: not a service instance`);
    return this.serializer.deserialize(data);
  }
}
