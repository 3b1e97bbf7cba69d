// zookit's SharedCount and DistributedAtomicLong beside Curator 5.4's (through
// spec/peers/curator/CountDriver.java) and kazoo 2.8's Counter with support_curator (through
// spec/peers/kazoo.ts), all incrementing one node at once on one real server: the total is exact
// (no lost update, no double count), and every side reads it.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import type { SharedCount } from '../../../recipes/curator/shared-count.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { ClientPool, uniqueName, waitUntil, withTimeout } from '../../client/support.js';
import { CuratorPeer } from '../../peers/curator.js';
import { KazooPeer } from '../../peers/kazoo.js';

let server: TestingServer;
const pool = new ClientPool();
const curators: CuratorPeer[] = [];
const kazoos: KazooPeer[] = [];
const counts: SharedCount[] = [];

/** Increments per adder. */
const TIMES = 20;

beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(async () => {
  await Promise.all(counts.splice(0).map((count) => count.close()));
  await Promise.all([...curators.splice(0), ...kazoos.splice(0)].map((peer) => peer.stop()));
  await pool.stopAll();
});
afterAll(async () => {
  await server?.close();
});

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });

async function curator(): Promise<CuratorPeer> {
  const peer = await CuratorPeer.start('CountDriver', server.connectString);
  curators.push(peer);
  return peer;
}

it("counts exactly with Curator's SharedCount (3 threads), kazoo's Counter (support_curator), zookit's SharedCounts and zookit's Counter (supportCurator) at once", async () => {
  const path = `/${uniqueName('count-interop')}`;
  const peer = await curator();
  const kazoo = await KazooPeer.start(server.connectString);
  kazoos.push(kazoo);
  const [a, b, c] = [await open(), await open(), await open()];
  const mine = [a.SharedCount(path, 0), b.SharedCount(path, 0)];
  counts.push(...mine);
  await Promise.all(mine.map((count) => count.start()));
  await kazoo.construct('counter', 'Counter', [path], { support_curator: true });

  const curatorAdds = peer.request('incrementCount', { path, threads: 3, times: TIMES }, 60_000);
  const kazooAdds = (async () => {
    for (let i = 0; i < TIMES; i++) await kazoo.call('counter', '__iadd__', [1]);
  })();
  const zookitAdds = mine.map(async (count) => {
    for (let i = 0; i < TIMES; i++) {
      for (;;) {
        const previous = count.getVersionedValue();
        if (await count.trySetCount(previous, previous.value + 1)) break;
      }
    }
  });
  const counterAdds = (async () => {
    const counter = c.Counter(path, { supportCurator: true });
    for (let i = 0; i < TIMES; i++) await counter.add(1);
  })();
  await withTimeout(Promise.all([curatorAdds, kazooAdds, ...zookitAdds, counterAdds]), 90_000, 'the adders');

  const total = 3 * TIMES + TIMES + 2 * TIMES + TIMES;
  const expected = Buffer.alloc(4);
  expected.writeInt32BE(total);
  expect((await a.get(path))[0]).toEqual(expected);
  expect(await peer.request('getCount', { path })).toBe(total);
  expect(await kazoo.call('counter', 'value')).toBe(total);
  await waitUntil(
    () => mine.every((count) => count.getCount() === total),
    "zookit's counts to read the total",
  );
}, 120_000);

it("adds exactly with Curator's DistributedAtomicLong (2 threads) and zookit's at once", async () => {
  const path = `/${uniqueName('long-interop')}`;
  const peer = await curator();
  const [a, b] = [await open(), await open()];
  const curatorAdds = peer.request('incrementLong', { path, threads: 2, times: TIMES }, 60_000);
  const zookitAdds = [a, b].map(async (zk) => {
    const along = zk.DistributedAtomicLong(path, { maxTries: 1000, retryDelay: 1 });
    for (let i = 0; i < TIMES; i++) expect((await along.increment()).succeeded).toBe(true);
  });
  await withTimeout(Promise.all([curatorAdds, ...zookitAdds]), 90_000, 'the adders');
  const total = 4 * TIMES;
  expect((await a.DistributedAtomicLong(path).get()).preValue).toBe(BigInt(total));
  expect(await peer.request('getLong', { path })).toBe(total);
  const expected = Buffer.alloc(8);
  expected.writeBigInt64BE(BigInt(total));
  expect((await a.get(path))[0]).toEqual(expected);
}, 120_000);
