/**
 * One client connection carried by a FaultProxy: the client's socket, its own socket to the
 * server, a lane for each direction, and a frame tracker for each, which the lost-reply fault
 * needs to find the request it was armed for and, later, the reply with the same xid.
 *
 * A lost reply is cut out exactly: the bytes of the reply stream are held back from the start of
 * each frame until its header has been read (at most 20 bytes), so the client receives every
 * reply before the lost one and not one byte of it; then both sockets are reset
 * (docs/fault-proxy.md#lost-reply).
 */

import { connect, type Socket } from 'node:net';
import { type LaneFaults, type ProxyDirection, ProxyLane } from './proxy-lane.js';
import { FrameTracker, type TrackedReplyFrame } from './zookeeper-frames.js';

/** An armed `loseNextReply`, taken by the connection whose request matched it. */
export interface LossClaim {
  readonly op: number;
  /** Called once the reply is dropped and the connection reset. */
  lost(xid: number): void;
  /** Called when the proxy closes before the reply was lost. */
  fail(error: Error): void;
}

/** What a connection needs from its proxy. */
export interface ConnectionHost {
  faults(direction: ProxyDirection): LaneFaults;
  random(): number;
  /** Largest number of bytes a connection may hold in its lanes, bytes; past it, it is reset. */
  readonly maxHeldBytes: number;
  /** Takes the oldest armed loss for opcode `op`, if any. */
  claimLoss(op: number): LossClaim | undefined;
  /** Gives back a claim whose reply never came (the connection ended first). */
  returnLoss(claim: LossClaim): void;
  written(direction: ProxyDirection, bytes: number): void;
  /** Both sockets are closed; the connection is finished. */
  finished(connection: ProxiedConnection): void;
}

/** The two sockets of one carried client connection and the two directions between them. */
export class ProxiedConnection {
  readonly #client: Socket;
  readonly #server: Socket;
  readonly #host: ConnectionHost;
  readonly #toServer: ProxyLane;
  readonly #toClient: ProxyLane;
  readonly #requests = new FrameTracker('client');
  readonly #replies = new FrameTracker('server');
  /** Armed losses this connection's requests took, by the request's xid. */
  readonly #claims = new Map<number, LossClaim>();
  /** Reply bytes held back until the header of the frame they start is known. */
  #carry: Buffer | undefined;
  /** The lost reply was found: nothing more from the server is forwarded. */
  #losing = false;
  #clientEnded = false;
  #clientClosed = false;
  #serverClosed = false;
  #finished = false;
  /** Resolves when both sockets are closed. */
  readonly closed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(client: Socket, target: { host: string; port: number }, host: ConnectionHost) {
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#client = client;
    this.#host = host;
    this.#server = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    client.setNoDelay(true);
    this.#toServer = new ProxyLane(this.#server, this.#laneHost('toServer', client));
    this.#toClient = new ProxyLane(client, this.#laneHost('toClient', this.#server));
    this.#wire(client, this.#toServer, this.#server, (chunk) => this.#fromClient(chunk), 'client');
    this.#wire(this.#server, this.#toClient, client, (chunk) => this.#fromServer(chunk), 'server');
  }

  /** The client has neither ended (FIN) nor closed its socket. */
  get clientOpen(): boolean {
    return !this.#clientEnded && !this.#clientClosed;
  }

  /** Goes on delivering after a change of faults. */
  pump(): void {
    this.#toServer.pump();
    this.#toClient.pump();
  }

  /** Makes everything queued due now and delivers it (pass()). */
  flushDelays(): void {
    this.#toServer.flushDelays();
    this.#toClient.flushDelays();
  }

  /** Resets both sockets now (TCP RST), whatever is queued (docs/fault-proxy.md#reset). */
  reset(): void {
    this.#toServer.dispose();
    this.#toClient.dispose();
    resetSocket(this.#client);
    resetSocket(this.#server);
  }

  /** Forwards one socket's bytes, its end and its reset through `lane` to `destination`. */
  #wire(
    source: Socket,
    lane: ProxyLane,
    destination: Socket,
    onData: (chunk: Buffer) => void,
    side: 'client' | 'server',
  ): void {
    let ended = false;
    source.on('data', onData);
    source.on('error', () => undefined);
    source.on('end', () => {
      ended = true;
      if (side === 'client') {
        this.#clientEnded = true;
        this.#returnClaims();
      } else this.#releaseCarry();
      lane.pushAction(() => {
        if (!destination.destroyed) destination.end();
      });
    });
    source.on('close', () => {
      // Closed without an end: reset (ECONNRESET, refused, destroyed). The other side learns it
      // in order, after the bytes before it, like a FIN.
      if (!ended) {
        if (side === 'server') this.#releaseCarry();
        lane.pushAction(() => {
          resetSocket(destination);
        });
      }
      if (side === 'client') {
        this.#clientClosed = true;
        this.#returnClaims();
      } else this.#serverClosed = true;
      if (this.#clientClosed && this.#serverClosed) this.#finish();
    });
  }

  #laneHost(direction: ProxyDirection, source: Socket) {
    const host = this.#host;
    return {
      faults: () => host.faults(direction),
      random: () => host.random(),
      written: (bytes: number) => host.written(direction, bytes),
      pressure: (pushingBack: boolean) => {
        if (source.destroyed) return;
        if (pushingBack) source.pause();
        else source.resume();
      },
    };
  }

  #fromClient(chunk: Buffer): void {
    for (const frame of this.#requests.push(chunk)) {
      if (frame.kind !== 'request' || this.#claims.has(frame.xid)) continue;
      const claim = this.#host.claimLoss(frame.op);
      if (claim !== undefined) this.#claims.set(frame.xid, claim);
    }
    this.#toServer.push(chunk);
    this.#checkHeld();
  }

  #fromServer(chunk: Buffer): void {
    if (this.#losing) return;
    const frames = this.#replies.push(chunk);
    if (this.#claims.size === 0 && this.#carry === undefined) {
      this.#toClient.push(chunk);
      this.#checkHeld();
      return;
    }
    const data = this.#carry === undefined ? chunk : Buffer.concat([this.#carry, chunk]);
    this.#carry = undefined;
    const dataStart = this.#replies.consumed - data.length;
    const lost = frames.find(
      (frame): frame is TrackedReplyFrame => frame.kind === 'reply' && this.#claims.has(frame.xid),
    );
    if (lost !== undefined) {
      const claim = this.#claims.get(lost.xid)!;
      this.#claims.delete(lost.xid);
      this.#toClient.push(data.subarray(0, Math.max(0, lost.offset - dataStart)));
      this.#losing = true;
      this.#toClient.pushAction(() => {
        this.reset();
        claim.lost(lost.xid);
      });
      return;
    }
    const upTo = this.#claims.size === 0 ? data.length : this.#replies.identifiedOffset - dataStart;
    this.#toClient.push(data.subarray(0, upTo));
    if (upTo < data.length) this.#carry = data.subarray(upTo);
    this.#checkHeld();
  }

  /** The server ended: the reply bytes held back can no longer start the lost reply. */
  #releaseCarry(): void {
    if (this.#carry === undefined || this.#losing) return;
    this.#toClient.push(this.#carry);
    this.#carry = undefined;
  }

  /**
   * The client is gone (or the connection is): a reply still to come could not reach it, so the
   * losses this connection took are armed again for the next match (docs/fault-proxy.md#lost-reply).
   */
  #returnClaims(): void {
    for (const claim of this.#claims.values()) this.#host.returnLoss(claim);
    this.#claims.clear();
  }

  /** Resets the connection once its lanes hold more than the cap (docs/fault-proxy.md#limits). */
  #checkHeld(): void {
    const held = this.#toServer.queuedBytes + this.#toClient.queuedBytes + (this.#carry?.length ?? 0);
    if (held > this.#host.maxHeldBytes) this.reset();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#toServer.dispose();
    this.#toClient.dispose();
    this.#returnClaims();
    this.#host.finished(this);
    this.#resolveClosed();
  }
}

/**
 * Resets `socket` (TCP RST) and destroys it, or only destroys it once its sending side was ended
 * (the proxy forwarded a FIN to it). Node cannot reset a socket while its shutdown is under way:
 * libuv refuses (EINVAL), and Node then reports the error, forgets the handle without closing it
 * and never emits 'close', so the connection would never finish and close() would wait for it
 * for good. A destroy closes the handle whatever it is doing; its peer, which has the proxy's FIN
 * already or is about to, sees the connection close (docs/fault-proxy.md#closing).
 */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}
