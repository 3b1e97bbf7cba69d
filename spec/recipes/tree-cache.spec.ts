// TreeCache against real servers: the initial build, live changes, a read and a delete crossing
// (kazoo #645), maxDepth, a missing root, an unreadable node, reconnects (no re-read, kazoo #664)
// and session loss (rebuild), failover on a 3-member ensemble, and a 10,000-node subtree under
// concurrent writes whose events must stay in zxid order per node.

import { makeDigestAcl } from '../../lib/acl.js';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { InvalidArgumentError, NoAuthError } from '../../lib/errors.js';
import { OpCode } from '../../protocol/constants.js';
import type { CacheEvent } from '../../recipes/cache-events.js';
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
  serverWatchCount,
  serverWatches,
} from './support.js';
import {
  createInBatches,
  describeEvents,
  recordEvents,
  replayInZxidOrder,
  waitUntilEqual,
} from './tree-support.js';

const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

afterEach(async () => {
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

describe('TreeCache on one server', () => {
  let server: TestingServer;

  beforeAll(async () => {
    server = await startTestingServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  /** A client that reaches the server through a proxy the test can cut. */
  const clientBehindProxy = (
    options: { handler?: RecordingHandler } = {},
  ): Promise<[ZooKeeperClient, CuttableProxy]> => openBehindProxy(pool, server, proxies, options);

  it('builds the subtree, reporting each node added (parents first) and then initialized; get() and children() answer from memory', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('tc-build')}`;
    await createInBatches(zk, [
      [root, 'R'],
      [`${root}/a`, 'A'],
      [`${root}/a/x`, 'X'],
      [`${root}/b`, 'B'],
    ]);
    const cache = zk.TreeCache(root);
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
    expect(described.indexOf(`nodeAdded ${root}`)).toBe(0);
    expect(described.indexOf(`nodeAdded ${root}/a`)).toBeLessThan(described.indexOf(`nodeAdded ${root}/a/x`));

    expect(cache.get(`${root}/a`)?.data?.toString()).toBe('A');
    expect(cache.get(`${root}/a`)?.stat.numChildren).toBe(1);
    expect(cache.children(root)).toEqual(['a', 'b']);
    expect(cache.children(`${root}/a/x`)).toEqual([]);
    expect(cache.get(`${root}/missing`)).toBeUndefined();
    expect(cache.children(`${root}/missing`)).toBeUndefined();
    expect(() => cache.get(`${root}-sibling`)).toThrow(InvalidArgumentError);
    expect(await cache.start()).toBeUndefined(); // idempotent
  });

  it('reports additions, updates (also of the same bytes) and removals, a removed subtree deepest first', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const writer = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('tc-live')}`;
    await createInBatches(zk, [
      [root, ''],
      [`${root}/a`, 'A'],
      [`${root}/d`, ''],
      [`${root}/d/e`, ''],
      [`${root}/d/e/f`, ''],
    ]);
    const cache = zk.TreeCache(root);
    await cache.start();
    const events = recordEvents(cache);

    await writer.create(`${root}/b`, 'B');
    await waitUntil(() => events.length === 1, 'the addition');
    await writer.set(`${root}/a`, 'A2');
    await waitUntil(() => events.length === 2, 'the update');
    await writer.set(`${root}/a`, 'A2');
    await waitUntil(() => events.length === 3, 'the update of the same bytes');
    await writer.delete(`${root}/d`, { recursive: true });
    await waitUntil(() => events.length === 6, 'the removals');

    expect(describeEvents(events)).toEqual([
      `nodeAdded ${root}/b`,
      `nodeUpdated ${root}/a`,
      `nodeUpdated ${root}/a`,
      `nodeRemoved ${root}/d/e/f`,
      `nodeRemoved ${root}/d/e`,
      `nodeRemoved ${root}/d`,
    ]);
    const update = events[1] as Extract<CacheEvent, { type: 'nodeUpdated' }>;
    expect([update.previous.data?.toString(), update.node.data?.toString()]).toEqual(['A', 'A2']);
    expect(cache.children(root)).toEqual(['a', 'b']);
    await waitUntilEqual(cache, writer, root);
  });

  it('applies a read and the deletion that follows it in zxid order, even when the client reads both at once (kazoo #645)', async () => {
    const [zk, proxy] = await clientBehindProxy();
    const writer = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('tc-645')}`;
    await createInBatches(writer, [
      [root, ''],
      [`${root}/branch`, 'create'],
    ]);
    const cache = zk.TreeCache(root);
    const events = recordEvents(cache);
    await cache.start();

    // kazoo's race: the update's event makes the cache read the node; the node is deleted after
    // the server answered that read; the answer and the deletion's event reach the client in one
    // read. A cache that applies the event at once and the (older) answer after it re-adds the node.
    const sessionId = zk.clientId!.sessionId;
    const dataWatched = async (): Promise<boolean> =>
      (await serverWatches(server, sessionId)).includes(`${root}/branch`);
    proxy.hold();
    await writer.set(`${root}/branch`, 'update');
    await waitUntil(async () => !(await dataWatched()), 'the update to fire the data watch');
    proxy.release();
    proxy.hold();
    await waitUntil(dataWatched, 'the re-read to reach the server');
    await writer.delete(`${root}/branch`);
    proxy.release();

    await waitUntilEqual(cache, writer, root);
    expect(describeEvents(events)).toEqual([
      `nodeAdded ${root}`,
      `nodeAdded ${root}/branch`,
      'initialized',
      `nodeUpdated ${root}/branch`,
      `nodeRemoved ${root}/branch`,
    ]);
    replayInZxidOrder(events);
  });

  it("reports a node it may not read as an 'error' event and still initializes with the rest", async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const owner = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('tc-noauth')}`;
    await owner.create(root);
    await owner.create(`${root}/open`, 'O');
    await owner.addAuth('digest', 'owner:secret');
    await owner.create(`${root}/closed`, 'C', { acl: [makeDigestAcl('owner', 'secret')] });
    const cache = zk.TreeCache(root);
    const errors: unknown[] = [];
    cache.on('error', (error) => errors.push(error));

    await cache.start();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(NoAuthError);
    expect(cache.children(root)).toEqual(['open']);
  });

  it('caches no deeper than maxDepth', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('tc-depth')}`;
    await createInBatches(zk, [
      [root, ''],
      [`${root}/a`, ''],
      [`${root}/a/b`, ''],
    ]);
    const shallow = zk.TreeCache(root, { maxDepth: 1 });
    const rootOnly = zk.TreeCache(root, { maxDepth: 0 });
    await Promise.all([shallow.start(), rootOnly.start()]);
    expect(shallow.children(root)).toEqual(['a']);
    expect(shallow.children(`${root}/a`)).toEqual([]);
    expect(shallow.get(`${root}/a/b`)).toBeUndefined();
    expect(rootOnly.get(root)).toBeDefined();
    expect(rootOnly.children(root)).toEqual([]);
    expect(() => zk.TreeCache(root, { maxDepth: -1 })).toThrow(InvalidArgumentError);
  });

  it('waits for a missing root, then follows it through its creation, deletion and re-creation', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('tc-root')}`;
    const cache = zk.TreeCache(root);
    const events = recordEvents(cache);
    await cache.start();
    expect(describeEvents(events)).toEqual(['initialized']);
    expect(cache.get(root)).toBeUndefined();

    await zk.create(root, 'one');
    await zk.create(`${root}/child`);
    await waitUntil(() => cache.children(root)?.length === 1, 'the new root and its child');
    await zk.delete(root, { recursive: true });
    await waitUntil(() => cache.get(root) === undefined, 'the root to go');
    await zk.create(root, 'two');
    await waitUntil(() => cache.get(root)?.data?.toString() === 'two', 'the root to come back');

    expect(describeEvents(events)).toEqual([
      'initialized',
      `nodeAdded ${root}`,
      `nodeAdded ${root}/child`,
      `nodeRemoved ${root}/child`,
      `nodeRemoved ${root}`,
      `nodeAdded ${root}`,
    ]);
  });

  it('reads nothing again after a plain reconnect (the watches are re-set by SetWatches) and reports only what changed meanwhile', async () => {
    const handler = new RecordingHandler();
    const [zk, proxy] = await clientBehindProxy({ handler });
    const writer = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('tc-reconnect')}`;
    await createInBatches(writer, [
      [root, ''],
      [`${root}/a`, 'A'],
      [`${root}/b`, 'B'],
      [`${root}/c`, 'C'],
    ]);
    const cache = zk.TreeCache(root);
    await cache.start();
    const events = recordEvents(cache);
    const recorder = new StateRecorder(zk);
    const readsSoFar = (): number =>
      requestOps(handler.written).filter(
        (op) => op === OpCode.getData || op === OpCode.getChildren2 || op === OpCode.exists,
      ).length;

    const reads = readsSoFar();
    proxy.cut();
    await recorder.waitForState('CONNECTED', 10_000);
    await zk.sync(root);
    await sleep(300);
    expect(readsSoFar()).toBe(reads);
    expect(describeEvents(events)).toEqual(['connectionSuspended', 'connectionReconnected']);

    events.length = 0;
    recorder.clear();
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
    // Only what changed was read: a; b (data and children: a read confirms a deletion); the root's
    // children; the new d (data and children).
    expect(readsSoFar() - reads).toBe(6);
  });

  it('after its session expires, rebuilds on the new session, reports what changed meanwhile, and is initialized again', async () => {
    const [zk, proxy] = await clientBehindProxy();
    const writer = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('tc-expiry')}`;
    await createInBatches(writer, [
      [root, ''],
      [`${root}/a`, 'A'],
      [`${root}/b`, 'B'],
      [`${root}/b/c`, 'C'],
      [`${root}/same`, 'S'],
    ]);
    const cache = zk.TreeCache(root);
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
    expect(described.at(-1)).toBe('initialized');
    expect([...described.slice(2, -1)].sort()).toEqual(
      [
        'connectionReconnected',
        `nodeAdded ${root}/n`,
        `nodeRemoved ${root}/b`,
        `nodeRemoved ${root}/b/c`,
        `nodeUpdated ${root}/a`,
      ].sort(),
    );
    expect(described.indexOf(`nodeRemoved ${root}/b/c`)).toBeLessThan(
      described.indexOf(`nodeRemoved ${root}/b`),
    );

    // Re-armed on the new session.
    await writer.set(`${root}/same`, 'S2');
    await waitUntil(
      () => cache.get(`${root}/same`)?.data?.toString() === 'S2',
      'the change on the new session',
    );
  });

  it('stops following the server when closed', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('tc-close')}`;
    await createInBatches(zk, [
      [root, ''],
      [`${root}/a`, ''],
    ]);
    const cache = zk.TreeCache(root);
    await cache.start();
    const events = recordEvents(cache);
    await cache.close();
    await zk.create(`${root}/b`);
    await zk.set(`${root}/a`, 'changed');
    await zk.sync(root);
    await sleep(200);
    expect(events).toEqual([]);
    expect(cache.get(root)).toBeUndefined();
    await expect(cache.start()).rejects.toThrow(/closed/);
  });

  it('removes its server-side watches when closed', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const root = `/${uniqueName('tc-close-watches')}`;
    await createInBatches(zk, [
      [root, ''],
      [`${root}/a`, ''],
      [`${root}/a/b`, ''],
    ]);
    // Earlier tests' sessions are closed, so this server holds no other watch.
    expect(await serverWatchCount(server)).toBe(0);
    const cache = zk.TreeCache(root);
    await cache.start();
    expect(await serverWatchCount(server)).toBe(6); // a data and a child watch per node
    await cache.close();
    expect(await serverWatchCount(server)).toBe(0);

    // Closed while its first reads are on the wire: the watches they set are removed too.
    const early = zk.TreeCache(root);
    void early.start();
    await early.close();
    expect(await serverWatchCount(server)).toBe(0);
  });

  it('ends equal to the server, node by node, after building a 10,000-node subtree under 2,000 concurrent writes, with every node’s events in zxid order', async () => {
    await expectBigTreeUnderWrites(pool, server.connectString, (zk, root) => zk.TreeCache(root), 20_240_611);
  }, 90_000);
});

describe('TreeCache on a 3-member ensemble', () => {
  let cluster: TestingCluster;

  beforeAll(async () => {
    cluster = await startTestingCluster({ size: 3 });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('converges after the member it is on is killed, reporting each change made meanwhile exactly once', async () => {
    await expectConvergesAfterFailover(pool, cluster, (zk, root) => zk.TreeCache(root));
  });
});
