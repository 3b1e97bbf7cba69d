// zookit's recipes and kazoo's (2.8.0, Debian's python3-kazoo, run through spec/peers/kazoo.ts)
// on one real server, each case both ways: they share one lock, one read/write lock, one semaphore,
// one election and one lease, because zookit writes and reads kazoo's znode layouts.
//
// Runs in the sequential jest project only (jest.config.js leaves it out of the worker project):
// what it tests is the layout both sides read and write, which does not depend on the zookit
// client's handler, and each run starts python processes on a shared 2-core machine.
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, sleep, uniqueName, waitUntil, withTimeout } from '../client/support.js';
import { KazooPeer } from '../peers/kazoo.js';

let server: TestingServer;
const pool = new ClientPool();
const peers: KazooPeer[] = [];

/** How long a waiter must stay waiting to count as blocked, in ms. */
const BLOCKED_FOR = 300;
/** Bound of every wait, in ms. */
const WAIT = 10_000;

async function kazoo(): Promise<KazooPeer> {
  const peer = await KazooPeer.start(server.connectString);
  peers.push(peer);
  return peer;
}

function zookit(): Promise<ZooKeeperClient> {
  return pool.open({ hosts: server.connectString });
}

/** True if `promise` is still unsettled after `ms` (a waiter that is blocked); rejects if it rejected. */
async function stillPending(promise: Promise<unknown>, ms = BLOCKED_FOR): Promise<boolean> {
  const pending = Symbol('pending');
  return (await Promise.race([promise, sleep(ms).then(() => pending)])) === pending;
}

/** Resolves once `path` has `count` children (contenders or leases), read by `zk`. */
function untilChildren(zk: ZooKeeperClient, path: string, count: number): Promise<void> {
  return waitUntil(
    async () => (await zk.getChildren(path)).length === count,
    `${count} children of ${path}`,
    {
      timeoutMs: WAIT,
      intervalMs: 20,
    },
  );
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

describe('Lock shared with kazoo', () => {
  it('a kazoo Lock holder blocks a zookit Lock on the same path until it releases', async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-lock-k')}`;
    const kazooLock = await peer.Lock(path, 'kazoo');
    const zookitLock = zk.Lock(path, 'zookit');
    expect(await kazooLock.acquire({ timeout: WAIT })).toBe(true);

    expect(await zookitLock.acquire({ blocking: false })).toBe(false);
    const waiting = zookitLock.acquire({ timeout: WAIT });
    await untilChildren(zk, path, 2);
    expect(await kazooLock.contenders()).toEqual(['kazoo', 'zookit']);
    expect(await stillPending(waiting)).toBe(true);

    await kazooLock.release();
    expect(await waiting).toBe(true);
    expect(zookitLock.isAcquired).toBe(true);
    expect(await zookitLock.contenders()).toEqual(['zookit']);
    await zookitLock.release();
  });

  it('a zookit Lock holder blocks a kazoo Lock on the same path until it releases', async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-lock-z')}`;
    const zookitLock = zk.Lock(path, 'zookit');
    const kazooLock = await peer.Lock(path, 'kazoo');
    expect(await zookitLock.acquire({ timeout: WAIT })).toBe(true);

    expect(await kazooLock.acquire({ blocking: false })).toBe(false);
    const waiting = kazooLock.acquire({ timeout: WAIT });
    await untilChildren(zk, path, 2);
    expect(await zookitLock.contenders()).toEqual(['zookit', 'kazoo']);
    expect(await stillPending(waiting)).toBe(true);

    await zookitLock.release();
    expect(await waiting).toBe(true);
    expect(await kazooLock.isAcquired()).toBe(true);
    await kazooLock.release();
  });
});

describe('ReadLock and WriteLock shared with kazoo', () => {
  it('a zookit ReadLock shares the path with a kazoo ReadLock holder', async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-read-k')}`;
    const kazooReader = await peer.ReadLock(path, 'kazoo');
    expect(await kazooReader.acquire({ timeout: WAIT })).toBe(true);

    const zookitReader = zk.ReadLock(path, 'zookit');
    expect(await zookitReader.acquire({ blocking: false })).toBe(true);
    expect(await kazooReader.contenders()).toEqual(['kazoo', 'zookit']);
    await Promise.all([zookitReader.release(), kazooReader.release()]);
  });

  it('a kazoo ReadLock shares the path with a zookit ReadLock holder', async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-read-z')}`;
    const zookitReader = zk.ReadLock(path, 'zookit');
    expect(await zookitReader.acquire({ timeout: WAIT })).toBe(true);

    const kazooReader = await peer.ReadLock(path, 'kazoo');
    expect(await kazooReader.acquire({ blocking: false })).toBe(true);
    expect(await zookitReader.contenders()).toEqual(['zookit', 'kazoo']);
    await Promise.all([zookitReader.release(), kazooReader.release()]);
  });

  it('a zookit WriteLock waits for a kazoo ReadLock holder', async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-write-z')}`;
    const kazooReader = await peer.ReadLock(path, 'kazoo-reader');
    expect(await kazooReader.acquire({ timeout: WAIT })).toBe(true);
    const zookitWriter = zk.WriteLock(path, 'zookit-writer');

    expect(await zookitWriter.acquire({ blocking: false })).toBe(false);
    const waiting = zookitWriter.acquire({ timeout: WAIT });
    await untilChildren(zk, path, 2);
    expect(await stillPending(waiting)).toBe(true);

    await kazooReader.release();
    expect(await waiting).toBe(true);
    // And a kazoo reader now waits for the zookit writer.
    expect(await kazooReader.acquire({ blocking: false })).toBe(false);
    await zookitWriter.release();
  });

  it('a kazoo WriteLock waits for a zookit ReadLock holder', async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-write-k')}`;
    const zookitReader = zk.ReadLock(path, 'zookit-reader');
    expect(await zookitReader.acquire({ timeout: WAIT })).toBe(true);
    const kazooWriter = await peer.WriteLock(path, 'kazoo-writer');

    expect(await kazooWriter.acquire({ blocking: false })).toBe(false);
    const waiting = kazooWriter.acquire({ timeout: WAIT });
    await untilChildren(zk, path, 2);
    expect(await stillPending(waiting)).toBe(true);

    await zookitReader.release();
    expect(await waiting).toBe(true);
    // And a zookit reader now waits for the kazoo writer.
    expect(await zookitReader.acquire({ blocking: false })).toBe(false);
    await kazooWriter.release();
  });
});

describe('Semaphore shared with kazoo (maxLeases 2)', () => {
  it('two kazoo leases held: a zookit Semaphore gets no third, and gets one once kazoo releases one', async () => {
    const [first, second] = [await kazoo(), await kazoo()];
    const zk = await zookit();
    const path = `/${uniqueName('interop-sem-k')}`;
    const kazooOne = await first.Semaphore(path, 'kazoo-1', 2);
    const kazooTwo = await second.Semaphore(path, 'kazoo-2', 2);
    expect(await kazooOne.acquire({ timeout: WAIT })).toBe(true);
    expect(await kazooTwo.acquire({ timeout: WAIT })).toBe(true);

    const zookitSemaphore = zk.Semaphore(path, 'zookit', 2);
    expect(await zookitSemaphore.acquire({ blocking: false })).toBe(false);
    const waiting = zookitSemaphore.acquire({ timeout: WAIT });
    expect(await stillPending(waiting)).toBe(true);
    expect(await zk.getChildren(path)).toHaveLength(2);

    await kazooOne.release();
    expect(await waiting).toBe(true);
    expect((await zookitSemaphore.leaseHolders()).sort()).toEqual(['kazoo-2', 'zookit']);
    expect((await kazooTwo.leaseHolders()).sort()).toEqual(['kazoo-2', 'zookit']);
    await Promise.all([zookitSemaphore.release(), kazooTwo.release()]);
  });

  it('two zookit leases held: a kazoo Semaphore gets no third, and gets one once zookit releases one', async () => {
    const peer = await kazoo();
    const [zkOne, zkTwo] = [await zookit(), await zookit()];
    const path = `/${uniqueName('interop-sem-z')}`;
    const zookitOne = zkOne.Semaphore(path, 'zookit-1', 2);
    const zookitTwo = zkTwo.Semaphore(path, 'zookit-2', 2);
    expect(await zookitOne.acquire({ timeout: WAIT })).toBe(true);
    expect(await zookitTwo.acquire({ timeout: WAIT })).toBe(true);

    const kazooSemaphore = await peer.Semaphore(path, 'kazoo', 2);
    expect(await kazooSemaphore.acquire({ blocking: false })).toBe(false);
    const waiting = kazooSemaphore.acquire({ timeout: WAIT });
    expect(await stillPending(waiting)).toBe(true);
    expect(await zkOne.getChildren(path)).toHaveLength(2);

    await zookitOne.release();
    expect(await waiting).toBe(true);
    expect((await kazooSemaphore.leaseHolders()).sort()).toEqual(['kazoo', 'zookit-2']);
    expect((await zookitTwo.leaseHolders()).sort()).toEqual(['kazoo', 'zookit-2']);
    await Promise.all([zookitTwo.release(), kazooSemaphore.release()]);
  });

  it('2 kazoo and 2 zookit contenders taking turns never hold more than 2 leases together', async () => {
    const path = `/${uniqueName('interop-sem-turns')}`;
    const rounds = 4;
    const holdFor = 60;
    let holding = 0;
    let most = 0;
    const leaseCounts: number[] = [];
    const observer = await zookit();

    /** One holding of a lease: counted while held, the lease nodes read meanwhile. */
    async function hold(): Promise<void> {
      holding += 1;
      most = Math.max(most, holding);
      leaseCounts.push((await observer.getChildren(path)).length);
      await sleep(holdFor);
      holding -= 1;
    }

    const kazooTurns = async (peer: KazooPeer, id: string): Promise<void> => {
      const semaphore = await peer.Semaphore(path, id, 2);
      for (let round = 0; round < rounds; round++) {
        expect(await semaphore.acquire({ timeout: WAIT })).toBe(true);
        await hold();
        await semaphore.release();
      }
    };
    const zookitTurns = async (zk: ZooKeeperClient, id: string): Promise<void> => {
      const semaphore = zk.Semaphore(path, id, 2);
      for (let round = 0; round < rounds; round++) {
        expect(await semaphore.acquire({ timeout: WAIT })).toBe(true);
        await hold();
        await semaphore.release();
      }
    };
    const [k1, k2, z1, z2] = [await kazoo(), await kazoo(), await zookit(), await zookit()];
    await withTimeout(
      Promise.all([
        kazooTurns(k1, 'kazoo-1'),
        kazooTurns(k2, 'kazoo-2'),
        zookitTurns(z1, 'zookit-1'),
        zookitTurns(z2, 'zookit-2'),
      ]),
      30_000,
      'the turns',
    );

    expect(most).toBe(2);
    expect(Math.max(...leaseCounts)).toBeLessThanOrEqual(2);
    expect(leaseCounts).toHaveLength(4 * rounds);
    expect(await observer.getChildren(path)).toEqual([]);
  });
});

describe('Election shared with kazoo', () => {
  it('kazoo and zookit Elections elect exactly one leader at a time, and leadership passes on in order', async () => {
    const path = `/${uniqueName('interop-election')}`;
    const [peerOne, peerTwo] = [await kazoo(), await kazoo()];
    const [zkOne, zkTwo] = [await zookit(), await zookit()];
    const kazooOne = await peerOne.Election(path, 'kazoo-1');
    const kazooTwo = await peerTwo.Election(path, 'kazoo-2');
    const zookitLeading = new Set<string>();
    const stepDown = new Map<string, () => void>();

    /** Who leads now on both sides: kazoo's elected/resigned events, zookit's running functions. */
    const leaders = (): string[] =>
      [
        ...zookitLeading,
        ...(kazooOne.isLeader ? ['kazoo-1'] : []),
        ...(kazooTwo.isLeader ? ['kazoo-2'] : []),
      ].sort();
    const runZookit = (zk: ZooKeeperClient, id: string): Promise<unknown> =>
      zk.Election(path, id).run(async () => {
        zookitLeading.add(id);
        await new Promise<void>((resolve) => stepDown.set(id, resolve));
        zookitLeading.delete(id);
      });
    /** Lets `id` lead alone for a while, checking nobody else does. */
    const leadsAlone = async (id: string): Promise<void> => {
      expect(leaders()).toEqual([id]);
      await sleep(BLOCKED_FOR);
      expect(leaders()).toEqual([id]);
    };

    // Contenders join in the order kazoo-1, zookit-1, kazoo-2, zookit-2: their sequence order.
    await kazooOne.run();
    await kazooOne.elected();
    const zookitOne = runZookit(zkOne, 'zookit-1');
    await untilChildren(zkOne, path, 2);
    await kazooTwo.run();
    await untilChildren(zkOne, path, 3);
    const zookitTwo = runZookit(zkTwo, 'zookit-2');
    await untilChildren(zkOne, path, 4);
    expect(await kazooTwo.contenders()).toEqual(['kazoo-1', 'zookit-1', 'kazoo-2', 'zookit-2']);

    // Each leader in turn leads alone, then steps down and the next one is elected.
    await leadsAlone('kazoo-1');
    await kazooOne.resign();

    await waitUntil(() => stepDown.has('zookit-1'), 'zookit-1 elected', { timeoutMs: WAIT });
    await leadsAlone('zookit-1');
    stepDown.get('zookit-1')!();
    await withTimeout(zookitOne, WAIT, 'zookit-1 stepping down');

    await kazooTwo.elected();
    await leadsAlone('kazoo-2');
    await kazooTwo.resign();

    await waitUntil(() => stepDown.has('zookit-2'), 'zookit-2 elected', { timeoutMs: WAIT });
    await leadsAlone('zookit-2');
    stepDown.get('zookit-2')!();
    await withTimeout(zookitTwo, WAIT, 'zookit-2 stepping down');

    expect(leaders()).toEqual([]);
    expect(await zkOne.getChildren(path)).toEqual([]);
  });
});

describe('NonBlockingLease shared with kazoo', () => {
  const MINUTE = 60_000;

  it("kazoo holds it: a zookit lease is refused, by kazoo's lease_holder, until kazoo's end has passed", async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-lease-k')}`;
    expect(await peer.NonBlockingLease(path, MINUTE, 'kazoo')).toBe(true);

    const refused = zk.NonBlockingLease(path, MINUTE, 'zookit');
    expect(await refused.obtain()).toBe(false);
    expect(refused.obtained).toBe(false);
    // A zookit clock two minutes ahead reads kazoo's end as past: the lease is free for it.
    const later = zk.NonBlockingLease(path, MINUTE, 'zookit', {
      utcNow: () => new Date(Date.now() + 2 * MINUTE),
    });
    expect(await later.obtain()).toBe(true);
    const [data] = await zk.get(`${path}/lease_holder`);
    expect(JSON.parse(data!.toString('utf8')).holder).toBe('zookit');
  });

  it("zookit holds it: a kazoo lease is refused, by zookit's lease_holder, until zookit's end has passed", async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-lease-z')}`;
    const lease = zk.NonBlockingLease(path, MINUTE, 'zookit');
    expect(await lease.obtain()).toBe(true);

    expect(await peer.NonBlockingLease(path, MINUTE, 'kazoo')).toBe(false);
    // A kazoo clock two minutes ahead reads zookit's end as past.
    expect(await peer.NonBlockingLease(path, MINUTE, 'kazoo', 2 * MINUTE)).toBe(true);
    expect(JSON.parse((await peer.get(`${path}/lease_holder`))!.data).holder).toBe('kazoo');
  });

  it('racing for it at once, exactly one of kazoo and zookit obtains it, and lease_holder names that one', async () => {
    const peer = await kazoo();
    const zk = await zookit();
    const path = `/${uniqueName('interop-lease-race')}`;

    const zookitLease = zk.NonBlockingLease(path, MINUTE, 'zookit');
    const [kazooGot, zookitGot] = await Promise.all([
      peer.NonBlockingLease(path, MINUTE, 'kazoo'),
      zookitLease.obtain(),
    ]);

    expect([kazooGot, zookitGot].filter(Boolean)).toHaveLength(1);
    const [data] = await zk.get(`${path}/lease_holder`);
    expect(JSON.parse(data!.toString('utf8')).holder).toBe(kazooGot ? 'kazoo' : 'zookit');
  });
});
