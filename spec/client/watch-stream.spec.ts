// client.watch(path): a persistent watch read as an async iterable, against a real 3.8.0 server.
// How it is read (for await, consume), every way it ends, and that ending takes the watch off the
// server (seen through `wchp`, the server's data-watch table by path).

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { ConnectionClosedError, InvalidPathError, SessionExpiredError } from '../../lib/errors.js';
import { WatchQueueOverflowError } from '../../lib/watches/event-queue.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import type { WatchStream } from '../../lib/watches/watch-stream.js';
import { EventType, KeeperState } from '../../protocol/constants.js';
import { expireSession } from '../../testing/expire-session.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, TcpProxy, uniqueName, waitUntil } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: TcpProxy[] = [];
let zk: ZooKeeperClient;
let other: ZooKeeperClient;
let base: string;

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  zk = await pool.open({ hosts: server.connectString });
  other = await pool.open({ hosts: server.connectString });
  base = `/${uniqueName('stream')}`;
  await zk.create(base);
});
afterEach(async () => {
  await pool.stopAll();
  for (const p of proxies.splice(0)) p.close();
});

function ev(type: EventType, path: string): WatchedEvent {
  return { type, state: KeeperState.SyncConnected, path };
}

/** Whether the server's data-watch table holds `path` for `client`'s session (wchp). */
async function serverWatches(client: ZooKeeperClient, path: string): Promise<boolean> {
  const session = `0x${client.clientId!.sessionId.toString(16)}`;
  const lines = (await server.fourLetterWord('wchp')).split('\n');
  const at = lines.indexOf(path);
  if (at < 0) return false;
  for (let i = at + 1; i < lines.length && lines[i]!.startsWith('\t'); i++) {
    if (lines[i]!.trim() === session) return true;
  }
  return false;
}

/** Reads `stream` to its end: the events, and the error it ended with, if any. */
/** Reads `stream` to its end; `events` (given, so a test can watch it fill) collects what it yielded. */
async function readAll(
  stream: WatchStream,
  events: WatchedEvent[] = [],
): Promise<{ events: WatchedEvent[]; error: unknown }> {
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

describe('client.watch', () => {
  it('yields every event of its node in order to for await, and a break takes the watch off the server', async () => {
    const p = `${base}/node`;
    await zk.create(p, 'v0');
    const stream = zk.watch(p);
    await stream.ready;
    expect(await serverWatches(zk, p)).toBe(true);
    await other.set(p, 'v1');
    await other.create(`${p}/child`);
    await other.delete(p, { recursive: true });
    const events: WatchedEvent[] = [];
    for await (const event of stream) {
      events.push(event);
      if (events.length === 4) break;
    }
    expect(events).toEqual([
      ev(EventType.NodeDataChanged, p),
      ev(EventType.NodeChildrenChanged, p),
      ev(EventType.NodeChildrenChanged, p),
      ev(EventType.NodeDeleted, p),
    ]);
    expect(await serverWatches(zk, p)).toBe(false);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('with recursive, yields the events of the subtree with their own paths', async () => {
    const stream = zk.watch(base, { recursive: true });
    await stream.ready;
    await other.create(`${base}/a`, 'x');
    await other.create(`${base}/a/b`, 'y');
    await other.set(`${base}/a/b`, 'z');
    const events: WatchedEvent[] = [];
    for await (const event of stream) {
      events.push(event);
      if (events.length === 3) break;
    }
    expect(events).toEqual([
      ev(EventType.NodeCreated, `${base}/a`),
      ev(EventType.NodeCreated, `${base}/a/b`),
      ev(EventType.NodeDataChanged, `${base}/a/b`),
    ]);
  });

  it('ends (done) when its signal aborts, and takes the watch off the server', async () => {
    const p = `${base}/node`;
    const aborted = new AbortController();
    const stream = zk.watch(p, { signal: aborted.signal });
    await stream.ready;
    const read: WatchedEvent[] = [];
    const reading = readAll(stream, read);
    await other.create(p);
    await waitUntil(() => read.length === 1, 'the event to be read');
    aborted.abort();
    expect(await reading).toEqual({ events: [ev(EventType.NodeCreated, p)], error: undefined });
    await waitUntil(async () => !(await serverWatches(zk, p)), 'the watch to leave the server');

    const never = zk.watch(p, { signal: aborted.signal });
    expect(await readAll(never)).toEqual({ events: [], error: undefined });
  });

  it('closes at the end of an `await using` scope', async () => {
    const p = `${base}/node`;
    await zk.create(p);
    {
      await using stream = zk.watch(p);
      await stream.ready;
      expect(await serverWatches(zk, p)).toBe(true);
    }
    expect(await serverWatches(zk, p)).toBe(false);
  });

  it('ends with WatchQueueOverflowError once the reader is more than highWaterMark events behind, after the ones it kept', async () => {
    const p = `${base}/node`;
    await zk.create(p, '0');
    const stream = zk.watch(p, { highWaterMark: 3 });
    await stream.ready;
    for (let i = 1; i <= 5; i++) await zk.set(p, String(i));
    const { events, error } = await readAll(stream);
    expect(events).toEqual([1, 2, 3].map(() => ev(EventType.NodeDataChanged, p)));
    expect(error).toBeInstanceOf(WatchQueueOverflowError);
    expect((error as WatchQueueOverflowError).highWaterMark).toBe(3);
    await waitUntil(async () => !(await serverWatches(zk, p)), 'the watch to leave the server');
  });

  it('ends with SessionExpiredError when the session expires', async () => {
    const proxy = await TcpProxy.start(server.host, server.port);
    proxies.push(proxy);
    const client = await pool.open({ hosts: proxy.connectString });
    const p = `${base}/node`;
    const stream = client.watch(p);
    await stream.ready;
    const reading = readAll(stream);
    const { sessionId, password } = client.clientId!;
    proxy.block();
    await expireSession(server.connectString, { sessionId, passwd: password });
    proxy.unblock();
    const { events, error } = await reading;
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect((error as SessionExpiredError).path).toBe(p);
    expect(events).toEqual([]);
  });

  it('yields a None event (state SyncConnected) after a reconnect, where changes below it may have been missed', async () => {
    const proxy = await TcpProxy.start(server.host, server.port);
    proxies.push(proxy);
    const client = await pool.open({ hosts: proxy.connectString });
    const stream = client.watch(base, { recursive: true });
    await stream.ready;
    proxy.block();
    await waitUntil(() => !client.isConnected, 'the drop', { intervalMs: 5 });
    proxy.unblock();
    const { value } = await stream.next();
    expect(value).toEqual({ type: EventType.None, state: KeeperState.SyncConnected, path: base });
    await stream.close();
  });

  it('keeps trying to add its watch through connection losses, and is ready once a connection takes it', async () => {
    const proxy = await TcpProxy.start(server.host, server.port);
    proxies.push(proxy);
    const client = await pool.open({
      hosts: proxy.connectString,
      connectionRetry: { delay: 50, maxDelay: 100 },
    });
    const p = `${base}/node`;
    const states: string[] = [];
    client.on('state', (state) => states.push(state));
    proxy.block();
    await waitUntil(() => states.includes('SUSPENDED'), 'the drop', { intervalMs: 5 });
    const stream = client.watch(p);
    let ready = false;
    void stream.ready.then(() => {
      ready = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // several failed connect cycles
    expect(ready).toBe(false);
    proxy.unblock();
    await stream.ready;
    await other.create(p);
    // A reconnect mark may come first: the pending watch rode on the reconnect's SetWatches2.
    let { value } = await stream.next();
    if (value?.type === EventType.None) ({ value } = await stream.next());
    expect(value).toEqual(ev(EventType.NodeCreated, p));
    await stream.close();
  });

  it('ends (done) when the client stops, or when its watch is removed with removeWatches', async () => {
    const p = `${base}/node`;
    const removed = zk.watch(p);
    await removed.ready;
    await zk.removeWatches(p, 'persistent');
    expect(await readAll(removed)).toEqual({ events: [], error: undefined });

    const stopped = zk.watch(p);
    await stopped.ready;
    await zk.stop();
    expect(await readAll(stopped)).toEqual({ events: [], error: undefined });
  });

  it('reports a watch that cannot be added through ready and the iterator', async () => {
    await zk.stop();
    const stream = zk.watch(`${base}/node`);
    expect(await rejectionOf(() => stream.ready)).toBeInstanceOf(ConnectionClosedError);
    expect((await readAll(stream)).error).toBeInstanceOf(ConnectionClosedError);
    expect(() => zk.watch('no-slash')).toThrow(InvalidPathError);
  });

  it('feeds a callback consumer one event at a time until it is closed', async () => {
    const p = `${base}/node`;
    await zk.create(p, '0');
    const stream = zk.watch(p);
    await stream.ready;
    const log: string[] = [];
    const consuming = stream.consume(async (event) => {
      log.push(`start ${event.type}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      log.push(`end ${event.type}`);
    });
    await zk.set(p, '1');
    await zk.delete(p);
    await waitUntil(() => log.length === 4, 'both events handled');
    await stream.close();
    await consuming;
    expect(log).toEqual(['start 3', 'end 3', 'start 2', 'end 2']);
    expect(await serverWatches(zk, p)).toBe(false);
  });
});
