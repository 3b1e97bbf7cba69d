// An in-memory ZooKeeper stand-in for timing tests. It is the far end of the Transports a
// VirtualClockHandler hands out, speaks just enough of the wire protocol (handshake, pings, a few
// reads, SetWatches, closeSession) to keep a client session alive, records every frame it receives
// with the virtual time it arrived, and misbehaves on command: refuse connections, never complete a
// TCP connect, never answer a handshake, expire sessions, go silent, sit on replies, drop
// connections, or all of it at once (a black hole).

import type { ConnectOptions, Transport } from '../../handlers/handler.js';
import { VirtualClockHandler, type VirtualClockOptions } from '../../handlers/virtual-clock.js';
import { OpCode, SESSION_PASSWORD_BYTES, Xid } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { FrameAccumulator } from '../../protocol/frame-accumulator.js';
import { JuteReader, JuteWriter } from '../../protocol/jute.js';
import { type ClientOp, decodeRequest, encodeReply } from '../../protocol/operations.js';
import { ConnectRequest, ConnectResponse, type Stat } from '../../protocol/records.js';

/**
 * How a host takes a connection: `accept` it and run sessions; `refuse` it (connect() rejects, as
 * ECONNREFUSED does); accept the TCP connection and stay `mute`, never answering the handshake nor
 * closing; or `hang`: connect() neither succeeds nor fails until its signal aborts (a SYN into a
 * black hole, with a handler whose own connect timeout is longer still).
 */
export type HostMode = 'accept' | 'refuse' | 'mute' | 'hang';

/** One connect() the client made. Times are virtual ms. */
export interface ConnectAttempt {
  at: number;
  address: string;
  mode: HostMode;
  /** When the client aborted a `hang` connect. */
  abortedAt?: number;
}

/** A frame the fake received. `at` is the virtual ms it arrived. */
export type ReceivedFrame =
  | { kind: 'connect'; at: number; connection: FakeConnection; connect: ConnectRequest }
  | {
      kind: 'request';
      at: number;
      connection: FakeConnection;
      xid: number;
      op: number;
      request: unknown;
    };

/** A request frame the fake received. */
export type ReceivedRequest = Extract<ReceivedFrame, { kind: 'request' }>;

/** A znode the fake answers getData and exists for. */
export interface FakeNode {
  data: Buffer | null;
  stat: Stat;
}

/** Settings of a FakeZooKeeper. */
export interface FakeZooKeeperOptions {
  /** The session timeout the fake grants, ms; default: whatever the client asks for. */
  negotiatedTimeout?: number;
}

/** A Stat of zeros with `overrides` applied. */
export function stat(overrides: Partial<Stat> = {}): Stat {
  return {
    czxid: 0n,
    mzxid: 0n,
    ctime: 0n,
    mtime: 0n,
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: 0n,
    dataLength: 0,
    numChildren: 0,
    pzxid: 0n,
    ...overrides,
  };
}

/** A FakeZooKeeper and the VirtualClockHandler (with `handlerOptions`) whose connections reach it. */
export function fakeEnsemble(
  options: FakeZooKeeperOptions = {},
  handlerOptions: Omit<VirtualClockOptions, 'connect'> = {},
): {
  fake: FakeZooKeeper;
  handler: VirtualClockHandler;
} {
  let fake: FakeZooKeeper | undefined;
  const handler = new VirtualClockHandler({ ...handlerOptions, connect: (o) => fake!.connect(o) });
  fake = new FakeZooKeeper(handler, options);
  return { fake, handler };
}

/**
 * Advances the virtual clock from timer to timer until `promise` settles, and returns its outcome.
 * Throws when `limitMs` of virtual time pass first, so a hang fails fast instead of at jest's timeout.
 */
export async function drive<T>(
  handler: VirtualClockHandler,
  promise: Promise<T>,
  limitMs = 60_000,
): Promise<T> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const stopAt = handler.now() + limitMs;
  await handler.advance(0);
  for (let next = handler.nextTimerAt; !settled && next !== undefined && next <= stopAt; ) {
    await handler.advance(next - handler.now());
    next = handler.nextTimerAt;
  }
  if (!settled) throw new Error(`still pending after ${limitMs} ms of virtual time`);
  return promise;
}

/** How a promise stands, and the virtual time it settled at. */
export interface Tracked<T> {
  readonly state: 'pending' | 'fulfilled' | 'rejected';
  /** Virtual ms at which it settled. */
  readonly at: number | undefined;
  readonly value: T | undefined;
  readonly error: unknown;
}

/** Watches `promise` without awaiting it (a rejection is observed, never unhandled). */
export function track<T>(clock: { now(): number }, promise: Promise<T>): Tracked<T> {
  const tracked: { -readonly [K in keyof Tracked<T>]: Tracked<T>[K] } = {
    state: 'pending',
    at: undefined,
    value: undefined,
    error: undefined,
  };
  promise.then(
    (value) => Object.assign(tracked, { state: 'fulfilled', at: clock.now(), value }),
    (error: unknown) => Object.assign(tracked, { state: 'rejected', at: clock.now(), error }),
  );
  return tracked;
}

interface FakeSession {
  passwd: Buffer;
  expired: boolean;
}

/** The server side of everything a client opens; one instance plays every host. */
export class FakeZooKeeper {
  /** The session timeout granted, ms; undefined grants what the client asks for. */
  negotiatedTimeout: number | undefined;
  /** The zxid stamped on replies (the server's last processed zxid). */
  zxid = 0n;
  /** What getData and exists find. */
  readonly nodes = new Map<string, FakeNode>();
  readonly attempts: ConnectAttempt[] = [];
  readonly connections: FakeConnection[] = [];
  readonly frames: ReceivedFrame[] = [];
  private readonly modes = new Map<string, HostMode>();
  private defaultMode: HostMode = 'accept';
  private readonly sessions = new Map<bigint, FakeSession>();
  // Real session ids carry the server id in the top byte and exceed 2^53; so do these.
  private nextSessionId = 0x0123_4567_89ab_0001n;

  constructor(
    private readonly clock: { now(): number },
    options: FakeZooKeeperOptions = {},
  ) {
    this.negotiatedTimeout = options.negotiatedTimeout;
  }

  now(): number {
    return this.clock.now();
  }

  /** Sets how `address` (`host:port`) takes connections from now on; without one, every host. */
  setMode(mode: HostMode, address?: string): void {
    if (address === undefined) {
      this.modes.clear();
      this.defaultMode = mode;
      return;
    }
    this.modes.set(address, mode);
  }

  /** The connection opened last, whatever its state. */
  get latest(): FakeConnection | undefined {
    return this.connections.at(-1);
  }

  /** Connections not closed by either side. */
  get open(): FakeConnection[] {
    return this.connections.filter((c) => c.closedAt === undefined);
  }

  /** Every ConnectRequest received, in order. */
  connectRequests(): Array<Extract<ReceivedFrame, { kind: 'connect' }>> {
    return this.frames.filter((f) => f.kind === 'connect');
  }

  /** Every request frame received, or only those of op `op`, in order. */
  requests(op?: number): ReceivedRequest[] {
    return this.frames.filter(
      (f): f is ReceivedRequest => f.kind === 'request' && (op === undefined || f.op === op),
    );
  }

  /** Virtual times at which pings arrived. */
  pingTimes(): number[] {
    return this.requests(OpCode.ping).map((f) => f.at);
  }

  /**
   * Every server drops into a black hole: open connections read but never answer (no byte, no FIN,
   * no RST), and new ones are `mute` (the TCP connect succeeds) or `hang` (it never completes).
   */
  blackHole(newConnections: 'mute' | 'hang' = 'mute'): void {
    for (const connection of this.open) connection.silent = true;
    this.setMode(newConnections);
  }

  /** The next resume of `sessionId` is answered "expired" (timeOut 0), as after a server-side expiry. */
  expireSession(sessionId: bigint): void {
    const session = this.sessions.get(sessionId);
    if (session !== undefined) session.expired = true;
  }

  /** What a failed assertion prints. */
  toJSON(): object {
    return { connections: this.connections.length, frames: this.frames.length, zxid: this.zxid };
  }

  /** Opens a connection to one host (the VirtualClockHandler's `connect`). */
  async connect(options: ConnectOptions): Promise<Transport> {
    const address = `${options.host}:${options.port}`;
    const mode = this.modes.get(address) ?? this.defaultMode;
    const attempt: ConnectAttempt = { at: this.now(), address, mode };
    this.attempts.push(attempt);
    if (mode === 'refuse') {
      throw Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    }
    if (mode === 'hang') {
      return new Promise<Transport>((_resolve, reject) => {
        const { signal } = options;
        const abort = (): void => {
          attempt.abortedAt = this.now();
          reject(signal?.reason);
        };
        if (signal?.aborted) abort();
        else signal?.addEventListener('abort', abort, { once: true });
      });
    }
    const connection = new FakeConnection(this, address, mode === 'mute');
    this.connections.push(connection);
    return connection;
  }

  /** A frame from `connection`'s client: the ConnectRequest first, requests after. */
  receive(connection: FakeConnection, payload: Buffer): void {
    if (connection.sessionId === undefined) {
      const connect = ConnectRequest.read(new JuteReader(payload));
      this.frames.push({ kind: 'connect', at: this.now(), connection, connect });
      if (connection.mute) connection.unanswered = connect;
      else this.handshake(connection, connect);
      return;
    }
    const { header, request } = decodeRequest(payload);
    this.frames.push({
      kind: 'request',
      at: this.now(),
      connection,
      xid: header.xid,
      op: header.type,
      request,
    });
    if (!connection.silent) this.answer(connection, header.xid, header.type as ClientOp, request);
  }

  /** Answers a ConnectRequest (kept by a mute connection until it is unmuted). */
  handshake(connection: FakeConnection, request: ConnectRequest): void {
    const readOnly = request.readOnly === undefined ? undefined : false;
    if (request.sessionId !== 0n) {
      // A resume closes the session's other connections before the password is checked.
      for (const other of this.open) {
        if (other !== connection && other.sessionId === request.sessionId) other.close();
      }
      const session = this.sessions.get(request.sessionId);
      if (
        session === undefined ||
        session.expired ||
        !session.passwd.equals(request.passwd ?? Buffer.alloc(0))
      ) {
        connection.sessionId = 0n;
        connection.send(
          connectResponse({
            protocolVersion: 0,
            timeOut: 0,
            sessionId: 0n,
            passwd: Buffer.alloc(SESSION_PASSWORD_BYTES),
            readOnly,
          }),
        );
        connection.close();
        return;
      }
      connection.sessionId = request.sessionId;
      connection.send(
        connectResponse({
          protocolVersion: 0,
          timeOut: this.negotiatedTimeout ?? request.timeOut,
          sessionId: request.sessionId,
          passwd: session.passwd,
          readOnly,
        }),
      );
      return;
    }
    const sessionId = this.nextSessionId++;
    const passwd = Buffer.alloc(SESSION_PASSWORD_BYTES);
    passwd.writeBigInt64BE(sessionId, 0);
    passwd.writeBigInt64BE(~sessionId & 0x7fff_ffff_ffff_ffffn, 8);
    this.sessions.set(sessionId, { passwd, expired: false });
    connection.sessionId = sessionId;
    connection.send(
      connectResponse({
        protocolVersion: 0,
        timeOut: this.negotiatedTimeout ?? request.timeOut,
        sessionId,
        passwd,
        readOnly,
      }),
    );
  }

  private answer(connection: FakeConnection, xid: number, op: ClientOp, request: unknown): void {
    const ok = { xid, zxid: this.zxid, err: 0 };
    switch (op) {
      case OpCode.ping:
        connection.send(encodeReply(ok, OpCode.ping, undefined));
        return;
      case OpCode.auth:
        connection.send(encodeReply({ xid: Xid.auth, zxid: 0n, err: 0 }, OpCode.auth, undefined));
        return;
      case OpCode.setWatches:
      case OpCode.setWatches2:
        connection.send(encodeReply(ok, op, undefined));
        return;
      case OpCode.closeSession:
        this.sessions.delete(connection.sessionId!);
        connection.send(encodeReply(ok, OpCode.closeSession, undefined));
        connection.close();
        return;
      case OpCode.getData:
      case OpCode.exists: {
        const node = this.nodes.get((request as { path: string }).path);
        if (node === undefined) {
          connection.send(encodeReply({ ...ok, err: ErrorCode.NONODE }, op, undefined));
        } else if (op === OpCode.getData) {
          connection.send(encodeReply(ok, OpCode.getData, { data: node.data, stat: node.stat }));
        } else {
          connection.send(encodeReply(ok, OpCode.exists, { stat: node.stat }));
        }
        return;
      }
      default:
        connection.send(encodeReply({ ...ok, err: ErrorCode.UNIMPLEMENTED }, op, undefined));
    }
  }
}

/**
 * The server's end of one connection, and the Transport the client holds. Bytes in either
 * direction are delivered on a microtask, never inside the writer's call, as a socket would.
 */
export class FakeConnection implements Transport {
  /** Set by the handshake: the session the connection runs (0n after an "expired" answer). */
  sessionId: bigint | undefined;
  /** When set, the fake reads and records frames but answers none (pings included). */
  silent = false;
  readonly openedAt: number;
  /** When either side closed the connection, virtual ms. */
  closedAt: number | undefined;
  closedBy: 'client' | 'server' | undefined;
  /** Accepts the TCP connection but does not answer the handshake (until unmute()). */
  mute: boolean;
  /** The ConnectRequest a mute connection has not answered. */
  unanswered: ConnectRequest | undefined;
  /** When the fake last sent bytes on it, virtual ms. */
  lastSentAt: number | undefined;
  private readonly frames = new FrameAccumulator();
  private receiver: ((chunk: Buffer) => void) | undefined;
  private closedCallback: ((error?: Error) => void) | undefined;
  private closeReported = false;
  /** Replies held back by hold(), in order; undefined when not holding. */
  private held: Buffer[] | undefined;

  constructor(
    private readonly server: FakeZooKeeper,
    readonly remoteAddress: string,
    mute: boolean,
  ) {
    this.mute = mute;
    this.openedAt = server.now();
  }

  // --- the client's side (Transport) ------------------------------------------------------------

  write(chunks: readonly Uint8Array[]): void {
    if (this.closedAt !== undefined) return;
    for (const chunk of chunks) this.frames.push(Buffer.from(chunk));
    try {
      for (
        let f = this.frames.next();
        f !== undefined && this.closedAt === undefined;
        f = this.frames.next()
      ) {
        this.server.receive(this, f);
      }
    } catch {
      // A server closes a connection that sends what it cannot read; it never throws at the client.
      this.close();
    }
  }

  onData(receive: (chunk: Buffer) => void): void {
    this.receiver = receive;
  }

  onClose(closed: (error?: Error) => void): void {
    this.closedCallback = closed;
    if (this.closeReported) closed();
  }

  end(): void {
    this.closeBy('client');
  }

  destroy(): void {
    this.closeBy('client');
  }

  // --- the server's side --------------------------------------------------------------------------

  /** Sends bytes to the client (or holds them, after hold()). */
  send(bytes: Buffer): void {
    if (this.closedAt !== undefined) return;
    if (this.held !== undefined) {
      this.held.push(bytes);
      return;
    }
    this.lastSentAt = this.server.now();
    const copy = Buffer.from(bytes);
    queueMicrotask(() => {
      if (this.closedBy !== 'client') this.receiver?.(copy);
    });
  }

  /** A late handshake: answers the ConnectRequest a mute connection received, and stops being mute. */
  unmute(): void {
    this.mute = false;
    const request = this.unanswered;
    this.unanswered = undefined;
    if (request !== undefined && this.closedAt === undefined) this.server.handshake(this, request);
  }

  /** Holds every reply from now on, in order, as a server busy with one request would. */
  hold(): void {
    this.held ??= [];
  }

  /** Sends the held replies, in order, and stops holding. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const bytes of held) this.send(bytes);
  }

  /** What a failed assertion prints, instead of the whole server behind it. */
  toJSON(): object {
    const { remoteAddress, sessionId, openedAt, closedAt, closedBy } = this;
    return { remoteAddress, sessionId, openedAt, closedAt, closedBy };
  }

  /** The server closes the connection (after the bytes already sent). */
  close(): void {
    this.closeBy('server');
  }

  private closeBy(side: 'client' | 'server'): void {
    if (this.closedAt !== undefined) return;
    this.closedAt = this.server.now();
    this.closedBy = side;
    this.held = undefined;
    // As a socket's 'close' event: after the data already on its way, and for either side.
    queueMicrotask(() => {
      this.closeReported = true;
      this.closedCallback?.();
    });
  }
}

function connectResponse(response: ConnectResponse): Buffer {
  const w = new JuteWriter(64);
  w.reserveFramePrefix();
  ConnectResponse.write(w, response);
  return Buffer.from(w.frame());
}
