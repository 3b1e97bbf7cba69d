// zookit's Curator locks beside Curator 5.4's own (Debian's jars, through spec/peers/curator.ts and
// LocksDriver.java) on one real server: each side's holder blocks the other's contender on one
// path (InterProcessMutex, the read/write lock, the semaphore mutex), a line of both kinds is
// served in order, revocation crosses languages, the semaphore never hands out more leases than
// allowed across both, and a kazoo Lock (`extra_lock_patterns=['-lock-']`) and a zookit Lock
// (`extraLockPatterns: ['-lock-']`) exclude a Curator holder: three languages, one lock. A multi
// lock over mutexes excludes Curator's multi lock on the same paths, both ways.
//
// Sequential jest project only (jest.config.js): the layouts do not depend on the zookit client's
// handler, and each run starts a JVM and a python process.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { attemptRevoke } from '../../../recipes/curator/revocation.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../../client/support.js';
import { CuratorPeer } from '../../peers/curator.js';
import { KazooPeer } from '../../peers/kazoo.js';

let server: TestingServer;
const pool = new ClientPool();
let curator: CuratorPeer;
let zk: ZooKeeperClient;
let names = 0;

beforeAll(async () => {
  server = await startTestingServer();
  [curator, zk] = await Promise.all([
    CuratorPeer.start('LocksDriver', server.connectString),
    pool.open({ hosts: server.connectString }),
  ]);
}, 60_000);
afterAll(async () => {
  await curator?.stop();
  await pool.stopAll();
  await server?.close();
});

const PROTECTED = '_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-';
const lockPath = (name: string): string => `/${uniqueName(name)}`;
const childrenCount = (path: string, count: number): Promise<void> =>
  waitUntil(async () => (await zk.getChildren(path).catch(() => [])).length === count, `${count} children`);
const stillPending = async (promise: Promise<unknown>, ms = 300): Promise<boolean> => {
  const pending = Symbol('pending');
  return (await Promise.race([promise, sleep(ms).then(() => pending)])) === pending;
};

/** A Curator lock (InterProcessMutex, InterProcessSemaphoreMutex, or a read/write lock's side) in the driver. */
class CuratorLock {
  constructor(readonly name: string) {}
  static async make(kind: 'mutex' | 'semaphoreMutex', path: string): Promise<CuratorLock> {
    const name = `${kind}-${++names}`;
    await curator.request(kind, { name, path });
    return new CuratorLock(name);
  }
  /** Curator's `InterProcessMultiLock(client, paths)`: a mutex on each path. */
  static async multi(paths: readonly string[]): Promise<CuratorLock> {
    const name = `multi-${++names}`;
    await curator.request('multiLock', { name, paths });
    return new CuratorLock(name);
  }
  static async readWrite(path: string): Promise<{ read: CuratorLock; write: CuratorLock }> {
    const name = `rw-${++names}`;
    await curator.request('readWriteLock', { name, path });
    return { read: new CuratorLock(`${name}.read`), write: new CuratorLock(`${name}.write`) };
  }
  /** Curator's `acquire()`, or `acquire(timeoutMs, MILLISECONDS)` with a timeout. */
  acquire(timeoutMs?: number): Promise<boolean> {
    return curator.request('acquire', { name: this.name, timeoutMs }, 30_000);
  }
  release(): Promise<boolean> {
    return curator.request('release', { name: this.name });
  }
  participantNodes(): Promise<string[]> {
    return curator.request('participantNodes', { name: this.name });
  }
}

describe('InterProcessMutex shared with Curator', () => {
  it("a Curator holder blocks a zookit InterProcessMutex until it releases; both list the same line; Curator's node holds its host's IP", async () => {
    const path = lockPath('interop-mutex-c');
    const theirs = await CuratorLock.make('mutex', path);
    expect(await theirs.acquire()).toBe(true);
    const [name] = await zk.getChildren(path);
    expect(name).toMatch(new RegExp(`^${PROTECTED}lock-\\d{10}$`));
    const [data] = await zk.get(`${path}/${name}`);
    expect(data!.toString()).toMatch(/^[\d.:a-f]+$/); // Curator's defaultData: InetAddress.getLocalHost()

    const ours = zk.InterProcessMutex(path);
    expect(await ours.acquire({ timeout: 0 })).toBe(false);
    const waiting = ours.acquire({ timeout: 20_000 });
    await childrenCount(path, 2);
    expect(await ours.getParticipantNodes()).toEqual(await theirs.participantNodes());
    expect(await stillPending(waiting)).toBe(true);
    await theirs.release();
    expect(await waiting).toBe(true);
    await ours.release();
  });

  it('a zookit holder blocks a Curator InterProcessMutex until it releases', async () => {
    const path = lockPath('interop-mutex-z');
    const ours = zk.InterProcessMutex(path, { data: 'zookit' });
    await ours.acquire();
    const theirs = await CuratorLock.make('mutex', path);
    expect(await theirs.acquire(300)).toBe(false);
    const waiting = theirs.acquire(20_000);
    await childrenCount(path, 2);
    expect(await theirs.participantNodes()).toEqual(await ours.getParticipantNodes());
    expect(await stillPending(waiting)).toBe(true);
    await ours.release();
    expect(await waiting).toBe(true);
    expect(await ours.acquire({ timeout: 0 })).toBe(false);
    await theirs.release();
  });

  it('a line of zookit and Curator contenders is served in order, one holder at a time', async () => {
    const path = lockPath('interop-mutex-line');
    const order: string[] = [];
    const first = zk.InterProcessMutex(path);
    await first.acquire();
    const curatorWaiter = await CuratorLock.make('mutex', path);
    const curatorDone = curatorWaiter.acquire(20_000).then(() => order.push('curator'));
    await childrenCount(path, 2);
    const second = (await pool.open({ hosts: server.connectString })).InterProcessMutex(path);
    const secondDone = second.acquire({ timeout: 20_000 }).then(() => order.push('zookit'));
    await childrenCount(path, 3);
    await first.release();
    await curatorDone;
    expect(await stillPending(secondDone)).toBe(true);
    await curatorWaiter.release();
    await secondDone;
    expect(order).toEqual(['curator', 'zookit']);
    await second.release();
  });

  it("Curator's Revoker.attemptRevoke reaches a revocable zookit holder, and zookit's attemptRevoke writes what Curator writes", async () => {
    const path = lockPath('interop-revoke');
    const ours = zk.InterProcessMutex(path);
    const asked: string[] = [];
    ours.makeRevocable((mutex) => {
      asked.push(mutex.lockPath!);
      void mutex.release();
    });
    await ours.acquire();
    const node = ours.lockPath!;
    await curator.request('revoke', { path: node });
    await waitUntil(() => !ours.isAcquiredInThisProcess(), 'the revoked holder to release');
    expect(asked).toEqual([node]);

    const theirs = await CuratorLock.make('mutex', path);
    await theirs.acquire();
    const [theirNode] = await theirs.participantNodes();
    await attemptRevoke(zk, theirNode!);
    expect(await curator.request('getData', { path: theirNode })).toBe('__REVOKE__');
    await theirs.release();
  });
});

describe('InterProcessReadWriteLock shared with Curator', () => {
  it('readers of both share the lock, and each side’s reader blocks the other side’s writer', async () => {
    const path = lockPath('interop-rw-read');
    const theirs = await CuratorLock.readWrite(path);
    const ours = zk.InterProcessReadWriteLock(path);
    expect(await theirs.read.acquire()).toBe(true);
    expect(await ours.readLock().acquire({ timeout: 2000 })).toBe(true);
    const other = (await pool.open({ hosts: server.connectString })).InterProcessReadWriteLock(path);
    expect(await other.writeLock().acquire({ timeout: 300 })).toBe(false);
    await theirs.read.release();
    expect(await theirs.write.acquire(300)).toBe(false); // our reader still holds
    await ours.readLock().release();
    expect(await theirs.write.acquire(2000)).toBe(true);
    expect(await ours.readLock().acquire({ timeout: 300 })).toBe(false);
    await theirs.write.release();
  });

  it("a zookit writer blocks Curator's reader and writer, and Curator's writer then blocks a zookit reader", async () => {
    const path = lockPath('interop-rw-write');
    const ours = zk.InterProcessReadWriteLock(path);
    await ours.writeLock().acquire();
    const theirs = await CuratorLock.readWrite(path);
    expect(await theirs.read.acquire(300)).toBe(false);
    const writing = theirs.write.acquire(20_000);
    await childrenCount(path, 2);
    await ours.writeLock().release();
    expect(await writing).toBe(true);
    const names = await zk.getChildren(path);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(new RegExp(`^${PROTECTED}__WRIT__\\d{10}$`));
    expect(await ours.readLock().acquire({ timeout: 300 })).toBe(false);
    await theirs.write.release();
    expect(await ours.readLock().acquire({ timeout: 2000 })).toBe(true);
    expect((await zk.getChildren(path))[0]).toMatch(new RegExp(`^${PROTECTED}__READ__\\d{10}$`));
    await ours.readLock().release();
  });
});

describe('InterProcessSemaphoreV2 and InterProcessSemaphoreMutex shared with Curator', () => {
  it('never more than maxLeases across both: Curator and zookit take turns at 2 leases', async () => {
    const path = lockPath('interop-semaphore');
    await curator.request('semaphore', { name: 's', path, maxLeases: 2 });
    const ours = zk.InterProcessSemaphoreV2(path, 2);
    const [theirFirst] = await curator.request<string[]>('semaphoreAcquire', { name: 's' });
    const ourFirst = await ours.acquire();
    expect(await curator.request('semaphoreAcquire', { name: 's', timeoutMs: 300 })).toBeNull();
    expect(await ours.acquire({ timeout: 300 })).toBeUndefined();
    expect((await ours.getParticipantNodes()).sort()).toEqual([theirFirst, ourFirst.nodeName].sort());
    // A zookit acquirer waits; Curator's lease is returned; the waiter gets it.
    const waiting = ours.acquire({ timeout: 20_000 });
    expect(await stillPending(waiting)).toBe(true);
    await curator.request('returnLease', { name: 's', lease: theirFirst });
    const ourSecond = await waiting;
    expect(ourSecond).toBeDefined();
    expect(await curator.request('semaphoreAcquire', { name: 's', timeoutMs: 300 })).toBeNull();
    // A Curator acquirer for 2 waits for both of ours.
    const theirs = curator.request<string[] | null>(
      'semaphoreAcquire',
      { name: 's', qty: 2, timeoutMs: 20_000 },
      30_000,
    );
    await ourFirst.close();
    expect(await stillPending(theirs)).toBe(true);
    await ourSecond!.close();
    const both = await theirs;
    expect(both).toHaveLength(2);
    expect((await curator.request<string[]>('semaphoreParticipants', { name: 's' })).sort()).toEqual(
      [...both!].sort(),
    );
    expect(await ours.acquire({ timeout: 0 })).toBeUndefined();
    for (const lease of both!) await curator.request('returnLease', { name: 's', lease });
  });

  it("Curator's InterProcessSemaphoreMutex and zookit's exclude each other", async () => {
    const path = lockPath('interop-semmutex');
    const theirs = await CuratorLock.make('semaphoreMutex', path);
    const ours = zk.InterProcessSemaphoreMutex(path);
    expect(await theirs.acquire()).toBe(true);
    expect(await ours.acquire({ timeout: 300 })).toBe(false);
    await theirs.release();
    expect(await ours.acquire({ timeout: 2000 })).toBe(true);
    expect(await theirs.acquire(300)).toBe(false);
    await ours.release();
  });
});

describe('three languages, one lock', () => {
  it("a kazoo Lock (extra_lock_patterns=['-lock-']) and a zookit Lock (extraLockPatterns: ['-lock-']) wait for a Curator InterProcessMutex holder, then exclude each other", async () => {
    const kazoo = await KazooPeer.start(server.connectString);
    try {
      const path = lockPath('interop-three');
      const theirs = await CuratorLock.make('mutex', path);
      expect(await theirs.acquire()).toBe(true);
      await kazoo.construct('k', 'Lock', [path, 'kazoo'], { extra_lock_patterns: ['-lock-'] });
      const ours = zk.Lock(path, 'zookit', { extraLockPatterns: ['-lock-'] });
      expect(await kazoo.call('k', 'acquire', [], { blocking: false })).toBe(false);
      expect(await ours.acquire({ blocking: false })).toBe(false);
      expect(await zk.InterProcessMutex(path).acquire({ timeout: 0 })).toBe(false);

      // Both wait behind Curator's node: kazoo first, then zookit.
      const kazooGot = kazoo.call<boolean>('k', 'acquire', [], { timeout: 20 }, 30_000);
      await childrenCount(path, 2);
      let zookitGot = false;
      const zookitWaiting = ours.acquire({ timeout: 20_000 }).then((got) => {
        zookitGot = got;
      });
      await childrenCount(path, 3);
      expect(await ours.contenders()).toEqual([expect.stringMatching(/^[\d.:a-f]+$/), 'kazoo', 'zookit']);
      await sleep(300);
      expect(zookitGot).toBe(false);
      await theirs.release();
      expect(await kazooGot).toBe(true);
      expect(await stillPending(zookitWaiting)).toBe(true);
      expect(await kazoo.call('k', 'release')).toBe(true);
      await zookitWaiting;
      expect(zookitGot).toBe(true);
      expect(await kazoo.call('k', 'acquire', [], { blocking: false })).toBe(false);
      await ours.release();
    } finally {
      await kazoo.stop();
    }
  });
});

describe('InterProcessMultiLock shared with Curator', () => {
  it("a Curator multi lock holding two paths blocks a zookit multi lock on them, and a zookit mutex on either; once it releases, zookit's takes both", async () => {
    const [a, b] = [lockPath('interop-multi-a'), lockPath('interop-multi-b')];
    const theirs = await CuratorLock.multi([a, b]);
    expect(await theirs.acquire()).toBe(true);
    for (const path of [a, b]) expect(await zk.getChildren(path)).toHaveLength(1);
    expect(await zk.InterProcessMutex(b).acquire({ timeout: 0 })).toBe(false);
    const ours = zk.InterProcessMultiLock([a, b]);
    expect(await ours.acquire({ timeout: 300 })).toBe(false);
    expect(await zk.getChildren(a)).toHaveLength(1); // the timed-out acquire left nothing behind
    const waiting = ours.acquire({ timeout: 20_000 });
    await childrenCount(a, 2);
    expect(await stillPending(waiting)).toBe(true);
    await theirs.release();
    expect(await waiting).toBe(true);
    for (const path of [a, b]) expect(await zk.getChildren(path)).toHaveLength(1);
    await ours.release();
  });

  it('a zookit multi lock holding two paths blocks a Curator multi lock until it releases', async () => {
    const [a, b] = [lockPath('interop-multi-za'), lockPath('interop-multi-zb')];
    const ours = zk.InterProcessMultiLock([a, b]);
    await ours.acquire();
    const theirs = await CuratorLock.multi([a, b]);
    expect(await theirs.acquire(300)).toBe(false);
    const waiting = theirs.acquire(20_000);
    await childrenCount(a, 2);
    expect(await stillPending(waiting)).toBe(true);
    await ours.release();
    expect(await waiting).toBe(true);
    expect(await ours.acquire({ timeout: 0 })).toBe(false);
    await theirs.release();
  });
});
