// InterProcessMutex, InterProcessReadWriteLock, InterProcessSemaphoreV2,
// InterProcessSemaphoreMutex and InterProcessMultiLock against a real server: Curator's own lock
// tests (TestInterProcessMutexBase, TestInterProcessMutex, TestInterProcessReadWriteLock,
// TestInterProcessSemaphore, TestInterProcessMultiMutex), one behaviour each, and the layouts read back from the znodes as
// Curator writes them. Faults are in locks-faults.spec.ts, Curator itself in locks-interop.spec.ts.

import { performance } from 'node:perf_hooks';
import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { ConnectionClosedError, InvalidArgumentError } from '../../../lib/errors.js';
import { IllegalMonitorStateError } from '../../../recipes/curator/lock-errors.js';
import type { InterProcessLock } from '../../../recipes/curator/multi-lock.js';
import type { InterProcessMutex } from '../../../recipes/curator/mutex.js';
import { attemptRevoke } from '../../../recipes/curator/revocation.js';
import type { Lease } from '../../../recipes/curator/semaphore-v2.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { ClientPool, rejectionOf, sleep, uniqueName, waitUntil } from '../../client/support.js';
import { containerChildren, serverWatches } from '../support.js';

let server: TestingServer;
const pool = new ClientPool();

beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(async () => {
  await pool.stopAll();
});
afterAll(async () => {
  await server?.close();
});

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });
const lockPath = (name: string): string => `/${uniqueName(name)}`;
const sessionOf = (zk: ZooKeeperClient): bigint => zk.clientId!.sessionId;
/** `_c_<canonical uuid>-`: Curator's protected prefix. */
const PROTECTED = '_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-';
/** Resolves once `path` has `count` children (contenders have their nodes). */
const childrenCount = (zk: ZooKeeperClient, path: string, count: number): Promise<void> =>
  waitUntil(
    async () => (await zk.getChildren(path).catch(() => [])).length === count,
    `${count} children of ${path}`,
  );
const stillPending = async (promise: Promise<unknown>, ms = 300): Promise<boolean> => {
  const pending = Symbol('pending');
  return (await Promise.race([promise, sleep(ms).then(() => pending)])) === pending;
};

describe('InterProcessMutex (TestInterProcessMutexBase, TestInterProcessMutex)', () => {
  it("writes Curator's layout: P/_c_<uuid>-lock-<10 digits>, ephemeral of the session, data as given, the directory a container", async () => {
    const zk = await open();
    const path = `${lockPath('mutex-layout')}/nested/lock`;
    const mutex = zk.InterProcessMutex(path, { data: 'holder ✓' });
    expect(await mutex.acquire()).toBe(true);
    const [name] = await zk.getChildren(path);
    expect(name).toMatch(new RegExp(`^${PROTECTED}lock-\\d{10}$`));
    expect(mutex.lockPath).toBe(`${path}/${name}`);
    const [data, stat] = await zk.get(mutex.lockPath!);
    expect(data!.toString('utf8')).toBe('holder ✓');
    expect(stat.ephemeralOwner).toBe(sessionOf(zk));
    await mutex.release();
    expect(await containerChildren(zk, path)).toEqual([]);
    // Containers: the server reaps the empty directories (every second on the testing server).
    await waitUntil(async () => (await zk.exists(path)) === null, 'the container to be reaped', {
      timeoutMs: 15_000,
    });
    // ... and the next acquire makes them again (CURATOR-724).
    const plain = zk.InterProcessMutex(path);
    expect(await plain.acquire()).toBe(true);
    const [plainData] = await zk.get(plain.lockPath!);
    expect(plainData!.length).toBe(0);
  }, 30_000);

  it('testReentrant: one handle acquires twice with one node, and holds until released twice', async () => {
    const zk = await open();
    const other = await open();
    const path = lockPath('mutex-reentrant');
    const mutex = zk.InterProcessMutex(path);
    expect(await mutex.acquire()).toBe(true);
    expect(await mutex.acquire({ timeout: 0 })).toBe(true);
    expect(await zk.getChildren(path)).toHaveLength(1);
    await mutex.release();
    expect(mutex.isAcquiredInThisProcess()).toBe(true);
    expect(await other.InterProcessMutex(path).acquire({ timeout: 0 })).toBe(false);
    await mutex.release();
    expect(mutex.isAcquiredInThisProcess()).toBe(false);
    expect(await other.InterProcessMutex(path).acquire({ timeout: 0 })).toBe(true);
  });

  it('test2Clients: two handles exclude each other, and the waiter gets the lock when it is released', async () => {
    const path = lockPath('mutex-two');
    const first = (await open()).InterProcessMutex(path);
    const second = (await open()).InterProcessMutex(path);
    await first.acquire();
    const waiting = second.acquire();
    expect(await stillPending(waiting)).toBe(true);
    await first.release();
    expect(await waiting).toBe(true);
    expect(first.isAcquiredInThisProcess()).toBe(false);
    expect(second.isAcquiredInThisProcess()).toBe(true);
  });

  it("tries the lock with timeout 0 (Curator's TN2): false while held elsewhere, leaving no node behind", async () => {
    const zk = await open();
    const path = lockPath('mutex-try');
    const holder = zk.InterProcessMutex(path);
    await holder.acquire();
    const other = zk.InterProcessMutex(path);
    expect(await other.acquire({ timeout: 0 })).toBe(false);
    await childrenCount(zk, path, 1);
    await holder.release();
    expect(await other.acquire({ timeout: 0 })).toBe(true);
  });

  it('resolves false once a timeout runs out, counted from the call, and removes its node', async () => {
    const zk = await open();
    const path = lockPath('mutex-timeout');
    await zk.InterProcessMutex(path).acquire();
    const waiter = (await open()).InterProcessMutex(path);
    const started = performance.now();
    expect(await waiter.acquire({ timeout: 700 })).toBe(false);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(650);
    expect(elapsed).toBeLessThan(1500);
    await childrenCount(zk, path, 1);
    expect(waiter.isAcquiredInThisProcess()).toBe(false);
  });

  it('a release by a handle that does not hold rejects with IllegalMonitorStateError', async () => {
    const zk = await open();
    const path = lockPath('mutex-not-held');
    const holder = zk.InterProcessMutex(path);
    await holder.acquire();
    const error = await rejectionOf(() => zk.InterProcessMutex(path).release());
    expect(error).toBeInstanceOf(IllegalMonitorStateError);
    expect(error).toMatchObject({ code: 'ERR_ZOOKIT_ILLEGAL_MONITOR_STATE', path });
    await holder.release();
    expect(await rejectionOf(() => holder.release())).toBeInstanceOf(IllegalMonitorStateError);
  });

  it('each waiter watches only its immediate predecessor (a getData watch, server wchc): no herd', async () => {
    const holderClient = await open();
    const path = lockPath('mutex-herd');
    const holder = holderClient.InterProcessMutex(path);
    await holder.acquire();
    const waiters: Array<{ zk: ZooKeeperClient; mutex: InterProcessMutex; done: Promise<boolean> }> = [];
    for (let i = 0; i < 3; i++) {
      const zk = await open();
      const mutex = zk.InterProcessMutex(path);
      const done = mutex.acquire();
      await childrenCount(holderClient, path, i + 2);
      waiters.push({ zk, mutex, done });
    }
    const nodes = await holder.getParticipantNodes();
    expect(nodes[0]).toBe(holder.lockPath);
    for (const [i, { zk }] of waiters.entries()) {
      await waitUntil(
        async () => (await serverWatches(server, sessionOf(zk))).length > 0,
        `waiter ${i}'s watch`,
      );
      expect(await serverWatches(server, sessionOf(zk))).toEqual([nodes[i]]);
    }
    await holder.release();
    expect(await waiters[0]!.done).toBe(true);
    expect(await stillPending(waiters[1]!.done, 200)).toBe(true);
    await waiters[0]!.mutex.release();
    expect(await waiters[1]!.done).toBe(true);
    await waiters[1]!.mutex.release();
    expect(await waiters[2]!.done).toBe(true);
    // The winner's wait left no watch behind.
    expect(await serverWatches(server, sessionOf(waiters[2]!.zk))).toEqual([]);
  });

  it('getParticipantNodes lists the full paths of every contender, the holder first, [] without a directory', async () => {
    const zk = await open();
    const path = lockPath('mutex-participants');
    const mutex = zk.InterProcessMutex(path);
    expect(await mutex.getParticipantNodes()).toEqual([]);
    await mutex.acquire();
    const waiter = (await open()).InterProcessMutex(path);
    const waiting = waiter.acquire();
    await childrenCount(zk, path, 2);
    const nodes = await mutex.getParticipantNodes();
    expect(nodes).toHaveLength(2);
    expect(nodes[0]).toBe(mutex.lockPath);
    expect(nodes[1]).toMatch(new RegExp(`^${path}/${PROTECTED}lock-\\d{10}$`));
    await mutex.release();
    await waiting;
    expect(await waiter.getParticipantNodes()).toEqual([waiter.lockPath]);
  });

  it('testRevoking: attemptRevoke writes __REVOKE__ into the holder node, and a revocable holder hears it and releases', async () => {
    const zk = await open();
    const other = await open();
    const path = lockPath('mutex-revoke');
    const holder = zk.InterProcessMutex(path);
    const revoked: string[] = [];
    holder.makeRevocable((mutex) => {
      revoked.push(mutex.lockPath!);
      void mutex.release();
    });
    await holder.acquire();
    const node = holder.lockPath!;
    const waiter = other.InterProcessMutex(path);
    const waiting = waiter.acquire({ timeout: 10_000 });
    await childrenCount(other, path, 2);
    const [first] = await waiter.getParticipantNodes();
    await attemptRevoke(other, first!);
    expect(await waiting).toBe(true);
    expect(revoked).toEqual([node]);
    // The waiter may hear of the deletion before the holder's delete reply arrives.
    await waitUntil(() => !holder.isAcquiredInThisProcess(), 'the holder to finish releasing');
    await attemptRevoke(other, node); // gone already: fine
  });

  it('an aborted signal rejects the acquire with its reason and removes its node', async () => {
    const zk = await open();
    const path = lockPath('mutex-abort');
    await zk.InterProcessMutex(path).acquire();
    const waiter = zk.InterProcessMutex(path);
    const controller = new AbortController();
    const outcome = waiter.acquire({ signal: controller.signal }).catch((error: unknown) => error);
    await childrenCount(zk, path, 2);
    const reason = new Error('shutting down');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    await childrenCount(zk, path, 1);
  });

  it('acquires of one handle that does not hold queue behind each other, so it never has two nodes in the line', async () => {
    const zk = await open();
    const path = lockPath('mutex-one-handle');
    const holder = (await open()).InterProcessMutex(path);
    await holder.acquire();
    const mutex = zk.InterProcessMutex(path);
    const a = mutex.acquire();
    const b = mutex.acquire();
    await childrenCount(zk, path, 2);
    await sleep(200);
    expect(await zk.getChildren(path)).toHaveLength(2);
    await holder.release();
    expect(await a).toBe(true);
    expect(await b).toBe(true); // re-entered the hold a got
    await mutex.release();
    expect(mutex.isAcquiredInThisProcess()).toBe(true);
    await mutex.release();
    await childrenCount(zk, path, 0);
  });

  it('`await using` releases every count the handle holds', async () => {
    const zk = await open();
    const path = lockPath('mutex-using');
    {
      await using mutex = zk.InterProcessMutex(path);
      await mutex.acquire();
      await mutex.acquire();
      expect(await zk.getChildren(path)).toHaveLength(1);
    }
    expect(await containerChildren(zk, path)).toEqual([]);
  });

  it('rejects at once with ConnectionClosedError on a stopped client', async () => {
    const zk = await open();
    await zk.stop();
    expect(await rejectionOf(() => zk.InterProcessMutex('/mutex-stopped').acquire())).toBeInstanceOf(
      ConnectionClosedError,
    );
  });
});

describe('InterProcessReadWriteLock (TestInterProcessReadWriteLock)', () => {
  it("writes Curator's layout: one directory of _c_<uuid>-__READ__<seq> and _c_<uuid>-__WRIT__<seq>", async () => {
    const zk = await open();
    const path = lockPath('rw-layout');
    const rw = zk.InterProcessReadWriteLock(path, { data: 'me' });
    expect(await rw.readLock().acquire()).toBe(true);
    const writer = (await open()).InterProcessReadWriteLock(path).writeLock();
    const writing = writer.acquire();
    await childrenCount(zk, path, 2);
    const names = (await zk.getChildren(path)).sort((a, b) => a.slice(-10).localeCompare(b.slice(-10)));
    expect(names[0]).toMatch(new RegExp(`^${PROTECTED}__READ__\\d{10}$`));
    expect(names[1]).toMatch(new RegExp(`^${PROTECTED}__WRIT__\\d{10}$`));
    const [data] = await zk.get(`${path}/${names[0]}`);
    expect(data!.toString()).toBe('me');
    expect(await rw.readLock().getParticipantNodes()).toEqual([`${path}/${names[0]}`]);
    expect(await rw.writeLock().getParticipantNodes()).toEqual([`${path}/${names[1]}`]);
    await rw.readLock().release();
    expect(await writing).toBe(true);
  });

  it('testBasic: readers share the lock; a writer waits for them, and readers wait for the writer', async () => {
    const path = lockPath('rw-basic');
    const a = (await open()).InterProcessReadWriteLock(path);
    const b = (await open()).InterProcessReadWriteLock(path);
    const c = (await open()).InterProcessReadWriteLock(path);
    expect(await a.readLock().acquire()).toBe(true);
    expect(await b.readLock().acquire({ timeout: 1000 })).toBe(true);
    expect(await c.writeLock().acquire({ timeout: 300 })).toBe(false);
    await a.readLock().release();
    await b.readLock().release();
    expect(await c.writeLock().acquire({ timeout: 1000 })).toBe(true);
    expect(await a.readLock().acquire({ timeout: 300 })).toBe(false);
    expect(await b.writeLock().acquire({ timeout: 0 })).toBe(false);
    await c.writeLock().release();
    expect(await a.readLock().acquire({ timeout: 1000 })).toBe(true);
  });

  it('a reader waits only for writers before it: a writer that queued after a waiting reader does not hold it back', async () => {
    const path = lockPath('rw-order');
    const w0 = (await open()).InterProcessReadWriteLock(path).writeLock();
    const zk = await open();
    await w0.acquire();
    const reader = zk.InterProcessReadWriteLock(path).readLock();
    const reading = reader.acquire();
    await childrenCount(zk, path, 2);
    const w1 = (await open()).InterProcessReadWriteLock(path).writeLock();
    const writing = w1.acquire();
    await childrenCount(zk, path, 3);
    await w0.release();
    expect(await reading).toBe(true);
    expect(await stillPending(writing)).toBe(true);
    await reader.release();
    expect(await writing).toBe(true);
  });

  it("testDowngrading and testContendingDowngrading (CURATOR-621): the writer takes the read lock, releases the write lock and keeps reading; a writer queued meanwhile still waits; the reader's node carries the writer's counter", async () => {
    const zk = await open();
    const path = lockPath('rw-downgrade');
    const rw = zk.InterProcessReadWriteLock(path);
    await rw.writeLock().acquire();
    const writerNode = rw.writeLock().lockPath!;
    const other = (await open()).InterProcessReadWriteLock(path).writeLock();
    const contending = other.acquire();
    await childrenCount(zk, path, 2);
    expect(await rw.readLock().acquire({ timeout: 5000 })).toBe(true);
    const readerNode = rw.readLock().lockPath!;
    expect(readerNode).toMatch(new RegExp(`/${PROTECTED}__READ__${writerNode.slice(-10)}$`));
    expect((await zk.exists(readerNode))!.ephemeralOwner).toBe(sessionOf(zk)); // ephemeral, not sequential
    await rw.writeLock().release();
    expect(await stillPending(contending, 500)).toBe(true);
    // Another reader comes after the queued writer: it waits for it.
    expect(await (await open()).InterProcessReadWriteLock(path).readLock().acquire({ timeout: 300 })).toBe(
      false,
    );
    await rw.readLock().release();
    expect(await contending).toBe(true);
  });

  it('testThatUpgradingIsDisallowed: the write lock of a handle holding only the read lock is refused at once', async () => {
    const zk = await open();
    const rw = zk.InterProcessReadWriteLock(lockPath('rw-upgrade'));
    await rw.readLock().acquire();
    const started = performance.now();
    expect(await rejectionOf(() => rw.writeLock().acquire({ timeout: 5000 }))).toBeInstanceOf(
      IllegalMonitorStateError,
    );
    expect(performance.now() - started).toBeLessThan(500);
    await rw.readLock().release();
    expect(await rw.writeLock().acquire()).toBe(true);
  });
});

describe('InterProcessSemaphoreV2 (TestInterProcessSemaphore)', () => {
  it("writes Curator's layout: P/locks/ (the gate mutex) and P/leases/_c_<uuid>-lease-<seq> with the node data", async () => {
    const zk = await open();
    const path = lockPath('sem-layout');
    const semaphore = zk.InterProcessSemaphoreV2(path, 2);
    semaphore.setNodeData('payload');
    const lease = await semaphore.acquire();
    expect(lease.path).toMatch(new RegExp(`^${path}/leases/${PROTECTED}lease-\\d{10}$`));
    expect(lease.nodeName).toBe(lease.path.slice(`${path}/leases/`.length));
    expect((await lease.getData())!.toString()).toBe('payload');
    expect((await zk.exists(lease.path))!.ephemeralOwner).toBe(sessionOf(zk));
    // 'locks' too while the gate is held; it is a container the server may reap once it is empty.
    expect(await zk.getChildren(path)).toContain('leases');
    // The gate is released once the lease is got.
    // The gate is a container, which the server may reap once it is empty: none counts as free.
    await childrenCount(zk, `${path}/locks`, 0);
    expect(await semaphore.getParticipantNodes()).toEqual([lease.nodeName]);
    await lease.close();
    expect(await semaphore.getParticipantNodes()).toEqual([]);
  });

  it('testSimple: with one lease the second acquire times out (undefined), and gets it once the first is returned', async () => {
    const path = lockPath('sem-simple');
    const a = (await open()).InterProcessSemaphoreV2(path, 1);
    const b = (await open()).InterProcessSemaphoreV2(path, 1);
    const lease = await a.acquire();
    expect(await b.acquire({ timeout: 300 })).toBeUndefined();
    expect(await b.acquire({ timeout: 0 })).toBeUndefined();
    await a.returnLease(lease);
    const got = await b.acquire({ timeout: 3000 });
    expect(got).toBeDefined();
    expect(await a.getParticipantNodes()).toEqual([got!.nodeName]);
  });

  it('testMaxPerSession and qty: takes several leases at once, all or none', async () => {
    const zk = await open();
    const path = lockPath('sem-qty');
    const semaphore = zk.InterProcessSemaphoreV2(path, 5);
    const three = await semaphore.acquire({ qty: 3 });
    expect(three).toHaveLength(3);
    expect(await semaphore.acquire({ qty: 3, timeout: 500 })).toBeUndefined();
    // None of the two it could take is kept.
    await waitUntil(
      async () => (await semaphore.getParticipantNodes()).length === 3,
      'the partial leases to go',
    );
    const two = await semaphore.acquire({ qty: 2, timeout: 1000 });
    expect(two).toHaveLength(2);
    await semaphore.returnAll([...three, ...two!]);
    expect(await semaphore.getParticipantNodes()).toEqual([]);
  });

  it('testThreads: 8 acquirers on 4 clients never hold more than maxLeases (3) at once, and all get a turn', async () => {
    const path = lockPath('sem-threads');
    const clients = await Promise.all([open(), open(), open(), open()]);
    let inside = 0;
    let most = 0;
    let turns = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const semaphore = clients[i % 4]!.InterProcessSemaphoreV2(path, 3);
        for (let round = 0; round < 2; round++) {
          const lease = await semaphore.acquire({ timeout: 20_000 });
          if (lease === undefined) throw new Error('no lease within 20 s');
          inside += 1;
          most = Math.max(most, inside);
          await sleep(30);
          inside -= 1;
          turns += 1;
          await lease.close();
        }
      }),
    );
    expect(turns).toBe(16);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(1);
  });

  it('testNoOrphanedNodes: an acquire that timed out or was aborted leaves no lease node behind', async () => {
    const zk = await open();
    const path = lockPath('sem-orphans');
    const semaphore = zk.InterProcessSemaphoreV2(path, 1);
    const lease = await semaphore.acquire();
    expect(await (await open()).InterProcessSemaphoreV2(path, 1).acquire({ timeout: 300 })).toBeUndefined();
    const controller = new AbortController();
    const aborted = (await open())
      .InterProcessSemaphoreV2(path, 1)
      .acquire({ signal: controller.signal })
      .catch((error: unknown) => error);
    await waitUntil(async () => (await semaphore.getParticipantNodes()).length === 2, 'the waiting lease');
    controller.abort(new Error('stop'));
    expect(await aborted).toEqual(new Error('stop'));
    await waitUntil(async () => (await semaphore.getParticipantNodes()).length === 1, 'only the held lease');
    expect(await semaphore.getParticipantNodes()).toEqual([lease.nodeName]);
    // The gate is a container, which the server may reap once it is empty: none counts as free.
    await childrenCount(zk, `${path}/locks`, 0);
  });

  it('`await using` returns a lease', async () => {
    const zk = await open();
    const semaphore = zk.InterProcessSemaphoreV2(lockPath('sem-using'), 1);
    let nodeName: string;
    {
      await using lease: Lease = await semaphore.acquire();
      nodeName = lease.nodeName;
      expect(await semaphore.getParticipantNodes()).toEqual([nodeName]);
    }
    expect(await semaphore.getParticipantNodes()).toEqual([]);
  });
});

describe('InterProcessSemaphoreMutex (TestInterProcessSemaphoreMutex)', () => {
  it('is not re-entrant: a second acquire of the holding handle waits (a timed one resolves false), and one handle serves two tasks in turn', async () => {
    const zk = await open();
    const path = lockPath('semmutex');
    const mutex = zk.InterProcessSemaphoreMutex(path);
    expect(await mutex.acquire()).toBe(true);
    expect(await mutex.acquire({ timeout: 300 })).toBe(false);
    expect(mutex.isAcquiredInThisProcess()).toBe(true); // the timed-out acquire did not disturb the hold
    expect((await mutex.getParticipantNodes())[0]).toMatch(new RegExp(`^${PROTECTED}lease-\\d{10}$`));
    const second = mutex.acquire();
    expect(await stillPending(second)).toBe(true);
    await mutex.release();
    expect(await second).toBe(true);
    await mutex.release();
    expect(await rejectionOf(() => mutex.release())).toBeInstanceOf(IllegalMonitorStateError);
  });

  it('test2Clients: two handles exclude each other', async () => {
    const path = lockPath('semmutex-two');
    const a = (await open()).InterProcessSemaphoreMutex(path);
    const b = (await open()).InterProcessSemaphoreMutex(path);
    await a.acquire();
    expect(await b.acquire({ timeout: 0 })).toBe(false);
    await a.release();
    expect(await b.acquire({ timeout: 1000 })).toBe(true);
  });
});

describe('InterProcessMultiLock (TestInterProcessMultiMutex)', () => {
  it("takes a mutex on each path in Curator's layout, and releases every one", async () => {
    const zk = await open();
    const [a, b] = [lockPath('multi-layout-a'), lockPath('multi-layout-b')];
    const multi = zk.InterProcessMultiLock([a, b]);
    expect(await multi.acquire()).toBe(true);
    expect(multi.isAcquiredInThisProcess()).toBe(true);
    for (const path of [a, b]) {
      const children = await zk.getChildren(path);
      expect(children).toHaveLength(1);
      expect(children[0]).toMatch(new RegExp(`^${PROTECTED}lock-\\d{10}$`));
      expect((await zk.exists(`${path}/${children[0]}`))!.ephemeralOwner).toBe(zk.clientId!.sessionId);
    }
    await multi.release();
    expect(multi.isAcquiredInThisProcess()).toBe(false);
    for (const path of [a, b]) expect(await containerChildren(zk, path)).toEqual([]);
  });

  it('testAcquireFailure: when one lock cannot be had in time it holds none of them', async () => {
    const [zk, other] = [await open(), await open()];
    const [a, b] = [lockPath('multi-fail-a'), lockPath('multi-fail-b')];
    const blocker = other.InterProcessMutex(b);
    await blocker.acquire();
    const multi = zk.InterProcessMultiLock([a, b]);
    expect(await multi.acquire({ timeout: 300 })).toBe(false);
    expect(multi.isAcquiredInThisProcess()).toBe(false);
    expect(await containerChildren(zk, a)).toEqual([]); // the first lock was given back
    expect(await zk.getChildren(b)).toHaveLength(1); // only the blocker
    expect(await multi.acquire({ timeout: 0 })).toBe(false);
    await blocker.release();
    expect(await multi.acquire({ timeout: 0 })).toBe(true);
    await multi.release();
  });

  it('two multi locks on the same paths exclude each other; the waiter gets both when the holder releases', async () => {
    const [a, b] = [lockPath('multi-two-a'), lockPath('multi-two-b')];
    const first = (await open()).InterProcessMultiLock([a, b]);
    const observer = await open();
    const second = observer.InterProcessMultiLock([a, b]);
    await first.acquire();
    const waiting = second.acquire({ timeout: 20_000 });
    await childrenCount(observer, a, 2);
    expect(await stillPending(waiting)).toBe(true);
    await first.release();
    expect(await waiting).toBe(true);
    for (const path of [a, b]) expect(await observer.getChildren(path)).toHaveLength(1);
    await second.release();
  });

  it('is re-entrant over mutexes: each acquire needs a release, and a release too many is refused', async () => {
    const zk = await open();
    const [a, b] = [lockPath('multi-reentrant-a'), lockPath('multi-reentrant-b')];
    const multi = zk.InterProcessMultiLock([a, b]);
    await multi.acquire();
    expect(await multi.acquire({ timeout: 0 })).toBe(true);
    await multi.release();
    expect(multi.isAcquiredInThisProcess()).toBe(true);
    for (const path of [a, b]) expect(await zk.getChildren(path)).toHaveLength(1);
    await multi.release();
    expect(await rejectionOf(() => multi.release())).toBeInstanceOf(IllegalMonitorStateError);
  });

  it('testWaitingProcess with mixed kinds: a write lock and a semaphore mutex taken together; a reader waits for both to go', async () => {
    const [zk, other] = [await open(), await open()];
    const [rw, sem] = [lockPath('multi-mixed-rw'), lockPath('multi-mixed-sem')];
    const locks: InterProcessLock[] = [
      zk.InterProcessReadWriteLock(rw).writeLock(),
      zk.InterProcessSemaphoreMutex(sem),
    ];
    const multi = zk.InterProcessMultiLock(locks);
    await multi.acquire();
    const reader = other.InterProcessReadWriteLock(rw).readLock();
    expect(await reader.acquire({ timeout: 0 })).toBe(false);
    expect(await other.InterProcessSemaphoreMutex(sem).acquire({ timeout: 0 })).toBe(false);
    const reading = reader.acquire({ timeout: 20_000 });
    expect(await stillPending(reading)).toBe(true);
    await multi.release();
    expect(await reading).toBe(true);
    expect(locks.map((lock) => lock.isAcquiredInThisProcess())).toEqual([false, false]);
  });

  it('`await using` releases every lock', async () => {
    const zk = await open();
    const [a, b] = [lockPath('multi-using-a'), lockPath('multi-using-b')];
    {
      await using multi = zk.InterProcessMultiLock([a, b]);
      await multi.acquire();
      await multi.acquire();
      expect(await zk.getChildren(b)).toHaveLength(1);
    }
    for (const path of [a, b]) expect(await containerChildren(zk, path)).toEqual([]);
  });

  it('refuses an empty list and a bad timeout before sending anything', async () => {
    const zk = await open();
    expect(() => zk.InterProcessMultiLock([])).toThrow(InvalidArgumentError);
    const path = lockPath('multi-bad');
    const multi = zk.InterProcessMultiLock([path]);
    for (const timeout of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(await rejectionOf(() => multi.acquire({ timeout }))).toBeInstanceOf(InvalidArgumentError);
    expect(await zk.exists(path)).toBeNull();
  });
});
