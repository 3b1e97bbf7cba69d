// Barrier against a real server: kazoo's behaviours (its test_barrier cases), the layout (the
// barrier is its node), and the fault kazoo has: its wait does not survive the connection. Here a
// wait goes on through a cut connection and an expired session, and sees a barrier removed while
// it was away.
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { ConnectionClosedError } from '../../lib/errors.js';
import { Barrier } from '../../recipes/barrier.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from '../client/fault-support.js';
import { ClientPool, rejectionOf, sleep, uniqueName, withTimeout } from '../client/support.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });

/** True if `promise` is still unsettled after `ms`. */
async function stillPending(promise: Promise<unknown>, ms = 300): Promise<boolean> {
  const pending = Symbol('pending');
  return (await Promise.race([promise, sleep(ms).then(() => pending)])) === pending;
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

describe('Barrier', () => {
  it('is up while its node exists: create makes the node, remove deletes it and says whether it was up (test_barrier_not_exist, test_barrier_exists)', async () => {
    const zk = await open();
    const path = `/${uniqueName('barrier')}/gate`;
    const barrier = zk.Barrier(path);
    expect(await barrier.wait({ timeout: 50 })).toBe(true);
    await barrier.create();
    await barrier.create();
    expect(await zk.exists(path)).not.toBeNull();
    expect(await barrier.wait({ timeout: 100 })).toBe(false);
    expect(await barrier.remove()).toBe(true);
    expect(await zk.exists(path)).toBeNull();
    expect(await barrier.remove()).toBe(false);
    expect(await barrier.wait({ timeout: 50 })).toBe(true);
  });

  it('releases every waiter when another client removes it (test_barrier_with_remove_thread)', async () => {
    const [a, b] = [await open(), await open()];
    const path = `/${uniqueName('barrier')}`;
    await a.Barrier(path).create();
    const waits = [
      a.Barrier(path).wait(),
      b.Barrier(path).wait(),
      new Barrier(b, path).wait({ timeout: 10_000 }),
    ];
    expect(await stillPending(Promise.race(waits))).toBe(true);
    expect(await b.Barrier(path).remove()).toBe(true);
    expect(await withTimeout(Promise.all(waits), 5000, 'the waits')).toEqual([true, true, true]);
  });

  it('ends a wait with the signal’s reason, and refuses a stopped client', async () => {
    const zk = await open();
    const path = `/${uniqueName('barrier')}`;
    const barrier = zk.Barrier(path);
    await barrier.create();
    const controller = new AbortController();
    const wait = barrier.wait({ signal: controller.signal });
    controller.abort(new Error('no more'));
    await expect(wait).rejects.toThrow('no more');
    await zk.stop();
    expect(await rejectionOf(() => barrier.wait())).toBeInstanceOf(ConnectionClosedError);
  });

  it('waits on through a cut connection and sees a removal made while it was away (kazoo raises ConnectionLoss)', async () => {
    const [zk, proxy] = await openBehindProxy(pool, server, proxies);
    const other = await open();
    const path = `/${uniqueName('barrier')}`;
    await other.Barrier(path).create();
    proxy.block();
    // Started while disconnected: kazoo's exists fails at once with ConnectionLoss.
    const wait = zk.Barrier(path).wait({ timeout: 15_000 });
    expect(await stillPending(wait)).toBe(true);
    await other.Barrier(path).remove();
    proxy.unblock();
    expect(await withTimeout(wait, 10_000, 'the wait')).toBe(true);
  });

  it("re-arms its watch in a new session: a removal while the session expired ends the wait (kazoo's watch dies with the session)", async () => {
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 4000 });
    const recorder = new StateRecorder(zk);
    const other = await open();
    const path = `/${uniqueName('barrier')}`;
    await other.Barrier(path).create();
    const wait = zk.Barrier(path).wait({ timeout: 30_000 });
    expect(await stillPending(wait)).toBe(true);
    await expireWhileAway(server, zk, proxy, recorder, async () => {
      await other.Barrier(path).remove();
    });
    expect(await withTimeout(wait, 10_000, 'the wait')).toBe(true);
    // And a barrier put up again in the new session is waited on with a live watch.
    await other.Barrier(path).create();
    const again = zk.Barrier(path).wait({ timeout: 10_000 });
    expect(await stillPending(again)).toBe(true);
    proxy.cut();
    await sleep(200);
    await other.Barrier(path).remove();
    expect(await withTimeout(again, 10_000, 'the second wait')).toBe(true);
  });
});
