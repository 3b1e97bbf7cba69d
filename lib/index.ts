// The zookit package entry: the client, its handlers, the errors it raises, and the protocol
// constants and records its results are made of.
export * from '../handlers/index.js';
export * from '../protocol/index.js';
export * from '../recipes/index.js';
export * from './acl.js';
export {
  type AddWatchOptions,
  type CallOptions,
  type ClientEvents,
  type ClientOptions,
  type CreateOptions,
  type Logger,
  type MultiReadRequest,
  type RemoveWatchesOptions,
  type StateListener,
  type Value,
  ZooKeeperClient,
} from './client.js';
export * from './errors.js';
export {
  DEFAULT_HIGH_WATER_MARK,
  EventQueue,
  type EventQueueOptions,
  WatchQueueOverflowError,
} from './event-queue.js';
export { fourLetterWord } from './four-letter-words.js';
export { basename, joinPath, parentOf, parseHosts, sequenceOf, validatePath } from './paths.js';
export { isRetryable, type RetryOptions, RetryPolicy } from './retry.js';
export { ClientState, ConnectionState } from './states.js';
export { Transaction, type TransactionCreateOptions, type TransactionResult } from './transaction.js';
export type { PersistentMode, WatchCallback, WatchedEvent } from './watch-registry.js';
export type { RemovableWatchType } from './watch-removal.js';
export { WatchStream, type WatchStreamOptions } from './watch-stream.js';
