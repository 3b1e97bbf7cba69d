// ChildrenWatch against a real server: kazoo's behaviour (first call at once, a missing or deleted
// node ends it, allowSessionLost, sendEvent, stop by returning false, decorator form) with the
// meaning of allowSessionLost fixed (#156) and the server-side watch removed on stop (#733).
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { NoNodeError } from '../../lib/errors.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { EventType, KeeperState } from '../../protocol/constants.js';
import { ChildrenWatch } from '../../recipes/children-watch.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from '../client/fault-support.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../client/support.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy, serverWatchCount } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

/** A client that reaches the server through a proxy the test can cut. */
const clientBehindProxy = (): Promise<[ZooKeeperClient, CuttableProxy]> =>
  openBehindProxy(pool, server, proxies);

/** A node with the given children, under a unique name. */
async function parentWith(zk: ZooKeeperClient, prefix: string, children: string[]): Promise<string> {
  const path = `/${uniqueName(prefix)}`;
  await zk.create(path);
  for (const child of children) await zk.create(`${path}/${child}`);
  return path;
}

/** The lists a watch was called with, each sorted. */
function recordLists(): { lists: string[][]; fn: (children: string[]) => void } {
  const lists: string[][] = [];
  return { lists, fn: (children) => lists.push([...children].sort()) };
}

beforeAll(async () => {
  server = await startTestingServer();
});

afterEach(async () => {
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await server?.close();
});

describe('ChildrenWatch', () => {
  it('calls the function at once with the children, then after each change, with the event when sendEvent is set', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = await parentWith(zk, 'cw-initial', ['a', 'b']);
    const { lists, fn } = recordLists();
    const withEvents: Array<[string[], WatchedEvent | undefined]> = [];

    await zk.ChildrenWatch(path, fn).initialized;
    await zk.ChildrenWatch(path, (children, event) => withEvents.push([[...children].sort(), event]), {
      sendEvent: true,
    }).initialized;
    expect(lists).toEqual([['a', 'b']]);

    await zk.create(`${path}/c`);
    await waitUntil(() => lists.length === 2 && withEvents.length === 2, 'the calls for the new child');
    await zk.delete(`${path}/a`);
    await waitUntil(() => lists.length === 3 && withEvents.length === 3, 'the calls for the deleted child');

    expect(lists).toEqual([
      ['a', 'b'],
      ['a', 'b', 'c'],
      ['b', 'c'],
    ]);
    const changed = { type: EventType.NodeChildrenChanged, state: KeeperState.SyncConnected, path };
    expect(withEvents).toEqual([
      [['a', 'b'], undefined],
      [['a', 'b', 'c'], changed],
      [['b', 'c'], changed],
    ]);
  });

  it('after a reconnect calls the function only if the list differs', async () => {
    const [zk, proxy] = await clientBehindProxy();
    const writer = await pool.open({ hosts: server.connectString });
    const path = await parentWith(writer, 'cw-reconnect', ['a']);
    const { lists, fn } = recordLists();
    await zk.ChildrenWatch(path, fn).initialized;
    const recorder = new StateRecorder(zk);

    // Nothing changed: nothing to report.
    proxy.cut();
    await recorder.waitForState('CONNECTED', 10_000);
    // A child added and removed while away: the server reports a change, but the list is the same.
    recorder.clear();
    proxy.block();
    await recorder.waitForState('SUSPENDED', 5000);
    await writer.create(`${path}/transient`);
    await writer.delete(`${path}/transient`);
    proxy.unblock();
    await recorder.waitForState('CONNECTED', 10_000);
    await zk.sync(path);
    await sleep(300);
    expect(lists).toEqual([['a']]);

    // A real difference made while away is reported once.
    recorder.clear();
    proxy.block();
    await recorder.waitForState('SUSPENDED', 5000);
    await writer.create(`${path}/b`);
    proxy.unblock();
    await recorder.waitForState('CONNECTED', 10_000);
    await waitUntil(() => lists.length === 2, 'the call for the new list');
    await sleep(300);
    expect(lists).toEqual([['a'], ['a', 'b']]);
  });

  it('with allowSessionLost false, survives a plain disconnect but stops when the session expires', async () => {
    const [zk, proxy] = await clientBehindProxy();
    const writer = await pool.open({ hosts: server.connectString });
    const path = await parentWith(writer, 'cw-no-session-lost', []);
    const { lists, fn } = recordLists();
    const recorder = new StateRecorder(zk);
    const listeners = zk.listenerCount('state');
    const watch = zk.ChildrenWatch(path, fn, { allowSessionLost: false });
    await watch.initialized;

    // kazoo's watch would be dead after this drop (#156); the session is intact, so this one is not.
    proxy.cut();
    await recorder.waitForState('CONNECTED', 10_000);
    await writer.create(`${path}/after-drop`);
    await waitUntil(() => lists.length === 2, 'the call after the disconnect');

    await expireWhileAway(server, zk, proxy, recorder, () => writer.create(`${path}/while-expired`));
    expect(watch.isStopped).toBe(true);
    expect(zk.listenerCount('state')).toBe(listeners);
    await writer.create(`${path}/on-new-session`);
    await zk.sync(path);
    await sleep(300);
    expect(lists).toEqual([[], ['after-drop']]);
  });

  it('with allowSessionLost true (the default), re-arms after its session expires and reports the list if it changed', async () => {
    const [zk, proxy] = await clientBehindProxy();
    const writer = await pool.open({ hosts: server.connectString });
    const path = await parentWith(writer, 'cw-session-lost', ['a']);
    const recorder = new StateRecorder(zk);
    const events: Array<[string[], EventType | undefined]> = [];
    const watch = zk.ChildrenWatch(
      path,
      (children, event) => events.push([[...children].sort(), event?.type]),
      {
        sendEvent: true,
      },
    );
    await watch.initialized;

    await expireWhileAway(server, zk, proxy, recorder, () => writer.create(`${path}/b`));
    await waitUntil(() => events.length === 2, 'the re-read on the new session');
    // The re-arm (a getChildren with a watch) runs after CONNECTED; a change made before it lands
    // is reported by the re-read, without an event. So wait until the server holds as many watches
    // as before the expiry (wchc would not do: on 3.8 it lists data watches only).
    const watchesBefore = await serverWatchCount(server);
    await expireWhileAway(server, zk, proxy, recorder);
    await waitUntil(async () => (await serverWatchCount(server)) === watchesBefore, 'the re-armed watch');
    await writer.create(`${path}/c`);
    await waitUntil(() => events.length === 3, 'the call on the new session');
    expect(events).toEqual([
      [['a'], undefined],
      [['a', 'b'], undefined],
      [['a', 'b', 'c'], EventType.NodeChildrenChanged],
    ]);
    expect(watch.isStopped).toBe(false);
  });

  it('never calls the function for a missing node (initialized rejects with NoNodeError), and stops when its node is deleted', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const listeners = zk.listenerCount('state');
    const calls: string[][] = [];
    const missing = zk.ChildrenWatch(`/${uniqueName('cw-missing')}`, (children) => calls.push(children));
    await expect(missing.initialized).rejects.toBeInstanceOf(NoNodeError);
    expect(missing.isStopped).toBe(true);
    expect(calls).toEqual([]);

    const path = await parentWith(zk, 'cw-deleted', ['a']);
    const { lists, fn } = recordLists();
    const watch = zk.ChildrenWatch(path, fn);
    await watch.initialized;
    await zk.delete(path, { recursive: true });
    await waitUntil(() => watch.isStopped, 'the watch to stop');
    await zk.create(path);
    await zk.create(`${path}/again`);
    await sleep(300);
    expect(lists).toEqual([['a'], []]);
    expect(zk.listenerCount('state')).toBe(listeners);
  });

  it('stops when the function returns false, and works in the decorator form', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = await parentWith(zk, 'cw-false', []);
    const seen: string[][] = [];
    const bind = zk.ChildrenWatch(path);
    const watch = bind((children) => {
      seen.push(children);
      return children.length < 1 ? undefined : false;
    });
    expect(watch).toBeInstanceOf(ChildrenWatch);
    expect(() => bind(() => {})).toThrow(/already been associated/);
    await watch.initialized;

    await zk.create(`${path}/a`);
    await waitUntil(() => watch.isStopped, 'the watch to stop');
    await zk.create(`${path}/b`);
    await zk.sync(path);
    await sleep(200);
    expect(seen).toEqual([[], ['a']]);
  });

  it('removes its server-side child watch when it stops (kazoo #733 leaves it)', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = await parentWith(zk, 'cw-removed', []);
    // Earlier tests' sessions are closed, so this server holds no other watch.
    expect(await serverWatchCount(server)).toBe(0);
    const watch = zk.ChildrenWatch(path, (children) => (children.includes('stop') ? false : undefined));
    await watch.initialized;
    expect(await serverWatchCount(server)).toBe(1);

    await zk.create(`${path}/stop`);
    await waitUntil(() => watch.isStopped, 'the watch to stop');
    await watch.stop();
    expect(await serverWatchCount(server)).toBe(0);
  });
});
