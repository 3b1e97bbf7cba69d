// The part of ZooKeeperClient that owns the session: options, the handler, the session's
// lifecycle (start, stop, restart), connection states and their listeners, and the checks every
// operation shares (paths, values, ACLs, versions). The operations are in client-operations.ts.

import EventEmitter from 'eventemitter3';
import type { Handler, HandlerEvent } from '../../handlers/handler.js';
import {
  DEFAULT_MAX_BUFFER_BYTES,
  DEFAULT_MAX_INBOUND_FRAME_BYTES,
  REPLY_HEADER_BYTES,
} from '../../protocol/constants.js';
import type { ACL } from '../../protocol/records.js';
import { OPEN_ACL_UNSAFE, validateAcl } from '../acl.js';
import { AuthFailedError, ConnectionClosedError, InvalidArgumentError } from '../errors.js';
import { parseHosts, prefixChroot, stripChroot, validatePath } from '../paths.js';
import { type RetryOptions, RetryPolicy } from '../retry.js';
import type { HostAddress } from '../session/loop-messages.js';
import { Session } from '../session/session.js';
import { ClientState, ConnectionState, clientStateOf } from '../states.js';
import { fourLetterWord } from './four-letter-words.js';
import type { ClientEvents, ClientOptions, Logger, StateListener, Value } from './options.js';

/** The session side of the client; ZooKeeperClient is the class to use. */
export abstract class ClientCore extends EventEmitter<ClientEvents> {
  readonly handler: Handler;
  /** The chroot every path is relative to ('' for none). */
  readonly chroot: string;
  private readonly ownsHandler: boolean;
  private readonly hosts: HostAddress[];
  protected readonly options: ClientOptions;
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

  /** `defaultHandler` makes the handler when `options.handler` is not given (and the client then owns it). */
  constructor(options: ClientOptions, defaultHandler: () => Handler) {
    super();
    this.options = options;
    const parsed = parseHosts(options.hosts ?? '127.0.0.1:2181');
    this.hosts = parsed.hosts;
    this.chroot = parsed.chroot;
    this.ownsHandler = options.handler === undefined;
    this.handler = options.handler ?? defaultHandler();
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

  // --- server and retries -----------------------------------------------------------------------

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
  protected request<T>(build: () => Promise<T>): Promise<T> {
    try {
      return build();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Whether a server path lies in this client's tree (the chroot node or below it). */
  protected inChroot(serverPath: string): boolean {
    const root = this.chroot;
    return root === '' || serverPath === root || serverPath.startsWith(`${root}/`);
  }

  protected requireSession(): Session {
    if (this.session === undefined || this.stopping !== undefined) {
      throw new ConnectionClosedError('the client is not started');
    }
    return this.session;
  }

  protected serverPath(path: string, options?: { sequential?: boolean }): string {
    validatePath(path, options);
    return prefixChroot(this.chroot, path);
  }

  protected clientPath(serverPath: string): string {
    return stripChroot(this.chroot, serverPath);
  }

  protected encodeValue(value: Value | undefined): Buffer {
    if (value === undefined) return Buffer.alloc(0);
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    if (value instanceof Uint8Array)
      return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new InvalidArgumentError('value', `value must be a string or a Uint8Array, got ${typeof value}`);
  }

  protected resolveAcl(acl: readonly ACL[] | undefined): ACL[] {
    if (acl === undefined) return this.defaultAcl;
    validateAcl(acl);
    return [...acl];
  }

  protected checkVersion(version: number): number {
    if (!Number.isInteger(version) || version < -1 || version > 0x7fffffff) {
      throw new InvalidArgumentError(
        'version',
        `version must be an integer from -1 to 2^31-1, got ${version}`,
      );
    }
    return version;
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
}

function stripSignal(options: RetryOptions | undefined): Omit<RetryOptions, 'signal'> {
  if (options === undefined) return {};
  const { signal: _ignored, ...rest } = options;
  return rest;
}
