// Persistent and persistent-recursive watches (addWatch, op 106) against a real 3.8.0 server: what
// they report, how one-shot watches on the same paths live beside them despite ZOOKEEPER-4466 and
// 4475, and how they come back after a dropped connection, a failover and a session expiry.

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { ConnectionClosedError, InvalidArgumentError, InvalidPathError } from '../../lib/errors.js';
import type { WatchCallback, WatchedEvent } from '../../lib/watches/watch-registry.js';
import { AddWatchMode, EventType, KeeperState, OpCode } from '../../protocol/constants.js';
import { expireSession } from '../../testing/expire-session.js';
import { RawSession } from '../../testing/raw-session.js';
import { startTestingCluster, type TestingCluster } from '../../testing/testing-cluster.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, RecordingHandler, rejectionOf, TcpProxy, uniqueName, waitUntil } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: TcpProxy[] = [];
/** The client under test. */
let zk: ZooKeeperClient;
/** Another session, making the changes the watches should report. */
let other: ZooKeeperClient;
/** This test's own subtree. */
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
  base = `/${uniqueName('persistent')}`;
  await zk.create(base);
});
afterEach(async () => {
  await pool.stopAll();
  for (const p of proxies.splice(0)) p.close();
});

/** A watch callback and the events it received. */
function collector(): { events: WatchedEvent[]; callback: WatchCallback } {
  const events: WatchedEvent[] = [];
  return { events, callback: (e) => events.push(e) };
}

/** A server event as a callback receives it. */
function ev(type: EventType, path: string): WatchedEvent {
  return { type, state: KeeperState.SyncConnected, path };
}

/** The "re-registered after a reconnect" event persistent callbacks get. */
function reconnected(path: string): WatchedEvent {
  return { type: EventType.None, state: KeeperState.SyncConnected, path };
}

/** A client through a proxy the test can cut. */
async function clientBehindProxy(): Promise<{ client: ZooKeeperClient; proxy: TcpProxy }> {
  const proxy = await TcpProxy.start(server.host, server.port);
  proxies.push(proxy);
  const client = await pool.open({ hosts: proxy.connectString });
  return { client, proxy };
}

/** Cuts the client's connection, runs `whileAway` while it cannot reconnect, then lets it back. */
async function dropConnection(
  client: ZooKeeperClient,
  proxy: TcpProxy,
  whileAway: () => Promise<void>,
): Promise<void> {
  const suspended = new Promise<void>((resolve) => {
    client.on('state', (state) => state === 'SUSPENDED' && resolve());
  });
  proxy.block();
  await suspended;
  await whileAway();
  proxy.unblock();
}

describe('a persistent watch', () => {
  it('reports every change of its node, data, children, deletion and creation, until it is removed', async () => {
    const p = `${base}/node`;
    await zk.create(p, 'v0');
    const { events, callback } = collector();
    await zk.addWatch(p, callback);
    await zk.set(p, 'v1');
    await zk.set(p, 'v2');
    await zk.set(p, 'v3');
    await zk.create(`${p}/child`);
    await zk.set(`${p}/child`, 'not reported');
    await zk.delete(`${p}/child`);
    await zk.delete(p);
    await zk.create(p);
    await zk.set(base, 'the parent: not reported');
    expect(events).toEqual([
      ev(EventType.NodeDataChanged, p),
      ev(EventType.NodeDataChanged, p),
      ev(EventType.NodeDataChanged, p),
      ev(EventType.NodeChildrenChanged, p),
      ev(EventType.NodeChildrenChanged, p),
      ev(EventType.NodeDeleted, p),
      ev(EventType.NodeCreated, p),
    ]);
    await zk.removeWatches(p, 'persistent');
    await zk.set(p, 'after removal');
    expect(events.slice(7)).toEqual([
      { type: EventType.PersistentWatchRemoved, state: KeeperState.SyncConnected, path: p },
    ]);
  });

  it('reports the changes another session makes, to every callback on the path', async () => {
    const p = `${base}/node`;
    const first = collector();
    const second = collector();
    await zk.addWatch(p, first.callback);
    await zk.addWatch(p, second.callback);
    await other.create(p, 'x');
    await other.set(p, 'y');
    await waitUntil(() => second.events.length === 2, 'two events');
    const expected = [ev(EventType.NodeCreated, p), ev(EventType.NodeDataChanged, p)];
    expect(first.events).toEqual(expected);
    expect(second.events).toEqual(expected);
  });

  it('reports everything below a recursive watch with each event’s own path, but no NodeChildrenChanged, even beside a child watch on the same connection (ZOOKEEPER-4475)', async () => {
    await zk.create(`${base}/a`);
    const recursive = collector();
    await zk.addWatch(base, recursive.callback, { mode: 'persistentRecursive' });
    const children = collector();
    await zk.getChildren(`${base}/a`, children.callback);
    await other.create(`${base}/a/x`, 'x');
    await other.set(`${base}/a/x`, 'y');
    await other.create(`${base}/a/x/deep`);
    await other.delete(`${base}/a/x/deep`);
    await other.delete(`${base}/a/x`);
    await other.set(base, 'root');
    await waitUntil(() => recursive.events.length === 6, 'six events');
    expect(recursive.events).toEqual([
      ev(EventType.NodeCreated, `${base}/a/x`),
      ev(EventType.NodeDataChanged, `${base}/a/x`),
      ev(EventType.NodeCreated, `${base}/a/x/deep`),
      ev(EventType.NodeDeleted, `${base}/a/x/deep`),
      ev(EventType.NodeDeleted, `${base}/a/x`),
      ev(EventType.NodeDataChanged, base),
    ]);
    // The server did send NodeChildrenChanged for /a: it reached the child watch alone.
    expect(children.events).toEqual([ev(EventType.NodeChildrenChanged, `${base}/a`)]);
  });

  it('gives client paths under a chroot, a recursive watch on the chroot’s root included', async () => {
    const chrooted = await pool.open({ hosts: `${server.connectString}${base}` });
    const root = collector();
    const node = collector();
    await chrooted.addWatch('/', root.callback, { mode: 'persistentRecursive' });
    await chrooted.addWatch('/k', node.callback);
    await other.create(`${base}/k`, 'x');
    await other.set(base, 'y');
    await other.create(`/${uniqueName('outside')}`);
    await waitUntil(() => root.events.length === 2, 'two events');
    expect(root.events).toEqual([ev(EventType.NodeCreated, '/k'), ev(EventType.NodeDataChanged, '/')]);
    expect(node.events).toEqual([ev(EventType.NodeCreated, '/k')]);
  });

  it('refuses a bad path, callback or mode, and a stopped client, through the promise', async () => {
    const cb = (): void => {};
    expect(await rejectionOf(() => zk.addWatch('relative', cb))).toBeInstanceOf(InvalidPathError);
    expect(await rejectionOf(() => zk.addWatch(base, 'no' as unknown as WatchCallback))).toBeInstanceOf(
      InvalidArgumentError,
    );
    const mode = 'sticky' as unknown as 'persistent';
    expect(await rejectionOf(() => zk.addWatch(base, cb, { mode }))).toBeInstanceOf(InvalidArgumentError);
    await zk.stop();
    expect(await rejectionOf(() => zk.addWatch(base, cb))).toBeInstanceOf(ConnectionClosedError);
  });
});

describe('one-shot watches beside persistent ones (ZOOKEEPER-4466)', () => {
  it('is needed: the 3.8.0 server turns a persistent watch into a one-shot when a standard watch is set on its path', async () => {
    const p = `${base}/node`;
    await zk.create(p, 'v0');
    const raw = await RawSession.connect({ host: server.host, port: server.port });
    try {
      await raw.request(OpCode.addWatch, { path: p, mode: AddWatchMode.PERSISTENT });
      await raw.request(OpCode.getData, { path: p, watch: true });
      await other.set(p, 'v1');
      await other.set(p, 'v2');
      // Any reply read after the writes comes after their notifications.
      await raw.request(OpCode.exists, { path: p, watch: false });
      expect(raw.events.filter((e) => e.type === EventType.NodeDataChanged)).toHaveLength(1);
    } finally {
      await raw.close();
    }
  });

  it('keeps a persistent watch firing after a getData watch on its path, which fires once and never reaches the server', async () => {
    const handler = new RecordingHandler();
    const client = await pool.open({ hosts: server.connectString, handler });
    const p = `${base}/node`;
    await client.create(p, 'v0');
    const persistent = collector();
    const once = collector();
    await client.addWatch(p, persistent.callback);
    await client.get(p, once.callback);
    const getData = handler.written.filter((f) => f.readInt32BE(8) === OpCode.getData).at(-1)!;
    expect(getData[getData.length - 1]).toBe(0); // watch=false
    await other.set(p, 'v1');
    await other.set(p, 'v2');
    await other.set(p, 'v3');
    await waitUntil(() => persistent.events.length === 3, 'three events');
    expect(persistent.events).toEqual([1, 2, 3].map(() => ev(EventType.NodeDataChanged, p)));
    expect(once.events).toEqual([ev(EventType.NodeDataChanged, p)]);
  });

  it('fires an exists watch on a missing node once when it is created, beside a persistent watch', async () => {
    const p = `${base}/later`;
    const persistent = collector();
    const once = collector();
    await zk.addWatch(p, persistent.callback);
    expect(await zk.exists(p, once.callback)).toBeNull();
    await other.create(p, 'x');
    await other.set(p, 'y');
    await waitUntil(() => persistent.events.length === 2, 'two events');
    expect(persistent.events).toEqual([ev(EventType.NodeCreated, p), ev(EventType.NodeDataChanged, p)]);
    expect(once.events).toEqual([ev(EventType.NodeCreated, p)]);
  });

  it('fires a getChildren watch once beside a persistent watch, which keeps its child events', async () => {
    const p = `${base}/node`;
    await zk.create(p);
    const persistent = collector();
    const once = collector();
    await zk.addWatch(p, persistent.callback);
    await zk.getChildren(p, once.callback);
    await other.create(`${p}/a`);
    await other.create(`${p}/b`);
    await waitUntil(() => persistent.events.length === 2, 'two events');
    expect(persistent.events).toEqual([1, 2].map(() => ev(EventType.NodeChildrenChanged, p)));
    expect(once.events).toEqual([ev(EventType.NodeChildrenChanged, p)]);
  });

  it('fires a getChildren watch on the path of a recursive watch, whichever came first, and the recursive watch goes on', async () => {
    for (const order of ['child first', 'recursive first']) {
      const p = `${base}/${order.replace(' ', '-')}`;
      await zk.create(p);
      const recursive = collector();
      const once = collector();
      if (order === 'child first') {
        // On its own the server would turn this child watch recursive, and never fire it.
        await zk.getChildren(p, once.callback);
        await zk.addWatch(p, recursive.callback, { mode: 'persistentRecursive' });
      } else {
        await zk.addWatch(p, recursive.callback, { mode: 'persistentRecursive' });
        await zk.getChildren(p, once.callback);
      }
      await other.create(`${p}/a`);
      await other.create(`${p}/b`);
      await waitUntil(() => recursive.events.length === 2, `two events (${order})`);
      await waitUntil(() => once.events.length === 1, `the child event (${order})`);
      expect(recursive.events).toEqual([
        ev(EventType.NodeCreated, `${p}/a`),
        ev(EventType.NodeCreated, `${p}/b`),
      ]);
      expect(once.events).toEqual([ev(EventType.NodeChildrenChanged, p)]);
    }
  });

  it('fires a one-shot watch below a recursive watch once, with one event to each', async () => {
    const p = `${base}/below`;
    await zk.create(p, 'v0');
    const recursive = collector();
    const once = collector();
    await zk.addWatch(base, recursive.callback, { mode: 'persistentRecursive' });
    await zk.get(p, once.callback);
    await other.set(p, 'v1');
    await other.set(p, 'v2');
    await waitUntil(() => recursive.events.length === 2, 'two events');
    expect(once.events).toEqual([ev(EventType.NodeDataChanged, p)]);
  });

  it('registers a one-shot watch with the server when the persistent watch that fed it is removed', async () => {
    const p = `${base}/node`;
    await zk.create(p, 'v0');
    const persistent = collector();
    const once = collector();
    await zk.addWatch(p, persistent.callback);
    await zk.get(p, once.callback);
    await zk.removeWatches(p, 'persistent');
    await other.set(p, 'v1');
    await waitUntil(() => once.events.length === 1, 'the one-shot event');
    expect(once.events).toEqual([ev(EventType.NodeDataChanged, p)]);
    expect(persistent.events.map((e) => e.type)).toEqual([EventType.PersistentWatchRemoved]);
  });
});

describe('after a reconnect', () => {
  it('keeps persistent and recursive watches, reports a change made while disconnected exactly once, then marks the reconnect', async () => {
    const { client, proxy } = await clientBehindProxy();
    const p = `${base}/node`;
    const q = `${base}/tree`;
    await client.create(p, 'v0');
    await client.create(q, 'v0');
    const persistent = collector();
    const recursive = collector();
    const tree = collector();
    await client.addWatch(p, persistent.callback);
    await client.addWatch(base, recursive.callback, { mode: 'persistentRecursive' });
    await client.addWatch(q, tree.callback, { mode: 'persistentRecursive' });

    await dropConnection(client, proxy, async () => {
      await other.set(p, 'changed while away');
      await other.set(q, 'changed while away');
    });
    await waitUntil(
      () => persistent.events.length === 2 && tree.events.length === 2,
      'the replay and the mark',
    );
    expect(persistent.events).toEqual([ev(EventType.NodeDataChanged, p), reconnected(p)]);
    expect(tree.events).toEqual([ev(EventType.NodeDataChanged, q), reconnected(q)]);
    // The recursive watch on the parent hears of both through the replayed nodes.
    expect(recursive.events).toEqual([
      ev(EventType.NodeDataChanged, p),
      ev(EventType.NodeDataChanged, q),
      reconnected(base),
    ]);

    await other.set(p, 'after');
    await waitUntil(() => persistent.events.length === 3, 'a later event');
    expect(persistent.events[2]).toEqual(ev(EventType.NodeDataChanged, p));
  });

  it('reports a node created, and one deleted, while disconnected exactly once', async () => {
    const { client, proxy } = await clientBehindProxy();
    const born = `${base}/born`;
    const dying = `${base}/dying`;
    await client.create(dying, 'x');
    await client.create(`${dying}/child`);
    const bornEvents = collector();
    const dyingEvents = collector();
    await client.addWatch(born, bornEvents.callback);
    await client.addWatch(dying, dyingEvents.callback);
    await dropConnection(client, proxy, async () => {
      await other.create(born);
      await other.delete(dying, { recursive: true });
    });
    await waitUntil(
      () => bornEvents.events.length === 2 && dyingEvents.events.length === 2,
      'two events each',
    );
    expect(bornEvents.events).toEqual([ev(EventType.NodeCreated, born), reconnected(born)]);
    // Listed as a data and a child path, the deleted node fires twice on the server: one is kept.
    expect(dyingEvents.events).toEqual([ev(EventType.NodeDeleted, dying), reconnected(dying)]);
  });

  it('ends persistent watches with the session: one Expired event each, then nothing', async () => {
    const { client, proxy } = await clientBehindProxy();
    const p = `${base}/node`;
    await client.create(p, 'v0');
    const persistent = collector();
    const recursive = collector();
    await client.addWatch(p, persistent.callback);
    await client.addWatch(base, recursive.callback, { mode: 'persistentRecursive' });
    const { sessionId, password } = client.clientId!;
    // Expired while the client cannot come back, so it cannot resume the session in between.
    await dropConnection(client, proxy, () =>
      expireSession(server.connectString, { sessionId, passwd: password }),
    );
    await waitUntil(() => recursive.events.length === 1, 'the Expired event');
    expect(persistent.events).toEqual([{ type: EventType.None, state: KeeperState.Expired, path: p }]);
    expect(recursive.events).toEqual([{ type: EventType.None, state: KeeperState.Expired, path: base }]);
    await waitUntil(() => client.isConnected, 'a new session');
    await other.set(p, 'v1');
    await client.sync(p);
    expect(persistent.events).toHaveLength(1);
  });

  it('re-registers 100,000 one-shot watches in batches, and each fires once on the next change', async () => {
    const count = 100_000;
    const { client, proxy } = await clientBehindProxy();
    const dir = `${base}/many`;
    await other.create(dir);
    const paths = Array.from({ length: count }, (_, i) => `${dir}/n${i}`);
    const chunks = (size: number): string[][] =>
      Array.from({ length: Math.ceil(count / size) }, (_, i) => paths.slice(i * size, (i + 1) * size));
    await Promise.all(
      chunks(2000).map((chunk) => {
        const t = other.transaction();
        for (const p of chunk) t.create(p);
        return t.commit();
      }),
    );
    const fired = new Map<string, number>();
    const callback: WatchCallback = (e) => fired.set(e.path, (fired.get(e.path) ?? 0) + 1);
    await Promise.all(paths.map((p) => client.get(p, callback)));

    // The server drops the old connection's watches: only SetWatches brings them back.
    const states: string[] = [];
    client.on('state', (state) => states.push(state));
    proxy.block();
    proxy.unblock();
    await waitUntil(() => states.includes('CONNECTED'), 'the reconnect', { timeoutMs: 20_000 });
    expect(states).toEqual(['SUSPENDED', 'CONNECTED']);
    await Promise.all(
      chunks(2000).map((chunk) => {
        const t = other.transaction();
        for (const p of chunk) t.setData(p, 'changed');
        return t.commit();
      }),
    );
    await waitUntil(() => fired.size === count, `${count} events`, { timeoutMs: 30_000 });
    expect([...fired.values()].every((n) => n === 1)).toBe(true);
  }, 60_000);
});

describe('on a 3-member ensemble', () => {
  let cluster: TestingCluster;
  beforeAll(async () => {
    cluster = await startTestingCluster({ size: 3 });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('reports a change made while the watcher’s member is down exactly once, through its persistent and recursive watches', async () => {
    // On a follower, so a frozen member leaves a leader to take the write.
    const leader = await cluster.leader();
    const followers = cluster.servers.filter((member) => member !== leader);
    const hosts = [...followers, leader].map((member) => member.connectString).join(',');
    const client = await pool.open({ hosts, randomizeHosts: false, sessionTimeout: 10_000 });
    const victim = cluster.serverFor(client.connectedTo!);
    const writer = await pool.open({ hosts: cluster.connectStringWithout(victim.id) });
    const dir = `/${uniqueName('ensemble')}`;
    const p = `${dir}/node`;
    await writer.create(p, 'v0', { makepath: true });
    await client.sync(p);
    const persistent = collector();
    const recursive = collector();
    await client.addWatch(p, persistent.callback);
    await client.addWatch(dir, recursive.callback, { mode: 'persistentRecursive' });

    // Frozen first, so the change is certainly made while the client cannot hear of it.
    await victim.pause();
    await writer.set(p, 'while the member is down');
    await victim.kill();
    await waitUntil(() => persistent.events.length === 2 && recursive.events.length === 2, 'the replay', {
      timeoutMs: 20_000,
    });
    expect(client.connectedTo).not.toBe(victim.connectString);
    expect(persistent.events).toEqual([ev(EventType.NodeDataChanged, p), reconnected(p)]);
    expect(recursive.events).toEqual([ev(EventType.NodeDataChanged, p), reconnected(dir)]);
  }, 60_000);
});
