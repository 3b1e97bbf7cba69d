/**
 * A TCP proxy between ZooKeeper clients and one server, on 127.0.0.1, that injects the faults a
 * network and a dying server produce: delay, black-hole, one-way cut, reset, refusal, 1-byte
 * slicing and the lost reply to a request the server applied. See docs/fault-proxy.md.
 */

/** One direction of a proxied connection: client → server or server → client. */
export type ProxyDirection = 'toServer' | 'toClient';

/** Options for {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Listen port on 127.0.0.1; 0 (the default) picks a free port. */
  port?: number;
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
  /** Client connections accepted and carried (refused ones not counted). */
  connections: number;
  /** Bytes written to the server. */
  bytesToServer: number;
  /** Bytes written to clients. */
  bytesToClient: number;
  /** Replies dropped by {@link FaultProxy.loseNextReply}. */
  repliesLost: number;
}

/**
 * A fault-injecting proxy between ZooKeeper clients and one server. Point a client's connect
 * string at {@link FaultProxy.connectString}; switch faults from the test.
 */
export class FaultProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  readonly port: number;
  /** Counters since start. */
  readonly stats: FaultProxyStats = { connections: 0, bytesToServer: 0, bytesToClient: 0, repliesLost: 0 };

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts a proxy to `target`, listening on 127.0.0.1. */
  static async start(
    target: { host: string; port: number },
    options: FaultProxyOptions = {},
  ): Promise<FaultProxy> {
    void target;
    return new FaultProxy(options.port ?? 0);
  }

  /** `127.0.0.1:<port>`, for a client's connect string. */
  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Client connections open now. */
  get connectionCount(): number {
    return 0;
  }

  /** Heals every fault: delivers what black-hole and cut held, in order, and forwards at once. */
  pass(): void {}

  /** Delays forwarded bytes by `ms` (+ up to `jitterMs`) milliseconds, keeping their order. */
  delay(ms: number, options: { jitterMs?: number; direction?: ProxyDirection } = {}): void {
    void ms;
    void options;
  }

  /** Stops forwarding both ways, keeping sockets open; bytes are held in order (bounded). */
  blackHole(): void {}

  /** Like {@link FaultProxy.blackHole}, one direction only. */
  cut(direction: ProxyDirection): void {
    void direction;
  }

  /** Destroys every carried connection now; new connections pass. */
  reset(): void {}

  /** Closes new connections at once, until {@link FaultProxy.accept}. */
  refuse(): void {}

  /** Lets new connections in again after {@link FaultProxy.refuse}. */
  accept(): void {}

  /** Forwards every byte as its own write while `on` (default true). */
  slice(on = true): void {
    void on;
  }

  /**
   * Lets the next request with opcode `op` reach the server, drops its reply and resets the
   * connection right after; resolves with the request's xid and opcode.
   */
  loseNextReply(op: number): Promise<LostReply> {
    return Promise.resolve({ xid: 0, op });
  }

  /** Ends every connection and the listener; resolves when the listener is closed. */
  async close(): Promise<void> {}
}
