// The scenarios every subtree cache must pass, written once and run by the TreeCache and the
// CuratorCache specs on their own cache: a 10,000-node tree built under concurrent writes, and a
// failover on a 3-member ensemble while the tree changes.

import type { ZooKeeperClient } from '../../lib/client/client.js';
import type { TestingCluster } from '../../testing/testing-cluster.js';
import type { ClientPool } from '../client/support.js';
import { sleep, uniqueName } from '../client/support.js';
import {
  createBigTree,
  createInBatches,
  describeEvents,
  type MirrorCache,
  recordEvents,
  replayInZxidOrder,
  waitUntilEqual,
  writeWhileBuilding,
} from './tree-support.js';

/** A cache as the scenarios drive it. */
export type StartableCache = MirrorCache & { start(): Promise<void> };

/** Makes the cache under test of the subtree at `root`, not started. */
export type CacheFactory = (zk: ZooKeeperClient, root: string) => StartableCache;

/**
 * Builds a cache of a 10,000-node subtree while another client makes 2,000 writes to it (seeded
 * by `seed`), then checks it ends equal to the server node by node, with every node's events a
 * valid history in zxid order and one `initialized`.
 */
export async function expectBigTreeUnderWrites(
  pool: ClientPool,
  connectString: string,
  makeCache: CacheFactory,
  seed: number,
): Promise<void> {
  const zk = await pool.open({ hosts: connectString });
  const writer = await pool.open({ hosts: connectString });
  const root = `/${uniqueName('cache-big')}`;
  const tree = await createBigTree(writer, root);
  const cache = makeCache(zk, root);
  const events = recordEvents(cache);
  const started = cache.start();
  await writeWhileBuilding(writer, tree, seed);
  await started;
  const expected = await waitUntilEqual(cache, writer, root, 60_000);
  expect(expected.size).toBeGreaterThan(10_000 - 300);
  const replayed = replayInZxidOrder(events);
  expect(new Map([...expected].map(([path, node]) => [path, node.mzxid]))).toEqual(replayed);
  expect(events.filter((e) => e.type === 'initialized')).toHaveLength(1);
}

/**
 * Starts a cache on a follower of `cluster`, freezes that member, changes the tree from another
 * member (an update, a delete, two creates, a same-bytes write that still moves mzxid), kills the
 * frozen member, and checks that the cache converges on the same session, reporting each change
 * exactly once between one suspension and one reconnection, in zxid order. The member is brought
 * back afterwards, so later tests have a full ensemble.
 */
export async function expectConvergesAfterFailover(
  pool: ClientPool,
  cluster: TestingCluster,
  makeCache: CacheFactory,
): Promise<void> {
  // On a follower first, so killing it leaves the quorum writable.
  const leader = await cluster.leader();
  const followers = cluster.servers.filter((s) => s !== leader);
  const hosts = [...followers, leader].map((s) => s.connectString).join(',');
  const zk = await pool.open({ hosts, randomizeHosts: false, sessionTimeout: 6000 });
  const victim = cluster.serverFor(zk.connectedTo!);
  const writer = await pool.open({ hosts: cluster.connectStringWithout(victim.id) });
  const root = `/${uniqueName('cache-failover')}`;
  await createInBatches(writer, [
    [root, ''],
    [`${root}/a`, 'A'],
    [`${root}/b`, 'B'],
    [`${root}/c`, ''],
    [`${root}/c/d`, 'D'],
  ]);
  await zk.sync(root);
  const cache = makeCache(zk, root);
  const all = recordEvents(cache);
  await cache.start();
  await waitUntilEqual(cache, writer, root);
  const initial = all.length;
  const sessionId = zk.clientId!.sessionId;

  try {
    // Frozen first, so every change below is made while the cache cannot hear of it.
    await victim.pause();
    await writer.set(`${root}/a`, 'A2');
    await writer.delete(`${root}/b`);
    await writer.create(`${root}/n`, 'N');
    await writer.create(`${root}/c/e`, 'E');
    await writer.set(`${root}/c/d`, 'D');
    await victim.kill();

    await waitUntilEqual(cache, writer, root, 20_000);
    await sleep(500);
    expect(zk.clientId!.sessionId).toBe(sessionId);
    expect([...describeEvents(all.slice(initial))].sort()).toEqual(
      [
        'connectionReconnected',
        'connectionSuspended',
        `nodeAdded ${root}/c/e`,
        `nodeAdded ${root}/n`,
        `nodeRemoved ${root}/b`,
        `nodeUpdated ${root}/a`,
        `nodeUpdated ${root}/c/d`,
      ].sort(),
    );
    replayInZxidOrder(all);
  } finally {
    await victim.resume().catch(() => undefined);
    if (!victim.running) await victim.restart();
    await cluster.waitForQuorum();
  }
}
