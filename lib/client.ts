// ZooKeeperClient: kazoo's KazooClient in TypeScript. An event emitter with a promise API; the
// session and its connection loop run on the Handler given (SequentialMicrotaskHandler by default).

import EventEmitter from 'eventemitter3';
import type { Handler, HandlerEvent } from '../handlers/handler.js';
import { SequentialMicrotaskHandler } from '../handlers/sequential-microtask.js';
import {
  DEFAULT_MAX_BUFFER_BYTES,
  DEFAULT_MAX_INBOUND_FRAME_BYTES,
  OpCode,
  REPLY_HEADER_BYTES,
} from '../protocol/constants.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { MultiReadOp, MultiResult } from '../protocol/multi.js';
import type { ACL, ClientInfo, Stat } from '../protocol/records.js';
import {
  type ChildrenWatch,
  type ChildrenWatchBinder,
  type ChildrenWatchFunction,
  type ChildrenWatchOptions,
  childrenWatch,
} from '../recipes/children-watch.js';
import { CuratorCache } from '../recipes/curator-cache.js';
import {
  type DataWatch,
  type DataWatchBinder,
  type DataWatchFunction,
  type DataWatchOptions,
  dataWatch,
} from '../recipes/data-watch.js';
import { TreeCache, type TreeCacheOptions } from '../recipes/tree-cache.js';
import { OPEN_ACL_UNSAFE, validateAcl } from './acl.js';
import type {
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
} from './client-options.js';
import {
  AuthFailedError,
  ConnectionClosedError,
  errorFromCode,
  InvalidArgumentError,
  NodeExistsError,
  NoNodeError,
} from './errors.js';
import { fourLetterWord } from './four-letter-words.js';
import type { HostAddress } from './loop-messages.js';
import { parentOf, parseHosts, prefixChroot, stripChroot, validatePath } from './paths.js';
import { type RetryOptions, RetryPolicy } from './retry.js';
import { Session } from './session.js';
import { ClientState, ConnectionState, clientStateOf } from './states.js';
import { checkCreateOptions, createFlag, Transaction } from './transaction.js';
import type { WatchCallback } from './watch-registry.js';
import type { RemovableWatchType } from './watch-removal.js';
import { WatchStream, type WatchStreamOptions } from './watch-stream.js';

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
} from './client-options.js';

/** The client. */
export class ZooKeeperClient extends EventEmitter<ClientEvents> {
  /**
   * Makes the handler of a client constructed without one. Replace it to move every such client
   * to another handler at once, e.g. `ZooKeeperClient.defaultHandler = () => new WorkerThreadsHandler()`
   * (the test suite runs twice this way).
   */
  static defaultHandler: () => Handler = () => new SequentialMicrotaskHandler();

  readonly handler: Handler;
  /** The chroot every path is relative to ('' for none). */
  readonly chroot: string;
  private readonly ownsHandler: boolean;
  private readonly hosts: HostAddress[];
  private readonly options: ClientOptions;
  private readonly defaultAcl: ACL[];
  private readonly commandRetry: RetryPolicy;
  private readonly maxBufferBytes: number;
  private readonly authData: Array<[string, string]>;
  private session: Session | undefined;
  private clientState: ClientState = ClientState.LOST;
  private connectionState: ConnectionState = ConnectionState.CLOSED;
  private readonly connected: HandlerEvent;
  /** Set once a start attempt has an outcome: connected, or a state it cannot leave (auth failed, closed). */
  private readonly startSettled: HandlerEvent;
  private readonly stateListeners = new Set<StateListener>();
  private stopping: Promise<void> | undefined;
  private resumeFrom: { sessionId: bigint; passwd: Buffer } | undefined;

  constructor(options: ClientOptions = {}) {
    super();
    this.options = options;
    const parsed = parseHosts(options.hosts ?? '127.0.0.1:2181');
    this.hosts = parsed.hosts;
    this.chroot = parsed.chroot;
    this.ownsHandler = options.handler === undefined;
    this.handler = options.handler ?? ZooKeeperClient.defaultHandler();
    this.handler.onCallbackError((error) => {
      this.log('error', `a callback threw: ${(error as Error)?.stack ?? String(error)}`);
      this.emit('error', error);
    });
    this.defaultAcl = [...(options.defaultAcl ?? OPEN_ACL_UNSAFE)];
    validateAcl(this.defaultAcl);
    this.maxBufferBytes = options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
    this.authData = (options.authData ?? []).map(([s, c]) => [s, c]);
    this.commandRetry = new RetryPolicy(options.commandRetry ?? {}, this.handler);
    this.connected = this.handler.eventObject();
    this.startSettled = this.handler.eventObject();
    if (options.clientId) {
      this.resumeFrom = {
        sessionId: options.clientId.sessionId,
        passwd: Buffer.from(options.clientId.password),
      };
    }
    const timeout = options.sessionTimeout ?? 10_000;
    if (!Number.isInteger(timeout) || timeout <= 0) {
      throw new InvalidArgumentError(
        'sessionTimeout',
        `sessionTimeout must be a positive integer (ms), got ${timeout}`,
      );
    }
  }

  // --- state ------------------------------------------------------------------------------------

  /** CONNECTED, SUSPENDED or LOST. */
  get state(): ClientState {
    return this.clientState;
  }

  /** The finer connection state (CONNECTING, CONNECTED, CONNECTED_RO, AUTH_FAILED, EXPIRED_SESSION, CLOSED). */
  get keeperState(): ConnectionState {
    return this.connectionState;
  }

  /** Whether requests can be sent now. */
  get isConnected(): boolean {
    return this.clientState === ClientState.CONNECTED;
  }

  /** The session id and password, to resume the session from another client; undefined before one exists. */
  get clientId(): { sessionId: bigint; password: Buffer } | undefined {
    const s = this.session;
    if (s === undefined || s.sessionId === 0n) return undefined;
    return { sessionId: s.sessionId, password: Buffer.from(s.passwd) };
  }

  /** The negotiated session timeout, ms (0 before the first connection). */
  get sessionTimeout(): number {
    return this.session?.negotiatedTimeout ?? 0;
  }

  /** `host:port` of the server the client is connected to. */
  get connectedTo(): string | undefined {
    return this.session?.connectedTo;
  }

  /** kazoo's add_listener: `listener(state)` on every CONNECTED/SUSPENDED/LOST change; returning true removes it. */
  override addListener(listener: StateListener): this;
  override addListener<E extends keyof ClientEvents>(
    event: E,
    fn: (...args: ClientEvents[E]) => void,
    context?: unknown,
  ): this;
  override addListener(eventOrListener: unknown, fn?: unknown, context?: unknown): this {
    if (typeof eventOrListener === 'function') {
      this.stateListeners.add(eventOrListener as StateListener);
      return this;
    }
    return super.addListener(eventOrListener as keyof ClientEvents, fn as () => void, context);
  }

  /** Removes a listener added with addListener(listener). */
  override removeListener(listener: StateListener): this;
  override removeListener<E extends keyof ClientEvents>(
    event: E,
    fn?: (...args: ClientEvents[E]) => void,
    context?: unknown,
  ): this;
  override removeListener(eventOrListener: unknown, fn?: unknown, context?: unknown): this {
    if (typeof eventOrListener === 'function') {
      this.stateListeners.delete(eventOrListener as StateListener);
      return this;
    }
    return super.removeListener(eventOrListener as keyof ClientEvents, fn as () => void, context);
  }

  /**
   * The same as removeListener. eventemitter3 binds `off` to its own removeListener when it
   * loads, so without this `off(listener)` would skip the kazoo-style form above.
   */
  override off(listener: StateListener): this;
  override off<E extends keyof ClientEvents>(
    event: E,
    fn?: (...args: ClientEvents[E]) => void,
    context?: unknown,
  ): this;
  override off(eventOrListener: unknown, fn?: unknown, context?: unknown): this {
    return this.removeListener(eventOrListener as keyof ClientEvents, fn as () => void, context);
  }

  // --- lifecycle --------------------------------------------------------------------------------

  /**
   * Connects and resolves once CONNECTED (credentials replayed and accepted). On timeout (ms,
   * default 15000) the client is stopped and the handler's TimeoutError thrown; on authentication
   * failure, AuthFailedError. Safe to call twice.
   */
  async start(options: { timeout?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.startAsync();
    const timeout = options.timeout ?? 15_000;
    const settled = await this.startSettled.wait(timeout, options.signal).catch(async (err) => {
      await this.stop();
      throw err;
    });
    if (settled && this.connected.isSet()) return;
    const state = this.connectionState;
    await this.stop();
    if (state === ConnectionState.AUTH_FAILED)
      throw new AuthFailedError(undefined, undefined, 'authentication failed');
    const why = this.session?.lastFailure;
    throw new this.handler.TimeoutError(
      `could not connect to ${this.describeHosts()} within ${timeout} ms${why ? `: ${why}` : ''}`,
    );
  }

  /** Starts connecting without waiting; the returned event is set once connected. */
  startAsync(): HandlerEvent {
    if (this.session !== undefined && this.stopping === undefined) return this.connected;
    this.stopping = undefined;
    this.startSettled.clear();
    if (!this.handler.running) this.handler.start();
    const session = new Session(
      this.handler,
      { chroot: this.chroot, maxBufferBytes: this.maxBufferBytes, authData: this.authData },
      {
        onState: (state, detail) => this.onConnectionState(state, detail),
        onLog: (level, message) => this.log(level, message),
        onError: (error) => this.emit('error', error),
      },
    );
    this.session = session;
    const resume = this.resumeFrom;
    const tls = this.options.tls === true ? {} : this.options.tls;
    this.onConnectionState(ConnectionState.CONNECTING, 'starting');
    session.start({
      hosts: this.hosts,
      randomizeHosts: this.options.randomizeHosts ?? true,
      sessionTimeout: this.options.sessionTimeout ?? 10_000,
      sessionId: resume?.sessionId ?? 0n,
      passwd: resume?.passwd ?? null,
      readOnly: this.options.readOnly ?? false,
      tls,
      maxInboundFrameBytes: Math.max(
        DEFAULT_MAX_INBOUND_FRAME_BYTES,
        this.maxBufferBytes + REPLY_HEADER_BYTES,
      ),
      connectionRetry: {
        maxTries: -1,
        delay: 100,
        backoff: 2,
        maxDelay: 10_000,
        ...stripSignal(this.options.connectionRetry),
      },
    });
    return this.connected;
  }

  /**
   * Ends the session gracefully: requests already sent are answered, closeSession is sent and its
   * reply awaited, then the connection closes. Idempotent; safe from inside any callback.
   */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    const session = this.session;
    this.stopping = (async () => {
      if (session !== undefined) {
        this.resumeFrom = undefined;
        await session.close(
          Math.max(1000, session.negotiatedTimeout || (this.options.sessionTimeout ?? 10_000)),
        );
      }
      this.onConnectionState(ConnectionState.CLOSED, 'stopped');
      if (this.ownsHandler) await this.handler.stop();
    })();
    return this.stopping;
  }

  /** Stops (if needed) and frees what the client holds; the kazoo `close()` after `stop()`. */
  async close(): Promise<void> {
    await this.stop();
    this.removeAllListeners();
    this.stateListeners.clear();
  }

  /** Stops and starts again with a new session. */
  async restart(options?: { timeout?: number; signal?: AbortSignal }): Promise<void> {
    await this.stop();
    this.session = undefined;
    await this.start(options);
  }

  // --- operations -------------------------------------------------------------------------------

  /**
   * Creates a node. Returns its path (with the sequence suffix for sequential nodes), or
   * [path, stat] with `includeData`. Containers use op 19 and TTL nodes op 21 (`ttl` in ms).
   */
  create(path: string, value?: Value, options?: CreateOptions & { includeData?: false }): Promise<string>;
  create(
    path: string,
    value: Value | undefined,
    options: CreateOptions & { includeData: true },
  ): Promise<[string, Stat]>;
  create(path: string, value?: Value, options: CreateOptions = {}): Promise<string | [string, Stat]> {
    return this.request(() => {
      const sequential = options.sequence === true;
      checkCreateOptions(options);
      const serverPath = this.serverPath(path, { sequential });
      const body = {
        path: serverPath,
        data: this.encodeValue(value),
        acl: this.resolveAcl(options.acl),
        flags: createFlag(options),
      };
      const send = (): Promise<string | [string, Stat]> => {
        const convert = (r: { path: string; stat?: Stat }): string | [string, Stat] =>
          options.includeData && r.stat ? [this.clientPath(r.path), r.stat] : this.clientPath(r.path);
        const common = { path, convert, signal: options.signal, timeoutMs: this.options.requestTimeout };
        const s = this.requireSession();
        if (options.ttl !== undefined)
          return s.submit(OpCode.createTTL, { ...body, ttl: BigInt(options.ttl) }, common);
        if (options.container) return s.submit(OpCode.createContainer, body, common);
        return s.submit(options.includeData ? OpCode.create2 : OpCode.create, body, common);
      };
      // Without makepath the session's own promise is returned, so it settles in reply order.
      if (!options.makepath) return send();
      return send().catch(async (err: unknown) => {
        if (!(err instanceof NoNodeError)) throw err;
        await this.ensurePath(parentOf(path), options.acl);
        return send();
      });
    });
  }

  /** Creates `path` and any missing parents as persistent nodes; does nothing if it exists. */
  async ensurePath(path: string, acl?: readonly ACL[]): Promise<void> {
    this.serverPath(path);
    // Checked before the first exists(), so a bad list is refused with nothing sent.
    if (acl !== undefined) validateAcl(acl);
    if (path === '/' || (await this.exists(path)) !== null) return;
    await this.ensurePath(parentOf(path), acl);
    try {
      await this.create(path, undefined, { acl });
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
    }
  }

  /** The node's Stat, or null when it does not exist. A watch is set either way (NodeCreated fires it). */
  exists(path: string, watch?: WatchCallback, options: CallOptions = {}): Promise<Stat | null> {
    return this.request(() => {
      const serverPath = this.serverPath(path);
      const session = this.requireSession();
      const oneShot = watch && session.watches.oneShot(path, watch, 'data', 'exist');
      return session.submit(
        OpCode.exists,
        { path: serverPath, watch: oneShot?.sent ?? false },
        {
          path: path,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: statOf,
          accept: nullOnNoNode,
          watch: oneShot,
        },
      );
    });
  }

  /** [data, stat]; data is null for a node created with null data. */
  get(path: string, watch?: WatchCallback, options: CallOptions = {}): Promise<[Buffer | null, Stat]> {
    return this.request(() => {
      const serverPath = this.serverPath(path);
      const session = this.requireSession();
      const oneShot = watch && session.watches.oneShot(path, watch, 'data');
      return session.submit(
        OpCode.getData,
        { path: serverPath, watch: oneShot?.sent ?? false },
        {
          path: path,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: dataAndStat,
          watch: oneShot,
        },
      );
    });
  }

  /** The children's names (unsorted), or [names, stat] with `includeData`. */
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
  getChildren(
    path: string,
    watch?: WatchCallback,
    options: CallOptions & { includeData?: boolean } = {},
  ): Promise<string[] | [string[], Stat]> {
    return this.request(() => {
      const serverPath = this.serverPath(path);
      const session = this.requireSession();
      const oneShot = watch && session.watches.oneShot(path, watch, 'child');
      const body = { path: serverPath, watch: oneShot?.sent ?? false };
      const common = {
        path: path,
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
        watch: oneShot,
      };
      if (options.includeData) {
        return session.submit(OpCode.getChildren2, body, { ...common, convert: childrenAndStat });
      }
      return session.submit(OpCode.getChildren, body, { ...common, convert: childrenOf });
    });
  }

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

  /** Sets the data; with `version`, only if the node is at that version (BadVersionError otherwise). */
  set(path: string, value: Value, options: CallOptions & { version?: number } = {}): Promise<Stat> {
    return this.request(() => {
      const body = {
        path: this.serverPath(path),
        data: this.encodeValue(value),
        version: this.checkVersion(options.version ?? -1),
      };
      return this.requireSession().submit(OpCode.setData, body, {
        path: path,
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
        convert: statOf,
      });
    });
  }

  /** Deletes a node; `recursive` deletes its subtree first (NoNode along the way is fine). */
  delete(path: string, options: CallOptions & { version?: number; recursive?: boolean } = {}): Promise<void> {
    return this.request(() => {
      const serverPath = this.serverPath(path);
      const version = this.checkVersion(options.version ?? -1);
      if (options.recursive) return this.deleteRecursive(path, options);
      return this.requireSession().submit(
        OpCode.delete,
        { path: serverPath, version },
        { path, signal: options.signal, timeoutMs: this.options.requestTimeout, convert: toVoid },
      );
    });
  }

  /** [acl, stat]. */
  getAcls(path: string, options: CallOptions = {}): Promise<[ACL[], Stat]> {
    return this.request(() =>
      this.requireSession().submit(
        OpCode.getACL,
        { path: this.serverPath(path) },
        {
          path: path,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: (r) => [r.acl, r.stat],
        },
      ),
    );
  }

  /** Replaces the ACL; `version` is the ACL version (aversion). */
  setAcls(
    path: string,
    acl: readonly ACL[],
    options: CallOptions & { version?: number } = {},
  ): Promise<Stat> {
    return this.request(() => {
      validateAcl(acl);
      const body = {
        path: this.serverPath(path),
        acl: [...acl],
        version: this.checkVersion(options.version ?? -1),
      };
      return this.requireSession().submit(OpCode.setACL, body, {
        path: path,
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
        convert: statOf,
      });
    });
  }

  /**
   * Authenticates the session (e.g. 'digest', 'user:password'). The credential is kept and replayed
   * on every reconnect. A refused credential ends the session (AUTH_FAILED), as ZooKeeper closes it.
   */
  addAuth(scheme: string, credential: string): Promise<void> {
    return this.request(() => {
      if (typeof scheme !== 'string' || scheme === '')
        throw new InvalidArgumentError('scheme', 'scheme must be a non-empty string');
      if (typeof credential !== 'string')
        throw new InvalidArgumentError('credential', 'credential must be a string');
      return this.requireSession().addAuth(scheme, credential);
    });
  }

  /** Waits until the server the client is on has caught up with the leader for `path`. */
  sync(path: string, options: CallOptions = {}): Promise<string> {
    return this.request(() =>
      this.requireSession().submit(
        OpCode.sync,
        { path: this.serverPath(path) },
        {
          path: path,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: (r) => this.clientPath(r.path),
        },
      ),
    );
  }

  /** A transaction: add create/delete/setData/check, then `commit()`. */
  transaction(): Transaction {
    return new Transaction({
      serverPath: (p, o) => this.serverPath(p, o),
      clientPath: (p) => this.clientPath(p),
      encodeValue: (v) => this.encodeValue(v),
      resolveAcl: (a) => this.resolveAcl(a),
      checkVersion: (v) => this.checkVersion(v),
      commit: (ops, convert) =>
        this.request(() =>
          this.requireSession().submit(OpCode.multi, ops, {
            timeoutMs: this.options.requestTimeout,
            convert: (results) => convert(results as MultiResult[]),
          }),
        ),
    });
  }

  /** Several reads in one round trip (op 22); each result is [data, stat], names, or that read's error. */
  multiRead(
    reads: readonly MultiReadRequest[],
    options: CallOptions = {},
  ): Promise<Array<[Buffer | null, Stat] | string[] | Error>> {
    return this.request(() => {
      const ops: MultiReadOp[] = reads.map((r) =>
        r.op === 'get'
          ? { type: OpCode.getData, request: { path: this.serverPath(r.path), watch: false } }
          : { type: OpCode.getChildren, request: { path: this.serverPath(r.path), watch: false } },
      );
      // Converted inside the session, so the promise settles in reply order like any other.
      return this.requireSession().submit(OpCode.multiRead, ops, {
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
        convert: (results) =>
          (results as MultiResult[]).map((r, i) => {
            if (r.type === OpCode.getData) return [r.data, r.stat] as [Buffer | null, Stat];
            if (r.type === OpCode.getChildren) return r.children;
            if (r.type === OpCode.error) return errorFromCode(r.err, reads[i]?.path);
            return new Error(`unexpected result type ${r.type} in multiRead`);
          }),
      });
    });
  }

  /** Paths of this session's ephemeral nodes under `prefix` (client paths). */
  getEphemerals(prefix = '/', options: CallOptions = {}): Promise<string[]> {
    return this.request(() =>
      this.requireSession().submit(
        OpCode.getEphemerals,
        { prefixPath: this.serverPath(prefix) },
        {
          path: prefix,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          // The server matches the prefix as a string: under chroot '/app' it also returns the
          // session's nodes under '/application', which are outside the client's tree.
          convert: (r) => r.ephemerals.filter((p) => this.inChroot(p)).map((p) => this.clientPath(p)),
        },
      ),
    );
  }

  /** How many nodes lie below `path`, at any depth. */
  getAllChildrenNumber(path: string, options: CallOptions = {}): Promise<number> {
    return this.request(() =>
      this.requireSession().submit(
        OpCode.getAllChildrenNumber,
        { path: this.serverPath(path) },
        {
          path: path,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: (r) => r.totalNumber,
        },
      ),
    );
  }

  /** The identities the server has for this session (ip, digest, x509, ...). */
  whoAmI(options: CallOptions = {}): Promise<ClientInfo[]> {
    return this.request(() =>
      this.requireSession().submit(
        OpCode.whoAmI,
        {},
        { signal: options.signal, timeoutMs: this.options.requestTimeout, convert: clientInfoOf },
      ),
    );
  }

  /**
   * Changes the ensemble's membership (needs reconfigEnabled and an authorised session):
   * incremental with `joining`/`leaving`, or bulk with `newMembers`. Returns the new [config, stat].
   */
  reconfig(
    change: { joining?: string; leaving?: string; newMembers?: string; fromConfig?: bigint },
    options: CallOptions = {},
  ): Promise<[Buffer | null, Stat]> {
    const body = {
      joiningServers: change.joining ?? null,
      leavingServers: change.leaving ?? null,
      newMembers: change.newMembers ?? null,
      curConfigId: change.fromConfig ?? -1n,
    };
    return this.request(() =>
      this.requireSession().submit(OpCode.reconfig, body, {
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
        convert: dataAndStat,
      }),
    );
  }

  /** The ensemble configuration node, /zookeeper/config (outside any chroot). */
  getConfig(watch?: WatchCallback, options: CallOptions = {}): Promise<[Buffer | null, Stat]> {
    return this.request(() => {
      const session = this.requireSession();
      const oneShot = watch && session.watches.oneShot('/zookeeper/config', watch, 'data');
      return session.submit(
        OpCode.getData,
        { path: '/zookeeper/config', watch: oneShot?.sent ?? false },
        {
          path: '/zookeeper/config',
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: dataAndStat,
          watch: oneShot,
        },
      );
    });
  }

  /** Sends a four-letter word (ruok, srvr, mntr, ...) to the server the client is on (else the first host). */
  command(word = 'ruok', options: { timeoutMs?: number } = {}): Promise<string> {
    const target = this.connectedTo ?? `${this.hosts[0]!.host}:${this.hosts[0]!.port}`;
    const colon = target.lastIndexOf(':');
    return fourLetterWord(target.slice(0, colon), Number(target.slice(colon + 1)), word, options);
  }

  /** The server's version as numbers, e.g. [3, 8, 0], read from `srvr`. */
  async serverVersion(): Promise<number[]> {
    const text = await this.command('srvr');
    const match = /Zookeeper version: (\d+)\.(\d+)\.(\d+)/.exec(text);
    if (match === null) throw new Error(`no version in the server's srvr answer`);
    return match.slice(1, 4).map(Number);
  }

  /** Runs `fn` under the command retry policy (ConnectionLoss, OperationTimeout, SessionExpired are retried). */
  retry<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.commandRetry.run(fn, signal);
  }

  // --- internals --------------------------------------------------------------------------------

  /**
   * Runs an operation's synchronous part (validation, requireSession) and returns the session's
   * promise itself. A throw becomes a rejection, so bad input and a stopped client reach the caller
   * the way a server error does; and since no promise is layered on top, an operation's promise
   * settles in the same tick as its reply is read, in the order the requests were issued.
   */
  private request<T>(build: () => Promise<T>): Promise<T> {
    try {
      return build();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Whether a server path lies in this client's tree (the chroot node or below it). */
  private inChroot(serverPath: string): boolean {
    const root = this.chroot;
    return root === '' || serverPath === root || serverPath.startsWith(`${root}/`);
  }

  private requireSession(): Session {
    if (this.session === undefined || this.stopping !== undefined) {
      throw new ConnectionClosedError('the client is not started');
    }
    return this.session;
  }

  private serverPath(path: string, options?: { sequential?: boolean }): string {
    validatePath(path, options);
    return prefixChroot(this.chroot, path);
  }

  private clientPath(serverPath: string): string {
    return stripChroot(this.chroot, serverPath);
  }

  private encodeValue(value: Value | undefined): Buffer {
    if (value === undefined) return Buffer.alloc(0);
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    if (value instanceof Uint8Array)
      return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new InvalidArgumentError('value', `value must be a string or a Uint8Array, got ${typeof value}`);
  }

  private resolveAcl(acl: readonly ACL[] | undefined): ACL[] {
    if (acl === undefined) return this.defaultAcl;
    validateAcl(acl);
    return [...acl];
  }

  private checkVersion(version: number): number {
    if (!Number.isInteger(version) || version < -1 || version > 0x7fffffff) {
      throw new InvalidArgumentError(
        'version',
        `version must be an integer from -1 to 2^31-1, got ${version}`,
      );
    }
    return version;
  }

  private async deleteRecursive(path: string, options: CallOptions): Promise<void> {
    let children: string[];
    try {
      children = await this.getChildren(path, undefined, options);
    } catch (err) {
      if (err instanceof NoNodeError) return;
      throw err;
    }
    await Promise.all(
      children.map((c) => this.deleteRecursive(path === '/' ? `/${c}` : `${path}/${c}`, options)),
    );
    if (path === '/') return;
    try {
      await this.delete(path, options.signal ? { signal: options.signal } : {});
    } catch (err) {
      if (!(err instanceof NoNodeError)) throw err;
    }
  }

  private onConnectionState(state: ConnectionState, detail: string | undefined): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    this.log('info', `connection state ${state}${detail ? ` (${detail})` : ''}`);
    if (state === ConnectionState.CONNECTED || state === ConnectionState.CONNECTED_RO) this.connected.set();
    else this.connected.clear();
    if (state !== ConnectionState.CONNECTING && state !== ConnectionState.EXPIRED_SESSION)
      this.startSettled.set();
    this.emitEach('connectionState', state, detail);
    const next = clientStateOf(state);
    // SUSPENDED means "was connected, may still have the session": never straight from LOST.
    if (
      next === this.clientState ||
      (next === ClientState.SUSPENDED && this.clientState === ClientState.LOST)
    )
      return;
    this.clientState = next;
    // Listeners run through the handler's dispatch, never on the connection loop, so they may
    // await client calls.
    this.emitEach('state', next);
    for (const listener of [...this.stateListeners]) {
      this.handler.dispatchCallback(() => {
        if (listener(next) === true) this.stateListeners.delete(listener);
      });
    }
  }

  /**
   * Emits through the handler's dispatch, one callback per listener: eventemitter3's emit() stops
   * at the first listener that throws, and the dispatcher reports a throw and runs the next one.
   */
  private emitEach<E extends 'state' | 'connectionState'>(event: E, ...args: ClientEvents[E]): void {
    for (const listener of this.listeners(event)) {
      // once() listeners are removed now, as emit() would before calling them.
      super.removeListener(event, listener, undefined, true);
      this.handler.dispatchCallback(() => (listener as (...a: ClientEvents[E]) => void).apply(this, args));
    }
  }

  private describeHosts(): string {
    return this.hosts.map((h) => `${h.host}:${h.port}`).join(',');
  }

  private log(level: keyof Logger, message: string): void {
    this.options.logger?.[level]?.(message);
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

// Reply converters shared by every call, so a request allocates no closures for them.
const statOf = (r: { stat: Stat }): Stat => r.stat;
const dataAndStat = (r: { data: Buffer | null; stat: Stat }): [Buffer | null, Stat] => [r.data, r.stat];
const childrenOf = (r: { children: string[] }): string[] => r.children;
const childrenAndStat = (r: { children: string[]; stat: Stat }): [string[], Stat] => [r.children, r.stat];
const clientInfoOf = (r: { clientInfo: ClientInfo[] }): ClientInfo[] => r.clientInfo;
const toVoid = (): undefined => undefined;
const REMOVABLE_TYPES: ReadonlySet<string> = new Set<RemovableWatchType>([
  'data',
  'children',
  'any',
  'persistent',
  'persistentRecursive',
]);
const NULL_VALUE = { value: null };
const nullOnNoNode = (code: number): { value: null } | undefined =>
  code === ErrorCode.NONODE ? NULL_VALUE : undefined;

function stripSignal(options: RetryOptions | undefined): Omit<RetryOptions, 'signal'> {
  if (options === undefined) return {};
  const { signal: _ignored, ...rest } = options;
  return rest;
}
