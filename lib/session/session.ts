// The client's side of the session: the request pipeline (queued → sent → answered), xid
// matching against a FIFO, priming a new connection (auth replay, SetWatches, queued requests),
// watch fan-out and the state changes the loop's messages imply. It reaches the connection loop
// only through the channel.

import type { CallbackErrorReporter, ChannelEnd, Handler, Spawned } from '../../handlers/handler.js';
import { type EventType, KeeperState, OpCode, Xid } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { JuteWriter } from '../../protocol/jute.js';
import {
  appendRequest,
  type ClientOp,
  decodeReply,
  encodeRequest,
  type RequestOf,
  type ResponseOf,
} from '../../protocol/operations.js';
import { OutboundFrameTooLargeError, ProtocolError } from '../../protocol/protocol-error.js';
import {
  AuthFailedError,
  ConnectionClosedError,
  ConnectionFailedError,
  type ConnectionFailure,
  ConnectionLossError,
  errorFromCode,
  SessionExpiredError,
  ValueTooLargeError,
  ZooKeeperError,
} from '../errors.js';
import type { SaslConfig } from '../sasl/sasl-config.js';
import { ConnectionState } from '../states.js';
import {
  type ConnectTraceContext,
  connectChannel,
  isTraced,
  opName,
  publishSettled,
  type RequestTraceContext,
  requestChannel,
} from '../tracing.js';
import { WatchManager } from '../watches/watch-manager.js';
import { type ConnectionLoopArg, connectionLoopTask } from './connection-loop.js';
import type { ClientToLoop, HostAddress, LoopInit, LoopToClient } from './loop-messages.js';
import { failRequest, type PendingRequest, SentRequests, settleRequest } from './pending-request.js';

const identity = (body: unknown): unknown => body;

/** The defaults of submit's optional arguments, shared: never written to. */
const NO_SPEC: RequestSpec<never> = Object.freeze({});
const NO_LIMITS: CallLimits = Object.freeze({});

/**
 * Settled once: `then` on it queues the flush in the microtask queue where queueMicrotask would,
 * without Node's AsyncResource and bound function per call (docs/internals.md#microtask-hops).
 */
const SETTLED = Promise.resolve();

/** A frame is dropped once decoded, so a large value may be a view of it instead of a copy. */
const DECODE_OPTIONS = { payloadIsDropped: true };

/** A loop that failed this many times in a row without a handshake ends the client. */
const MAX_LOOP_FAILURES = 5;
/** Pause before a failed loop is started again, times the failures in a row, ms. */
const LOOP_RESPAWN_DELAY_MS = 100;
/** A SASL exchange longer than this many round trips is given up (DIGEST-MD5 takes 3, GSSAPI about 4). */
const MAX_SASL_ROUNDS = 20;

/** An auth packet in flight (replies to xid -4 may overtake other replies, so they have their own FIFO). */
interface AuthWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** An addAuth caller: it waits for the server's first answer to its credential, across reconnects. */
interface AuthCaller extends AuthWaiter {
  scheme: string;
  credential: string;
}

/** What the session tells its owner. */
export interface SessionOwner {
  onState(state: ConnectionState, detail: string | undefined): void;
  onLog(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  /** A whole pass over the hosts failed: each host's cause, in the order they were tried. */
  onConnectionFailed?(failures: readonly ConnectionFailure[]): void;
  /** A failure of the machinery itself (the connection loop threw, its worker died). */
  onError?(error: Error): void;
  /** Where a watch callback's error goes (its client's reporter, even on a shared handler). */
  onCallbackError?: CallbackErrorReporter;
}

/** What a request's reply becomes, and what it changes in the watch registry. */
export interface RequestSpec<O extends ClientOp> {
  /** The client path the request names, for error messages. */
  path?: string;
  convert?: (body: ResponseOf<O>) => unknown;
  accept?: PendingRequest['accept'];
  watch?: PendingRequest['watch'];
}

/** How long one caller waits: its abort signal, and a timeout in ms on the handler's clock. */
export interface CallLimits {
  signal?: AbortSignal | undefined;
  /** Give up after this many ms; default the session's `requestTimeout` (none: wait for the reply). */
  timeout?: number | undefined;
}

/** Session settings. */
export interface SessionSettings {
  chroot: string;
  maxBufferBytes: number;
  /** Credentials replayed on every connection: [scheme, credential]; addAuth adds to it. */
  authData: Array<readonly [string, string]>;
  /** A request's timeout when its caller gives none, ms (undefined: wait for the reply). */
  requestTimeout: number | undefined;
  /** SASL before every connection is announced (docs/security.md#the-exchange). */
  sasl?: SaslConfig | undefined;
}

/** One client's session state and request pipeline. */
export class Session {
  state: ConnectionState = ConnectionState.CONNECTING;
  /** The current session id and password (0n before the first handshake). */
  sessionId = 0n;
  passwd: Buffer = Buffer.alloc(16);
  /** Negotiated session timeout, ms (0 before the first handshake). */
  negotiatedTimeout = 0;
  /** The server the session is on, while connected. */
  server: HostAddress | undefined;
  /** Highest zxid seen in a reply. */
  lastZxid = 0n;
  /** Why the last connect cycle failed, for error messages. */
  lastFailure: string | undefined;
  /** Why the session ended in AUTH_FAILED, for start()'s error. */
  authFailure: AuthFailedError | undefined;
  readonly watches: WatchManager;

  private channel!: ChannelEnd<LoopToClient, ClientToLoop>;
  private spawned: Spawned | undefined;
  private epoch = -1;
  private connected = false;
  /** The epoch of the connection whose SASL exchange runs now (docs/security.md#the-exchange). */
  private authenticating: number | undefined;
  private nextXid = 1;
  private queued: PendingRequest[] = [];
  private readonly sent = new SentRequests();
  private auths: AuthWaiter[] = [];
  /** addAuth callers waiting for an answer to their credential (the session's end fails them). */
  private authCallers: AuthCaller[] = [];
  /** Frames to write, in order; the batch writer's bytes go last. */
  private outbox: Buffer[] = [];
  /** Frames that wait for a macrotask because an event follows a reply (see onFrames). */
  private heldFrames: Buffer[] | undefined;
  /**
   * Requests sent while connected are encoded straight into this, one buffer per tick. It starts
   * small and doubles as a tick's batch needs (never shrinking), so a busy session soon has the
   * room it uses while an idle one of a thousand in a process keeps a few hundred bytes, not 16 KB
   * (bench/sessions/: 58 → 47 KB of RSS per session).
   */
  private readonly batch = new JuteWriter(256);
  /** Built once: the hot path allocates no options object or closure per request or frame. */
  private readonly encodeLimit: { maxBufferBytes: number };
  private readonly opForXid = (xid: number): ClientOp | undefined => this.sent.opFor(xid);
  /** Where captureSettlers leaves a new promise's resolve and reject, for enqueue to take at once. */
  private capturedResolve: ((value: unknown) => void) | undefined;
  private capturedReject: ((error: Error) => void) | undefined;
  /** The executor of every request's promise (built once, so a request allocates no closure for it). */
  private readonly captureSettlers = (
    resolve: (value: never) => void,
    reject: (error: Error) => void,
  ): void => {
    this.capturedResolve = resolve as (value: unknown) => void;
    this.capturedReject = reject;
  };
  private readonly flushNow = (): void => {
    try {
      this.flush();
    } catch (error) {
      // As from queueMicrotask: an uncaught exception, not a rejection of a promise nobody holds.
      queueMicrotask(() => {
        throw error;
      });
    }
  };
  private flushScheduled = false;
  private closed = false;
  /** What the loop was started with; a respawned loop resumes from it. */
  private init: LoopInit | undefined;
  /** Loop failures since the last handshake. */
  private loopFailures = 0;
  private ended: Promise<string | undefined> | undefined;
  private resolveEnded: ((reason: string | undefined) => void) | undefined;
  /** The connect attempt `zookit:connect` subscribers are told about, from `connecting` to its outcome. */
  private connectTrace: ConnectTraceContext | undefined;

  constructor(
    private readonly handler: Handler,
    private readonly settings: SessionSettings,
    private readonly owner: SessionOwner,
  ) {
    this.encodeLimit = { maxBufferBytes: settings.maxBufferBytes };
    const reportCallbackError = owner.onCallbackError;
    this.watches = new WatchManager({
      handler: {
        dispatchCallback: (callback, kind) => handler.dispatchCallback(callback, kind, reportCallbackError),
      },
      chroot: settings.chroot,
      lastZxid: () => this.lastZxid,
      isConnected: () => this.connected,
      submit: (op, body, spec, call) => this.submit(op, body, spec, call),
      log: (level, message) => owner.onLog(level, message),
    });
  }

  /** Spawns the connection loop. */
  start(init: LoopInit): void {
    this.init = init;
    this.closed = false;
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    this.spawnLoop(init);
  }

  private spawnLoop(init: LoopInit): void {
    const [clientEnd, loopEnd] = this.handler.createSocketPair<ClientToLoop, LoopToClient>();
    this.channel = clientEnd;
    clientEnd.onMessage((m) => this.onLoopMessage(m));
    const arg: ConnectionLoopArg = { init, channel: loopEnd };
    let spawned: Spawned;
    try {
      spawned = this.handler.spawn(connectionLoopTask, arg);
    } catch (error) {
      // The handler cannot run the loop with these settings: nothing to retry.
      clientEnd.close();
      this.onEnded(`the connection loop could not start: ${(error as Error).message}`);
      throw error;
    }
    this.spawned = spawned;
    spawned.done.catch((err: unknown) => {
      if (this.spawned === spawned) this.onLoopFailed(err);
    });
  }

  /**
   * The loop threw (a bug, or its worker thread died). The session is still on the server, so this
   * is a disconnect: requests in flight fail with ConnectionLossError, and a new loop resumes the
   * session after a pause. Five failures in a row without a handshake end the client.
   */
  private onLoopFailed(err: unknown): void {
    const message = `connection loop failed: ${(err as Error)?.message ?? String(err)}`;
    this.owner.onLog('error', message);
    this.owner.onError?.(err instanceof Error ? err : new Error(message));
    this.channel.close();
    if (this.closed) {
      this.onEnded(message);
      return;
    }
    this.loopFailures += 1;
    if (this.loopFailures >= MAX_LOOP_FAILURES) {
      this.onEnded(message);
      return;
    }
    this.epoch = -1;
    this.connectionGone(message, message);
    const init: LoopInit = {
      ...this.init!,
      sessionId: this.sessionId,
      passwd: this.sessionId === 0n ? null : this.passwd,
      lastZxidSeen: this.lastZxid,
    };
    this.handler.sleep(LOOP_RESPAWN_DELAY_MS * this.loopFailures).then(() => {
      if (!this.closed) this.spawnLoop(init);
      else this.onEnded(message);
    });
  }

  /**
   * Encodes and sends (or queues) one request; settles with its converted reply. With subscribers
   * on `zookit:request`, the request is traced (docs/observability.md#zookitrequest); without, the
   * only cost is asking.
   */
  submit<O extends ClientOp, T>(
    op: O,
    body: RequestOf<O>,
    spec: RequestSpec<O> = NO_SPEC,
    call: CallLimits = NO_LIMITS,
  ): Promise<T> {
    if (!isTraced(requestChannel)) return this.enqueue(op, body, spec, call, undefined);
    const trace = this.traceContext(op, spec.path);
    // As tracePromise: `start` around the synchronous part (stores bound to it see it), then `end`.
    return requestChannel.start.runStores(trace, () => {
      try {
        return this.enqueue<O, T>(op, body, spec, call, trace);
      } finally {
        requestChannel.end.publish(trace);
      }
    });
  }

  private enqueue<O extends ClientOp, T>(
    op: O,
    body: RequestOf<O>,
    spec: RequestSpec<O>,
    call: CallLimits,
    trace: RequestTraceContext | undefined,
  ): Promise<T> {
    if (this.closed) return rejected(new ConnectionClosedError('the client is stopped'), trace);
    // Given up before it was made: nothing is sent.
    if (call.signal?.aborted) return rejected(call.signal.reason, trace);
    let frame: Buffer | undefined;
    let xid = 0;
    try {
      if (this.connected) {
        // The common case: straight into this tick's batch, with its real xid.
        xid = this.takeXid();
        const before = this.batch.length;
        appendRequest(this.batch, xid, op, body, this.encodeLimit);
        if (trace !== undefined) {
          trace.xid = xid;
          trace.requestBytes = this.batch.length - before;
        }
        this.scheduleFlush();
      } else {
        frame = encodeRequest(0, op, body, this.encodeLimit);
        if (trace !== undefined) trace.requestBytes = frame.length;
      }
    } catch (err) {
      if (err instanceof OutboundFrameTooLargeError) {
        return rejected(new ValueTooLargeError(err.length, err.limit), trace);
      }
      return rejected(err, trace);
    }
    // One executor for every request: the promise's own resolve and reject are the only
    // functions a request allocates (docs/internals.md#allocation-per-request).
    const promise = new Promise<T>(this.captureSettlers);
    const resolve = this.capturedResolve!;
    const reject = this.capturedReject!;
    this.capturedResolve = undefined;
    this.capturedReject = undefined;
    const request: PendingRequest = {
      op,
      frame,
      path: spec.path,
      xid,
      epoch: frame === undefined ? this.epoch : -1,
      abandoned: false,
      convert: (spec.convert as ((b: unknown) => unknown) | undefined) ?? identity,
      accept: spec.accept,
      watch: spec.watch,
      resolve: trace === undefined ? resolve : resolveTraced(trace, resolve),
      reject: trace === undefined ? reject : rejectTraced(trace, reject),
      done: undefined,
      trace,
    };
    // Most calls set neither: nothing to watch, nothing allocated.
    if (call.signal !== undefined || (call.timeout ?? this.settings.requestTimeout) !== undefined) {
      try {
        this.watchCaller(request, call);
      } catch (error) {
        // As when this ran inside the promise's executor: the call fails, its promise rejects.
        reject(error as Error);
        return promise;
      }
    }
    if (frame === undefined) this.sent.push(request);
    else this.queued.push(request);
    return promise;
  }

  /**
   * Remembers the credential for every later connection (once, however often it is added) and
   * resolves when the server has accepted it: sent now when connected, else replayed with the
   * other credentials on the next connection. The caller waits across disconnects (the credential
   * is sent again on each new connection) until the server answers: a refusal ends the session
   * (AuthFailedError). Only the session's end, or the caller's signal or timeout, stops the wait.
   */
  addAuth(scheme: string, credential: string, call: CallLimits = {}): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectionClosedError('the client is stopped'));
    if (call.signal?.aborted) return Promise.reject(call.signal.reason);
    const { authData } = this.settings;
    if (!authData.some(([s, c]) => s === scheme && c === credential)) authData.push([scheme, credential]);
    const answered = new Promise<void>((resolve, reject) => {
      const caller: AuthCaller = {
        scheme,
        credential,
        resolve: () => {
          stopWatching();
          resolve();
        },
        reject: (error) => {
          stopWatching();
          reject(error);
        },
      };
      // A caller who gives up stops waiting; the credential stays for every later connection.
      const stopWatching = this.watchLimits(call, 'addAuth', (error) => {
        this.authCallers = this.authCallers.filter((c) => c !== caller);
        reject(error);
      });
      this.authCallers.push(caller);
    });
    if (this.connected) this.sendAuth(scheme, credential, undefined);
    return answered;
  }

  /**
   * Sends one auth packet (into `frames` while priming, else after what was submitted before it);
   * its answer settles every addAuth caller waiting for that credential. A connection lost first
   * rejects the returned promise only: the callers wait for the next connection's replay.
   */
  private sendAuth(scheme: string, credential: string, frames: Buffer[] | undefined): Promise<void> {
    const answered = new Promise<void>((resolve, reject) => this.auths.push({ resolve, reject }));
    const settle = (error: Error | undefined): void => {
      this.authCallers = this.authCallers.filter((caller) => {
        if (caller.scheme !== scheme || caller.credential !== credential) return true;
        if (error === undefined) caller.resolve();
        else caller.reject(error);
        return false;
      });
    };
    answered.then(
      () => settle(undefined),
      (error: Error) => {
        if (error instanceof AuthFailedError) settle(error);
      },
    );
    const frame = this.authFrame(scheme, credential);
    if (frames === undefined) this.enqueueFrame(frame);
    else frames.push(frame);
    return answered;
  }

  /**
   * Ends the session: closeSession (waiting at most `timeoutMs` for its reply) when connected,
   * then stops the loop. Every request still waiting fails with ConnectionClosedError.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.spawned === undefined) {
      this.closed = true;
      return;
    }
    if (this.connected && !this.closed) {
      const reply = this.submit(OpCode.closeSession, {}, {}, { timeout: timeoutMs });
      this.channel.post({ t: 'stop', graceful: true });
      this.closed = true;
      await reply.catch(() => undefined);
    }
    this.closed = true;
    this.channel.post({ t: 'stop', graceful: false });
    await this.ended;
    await this.spawned.done.catch(() => undefined);
    this.channel.close();
    this.failAll(new ConnectionClosedError('the client was stopped'));
    this.failAuthCallers(new ConnectionClosedError('the client was stopped'));
    this.loseWatches(KeeperState.Closed);
    this.setState(ConnectionState.CLOSED, 'stopped');
  }

  // --- sending --------------------------------------------------------------------------------

  /** Sends a request that waited for a connection. */
  private send(request: PendingRequest): void {
    const frame = request.frame!;
    request.xid = this.takeXid();
    request.epoch = this.epoch;
    request.frame = undefined;
    if (request.trace !== undefined) request.trace.xid = request.xid;
    frame.writeInt32BE(request.xid, 4);
    this.sent.push(request);
    this.enqueueFrame(frame);
  }

  /** Queues a separately encoded frame after everything submitted before it. */
  private enqueueFrame(frame: Buffer): void {
    if (this.batch.length > 0) this.outbox.push(this.batch.take());
    this.outbox.push(frame);
    this.scheduleFlush();
  }

  /** Frames written in one tick go to the loop as one message (one socket write). */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    void SETTLED.then(this.flushNow);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.batch.length > 0) this.outbox.push(this.batch.take());
    const frames = this.outbox;
    this.outbox = [];
    if (frames.length > 0 && this.connected) this.channel.post({ t: 'write', epoch: this.epoch, frames });
  }

  private authFrame(scheme: string, credential: string): Buffer {
    return encodeRequest(Xid.auth, OpCode.auth, { type: 0, scheme, auth: Buffer.from(credential, 'utf8') });
  }

  /** Abort signal and timeout of one request (already checked: its signal is not aborted). */
  private watchCaller(request: PendingRequest, call: CallLimits): void {
    request.done = this.watchLimits(call, 'request', (error) => {
      // A sent request stays in the FIFO (xids stay matched); only its reply is dropped.
      request.abandoned = true;
      const i = this.queued.indexOf(request);
      if (i >= 0) {
        this.queued.splice(i, 1);
        // Never sent: whatever it was to change in the registry does not happen.
        request.watch?.settle(ErrorCode.CONNECTIONLOSS, true);
      }
      request.reject(error);
    });
  }

  /**
   * Calls `giveUp` once, with the signal's reason when it aborts or the handler's TimeoutError
   * when the call's timeout (default requestTimeout) passes. Returns the function that stops
   * watching, for when the call settles first.
   */
  private watchLimits(call: CallLimits, what: string, giveUp: (error: Error) => void): () => void {
    const { signal } = call;
    const timeoutMs = call.timeout ?? this.settings.requestTimeout;
    const cancel = new AbortController();
    const stop = (): void => {
      cancel.abort();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      stop();
      giveUp(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      this.handler.sleep(timeoutMs, cancel.signal).then(
        () => {
          stop();
          giveUp(new this.handler.TimeoutError(`${what} timed out after ${timeoutMs} ms`));
        },
        () => {},
      );
    }
    return stop;
  }

  // --- messages from the loop -----------------------------------------------------------------

  private onLoopMessage(message: LoopToClient): void {
    if (this.heldFrames !== undefined) {
      // Frames wait for the callers of earlier replies: later frames queue behind them, and
      // anything else first lets them through (a disconnect must not overtake its connection's frames).
      if (message.t === 'frames' && message.epoch === this.epoch) {
        for (const frame of message.frames) this.heldFrames.push(frame);
        return;
      }
      this.releaseHeldFrames(true);
    }
    switch (message.t) {
      case 'handshake':
        this.onHandshake(message);
        return;
      case 'frames':
        if (message.epoch === this.epoch) this.onFrames(message.frames);
        return;
      case 'disconnected':
        if (message.epoch !== this.epoch) return;
        this.connectionGone(`connection lost: ${message.reason}`, message.reason);
        return;
      case 'connecting':
        this.onConnecting(message.server);
        return;
      case 'connectFailed':
        this.onConnectFailed(message.failure);
        return;
      case 'cycleFailed':
        this.lastFailure = message.reason;
        this.failQueued(new ConnectionLossError(undefined, undefined, message.reason));
        this.owner.onConnectionFailed?.(message.failures);
        return;
      case 'expired':
        this.sessionId = 0n;
        this.failAll(new SessionExpiredError(undefined, undefined, `session expired: ${message.reason}`));
        this.loseWatches(KeeperState.Expired);
        // LOST until the loop's next handshake brings a new session (then CONNECTED).
        this.setState(ConnectionState.EXPIRED_SESSION, message.reason);
        return;
      case 'ended':
        this.onEnded(message.reason);
        return;
      case 'log':
        this.owner.onLog(message.level, message.message, message.fields);
        return;
    }
  }

  /**
   * The connection is gone but the session may live on (the loop reconnects, or a new loop is
   * spawned): what was in flight fails with ConnectionLossError (`why`), and the state goes back to
   * CONNECTING unless the session already ended.
   */
  private connectionGone(why: string, detail: string): void {
    this.connected = false;
    this.authenticating = undefined;
    this.server = undefined;
    this.failPending(new ConnectionLossError(undefined, undefined, why));
    if (
      !this.closed &&
      this.state !== ConnectionState.AUTH_FAILED &&
      this.state !== ConnectionState.EXPIRED_SESSION
    ) {
      this.setState(ConnectionState.CONNECTING, detail);
    }
  }

  // --- zookit:connect (docs/observability.md#zookitconnect) -----------------------------------------

  private onConnecting(server: HostAddress): void {
    this.endConnectTrace(undefined); // an attempt whose outcome never came (a loop that died)
    if (!isTraced(connectChannel)) return;
    const trace: ConnectTraceContext = { host: server.host, port: server.port, hostname: server.hostname };
    connectChannel.start.publish(trace);
    connectChannel.end.publish(trace);
    this.connectTrace = trace;
  }

  private onConnectFailed(failure: ConnectionFailure): void {
    let trace = this.connectTrace;
    this.connectTrace = undefined;
    if (trace === undefined || trace.host !== failure.host || trace.port !== failure.port) {
      // A host name that did not resolve: no attempt began, so all of it is published now.
      if (!isTraced(connectChannel)) return;
      trace = { host: failure.host, port: failure.port, hostname: failure.hostname };
      connectChannel.start.publish(trace);
      connectChannel.end.publish(trace);
    }
    trace.outcome = 'failed';
    trace.error = new ConnectionFailedError([failure]);
    publishSettled(connectChannel, trace, true);
  }

  /** Ends the open connect trace: connected with `handshake`, else failed with no cause from the loop. */
  private endConnectTrace(handshake: Extract<LoopToClient, { t: 'handshake' }> | undefined): void {
    const trace = this.connectTrace;
    if (trace === undefined) return;
    this.connectTrace = undefined;
    if (handshake !== undefined) {
      trace.outcome = 'connected';
      trace.sessionId = handshake.sessionId;
      trace.readOnly = handshake.readOnly;
      publishSettled(connectChannel, trace, false);
      return;
    }
    trace.outcome = 'failed';
    trace.error = new ConnectionFailedError([
      { host: trace.host, port: trace.port, code: undefined, message: 'the connection loop ended' },
    ]);
    publishSettled(connectChannel, trace, true);
  }

  private onHandshake(m: Extract<LoopToClient, { t: 'handshake' }>): void {
    this.endConnectTrace(m);
    this.loopFailures = 0;
    const resumed = this.sessionId !== 0n && this.sessionId === m.sessionId;
    this.epoch = m.epoch;
    // With SASL, not connected (requests wait in the queue) until the exchange is over.
    this.connected = this.settings.sasl === undefined;
    this.server = m.server;
    const address = `${m.server.host}:${m.server.port}`;
    this.sessionId = m.sessionId;
    this.passwd = m.passwd;
    this.negotiatedTimeout = m.timeout;
    if (this.settings.sasl === undefined) {
      this.prime(m, resumed, address);
      return;
    }
    // SASL first, before anything else is sent and before CONNECTED (kazoo #594 / PR #808):
    // requests made meanwhile wait in the queue, as while connecting.
    this.authenticating = m.epoch;
    this.authenticate(this.settings.sasl, m).then(
      (done) => {
        const current = this.authenticating === m.epoch;
        if (current) this.authenticating = undefined;
        // Not when the connection went away after the last reply: the next one authenticates again.
        if (done && current && !this.closed) {
          this.connected = true;
          this.prime(m, resumed, address);
        }
      },
      (error: Error) => {
        // A mechanism that fails after its connection is gone is not a refusal.
        if (this.authenticating !== m.epoch) return;
        this.authenticating = undefined;
        this.onSaslFailed(error);
      },
    );
  }

  /**
   * The SASL exchange of one connection (docs/security.md#the-exchange): `sasl` (op 102) requests,
   * each answered with the server's next challenge, until the mechanism is complete. Resolves true
   * once authenticated, false when the connection went away first (the loop moves on to the next
   * host: kazoo PR #806); rejects on a refusal (an error reply, or a mechanism that cannot answer).
   */
  private async authenticate(
    sasl: SaslConfig,
    m: Extract<LoopToClient, { t: 'handshake' }>,
  ): Promise<boolean> {
    const mechanism = sasl.factory({
      host: m.server.host,
      ...(m.server.hostname !== undefined ? { hostname: m.server.hostname } : {}),
      ...(sasl.serverPrincipal !== undefined ? { serverPrincipal: sasl.serverPrincipal } : {}),
    });
    const where = `${m.server.host}:${m.server.port}`;
    this.owner.onLog('debug', `SASL ${mechanism.name} authentication with ${where}`, {
      mechanism: mechanism.name,
      server: where,
    });
    let token = await mechanism.start();
    for (let round = 1; ; round++) {
      if (this.authenticating !== m.epoch || this.closed) return false;
      let challenge: Uint8Array;
      try {
        challenge = await this.saslRequest(token);
      } catch (error) {
        if (error instanceof ConnectionLossError || error instanceof ConnectionClosedError) return false;
        throw error;
      }
      if (mechanism.complete) break;
      token = await mechanism.step(challenge);
      if (mechanism.complete && token.length === 0) break;
      if (round > MAX_SASL_ROUNDS)
        throw new Error(`SASL ${mechanism.name} did not complete in ${MAX_SASL_ROUNDS} rounds`);
    }
    this.owner.onLog('debug', `SASL ${mechanism.name} authentication with ${where} complete`, {
      mechanism: mechanism.name,
      server: where,
    });
    return true;
  }

  /** The next xid (1 to 2^31 − 1, then 1 again: docs/protocol.md#xids). */
  private takeXid(): number {
    const xid = this.nextXid;
    this.nextXid = xid >= 0x7fffffff ? 1 : xid + 1;
    return xid;
  }

  /** A `zookit:request` context for one request; xid and sizes are filled in when it is written. */
  private traceContext(op: ClientOp, path: string | undefined): RequestTraceContext {
    return {
      op: opName(op),
      opCode: op,
      path,
      xid: undefined,
      requestBytes: 0,
      replyBytes: undefined,
      zxid: undefined,
      sessionId: this.sessionId,
    };
  }

  /** One `sasl` request on the connection being authenticated: its reply's token, or the error code as an error. */
  private saslRequest(token: Uint8Array): Promise<Uint8Array> {
    const xid = this.takeXid();
    const frame = encodeRequest(xid, OpCode.sasl, { token: Buffer.from(token) }, this.encodeLimit);
    const trace = isTraced(requestChannel) ? this.traceContext(OpCode.sasl, undefined) : undefined;
    if (trace !== undefined) {
      trace.xid = xid;
      trace.requestBytes = frame.length;
      requestChannel.start.publish(trace);
      requestChannel.end.publish(trace);
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      this.sent.push({
        op: OpCode.sasl,
        frame: undefined,
        path: undefined,
        xid,
        epoch: this.epoch,
        abandoned: false,
        convert: (body) => (body as { token: Buffer | null }).token ?? new Uint8Array(0),
        accept: undefined,
        resolve: (trace === undefined ? resolve : resolveTraced(trace, resolve as (v: never) => void)) as (
          value: unknown,
        ) => void,
        reject: trace === undefined ? reject : rejectTraced(trace, reject),
        trace,
      });
      // Not through the outbox: it is flushed only once connected, and nothing else may go first.
      this.channel.post({ t: 'write', epoch: this.epoch, frames: [frame] });
    });
  }

  /**
   * The server refused the credential (an error reply: AUTHFAILED, or -124 as 3.8.0 answers a wrong
   * DIGEST-MD5 password), or the mechanism could not go on: the session ends (AUTH_FAILED, then
   * LOST) and the loop stops; reconnecting would be refused the same way (docs/security.md#failures).
   */
  private onSaslFailed(cause: Error): void {
    if (this.closed) return;
    const why =
      cause instanceof ZooKeeperError
        ? `the server refused it: ${cause.codeName} (${cause.code})`
        : cause.message;
    this.authFailed(
      withCause(new AuthFailedError(undefined, undefined, `SASL authentication failed: ${why}`), cause),
    );
  }

  /** Primes a connection as the Java client does: credentials, then watches, then what waited; then CONNECTED. */
  private prime(m: Extract<LoopToClient, { t: 'handshake' }>, resumed: boolean, address: string): void {
    const frames: Buffer[] = [];
    const replays = this.settings.authData.map(([scheme, credential]) =>
      this.sendAuth(scheme, credential, frames),
    );
    const resets = this.watches.connectionRequests(resumed);
    resets.forEach(({ op, body }, i) => {
      frames.push(encodeRequest(Xid.setWatches, op, body as never, { maxBufferBytes: 2 ** 30 }));
      const last = i === resets.length - 1 ? () => this.watches.primed() : undefined;
      this.sent.push(this.internalRequest(op, Xid.setWatches, last));
    });
    this.outbox.push(...frames); // the outbox is empty between connections
    for (const request of this.queued.splice(0)) this.send(request);
    this.flush();
    const up = m.readOnly ? ConnectionState.CONNECTED_RO : ConnectionState.CONNECTED;
    if (replays.length === 0) {
      this.setState(up, address);
      return;
    }
    // CONNECTED only once every stored credential is accepted (kazoo #594).
    const epoch = m.epoch;
    Promise.all(replays).then(
      () => {
        if (this.epoch === epoch && this.connected) this.setState(up, address);
      },
      () => {},
    );
  }

  /**
   * Decodes and applies a batch of frames in wire order. A watch callback runs as soon as it is
   * dispatched, while a reply's caller resumes only when microtasks run; so when an event follows
   * a reply in one batch, the rest of the batch waits for a macrotask, and the caller of the reply
   * sees it before the event's callback runs, as on the wire.
   */
  private onFrames(frames: Buffer[], mayHold = true): void {
    let settled = false;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      let reply: ReturnType<typeof decodeReply>;
      try {
        reply = decodeReply(frame, this.opForXid, DECODE_OPTIONS);
      } catch (err) {
        this.dropConnection(err instanceof ProtocolError ? err.message : String(err));
        return;
      }
      const { header } = reply;
      if (reply.kind === 'notification') {
        if (settled && mayHold) {
          this.holdFrames(frames, i);
          return;
        }
        this.watches.onEvent(reply.event.type as EventType, reply.event.path);
        continue;
      }
      if (header.zxid > this.lastZxid) this.lastZxid = header.zxid;
      if (header.xid === Xid.auth) {
        this.onAuthReply(header.err);
      } else {
        const request = this.sent.shift();
        if (request.trace !== undefined) {
          request.trace.replyBytes = frame.length;
          request.trace.zxid = header.zxid;
        }
        settleRequest(request, header.err, reply.body);
        settled = true;
        // Decided here, in the frame's turn, so no later disconnect can be taken for a mere loss.
        if (header.err !== 0 && request.op === OpCode.sasl) {
          const refusal = errorFromCode(header.err);
          this.authFailed(
            withCause(
              new AuthFailedError(
                undefined,
                undefined,
                `SASL authentication failed: the server refused it: ${refusal.codeName} (${refusal.code})`,
              ),
              refusal,
            ),
          );
          return;
        }
        if (header.err === ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH) {
          // The server closed the session for want of SASL: no reconnect can fix that.
          this.authFailed(
            withCause(
              new AuthFailedError(
                undefined,
                undefined,
                'the server requires SASL authentication and closed the session: SESSIONCLOSEDREQUIRESASLAUTH (-124)',
              ),
              errorFromCode(header.err),
            ),
          );
          return;
        }
      }
    }
  }

  /** Keeps `frames` from index `from` until the next macrotask (see onFrames). */
  private holdFrames(frames: Buffer[], from: number): void {
    this.heldFrames = frames.slice(from);
    setImmediate(() => this.releaseHeldFrames());
  }

  /** Applies the held frames: all of them with `all`, else up to the next event that follows a reply. */
  private releaseHeldFrames(all = false): void {
    const held = this.heldFrames;
    if (held === undefined) return;
    this.heldFrames = undefined;
    this.onFrames(held, !all);
  }

  private onAuthReply(err: number): void {
    const waiter = this.auths.shift();
    if (err === 0) {
      waiter?.resolve();
      return;
    }
    // The server closes the connection after a failed auth; the session cannot go on (Java: AUTH_FAILED).
    const error = new AuthFailedError(undefined, undefined, 'authentication failed (AUTHFAILED)');
    waiter?.reject(error);
    this.authFailed(error);
  }

  /** Authentication was refused: AUTH_FAILED (LOST), everything fails with `error`, the loop stops for good. */
  private authFailed(error: AuthFailedError): void {
    if (this.closed) return;
    this.authFailure = error;
    this.owner.onLog('error', error.message, { code: error.codeName });
    this.setState(ConnectionState.AUTH_FAILED, error.message);
    this.closed = true;
    this.failAll(error);
    this.failAuthCallers(error);
    this.loseWatches(KeeperState.AuthFailed);
    this.channel.post({ t: 'stop', graceful: false });
  }

  private onEnded(reason: string | undefined): void {
    this.endConnectTrace(undefined);
    this.connected = false;
    this.closed = true;
    this.failAll(new ConnectionClosedError(reason ?? 'the client was stopped'));
    this.failAuthCallers(new ConnectionClosedError(reason ?? 'the client was stopped'));
    if (reason !== undefined && this.state !== ConnectionState.AUTH_FAILED) {
      this.loseWatches(KeeperState.Closed);
      this.setState(ConnectionState.CLOSED, reason);
    }
    this.resolveEnded?.(reason);
  }

  // --- helpers --------------------------------------------------------------------------------

  /**
   * A request the session sends itself (SetWatches). `onAnswered` runs when its reply comes, an
   * error reply included; not when the connection is lost first.
   */
  private internalRequest(op: ClientOp, xid: number, onAnswered?: () => void): PendingRequest {
    const fail = (why: string): void => this.owner.onLog('warn', `setWatches (op ${op}) failed: ${why}`);
    return {
      op,
      frame: undefined,
      path: undefined,
      xid,
      epoch: this.epoch,
      abandoned: false,
      convert: (b) => b,
      accept: (code) => {
        fail(errorFromCode(code).message);
        return { value: undefined };
      },
      resolve: () => onAnswered?.(),
      reject: (err) => fail(err.message),
      trace: undefined,
    };
  }

  private dropConnection(reason: string): void {
    this.owner.onLog('warn', `dropping the connection: ${reason}`);
    this.channel.post({ t: 'drop', epoch: this.epoch, reason });
  }

  private failPending(error: Error): void {
    for (const r of this.sent.takeAll()) failRequest(r, error);
    for (const a of this.auths.splice(0)) a.reject(error);
    this.outbox = [];
    this.batch.truncate(0);
  }

  private failQueued(error: Error): void {
    for (const r of this.queued.splice(0)) failRequest(r, error);
  }

  /** The session is over (stopped, ended, authentication refused): no answer will come. */
  private failAuthCallers(error: Error): void {
    for (const caller of this.authCallers.splice(0)) caller.reject(error);
  }

  private failAll(error: Error): void {
    this.failPending(error);
    this.failQueued(error);
  }

  /** Watches end with the session: each callback gets one final event, then is forgotten. */
  private loseWatches(state: number): void {
    this.watches.lose(state);
  }

  private setState(state: ConnectionState, detail: string | undefined): void {
    if (state === this.state) return;
    this.state = state;
    this.owner.onState(state, detail);
  }
}

/** A traced request's resolve: the context gets the value, then asyncStart and asyncEnd, as tracePromise. */
function resolveTraced(
  trace: RequestTraceContext,
  resolve: (value: never) => void,
): (value: unknown) => void {
  return (value) => {
    trace.result = value;
    publishSettled(requestChannel, trace, false);
    resolve(value as never);
  };
}

/** A traced request's reject: the context gets the error, then error, asyncStart and asyncEnd. */
function rejectTraced(trace: RequestTraceContext, reject: (error: Error) => void): (error: Error) => void {
  return (error) => {
    trace.error = error;
    publishSettled(requestChannel, trace, true);
    reject(error);
  };
}

/**
 * A promise rejected with `error` before any request was made; when traced, error, asyncStart and
 * asyncEnd follow the `end` of the submit still running, as tracePromise publishes them.
 */
function rejected<T>(error: unknown, trace: RequestTraceContext | undefined): Promise<T> {
  if (trace !== undefined) {
    trace.error = error;
    queueMicrotask(() => publishSettled(requestChannel, trace, true));
  }
  return Promise.reject(error);
}

/** `error` with the standard `cause` (ZooKeeperError's constructor takes none). */
function withCause<E extends Error>(error: E, cause: Error): E {
  Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true });
  return error;
}
