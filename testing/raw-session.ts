// A bare ZooKeeper session over one socket, built on protocol/ alone: handshake, pipelined
// requests matched in wire order, notifications collected. The harness uses it to expire sessions
// on the server; tests use it to check the codec against a real server. It is not the client: it
// never reconnects, pings or retries.

import net from 'node:net';
import type { ConnectResponse, ReplyHeader, WatcherEvent } from '../protocol/index.js';
import {
  type ClientOp,
  decodeConnectResponse,
  decodeReply,
  encodeConnectRequest,
  encodeRequest,
  FrameAccumulator,
  OpCode,
  type RequestOf,
  type ResponseOf,
  SESSION_PASSWORD_BYTES,
  Xid,
} from '../protocol/index.js';

/** Where and how to open a raw session. */
export interface RawSessionOptions {
  host: string;
  port: number;
  /** Requested session timeout, ms (the server clamps it to its min/max). Default 10000. */
  sessionTimeout?: number;
  /** Resume this session instead of creating one. */
  sessionId?: bigint;
  /** The password of the session to resume (16 bytes). */
  passwd?: Buffer;
  /** Send the readOnly byte with this value; omit it entirely when undefined. Default false. */
  readOnly?: boolean | undefined;
  /** Highest zxid seen, sent in the ConnectRequest. Default 0. */
  lastZxidSeen?: bigint;
  /** How long to wait for the TCP connect and the ConnectResponse, ms. Default 5000. */
  connectTimeout?: number;
}

/** A reply as the raw session hands it out: the header and, when err is 0, the body. */
export interface RawReply<O extends ClientOp> {
  header: ReplyHeader;
  body: ResponseOf<O> | undefined;
}

interface Pending {
  xid: number;
  op: ClientOp;
  resolve: (reply: RawReply<ClientOp>) => void;
  reject: (err: Error) => void;
}

/** One raw session on one socket. */
export class RawSession {
  /** Notifications in arrival order. */
  readonly events: WatcherEvent[] = [];
  /** Every reply's and notification's xid in arrival order (ordering checks). */
  readonly arrivals: number[] = [];
  /** Resolves when the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;
  private readonly pending: Pending[] = [];
  private nextXid = 1;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly frames: FrameAccumulator,
    /** The server's answer to the handshake. */
    readonly connectResponse: ConnectResponse,
  ) {
    // The server closes right after an "expired" answer: the close may already have happened.
    this.closed = socket.closed
      ? Promise.resolve()
      : new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.fail(new Error('connection closed')));
    socket.on('error', (err) => this.fail(err));
  }

  /** The session id the server gave (0 when it refused to resume an expired session). */
  get sessionId(): bigint {
    return this.connectResponse.sessionId;
  }

  /** The session password the server gave. */
  get passwd(): Buffer {
    return this.connectResponse.passwd ?? Buffer.alloc(SESSION_PASSWORD_BYTES);
  }

  /** The negotiated session timeout, ms; 0 means the session was expired or invalid. */
  get negotiatedTimeout(): number {
    return this.connectResponse.timeOut;
  }

  /** Whether the server refused the session as expired (it then closes the socket). */
  get expired(): boolean {
    return this.connectResponse.timeOut <= 0;
  }

  /** Connects and completes the handshake; resolves even when the server says "expired". */
  static async connect(options: RawSessionOptions): Promise<RawSession> {
    const timeout = options.connectTimeout ?? 5000;
    const socket = net.connect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    const frames = new FrameAccumulator();
    try {
      const response = await new Promise<ConnectResponse>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ConnectResponse within ${timeout} ms`)), timeout);
        const onData = (chunk: Buffer): void => {
          try {
            frames.push(chunk);
            const frame = frames.next();
            if (frame === undefined) return;
            clearTimeout(timer);
            socket.off('data', onData);
            resolve(decodeConnectResponse(frame));
          } catch (err) {
            clearTimeout(timer);
            reject(err);
          }
        };
        socket.on('data', onData);
        socket.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        socket.once('close', () => {
          clearTimeout(timer);
          reject(new Error('connection closed before the ConnectResponse'));
        });
        socket.write(
          encodeConnectRequest({
            protocolVersion: 0,
            lastZxidSeen: options.lastZxidSeen ?? 0n,
            timeOut: options.sessionTimeout ?? 10000,
            sessionId: options.sessionId ?? 0n,
            passwd: options.passwd ?? Buffer.alloc(SESSION_PASSWORD_BYTES),
            readOnly: 'readOnly' in options ? options.readOnly : false,
          }),
        );
      });
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      const session = new RawSession(socket, frames, response);
      session.drain(); // frames that came in the same chunk as the ConnectResponse
      return session;
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  /** Sends one request and resolves with its reply. */
  request<O extends ClientOp>(op: O, body: RequestOf<O>): Promise<RawReply<O>> {
    return this.requests([[op, body]])[0]!;
  }

  /** Encodes every request into one write (a pipeline) and resolves each with its reply. */
  requests<O extends ClientOp>(list: ReadonlyArray<readonly [O, RequestOf<O>]>): Array<Promise<RawReply<O>>> {
    const frames: Buffer[] = [];
    const promises = list.map(([op, body]) => {
      const xid = op === OpCode.ping ? Xid.ping : op === OpCode.auth ? Xid.auth : this.nextXid++;
      frames.push(encodeRequest(xid, op, body));
      return new Promise<RawReply<O>>((resolve, reject) => {
        if (this.failure !== undefined) return reject(this.failure);
        this.pending.push({ xid, op, resolve: resolve as Pending['resolve'], reject });
      });
    });
    if (this.failure === undefined) this.socket.write(Buffer.concat(frames));
    return promises;
  }

  /** Ends the session on the server (closeSession) and waits for the socket to close. */
  async close(): Promise<void> {
    if (this.failure === undefined) {
      await this.request(OpCode.closeSession, {}).catch(() => undefined);
    }
    this.socket.end();
    await this.closed;
  }

  /** Drops the socket without ending the session. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.frames.push(chunk);
    this.drain();
  }

  private drain(): void {
    try {
      for (let f = this.frames.next(); f !== undefined; f = this.frames.next()) {
        const reply = decodeReply(f, (xid) =>
          this.pending[0]?.xid === xid ? this.pending[0].op : this.pending.find((p) => p.xid === xid)?.op,
        );
        this.arrivals.push(reply.header.xid);
        if (reply.kind === 'notification') {
          this.events.push(reply.event);
          continue;
        }
        const index = this.pending.findIndex((p) => p.xid === reply.header.xid);
        const [p] = this.pending.splice(index, 1);
        p!.resolve({ header: reply.header, body: reply.body as never });
      }
    } catch (err) {
      this.fail(err as Error);
      this.socket.destroy();
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}

/** Splits "h1:p1,h2:p2/chroot" into host/port pairs (the chroot is dropped). */
export function parseConnectString(connectString: string): Array<{ host: string; port: number }> {
  const slash = connectString.indexOf('/');
  const hosts = slash < 0 ? connectString : connectString.slice(0, slash);
  return hosts.split(',').map((entry) => {
    const colon = entry.lastIndexOf(':');
    if (colon < 0) return { host: entry.trim(), port: 2181 };
    return {
      host: entry
        .slice(0, colon)
        .trim()
        .replace(/^\[|\]$/g, ''),
      port: Number(entry.slice(colon + 1)),
    };
  });
}
