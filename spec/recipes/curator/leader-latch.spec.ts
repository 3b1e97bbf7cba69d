// LeaderLatch against a real server: Curator's own behaviours (TestLeaderLatch, one test each), the
// layout read back from the znodes, and the faults its issues are about — a connection cut
// (SUSPENDED drops leadership, the reconnect keeps the node: CURATOR-644/645), a session expired on
// the server (no split brain), a node of another session at the head (CURATOR-696) and the
// directory deleted while away (CURATOR-724). A sampler counts leaders every few ms while faults
// happen: never more than one.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { ConnectionClosedError, NoNodeError } from '../../../lib/errors.js';
import type { LeaderLatch } from '../../../recipes/curator/leader-latch.js';
import { CancelledError } from '../../../recipes/recipe-errors.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { StateRecorder } from '../../client/fault-support.js';
import { ClientPool, rejectionOf, sleep, uniqueName, waitUntil } from '../../client/support.js';
import { holdUntilApplied, loseHeldReplies } from '../reply-stepping.js';
import {
  type CuttableProxy,
  containerChildren,
  expireWhileAway,
  openBehindProxy,
  serverWatches,
} from '../support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];
const latches: LeaderLatch[] = [];

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });
const latchPath = (name: string): string => `/${uniqueName(name)}`;
const PROTECTED_LATCH = /^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-latch-\d{10}$/;

/** A started latch (its node made and looked at once), closed after the test. */
async function started(zk: ZooKeeperClient, path: string, id = ''): Promise<LeaderLatch> {
  const latch = zk.LeaderLatch(path, id);
  latches.push(latch);
  await latch.start();
  return latch;
}

/** The ids of the latches that lead now. */
const leadersOf = (group: readonly LeaderLatch[]): string[] =>
  group.filter((latch) => latch.hasLeadership).map((latch) => latch.id);

/** Counts the leaders among `group` every 2 ms until stopped; `most` is the largest count seen. */
function sampleLeaders(group: readonly LeaderLatch[]): { most: () => number; stop: () => void } {
  let most = 0;
  const timer = setInterval(() => {
    most = Math.max(most, leadersOf(group).length);
  }, 2);
  return { most: () => most, stop: () => clearInterval(timer) };
}

/**
 * Deletes a directory and its children in one multi. A recursive delete goes child by child, and a
 * latch whose watch fires in between makes its node again before the directory goes (NOTEMPTY).
 */
async function deleteAtOnce(zk: ZooKeeperClient, path: string): Promise<void> {
  for (;;) {
    const transaction = zk.transaction();
    for (const child of await zk.getChildren(path)) transaction.delete(`${path}/${child}`);
    const results = await transaction.delete(path).commit();
    if (results.every((result) => result === true)) return;
  }
}

/** Every 'isLeader' and 'notLeader' of `latch`, with the node it had then. */
function recordEvents(latch: LeaderLatch): Array<[string, string | undefined]> {
  const events: Array<[string, string | undefined]> = [];
  latch.on('isLeader', () => events.push(['isLeader', latch.getOurPath()]));
  latch.on('notLeader', () => events.push(['notLeader', latch.getOurPath()]));
  return events;
}

beforeAll(async () => {
  server = await startTestingServer();
});

afterEach(async () => {
  await Promise.all(latches.splice(0).map((latch) => latch.close().catch(() => undefined)));
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await server?.close();
});

describe('LeaderLatch', () => {
  it("stands in Curator's layout: _c_<uuid>-latch-<seq> ephemeral nodes holding the ids, under a container directory", async () => {
    const [a, b] = [await open(), await open()];
    const path = latchPath('latch-layout');
    const first = await started(a, path, 'first-ü');
    const second = await started(b, path, 'second');
    const children = await a.getChildren(path);
    expect(children).toHaveLength(2);
    for (const child of children) expect(child).toMatch(PROTECTED_LATCH);
    const [data, stat] = await a.get(first.getOurPath()!);
    expect(data?.toString('utf8')).toBe('first-ü');
    expect(stat.ephemeralOwner).toBe(a.clientId?.sessionId);
    expect((await a.get(second.getOurPath()!))[1].ephemeralOwner).toBe(b.clientId?.sessionId);
    expect(first.hasLeadership).toBe(true);
    expect(second.hasLeadership).toBe(false);
    expect(first.getLastPathIsLeader()).toBe(first.getOurPath());
    expect(second.getLastPathIsLeader()).toBeUndefined();
    expect(await second.getParticipants()).toEqual([
      { id: 'first-ü', isLeader: true },
      { id: 'second', isLeader: false },
    ]);
    expect(await second.getLeader()).toEqual({ id: 'first-ü', isLeader: true });
    await first.close();
    await second.close();
    expect(await containerChildren(a, path)).toEqual([]);
    // A container: the server reaps the directory once it is empty.
    await waitUntil(async () => (await a.exists(path)) === null, 'the directory to be reaped', {
      timeoutMs: 10_000,
    });
  });

  it('answers getLeader and getParticipants on a path that does not exist (CURATOR-436: NoNode)', async () => {
    const zk = await open();
    const latch = zk.LeaderLatch(`${latchPath('latch-uncreated')}/foo/bar`);
    expect(await latch.getLeader()).toEqual({ id: '', isLeader: false });
    expect(await latch.getParticipants()).toEqual([]);
  });

  it('elects exactly one of 10 latches on one client, and the next one each time the leader closes (testBasic)', async () => {
    const zk = await open();
    const path = latchPath('latch-basic');
    const group: LeaderLatch[] = [];
    for (let i = 0; i < 10; i++) group.push(await started(zk, path, `p${i}`));
    const sampler = sampleLeaders(group);
    try {
      for (let round = 0; round < 10; round++) {
        await waitUntil(() => leadersOf(group).length === 1, `a leader in round ${round}`);
        const [leader] = group.filter((latch) => latch.hasLeadership);
        expect(leader!.id).toBe(`p${round}`); // in the order they entered
        await leader!.close();
      }
    } finally {
      sampler.stop();
    }
    expect(sampler.most()).toBe(1);
  });

  it('lets each waiter watch only its predecessor (server wchc); closing a middle latch does not make its predecessor lead (testCorrectWatching)', async () => {
    const clients = [await open(), await open(), await open(), await open()];
    const path = latchPath('latch-watching');
    const group: LeaderLatch[] = [];
    for (const [i, zk] of clients.entries()) group.push(await started(zk, path, `p${i}`));
    const watched = (i: number) => serverWatches(server, clients[i]!.clientId!.sessionId);
    // The leader watches its own node; each other latch the one just before it.
    for (const [i, latch] of group.entries()) {
      const expected = i === 0 ? latch.getOurPath()! : group[i - 1]!.getOurPath()!;
      await waitUntil(async () => (await watched(i)).join() === expected, `p${i}'s watch`);
    }
    await group[2]!.close();
    await waitUntil(async () => (await watched(3)).join() === group[1]!.getOurPath(), 'p3 to watch p1');
    expect(leadersOf(group)).toEqual(['p0']);
    expect(await watched(2)).toEqual([]);
  });

  it('resolves await() true for each of 10 concurrent latches in turn, one inside at a time (testWaiting)', async () => {
    const zk = await open();
    const path = latchPath('latch-waiting');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const latch = zk.LeaderLatch(path, `w${i}`);
        latches.push(latch);
        void latch.start();
        expect(await latch.await({ timeout: 20_000 })).toBe(true);
        most = Math.max(most, ++inside);
        await sleep(5 + Math.random() * 10);
        inside--;
        await latch.close();
      }),
    );
    expect(most).toBe(1);
  });

  it('resolves await() false on timeout, at once for 0, rejects on abort, on close and before start', async () => {
    const zk = await open();
    const path = latchPath('latch-await');
    const leader = await started(zk, path, 'leader');
    expect(await leader.await({ timeout: 0 })).toBe(true);
    const follower = await started(zk, path, 'follower');
    expect(await follower.await({ timeout: 0 })).toBe(false);
    const before = Date.now();
    expect(await follower.await({ timeout: 300 })).toBe(false);
    expect(Date.now() - before).toBeGreaterThanOrEqual(250);
    const controller = new AbortController();
    const aborted = follower.await({ signal: controller.signal }).catch((error: unknown) => error);
    controller.abort(new Error('no longer wanted'));
    expect(((await aborted) as Error).message).toBe('no longer wanted');
    const waiting = follower.await().catch((error: unknown) => error);
    await follower.close();
    expect(await waiting).toBeInstanceOf(CancelledError);
    expect(await rejectionOf(() => zk.LeaderLatch(path).await())).toBeInstanceOf(CancelledError);
    expect(await rejectionOf(() => leader.start())).toBeInstanceOf(Error);
  });

  it("emits 'notLeader' on close only with notifyLeader, from the constructor or close() (testCallbackDontNotify)", async () => {
    const zk = await open();
    const path = latchPath('latch-notify');
    const silent = await started(zk, path, 'silent');
    const silentEvents = recordEvents(silent);
    await silent.close();
    expect(silent.hasLeadership).toBe(false);
    const notifying = zk.LeaderLatch(path, 'notifying', { notifyLeaderOnClose: true });
    latches.push(notifying);
    const notifyingEvents = recordEvents(notifying);
    await notifying.start();
    await notifying.close();
    const overridden = await started(zk, path, 'overridden');
    const overriddenEvents = recordEvents(overridden);
    await overridden.close({ notifyLeader: true });
    expect(silentEvents).toEqual([]);
    expect(notifyingEvents.map(([name]) => name)).toEqual(['isLeader', 'notLeader']);
    expect(overriddenEvents.map(([name]) => name)).toEqual(['notLeader']);
    expect(overridden.state).toBe('closed');
  });

  it('leaves no node when closed while its create is in flight (testCreateDeleteRace), and close is idempotent', async () => {
    const zk = await open();
    const path = latchPath('latch-race');
    await zk.create(path);
    for (let i = 0; i < 5; i++) {
      const latch = zk.LeaderLatch(path);
      const starting = latch.start();
      await latch.close();
      await latch.close();
      await starting;
      expect(latch.hasLeadership).toBe(false);
    }
    expect(await containerChildren(zk, path)).toEqual([]);
  });

  it('rejects start() on a client that was never started', async () => {
    const zk = pool.create({ hosts: server.connectString });
    expect(await rejectionOf(() => zk.LeaderLatch(latchPath('latch-closed')).start())).toBeInstanceOf(
      ConnectionClosedError,
    );
  });

  it('drops leadership while SUSPENDED and takes it back with the same node after the reconnect; two latches do not livelock (CURATOR-644/645)', async () => {
    const [leaderZk, leaderProxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const [otherZk, otherProxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const path = latchPath('latch-suspend');
    const leader = await started(leaderZk, path, 'leader');
    const other = await started(otherZk, path, 'other');
    const events = recordEvents(leader);
    const nodes = [leader.getOurPath(), other.getOurPath()];
    const sampler = sampleLeaders([leader, other]);
    try {
      for (let round = 0; round < 3; round++) {
        leaderProxy.block();
        otherProxy.block();
        await waitUntil(() => !leader.hasLeadership, 'the leader to step down while suspended');
        await sleep(300);
        expect(leadersOf([leader, other])).toEqual([]);
        leaderProxy.unblock();
        otherProxy.unblock();
        await waitUntil(() => leader.hasLeadership, `the leader back in round ${round}`);
      }
      await sleep(300);
    } finally {
      sampler.stop();
    }
    expect(sampler.most()).toBe(1);
    expect([leader.getOurPath(), other.getOurPath()]).toEqual(nodes);
    expect((await otherZk.getChildren(path)).length).toBe(2);
    expect(events.map(([name]) => name)).toEqual([
      'notLeader',
      'isLeader',
      'notLeader',
      'isLeader',
      'notLeader',
      'isLeader',
    ]);
  });

  it("passes leadership when the leader's session is expired on the server, and the old leader rejoins behind (testSessionInterruptionDoNotCauseBrainSplit)", async () => {
    const [leaderZk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 4000 });
    const recorder = new StateRecorder(leaderZk);
    const otherZk = await open();
    const path = latchPath('latch-expire');
    const leader = await started(leaderZk, path, 'leader');
    const other = await started(otherZk, path, 'other');
    const events = recordEvents(leader);
    const oldNode = leader.getOurPath();
    const sampler = sampleLeaders([leader, other]);
    try {
      await expireWhileAway(server, leaderZk, proxy, recorder, () =>
        waitUntil(() => other.hasLeadership, 'the other latch to lead'),
      );
      await waitUntil(
        () => leader.getOurPath() !== undefined && leader.getOurPath() !== oldNode,
        'a new node',
      );
      await sleep(300);
    } finally {
      sampler.stop();
    }
    expect(sampler.most()).toBe(1);
    expect(leadersOf([leader, other])).toEqual(['other']);
    expect(events).toEqual([['notLeader', oldNode]]);
    expect(await other.getParticipants()).toEqual([
      { id: 'other', isLeader: true },
      { id: 'leader', isLeader: false },
    ]);
  });

  it('does not lead with a first node that another session owns: it starts over with a new node (CURATOR-696)', async () => {
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const admin = await open();
    const path = latchPath('latch-owner');
    const latch = await started(zk, path, 'mine');
    const events = recordEvents(latch);
    const node = latch.getOurPath()!;
    proxy.block();
    await waitUntil(() => !latch.hasLeadership, 'the latch to step down');
    // While it is away its node is replaced by one of the same name owned by another session, as a
    // lagging server shows an ended session's node at the head.
    await admin.delete(node);
    await admin.create(node, 'impostor', { ephemeral: true });
    proxy.unblock();
    await waitUntil(() => latch.hasLeadership, 'the latch to lead with a node of its own');
    expect(latch.getOurPath()).not.toBe(node);
    expect(latch.getLastPathIsLeader()).toBe(latch.getOurPath());
    expect(events).toEqual([
      ['notLeader', node],
      ['isLeader', latch.getOurPath()],
    ]);
    const [, stat] = await admin.get(latch.getOurPath()!);
    expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
  });

  it('makes its directory again when it was deleted while away, and one latch leads (CURATOR-724)', async () => {
    const [awayZk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const admin = await open();
    const path = latchPath('latch-gone');
    const away = await started(awayZk, path, 'away');
    const other = await started(admin, path, 'other');
    const sampler = sampleLeaders([away, other]);
    try {
      proxy.block();
      await waitUntil(() => !away.hasLeadership, 'the away latch to step down');
      await deleteAtOnce(admin, path);
      // The other latch's watch fires, its directory is gone: it makes both again and leads.
      await waitUntil(() => other.hasLeadership, 'the other latch to lead');
      proxy.unblock();
      await waitUntil(
        async () => (await admin.getChildren(path)).length === 2,
        'the away latch to make a new node',
      );
      await sleep(300);
    } finally {
      sampler.stop();
    }
    expect(sampler.most()).toBe(1);
    expect(leadersOf([away, other])).toEqual(['other']);
    expect((await other.getParticipants()).map((p) => p.id)).toEqual(['other', 'away']);
  });

  it('stops leading at once when its node is deleted by hand, and leads again with a new one', async () => {
    const zk = await open();
    const admin = await open();
    const path = latchPath('latch-deleted');
    const latch = await started(zk, path, 'alone');
    const events = recordEvents(latch);
    const node = latch.getOurPath()!;
    await admin.delete(node);
    await waitUntil(() => events.length === 2, 'notLeader and isLeader');
    expect(events).toEqual([
      ['notLeader', node],
      ['isLeader', latch.getOurPath()],
    ]);
    expect(latch.getOurPath()).not.toBe(node);
    expect(await rejectionOf(() => admin.get(node))).toBeInstanceOf(NoNodeError);
  });

  it("leaves one node when its create's reply is lost: the protected create finds it again, and the latch leads with it", async () => {
    const observer = await open();
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const path = latchPath('latch-lost-create');
    await observer.ensurePath(path);
    const latch = zk.LeaderLatch(path, 'lost-reply');
    latches.push(latch);
    const starting = latch.start();
    await holdUntilApplied(proxy, async () => (await observer.getChildren(path)).length === 1);
    loseHeldReplies(proxy);
    await starting;
    await waitUntil(() => latch.hasLeadership, 'the latch to lead');
    const children = await observer.getChildren(path);
    expect(children).toHaveLength(1);
    expect(children[0]).toMatch(PROTECTED_LATCH);
    expect(latch.getOurPath()).toBe(`${path}/${children[0]}`);
    expect((await observer.exists(latch.getOurPath()!))!.ephemeralOwner).toBe(zk.clientId!.sessionId);
  });
});
