// The zookit package entry: the client, its handlers, the errors it raises, and the protocol
// constants and records its results are made of.
export * from './handlers/index.js';
export * from './lib/acl.js';
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
} from './lib/client/client.js';
export { fourLetterWord } from './lib/client/four-letter-words.js';
export {
  Transaction,
  type TransactionCreateOptions,
  type TransactionResult,
} from './lib/client/transaction.js';
export * from './lib/errors.js';
export { basename, joinPath, parentOf, parseHosts, sequenceOf, validatePath } from './lib/paths.js';
export { isRetryable, type RetryOptions, RetryPolicy } from './lib/retry.js';
export { ClientState, ConnectionState } from './lib/states.js';
export {
  DEFAULT_HIGH_WATER_MARK,
  EventQueue,
  type EventQueueOptions,
  WatchQueueOverflowError,
} from './lib/watches/event-queue.js';
export type { PersistentMode, WatchCallback, WatchedEvent } from './lib/watches/watch-registry.js';
export type { RemovableWatchType } from './lib/watches/watch-removal.js';
export { WatchStream, type WatchStreamOptions } from './lib/watches/watch-stream.js';
export * from './protocol/index.js';
export * from './recipes/index.js';
