// `await using` on every recipe handle: leaving the block stops a DataWatch or ChildrenWatch and
// closes a TreeCache or CuratorCache, which takes its watches off the server. docs/values.md#disposal

import type { ZooKeeperClient } from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, uniqueName, waitUntil } from '../client/support.js';
import { serverWatches } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
let zk: ZooKeeperClient;
let root: string;

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  zk = await pool.open({ hosts: server.connectString });
  root = `/${uniqueName('dispose')}`;
  await zk.create(root, 'r');
  await zk.create(`${root}/c`, 'c');
});
afterEach(() => pool.stopAll());

/** The paths this test's session holds data watches on, per the server. */
const watched = (): Promise<string[]> => serverWatches(server, zk.clientId!.sessionId);

describe('await using', () => {
  it('stops a DataWatch when the block is left, taking its watch off the server', async () => {
    let outside: { isStopped: boolean } | undefined;
    {
      const seen: unknown[] = [];
      await using watch = zk.DataWatch(root, (data) => void seen.push(data));
      outside = watch;
      await waitUntil(() => seen.length === 1, 'the first call');
      expect(await watched()).toContain(root);
      expect(watch.isStopped).toBe(false);
    }
    expect(outside.isStopped).toBe(true);
    expect(await watched()).not.toContain(root);
  });

  it('stops a ChildrenWatch when the block is left', async () => {
    let outside: { isStopped: boolean } | undefined;
    const calls: string[][] = [];
    {
      await using watch = zk.ChildrenWatch(root, (children) => void calls.push(children));
      outside = watch;
      await waitUntil(() => calls.length === 1, 'the first call');
    }
    expect(outside.isStopped).toBe(true);
    await zk.create(`${root}/d`);
    await zk.sync(root);
    expect(calls).toEqual([['c']]);
  });

  it('closes a TreeCache when the block is left, taking its watches off the server', async () => {
    {
      await using cache = zk.TreeCache(root);
      await cache.start();
      expect(cache.get(`${root}/c`)?.data?.toString()).toBe('c');
      expect(await watched()).toEqual(expect.arrayContaining([root, `${root}/c`]));
    }
    expect(await watched()).toEqual([]);
  });

  it('closes a CuratorCache when the block is left, taking its watch off the server', async () => {
    const events: string[] = [];
    {
      await using cache = zk.CuratorCache(root);
      cache.listen((event) => void events.push(event.type));
      await cache.start();
      expect(cache.get(`${root}/c`)).toBeDefined();
      expect(await watched()).toContain(root);
    }
    expect(await watched()).toEqual([]);
    const heard = events.length;
    await zk.set(`${root}/c`, 'changed');
    await zk.sync(root);
    expect(events.length).toBe(heard);
  });
});
