// Issue 6's "no missed change across a reconnect", with every kind of watcher at once: on a
// 3-member ensemble the watcher's member is frozen and then killed while another client changes
// the watched nodes; the watcher resumes its session on another member, and its DataWatch,
// ChildrenWatch, persistent watch and recursive watch each report the change exactly once.

import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { EventType } from '../../protocol/constants.js';
import { startTestingCluster, type TestingCluster } from '../../testing/testing-cluster.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../client/support.js';
import { createInBatches } from './tree-support.js';

const pool = new ClientPool();
let cluster: TestingCluster;

beforeAll(async () => {
  cluster = await startTestingCluster({ size: 3 });
});
afterEach(async () => {
  await pool.stopAll();
});
afterAll(async () => {
  await cluster?.close();
});

/** Node events only: the reconnect's None/SyncConnected notice and removal events aside. */
const changesOf = (events: readonly WatchedEvent[]): string[] =>
  events
    .filter((e) => e.type >= EventType.NodeCreated && e.type <= EventType.NodeChildrenChanged)
    .map((e) => `${e.type} ${e.path}`);

it('DataWatch, ChildrenWatch, a persistent and a recursive watch each report a change made while their member was down exactly once', async () => {
  // On a follower first, so killing it leaves the quorum writable.
  const leader = await cluster.leader();
  const followers = cluster.servers.filter((s) => s !== leader);
  const hosts = [...followers, leader].map((s) => s.connectString).join(',');
  const zk = await pool.open({ hosts, randomizeHosts: false, sessionTimeout: 8000 });
  const victim = cluster.serverFor(zk.connectedTo!);
  const writer = await pool.open({ hosts: cluster.connectStringWithout(victim.id) });
  const root = `/${uniqueName('failover-once')}`;
  const p = `${root}/p`;
  const q = `${root}/q`;
  await createInBatches(writer, [
    [root, ''],
    [p, 'p1'],
    [`${p}/c1`, ''],
    [q, 'q1'],
    [`${q}/deep`, 'd1'],
  ]);
  await zk.sync(root);

  const dataCalls: string[] = [];
  const dataWatch = zk.DataWatch(p, (data) => {
    dataCalls.push(String(data));
  });
  const childrenCalls: string[][] = [];
  const childrenWatch = zk.ChildrenWatch(p, (children) => {
    childrenCalls.push([...children].sort());
  });
  const persistentEvents: WatchedEvent[] = [];
  await zk.addWatch(p, (e) => persistentEvents.push(e), { mode: 'persistent' });
  const recursiveEvents: WatchedEvent[] = [];
  await zk.addWatch(q, (e) => recursiveEvents.push(e), { mode: 'persistentRecursive' });
  await Promise.all([dataWatch.initialized, childrenWatch.initialized]);
  expect(dataCalls).toEqual(['p1']);
  expect(childrenCalls).toEqual([['c1']]);
  const sessionId = zk.clientId!.sessionId;

  await victim.pause(); // nothing below reaches the watcher through this member
  await writer.set(p, 'p2');
  await writer.create(`${p}/c2`);
  await writer.set(q, 'q2');
  await victim.kill();

  await waitUntil(
    () =>
      dataCalls.length >= 2 &&
      childrenCalls.length >= 2 &&
      changesOf(persistentEvents).length >= 2 &&
      changesOf(recursiveEvents).length >= 1,
    'every watcher to report the change',
    { timeoutMs: 30_000 },
  );
  await zk.sync(root);
  await sleep(500); // room for a duplicate to show up
  expect(zk.clientId!.sessionId).toBe(sessionId);
  expect(dataCalls).toEqual(['p1', 'p2']);
  expect(childrenCalls).toEqual([['c1'], ['c1', 'c2']]);
  expect(changesOf(persistentEvents).sort()).toEqual(
    [`${EventType.NodeDataChanged} ${p}`, `${EventType.NodeChildrenChanged} ${p}`].sort(),
  );
  expect(changesOf(recursiveEvents)).toEqual([`${EventType.NodeDataChanged} ${q}`]);

  // Still armed afterwards, on the new member.
  await writer.set(`${q}/deep`, 'd2');
  await waitUntil(() => changesOf(recursiveEvents).length === 2, 'a later change below the recursive watch');
  expect(changesOf(recursiveEvents)[1]).toBe(`${EventType.NodeDataChanged} ${q}/deep`);
  await Promise.all([dataWatch.stop(), childrenWatch.stop()]);
}, 90_000);
