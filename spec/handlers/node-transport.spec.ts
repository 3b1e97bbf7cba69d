// Real sockets, but only to servers this file starts on 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import {
  type Handler,
  HandlerTimeoutError,
  SequentialMicrotaskHandler,
  type Transport,
  VirtualClockHandler,
} from '../../handlers/index.js';
import { rejectionOf } from './support.js';

const HOST = '127.0.0.1';

/** A local server that records what its peers send and lets the test talk back. */
class LocalServer {
  readonly peers: net.Socket[] = [];
  readonly received: Buffer[] = [];
  private waiting: Array<(peer: net.Socket) => void> = [];

  private constructor(readonly server: net.Server) {}

  static async start(server: net.Server = net.createServer()): Promise<LocalServer> {
    const local = new LocalServer(server);
    const event = server instanceof tls.Server ? 'secureConnection' : 'connection';
    server.on(event, (peer: net.Socket) => local.accept(peer));
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    return local;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The next peer to connect (or the first one, if it already has). */
  peer(index = 0): Promise<net.Socket> {
    const existing = this.peers[index];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => {
      this.waiting.push((peer) => {
        if (this.peers.indexOf(peer) === index) resolve(peer);
      });
    });
  }

  /** What the peers together have sent, once it is at least `bytes` bytes (or 2 s have passed). */
  receivedBytes(bytes: number): Promise<Buffer> {
    return gathered(this.received, bytes);
  }

  async close(): Promise<void> {
    for (const peer of this.peers) peer.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(peer: net.Socket): void {
    peer.on('error', () => {});
    peer.on('data', (chunk: Buffer) => this.received.push(chunk));
    this.peers.push(peer);
    for (const wake of this.waiting) wake(peer);
  }
}

/** The concatenated `chunks` once they hold at least `bytes` bytes, or whatever came within 2 s. */
async function gathered(chunks: Buffer[], bytes: number): Promise<Buffer> {
  const deadline = performance.now() + 2000;
  while (Buffer.concat(chunks).length < bytes && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2));
  }
  return Buffer.concat(chunks);
}

/** Waits for the transport's close callback; resolves with every call it got, after a settle. */
function closes(transport: Transport): Promise<Array<Error | undefined>> {
  const calls: Array<Error | undefined> = [];
  return new Promise((resolve) => {
    transport.onClose((error) => {
      calls.push(error);
      setTimeout(() => resolve(calls), 20);
    });
  });
}

/** A port on 127.0.0.1 with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function waitFor(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

const opened: Transport[] = [];
const servers: LocalServer[] = [];

async function serve(server?: net.Server): Promise<LocalServer> {
  const local = await LocalServer.start(server);
  servers.push(local);
  return local;
}

async function connect(
  handler: Handler,
  port: number,
  extra: { timeoutMs?: number } = {},
): Promise<Transport> {
  const transport = await handler.createConnection({ host: HOST, port, timeoutMs: extra.timeoutMs ?? 5000 });
  opened.push(transport);
  return transport;
}

afterEach(async () => {
  for (const transport of opened.splice(0)) transport.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe.each([
  ['SequentialMicrotaskHandler', () => new SequentialMicrotaskHandler()],
  ['VirtualClockHandler (default connector)', () => new VirtualClockHandler()],
] as Array<[string, () => Handler]>)('createConnection on %s', (_name, makeHandler) => {
  it('connects to a local server and names the peer host:port as dialled', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    expect(transport.remoteAddress).toBe(`${HOST}:${server.port}`);
    await server.peer();
    expect(server.peers).toHaveLength(1);
  });

  it('sends the buffers of one write([a, b]) as a followed by b', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    transport.write([Buffer.from('hello '), new Uint8Array([0x77, 0x6f]), Buffer.from('rld')]);
    expect((await server.receivedBytes(11)).toString()).toBe('hello world');
  });

  it('keeps successive writes in order', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    const expected: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const frame = Buffer.from(`<${i}>`);
      expected.push(frame);
      if (i % 3 === 0) transport.write([frame]);
      else transport.write([frame.subarray(0, 1), frame.subarray(1)]);
    }
    const all = Buffer.concat(expected);
    expect(await server.receivedBytes(all.length)).toEqual(all);
  });

  it('passes the bytes the server sends to the data receiver', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    const chunks: Buffer[] = [];
    transport.onData((chunk) => chunks.push(chunk));
    (await server.peer()).write('from the server');
    expect((await gathered(chunks, 15)).toString()).toBe('from the server');
  });

  // A stream must not lose bytes just because nobody was listening yet.
  it('keeps bytes that arrive before the data receiver is set', async () => {
    const server = await serve();
    server.server.on('connection', (peer: net.Socket) => peer.write('greeting'));
    const transport = await connect(makeHandler(), server.port);
    await new Promise((r) => setTimeout(r, 30));
    const chunks: Buffer[] = [];
    transport.onData((chunk) => chunks.push(chunk));
    expect((await gathered(chunks, 8)).toString()).toBe('greeting');
  });

  it('sends later bytes only to a data receiver set in place of the first', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    const first: Buffer[] = [];
    const second: Buffer[] = [];
    transport.onData((chunk) => first.push(chunk));
    transport.onData((chunk) => second.push(chunk));
    (await server.peer()).write('abc');
    expect((await gathered(second, 3)).toString()).toBe('abc');
    expect(Buffer.concat(first).toString()).toBe('');
  });

  it('calls the close callback once, with no error, when the server ends the connection', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    const closed = closes(transport);
    (await server.peer()).end();
    expect(await closed).toEqual([undefined]);
  });

  it('calls the close callback once, with the error, when the server resets the connection', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    const closed = closes(transport);
    (await server.peer()).resetAndDestroy();
    const calls = await closed;
    expect(calls).toHaveLength(1);
    // Node's own Error, from outside jest's realm: check the shape, not instanceof.
    expect(calls[0]).toMatchObject({ name: 'Error', code: 'ECONNRESET' });
  });

  it('calls a close callback set after the connection closed, with the error it closed with', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    transport.onData(() => {}); // reading is what notices the reset
    (await server.peer()).resetAndDestroy();
    await new Promise((r) => setTimeout(r, 50));
    const calls = await closes(transport);
    expect(calls).toHaveLength(1);
    expect((calls[0] as NodeJS.ErrnoException).code).toBe('ECONNRESET');
  });

  it('calls only the close callback set last', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    const replaced: Array<Error | undefined> = [];
    transport.onClose((error) => replaced.push(error));
    const closed = closes(transport);
    (await server.peer()).end();
    expect(await closed).toEqual([undefined]);
    expect(replaced).toEqual([]);
  });

  it('end() flushes pending writes, then closes, and the close callback fires once', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    const peer = await server.peer();
    const peerEnded = waitFor(peer, 'end');
    peer.on('end', () => peer.end());
    const closed = closes(transport);
    const payload = Buffer.alloc(256 * 1024, 7);
    transport.write([payload]);
    transport.end();
    await peerEnded;
    // Buffer.equals, not toEqual: jest compares a 256 KiB buffer byte by byte in seconds.
    expect(Buffer.concat(server.received).equals(payload)).toBe(true);
    expect(await closed).toEqual([undefined]);
  });

  it('destroy() closes at once: the server sees the close and the callback fires once without error', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    const peerClosed = waitFor(await server.peer(), 'close');
    const closed = closes(transport);
    transport.destroy();
    await peerClosed;
    expect(await closed).toEqual([undefined]);
  });

  it('neither throws nor closes twice when written to after it closed', async () => {
    const server = await serve();
    const transport = await connect(makeHandler(), server.port);
    const closed = closes(transport);
    transport.destroy();
    await new Promise((r) => setTimeout(r, 5));
    expect(() => transport.write([Buffer.from('late')])).not.toThrow();
    expect(() => transport.write([Buffer.from('la'), Buffer.from('te')])).not.toThrow();
    expect(await closed).toEqual([undefined]);
  });

  it('rejects with the socket error, not a timeout, when nothing listens on the port', async () => {
    const port = await closedPort();
    const error = await rejectionOf(makeHandler().createConnection({ host: HOST, port, timeoutMs: 5000 }));
    expect(error).not.toBeInstanceOf(HandlerTimeoutError);
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('rejects with the signal reason when the signal is already aborted', async () => {
    const server = await serve();
    const reason = new Error('not now');
    const error = await rejectionOf(
      makeHandler().createConnection({
        host: HOST,
        port: server.port,
        timeoutMs: 5000,
        signal: AbortSignal.abort(reason),
      }),
    );
    expect(error).toBe(reason);
  });

  // A TLS dial to a plain TCP server that never answers stays in the handshake: the only reliable
  // way to hold a connection attempt open without leaving 127.0.0.0/8.
  it('rejects with the signal reason when aborted during the handshake, and drops the socket', async () => {
    const server = await serve();
    const controller = new AbortController();
    const connecting = makeHandler().createConnection({
      host: HOST,
      port: server.port,
      timeoutMs: 5000,
      tls: { rejectUnauthorized: false },
      signal: controller.signal,
    });
    const peer = await server.peer();
    const peerClosed = waitFor(peer, 'close');
    const reason = new Error('shutting down');
    controller.abort(reason);
    expect(await rejectionOf(connecting)).toBe(reason);
    await peerClosed;
  });

  // setTimeout fires after 1 ms for any delay past 2^31-1 ms, so Infinity has to mean no timer.
  it('does not time out at once when timeoutMs is beyond setTimeout’s limit', async () => {
    const server = await serve();
    const controller = new AbortController();
    const connecting = makeHandler().createConnection({
      host: HOST,
      port: server.port,
      timeoutMs: Number.POSITIVE_INFINITY,
      tls: { rejectUnauthorized: false },
      signal: controller.signal,
    });
    await server.peer();
    await new Promise((r) => setTimeout(r, 30));
    const reason = new Error('done waiting');
    controller.abort(reason);
    expect(await rejectionOf(connecting)).toBe(reason);
  });

  it('leaves an established connection alone when the signal aborts afterwards', async () => {
    const server = await serve();
    const controller = new AbortController();
    const transport = await makeHandler().createConnection({
      host: HOST,
      port: server.port,
      timeoutMs: 5000,
      signal: controller.signal,
    });
    opened.push(transport);
    const closed: Array<Error | undefined> = [];
    transport.onClose((error) => closed.push(error));
    controller.abort(new Error('too late'));
    transport.write([Buffer.from('still open')]);
    expect((await server.receivedBytes(10)).toString()).toBe('still open');
    expect(closed).toEqual([]);
  });

  it('rejects with the TimeoutError when the connection is not up within timeoutMs', async () => {
    const server = await serve();
    const handler = makeHandler();
    const started = performance.now();
    const connecting = handler.createConnection({
      host: HOST,
      port: server.port,
      timeoutMs: 50,
      tls: { rejectUnauthorized: false },
    });
    const peer = await server.peer();
    const peerClosed = waitFor(peer, 'close');
    const error = await rejectionOf(connecting);
    expect(error).toBeInstanceOf(handler.TimeoutError);
    expect((error as Error).message).toContain(`${HOST}:${server.port}`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
    await peerClosed;
  });
});

describe.each([
  ['SequentialMicrotaskHandler', () => new SequentialMicrotaskHandler()],
  ['VirtualClockHandler (default resolver)', () => new VirtualClockHandler()],
] as Array<[string, () => Handler]>)('lookup on %s', (_name, makeHandler) => {
  it('resolves localhost through the system resolver to loopback addresses with their family', async () => {
    const addresses = await makeHandler().lookup('localhost');
    expect(addresses.length).toBeGreaterThan(0);
    for (const { address, family } of addresses) {
      expect(net.isIP(address)).toBe(family);
      expect(['127.0.0.1', '::1']).toContain(address);
    }
  });

  it('gives an address literal back as itself', async () => {
    const handler = makeHandler();
    expect(await handler.lookup('127.0.0.1')).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(await handler.lookup('::1')).toEqual([{ address: '::1', family: 6 }]);
  });
});

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

(haveOpenssl() ? describe : describe.skip)('createConnection over TLS', () => {
  let dir: string;
  let key: Buffer;
  let cert: Buffer;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zookit-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=zk.example',
        '-addext',
        'subjectAltName=DNS:zk.example,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    key = readFileSync(join(dir, 'key.pem'));
    cert = readFileSync(join(dir, 'cert.pem'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects, verifies the server by its IP and carries bytes both ways', async () => {
    const server = await serve(tls.createServer({ key, cert }));
    const handler = new SequentialMicrotaskHandler();
    const transport = await handler.createConnection({
      host: HOST,
      port: server.port,
      timeoutMs: 5000,
      tls: { ca: cert },
    });
    opened.push(transport);
    transport.write([Buffer.from('ru'), Buffer.from('ok?')]);
    expect((await server.receivedBytes(5)).toString()).toBe('ruok?');
    const chunks: Buffer[] = [];
    transport.onData((chunk) => chunks.push(chunk));
    (await server.peer()).write('imok');
    expect((await gathered(chunks, 4)).toString()).toBe('imok');
  });

  it('sends the servername given in the TLS options as SNI', async () => {
    const server = await serve(tls.createServer({ key, cert }));
    const transport = await new SequentialMicrotaskHandler().createConnection({
      host: HOST,
      port: server.port,
      timeoutMs: 5000,
      tls: { ca: cert, servername: 'zk.example' },
    });
    opened.push(transport);
    expect(((await server.peer()) as tls.TLSSocket).servername).toBe('zk.example');
  });

  it('rejects with the certificate error when the server is not trusted', async () => {
    const server = await serve(tls.createServer({ key, cert }));
    const error = await rejectionOf(
      new SequentialMicrotaskHandler().createConnection({
        host: HOST,
        port: server.port,
        timeoutMs: 5000,
        tls: {},
      }),
    );
    expect(error).not.toBeInstanceOf(HandlerTimeoutError);
    expect((error as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});
