// ZooKeeperClient: kazoo's KazooClient in TypeScript. An event emitter with a promise API; the
// session and its connection loop run on the Handler given (SequentialMicrotaskHandler by default).
// The class is built in layers, one file each: the session and its states (client-core.ts), the
// znode operations (client-operations.ts), and here the watches and the recipes' factories.

import type { Handler } from '../../handlers/handler.js';
import { SequentialMicrotaskHandler } from '../../handlers/sequential-microtask.js';
import {
  type ChildrenWatch,
  type ChildrenWatchBinder,
  type ChildrenWatchFunction,
  type ChildrenWatchOptions,
  childrenWatch,
} from '../../recipes/children-watch.js';
import { CuratorCache } from '../../recipes/curator-cache.js';
import {
  type DataWatch,
  type DataWatchBinder,
  type DataWatchFunction,
  type DataWatchOptions,
  dataWatch,
} from '../../recipes/data-watch.js';
import { TreeCache, type TreeCacheOptions } from '../../recipes/tree-cache.js';
import { InvalidArgumentError } from '../errors.js';
import type { WatchCallback } from '../watches/watch-registry.js';
import type { RemovableWatchType } from '../watches/watch-removal.js';
import { WatchStream, type WatchStreamOptions } from '../watches/watch-stream.js';
import { ClientOperations } from './client-operations.js';
import type { AddWatchOptions, CallOptions, ClientOptions, RemoveWatchesOptions } from './options.js';

export type {
  AddWatchOptions,
  CallOptions,
  ClientEvents,
  ClientOptions,
  CreateOptions,
  Logger,
  MultiReadRequest,
  RemoveWatchesOptions,
  StateListener,
  Value,
} from './options.js';

/** The client. */
export class ZooKeeperClient extends ClientOperations {
  /**
   * Makes the handler of a client constructed without one. Replace it to move every such client
   * to another handler at once, e.g. `ZooKeeperClient.defaultHandler = () => new WorkerThreadsHandler()`
   * (the test suite runs twice this way).
   */
  static defaultHandler: () => Handler = () => new SequentialMicrotaskHandler();

  constructor(options: ClientOptions = {}) {
    super(options, () => ZooKeeperClient.defaultHandler());
  }

  // --- watches ----------------------------------------------------------------------------------

  /**
   * Adds a persistent watch (op 106, ZooKeeper 3.6+): `callback` gets every event of `path` until
   * the watch is removed with removeWatches. With mode 'persistentRecursive' it gets every event
   * of the subtree, each with its own path, except NodeChildrenChanged. It survives reconnects
   * (changes to the watched node made meanwhile are replayed, then a None event with state
   * SyncConnected marks the reconnect) and ends with the session (a None event with its state).
   */
  addWatch(path: string, callback: WatchCallback, options: AddWatchOptions = {}): Promise<void> {
    return this.request(() => {
      this.serverPath(path);
      if (typeof callback !== 'function')
        throw new InvalidArgumentError('callback', `callback must be a function, got ${typeof callback}`);
      const mode = options.mode ?? 'persistent';
      if (mode !== 'persistent' && mode !== 'persistentRecursive') {
        throw new InvalidArgumentError(
          'mode',
          `mode must be 'persistent' or 'persistentRecursive', got ${String(mode)}`,
        );
      }
      return this.requireSession().watches.addPersistent(path, mode, callback, {
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
      });
    });
  }

  /**
   * Removes watches of `type` on `path`: only `callback` when given, else all of them. 'data'
   * covers get and exists watches, 'children' getChildren watches, 'any' every kind including
   * persistent ones. NoWatcherError when none matches. Removed callbacks receive a
   * DataWatchRemoved, ChildWatchRemoved or PersistentWatchRemoved event, as in the Java client.
   */
  removeWatches(path: string, type: RemovableWatchType, options: RemoveWatchesOptions = {}): Promise<void> {
    return this.request(() => {
      this.serverPath(path);
      if (!REMOVABLE_TYPES.has(type)) {
        throw new InvalidArgumentError(
          'type',
          `type must be one of ${[...REMOVABLE_TYPES].join(', ')}, got ${String(type)}`,
        );
      }
      const callback = options.callback;
      if (callback !== undefined && typeof callback !== 'function')
        throw new InvalidArgumentError('callback', `callback must be a function, got ${typeof callback}`);
      return this.requireSession().watches.remove(path, type, callback, options.local === true, {
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
      });
    });
  }

  /** Removes every watch of `type` on `path` (the Java client's removeAllWatches). */
  removeAllWatches(
    path: string,
    type: RemovableWatchType,
    options: CallOptions & { local?: boolean } = {},
  ): Promise<void> {
    return this.removeWatches(path, type, { signal: options.signal, local: options.local });
  }

  /**
   * The events of a persistent (or, with `recursive`, persistent-recursive) watch on `path` as an
   * async iterable: `for await (const event of client.watch(path))`. See WatchStream for how it ends.
   */
  watch(path: string, options: WatchStreamOptions = {}): WatchStream {
    this.serverPath(path);
    return new WatchStream(this, path, options);
  }

  // --- recipes (recipes/) -----------------------------------------------------------------------

  /** kazoo's DataWatch: `fn(data, stat)` now and on every change; without `fn`, the decorator form `zk.DataWatch(path)(fn)`. */
  DataWatch(path: string, fn: DataWatchFunction, options?: DataWatchOptions): DataWatch;
  DataWatch(path: string, options?: DataWatchOptions): DataWatchBinder;
  DataWatch(
    path: string,
    fnOrOptions?: DataWatchFunction | DataWatchOptions,
    options?: DataWatchOptions,
  ): DataWatch | DataWatchBinder {
    return dataWatch(this, path, fnOrOptions, options);
  }

  /** kazoo's ChildrenWatch: `fn(children)` now and on every change; without `fn`, the decorator form. */
  ChildrenWatch(path: string, fn: ChildrenWatchFunction, options?: ChildrenWatchOptions): ChildrenWatch;
  ChildrenWatch(path: string, options?: ChildrenWatchOptions): ChildrenWatchBinder;
  ChildrenWatch(
    path: string,
    fnOrOptions?: ChildrenWatchFunction | ChildrenWatchOptions,
    options?: ChildrenWatchOptions,
  ): ChildrenWatch | ChildrenWatchBinder {
    return childrenWatch(this, path, fnOrOptions, options);
  }

  /** kazoo's TreeCache of the subtree at `path` (not started: call `start()`). */
  TreeCache(path: string, options?: TreeCacheOptions): TreeCache {
    return new TreeCache(this, path, options);
  }

  /** Curator's CuratorCache of the subtree at `path`, on one persistent recursive watch (not started: call `start()`). */
  CuratorCache(path: string): CuratorCache {
    return new CuratorCache(this, path);
  }
}

const REMOVABLE_TYPES: ReadonlySet<string> = new Set<RemovableWatchType>([
  'data',
  'children',
  'any',
  'persistent',
  'persistentRecursive',
]);
