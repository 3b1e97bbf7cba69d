// DistributedAtomicLong against a real server: Curator's own behaviours (TestDistributedAtomicLong,
// one test each), the 8-byte layout read back from the node, Java's wrap-around, and a lost reply:
// an increment whose setData reply is lost is applied once and reported as unknown, never tried again.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { InvalidArgumentError } from '../../../lib/errors.js';
import { OpCode } from '../../../protocol/index.js';
import { WriteOutcomeUnknownError } from '../../../recipes/curator/versioned-write.js';
import { FaultProxy } from '../../../testing/fault-proxy.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { ClientPool, rejectionOf, uniqueName } from '../../client/support.js';

let server: TestingServer;
const pool = new ClientPool();

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });
const longPath = (name: string): string => `/${uniqueName(name)}`;
const int64 = (value: bigint): Buffer => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(value);
  return bytes;
};

beforeAll(async () => {
  server = await startTestingServer();
});

afterEach(async () => {
  await pool.stopAll();
});

afterAll(async () => {
  await server?.close();
});

describe('DistributedAtomicLong', () => {
  it('counts from a missing node (0) and keeps an 8-byte big-endian long under container parents (testBasic)', async () => {
    const zk = await open();
    const path = `${longPath('along-basic')}/dir/long`;
    const along = zk.DistributedAtomicLong(path);
    expect(await along.get()).toEqual({ succeeded: true, preValue: 0n, postValue: 0n, tries: 1 });
    expect(await along.increment()).toMatchObject({ succeeded: true, preValue: 0n, postValue: 1n });
    expect((await zk.get(path))[0]).toEqual(int64(1n));
    expect(await along.add(10)).toMatchObject({ succeeded: true, preValue: 1n, postValue: 11n });
    expect(await along.subtract(5n)).toMatchObject({ succeeded: true, preValue: 11n, postValue: 6n });
    expect(await along.decrement()).toMatchObject({ succeeded: true, preValue: 6n, postValue: 5n });
    expect((await along.get()).postValue).toBe(5n);
    expect((await zk.get(path))[0]).toEqual(int64(5n));
  });

  it("wraps as Java's long does: Long.MAX_VALUE + 1 is Long.MIN_VALUE", async () => {
    const zk = await open();
    const along = zk.DistributedAtomicLong(longPath('along-wrap'));
    await along.forceSet(2n ** 63n - 1n);
    expect(await along.increment()).toMatchObject({ preValue: 2n ** 63n - 1n, postValue: -(2n ** 63n) });
    await expect(along.add(0.5)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses data that is not a long (testCorruptedValue)', async () => {
    const zk = await open();
    const path = longPath('along-corrupt');
    await zk.create(path, Buffer.from([0, 0, 0, 1]));
    const error = await rejectionOf(() => zk.DistributedAtomicLong(path).get());
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/corrupted data .*\[0x0, 0x0, 0x0, 0x1\]/);
  });

  it('compares and sets in one try: a wrong expectation or a missing node fails (testCompareAndSet, testCompareAndSetWithFreshInstance)', async () => {
    const zk = await open();
    const path = longPath('along-cas');
    const along = zk.DistributedAtomicLong(path);
    expect((await along.compareAndSet(0, 1)).succeeded).toBe(false); // missing
    expect(await along.initialize(1)).toBe(true);
    expect(await along.initialize(2)).toBe(false);
    expect(await along.compareAndSet(1, 5)).toMatchObject({ succeeded: true, preValue: 1n, postValue: 5n });
    expect(await along.compareAndSet(1, 6)).toMatchObject({ succeeded: false, preValue: 5n });
    expect(await zk.DistributedAtomicLong(path).compareAndSet(5n, 7n)).toMatchObject({ succeeded: true });
    expect((await along.get()).preValue).toBe(7n);
  });

  it('forceSet creates a missing node and overwrites an existing one (testForceSet)', async () => {
    const zk = await open();
    const path = `${longPath('along-force')}/a/b`;
    const along = zk.DistributedAtomicLong(path);
    await along.forceSet(10);
    expect((await along.get()).preValue).toBe(10n);
    await along.forceSet(-3n);
    expect((await zk.get(path))[0]).toEqual(int64(-3n));
  });

  it('adds exactly when 3 clients increment at once, each trying again after the operations that lost every try (testSimulation)', async () => {
    const path = longPath('along-race');
    const clients = [await open(), await open(), await open()];
    await Promise.all(
      clients.map(async (zk) => {
        const along = zk.DistributedAtomicLong(path, { maxTries: 3, retryDelay: 1 });
        for (let done = 0; done < 20; ) {
          const result = await along.increment();
          if (result.succeeded) done++;
        }
      }),
    );
    expect((await clients[0]!.DistributedAtomicLong(path).get()).preValue).toBe(60n);
  });

  it('reports an increment whose reply is lost as unknown: applied once, never tried again', async () => {
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    try {
      const zk = await pool.open({ hosts: proxy.connectString, sessionTimeout: 10_000, reconnectJitter: 0 });
      const path = longPath('along-lost');
      const along = zk.DistributedAtomicLong(path);
      await along.forceSet(41);
      const lost = proxy.loseNextReply(OpCode.setData);
      expect(await rejectionOf(() => along.increment())).toBeInstanceOf(WriteOutcomeUnknownError);
      await lost;
      expect((await along.get()).preValue).toBe(42n);
      expect((await zk.get(path))[1].version).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});
