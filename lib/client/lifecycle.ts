// A client's sessions over time and the states they pass through: start (spawn a Session and wait
// for CONNECTED), stop (closeSession, then the loop), restart, and the one place where a
// connection state is turned into kazoo's CONNECTED / SUSPENDED / LOST. The client facade asks it
// for the live session on every call and re-emits its state changes.

import type { Handler, HandlerEvent } from '../../handlers/handler.js';
import { DEFAULT_MAX_INBOUND_FRAME_BYTES, REPLY_HEADER_BYTES } from '../../protocol/constants.js';
import {
  AuthFailedError,
  ConnectionClosedError,
  ConnectionFailedError,
  type ConnectionFailure,
} from '../errors.js';
import { Session } from '../session/session.js';
import { ClientState, ConnectionState, clientStateOf } from '../states.js';
import { type StateChannelMessage, stateChannel } from '../tracing.js';
import type { ClientConfig } from './config.js';
import type { LogFields, Logger, StartOptions } from './options.js';

/** How long start() waits for a connection by default, ms. */
const DEFAULT_START_TIMEOUT_MS = 15_000;

/** What the lifecycle tells the client. */
export interface LifecycleListener {
  /** The connection state changed; `clientState` is set when kazoo's three-valued state changed too. */
  stateChanged(
    state: ConnectionState,
    detail: string | undefined,
    clientState: ClientState | undefined,
  ): void;
  log(level: keyof Logger, message: string, fields?: LogFields): void;
  /** A whole pass over the hosts failed (the loop backs off and tries again, unless a failFast start ends it). */
  connectionFailed(error: ConnectionFailedError): void;
  /** A failure of the machinery itself (the connection loop threw, its worker died). */
  error(error: Error): void;
  /** A watch callback threw or rejected. */
  callbackFailed(error: unknown, kind: string): void;
}

/** Starts, stops and restarts a client's session, and tracks its states. */
export class SessionLifecycle {
  connectionState: ConnectionState = ConnectionState.CLOSED;
  clientState: ClientState = ClientState.LOST;
  private session: Session | undefined;
  private stopping: Promise<void> | undefined;
  /** The session the next start resumes: `clientId` at first; a stop forgets it. */
  private resume: ClientConfig['resume'];
  /** The credentials every session replays; addAuth adds to them, and they outlive a restart. */
  private readonly authData: Array<readonly [string, string]>;
  private readonly connected: HandlerEvent;
  /** Set once a start attempt has an outcome: connected, or a state it cannot leave (auth failed, closed). */
  private readonly startSettled: HandlerEvent;
  /** Whether the start() waiting now gives up at the first failed pass (StartOptions.failFast). */
  private failFast = false;
  /** Why a failFast start gave up. */
  private startFailure: ConnectionFailedError | undefined;
  /** The last failed pass of the current session's loop, for start()'s TimeoutError. */
  private lastPassFailure: ConnectionFailedError | undefined;

  constructor(
    private readonly handler: Handler,
    private readonly config: ClientConfig,
    /** Whether the client made the handler, and so stops it. */
    private readonly ownsHandler: boolean,
    private readonly listener: LifecycleListener,
  ) {
    this.resume = config.resume;
    this.authData = [...config.authData];
    this.connected = handler.eventObject();
    this.startSettled = handler.eventObject();
  }

  /** The session requests go to; ConnectionClosedError before start() and after stop(). */
  requireSession(): Session {
    if (this.session === undefined || this.stopping !== undefined) {
      throw new ConnectionClosedError('the client is not started');
    }
    return this.session;
  }

  /** The current session, if one was started (also after it stopped). */
  get current(): Session | undefined {
    return this.session;
  }

  /**
   * Resolves once the client is connected (at once when it is), with no timer of its own: a
   * waiter holds nothing that keeps the process alive. Rejects with the signal's reason on abort.
   */
  async whenConnected(signal: AbortSignal): Promise<void> {
    await this.connected.wait(undefined, signal);
  }

  /** Starts if needed and resolves once connected; see ZooKeeperClient.start. */
  async start(options: StartOptions = {}): Promise<void> {
    this.startAsync();
    const timeout = options.timeout ?? DEFAULT_START_TIMEOUT_MS;
    this.failFast = options.failFast === true;
    const settled = await this.startSettled
      .wait(timeout, options.signal)
      .catch(async (err) => {
        await this.stop();
        throw err;
      })
      .finally(() => {
        this.failFast = false;
      });
    if (settled && this.connected.isSet()) return;
    const state = this.connectionState;
    const failed = this.startFailure;
    await this.stop();
    if (failed !== undefined) throw failed;
    if (state === ConnectionState.AUTH_FAILED)
      throw this.session?.authFailure ?? new AuthFailedError(undefined, undefined, 'authentication failed');
    const why = this.session?.lastFailure;
    const error = new this.handler.TimeoutError(
      `could not connect to ${this.describeHosts()} within ${timeout} ms${why ? `: ${why}` : ''}`,
    );
    // The handler's class takes a message only: the last pass's causes go on as the standard `cause`.
    if (this.lastPassFailure !== undefined) {
      Object.defineProperty(error, 'cause', {
        value: this.lastPassFailure,
        writable: true,
        configurable: true,
      });
    }
    throw error;
  }

  /** Starts connecting without waiting; the returned event is set once connected. */
  startAsync(): HandlerEvent {
    if (this.session !== undefined && this.stopping === undefined) return this.connected;
    this.stopping = undefined;
    this.startSettled.clear();
    this.startFailure = undefined;
    this.lastPassFailure = undefined;
    if (!this.handler.running) this.handler.start();
    const { config } = this;
    const session = new Session(
      this.handler,
      {
        chroot: config.chroot,
        maxBufferBytes: config.maxBufferBytes,
        authData: this.authData,
        requestTimeout: config.requestTimeout,
        sasl: config.sasl,
      },
      {
        onState: (state, detail) => this.setState(state, detail),
        onLog: (level, message, fields) => this.listener.log(level, message, fields),
        onConnectionFailed: (failures) => this.onPassFailed(failures),
        onError: (error) => this.listener.error(error),
        onCallbackError: (error, kind) => this.listener.callbackFailed(error, kind),
      },
    );
    this.session = session;
    this.setState(ConnectionState.CONNECTING, 'starting');
    session.start({
      hosts: [...config.hosts],
      randomizeHosts: config.randomizeHosts,
      reconnectJitter: config.reconnectJitter,
      sessionTimeout: config.sessionTimeout,
      sessionId: this.resume?.sessionId ?? 0n,
      passwd: this.resume?.passwd ?? null,
      readOnly: config.readOnly,
      tls: config.tls,
      maxInboundFrameBytes: Math.max(
        DEFAULT_MAX_INBOUND_FRAME_BYTES,
        config.maxBufferBytes + REPLY_HEADER_BYTES,
      ),
      connectionRetry: config.connectionRetry,
    });
    return this.connected;
  }

  /** Ends the session gracefully; idempotent; see ZooKeeperClient.stop. */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    const session = this.session;
    this.stopping = (async () => {
      if (session !== undefined) {
        this.resume = undefined;
        await session.close(Math.max(1000, session.negotiatedTimeout || this.config.sessionTimeout));
      }
      this.setState(ConnectionState.CLOSED, 'stopped');
      if (this.ownsHandler) await this.handler.stop();
    })();
    return this.stopping;
  }

  /** Stops and starts again with a new session. */
  async restart(options?: StartOptions): Promise<void> {
    await this.stop();
    this.session = undefined;
    await this.start(options);
  }

  /**
   * A pass over the hosts failed: told to the client (warn line, `connectionFailed`), and the end
   * of a failFast start that is still waiting for its first connection.
   */
  private onPassFailed(failures: readonly ConnectionFailure[]): void {
    const error = new ConnectionFailedError(failures);
    this.lastPassFailure = error;
    this.listener.connectionFailed(error);
    if (this.failFast && !this.connected.isSet() && this.startFailure === undefined) {
      this.startFailure = error;
      this.startSettled.set();
    }
  }

  /** The one place a state changes: both states, the start events, then the client is told. */
  private setState(state: ConnectionState, detail: string | undefined): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    this.listener.log('info', `connection state ${state}${detail ? ` (${detail})` : ''}`, { state, detail });
    if (state === ConnectionState.CONNECTED || state === ConnectionState.CONNECTED_RO) this.connected.set();
    else this.connected.clear();
    if (state !== ConnectionState.CONNECTING && state !== ConnectionState.EXPIRED_SESSION)
      this.startSettled.set();
    const next = clientStateOf(state);
    // SUSPENDED means "was connected, may still have the session": never straight from LOST.
    const changed =
      next !== this.clientState && !(next === ClientState.SUSPENDED && this.clientState === ClientState.LOST);
    if (changed) this.clientState = next;
    if (stateChannel.hasSubscribers) {
      const message: StateChannelMessage = {
        connectionState: state,
        clientState: this.clientState,
        detail,
        sessionId: this.session?.sessionId ?? 0n,
      };
      stateChannel.publish(message); // docs/observability.md#zookitstate
    }
    this.listener.stateChanged(state, detail, changed ? next : undefined);
  }

  private describeHosts(): string {
    return this.config.hosts.map((h) => `${h.host}:${h.port}`).join(',');
  }
}
