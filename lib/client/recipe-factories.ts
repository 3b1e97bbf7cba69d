// The recipes, bound on the client as kazoo binds them (`self.Lock = partial(Lock, self)`):
// `zk.DataWatch(path, fn)` is `new DataWatch(zk, path, fn)`. This is the one module of lib/ that
// imports recipes/ (dependency-cruiser's `lib-imports-recipes-only-in-binding`); the recipes know
// the client only as a RecipeClient, so nothing imports back and there is no cycle.

import { Barrier } from '../../recipes/barrier.js';
import {
  type ChildrenWatch,
  type ChildrenWatchBinder,
  type ChildrenWatchFunction,
  type ChildrenWatchOptions,
  childrenWatch,
} from '../../recipes/children-watch.js';
import { Counter, type CounterOptions } from '../../recipes/counter.js';
import { type AtomicLongOptions, DistributedAtomicLong } from '../../recipes/curator/atomic-long.js';
import {
  ServiceDiscovery,
  type ServiceDiscoveryOptions,
} from '../../recipes/curator/discovery/service-discovery.js';
import { LeaderLatch, type LeaderLatchOptions } from '../../recipes/curator/leader-latch.js';
import { LeaderSelector, type LeaderSelectorOptions } from '../../recipes/curator/leader-selector.js';
import { type InterProcessLock, InterProcessMultiLock } from '../../recipes/curator/multi-lock.js';
import { InterProcessMutex, type InterProcessMutexOptions } from '../../recipes/curator/mutex.js';
import { PersistentNode, type PersistentNodeOptions } from '../../recipes/curator/persistent-node.js';
import {
  PersistentTtlNode,
  type PersistentTtlNodeOptions,
} from '../../recipes/curator/persistent-ttl-node.js';
import {
  InterProcessReadWriteLock,
  type InterProcessReadWriteLockOptions,
} from '../../recipes/curator/read-write-lock.js';
import { InterProcessSemaphoreMutex } from '../../recipes/curator/semaphore-mutex.js';
import { InterProcessSemaphoreV2 } from '../../recipes/curator/semaphore-v2.js';
import { SharedCount } from '../../recipes/curator/shared-count.js';
import { SharedValue } from '../../recipes/curator/shared-value.js';
import { CuratorCache } from '../../recipes/curator-cache.js';
import {
  type DataWatch,
  type DataWatchBinder,
  type DataWatchFunction,
  type DataWatchOptions,
  dataWatch,
} from '../../recipes/data-watch.js';
import { DoubleBarrier } from '../../recipes/double-barrier.js';
import { Election } from '../../recipes/election.js';
import { type LeaseOptions, MultiNonBlockingLease, NonBlockingLease } from '../../recipes/lease.js';
import { Lock, type LockOptions, ReadLock, WriteLock } from '../../recipes/lock.js';
import { LockingQueue } from '../../recipes/locking-queue.js';
import type { PartitionItem } from '../../recipes/partition-func.js';
import { SetPartitioner, type SetPartitionerOptions } from '../../recipes/partitioner.js';
import { Party, type PartyOptions, ShallowParty } from '../../recipes/party.js';
import { Queue } from '../../recipes/queue.js';
import { Semaphore } from '../../recipes/semaphore.js';
import { TreeCache, type TreeCacheOptions } from '../../recipes/tree-cache.js';
import type { RecipeClient, Value } from '../recipe-client.js';

/** The recipe factories every ZooKeeperClient has, named as kazoo names them. */
export interface RecipeFactories {
  /** kazoo's DataWatch: `fn(data, stat)` now and on every change; without `fn`, the decorator form `zk.DataWatch(path)(fn)`. */
  DataWatch(path: string, fn: DataWatchFunction, options?: DataWatchOptions): DataWatch;
  DataWatch(path: string, options?: DataWatchOptions): DataWatchBinder;
  /** kazoo's ChildrenWatch: `fn(children)` now and on every change; without `fn`, the decorator form. */
  ChildrenWatch(path: string, fn: ChildrenWatchFunction, options?: ChildrenWatchOptions): ChildrenWatch;
  ChildrenWatch(path: string, options?: ChildrenWatchOptions): ChildrenWatchBinder;
  /** kazoo's TreeCache of the subtree at `path` (not started: call `start()`). */
  TreeCache(path: string, options?: TreeCacheOptions): TreeCache;
  /** Curator's CuratorCache of the subtree at `path`, on one persistent recursive watch (not started: call `start()`). */
  CuratorCache(path: string): CuratorCache;
  /** kazoo's Lock on `path` (exclusive among Locks and WriteLocks; ignores ReadLocks). */
  Lock(path: string, identifier?: string, options?: LockOptions): Lock;
  /** kazoo's ReadLock on `path`: shared among readers, waits for earlier writers. */
  ReadLock(path: string, identifier?: string, options?: LockOptions): ReadLock;
  /** kazoo's WriteLock on `path`: exclusive, waits for earlier readers and writers. */
  WriteLock(path: string, identifier?: string, options?: LockOptions): WriteLock;
  /** kazoo's Semaphore: up to `maxLeases` (default 1) holders of `path` at once. */
  Semaphore(path: string, identifier?: string, maxLeases?: number): Semaphore;
  /** kazoo's Election on `path`: `run(fn)` waits for leadership, then runs `fn`. */
  Election(path: string, identifier?: string): Election;
  /** kazoo's NonBlockingLease of `path` for `durationMs` ms (call `obtain()`). */
  NonBlockingLease(
    path: string,
    durationMs: number,
    identifier?: string,
    options?: LeaseOptions,
  ): NonBlockingLease;
  /** kazoo's MultiNonBlockingLease: one of `count` leases under `path` for `durationMs` ms (call `obtain()`). */
  MultiNonBlockingLease(
    count: number,
    path: string,
    durationMs: number,
    identifier?: string,
    options?: LeaseOptions,
  ): MultiNonBlockingLease;
  /** kazoo's SetPartitioner: divides `set` among the members at `path` (follow its `state`). */
  SetPartitioner(path: string, set: Iterable<PartitionItem>, options?: SetPartitionerOptions): SetPartitioner;
  /** kazoo's Barrier: up while `path` exists; `wait()` until it is removed. */
  Barrier(path: string): Barrier;
  /** kazoo's DoubleBarrier: `numClients` members `enter()` together and `leave()` together. */
  DoubleBarrier(path: string, numClients: number, identifier?: string): DoubleBarrier;
  /** kazoo's Counter on `path` (ASCII repr, or Curator's 4-byte int with `supportCurator`). */
  Counter(path: string, options?: CounterOptions): Counter;
  /** kazoo's Party: members `<uuid>__party__` under `path`, data = identifier. */
  Party(path: string, identifier?: string, options?: PartyOptions): Party;
  /** kazoo's ShallowParty: members `<uuid>-<identifier>` under `path`. */
  ShallowParty(path: string, identifier?: string, options?: PartyOptions): ShallowParty;
  /** kazoo's Queue on `path`: a priority queue, entries removed as they are taken. */
  Queue(path: string): Queue;
  /** kazoo's LockingQueue on `path`: take (`get`), then `consume()` or `release()`. */
  LockingQueue(path: string): LockingQueue;
  /** Curator's ServiceDiscovery: instances at `<basePath>/<name>/<id>` as Curator's JSON (call `start()`). */
  ServiceDiscovery<P = unknown>(options: ServiceDiscoveryOptions<P>): ServiceDiscovery<P>;
  /** Curator's LeaderLatch: a participant `id` of the election at `path` (call `start()`). */
  LeaderLatch(path: string, id?: string, options?: LeaderLatchOptions): LeaderLatch;
  /** Curator's SharedValue: bytes at `path`, created holding `seed` if missing (call `start()`). */
  SharedValue(path: string, seed: Value): SharedValue;
  /** Curator's SharedCount: a 4-byte int at `path`, created holding `seed` if missing (call `start()`). */
  SharedCount(path: string, seed: number): SharedCount;
  /** Curator's DistributedAtomicLong: an 8-byte long at `path`, changed by compare-and-set. */
  DistributedAtomicLong(path: string, options?: AtomicLongOptions): DistributedAtomicLong;
  /** Curator's PersistentNode: a node at `path` kept in place (ephemeral by default; call `start()`). */
  PersistentNode(path: string, options?: PersistentNodeOptions): PersistentNode;
  /** Curator's PersistentTtlNode: a TTL node at `path` kept alive by touching a child (call `start()`). */
  PersistentTtlNode(path: string, ttl: number, options?: PersistentTtlNodeOptions): PersistentTtlNode;
  /** Curator's InterProcessMutex on `path`: re-entrant per handle, shared with Curator's. */
  InterProcessMutex(path: string, options?: InterProcessMutexOptions): InterProcessMutex;
  /** Curator's InterProcessReadWriteLock on `path`: `readLock()` and `writeLock()`. */
  InterProcessReadWriteLock(
    path: string,
    options?: InterProcessReadWriteLockOptions,
  ): InterProcessReadWriteLock;
  /** Curator's InterProcessSemaphoreV2: up to `maxLeases` leases of `path` at once. */
  InterProcessSemaphoreV2(path: string, maxLeases: number): InterProcessSemaphoreV2;
  /** Curator's InterProcessSemaphoreMutex on `path`: a mutex that is not re-entrant. */
  InterProcessSemaphoreMutex(path: string): InterProcessSemaphoreMutex;
  /** Curator's InterProcessMultiLock: every lock taken, in order, or none (a path is a mutex). */
  InterProcessMultiLock(locks: readonly (string | InterProcessLock)[]): InterProcessMultiLock;
  /** Curator's LeaderSelector on `path` (not started: call `start()`). */
  LeaderSelector(path: string, options: LeaderSelectorOptions): LeaderSelector;
}

/** Each factory, with the client it is called on as `this`. */
const factories: { [K in keyof RecipeFactories]: (this: RecipeClient, ...args: never[]) => unknown } = {
  DataWatch(
    this: RecipeClient,
    path: string,
    fnOrOptions?: DataWatchFunction | DataWatchOptions,
    options?: DataWatchOptions,
  ) {
    return dataWatch(this, path, fnOrOptions, options);
  },
  ChildrenWatch(
    this: RecipeClient,
    path: string,
    fnOrOptions?: ChildrenWatchFunction | ChildrenWatchOptions,
    options?: ChildrenWatchOptions,
  ) {
    return childrenWatch(this, path, fnOrOptions, options);
  },
  TreeCache(this: RecipeClient, path: string, options?: TreeCacheOptions) {
    return new TreeCache(this, path, options);
  },
  CuratorCache(this: RecipeClient, path: string) {
    return new CuratorCache(this, path);
  },
  Lock(this: RecipeClient, path: string, identifier?: string, options?: LockOptions) {
    return new Lock(this, path, identifier, options);
  },
  ReadLock(this: RecipeClient, path: string, identifier?: string, options?: LockOptions) {
    return new ReadLock(this, path, identifier, options);
  },
  WriteLock(this: RecipeClient, path: string, identifier?: string, options?: LockOptions) {
    return new WriteLock(this, path, identifier, options);
  },
  Semaphore(this: RecipeClient, path: string, identifier?: string, maxLeases?: number) {
    return new Semaphore(this, path, identifier, maxLeases);
  },
  Election(this: RecipeClient, path: string, identifier?: string) {
    return new Election(this, path, identifier);
  },
  NonBlockingLease(
    this: RecipeClient,
    path: string,
    durationMs: number,
    identifier?: string,
    options?: LeaseOptions,
  ) {
    return new NonBlockingLease(this, path, durationMs, identifier, options);
  },
  MultiNonBlockingLease(
    this: RecipeClient,
    count: number,
    path: string,
    durationMs: number,
    identifier?: string,
    options?: LeaseOptions,
  ) {
    return new MultiNonBlockingLease(this, count, path, durationMs, identifier, options);
  },
  SetPartitioner(
    this: RecipeClient,
    path: string,
    set: Iterable<PartitionItem>,
    options?: SetPartitionerOptions,
  ) {
    return new SetPartitioner(this, path, set, options);
  },
  Barrier(this: RecipeClient, path: string) {
    return new Barrier(this, path);
  },
  DoubleBarrier(this: RecipeClient, path: string, numClients: number, identifier?: string) {
    return new DoubleBarrier(this, path, numClients, identifier);
  },
  Counter(this: RecipeClient, path: string, options?: CounterOptions) {
    return new Counter(this, path, options);
  },
  Party(this: RecipeClient, path: string, identifier?: string, options?: PartyOptions) {
    return new Party(this, path, identifier, options);
  },
  ShallowParty(this: RecipeClient, path: string, identifier?: string, options?: PartyOptions) {
    return new ShallowParty(this, path, identifier, options);
  },
  Queue(this: RecipeClient, path: string) {
    return new Queue(this, path);
  },
  LockingQueue(this: RecipeClient, path: string) {
    return new LockingQueue(this, path);
  },
  ServiceDiscovery<P>(this: RecipeClient, options: ServiceDiscoveryOptions<P>) {
    return new ServiceDiscovery<P>(this, options);
  },
  LeaderLatch(this: RecipeClient, path: string, id?: string, options?: LeaderLatchOptions) {
    return new LeaderLatch(this, path, id, options);
  },
  SharedValue(this: RecipeClient, path: string, seed: Value) {
    return new SharedValue(this, path, seed);
  },
  SharedCount(this: RecipeClient, path: string, seed: number) {
    return new SharedCount(this, path, seed);
  },
  DistributedAtomicLong(this: RecipeClient, path: string, options?: AtomicLongOptions) {
    return new DistributedAtomicLong(this, path, options);
  },
  PersistentNode(this: RecipeClient, path: string, options?: PersistentNodeOptions) {
    return new PersistentNode(this, path, options);
  },
  PersistentTtlNode(this: RecipeClient, path: string, ttl: number, options?: PersistentTtlNodeOptions) {
    return new PersistentTtlNode(this, path, ttl, options);
  },
  InterProcessMutex(this: RecipeClient, path: string, options?: InterProcessMutexOptions) {
    return new InterProcessMutex(this, path, options);
  },
  InterProcessReadWriteLock(this: RecipeClient, path: string, options?: InterProcessReadWriteLockOptions) {
    return new InterProcessReadWriteLock(this, path, options);
  },
  InterProcessSemaphoreV2(this: RecipeClient, path: string, maxLeases: number) {
    return new InterProcessSemaphoreV2(this, path, maxLeases);
  },
  InterProcessSemaphoreMutex(this: RecipeClient, path: string) {
    return new InterProcessSemaphoreMutex(this, path);
  },
  InterProcessMultiLock(this: RecipeClient, locks: readonly (string | InterProcessLock)[]) {
    return new InterProcessMultiLock(this, locks);
  },
  LeaderSelector(this: RecipeClient, path: string, options: LeaderSelectorOptions) {
    return new LeaderSelector(this, path, options);
  },
};

/** Puts the factories on the client class's prototype (not enumerable, like class methods). */
export function bindRecipeFactories(prototype: object): void {
  for (const [name, factory] of Object.entries(factories)) {
    Object.defineProperty(prototype, name, { value: factory, writable: true, configurable: true });
  }
}
