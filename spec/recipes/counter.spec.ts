// Counter against a real server: kazoo's behaviours (its test_counter cases), the value's bytes
// read back from the node (ASCII repr, checked against Python's own repr; Curator's 4-byte int),
// and the fault kazoo has: a write whose reply is lost is added again by kazoo's retry. Here many
// adders on several clients whose connections are cut end on the exact total.
import { spawnSync } from 'node:child_process';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { COUNTER_MARKER_PREFIX, Counter, pythonFloatRepr } from '../../recipes/counter.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, sleep, uniqueName } from '../client/support.js';
import { KAZOO_PYTHON } from '../peers/kazoo.js';
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

/** The node's data as text. */
async function dataOf(zk: ZooKeeperClient, path: string): Promise<string | undefined> {
  const [data] = await zk.get(path);
  return data?.toString('latin1');
}

describe('pythonFloatRepr', () => {
  it("writes every float as Python's repr does", () => {
    const values = [
      0,
      -0,
      1,
      -1,
      1.5,
      0.1,
      0.2 + 0.1,
      1 / 3,
      100,
      1e15,
      1e16,
      1.5e16,
      123456789012345.6,
      1e-4,
      1e-5,
      1.5e-5,
      0.00012345,
      1e22,
      1e100,
      -2.5e-300,
      5e-324,
      Number.MAX_VALUE,
      2 ** 53,
      2 ** 53 + 2,
      9999999999999998,
      12345.678,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
    ];
    for (let i = 0; i < 300; i++) {
      const scale = 10 ** Math.floor(Math.random() * 40 - 20);
      values.push((Math.random() - 0.5) * scale, Math.round(Math.random() * 1e6) / 100);
    }
    // Python reads each value back from the shortest JavaScript digits, exact, and prints repr().
    const script = 'import sys, json\nfor x in json.loads(sys.stdin.read()): print(repr(float(x)))';
    const input = JSON.stringify(values.map((x) => (Object.is(x, -0) ? '-0.0' : String(x))));
    const run = spawnSync(KAZOO_PYTHON, ['-c', script], { input, encoding: 'utf8' });
    expect(run.status).toBe(0);
    const expected = run.stdout.trim().split('\n');
    expect(values.map(pythonFloatRepr)).toEqual(expected);
  });
});

describe('Counter', () => {
  it("counts ints as kazoo's test_int_counter: += and -=, pre and post values, the node holds the ASCII int", async () => {
    const zk = await open();
    const path = `/${uniqueName('counter')}`;
    const counter = zk.Counter(path);
    expect(await counter.get()).toBe(0);
    expect(await counter.add(2)).toBe(2);
    expect(await counter.subtract(1)).toBe(1);
    expect([counter.preValue, counter.postValue]).toEqual([2, 1]);
    expect(await counter.get()).toBe(1);
    expect(await counter.add(-3)).toBe(-2);
    expect(await dataOf(zk, path)).toBe('-2');
    // The marker of each change is gone: the node's only content is the value.
    expect(await zk.getChildren(path)).toEqual([]);
  });

  it("counts floats as kazoo's test_float_counter: a float default writes Python's repr, a whole value as `3.0`", async () => {
    const zk = await open();
    const path = `/${uniqueName('counter')}`;
    const counter = zk.Counter(path, { default: 1.5 });
    expect(await counter.get()).toBe(1.5);
    expect(await counter.add(1.5)).toBe(3);
    expect(await dataOf(zk, path)).toBe('3.0');
    expect(await counter.add(0.1)).toBe(3.1);
    expect(await dataOf(zk, path)).toBe('3.1');
    expect(await counter.add(1e16)).toBe(1e16 + 3.1);
    expect(await dataOf(zk, path)).toBe('1.0000000000000004e+16');
    const big = zk.Counter(`/${uniqueName('counter')}`, { default: 0.5 });
    expect(await big.add(1e16 - 0.5)).toBe(1e16);
    expect(await dataOf(zk, big.path)).toBe('1e+16');
    const whole = zk.Counter(`/${uniqueName('counter')}`, { default: 1, float: true });
    expect(await whole.add(2)).toBe(3);
    expect(await dataOf(zk, whole.path)).toBe('3.0');
  });

  it('uses the default for a node with no data, as kazoo does (test_default_counter)', async () => {
    const zk = await open();
    const path = `/${uniqueName('counter')}`;
    await zk.create(path);
    const counter = zk.Counter(path, { default: 10 });
    expect(await counter.get()).toBe(10);
    expect(await counter.add(1)).toBe(11);
    expect(await dataOf(zk, path)).toBe('11');
  });

  it("stores Curator's 4-byte big-endian int with supportCurator (test_curator_counter)", async () => {
    const zk = await open();
    const path = `/${uniqueName('counter')}`;
    const counter = zk.Counter(path, { supportCurator: true });
    expect(await counter.add(7)).toBe(7);
    const [data] = await zk.get(path);
    expect(data).toEqual(Buffer.from([0, 0, 0, 7]));
    expect(await counter.subtract(10)).toBe(-3);
    expect((await zk.get(path))[0]).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xfd]));
    await expect(zk.Counter(path, { supportCurator: true }).add(2 ** 32)).rejects.toThrow(RangeError);
    expect(() => zk.Counter(path, { supportCurator: true, default: 0.5 })).toThrow(InvalidArgumentError);
  });

  it('refuses a change of the wrong type, as kazoo (test_counter_type_error)', async () => {
    const zk = await open();
    const counter = zk.Counter(`/${uniqueName('counter')}`);
    expect(await rejectionOf(() => counter.add(1.5))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejectionOf(() => counter.add(Number.NaN))).toBeInstanceOf(InvalidArgumentError);
  });

  it('loses no increment and counts none twice: 4 clients × 3 adders, connections cut while they add, end on the exact total', async () => {
    const path = `/${uniqueName('counter')}`;
    const clients: Array<[ZooKeeperClient, CuttableProxy]> = [];
    // Each client is cut every 60 ms: reconnect at once (a jitter of up to 1 s would keep them
    // away for most of the run and exhaust the retries; the jitter has its own specs).
    for (let i = 0; i < 4; i++)
      clients.push(
        await openBehindProxy(pool, server, proxies, {
          reconnectJitter: 0,
          // Exactly-once is the point, not how few retries a loaded machine needs between cuts.
          commandRetry: { maxTries: 50, maxDelay: 500 },
        }),
      );
    const PER_ADDER = 40;
    let running = true;
    const cutter = (async () => {
      let cuts = 0;
      while (running) {
        await sleep(15);
        clients[cuts % clients.length]![1].cut();
        cuts++;
      }
      return cuts;
    })();
    const adders = clients.flatMap(([zk]) =>
      [0, 1, 2].map(async () => {
        const counter = zk.Counter(path);
        for (let i = 0; i < PER_ADDER; i++) await counter.add(1);
      }),
    );
    await Promise.all(adders);
    running = false;
    const cuts = await cutter;
    expect(cuts).toBeGreaterThan(5);
    const reader = await open();
    expect(await reader.Counter(path).get()).toBe(4 * 3 * PER_ADDER);
    expect(await dataOf(reader, path)).toBe(String(4 * 3 * PER_ADDER));
    expect((await reader.getChildren(path)).filter((c) => c.startsWith(COUNTER_MARKER_PREFIX))).toEqual([]);
  });

  it('counts in retries the compare-and-sets that lost to another writer, and still ends on the exact total', async () => {
    const zk = await open();
    const path = `/${uniqueName('counter')}`;
    const counter = zk.Counter(path);
    expect(counter.retries).toBe(0);
    await counter.add(1);
    expect(counter.retries).toBe(0);
    // Ten adds at once all read the same version before any write lands: all but one lose it.
    await Promise.all(Array.from({ length: 10 }, () => counter.add(1)));
    expect(await counter.get()).toBe(11);
    expect(counter.retries).toBeGreaterThanOrEqual(9);
  });

  it('is a plain class too: new Counter(zk, path)', async () => {
    const zk = await open();
    const counter = new Counter(zk, `/${uniqueName('counter')}`, { default: 5 });
    expect(await counter.add(5)).toBe(10);
  });
});
