// SharedCount (and the SharedValue under it) against a real server: Curator's own behaviours
// (TestSharedCount, one test each), the 4-byte layout read back from the node, and faults: a
// change made while the client was away is read after the reconnect (CURATOR-311), the watch
// survives a session expiry, and a trySetCount whose reply is lost is never reported as lost to
// another writer (Curator's retry does, and an increment loop then adds twice).

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { InvalidArgumentError } from '../../../lib/errors.js';
import { OpCode } from '../../../protocol/index.js';
import type { SharedCount } from '../../../recipes/curator/shared-count.js';
import { WriteOutcomeUnknownError } from '../../../recipes/curator/versioned-write.js';
import { FaultProxy } from '../../../testing/fault-proxy.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { StateRecorder } from '../../client/fault-support.js';
import { ClientPool, rejectionOf, uniqueName, waitUntil } from '../../client/support.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy, serverWatches } from '../support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];
const counts: SharedCount[] = [];

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });
const countPath = (name: string): string => `/${uniqueName(name)}`;
const int32 = (value: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
};

/** A started SharedCount, closed after the test. */
async function started(zk: ZooKeeperClient, path: string, seed = 0): Promise<SharedCount> {
  const count = zk.SharedCount(path, seed);
  counts.push(count);
  await count.start();
  return count;
}

/** Adds 1 with the compare-and-set loop Curator's docs give. */
async function increment(count: SharedCount): Promise<void> {
  for (;;) {
    const previous = count.getVersionedValue();
    if (await count.trySetCount(previous, previous.value + 1)) return;
  }
}

beforeAll(async () => {
  server = await startTestingServer();
});

afterEach(async () => {
  await Promise.all(counts.splice(0).map((count) => count.close()));
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await server?.close();
});

describe('SharedCount', () => {
  it('creates the node holding the seed as a 4-byte big-endian int under container parents; a later seed does not change it (testMultiClientDifferentSeed)', async () => {
    const [a, b] = [await open(), await open()];
    const path = `${countPath('count-layout')}/dir/count`;
    const first = await started(a, path, 10);
    const second = await started(b, path, 20);
    expect(first.getCount()).toBe(10);
    expect(second.getCount()).toBe(10);
    const [data, stat] = await a.get(path);
    expect(data).toEqual(int32(10));
    expect(stat.ephemeralOwner).toBe(0n);
    await second.setCount(-2);
    expect((await a.get(path))[0]).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    await waitUntil(() => first.getCount() === -2, 'the first to see -2');
  });

  it('tells its listeners of every change, its own writes included (testSimple)', async () => {
    const zk = await open();
    const count = await started(zk, countPath('count-simple'));
    const seen: number[] = [];
    count.on('change', (value) => seen.push(value));
    for (const next of [1, 2, 10])
      expect(await count.trySetCount(count.getVersionedValue(), next)).toBe(true);
    expect(count.getCount()).toBe(10);
    expect(seen).toEqual([1, 2, 10]);
  });

  it('versions each value: a stale value, version or zxid is refused, a change on the server makes trySet false, and version -1 is an error (testSimpleVersioned)', async () => {
    const zk = await open();
    const path = countPath('count-versioned');
    const count = await started(zk, path);
    let current = count.getVersionedValue();
    expect(current.version).toBe(0);
    for (const [next, version] of [
      [1, 1],
      [5, 2],
      [10, 3],
    ] as const) {
      expect(await count.trySetCount(current, next)).toBe(true);
      current = count.getVersionedValue();
      expect(current.version).toBe(version);
      expect(count.getCount()).toBe(next);
    }
    expect(await count.trySetCount({ ...current, value: 20 }, 7)).toBe(false);
    expect(await count.trySetCount({ ...current, version: 10 }, 7)).toBe(false);
    expect(await count.trySetCount({ ...current, zxid: current.zxid + 1n }, 7)).toBe(false);
    // Changed on the server behind the cache's back: false, and the cache is read again.
    await zk.set(path, int32(88));
    expect(await count.trySetCount(current, 234)).toBe(false);
    expect(count.getCount()).toBe(88);
    const cached = count.getVersionedValue();
    expect(await rejectionOf(() => count.trySetCount({ ...cached, version: -1 }, 20))).toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it("sees another client's writes and refuses a trySet made on the value it replaced (testMultiClientVersioned)", async () => {
    const [a, b] = [await open(), await open()];
    const path = countPath('count-multi');
    const first = await started(a, path);
    const second = await started(b, path);
    expect(await first.trySetCount(first.getVersionedValue(), 10)).toBe(true);
    await waitUntil(() => second.getCount() === 10, 'the second to see 10');
    expect(await second.trySetCount(second.getVersionedValue(), 20)).toBe(true);
    await waitUntil(() => first.getCount() === 20, 'the first to see 20');
    const seen: number[] = [];
    first.on('change', (value) => seen.push(value));
    const stale = first.getVersionedValue();
    expect(await second.trySetCount(second.getVersionedValue(), 30)).toBe(true);
    expect(await first.trySetCount(stale, 40)).toBe(false);
    expect(await first.trySetCount(first.getVersionedValue(), 40)).toBe(true);
    await waitUntil(() => seen.includes(40), 'the change to 40');
    expect(seen).toEqual([30, 40]);
  });

  it('counts exactly when 3 clients increment at once with the compare-and-set loop', async () => {
    const path = countPath('count-race');
    const group = [
      await started(await open(), path),
      await started(await open(), path),
      await started(await open(), path),
    ];
    await Promise.all(
      group.map(async (count) => {
        for (let i = 0; i < 20; i++) await increment(count);
      }),
    );
    const [data] = await (await open()).get(path);
    expect(data).toEqual(int32(60));
  });

  it('reads the value again after a reconnect: a change made while it was away is seen (CURATOR-311)', async () => {
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const admin = await open();
    const path = countPath('count-away');
    const count = await started(zk, path, 1);
    const seen: number[] = [];
    count.on('change', (value) => seen.push(value));
    proxy.block();
    await waitUntil(() => zk.state === 'SUSPENDED', 'the client to be away');
    await admin.set(path, int32(42));
    proxy.unblock();
    await waitUntil(() => count.getCount() === 42, 'the count to read 42');
    expect(count.getVersionedValue().version).toBe(1);
    expect(seen).toEqual([42]);
  });

  it('keeps watching after its session is expired on the server', async () => {
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 4000 });
    const recorder = new StateRecorder(zk);
    const admin = await open();
    const path = countPath('count-expire');
    const count = await started(zk, path, 1);
    await expireWhileAway(server, zk, proxy, recorder, () => admin.set(path, int32(2)));
    await waitUntil(() => count.getCount() === 2, 'the change made during the expiry');
    await admin.set(path, int32(3));
    await waitUntil(() => count.getCount() === 3, 'a change after the new session');
    expect(await increment(count)).toBeUndefined();
    expect((await admin.get(path))[0]).toEqual(int32(4));
  });

  it('reports a trySetCount whose reply is lost as unknown, never as lost to another writer: the increment is applied once', async () => {
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    try {
      const zk = await pool.open({ hosts: proxy.connectString, sessionTimeout: 10_000, reconnectJitter: 0 });
      const path = countPath('count-lost');
      const count = await started(zk, path, 5);
      const lost = proxy.loseNextReply(OpCode.setData);
      const outcome = await rejectionOf(() => count.trySetCount(count.getVersionedValue(), 6));
      expect((await lost).op).toBe(OpCode.setData);
      expect(outcome).toBeInstanceOf(WriteOutcomeUnknownError);
      expect(outcome).toMatchObject({ code: 'ERR_ZOOKIT_WRITE_OUTCOME_UNKNOWN', path });
      const [data, stat] = await zk.get(path);
      expect(data).toEqual(int32(6));
      expect(stat.version).toBe(1);
      await waitUntil(() => count.getCount() === 6, 'the cache to read 6');
    } finally {
      await proxy.close();
    }
  });

  it('takes its watch off the server on close; the node stays', async () => {
    const zk = await open();
    const path = countPath('count-close');
    const count = await started(zk, path, 3);
    await waitUntil(
      async () => (await serverWatches(server, zk.clientId!.sessionId)).includes(path),
      'the data watch',
    );
    await count.close();
    await count.close();
    expect(await serverWatches(server, zk.clientId!.sessionId)).toEqual([]);
    expect((await zk.get(path))[0]).toEqual(int32(3));
    expect(await rejectionOf(() => count.setCount(4))).toBeInstanceOf(Error);
  });
});
