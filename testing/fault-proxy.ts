/**
 * A TCP proxy between ZooKeeper clients and one server, on 127.0.0.1, that injects the faults a
 * network and a dying server produce, switched from a test while clients work through it: delay
 * (with jitter that never reorders), black-hole (sockets open, nothing forwarded, the server's
 * close included), a one-way cut, reset, refusal of new connections, 1-byte slicing, and the lost
 * reply to a request the server applied: the case protected creates and idempotent retries exist
 * for. kazoo's and Curator's testing modules have no such tool; the spec-only proxies of this
 * repository (spec/client/support.ts, spec/recipes/support.ts) each cover two or three of these.
 *
 * Each client connection gets its own server connection (proxied-connection.ts); each direction
 * is a queue the faults act on (proxy-lane.ts); lost replies are found by following the frames
 * (zookeeper-frames.ts). What each fault does and what a client sees: docs/fault-proxy.md.
 */

import { createServer, type Server, type Socket } from 'node:net';
import { InvalidArgumentError } from '../index.js';
import { type ConnectionHost, type LossClaim, ProxiedConnection } from './proxied-connection.js';
import type { LaneFaults, ProxyDirection } from './proxy-lane.js';

export type { ProxyDirection } from './proxy-lane.js';

/** Options for {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Listen port on 127.0.0.1; 0 (the default) picks a free port. */
  port?: number;
  /**
   * Bytes a connection may hold (black-holed, cut or delayed, both directions together) before
   * it is reset, as a real network would drop it. Default 16 MiB.
   */
  maxHeldBytes?: number;
  /** Source of jitter, returning numbers in [0, 1) (e.g. a seeded stream). Default Math.random. */
  random?: () => number;
}

/** The request whose reply {@link FaultProxy.loseNextReply} dropped. */
export interface LostReply {
  /** The request's xid. */
  readonly xid: number;
  /** The request's opcode (`OpCode` from `zookit/protocol`). */
  readonly op: number;
}

/** Counters of a {@link FaultProxy} since it started. */
export interface FaultProxyStats {
  /** Client connections carried (refused ones not counted). */
  connections: number;
  /** Bytes written to the server. */
  bytesToServer: number;
  /** Bytes written to clients. */
  bytesToClient: number;
  /** Replies dropped by {@link FaultProxy.loseNextReply}. */
  repliesLost: number;
}

/** Default of {@link FaultProxyOptions.maxHeldBytes}: 16 MiB. */
const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024;

/** The faults of one direction, as the proxy sets them. */
interface DirectionFaults {
  held: boolean;
  delayMs: number;
  jitterMs: number;
  slice: boolean;
}

/**
 * A fault-injecting proxy between ZooKeeper clients and one server, listening on 127.0.0.1.
 * Point a client (or your service) at {@link FaultProxy.connectString} and switch faults from
 * the test; each fault holds until {@link FaultProxy.pass} heals it. Each client connection gets
 * its own server connection (docs/fault-proxy.md#putting-it-in-front-of-your-service).
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start({ host: server.host, port: server.port });
 * const zk = new ZooKeeperClient({ hosts: proxy.connectString });
 * await zk.start();
 * proxy.blackHole(); // partitioned: the server expires the session, the client hears nothing
 * proxy.pass(); // healed: the client learns its session expired (LOST)
 * await proxy.close();
 * ```
 */
export class FaultProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  readonly port: number;
  /** Counters since start. */
  readonly stats: FaultProxyStats = { connections: 0, bytesToServer: 0, bytesToClient: 0, repliesLost: 0 };

  readonly #listener: Server;
  readonly #target: { host: string; port: number };
  readonly #maxHeldBytes: number;
  readonly #random: () => number;
  readonly #connections = new Set<ProxiedConnection>();
  readonly #faults: Record<ProxyDirection, DirectionFaults> = {
    toServer: { held: false, delayMs: 0, jitterMs: 0, slice: false },
    toClient: { held: false, delayMs: 0, jitterMs: 0, slice: false },
  };
  readonly #armed: LossClaim[] = [];
  #refusing = false;
  #closing: Promise<void> | undefined;

  private constructor(
    listener: Server,
    port: number,
    target: { host: string; port: number },
    options: FaultProxyOptions,
  ) {
    this.#listener = listener;
    this.port = port;
    this.#target = { host: target.host, port: target.port };
    this.#maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    this.#random = options.random ?? Math.random;
    this.#connectionHost = this.#makeConnectionHost();
    listener.on('connection', (socket) => this.#accept(socket));
  }

  /** Starts a proxy to the server at `target`, listening on 127.0.0.1; resolves once it listens. */
  static async start(
    target: { host: string; port: number },
    options: FaultProxyOptions = {},
  ): Promise<FaultProxy> {
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidArgumentError('port', `port must be an integer in 0–65535, got ${port}`);
    }
    if (
      options.maxHeldBytes !== undefined &&
      !(Number.isInteger(options.maxHeldBytes) && options.maxHeldBytes > 0)
    ) {
      throw new InvalidArgumentError(
        'maxHeldBytes',
        `maxHeldBytes must be a positive integer, got ${options.maxHeldBytes}`,
      );
    }
    // Half-open kept: a FIN is forwarded in its place in the byte stream, not acted on at once.
    const listener = createServer({ allowHalfOpen: true, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, '127.0.0.1', () => {
        listener.off('error', reject);
        resolve();
      });
    });
    // After listen, an error (EMFILE on accept) must not crash the test process.
    listener.on('error', () => undefined);
    const address = listener.address();
    if (address === null || typeof address === 'string') {
      listener.close();
      throw new Error('FaultProxy: the listener on 127.0.0.1 reported no TCP address');
    }
    return new FaultProxy(listener, address.port, target, options);
  }

  /** `127.0.0.1:<port>`, for a client's connect string. */
  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Client connections open now: carried ones whose client has neither ended (FIN) nor closed. */
  get connectionCount(): number {
    let count = 0;
    for (const connection of this.#connections) if (connection.clientOpen) count++;
    return count;
  }

  /**
   * Heals every fault: delay, black-hole, cut and slice end, refused connections are accepted
   * again, and everything held or delayed is delivered now, in order. Armed
   * {@link FaultProxy.loseNextReply} calls stay armed (docs/fault-proxy.md#pass).
   */
  pass(): void {
    for (const faults of Object.values(this.#faults)) {
      faults.held = false;
      faults.delayMs = 0;
      faults.jitterMs = 0;
      faults.slice = false;
    }
    this.#refusing = false;
    for (const connection of this.#connections) connection.flushDelays();
  }

  /**
   * Delays each chunk forwarded from now on by `ms` plus a random share of `jitterMs`
   * (milliseconds), in `direction` or both; bytes keep their order, so a chunk waits at least
   * for the one before it. Bytes already queued keep their delay (docs/fault-proxy.md#delay).
   */
  delay(ms: number, options: { jitterMs?: number; direction?: ProxyDirection } = {}): void {
    const jitterMs = options.jitterMs ?? 0;
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new InvalidArgumentError('ms', `ms must be a finite number ≥ 0, got ${ms}`);
    }
    if (!(Number.isFinite(jitterMs) && jitterMs >= 0)) {
      throw new InvalidArgumentError('jitterMs', `jitterMs must be a finite number ≥ 0, got ${jitterMs}`);
    }
    for (const direction of this.#directions(options.direction)) {
      this.#faults[direction].delayMs = ms;
      this.#faults[direction].jitterMs = jitterMs;
    }
  }

  /**
   * Stops forwarding both ways and keeps the sockets open: the client believes it is connected
   * until its own read timeout, the server until the session expires. What either side sends is
   * held in order (at most `maxHeldBytes` per connection) until {@link FaultProxy.pass}
   * (docs/fault-proxy.md#black-hole).
   */
  blackHole(): void {
    this.#faults.toServer.held = true;
    this.#faults.toClient.held = true;
  }

  /**
   * Like {@link FaultProxy.blackHole}, in one direction only; the other keeps flowing. Cutting
   * 'toClient' lets requests reach the server while their replies never come
   * (docs/fault-proxy.md#cut).
   */
  cut(direction: ProxyDirection): void {
    const [checked] = this.#directions(direction);
    this.#faults[checked!].held = true;
  }

  /**
   * Resets every carried connection now (TCP RST to both sides), whatever is held or queued.
   * New connections pass (docs/fault-proxy.md#reset).
   */
  reset(): void {
    for (const connection of this.#connections) connection.reset();
  }

  /**
   * Closes each new connection as soon as it is accepted, until {@link FaultProxy.accept}; the
   * connections already carried go on (docs/fault-proxy.md#refuse).
   */
  refuse(): void {
    this.#refusing = true;
  }

  /** Lets new connections in again after {@link FaultProxy.refuse}. */
  accept(): void {
    this.#refusing = false;
  }

  /**
   * While `on` (default true), forwards every byte as its own write, both ways, with a turn of
   * the event loop between writes, so frames reach the other side cut at every byte
   * (docs/fault-proxy.md#slice).
   */
  slice(on = true): void {
    this.#faults.toServer.slice = on;
    this.#faults.toClient.slice = on;
    for (const connection of this.#connections) connection.pump();
  }

  /**
   * Arms a lost reply: the next request with opcode `op` (`OpCode` from `zookit/protocol`), on
   * any connection, reaches the server; the server's reply to it is dropped (the client receives
   * everything before it and not one byte of it) and the connection is reset right after, as if
   * the server died after applying it. Resolves then, with the request's xid. Each call arms one
   * loss. Rejects when the proxy closes first (docs/fault-proxy.md#lost-reply).
   */
  loseNextReply(op: number): Promise<LostReply> {
    if (!Number.isInteger(op)) {
      return Promise.reject(new InvalidArgumentError('op', `op must be an integer opcode, got ${op}`));
    }
    if (this.#closing !== undefined) return Promise.reject(new Error('FaultProxy is closed'));
    const promise = new Promise<LostReply>((resolve, reject) => {
      this.#armed.push({
        op,
        lost: (xid) => {
          this.stats.repliesLost++;
          resolve({ xid, op });
        },
        fail: reject,
      });
    });
    // A caller that never awaits it must not get an unhandled rejection when the proxy closes.
    promise.catch(() => undefined);
    return promise;
  }

  /**
   * Refuses new connections, resets every carried one and stops listening; resolves when the
   * listener and every socket are closed, leaving no timer behind. Armed
   * {@link FaultProxy.loseNextReply} calls reject. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const listenerClosed = new Promise<void>((resolve) => this.#listener.close(() => resolve()));
    const connections = [...this.#connections];
    for (const connection of connections) connection.reset();
    const armed = this.#armed.splice(0);
    for (const loss of armed) loss.fail(new Error('FaultProxy closed before the reply was lost'));
    await Promise.all(connections.map((connection) => connection.closed));
    await listenerClosed;
  }

  #accept(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.#refusing || this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    this.stats.connections++;
    const connection = new ProxiedConnection(socket, this.#target, this.#connectionHost);
    this.#connections.add(connection);
  }

  readonly #connectionHost: ConnectionHost;

  /** What every carried connection reads and reports: faults, limits, armed losses, counters. */
  #makeConnectionHost(): ConnectionHost {
    return {
      faults: (direction): LaneFaults => this.#faults[direction],
      random: () => this.#random(),
      maxHeldBytes: this.#maxHeldBytes,
      claimLoss: (op) => {
        const index = this.#armed.findIndex((loss) => loss.op === op);
        return index < 0 ? undefined : this.#armed.splice(index, 1)[0];
      },
      returnLoss: (claim) => {
        if (this.#closing !== undefined) claim.fail(new Error('FaultProxy closed before the reply was lost'));
        else this.#armed.unshift(claim);
      },
      written: (direction, bytes) => {
        if (direction === 'toServer') this.stats.bytesToServer += bytes;
        else this.stats.bytesToClient += bytes;
      },
      finished: (connection) => {
        this.#connections.delete(connection);
      },
    };
  }

  #directions(direction: ProxyDirection | undefined): ProxyDirection[] {
    if (direction === undefined) return ['toServer', 'toClient'];
    if (direction !== 'toServer' && direction !== 'toClient') {
      throw new InvalidArgumentError(
        'direction',
        `direction must be 'toServer' or 'toClient', got ${String(direction)}`,
      );
    }
    return [direction];
  }
}
