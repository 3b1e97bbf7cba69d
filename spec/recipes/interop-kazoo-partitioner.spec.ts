// One SetPartitioner shared by kazoo members (2.8.0, Debian's python3-kazoo, through
// spec/peers/kazoo.ts) and zookit members on one real server: every item goes to exactly one
// member, each member's share is what kazoo's partition function gives, each item's lock node
// belongs to the session of the member that claims it, and after a member leaves the rest divide
// the whole set again.
//
// Runs in the sequential jest project only (jest.config.js leaves interop-kazoo*.spec.ts out of
// the worker project): it tests the layout both sides share, and it starts python processes.
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { defaultPartitionFunc, type PartitionItem } from '../../recipes/partition-func.js';
import type { SetPartitioner } from '../../recipes/partitioner.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, uniqueName, waitUntil } from '../client/support.js';
import { KazooPeer } from '../peers/kazoo.js';

let server: TestingServer;
const pool = new ClientPool();
const peers: KazooPeer[] = [];

beforeAll(async () => {
  server = await startTestingServer();
});

afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.stop()));
  await pool.stopAll();
});

afterAll(async () => {
  await server?.close();
});

/** Strings whose code-point order differs from their numeric order ('10' < '9'). */
const SET = ['q-1', 'q-2', 'q-3', '10', '9', 'ü', 'alpha', 'beta', 'gamma'];

/** One member of either kind, as the test drives it: its state, its share, releaseSet, finish, its session. */
interface Member {
  identifier: string;
  sessionId: bigint;
  state(): Promise<string>;
  partitions(): Promise<PartitionItem[]>;
  releaseSet(): Promise<void>;
  finish(): Promise<void>;
}

async function kazooMember(path: string, identifier: string): Promise<Member> {
  const peer = await KazooPeer.start(server.connectString);
  peers.push(peer);
  await peer.construct('p', 'SetPartitioner', [path, SET], { identifier, time_boundary: 0.5 });
  return {
    identifier,
    sessionId: peer.sessionId,
    state: () => peer.call<string>('p', 'state'),
    partitions: () => peer.call<PartitionItem[]>('p', '__iter__'),
    releaseSet: async () => {
      await peer.call('p', 'release_set');
    },
    finish: async () => {
      await peer.call('p', 'finish');
    },
  };
}

async function zookitMember(path: string, identifier: string): Promise<Member> {
  const zk: ZooKeeperClient = await pool.open({ hosts: server.connectString });
  const p: SetPartitioner = zk.SetPartitioner(path, SET, { identifier, timeBoundary: 500 });
  return {
    identifier,
    sessionId: zk.clientId!.sessionId,
    state: async () => p.state,
    partitions: async () => [...p.partitions],
    releaseSet: () => p.releaseSet(),
    finish: () => p.finish(),
  };
}

/** Plays every member's caller (releaseSet in RELEASE) until all are ACQUIRED at once. */
async function settle(members: readonly Member[]): Promise<void> {
  await waitUntil(
    async () => {
      const states = await Promise.all(members.map((m) => m.state()));
      await Promise.all(members.map((m, i) => (states[i] === 'RELEASE' ? m.releaseSet() : undefined)));
      return states.every((state) => state === 'ACQUIRED');
    },
    'every member ACQUIRED',
    { timeoutMs: 30_000, intervalMs: 50 },
  );
}

/** Every item to exactly one member, as kazoo's partition function says, held by that member's session. */
async function expectDivided(zk: ZooKeeperClient, path: string, members: readonly Member[]): Promise<void> {
  const shares = await Promise.all(members.map((m) => m.partitions()));
  const identifiers = members.map((m) => m.identifier);
  members.forEach((m, i) => {
    expect([m.identifier, shares[i]]).toEqual([
      m.identifier,
      defaultPartitionFunc(m.identifier, identifiers, SET),
    ]);
  });
  const all = shares.flat();
  expect(new Set(all).size).toBe(all.length); // pairwise disjoint
  expect([...all].sort()).toEqual([...SET].sort()); // union = set
  for (const [i, share] of shares.entries()) {
    for (const item of share) {
      const [node, ...waiters] = await zk.getChildren(`${path}/locks/${item}`);
      expect(waiters).toEqual([]);
      const stat = await zk.exists(`${path}/locks/${item}/${node}`);
      expect([item, stat!.ephemeralOwner]).toEqual([item, members[i]!.sessionId]);
    }
  }
}

describe('SetPartitioner shared by kazoo and zookit members', () => {
  it('divides the set among 2 kazoo and 2 zookit members, each item to exactly one, again among the 3 left after a kazoo member finishes, and among the 2 left after a zookit member finishes', async () => {
    const path = `/${uniqueName('part-interop')}`;
    const observer = await pool.open({ hosts: server.connectString });
    const members = await Promise.all([
      kazooMember(path, 'kazoo-1'),
      zookitMember(path, 'zookit-1'),
      kazooMember(path, 'kazoo-2'),
      zookitMember(path, 'zookit-2'),
    ]);
    await settle(members);
    await expectDivided(observer, path, members);
    const party = (await observer.getChildren(`${path}/party`)).map((child) => child.slice(33)).sort();
    expect(party).toEqual(['kazoo-1', 'kazoo-2', 'zookit-1', 'zookit-2']);

    await members[0]!.finish();
    const rest = members.slice(1);
    await waitUntil(async () => (await rest[0]!.state()) !== 'ACQUIRED', 'the others notice');
    await settle(rest);
    await expectDivided(observer, path, rest);

    await rest[0]!.finish(); // a zookit member leaves too: kazoo-2 and zookit-2 split it all
    const last = rest.slice(1);
    await waitUntil(async () => (await last[0]!.state()) !== 'ACQUIRED', 'the others notice');
    await settle(last);
    await expectDivided(observer, path, last);
  });

  it("kazoo #392 side by side: with an item's lock held by a plain Lock, kazoo's member stays ALLOCATING while zookit's gives the round up (RELEASE, blocked), and both acquire once it is freed", async () => {
    const kazooPath = `/${uniqueName('part-392-kazoo')}`;
    const zookitPath = `/${uniqueName('part-392-zookit')}`;
    const zk = await pool.open({ hosts: server.connectString });
    const squatters = [zk.Lock(`${kazooPath}/locks/beta`), zk.Lock(`${zookitPath}/locks/beta`)];
    for (const squatter of squatters) expect(await squatter.acquire()).toBe(true);
    const kazoo = await kazooMember(kazooPath, 'k');
    const zookit = await zookitMember(zookitPath, 'z');
    await waitUntil(async () => (await zookit.state()) === 'RELEASE', 'zookit gives up', { timeoutMs: 5000 });
    // Well past kazoo's time_boundary (0.5 s) + max_reaction_time (1 s): kazoo is still at it.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await kazoo.state()).toBe('ALLOCATING');
    for (const squatter of squatters) await squatter.release();
    await settle([kazoo]);
    await settle([zookit]);
    expect(await kazoo.partitions()).toEqual(defaultPartitionFunc('k', ['k'], SET));
    expect(await zookit.partitions()).toEqual(defaultPartitionFunc('z', ['z'], SET));
  });
});
