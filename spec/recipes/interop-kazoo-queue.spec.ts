// zookit's Queue and LockingQueue and kazoo's (2.8.0, Debian's python3-kazoo, through
// spec/peers/kazoo.ts construct/call) on one real server: items put by one side come out of the
// other in kazoo's priority order, both ways; kazoo and zookit consumers take from one queue at
// once and every item comes out exactly once; an entry taken by one side is not taken by the other
// until it is released.
//
// Sequential jest project only (jest.config.js): it starts python processes.
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, uniqueName } from '../client/support.js';
import { KazooPeer } from '../peers/kazoo.js';

let server: TestingServer;
const pool = new ClientPool();
const peers: KazooPeer[] = [];

async function kazoo(): Promise<KazooPeer> {
  const peer = await KazooPeer.start(server.connectString);
  peers.push(peer);
  return peer;
}
const zookit = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });

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

const bytes = (text: string) => ({ bytes: Buffer.from(text).toString('base64') });
const fromBytes = (value: unknown): string | null =>
  value === null ? null : Buffer.from((value as { bytes: string }).bytes, 'base64').toString();

/** [value, priority] in put order, and the order kazoo's priority queue gives them back. */
const ITEMS: ReadonlyArray<[string, number]> = [
  ['d', 101],
  ['a', 0],
  ['e', 999],
  ['b', 0],
  ['c', 10],
  ['f', 999],
];
const ORDER = ['a', 'b', 'c', 'd', 'e', 'f'];

describe('Queue', () => {
  it("kazoo puts, zookit gets in kazoo's priority order", async () => {
    const peer = await kazoo();
    const path = uniqueName('/iq');
    await peer.construct('q', 'Queue', [path]);
    for (const [value, priority] of ITEMS) await peer.call('q', 'put', [bytes(value)], { priority });
    const queue = (await zookit()).Queue(path);
    const out: Array<string | null> = [];
    for (let i = 0; i <= ORDER.length; i++) out.push((await queue.get())?.toString() ?? null);
    expect(out).toEqual([...ORDER, null]);
  });

  it('zookit puts, kazoo gets in the same order', async () => {
    const peer = await kazoo();
    const path = uniqueName('/iq');
    const queue = (await zookit()).Queue(path);
    for (const [value, priority] of ITEMS) await queue.put(value, priority);
    await peer.construct('q', 'Queue', [path]);
    expect(await peer.call('q', '__len__')).toBe(ITEMS.length);
    const out: Array<string | null> = [];
    for (let i = 0; i <= ORDER.length; i++) out.push(fromBytes(await peer.call('q', 'get')));
    expect(out).toEqual([...ORDER, null]);
  });

  it('a kazoo and two zookit consumers take 60 items from one queue, each exactly once', async () => {
    const peer = await kazoo();
    const path = uniqueName('/iq');
    const producer = (await zookit()).Queue(path);
    const all = Array.from({ length: 60 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
    for (const value of all) await producer.put(value, (all.indexOf(value) % 3) * 10);
    await peer.construct('q', 'Queue', [path]);
    const byKazoo: string[] = [];
    const byZookit: string[] = [];
    const zookitConsumer = async (): Promise<void> => {
      const queue = (await zookit()).Queue(path);
      for (let value = await queue.get(); value !== null; value = await queue.get())
        byZookit.push(value.toString());
    };
    const kazooConsumer = async (): Promise<void> => {
      for (
        let value = fromBytes(await peer.call('q', 'get'));
        value !== null;
        value = fromBytes(await peer.call('q', 'get'))
      )
        byKazoo.push(value);
    };
    // Each side takes one item before they race for the rest, so both are sure to take part.
    byKazoo.push(fromBytes(await peer.call('q', 'get'))!);
    byZookit.push((await (await zookit()).Queue(path).get())!.toString());
    await Promise.all([kazooConsumer(), zookitConsumer(), zookitConsumer()]);
    const taken = [...byKazoo, ...byZookit];
    expect(taken.sort()).toEqual(all);
    expect(byKazoo.length).toBeGreaterThan(0);
    expect(byZookit.length).toBeGreaterThan(0);
  }, 30_000);
});

describe('LockingQueue', () => {
  it("kazoo puts (put and put_all), zookit gets and consumes in kazoo's priority order", async () => {
    const peer = await kazoo();
    const path = uniqueName('/ilq');
    await peer.construct('q', 'LockingQueue', [path]);
    // The priority-999 items ('e', 'f') in one put_all, the others one by one.
    const [single, batch] = [ITEMS.filter(([, p]) => p !== 999), ITEMS.filter(([, p]) => p === 999)];
    for (const [value, priority] of single) await peer.call('q', 'put', [bytes(value)], { priority });
    await peer.call('q', 'put_all', [batch.map(([value]) => bytes(value))], { priority: 999 });
    const zk = await zookit();
    const queue = zk.LockingQueue(path);
    const out: string[] = [];
    for (
      let value = await queue.get({ timeout: 100 });
      value !== null;
      value = await queue.get({ timeout: 100 })
    ) {
      out.push(value.toString());
      expect(await queue.consume()).toBe(true);
    }
    expect(out).toEqual(ORDER);
    expect(await peer.call('q', '__len__')).toBe(0);
  });

  it('zookit puts, kazoo gets and consumes in the same order; an entry one side holds the other does not take', async () => {
    const peer = await kazoo();
    const path = uniqueName('/ilq');
    const zk = await zookit();
    const queue = zk.LockingQueue(path);
    for (const [value, priority] of ITEMS) await queue.put(value, priority);
    // zookit holds 'a': kazoo skips it.
    expect((await queue.get())?.toString()).toBe('a');
    await peer.construct('q', 'LockingQueue', [path]);
    const out: string[] = [];
    for (let i = 0; i < ORDER.length - 1; i++) {
      out.push(fromBytes(await peer.call('q', 'get', [1])) ?? 'none');
      expect(await peer.call('q', 'consume')).toBe(true);
    }
    expect(out).toEqual(ORDER.slice(1));
    expect(await peer.call('q', 'get', [0.2])).toBeNull();
    // zookit gives 'a' back: kazoo takes it; its taken node holds kazoo's id.
    expect(await queue.release()).toBe(true);
    expect(fromBytes(await peer.call('q', 'get', [1]))).toBe('a');
    const [entry] = await zk.getChildren(`${path}/taken`);
    const [data] = await zk.get(`${path}/taken/${entry}`);
    expect({ bytes: data!.toString('base64') }).toEqual(await peer.call('q', 'id'));
    // and zookit does not take what kazoo holds
    expect(await zk.LockingQueue(path).get({ timeout: 200 })).toBeNull();
    expect(await peer.call('q', 'consume')).toBe(true);
    expect(await queue.size()).toBe(0);
  });

  it('a kazoo and two zookit consumers take 60 items, each consumed exactly once', async () => {
    const peer = await kazoo();
    const path = uniqueName('/ilq');
    const zk = await zookit();
    const all = Array.from({ length: 60 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
    await zk.LockingQueue(path).putAll(all.slice(0, 30), 5);
    await peer.construct('q', 'LockingQueue', [path]);
    await peer.call('q', 'put_all', [all.slice(30).map(bytes)], { priority: 7 });
    const byKazoo: string[] = [];
    const byZookit: string[] = [];
    const zookitConsumer = async (): Promise<void> => {
      const queue = (await zookit()).LockingQueue(path);
      for (
        let value = await queue.get({ timeout: 300 });
        value !== null;
        value = await queue.get({ timeout: 300 })
      ) {
        if (await queue.consume()) byZookit.push(value.toString());
      }
    };
    const kazooConsumer = async (): Promise<void> => {
      for (;;) {
        const value = fromBytes(await peer.call('q', 'get', [0.3]));
        if (value === null) return;
        if (await peer.call('q', 'consume')) byKazoo.push(value);
      }
    };
    // Each side takes one item before they race for the rest, so both are sure to take part.
    const kazooFirst = fromBytes(await peer.call('q', 'get', [0.3]));
    if (kazooFirst !== null && (await peer.call('q', 'consume'))) byKazoo.push(kazooFirst);
    const firstQueue = (await zookit()).LockingQueue(path);
    const zookitFirst = await firstQueue.get({ timeout: 300 });
    if (zookitFirst !== null && (await firstQueue.consume())) byZookit.push(zookitFirst.toString());
    await Promise.all([kazooConsumer(), zookitConsumer(), zookitConsumer()]);
    expect([...byKazoo, ...byZookit].sort()).toEqual(all);
    expect(byKazoo.length).toBeGreaterThan(0);
    expect(byZookit.length).toBeGreaterThan(0);
    expect(await zk.getChildren(`${path}/taken`)).toEqual([]);
    expect(await zk.getChildren(`${path}/entries`)).toEqual([]);
  }, 30_000);
});
