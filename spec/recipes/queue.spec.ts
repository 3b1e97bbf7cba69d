// Queue against a real server: kazoo's behaviours (its KazooQueueTests, one test each), kazoo's
// layout read back from the znodes, the order by priority then signed sequence, the fix of kazoo's
// cached listing (an item of higher priority put after a get's listing is the next one out), and
// exactly-once takes by concurrent consumers while a consumer's connection is cut.
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { entriesInOrder } from '../../recipes/queue.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, sleep, uniqueName } from '../client/support.js';
import { type CuttableProxy, openBehindProxy } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];
const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });

beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(async () => {
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});
afterAll(async () => {
  await server?.close();
});

const text = (value: Buffer | null): string | null => (value === null ? null : value.toString());

describe("kazoo's KazooQueueTests", () => {
  it('test_queue_validation: values must be bytes or strings, priorities integers 0..999', async () => {
    const queue = (await open()).Queue(uniqueName('/queue'));
    for (const [value, priority] of [
      [{}, 100],
      ['one', '100'],
      ['one', 10.5],
      ['one', -100],
      ['one', 100000],
    ] as const) {
      expect(await rejectionOf(() => queue.put(value as never, priority as never))).toBeInstanceOf(
        InvalidArgumentError,
      );
    }
  });

  it('test_empty_queue: size 0, get null', async () => {
    const queue = (await open()).Queue(uniqueName('/queue'));
    expect(await queue.size()).toBe(0);
    expect(await queue.get()).toBeNull();
    expect(await queue.size()).toBe(0);
  });

  it('test_queue: first in, first out', async () => {
    const queue = (await open()).Queue(uniqueName('/queue'));
    await queue.put(Buffer.from('one'));
    await queue.put('two');
    await queue.put('three');
    expect(await queue.size()).toBe(3);
    expect(text(await queue.get())).toBe('one');
    expect(text(await queue.get())).toBe('two');
    expect(text(await queue.get())).toBe('three');
    expect(await queue.size()).toBe(0);
  });

  it('test_priority: lower priority numbers first, then the order of puts', async () => {
    const queue = (await open()).Queue(uniqueName('/queue'));
    await queue.put('four', 101);
    await queue.put('one', 0);
    await queue.put('two', 0);
    await queue.put('three', 10);
    expect(text(await queue.get())).toBe('one');
    expect(text(await queue.get())).toBe('two');
    expect(text(await queue.get())).toBe('three');
    expect(text(await queue.get())).toBe('four');
  });
});

describe('layout', () => {
  it("kazoo's: persistent sequential <path>/entry-<PPP>-<seq> holding the value", async () => {
    const zk = await open();
    const path = uniqueName('/queue');
    const queue = zk.Queue(path);
    expect(await queue.put('a', 7)).toBe('entry-007-0000000000');
    expect(await queue.put(Buffer.from([0, 255]))).toBe('entry-100-0000000001');
    expect((await zk.getChildren(path)).sort()).toEqual(['entry-007-0000000000', 'entry-100-0000000001']);
    const [data, stat] = await zk.get(`${path}/entry-100-0000000001`);
    expect(data).toEqual(Buffer.from([0, 255]));
    expect(stat.ephemeralOwner).toBe(0n);
  });

  it('orders one priority by signed sequence, so the order survives the counter wrap', () => {
    expect(
      entriesInOrder([
        'entry-100--2147483647',
        'entry-100-2147483647',
        'entry-005-0000000009',
        'entry-100--2147483648',
        'not-an-entry',
      ]),
    ).toEqual([
      'entry-005-0000000009',
      'entry-100-2147483647',
      'entry-100--2147483648',
      'entry-100--2147483647',
    ]);
  });
});

describe("kazoo's fault fixed", () => {
  it('an item of higher priority put after a get listed the queue is the next one out (kazoo serves its cached list)', async () => {
    const zk = await open();
    const path = uniqueName('/queue');
    const consumer = zk.Queue(path);
    const producer = (await open()).Queue(path);
    for (const value of ['a', 'b', 'c']) await producer.put(value);
    expect(text(await consumer.get())).toBe('a'); // kazoo caches ['b', 'c'] here
    await producer.put('urgent', 0);
    expect(text(await consumer.get())).toBe('urgent'); // kazoo: 'b'
    expect(text(await consumer.get())).toBe('b');
    expect(text(await consumer.get())).toBe('c');
    expect(await consumer.get()).toBeNull();
  });
});

describe('faults', () => {
  it('three consumers, one with its connection cut again and again, empty the queue of 60 items: none taken twice, at most a few dropped (a lost delete reply, as in kazoo)', async () => {
    const path = uniqueName('/queue');
    const producer = (await open()).Queue(path);
    for (let i = 0; i < 60; i++) await producer.put(`item-${i}`);
    // Cut every 15 ms, a reconnect may not get a request through for a while (on a loaded machine,
    // longer than the default 5 tries): this consumer retries until it does, as a worker would.
    const [cutZk, proxy] = await openBehindProxy(pool, server, proxies, {
      sessionTimeout: 10_000,
      commandRetry: { maxTries: -1, maxDelay: 200 },
    });
    const consumers = [cutZk.Queue(path), (await open()).Queue(path), (await open()).Queue(path)];
    const taken: string[] = [];
    let cutting = true;
    const cutter = (async () => {
      while (cutting) {
        await sleep(15);
        proxy.cut();
      }
    })();
    await Promise.all(
      consumers.map(async (queue) => {
        for (;;) {
          const value = await queue.get();
          if (value === null) return;
          taken.push(value.toString());
        }
      }),
    );
    cutting = false;
    await cutter;
    // Nothing twice; a take whose delete reply was lost in a cut may drop an entry (kazoo's
    // Queue is not reliable), but every one is gone from the server.
    expect(new Set(taken).size).toBe(taken.length);
    expect(taken.length).toBeGreaterThanOrEqual(55);
    expect(await producer.size()).toBe(0);
  });
});
