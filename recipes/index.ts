// The recipes built on the client's public API (RecipeClient): kazoo's DataWatch, ChildrenWatch
// and TreeCache, Curator's CuratorCache, and the cache event types the caches share. The `zookit`
// entry exports all of it.
export { Barrier, type BarrierWaitOptions } from './barrier.js';
export {
  type CachedNode,
  type CacheEvent,
  CacheEventEmitter,
  type CacheEventName,
  type CacheEvents,
  type CacheListener,
} from './cache-events.js';
export {
  ChildrenWatch,
  type ChildrenWatchBinder,
  type ChildrenWatchFunction,
  type ChildrenWatchOptions,
} from './children-watch.js';
export {
  Counter,
  type CounterOptions,
  CounterOutcomeUnknownError,
  pythonFloatRepr,
} from './counter.js';
export { type AtomicLongOptions, type AtomicValue, DistributedAtomicLong } from './curator/atomic-long.js';
export {
  LeaderLatch,
  type LeaderLatchAwaitOptions,
  type LeaderLatchEvents,
  type LeaderLatchOptions,
  type LeaderLatchState,
  type Participant,
} from './curator/leader-latch.js';
export {
  PersistentNode,
  type PersistentNodeEvents,
  type PersistentNodeMode,
  type PersistentNodeOptions,
} from './curator/persistent-node.js';
export { PersistentTtlNode, type PersistentTtlNodeOptions } from './curator/persistent-ttl-node.js';
export { SharedCount, type SharedCountEvents } from './curator/shared-count.js';
export {
  SharedValue,
  type SharedValueEvents,
  type VersionedValue,
} from './curator/shared-value.js';
export { WriteOutcomeUnknownError } from './curator/versioned-write.js';
export { CuratorCache } from './curator-cache.js';
export {
  DataWatch,
  type DataWatchBinder,
  type DataWatchFunction,
  type DataWatchOptions,
} from './data-watch.js';
export { DoubleBarrier } from './double-barrier.js';
export { Election, LeadershipLostError } from './election.js';
export {
  type LeaseObtainOptions,
  type LeaseOptions,
  MultiNonBlockingLease,
  NonBlockingLease,
} from './lease.js';
export {
  Lock,
  type LockAcquireOptions,
  type LockEvents,
  type LockOptions,
  ReadLock,
  WriteLock,
} from './lock.js';
export {
  type ConsumeOptions,
  LockingQueue,
  type LockingQueueGetOptions,
  type QueueTransaction,
} from './locking-queue.js';
export {
  compareCodePoints,
  defaultPartitionFunc,
  type PartitionFunction,
  type PartitionItem,
} from './partition-func.js';
export {
  PartitionState,
  type ReleaseReason,
  SetPartitioner,
  type SetPartitionerEvents,
  type SetPartitionerOptions,
} from './partitioner.js';
export { BaseParty, Party, type PartyOptions, ShallowParty } from './party.js';
export { Queue, type QueueValue } from './queue.js';
export { RearmingWatch, type WatchFunction } from './rearming-watch.js';
export { CancelledError, LockTimeoutError } from './recipe-errors.js';
export {
  MaxLeasesMismatchError,
  Semaphore,
  type SemaphoreAcquireOptions,
  type SemaphoreEvents,
} from './semaphore.js';
export { TreeCache, type TreeCacheOptions } from './tree-cache.js';
