// CuratorCache against real servers: one persistent recursive watch mirrors a subtree. The build,
// live changes, a plain reconnect (the server replays nothing for persistent watches, so the cache
// re-syncs and reads data only where something changed), session loss (watch re-added, rebuild,
// initialized again), close, failover on a 3-member ensemble, and a 10,000-node subtree under
// concurrent writes that must end equal to the server with events in zxid order.

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { OpCode } from '../../protocol/constants.js';
import { CuratorCache } from '../../recipes/curator-cache.js';
import { startTestingCluster, type TestingCluster } from '../../testing/testing-cluster.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from '../client/fault-support.js';
import { ClientPool, RecordingHandler, sleep, uniqueName, waitUntil } from '../client/support.js';
import { expectBigTreeUnderWrites, expectConvergesAfterFailover } from './cache-scenarios.js';
import {
  type CuttableProxy,
  expireWhileAway,
  openBehindProxy,
  requestOps,
  serverWatches,
} from './support.js';
import { createInBatches, describeEvents, recordEvents, waitUntilEqual } from './tree-support.js';

const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

afterEach(async () => {
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

describe('CuratorCache on one server', () => {
  let server: TestingServer;

  beforeAll(async () => {
    server = await startTestingServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  const clientBehindProxy = (
    options: { handler?: RecordingHandler } = {},
  ): Promise<[ZooKeeperClient, CuttableProxy]> => openBehindProxy(pool, server, proxies, options);

  it('builds the subtree on one persistent recursive watch, parents before children, then initialized', async () => {
    const handler = new RecordingHandler();
    const zk = await pool.open({ hosts: server.connectString, handler });
    const root = `/${uniqueName('cc-build')}`;
    await createInBatches(zk, [
      [root, 'R'],
      [`${root}/a`, 'A'],
      [`${root}/a/x`, 'X'],
      [`${root}/b`, 'B'],
    ]);
    const cache = new CuratorCache(zk, root);
    const events = recordEvents(cache);
    await cache.start();
    const described = describeEvents(events);
    expect(described.at(-1)).toBe('initialized');
    expect([...described].sort()).toEqual(
      [
        'initialized',
        `nodeAdded ${root}`,
        `nodeAdded ${root}/a`,
        `nodeAdded ${root}/a/x`,
        `nodeAdded ${root}/b`,
      ].sort(),
    );
    expect(described.indexOf(`nodeAdded ${root}/a`)).toBeLessThan(described.indexOf(`nodeAdded ${root}/a/x`));
    expect(cache.get(`${root}/a/x`)?.data?.toString()).toBe('X');
    expect(cache.children(root)).toEqual(['a', 'b']);
    expect(cache.size).toBe(4);
    // One addWatch, and no one-shot watch on any read.
    const ops = requestOps(handler.written);
    expect(ops.filter((op) => op === OpCode.addWatch)).toHaveLength(1);
  });

  it('reports creations, updates (also of the same bytes) and deletions as they happen, a deleted subtree deepest first', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const writer = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('cc-live')}`;
    await createInBatches(writer, [
      [root, ''],
      [`${root}/a`, 'A'],
    ]);
    const cache = new CuratorCache(zk, root);
    await cache.start();
    const events = recordEvents(cache);
    await writer.create(`${root}/b`, 'B');
    await writer.create(`${root}/b/c`, 'C');
    await writer.set(`${root}/a`, 'A');
    await writer.delete(`${root}/b`, { recursive: true });
    await waitUntilEqual(cache, writer, root);
    await waitUntil(() => events.length >= 5, 'five events');
    expect(describeEvents(events)).toEqual([
      `nodeAdded ${root}/b`,
      `nodeAdded ${root}/b/c`,
      `nodeUpdated ${root}/a`,
      `nodeRemoved ${root}/b/c`,
      `nodeRemoved ${root}/b`,
    ]);
  });

  it('waits for a missing root and follows its creation, deletion and re-creation', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('cc-missing')}`;
    const cache = zk.CuratorCache(root);
    expect(cache).toBeInstanceOf(CuratorCache);
    const events = recordEvents(cache);
    await cache.start();
    expect(cache.size).toBe(0);
    await zk.create(root, '1');
    await zk.create(`${root}/k`, 'K');
    await waitUntil(() => cache.get(`${root}/k`) !== undefined, 'the child');
    await zk.delete(root, { recursive: true });
    await waitUntil(() => cache.size === 0, 'the removal');
    await zk.create(root, '2');
    await waitUntil(() => cache.get(root)?.data?.toString() === '2', 'the re-created root');
    expect(describeEvents(events)).toEqual([
      'initialized',
      `nodeAdded ${root}`,
      `nodeAdded ${root}/k`,
      `nodeRemoved ${root}/k`,
      `nodeRemoved ${root}`,
      `nodeAdded ${root}`,
    ]);
  });

  it('after a plain reconnect re-syncs and reports exactly what changed meanwhile, reading data only of changed nodes', async () => {
    const handler = new RecordingHandler();
    const [zk, proxy] = await clientBehindProxy({ handler });
    const writer = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('cc-reconnect')}`;
    await createInBatches(writer, [
      [root, ''],
      [`${root}/a`, 'A'],
      [`${root}/b`, 'B'],
      [`${root}/c`, 'C'],
    ]);
    const cache = new CuratorCache(zk, root);
    await cache.start();
    const events = recordEvents(cache);
    const recorder = new StateRecorder(zk);
    const dataReads = (): number => requestOps(handler.written).filter((op) => op === OpCode.getData).length;
    const before = dataReads();

    proxy.block();
    await recorder.waitForState('SUSPENDED', 5000);
    await writer.set(`${root}/a`, 'A2');
    await writer.delete(`${root}/b`);
    await writer.create(`${root}/d`, 'D');
    proxy.unblock();
    await waitUntilEqual(cache, writer, root);
    await sleep(300);
    expect([...describeEvents(events)].sort()).toEqual(
      [
        'connectionSuspended',
        'connectionReconnected',
        `nodeAdded ${root}/d`,
        `nodeRemoved ${root}/b`,
        `nodeUpdated ${root}/a`,
      ].sort(),
    );
    // Data of a and d only (c and the root did not change); no 'initialized' on a plain reconnect.
    expect(dataReads() - before).toBe(2);
    // The watch is still there: a change after the reconnect is reported.
    await writer.set(`${root}/c`, 'C2');
    await waitUntil(() => cache.get(`${root}/c`)?.data?.toString() === 'C2', 'the change after reconnecting');
  });

  it('after its session expires, adds its watch again, rebuilds, reports what changed, and is initialized again', async () => {
    const [zk, proxy] = await clientBehindProxy();
    const writer = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('cc-expiry')}`;
    await createInBatches(writer, [
      [root, ''],
      [`${root}/a`, 'A'],
      [`${root}/b`, 'B'],
      [`${root}/b/c`, 'C'],
      [`${root}/same`, 'S'],
    ]);
    const cache = new CuratorCache(zk, root);
    await cache.start();
    const events = recordEvents(cache);
    const recorder = new StateRecorder(zk);
    await expireWhileAway(server, zk, proxy, recorder, async () => {
      await writer.set(`${root}/a`, 'A2');
      await writer.delete(`${root}/b`, { recursive: true });
      await writer.create(`${root}/n`, 'N');
    });
    await waitUntil(() => events.at(-1)?.type === 'initialized', 'initialized after the rebuild');
    await waitUntilEqual(cache, writer, root);
    const described = describeEvents(events);
    expect(described.slice(0, 2)).toEqual(['connectionSuspended', 'connectionLost']);
    expect([...described.slice(2, -1)].sort()).toEqual(
      [
        'connectionReconnected',
        `nodeAdded ${root}/n`,
        `nodeRemoved ${root}/b`,
        `nodeRemoved ${root}/b/c`,
        `nodeUpdated ${root}/a`,
      ].sort(),
    );
    await writer.set(`${root}/same`, 'S2');
    await waitUntil(
      () => cache.get(`${root}/same`)?.data?.toString() === 'S2',
      'the change on the new session',
    );
  });

  it('stops following the server when closed, and removes its watch', async () => {
    const handler = new RecordingHandler();
    const zk = await pool.open({ hosts: server.connectString, handler });
    const root = `/${uniqueName('cc-close')}`;
    await createInBatches(zk, [
      [root, ''],
      [`${root}/a`, ''],
    ]);
    const cache = new CuratorCache(zk, root);
    await cache.start();
    const events = recordEvents(cache);
    const sessionId = zk.clientId!.sessionId;
    // The recursive watch sits in the server's data table too, which wchc lists.
    expect(await serverWatches(server, sessionId)).toContain(root);
    await cache.close();
    expect(requestOps(handler.written)).toContain(OpCode.removeWatches);
    expect(await serverWatches(server, sessionId)).not.toContain(root);
    await zk.create(`${root}/b`);
    await zk.set(`${root}/a`, 'changed');
    await zk.sync(root);
    await sleep(200);
    expect(events).toEqual([]);
  });

  it('ends equal to the server, node by node, after building a 10,000-node subtree under 2,000 concurrent writes, with every node’s events in zxid order', async () => {
    await expectBigTreeUnderWrites(
      pool,
      server.connectString,
      (zk, root) => zk.CuratorCache(root),
      20_261_125,
    );
  }, 90_000);
});

describe('CuratorCache on a 3-member ensemble', () => {
  let cluster: TestingCluster;

  beforeAll(async () => {
    cluster = await startTestingCluster({ size: 3 });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('converges after the member it is on is killed, reporting each change made meanwhile exactly once', async () => {
    await expectConvergesAfterFailover(pool, cluster, (zk, root) => zk.CuratorCache(root));
  });
});
