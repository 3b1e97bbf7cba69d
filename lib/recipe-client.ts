// What recipes see of the client, and the one door from recipes/ into lib/ (dependency-cruiser's
// `recipes-use-public-api` rule). A recipe is written against RecipeClient, not against the
// ZooKeeperClient class: the client binds the recipe factories (`zk.Lock(...)`, kazoo's
// `partial(Lock, self)`) and the recipes never import the class back, so the dependency runs one
// way. RecipeClient holds only what recipes use — znode operations, watches, `retry`, the state
// events and the handler's primitives, through which a recipe waits, locks and sleeps (as kazoo's
// recipes do through `client.handler`), so it runs under any handler, the virtual clock included.
//
// Everything re-exported here is public (the `zookit` entry exports it too).

import type { Handler } from '../handlers/handler.js';
import './dispose.js';
import type { ACL, Stat } from '../protocol/records.js';
import type {
  AddWatchOptions,
  CallOptions,
  CreateOptions,
  DeleteOptions,
  EnsurePathOptions,
  RemoveWatchesOptions,
  SetOptions,
  Value,
} from './client/options.js';
import type { Transaction } from './client/transaction.js';
import type { ClientState, ConnectionState } from './states.js';
import type { WatchCallback } from './watches/watch-registry.js';
import type { RemovableWatchType } from './watches/watch-removal.js';

export type { CallOptions, CreateOptions, DeleteOptions, Value } from './client/options.js';
export {
  isProtectedName,
  protectionIdOf,
  withoutProtection,
} from './client/protected-names.js';
export * from './errors.js';
export { basename, joinPath, parentOf, sequenceOf, validatePath } from './paths.js';
export { isRetryable } from './retry.js';
export { ClientState, ConnectionState } from './states.js';
export type { WatchCallback, WatchedEvent } from './watches/watch-registry.js';
export type { RemovableWatchType } from './watches/watch-removal.js';

/**
 * The handler's part a recipe may use: its clock, event and lock objects, and ordered callback
 * dispatch (a recipe reports a fault by dispatching a callback that throws).
 */
export type RecipeHandler = Pick<
  Handler,
  'TimeoutError' | 'now' | 'sleep' | 'eventObject' | 'lockObject' | 'asyncResult' | 'dispatchCallback'
>;

/** The client as recipes see it (ZooKeeperClient implements it). */
export interface RecipeClient {
  readonly handler: RecipeHandler;
  /** CONNECTED, SUSPENDED or LOST. */
  readonly state: ClientState;
  readonly isConnected: boolean;
  /**
   * The connection's own state. CLOSED means never started or stopped: every request fails at
   * once with ConnectionClosedError, so a recipe that would wait fails at once instead (kazoo
   * hangs, #83, #482).
   */
  readonly connectionState: ConnectionState;
  /**
   * The current session's id (and password), undefined before the first session. A recipe checks
   * a node's `ephemeralOwner` against it: a node of an ended session is not its own any more.
   */
  readonly clientId: { sessionId: bigint; password: Buffer } | undefined;

  create(path: string, value?: Value, options?: CreateOptions & { includeData?: false }): Promise<string>;
  create(
    path: string,
    value: Value | undefined,
    options: CreateOptions & { includeData: true },
  ): Promise<[string, Stat]>;
  ensurePath(path: string, options?: EnsurePathOptions | readonly ACL[]): Promise<void>;
  exists(path: string, watch?: WatchCallback, options?: CallOptions): Promise<Stat | null>;
  get(path: string, watch?: WatchCallback, options?: CallOptions): Promise<[Buffer | null, Stat]>;
  getChildren(
    path: string,
    watch?: WatchCallback,
    options?: CallOptions & { includeData?: false },
  ): Promise<string[]>;
  getChildren(
    path: string,
    watch: WatchCallback | undefined,
    options: CallOptions & { includeData: true },
  ): Promise<[string[], Stat]>;
  set(path: string, value: Value, options?: SetOptions): Promise<Stat>;
  delete(path: string, options?: DeleteOptions): Promise<void>;
  sync(path: string, options?: CallOptions): Promise<string>;
  transaction(): Transaction;

  addWatch(path: string, callback: WatchCallback, options?: AddWatchOptions): Promise<void>;
  removeWatches(path: string, type: RemovableWatchType, options?: RemoveWatchesOptions): Promise<void>;

  /** Runs `fn` under the client's command retry policy. */
  retry<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;

  /** The state events (kazoo's listener): CONNECTED / SUSPENDED / LOST. */
  on(event: 'state', listener: (state: ClientState) => void): unknown;
  off(event: 'state', listener: (state: ClientState) => void): unknown;
}
