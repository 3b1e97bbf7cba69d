// FaultProxy on raw bytes, between plain TCP sockets of this process: the promises below the
// protocol — order under jitter, held bytes and the cap, a FIN held behind a black hole, slicing,
// the exact cut of a lost reply — and that close() leaves no socket or timer behind, even when it
// comes while the proxy is still forwarding a FIN.
import { createServer, type Server, Socket, connect as tcpConnect } from 'node:net';
import { OpCode } from '../../protocol/index.js';
import { FaultProxy, type FaultProxyOptions } from '../../testing/index.js';
import { waitFor } from '../client/fault-support.js';
import { rejectionOf, sleep } from '../support.js';
import { handshake, reply, request } from './frames.js';

const proxies: FaultProxy[] = [];

/** A TCP server on 127.0.0.1 that records what each connection sends, chunk by chunk. */
class RecordingPeer {
  readonly sockets: Socket[] = [];
  readonly received: Buffer[][] = [];
  /** Sockets that emitted 'close' (their handle is released). */
  closedSockets = 0;
  private constructor(readonly server: Server) {}

  static async start(echo: boolean): Promise<RecordingPeer> {
    const peer = new RecordingPeer(createServer({ allowHalfOpen: true }));
    peer.server.on('connection', (socket) => {
      const chunks: Buffer[] = [];
      peer.sockets.push(socket);
      peer.received.push(chunks);
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        chunks.push(chunk);
        if (echo) socket.write(chunk);
      });
      socket.on('end', () => socket.end());
      socket.on('close', () => {
        peer.closedSockets++;
      });
    });
    await new Promise<void>((resolve) => peer.server.listen(0, '127.0.0.1', resolve));
    return peer;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A connected client socket to `port`, with everything it reads collected. */
async function rawClient(
  port: number,
): Promise<{ socket: Socket; read: Buffer[]; closed: Promise<boolean> }> {
  const socket = tcpConnect({ host: '127.0.0.1', port });
  const read: Buffer[] = [];
  socket.on('data', (chunk) => read.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<boolean>((resolve) => socket.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, read, closed };
}

/** The resources this process holds, by type (the open handles jest would complain about). */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

describe('FaultProxy on raw bytes', () => {
  let peer: RecordingPeer;

  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    await peer?.close();
  });

  async function rawProxy(options?: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: peer.port }, options);
    proxies.push(proxy);
    return proxy;
  }

  it('keeps every byte in order under heavy jitter, both ways, drawing the jitter from the given random', async () => {
    peer = await RecordingPeer.start(true);
    let draws = 0;
    const proxy = await rawProxy({
      random: () => {
        draws++;
        return Math.random();
      },
    });
    proxy.delay(1, { jitterMs: 40 });
    const client = await rawClient(proxy.port);
    const sent: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const chunk = Buffer.from(`${i},`);
      sent.push(chunk);
      client.socket.write(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const expected = Buffer.concat(sent);
    await waitFor(() => Buffer.concat(client.read).length === expected.length, 20_000, 'the echo');
    expect(Buffer.concat(peer.received[0]!).toString()).toBe(expected.toString());
    expect(Buffer.concat(client.read).toString()).toBe(expected.toString());
    // One draw per chunk read, each way.
    expect(draws).toBeGreaterThanOrEqual(2);
  });

  it('blackHole() holds what each side sends, keeps both sockets open, and pass() delivers it in order', async () => {
    peer = await RecordingPeer.start(false);
    const proxy = await rawProxy();
    const client = await rawClient(proxy.port);
    await waitFor(() => peer.sockets.length === 1, 5000, 'the upstream connection');
    proxy.blackHole();
    client.socket.write('one,');
    client.socket.write('two');
    peer.sockets[0]!.write('reply');
    await sleep(300);
    expect(peer.received[0]).toEqual([]);
    expect(client.read).toEqual([]);
    expect(proxy.connectionCount).toBe(1);
    proxy.pass();
    await waitFor(
      () => Buffer.concat(peer.received[0]!).toString() === 'one,two',
      5000,
      'the held request bytes',
    );
    await waitFor(() => Buffer.concat(client.read).toString() === 'reply', 5000, 'the held reply bytes');
  });

  it('a server closing behind a black hole is not seen by the client until pass()', async () => {
    peer = await RecordingPeer.start(false);
    const proxy = await rawProxy();
    const client = await rawClient(proxy.port);
    await waitFor(() => peer.sockets.length === 1, 5000, 'the upstream connection');
    proxy.blackHole();
    peer.sockets[0]!.end('last words');
    let closed = false;
    void client.closed.then(() => {
      closed = true;
    });
    await sleep(300);
    expect(closed).toBe(false);
    expect(client.read).toEqual([]);
    proxy.pass();
    client.socket.end();
    await client.closed;
    expect(Buffer.concat(client.read).toString()).toBe('last words');
  });

  it('resets a connection that holds more than maxHeldBytes', async () => {
    peer = await RecordingPeer.start(false);
    const proxy = await rawProxy({ maxHeldBytes: 64 * 1024 });
    const client = await rawClient(proxy.port);
    proxy.cut('toServer');
    client.socket.write(Buffer.alloc(32 * 1024));
    await sleep(200);
    expect(proxy.connectionCount).toBe(1);
    client.socket.write(Buffer.alloc(64 * 1024));
    await client.closed;
    expect(proxy.connectionCount).toBe(0);
    expect(Buffer.concat(peer.received[0] ?? []).length).toBe(0);
  });

  it('slice() writes every byte alone: the peer reads them one by one', async () => {
    peer = await RecordingPeer.start(false);
    const proxy = await rawProxy();
    proxy.slice();
    const client = await rawClient(proxy.port);
    // Bytes that arrive before the peer accepted the connection would be read together.
    await waitFor(() => peer.sockets.length === 1, 5000, 'the upstream connection');
    const message = Buffer.from('sliced into single bytes');
    client.socket.write(message);
    await waitFor(() => Buffer.concat(peer.received[0] ?? []).length === message.length, 5000, 'the bytes');
    expect(Buffer.concat(peer.received[0]!).toString()).toBe(message.toString());
    // One write per byte, one event-loop turn between them: the peer, in this process, reads each alone.
    expect(peer.received[0]!.every((chunk) => chunk.length === 1)).toBe(true);
    expect(proxy.stats.bytesToServer).toBe(message.length);
  });

  it('loseNextReply() cuts out exactly the reply, even when it arrives split inside its header', async () => {
    peer = await RecordingPeer.start(false);
    const proxy = await rawProxy();
    const lost = proxy.loseNextReply(OpCode.setData);
    const client = await rawClient(proxy.port);
    client.socket.write(
      Buffer.concat([handshake(45), request(1, OpCode.getData), request(2, OpCode.setData)]),
    );
    await waitFor(() => Buffer.concat(peer.received[0] ?? []).length === 49 + 24, 5000, 'the requests');
    const answered = Buffer.concat([handshake(36), reply(1, 10n, 0, Buffer.from('data'))]);
    const lostReply = reply(2, 11n, 0, Buffer.from('stat'));
    // The server's write breaks off 9 bytes into the lost reply's 20-byte prefix and header.
    peer.sockets[0]!.write(Buffer.concat([answered, lostReply.subarray(0, 9)]));
    await sleep(100);
    peer.sockets[0]!.write(Buffer.concat([lostReply.subarray(9), reply(3, 12n, 0)]));
    expect(await lost).toEqual({ xid: 2, op: OpCode.setData });
    await client.closed;
    expect(Buffer.concat(client.read)).toEqual(answered);
    expect(proxy.stats.repliesLost).toBe(1);
  });

  it('loseNextReply() stays armed when the connection ends before the reply, and takes the next match', async () => {
    peer = await RecordingPeer.start(false);
    const proxy = await rawProxy();
    const lost = proxy.loseNextReply(OpCode.create);
    const first = await rawClient(proxy.port);
    first.socket.write(Buffer.concat([handshake(45), request(7, OpCode.create)]));
    await waitFor(() => Buffer.concat(peer.received[0] ?? []).length === 49 + 12, 5000, 'the first request');
    first.socket.destroy();
    await waitFor(() => proxy.connectionCount === 0, 5000, 'the first connection to end');
    const second = await rawClient(proxy.port);
    second.socket.write(Buffer.concat([handshake(45), request(9, OpCode.create)]));
    await waitFor(() => Buffer.concat(peer.received[1] ?? []).length === 49 + 12, 5000, 'the second request');
    peer.sockets[1]!.write(Buffer.concat([handshake(36), reply(9, 20n, 0, Buffer.from('/node'))]));
    expect(await lost).toEqual({ xid: 9, op: OpCode.create });
    await second.closed;
    expect(Buffer.concat(second.read)).toEqual(handshake(36));
  });

  it('rejects bad arguments with InvalidArgumentError', async () => {
    peer = await RecordingPeer.start(false);
    await expect(FaultProxy.start({ host: '127.0.0.1', port: peer.port }, { port: -1 })).rejects.toThrow(
      expect.objectContaining({ argument: 'port' }),
    );
    const proxy = await rawProxy();
    expect(() => proxy.delay(-1)).toThrow(expect.objectContaining({ argument: 'ms' }));
    expect(() => proxy.delay(1, { jitterMs: Number.NaN })).toThrow(
      expect.objectContaining({ argument: 'jitterMs' }),
    );
    expect(() => proxy.cut('sideways' as never)).toThrow(expect.objectContaining({ argument: 'direction' }));
    await expect(proxy.loseNextReply(1.5)).rejects.toThrow(expect.objectContaining({ argument: 'op' }));
  });

  it.each([
    ['server', 'client'],
    ['client', 'server'],
  ] as const)(
    "close() while the proxy still forwards the %s's FIN to the %s resolves and leaves no socket behind",
    async (_, to) => {
      // The proxy ends its socket to `to` in the FIN's place; close() comes before that shutdown
      // completed, as it often does right after a client's stop() (docs/fault-proxy.md#closing).
      // To catch that moment, socket.end() is watched for the proxy's own socket to `to`.
      peer = await RecordingPeer.start(false);
      const before = resources();
      const proxy = await rawProxy();
      const client = await rawClient(proxy.port);
      await waitFor(() => peer.sockets.length === 1, 5000, 'the upstream connection');
      const end = Socket.prototype.end;
      let closing: Promise<void> | undefined;
      let shutdownUnderWay = false;
      Socket.prototype.end = function (this: Socket, ...args: unknown[]): Socket {
        const result = (end as (...endArgs: unknown[]) => Socket).apply(this, args);
        const ours = to === 'client' ? this.localPort === proxy.port : this.remotePort === peer.port;
        if (ours && closing === undefined) {
          closing = Promise.resolve().then(() => {
            shutdownUnderWay = this.writableEnded && !this.writableFinished;
            return proxy.close();
          });
        }
        return result;
      } as typeof end;
      try {
        if (to === 'client') peer.sockets[0]!.end();
        else client.socket.end();
        await waitFor(() => closing !== undefined, 5000, 'the proxy to forward the FIN');
      } finally {
        Socket.prototype.end = end;
      }
      let closed = false;
      void closing!.then(() => {
        closed = true;
      });
      await waitFor(() => closed, 5000, 'close() to resolve');
      expect(shutdownUnderWay).toBe(true);
      expect(proxy.connectionCount).toBe(0);
      await client.closed;
      await waitFor(() => peer.closedSockets === 1, 5000, 'the upstream socket to close');
      await waitFor(
        () => (resources().TCPSocketWrap ?? 0) <= (before.TCPSocketWrap ?? 0),
        5000,
        'every socket to be released',
      );
    },
  );

  it('close() ends every connection and timer, rejects armed lost replies, and leaves no handle behind', async () => {
    peer = await RecordingPeer.start(false);
    const before = resources();
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: peer.port });
    const clientsOpen = await Promise.all([rawClient(proxy.port), rawClient(proxy.port)]);
    await waitFor(() => peer.sockets.length === 2, 5000, 'the upstream connections');
    proxy.delay(10_000);
    clientsOpen[0]!.socket.write('delayed');
    proxy.slice();
    proxy.blackHole();
    clientsOpen[1]!.socket.write('held');
    const armed = proxy.loseNextReply(OpCode.create);
    await proxy.close();
    expect(await rejectionOf(armed)).toBeInstanceOf(Error);
    await Promise.all(clientsOpen.map((c) => c.closed));
    await waitFor(() => peer.closedSockets === 2, 5000, 'the upstream sockets to close');
    for (const c of clientsOpen) c.socket.destroy();
    const after = resources();
    for (const type of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout', 'Immediate']) {
      expect([type, after[type] ?? 0]).toEqual([type, expect.any(Number)]);
      expect(after[type] ?? 0).toBeLessThanOrEqual(before[type] ?? 0);
    }
    expect(proxy.connectionCount).toBe(0);
    await proxy.close();
  });
});
