// zookit's recipes and kazoo's (2.8.0, Debian's python3-kazoo, run through spec/peers/kazoo.ts)
// on one real server, each case both ways: they share one lock and one read/write lock,
// because zookit writes and reads kazoo's znode layouts.
//
// Runs in the sequential jest project only (jest.config.js leaves it out of the worker project):
// what it tests is the layout both sides read and write, which does not depend on the zookit
// client's handler, and each run starts python processes on a shared 2-core machine.
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../client/support.js';
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
