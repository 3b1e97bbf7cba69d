// LeaderLatch on a 3-member ensemble, where a server's death matters: Curator's testInCluster (each
// participant reaches one member only; the leader's member dies, so its session expires and
// another participant leads) and the death of the ensemble's own leader (every participant is
// cut off during the election, keeps its session, and the same node leads again). A sampler
// counts the leaders every 2 ms throughout: never more than one.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import type { LeaderLatch } from '../../../recipes/curator/leader-latch.js';
import { startTestingCluster, type TestingCluster } from '../../../testing/testing-cluster.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../../client/support.js';

const pool = new ClientPool();
let cluster: TestingCluster;
const latches: LeaderLatch[] = [];

/** Bound of the waits that span a session expiry or an election, ms. */
const WAIT = 30_000;

beforeAll(async () => {
  cluster = await startTestingCluster({ size: 3 });
});
afterEach(async () => {
  await Promise.all(latches.splice(0).map((latch) => latch.close().catch(() => undefined)));
  await pool.stopAll();
  for (const server of cluster.servers) if (!server.running) await server.restart();
  await cluster.waitForQuorum();
});
afterAll(async () => {
  await cluster?.close();
});

const leadersOf = (group: readonly LeaderLatch[]): LeaderLatch[] =>
  group.filter((latch) => latch.hasLeadership);

/** Each latch's id, state and node, for a failure message (a latch itself does not print well). */
const describeGroup = (group: readonly LeaderLatch[]): string[] =>
  group.map((latch) => `${latch.id} ${latch.hasLeadership ? 'leads' : 'waits'} ${latch.getOurPath()}`);

function sampleLeaders(group: readonly LeaderLatch[]): { most: () => number; stop: () => void } {
  let most = 0;
  const timer = setInterval(() => {
    most = Math.max(most, leadersOf(group).length);
  }, 2);
  return { most: () => most, stop: () => clearInterval(timer) };
}

async function latchOn(zk: ZooKeeperClient, path: string, id: string): Promise<LeaderLatch> {
  const latch = zk.LeaderLatch(path, id);
  latches.push(latch);
  await latch.start();
  return latch;
}

it("passes leadership once the leader's only member dies and its session expires; it never stays leader meanwhile (testInCluster)", async () => {
  const path = `/${uniqueName('latch-cluster')}`;
  const clients = await Promise.all(
    cluster.servers.map((server) => pool.open({ hosts: server.connectString, sessionTimeout: 4000 })),
  );
  const group: LeaderLatch[] = [];
  for (const [i, zk] of clients.entries()) group.push(await latchOn(zk, path, `p${i}`));
  await waitUntil(() => leadersOf(group).length === 1, 'a leader');
  const [leader] = leadersOf(group);
  const index = group.indexOf(leader!);
  const sampler = sampleLeaders(group);
  try {
    await cluster.servers[index]!.kill();
    await waitUntil(() => !leader!.hasLeadership, 'the cut-off leader to step down', { timeoutMs: 5000 });
    await waitUntil(() => leadersOf(group).length === 1, 'another leader', { timeoutMs: WAIT });
    expect(leadersOf(group)[0]).not.toBe(leader);
    await cluster.servers[index]!.restart();
    // The old leader's client gets back to its member, learns its session expired, and rejoins.
    await waitUntil(
      async () => (await clients[(index + 1) % 3]!.getChildren(path)).length === 3,
      'the old leader to rejoin with a new node',
      { timeoutMs: WAIT },
    );
    await sleep(300);
  } finally {
    sampler.stop();
  }
  expect(sampler.most()).toBe(1);
  expect(leadersOf(group)).toHaveLength(1);
  expect(leader!.hasLeadership).toBe(false);
}, 90_000);

it("keeps its node through the death of the ensemble's leader: the same participant leads again after the election", async () => {
  const path = `/${uniqueName('latch-quorum')}`;
  const clients = await Promise.all(
    [0, 1, 2].map(() => pool.open({ hosts: cluster.connectString, sessionTimeout: 20_000 })),
  );
  const group: LeaderLatch[] = [];
  for (const [i, zk] of clients.entries()) group.push(await latchOn(zk, path, `p${i}`));
  await waitUntil(() => leadersOf(group).length === 1, 'a leader');
  const [leader] = leadersOf(group);
  const nodes = group.map((latch) => latch.getOurPath());
  const sessions = clients.map((zk) => zk.clientId!.sessionId);
  const sampler = sampleLeaders(group);
  try {
    await (await cluster.leader()).kill();
    // Every member drops its clients while it elects: the latch leader is SUSPENDED and steps down
    // (Curator's Standard policy). Waited for first: the clients notice the drop a moment after the
    // kill, and until then the old picture (one leader, all CONNECTED) still holds.
    await waitUntil(() => !leader!.hasLeadership, 'the leader to step down during the election', {
      timeoutMs: WAIT,
    });
    await waitUntil(
      () => leadersOf(group).length === 1 && clients.every((zk) => zk.state === 'CONNECTED'),
      'a leader after the election',
      {
        timeoutMs: WAIT,
      },
    );
    await sleep(300);
  } finally {
    sampler.stop();
  }
  expect(sampler.most()).toBe(1);
  expect(describeGroup(group)).toEqual(
    group.map((latch, i) => `${latch.id} ${latch === leader ? 'leads' : 'waits'} ${nodes[i]}`),
  );
  expect(clients.map((zk) => zk.clientId!.sessionId)).toEqual(sessions);
}, 90_000);
