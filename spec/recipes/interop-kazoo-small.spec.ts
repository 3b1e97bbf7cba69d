// zookit's Counter, DoubleBarrier, Party and ShallowParty and kazoo's (2.8.0, Debian's
// python3-kazoo, through spec/peers/kazoo.ts) on one real server: a kazoo Counter and zookit
// Counters add to one node at once and end on the exact total (ASCII ints, ASCII floats, and
// Curator's 4-byte int, which kazoo 2.8 writes with support_curator=True); 2 kazoo members and 1
// zookit member enter and leave one DoubleBarrier(3); each side lists the other's party members.
//
// Runs in the sequential jest project only (jest.config.js): the layouts do not depend on the
// zookit client's handler, and each run starts python processes.
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, sleep, uniqueName, waitUntil, withTimeout } from '../client/support.js';
import { KazooPeer } from '../peers/kazoo.js';

let server: TestingServer;
const pool = new ClientPool();
const peers: KazooPeer[] = [];

/** Bound of every wait, in ms. */
const WAIT = 15_000;

async function kazoo(): Promise<KazooPeer> {
  const peer = await KazooPeer.start(server.connectString);
  peers.push(peer);
  return peer;
}

function zookit(): Promise<ZooKeeperClient> {
  return pool.open({ hosts: server.connectString });
}

async function stillPending(promise: Promise<unknown>, ms = 300): Promise<boolean> {
  const pending = Symbol('pending');
  return (await Promise.race([promise, sleep(ms).then(() => pending)])) === pending;
}

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

/**
 * kazoo adds `step` `times` times on 3 threads at once while 2 zookit clients add `step` `times`
 * times each on 2 counters; every adder's changes are sequential.
 */
async function addTogether(
  peer: KazooPeer,
  zks: ZooKeeperClient[],
  path: string,
  kwargs: Record<string, unknown>,
  options: { default?: number; supportCurator?: boolean },
  step: number,
  times: number,
): Promise<void> {
  await peer.construct('counter', 'Counter', [path], kwargs);
  const kazooAdders = [0, 1, 2].map(async () => {
    for (let i = 0; i < times; i++) await peer.call('counter', '__iadd__', [step]);
  });
  const zookitAdders = zks.flatMap((zk) =>
    [0, 1].map(async () => {
      const counter = zk.Counter(path, options);
      for (let i = 0; i < times; i++) await counter.add(step);
    }),
  );
  await withTimeout(Promise.all([...kazooAdders, ...zookitAdders]), 60_000, 'the adders');
}

describe('Counter shared with kazoo', () => {
  it('kazoo and zookit add ints to one node at once: the exact total, as the ASCII int', async () => {
    const peer = await kazoo();
    const zks = [await zookit(), await zookit()];
    const path = `/${uniqueName('interop-counter-int')}`;
    await addTogether(peer, zks, path, { default: 0 }, {}, 1, 30);
    const total = 3 * 30 + 4 * 30;
    expect(await peer.call('counter', 'value')).toBe(total);
    expect(await zks[0]!.Counter(path).get()).toBe(total);
    expect((await zks[0]!.get(path))[0]?.toString()).toBe(String(total));
  });

  it("kazoo and zookit add floats to one node at once: the exact total, as Python's repr", async () => {
    const peer = await kazoo();
    const zks = [await zookit(), await zookit()];
    const path = `/${uniqueName('interop-counter-float')}`;
    await addTogether(peer, zks, path, { default: 0.5 }, { default: 0.5 }, 0.25, 20);
    const total = 0.5 + 0.25 * (3 * 20 + 4 * 20);
    expect(await peer.call('counter', 'value')).toBe(total);
    expect(await zks[0]!.Counter(path, { default: 0.5 }).get()).toBe(total);
    expect((await zks[0]!.get(path))[0]?.toString()).toBe('35.5');
    // A float counter at a whole value: kazoo's float reads zookit's `36.0`, and zookit reads kazoo's.
    expect(await zks[1]!.Counter(path, { default: 0.5 }).add(0.5)).toBe(36);
    expect((await zks[0]!.get(path))[0]?.toString()).toBe('36.0');
    expect(await peer.call('counter', 'value')).toBe(36);
  });

  it('kazoo (support_curator=True) and zookit (supportCurator) add to one 4-byte int at once: the exact total', async () => {
    const peer = await kazoo();
    const zks = [await zookit(), await zookit()];
    const path = `/${uniqueName('interop-counter-curator')}`;
    await addTogether(peer, zks, path, { support_curator: true }, { supportCurator: true }, 3, 20);
    const total = 3 * (3 * 20 + 4 * 20);
    expect(await peer.call('counter', 'value')).toBe(total);
    const expected = Buffer.alloc(4);
    expected.writeInt32BE(total);
    expect((await zks[0]!.get(path))[0]).toEqual(expected);
    await zks[0]!.Counter(path, { supportCurator: true }).subtract(total + 1);
    expect(await peer.call('counter', 'value')).toBe(-1);
  });
});

describe('DoubleBarrier shared with kazoo', () => {
  it('2 kazoo members and 1 zookit member enter and leave one DoubleBarrier(3) together', async () => {
    const [k1, k2] = [await kazoo(), await kazoo()];
    const zk = await zookit();
    const path = `/${uniqueName('interop-dbarrier')}`;
    await k1.construct('b', 'DoubleBarrier', [path, 3], { identifier: 'k1' });
    await k2.construct('b', 'DoubleBarrier', [path, 3], { identifier: 'k2' });
    const kazooEnters = [k1.call('b', 'enter', [], {}, WAIT), k2.call('b', 'enter', [], {}, WAIT)];
    await waitUntil(
      async () => (await zk.getChildren(path).catch(() => [])).length === 2,
      'two kazoo members',
      {
        timeoutMs: WAIT,
        intervalMs: 20,
      },
    );
    expect(await stillPending(Promise.race(kazooEnters))).toBe(true);
    const member = zk.DoubleBarrier(path, 3, 'z');
    expect(await member.enter({ timeout: WAIT })).toBe(true);
    await withTimeout(Promise.all(kazooEnters), WAIT, 'the kazoo enters');
    expect([await k1.call('b', 'participating'), await k2.call('b', 'participating')]).toEqual([true, true]);
    // Each member's data is its identifier; `ready` is persistent.
    const identifiers: string[] = [];
    for (const child of await zk.getChildren(path))
      if (child !== 'ready') identifiers.push((await zk.get(`${path}/${child}`))[0]?.toString() ?? '');
    expect(identifiers.sort()).toEqual(['k1', 'k2', 'z']);

    const kazooLeaves = [k1.call('b', 'leave', [], {}, WAIT), k2.call('b', 'leave', [], {}, WAIT)];
    expect(await member.leave({ timeout: WAIT })).toBe(true);
    await withTimeout(Promise.all(kazooLeaves), WAIT, 'the kazoo leaves');
    expect(await zk.getChildren(path)).toEqual([]);
  });
});

describe('Party and ShallowParty shared with kazoo', () => {
  it("kazoo lists zookit's Party members and zookit lists kazoo's", async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-party')}`;
    await peer.construct('p', 'Party', [path, 'kazoo']);
    await peer.call('p', 'join');
    const member = zk.Party(path, 'zookit');
    expect(await member.members()).toEqual(['kazoo']);
    await member.join();
    expect(((await peer.call('p', '__iter__')) as string[]).sort()).toEqual(['kazoo', 'zookit']);
    expect(await peer.call('p', '__len__')).toBe(2);
    expect((await member.members()).sort()).toEqual(['kazoo', 'zookit']);
    await peer.call('p', 'leave');
    expect(await member.members()).toEqual(['zookit']);
    await member.leave();
    expect(await peer.call('p', '__len__')).toBe(0);
  });

  it("kazoo lists zookit's ShallowParty members and zookit lists kazoo's", async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-shallow')}`;
    await peer.construct('p', 'ShallowParty', [path, 'kazoo']);
    await peer.call('p', 'join');
    const member = zk.ShallowParty(path, 'zookit');
    expect(await member.members()).toEqual(['kazoo']);
    await member.join();
    expect(((await peer.call('p', '__iter__')) as string[]).sort()).toEqual(['kazoo', 'zookit']);
    expect(await peer.call('p', '__len__')).toBe(2);
    expect(await member.size()).toBe(2);
    await member.leave();
    expect(await peer.call('p', '__iter__')).toEqual(['kazoo']);
  });
});
