// Shared helpers of the client's integration tests: clients that are always stopped, unique node
// names, polling, a handler that records what reaches the socket, and a TCP proxy that can be cut.

import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import type { ConnectOptions, Transport } from '../../handlers/handler.js';
import { SequentialMicrotaskHandler } from '../../handlers/sequential-microtask.js';
import { type ClientOptions, ZooKeeperClient } from '../../index.js';
import { Xid } from '../../protocol/constants.js';

let counter = 0;

/** A node name no other test of this run uses: `prefix-<pid>-<n>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** Clients a test opened; `stopAll()` in afterEach stops every one, so jest exits on its own. */
export class ClientPool {
  private readonly clients: ZooKeeperClient[] = [];

  /** A client that is stopped by `stopAll()`, not started. */
  create(options: ClientOptions): ZooKeeperClient {
    const client = new ZooKeeperClient(options);
    this.clients.push(client);
    return client;
  }

  /** A started client (CONNECTED), stopped by `stopAll()`. */
  async open(options: ClientOptions): Promise<ZooKeeperClient> {
    const client = this.create(options);
    await client.start({ timeout: 10_000 });
    return client;
  }

  async stopAll(): Promise<void> {
    const clients = this.clients.splice(0);
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
  }
}

/**
 * The error `call()` rejects with. A promise-returning API must report bad input and a stopped
 * client through its promise, so a synchronous throw fails the test as well as a resolution does.
 */
export async function rejectionOf(call: () => Promise<unknown>): Promise<unknown> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (error) {
    throw new Error(
      `threw synchronously instead of returning a rejected promise: ${(error as Error)?.name}: ${(error as Error)?.message}`,
    );
  }
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('resolved, but a rejection was expected');
}

/** Resolves once `probe()` returns true, polling every `intervalMs`; rejects after `timeoutMs` (ms). */
export async function waitUntil(
  probe: () => Promise<boolean> | boolean,
  what: string,
  { timeoutMs = 10_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** `promise`, or a rejection naming `what` once `ms` pass first (so a deadlock fails fast). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

import { sleep } from '../support.js';

export { sleep };

/**
 * The default handler, recording the request frames the client writes to its sockets (pings left
 * out), so a test can tell that refused input never reached the server.
 */
export class RecordingHandler extends SequentialMicrotaskHandler {
  /** Every frame written, pings excluded, in order: the 4-byte length included. */
  readonly written: Buffer[] = [];

  override async createConnection(options: ConnectOptions): Promise<Transport> {
    const transport = await super.createConnection(options);
    const written = this.written;
    return {
      get remoteAddress() {
        return transport.remoteAddress;
      },
      write(chunks) {
        for (const chunk of chunks) {
          const frame = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          // Frames after the handshake carry the xid right after the length; pings are noise here.
          if (frame.length < 8 || frame.readInt32BE(4) !== Xid.ping) written.push(frame);
        }
        transport.write(chunks);
      },
      onData: (receive) => transport.onData(receive),
      onClose: (closed) => transport.onClose(closed),
      end: () => transport.end(),
      destroy: () => transport.destroy(),
    };
  }
}

/**
 * A TCP proxy on 127.0.0.1 to one server. `refuse()` closes its listener (new connections are
 * refused) and leaves established connections alone; a close on either side closes the other.
 * `block()` cuts every connection and drops new ones at once until `unblock()`, on the same port.
 */
export class TcpProxy {
  private constructor(
    private readonly listener: Server,
    private readonly sockets: Set<Socket>,
    private readonly gate: { blocked: boolean },
    /** The proxy's port. */
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const sockets = new Set<Socket>();
    const gate = { blocked: false };
    const listener = createServer((downstream) => {
      if (gate.blocked) {
        downstream.on('error', () => undefined);
        downstream.destroy();
        return;
      }
      const upstream = tcpConnect({ host: targetHost, port: targetPort });
      for (const s of [downstream, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      downstream.pipe(upstream);
      upstream.pipe(downstream);
      downstream.on('close', () => upstream.destroy());
      upstream.on('close', () => downstream.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, '127.0.0.1', () => resolve());
    });
    const address = listener.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
    return new TcpProxy(listener, sockets, gate, address.port);
  }

  /** `127.0.0.1:<port>` of the proxy. */
  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Stops accepting connections at once; the ones already made keep flowing. */
  refuse(): void {
    // server.close() calls back only once every connection has ended, so it is not awaited here.
    if (this.listener.listening) this.listener.close();
  }

  /** Cuts every established connection; new ones are accepted and closed at once until `unblock()`. */
  block(): void {
    this.gate.blocked = true;
    for (const s of this.sockets) s.destroy();
  }

  /** Lets connections through again after `block()`. */
  unblock(): void {
    this.gate.blocked = false;
  }

  /** Refuses new connections and cuts every established one. */
  close(): void {
    this.refuse();
    for (const s of this.sockets) s.destroy();
  }
}
