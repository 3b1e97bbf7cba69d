// removeWatches and removeAllWatches against a real 3.8.0 server: what leaves the server (seen
// through the `wchp` four-letter word, which lists the server's data-watch table), what the removed
// callbacks hear, the NOWATCHER cases, and removal without a connection.

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { ConnectionLossError, InvalidArgumentError, NoWatcherError } from '../../lib/errors.js';
import type { WatchCallback, WatchedEvent } from '../../lib/watches/watch-registry.js';
import type { RemovableWatchType } from '../../lib/watches/watch-removal.js';
import { EventType, KeeperState } from '../../protocol/constants.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { CollectingLogger } from './fault-support.js';
import { ClientPool, rejectionOf, TcpProxy, uniqueName, waitUntil } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: TcpProxy[] = [];
/** The client under test; its logger shows events that reached no callback. */
let zk: ZooKeeperClient;
let logger: CollectingLogger;
/** Another session, making changes. */
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
  logger = new CollectingLogger();
  zk = await pool.open({ hosts: server.connectString, logger });
  other = await pool.open({ hosts: server.connectString });
  base = `/${uniqueName('remove')}`;
  await zk.create(base);
});
afterEach(async () => {
  await pool.stopAll();
  for (const p of proxies.splice(0)) p.close();
});

function collector(): { events: WatchedEvent[]; callback: WatchCallback } {
  const events: WatchedEvent[] = [];
  return { events, callback: (e) => events.push(e) };
}

function ev(type: EventType, path: string, state: number = KeeperState.SyncConnected): WatchedEvent {
  return { type, state, path };
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

/** Events the server sent for `path` that no callback of `zk` watched (logged at debug level). */
function unwatched(path: string): string[] {
  return logger.lines.filter((line) => line.includes(`for ${path}, which no callback watches`));
}

describe('removeWatches', () => {
  it('takes a data watch off the server and tells its callback with DataWatchRemoved', async () => {
    const p = `${base}/node`;
    await zk.create(p, 'v0');
    const { events, callback } = collector();
    await zk.get(p, callback);
    expect(await serverWatches(zk, p)).toBe(true);
    await zk.removeWatches(p, 'data');
    expect(await serverWatches(zk, p)).toBe(false);
    await other.set(p, 'v1');
    await zk.sync(p);
    expect(events).toEqual([ev(EventType.DataWatchRemoved, p)]);
    expect(unwatched(p)).toEqual([]);
  });

  it('with a callback removes only that one, and the server watch goes with the last', async () => {
    const p = `${base}/node`;
    await zk.create(p, 'v0');
    const a = collector();
    const b = collector();
    await zk.get(p, a.callback);
    await zk.exists(p, b.callback);
    await zk.removeWatches(p, 'data', { callback: a.callback });
    expect(await serverWatches(zk, p)).toBe(true);
    await other.set(p, 'v1');
    await waitUntil(() => b.events.length === 1, 'the remaining callback');
    expect(a.events).toEqual([ev(EventType.DataWatchRemoved, p)]);
    expect(b.events).toEqual([ev(EventType.NodeDataChanged, p)]);

    await zk.get(p, a.callback);
    await zk.get(p, b.callback);
    await zk.removeWatches(p, 'data', { callback: a.callback });
    await zk.removeWatches(p, 'data', { callback: b.callback });
    expect(await serverWatches(zk, p)).toBe(false);
  });

  it('takes a child watch off the server', async () => {
    const p = `${base}/node`;
    await zk.create(p);
    const { events, callback } = collector();
    await zk.getChildren(p, callback);
    await zk.removeWatches(p, 'children');
    await other.create(`${p}/child`);
    await zk.sync(p);
    expect(events).toEqual([ev(EventType.ChildWatchRemoved, p)]);
    expect(unwatched(p)).toEqual([]);
    // The check above can see a watch the server kept: an abandoned request leaves one behind.
    const aborted = new AbortController();
    const read = zk.getChildren(p, callback, { signal: aborted.signal });
    aborted.abort(new Error('not interested'));
    await read.catch(() => undefined);
    await zk.sync(p);
    await other.create(`${p}/second`);
    await waitUntil(() => unwatched(p).length === 1, 'the leftover watch to fire into nothing');
  });

  it('fails with NoWatcherError, checked locally first, when nothing matches', async () => {
    const p = `${base}/node`;
    await zk.create(p, 'v0');
    const { callback } = collector();
    const cases: Array<[RemovableWatchType, WatchCallback | undefined]> = [
      ['data', undefined],
      ['children', undefined],
      ['persistent', undefined],
      ['any', undefined],
    ];
    for (const [type, cb] of cases) {
      const error = await rejectionOf(() => zk.removeWatches(p, type, { callback: cb }));
      expect(error).toBeInstanceOf(NoWatcherError);
      expect((error as NoWatcherError).code).toBe(-121);
      expect((error as NoWatcherError).path).toBe(p);
    }
    await zk.get(p, callback);
    expect(await rejectionOf(() => zk.removeWatches(p, 'children'))).toBeInstanceOf(NoWatcherError);
    expect(await rejectionOf(() => zk.removeWatches(p, 'data', { callback: () => {} }))).toBeInstanceOf(
      NoWatcherError,
    );
    // Fired already: a one-shot watch is gone.
    await zk.set(p, 'v1');
    expect(await rejectionOf(() => zk.removeWatches(p, 'data', { callback }))).toBeInstanceOf(NoWatcherError);
  });

  it('takes a persistent watch off the server (as WatcherType Any) and keeps a one-shot watch on its path working', async () => {
    const p = `${base}/node`;
    await zk.create(p, 'v0');
    const persistent = collector();
    await zk.addWatch(p, persistent.callback);
    expect(await serverWatches(zk, p)).toBe(true);
    await zk.removeWatches(p, 'persistent');
    expect(await serverWatches(zk, p)).toBe(false);

    const once = collector();
    await zk.addWatch(p, persistent.callback);
    await zk.get(p, once.callback);
    await zk.removeWatches(p, 'persistent', { callback: persistent.callback });
    await other.set(p, 'v1');
    await other.set(p, 'v2');
    await waitUntil(() => once.events.length === 1, 'the one-shot event');
    await zk.sync(p);
    expect(once.events).toEqual([ev(EventType.NodeDataChanged, p)]);
    expect(persistent.events).toEqual([
      ev(EventType.PersistentWatchRemoved, p),
      ev(EventType.PersistentWatchRemoved, p),
    ]);
    expect(await serverWatches(zk, p)).toBe(false);
  });

  it('turns a path back to a plain persistent watch when its recursive watch goes', async () => {
    const p = `${base}/node`;
    await zk.create(p);
    const persistent = collector();
    const recursive = collector();
    await zk.addWatch(p, persistent.callback);
    await zk.addWatch(p, recursive.callback, { mode: 'persistentRecursive' });
    await zk.removeWatches(p, 'persistentRecursive');
    await other.create(`${p}/child`);
    await other.create(`${p}/child/grandchild`);
    await waitUntil(() => persistent.events.length === 1, 'the child event');
    await zk.sync(p);
    expect(persistent.events).toEqual([ev(EventType.NodeChildrenChanged, p)]);
    expect(recursive.events).toEqual([ev(EventType.PersistentWatchRemoved, p)]);
  });

  it('with type any removes every kind of watch on the path, each callback told once per kind', async () => {
    const p = `${base}/node`;
    await zk.create(p, 'v0');
    const data = collector();
    const child = collector();
    const persistent = collector();
    await zk.get(p, data.callback);
    await zk.getChildren(p, child.callback);
    await zk.addWatch(p, persistent.callback);
    await zk.addWatch(p, data.callback, { mode: 'persistentRecursive' });
    await zk.removeWatches(p, 'any');
    expect(await serverWatches(zk, p)).toBe(false);
    await other.set(p, 'v1');
    await other.create(`${p}/c`);
    await zk.sync(p);
    expect(data.events).toEqual([ev(EventType.DataWatchRemoved, p), ev(EventType.PersistentWatchRemoved, p)]);
    expect(child.events).toEqual([ev(EventType.ChildWatchRemoved, p)]);
    expect(persistent.events).toEqual([ev(EventType.PersistentWatchRemoved, p)]);
    expect(unwatched(p)).toEqual([]);
  });

  it('removeAllWatches removes every callback of the type', async () => {
    const p = `${base}/node`;
    await zk.create(p);
    const a = collector();
    const b = collector();
    await zk.getChildren(p, a.callback);
    await zk.getChildren(p, b.callback);
    await zk.removeAllWatches(p, 'children');
    await other.create(`${p}/c`);
    await zk.sync(p);
    expect(a.events).toEqual([ev(EventType.ChildWatchRemoved, p)]);
    expect(b.events).toEqual([ev(EventType.ChildWatchRemoved, p)]);
    expect(unwatched(p)).toEqual([]);
  });

  it('without a connection fails with ConnectionLoss and keeps the watch; with local it removes it', async () => {
    const proxy = await TcpProxy.start(server.host, server.port);
    proxies.push(proxy);
    const client = await pool.open({ hosts: proxy.connectString });
    const p = `${base}/node`;
    await client.create(p, 'v0');
    const { events, callback } = collector();
    await client.get(p, callback);
    proxy.block();
    expect(await rejectionOf(() => client.removeWatches(p, 'data'))).toBeInstanceOf(ConnectionLossError);
    await client.removeWatches(p, 'data', { local: true });
    expect(events).toEqual([ev(EventType.DataWatchRemoved, p, KeeperState.Disconnected)]);
    proxy.unblock();
    await waitUntil(() => client.isConnected, 'the reconnect');
    await other.set(p, 'v1');
    await client.sync(p);
    expect(events).toHaveLength(1);
    expect(await serverWatches(client, p)).toBe(false);
  });

  it('refuses an unknown type or a callback that is not a function', async () => {
    const p = `${base}/node`;
    const type = 'exists' as unknown as RemovableWatchType;
    expect(await rejectionOf(() => zk.removeWatches(p, type))).toBeInstanceOf(InvalidArgumentError);
    const callback = 'f' as unknown as WatchCallback;
    expect(await rejectionOf(() => zk.removeWatches(p, 'data', { callback }))).toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});
