/**
 * The `zookit` entry: the public surface, listed name by name so that widening it is a decision
 * (the API report in api/ shows every change in review). It holds what a user meets in calls,
 * options, results and errors: the client and its types, the handlers, the recipes, the errors,
 * and the protocol constants and records results are made of (Stat, ACL, EventType, ...). The
 * wire codec itself stays behind `zookit/protocol`.
 *
 * @module zookit
 */

export * from './handlers/index.js';
export {
  type AclPermissions,
  CREATOR_ALL_ACL,
  makeAcl,
  makeDigestAcl,
  makeDigestCredential,
  OPEN_ACL_UNSAFE,
  READ_ACL_UNSAFE,
} from './lib/acl.js';
export { ZooKeeperClient } from './lib/client/client.js';
export { ClientEventEmitter } from './lib/client/client-events.js';
export {
  DEFAULT_FOUR_LETTER_WORD_TIMEOUT_MS,
  type FourLetterWordOptions,
  fourLetterWord,
} from './lib/client/four-letter-words.js';
export type {
  AddWatchOptions,
  CallOptions,
  ClientEvents,
  ClientOptions,
  CreateOptions,
  DeleteOptions,
  EnsurePathOptions,
  LogFields,
  Logger,
  MultiReadItem,
  RemoveWatchesOptions,
  SetOptions,
  StartOptions,
  StateListener,
  Value,
} from './lib/client/options.js';
export {
  isProtectedName,
  protectionIdOf,
  withoutProtection,
} from './lib/client/protected-names.js';
export type { RecipeFactories } from './lib/client/recipe-factories.js';
export {
  type CommitOptions,
  Transaction,
  type TransactionCreateOptions,
  type TransactionHost,
  type TransactionResult,
} from './lib/client/transaction.js';
export * from './lib/errors.js';
export {
  basename,
  type HostPort,
  joinPath,
  type ParsedHosts,
  parentOf,
  parseHosts,
  sequenceOf,
  type ValidatePathOptions,
  validatePath,
} from './lib/paths.js';
export type { RecipeClient, RecipeHandler } from './lib/recipe-client.js';
export {
  isRetryable,
  type ResolvedRetryOptions,
  type RetryClock,
  type RetryOptions,
  RetryPolicy,
} from './lib/retry.js';
export {
  DigestMd5Mechanism,
  type DigestMd5Options,
  SaslError,
} from './lib/sasl/digest-md5.js';
export {
  GssapiError,
  GssapiMechanism,
  type GssapiOptions,
  gssapi,
  type KerberosClientLike,
  type KerberosModuleLike,
  KerberosUnavailableError,
} from './lib/sasl/gssapi.js';
export type { SaslMechanism, SaslMechanismFactory, SaslOptions } from './lib/sasl/mechanism.js';
export type { TlsFileOptions, TlsOptions } from './lib/session/tls-files.js';
export { ClientState, ConnectionState } from './lib/states.js';
export type {
  ConnectTraceContext,
  RequestTraceContext,
  StateChannelMessage,
  WatchChannelMessage,
} from './lib/tracing.js';
export {
  DEFAULT_HIGH_WATER_MARK,
  EventQueue,
  type EventQueueOptions,
  WatchQueueOverflowError,
} from './lib/watches/event-queue.js';
export type { PersistentMode, WatchCallback, WatchedEvent } from './lib/watches/watch-registry.js';
export type { RemovableWatchType } from './lib/watches/watch-removal.js';
export { WatchStream, type WatchStreamHost, type WatchStreamOptions } from './lib/watches/watch-stream.js';
export { EventType, KeeperState, Perm } from './protocol/constants.js';
export { ErrorCode, type ErrorCodeName, errorCodeName } from './protocol/error-codes.js';
export type { ACL, ClientInfo, Id, Stat } from './protocol/records.js';
export * from './recipes/index.js';
