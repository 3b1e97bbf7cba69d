// Helpers of the recipe specs: a TCP proxy whose connections can be cut and held off (so a client
// can be disconnected, or kept away long enough to lose its session, while other clients go on),
// and the server's own list of a session's watches (`wchc`).

import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type ClientOptions, NoNodeError, type ZooKeeperClient } from '../../index.js';
import { expireSession } from '../../testing/expire-session.js';
import type { ServerHandle } from '../../testing/server-handle.js';
import type { StateRecorder } from '../client/fault-support.js';
import type { ClientPool } from '../client/support.js';

/**
 * A proxy on 127.0.0.1 to one server. `cut()` closes the connections it carries (the client
 * reconnects at once); `block()` also turns away new ones until `unblock()`; `hold()` keeps what
 * the server sends until `release()` delivers it in one write (so the client reads it at once).
 */
export class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  private blocked = false;
  /** Server bytes kept per client connection while held; undefined when not held. */
  private held: Map<Socket, Buffer[]> | undefined;
  private listener!: Server;
  /** The proxy's port. */
  port = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<CuttableProxy> {
    const proxy = new CuttableProxy(targetHost, targetPort);
    proxy.listener = createServer((downstream) => proxy.accept(downstream));
    await new Promise<void>((resolve, reject) => {
      proxy.listener.once('error', reject);
      proxy.listener.listen(0, '127.0.0.1', () => resolve());
    });
    const address = proxy.listener.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
    proxy.port = address.port;
    return proxy;
  }

  /** `127.0.0.1:<port>` of the proxy. */
  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Closes every connection it carries; new ones are let through. */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Closes every connection and turns new ones away until `unblock()`. */
  block(): void {
    this.blocked = true;
    this.cut();
  }

  unblock(): void {
    this.blocked = false;
  }

  /** Keeps everything servers send to clients from now on. */
  hold(): void {
    this.held ??= new Map();
  }

  /** How many bytes servers sent that are being held (0 when not holding). */
  heldBytes(): number {
    let total = 0;
    for (const chunks of this.held?.values() ?? []) for (const chunk of chunks) total += chunk.length;
    return total;
  }

  /** Delivers what was held, each connection's bytes in one write, and lets bytes through again. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    for (const [downstream, chunks] of held ?? [])
      if (!downstream.destroyed) downstream.write(Buffer.concat(chunks));
  }

  /** Stops listening and closes everything. */
  async close(): Promise<void> {
    this.block();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(downstream: Socket): void {
    if (this.blocked) {
      downstream.destroy();
      return;
    }
    const upstream = tcpConnect({ host: this.targetHost, port: this.targetPort });
    for (const socket of [downstream, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    downstream.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const held = this.held;
      if (held === undefined) downstream.write(chunk);
      else held.set(downstream, [...(held.get(downstream) ?? []), chunk]);
    });
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  }
}

/**
 * The paths the server holds a data or exist watch on for one session, from `wchc`, sorted. A 3.8
 * server builds `wchc` from its data watches only: child watches are not listed (see
 * `serverWatchCount`).
 */
export async function serverWatches(server: ServerHandle, sessionId: bigint): Promise<string[]> {
  const text = await server.fourLetterWord('wchc');
  const paths: string[] = [];
  let mine = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('0x')) mine = BigInt(line.trim()) === sessionId;
    else if (mine && line.startsWith('\t')) paths.push(line.trim());
  }
  return paths.sort();
}

/**
 * The opcodes of the requests in what a RecordingHandler saw written, in order. The client writes
 * several frames in one chunk; the handshake (no xid) and pings, auth and SetWatches (negative
 * xids) are left out.
 */
export function requestOps(chunks: readonly Buffer[]): number[] {
  const ops: number[] = [];
  for (const chunk of chunks) {
    for (let offset = 0; offset + 12 <= chunk.length; offset += 4 + chunk.readInt32BE(offset)) {
      if (chunk.readInt32BE(offset + 4) > 0) ops.push(chunk.readInt32BE(offset + 8));
    }
  }
  return ops;
}

/** Every watch the server holds, of every session: data, exist and child (`mntr` zk_watch_count). */
export async function serverWatchCount(server: ServerHandle): Promise<number> {
  const text = await server.fourLetterWord('mntr');
  const match = /^zk_watch_count\t(\d+)$/m.exec(text);
  if (match === null) throw new Error("no zk_watch_count in the server's mntr answer");
  return Number(match[1]);
}

/**
 * Expires `zk`'s session on `server` while `proxy` keeps the client away, runs `meanwhile`, then
 * lets it back and waits until it is CONNECTED with a new session. `recorder` records `zk`'s states.
 */
export async function expireWhileAway(
  server: ServerHandle,
  zk: ZooKeeperClient,
  proxy: CuttableProxy,
  recorder: StateRecorder,
  meanwhile: () => Promise<unknown> = async () => {},
): Promise<void> {
  const { sessionId, password } = zk.clientId!;
  const since = performance.now();
  proxy.block();
  await expireSession(server.connectString, { sessionId, passwd: password });
  await meanwhile();
  proxy.unblock();
  const lost = await recorder.waitForState('LOST', 15_000, since);
  await recorder.waitForState('CONNECTED', 15_000, lost.at);
}

/**
 * A started client (from `pool`) that reaches `server` through a new CuttableProxy, with its
 * reconnect backoff capped at 500 ms because the proxy turns it away for seconds at a time. The
 * proxy is added to `proxies`, which the spec closes after each test.
 */
export async function openBehindProxy(
  pool: ClientPool,
  server: { host: string; port: number },
  proxies: CuttableProxy[],
  options: ClientOptions = {},
): Promise<[ZooKeeperClient, CuttableProxy]> {
  const proxy = await CuttableProxy.start(server.host, server.port);
  proxies.push(proxy);
  // A small reconnect jitter: these specs cut connections many times a second and time recovery;
  // the jitter's own behaviour is spec/client/reconnect-jitter.spec.ts's and the herd's.
  const zk = await pool.open({
    hosts: proxy.connectString,
    connectionRetry: { maxDelay: 500 },
    reconnectJitter: 100,
    ...options,
  });
  return [zk, proxy];
}

/**
 * The children of a recipe's container directory, none once the server has reaped it. The testing
 * server reaps empty containers every second, so one may go between a release and the look.
 */
export async function containerChildren(zk: ZooKeeperClient, path: string): Promise<string[]> {
  try {
    return await zk.getChildren(path);
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
}
