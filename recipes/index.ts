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
export type { DownInstancePolicy } from './curator/discovery/down-instances.js';
export {
  InstanceFormatError,
  type InstanceSerializer,
  JsonInstanceSerializer,
  type JsonInstanceSerializerOptions,
} from './curator/discovery/instance-json.js';
export {
  type ProviderStrategy,
  type ProviderStrategyName,
  RandomStrategy,
  RoundRobinStrategy,
  StickyStrategy,
} from './curator/discovery/provider-strategies.js';
export { ServiceCache, type ServiceCacheEvents } from './curator/discovery/service-cache.js';
export { ServiceDiscovery, type ServiceDiscoveryOptions } from './curator/discovery/service-discovery.js';
export {
  localAddresses,
  type ServiceInstance,
  type ServiceInstanceInit,
  ServiceType,
  serviceInstance,
} from './curator/discovery/service-instance.js';
export { ServiceProvider, type ServiceProviderOptions } from './curator/discovery/service-provider.js';
export {
  buildUri,
  buildUriSpec,
  parseUriSpec,
  type UriSpec,
  type UriSpecPart,
  type UriSpecSource,
} from './curator/discovery/uri-spec.js';
export {
  LeaderLatch,
  type LeaderLatchAwaitOptions,
  type LeaderLatchEvents,
  type LeaderLatchOptions,
  type LeaderLatchState,
} from './curator/leader-latch.js';
export {
  LeaderSelector,
  type LeaderSelectorOptions,
} from './curator/leader-selector.js';
export { IllegalMonitorStateError } from './curator/lock-errors.js';
export { type InterProcessLock, InterProcessMultiLock } from './curator/multi-lock.js';
export {
  InterProcessMutex,
  type InterProcessMutexAcquireOptions,
  type InterProcessMutexEvents,
  type InterProcessMutexOptions,
} from './curator/mutex.js';
export type { Participant } from './curator/participant.js';
export {
  PersistentNode,
  type PersistentNodeEvents,
  type PersistentNodeMode,
  type PersistentNodeOptions,
} from './curator/persistent-node.js';
export { PersistentTtlNode, type PersistentTtlNodeOptions } from './curator/persistent-ttl-node.js';
export {
  InterProcessReadLock,
  InterProcessReadWriteLock,
  type InterProcessReadWriteLockOptions,
  InterProcessWriteLock,
} from './curator/read-write-lock.js';
export { attemptRevoke, REVOKE_MESSAGE } from './curator/revocation.js';
export { InterProcessSemaphoreMutex } from './curator/semaphore-mutex.js';
export {
  InterProcessSemaphoreV2,
  type Lease,
  type SemaphoreV2AcquireOptions,
} from './curator/semaphore-v2.js';
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
