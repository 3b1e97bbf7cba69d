// ZooKeeperClient: kazoo's KazooClient in TypeScript. An event emitter with a promise API; the
// session and its connection loop run on the Handler given (SequentialMicrotaskHandler by default).
//
// The class is a facade, read top to bottom: states, the lifecycle (SessionLifecycle does the
// work; events and kazoo's listeners are ClientEventEmitter's), then every operation. An operation is validation and one `#request` call: the
// helper turns a throw into a rejection, finds the live session, and the session encodes, sends,
// matches the reply and converts it (replies.ts). Since no promise is layered on top, a result
// settles in the same tick as its reply is read, in the order the requests were issued.
// Credentials live only in private fields: util.inspect and JSON show a summary, never them.

import type { CallbackErrorReporter, Handler, HandlerEvent } from '../../handlers/handler.js';
import { SequentialMicrotaskHandler } from '../../handlers/sequential-microtask.js';
import { OpCode } from '../../protocol/constants.js';
import type { MultiReadOp, MultiResult } from '../../protocol/multi.js';
import type { ACL, ClientInfo, Stat } from '../../protocol/records.js';
import { validateAcl } from '../acl.js';
import { errorFromCode, InvalidArgumentError } from '../errors.js';
import { basename, parentOf, prefixChroot, stripChroot, validatePath } from '../paths.js';
import '../dispose.js';
import type { RecipeClient } from '../recipe-client.js';
import { RetryPolicy } from '../retry.js';
import type { Session } from '../session/session.js';
import { loadTlsFiles } from '../session/tls-files.js';
import { type ClientState, ConnectionState } from '../states.js';
import type { OneShotKind, WatchCallback } from '../watches/watch-registry.js';
import type { RemovableWatchType } from '../watches/watch-removal.js';
import { WatchStream, type WatchStreamOptions } from '../watches/watch-stream.js';
import { checkCallback, checkVersion, toBytes } from './arguments.js';
import { ClientEventEmitter } from './client-events.js';
import { createWithParents, deleteTree, ensurePath } from './composite-calls.js';
import { type ClientConfig, checkTimeout, resolveConfig } from './config.js';
import { fourLetterWord } from './four-letter-words.js';
import { GuaranteedDeletes } from './guaranteed-deletes.js';
import { SessionLifecycle } from './lifecycle.js';
import type {
  AddWatchOptions,
  CallOptions,
  ClientOptions,
  CreateOptions,
  DeleteOptions,
  EnsurePathOptions,
  MultiReadItem,
  RemoveWatchesOptions,
  SetOptions,
  StartOptions,
  Value,
} from './options.js';
import { protectedCreate } from './protected-create.js';
import { bindRecipeFactories, type RecipeFactories } from './recipe-factories.js';
import {
  childrenAndStat,
  childrenOf,
  clientInfoOf,
  dataAndStat,
  nullOnNoNode,
  statOf,
  toVoid,
} from './replies.js';
import { ClientReporter } from './reporting.js';
import { type CommitOptions, checkCreateOptions, createFlag, Transaction } from './transaction.js';

/** The recipe factories (`zk.DataWatch(...)`, `zk.TreeCache(...)`), installed by recipe-factories.ts. */
export interface ZooKeeperClient extends RecipeFactories {}

/** The client. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: bindRecipeFactories(), below the class, puts every member of the interface on the prototype
export class ZooKeeperClient extends ClientEventEmitter implements RecipeClient {
  /**
   * Makes the handler of a client constructed without one. Replace it to move every such client
   * to another handler at once, e.g. `ZooKeeperClient.defaultHandler = () => new WorkerThreadsHandler()`
   * (the test suite runs twice this way).
   */
  static defaultHandler: () => Handler = () => new SequentialMicrotaskHandler();

  /** The runtime the client runs on: its clock, primitives, sockets and callback dispatch. */
  readonly handler: Handler;
  /** The chroot every path is relative to ('' for none). */
  readonly chroot: string;
  readonly #config: ClientConfig;
  /** This client's callback errors, even on a handler other clients share. */
  readonly #reportCallbackError: CallbackErrorReporter;
  readonly #lifecycle: SessionLifecycle;
  readonly #commandRetry: RetryPolicy;
  readonly #guaranteedDeletes: GuaranteedDeletes;

  constructor(options: ClientOptions = {}) {
    super();
    this.#config = resolveConfig(options);
    this.chroot = this.#config.chroot;
    this.handler = options.handler ?? ZooKeeperClient.defaultHandler();
    const reporter = new ClientReporter(this.#config.logger, {
      hasErrorListener: () => this.listenerCount('error') > 0,
      emitError: (error) => this.emit('error', error),
    });
    this.#reportCallbackError = (error, kind) => reporter.callbackFailed(error, kind);
    this.handler.onCallbackError(this.#reportCallbackError);
    this.#commandRetry = new RetryPolicy(this.#config.commandRetry, this.handler);
    this.#guaranteedDeletes = new GuaranteedDeletes({
      handler: this.handler,
      retry: this.#commandRetry,
      whenConnected: (signal) => this.#lifecycle.whenConnected(signal),
      sessionId: () => this.#lifecycle.current?.sessionId ?? 0n,
      log: (level, message, fields) => reporter.log(level, message, fields),
      // As a callback that threw: in order with the others, to the 'error' event or the logger.
      failed: (error) =>
        this.handler.dispatchCallback(
          () => {
            throw error;
          },
          'guaranteed delete',
          this.#reportCallbackError,
        ),
    });
    this.#lifecycle = new SessionLifecycle(this.handler, this.#config, options.handler === undefined, {
      stateChanged: (state, detail, clientState) => {
        // Stopped (or a start given up): the background deletes end with the session.
        if (state === ConnectionState.CLOSED) this.#guaranteedDeletes.cancelAll();
        this.announceState(state, detail, clientState);
      },
      log: (level, message, fields) => reporter.log(level, message, fields),
      connectionFailed: (error) => {
        reporter.log('warn', error.message, { causes: error.causes });
        this.announceConnectionFailed(error);
      },
      error: (error) => reporter.callbackFailed(error, 'connection loop'),
      callbackFailed: this.#reportCallbackError,
    });
  }

  /** @internal Where this client's listener errors go (ClientEventEmitter). */
  protected override get callbackErrorReporter(): CallbackErrorReporter {
    return this.#reportCallbackError;
  }

  // --- state ------------------------------------------------------------------------------------

  /** CONNECTED, SUSPENDED or LOST (kazoo's KazooState). */
  get state(): ClientState {
    return this.#lifecycle.clientState;
  }

  /** The connection's own state: CONNECTING, CONNECTED, CONNECTED_RO, AUTH_FAILED, EXPIRED_SESSION or CLOSED. */
  get connectionState(): ConnectionState {
    return this.#lifecycle.connectionState;
  }

  /** Whether requests can be sent now. */
  get isConnected(): boolean {
    return this.state === 'CONNECTED';
  }

  /** The session id and password, to resume the session from another client; undefined before one exists. */
  get clientId(): { sessionId: bigint; password: Buffer } | undefined {
    const s = this.#lifecycle.current;
    if (s === undefined || s.sessionId === 0n) return undefined;
    return { sessionId: s.sessionId, password: Buffer.from(s.passwd) };
  }

  /** The negotiated session timeout, ms (0 before the first connection). */
  get sessionTimeout(): number {
    return this.#lifecycle.current?.negotiatedTimeout ?? 0;
  }

  /**
   * How many guaranteed deletes (and cleanups of protected creates that failed) are still being
   * retried in the background (docs/protocol.md#guaranteed-deletes). 0 once the client stops.
   */
  get pendingGuaranteedDeletes(): number {
    return this.#guaranteedDeletes.pending;
  }

  /** `host:port` of the server the client is connected to. */
  get connectedTo(): string | undefined {
    const server = this.#lifecycle.current?.server;
    return server && `${server.host}:${server.port}`;
  }

  // --- lifecycle --------------------------------------------------------------------------------

  /**
   * Connects and resolves once CONNECTED (credentials replayed and accepted). On timeout (ms,
   * default 15000) the client is stopped and the handler's TimeoutError thrown, its `cause` the
   * last failed pass's ConnectionFailedError; on authentication failure, AuthFailedError. With
   * `failFast`, the first pass that reaches no host stops the client and rejects with its
   * ConnectionFailedError at once (docs/observability.md#failfast). Safe to call twice.
   */
  start(options?: StartOptions): Promise<void> {
    return this.#lifecycle.start(options);
  }

  /** Starts connecting without waiting; the returned event is set once connected. */
  startAsync(): HandlerEvent {
    return this.#lifecycle.startAsync();
  }

  /**
   * Ends the session gracefully: requests already sent are answered, closeSession is sent and its
   * reply awaited, then the connection closes. Idempotent; safe from inside any callback.
   */
  stop(): Promise<void> {
    return this.#lifecycle.stop();
  }

  /** Stops (if needed) and frees what the client holds; the kazoo `close()` after `stop()`. */
  async close(): Promise<void> {
    await this.stop();
    this.removeAllListeners();
  }

  /** `await using zk = new ZooKeeperClient(...)` stops it (as `stop()`) when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Stops and starts again with a new session. */
  restart(options?: StartOptions): Promise<void> {
    return this.#lifecycle.restart(options);
  }

  // --- znodes -----------------------------------------------------------------------------------

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
  create(path: string, value?: Value, options: CreateOptions = NO_OPTIONS): Promise<string | [string, Stat]> {
    if (options.protected) return this.#protectedCreate(path, value, options);
    if (!options.makepath) return this.#create(path, value, options, options);
    return this.#request(options, () => {
      this.#serverPath(path, { sequential: options.sequence === true });
      return this.#createWithParents(path, value, options, options);
    });
  }

  /** Creates `path` and any missing parents as persistent nodes; does nothing if it exists. */
  ensurePath(path: string, options: EnsurePathOptions | readonly ACL[] = {}): Promise<void> {
    // kazoo's form, ensure_path(path, acl), is taken too.
    const { acl, ...call } = Array.isArray(options)
      ? { acl: options as readonly ACL[] }
      : (options as EnsurePathOptions);
    return this.#request(call, () => {
      this.#serverPath(path);
      // Checked before the first exists(), so a bad list is refused with nothing sent.
      if (acl !== undefined) validateAcl(acl);
      return ensurePath(this, path, acl, call);
    });
  }

  /** The node's Stat, or null when it does not exist. A watch is set either way (NodeCreated fires it). */
  exists(path: string, watch?: WatchCallback, options: CallOptions = NO_OPTIONS): Promise<Stat | null> {
    return this.#request(options, (session) => {
      const serverPath = this.#serverPath(path);
      const oneShot = this.#oneShot(session, path, watch, 'data', 'exist');
      return session.submit(
        OpCode.exists,
        { path: serverPath, watch: oneShot?.sent ?? false },
        { path, convert: statOf, accept: nullOnNoNode, watch: oneShot },
        options,
      );
    });
  }

  /** [data, stat]; data is null for a node created with null data. */
  get(
    path: string,
    watch?: WatchCallback,
    options: CallOptions = NO_OPTIONS,
  ): Promise<[Buffer | null, Stat]> {
    return this.#request(options, (session) => {
      const serverPath = this.#serverPath(path);
      const oneShot = this.#oneShot(session, path, watch, 'data');
      return session.submit(
        OpCode.getData,
        { path: serverPath, watch: oneShot?.sent ?? false },
        { path, convert: dataAndStat, watch: oneShot },
        options,
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
    options: CallOptions & { includeData?: boolean } = NO_OPTIONS,
  ): Promise<string[] | [string[], Stat]> {
    return this.#request(options, (session) => {
      const serverPath = this.#serverPath(path);
      const oneShot = this.#oneShot(session, path, watch, 'child');
      const body = { path: serverPath, watch: oneShot?.sent ?? false };
      return options.includeData
        ? session.submit(
            OpCode.getChildren2,
            body,
            { path, convert: childrenAndStat, watch: oneShot },
            options,
          )
        : session.submit(OpCode.getChildren, body, { path, convert: childrenOf, watch: oneShot }, options);
    });
  }

  /** Sets the data; with `version`, only if the node is at that version (BadVersionError otherwise). */
  set(path: string, value: Value, options: SetOptions = NO_OPTIONS): Promise<Stat> {
    return this.#request(options, (session) => {
      const body = {
        path: this.#serverPath(path),
        data: toBytes(value),
        version: checkVersion(options.version),
      };
      return session.submit(OpCode.setData, body, { path, convert: statOf }, options);
    });
  }

  /**
   * Deletes a node; with `version`, only if it is at that version. `recursive` deletes its subtree
   * first (NoNode along the way is fine, and a missing node is not an error). `guaranteed` goes on
   * in the background after a connection problem (docs/protocol.md#guaranteed-deletes).
   */
  delete(path: string, options: DeleteOptions = NO_OPTIONS): Promise<void> {
    const deleted = this.#request<void>(options, (session) => {
      const body = { path: this.#serverPath(path), version: checkVersion(options.version) };
      if (options.recursive) return deleteTree(this, path, body.version, options);
      return session.submit(OpCode.delete, body, { path, convert: toVoid }, options);
    });
    if (!options.guaranteed) return deleted;
    const { version, recursive } = options;
    return this.#guaranteedDeletes.carryOn(
      deleted,
      {
        what: path,
        attempt: () => this.delete(path, { version, recursive }),
        // The session the node may belong to: the one the delete is sent on (0n: the first one).
        session: this.#lifecycle.current?.sessionId ?? 0n,
      },
      options.signal,
    );
  }

  /** [acl, stat]. */
  getAcls(path: string, options: CallOptions = {}): Promise<[ACL[], Stat]> {
    return this.#request(options, (session) =>
      session.submit(OpCode.getACL, { path: this.#serverPath(path) }, { path, convert: aclAndStat }, options),
    );
  }

  /** Replaces the ACL; `version` is the ACL version (aversion). */
  setAcls(path: string, acl: readonly ACL[], options: SetOptions = {}): Promise<Stat> {
    return this.#request(options, (session) => {
      validateAcl(acl);
      const body = { path: this.#serverPath(path), acl: [...acl], version: checkVersion(options.version) };
      return session.submit(OpCode.setACL, body, { path, convert: statOf }, options);
    });
  }

  /** Waits until the server the client is on has caught up with the leader for `path`. */
  sync(path: string, options: CallOptions = {}): Promise<string> {
    return this.#request(options, (session) =>
      session.submit(
        OpCode.sync,
        { path: this.#serverPath(path) },
        { path, convert: (r) => this.#clientPath(r.path) },
        options,
      ),
    );
  }

  /** A transaction: add create/delete/setData/check, then `commit({ signal, timeout })`. */
  transaction(): Transaction {
    return new Transaction({
      serverPath: (p, o) => this.#serverPath(p, o),
      clientPath: (p) => this.#clientPath(p),
      resolveAcl: (a) => this.#resolveAcl(a),
      commit: (ops, convert, options: CommitOptions) =>
        this.#request(options, (session) =>
          session.submit(
            OpCode.multi,
            ops,
            { convert: (results) => convert(results as MultiResult[]) },
            options,
          ),
        ),
    });
  }

  /** Several reads in one round trip (op 22); each result is [data, stat], names, or that read's error. */
  multiRead(
    reads: readonly MultiReadItem[],
    options: CallOptions = {},
  ): Promise<Array<[Buffer | null, Stat] | string[] | Error>> {
    return this.#request(options, (session) => {
      const ops: MultiReadOp[] = reads.map((r) => {
        const request = { path: this.#serverPath(r.path), watch: false };
        return r.op === 'get' ? { type: OpCode.getData, request } : { type: OpCode.getChildren, request };
      });
      const convert = (results: MultiResult[]): Array<[Buffer | null, Stat] | string[] | Error> =>
        results.map((r, i) => {
          if (r.type === OpCode.getData) return [r.data, r.stat];
          if (r.type === OpCode.getChildren) return r.children;
          if (r.type === OpCode.error) return errorFromCode(r.err, reads[i]?.path);
          return new Error(`unexpected result type ${r.type} in multiRead`);
        });
      return session.submit(OpCode.multiRead, ops, { convert: (r) => convert(r as MultiResult[]) }, options);
    });
  }

  /** Paths of this session's ephemeral nodes under `prefix` (client paths). */
  getEphemerals(prefix = '/', options: CallOptions = {}): Promise<string[]> {
    // The server matches the prefix as a string: under chroot '/app' it also returns the session's
    // nodes under '/application', which are outside the client's tree (docs/protocol.md#operations).
    const convert = (r: { ephemerals: string[] }): string[] =>
      r.ephemerals.filter((p) => this.#inChroot(p)).map((p) => this.#clientPath(p));
    return this.#request(options, (session) =>
      session.submit(
        OpCode.getEphemerals,
        { prefixPath: this.#serverPath(prefix) },
        { path: prefix, convert },
        options,
      ),
    );
  }

  /** How many nodes lie below `path`, at any depth. */
  getAllChildrenNumber(path: string, options: CallOptions = {}): Promise<number> {
    return this.#request(options, (session) =>
      session.submit(
        OpCode.getAllChildrenNumber,
        { path: this.#serverPath(path) },
        { path, convert: (r) => r.totalNumber },
        options,
      ),
    );
  }

  // --- session and server -----------------------------------------------------------------------

  /**
   * Authenticates the session (e.g. 'digest', 'user:password'). The credential is kept and
   * replayed on every reconnect. Resolves once the server has accepted it (when called while
   * disconnected: with its replay on the next connection). A refused credential ends the session
   * (AUTH_FAILED), as ZooKeeper closes it.
   */
  addAuth(scheme: string, credential: string, options: CallOptions = {}): Promise<void> {
    return this.#request(options, (session) => {
      if (typeof scheme !== 'string' || scheme === '')
        throw new InvalidArgumentError('scheme', 'scheme must be a non-empty string');
      if (typeof credential !== 'string')
        throw new InvalidArgumentError('credential', 'credential must be a string');
      return session.addAuth(scheme, credential, options);
    });
  }

  /** The identities the server has for this session (ip, digest, x509, ...). */
  whoAmI(options: CallOptions = {}): Promise<ClientInfo[]> {
    return this.#request(options, (session) =>
      session.submit(OpCode.whoAmI, {}, { convert: clientInfoOf }, options),
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
    return this.#request(options, (session) =>
      session.submit(OpCode.reconfig, body, { convert: dataAndStat }, options),
    );
  }

  /** The ensemble configuration node, /zookeeper/config (outside any chroot). */
  getConfig(watch?: WatchCallback, options: CallOptions = {}): Promise<[Buffer | null, Stat]> {
    const path = '/zookeeper/config';
    return this.#request(options, (session) => {
      const oneShot = this.#oneShot(session, path, watch, 'data');
      return session.submit(
        OpCode.getData,
        { path, watch: oneShot?.sent ?? false },
        { path, convert: dataAndStat, watch: oneShot },
        options,
      );
    });
  }

  /**
   * Sends a four-letter word (ruok, srvr, mntr, ...) to the server the client is on (else the first
   * host), through the handler: over TLS when the client uses TLS, on the handler's clock.
   */
  command(word = 'ruok', options: CallOptions = {}): Promise<string> {
    return attempt(async () => {
      checkTimeout(options.timeout);
      const server = this.#lifecycle.current?.server ?? this.#config.hosts[0]!;
      // The certificate is checked against the name the address was resolved from, as for the
      // session; TLS files are read now, as for every connection (docs/tls.md#rotation).
      const configured =
        this.#config.tls && server.hostname
          ? { servername: server.hostname, ...this.#config.tls }
          : this.#config.tls;
      const tls = configured && (await loadTlsFiles(configured));
      return fourLetterWord(server.host, server.port, word, {
        handler: this.handler,
        tls,
        timeout: options.timeout,
        signal: options.signal,
      });
    });
  }

  /** The server's version as numbers, e.g. [3, 8, 0], read from `srvr`. */
  async serverVersion(options: CallOptions = {}): Promise<number[]> {
    const text = await this.command('srvr', options);
    const match = /Zookeeper version: (\d+)\.(\d+)\.(\d+)/.exec(text);
    if (match === null) throw new Error(`no version in the server's srvr answer`);
    return match.slice(1, 4).map(Number);
  }

  /** Runs `fn` under the command retry policy (ConnectionLoss, OperationTimeout, SessionExpired are retried). */
  retry<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#commandRetry.run(fn, signal);
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
    return this.#request(options, (session) => {
      this.#serverPath(path);
      checkCallback(callback);
      const mode = options.mode ?? 'persistent';
      if (mode !== 'persistent' && mode !== 'persistentRecursive') {
        throw new InvalidArgumentError(
          'mode',
          `mode must be 'persistent' or 'persistentRecursive', got ${String(mode)}`,
        );
      }
      return session.watches.addPersistent(path, mode, callback, options);
    });
  }

  /**
   * Removes watches of `type` on `path`: only `callback` when given, else all of them. 'data'
   * covers get and exists watches, 'children' getChildren watches, 'any' every kind including
   * persistent ones. NoWatcherError when none matches. Removed callbacks receive a
   * DataWatchRemoved, ChildWatchRemoved or PersistentWatchRemoved event, as in the Java client.
   */
  removeWatches(path: string, type: RemovableWatchType, options: RemoveWatchesOptions = {}): Promise<void> {
    return this.#request(options, (session) => {
      this.#serverPath(path);
      if (!REMOVABLE_TYPES.has(type)) {
        throw new InvalidArgumentError(
          'type',
          `type must be one of ${[...REMOVABLE_TYPES].join(', ')}, got ${String(type)}`,
        );
      }
      if (options.callback !== undefined) checkCallback(options.callback);
      return session.watches.remove(path, type, options.callback, options.local === true, options);
    });
  }

  /** Removes every watch of `type` on `path` (the Java client's removeAllWatches). */
  removeAllWatches(
    path: string,
    type: RemovableWatchType,
    options: CallOptions & { local?: boolean } = {},
  ): Promise<void> {
    return this.removeWatches(path, type, {
      signal: options.signal,
      timeout: options.timeout,
      local: options.local,
    });
  }

  /**
   * The events of a persistent (or, with `recursive`, persistent-recursive) watch on `path` as an
   * async iterable: `for await (const event of client.watch(path))`. See WatchStream for how it ends.
   */
  watch(path: string, options: WatchStreamOptions = {}): WatchStream {
    this.#serverPath(path);
    return new WatchStream(this, path, options);
  }

  // --- what inspection shows --------------------------------------------------------------------

  /** A summary for JSON.stringify: where the client points and its state, never a credential. */
  toJSON(): {
    hosts: string;
    chroot: string;
    state: ClientState;
    connectionState: ConnectionState;
    sessionId?: string;
  } {
    const sessionId = this.clientId?.sessionId;
    return {
      hosts: this.#config.hosts.map((h) => `${h.host}:${h.port}`).join(','),
      chroot: this.chroot,
      state: this.state,
      connectionState: this.connectionState,
      ...(sessionId === undefined ? {} : { sessionId: `0x${sessionId.toString(16)}` }),
    };
  }

  /** util.inspect and console.log show the same summary (listeners and handler internals are noise). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ZooKeeperClient ${JSON.stringify(this.toJSON())}`;
  }

  // --- internals --------------------------------------------------------------------------------

  /**
   * The one request path: checks the call options, finds the live session and runs `send`, whose
   * throw (bad input, a stopped client) becomes the promise's rejection, as a server error would.
   */
  #request<T>(options: CallOptions, send: (session: Session) => Promise<T>): Promise<T> {
    // Not through attempt(): one closure less per request on the hottest path.
    try {
      checkTimeout(options.timeout);
      return send(this.#lifecycle.requireSession());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #create(
    path: string,
    value: Value | undefined,
    options: CreateOptions,
    call: CallOptions,
  ): Promise<string | [string, Stat]> {
    return this.#request(call, (session) => {
      checkCreateOptions(options);
      const body = {
        path: this.#serverPath(path, { sequential: options.sequence === true }),
        data: toBytes(value),
        acl: this.#resolveAcl(options.acl),
        flags: createFlag(options),
      };
      const convert = (r: { path: string; stat?: Stat }): string | [string, Stat] =>
        options.includeData && r.stat ? [this.#clientPath(r.path), r.stat] : this.#clientPath(r.path);
      if (options.ttl !== undefined)
        return session.submit(
          OpCode.createTTL,
          { ...body, ttl: BigInt(options.ttl) },
          { path, convert },
          call,
        );
      if (options.container) return session.submit(OpCode.createContainer, body, { path, convert }, call);
      const op = options.includeData ? OpCode.create2 : OpCode.create;
      return session.submit(op, body, { path, convert }, call);
    });
  }

  #createWithParents(
    path: string,
    value: Value | undefined,
    options: CreateOptions,
    call: CallOptions,
  ): Promise<string | [string, Stat]> {
    return createWithParents(this, path, options.acl, call, (c) => this.#create(path, value, options, c));
  }

  /** A create with `protected`: every argument checked before anything is sent, then protected-create.ts. */
  #protectedCreate(
    path: string,
    value: Value | undefined,
    options: CreateOptions,
  ): Promise<string | [string, Stat]> {
    return this.#request(options, () => {
      this.#serverPath(path, { sequential: options.sequence === true });
      checkCreateOptions(options);
      toBytes(value);
      this.#resolveAcl(options.acl);
      const request = {
        parent: parentOf(path),
        name: basename(path),
        ephemeral: options.ephemeral === true,
        includeData: options.includeData === true,
        create: (node: string, call: CallOptions) =>
          options.makepath
            ? this.#createWithParents(node, value, options, call)
            : this.#create(node, value, options, call),
      };
      return protectedCreate(this, this.#guaranteedDeletes, request, options);
    });
  }

  /** A one-shot watch for a read of `path`, or undefined without a callback. */
  #oneShot(
    session: Session,
    path: string,
    watch: WatchCallback | undefined,
    onOk: OneShotKind,
    onNoNode?: OneShotKind,
  ): ReturnType<Session['watches']['oneShot']> | undefined {
    if (watch === undefined) return undefined;
    checkCallback(watch);
    return session.watches.oneShot(path, watch, onOk, onNoNode);
  }

  #serverPath(path: string, options?: { sequential?: boolean }): string {
    validatePath(path, options);
    return prefixChroot(this.chroot, path);
  }

  #clientPath(serverPath: string): string {
    return stripChroot(this.chroot, serverPath);
  }

  /** Whether a server path lies in this client's tree (the chroot node or below it). */
  #inChroot(serverPath: string): boolean {
    const root = this.chroot;
    return root === '' || serverPath === root || serverPath.startsWith(`${root}/`);
  }

  #resolveAcl(acl: readonly ACL[] | undefined): ACL[] {
    if (acl === undefined) return this.#config.defaultAcl as ACL[];
    validateAcl(acl);
    return [...acl];
  }
}

bindRecipeFactories(ZooKeeperClient.prototype);

/** The options of a call that gave none: shared, so such a call allocates no object for them. */
const NO_OPTIONS: Readonly<CallOptions> = Object.freeze({});

const REMOVABLE_TYPES: ReadonlySet<string> = new Set<RemovableWatchType>([
  'data',
  'children',
  'any',
  'persistent',
  'persistentRecursive',
]);

/** `fn()`'s promise, or its synchronous throw as a rejection (with no promise layered on top). */
function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

const aclAndStat = (r: { acl: ACL[]; stat: Stat }): [ACL[], Stat] => [r.acl, r.stat];
