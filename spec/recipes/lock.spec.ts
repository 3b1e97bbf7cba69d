// Lock, ReadLock and WriteLock against a real server: kazoo's own lock tests (kazoo/tests/
// test_lock.py), one each, and the znode layout read back exactly as kazoo writes it. The fault
// cases (kazoo's bugs, connection loss, expiry, lost replies) are in lock-faults.spec.ts.

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { ConnectionState } from '../../lib/states.js';
import { Lock, ReadLock, WriteLock } from '../../recipes/lock.js';
import { CancelledError, LockTimeoutError } from '../../recipes/recipe-errors.js';
import { expireSession } from '../../testing/expire-session.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, sleep, uniqueName, waitUntil } from '../client/support.js';

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

/** Resolves once `lock` has a contender node on the server (it is waiting or holding). */
const contending = (lock: Lock): Promise<void> =>
  waitUntil(() => lock.node !== undefined, 'a contender node');

describe('Lock (kazoo test_lock.py)', () => {
  it("writes kazoo's layout: <path>/<32 hex>__lock__<10 digits>, ephemeral, data = identifier (UTF-8), empty without one", async () => {
    const zk = await open();
    const path = lockPath('lock-layout');
    const named = zk.Lock(path, 'holder ünïcode');
    expect(await named.acquire()).toBe(true);
    const [name] = await zk.getChildren(path);
    expect(name).toMatch(/^[0-9a-f]{32}__lock__\d{10}$/);
    expect(named.node).toBe(`${path}/${name}`);
    const [data, stat] = await zk.get(named.node!);
    expect(data!.toString('utf8')).toBe('holder ünïcode');
    expect(stat.ephemeralOwner).toBe(zk.clientId!.sessionId);
    await named.release();

    const reader = zk.ReadLock(path);
    expect(await reader.acquire()).toBe(true);
    const [readerName] = await zk.getChildren(path);
    expect(readerName).toMatch(/^[0-9a-f]{32}__rlock__\d{10}$/);
    const [readerData] = await zk.get(`${path}/${readerName}`);
    expect(readerData!.length).toBe(0);
    const writer = new WriteLock(zk, path, 'w');
    expect(await writer.acquire({ blocking: false })).toBe(false);
    await reader.release();
    expect(await writer.acquire({ blocking: false })).toBe(true);
    expect((await zk.getChildren(path))[0]).toMatch(/^[0-9a-f]{32}__lock__\d{10}$/);
  });

  it('test_lock_one: a holder is the only contender, and another handle sees it', async () => {
    const zk = await open();
    const path = lockPath('lock-one');
    const lock = zk.Lock(path, 'one');
    expect(await lock.acquire()).toBe(true);
    expect(lock.isAcquired).toBe(true);
    expect(await zk.Lock(path, 'other').contenders()).toEqual(['one']);
    expect(await lock.release()).toBe(true);
    expect(lock.isAcquired).toBe(false);
    expect(lock.node).toBeUndefined();
    expect(await zk.getChildren(path)).toEqual([]);
  });

  it('test_lock: waiters line up behind the holder and get the lock in order, one at a time', async () => {
    const zk = await open();
    const other = await open();
    const path = lockPath('lock-order');
    const first = zk.Lock(path, 'test');
    await first.acquire();
    const names = ['c0', 'c1', 'c2', 'c3', 'c4'];
    const order: string[] = [];
    let inside = 0;
    const waiters = names.map((name, i) => {
      const lock = (i % 2 === 0 ? zk : other).Lock(path, name);
      return { name, lock };
    });
    const runs: Promise<void>[] = [];
    for (const { name, lock } of waiters) {
      runs.push(
        lock.acquire().then(async () => {
          inside += 1;
          expect(inside).toBe(1);
          order.push(name);
          await sleep(20);
          inside -= 1;
          await lock.release();
        }),
      );
      await contending(lock); // so the line-up order is the order of this loop
    }
    expect(await first.contenders()).toEqual(['test', ...names]);
    await first.release();
    await Promise.all(runs);
    expect(order).toEqual(names);
  });

  it("test_lock_reconnect: the holder's session expires, and the waiter gets the lock", async () => {
    const holder = await open();
    const waiterClient = await open();
    const path = lockPath('lock-reconnect');
    const lock = holder.Lock(path, 'test');
    await lock.acquire();
    const waiter = waiterClient.Lock(path, 'contender');
    const waiting = waiter.acquire();
    await contending(waiter);
    expect(await lock.contenders()).toEqual(['test', 'contender']);
    const { sessionId, password } = holder.clientId!;
    await expireSession(server.connectString, { sessionId, passwd: password });
    expect(await waiting).toBe(true);
    expect(await waiter.contenders()).toEqual(['contender']);
  });

  it('test_lock_non_blocking: a non-blocking acquire of a held lock resolves false and leaves no node', async () => {
    const zk = await open();
    const path = lockPath('lock-nonblocking');
    const holder = zk.Lock(path, 'holder');
    await holder.acquire();
    const other = zk.Lock(path, 'other');
    expect(await other.acquire({ blocking: false })).toBe(false);
    expect(other.node).toBeUndefined();
    expect(await holder.contenders()).toEqual(['holder']);
  });

  it('test_lock_cancel: cancel() makes the waiting acquire reject with CancelledError and removes its node', async () => {
    const zk = await open();
    const zk2 = await open();
    const path = lockPath('lock-cancel');
    await zk.Lock(path, 'one').acquire();
    const two = zk2.Lock(path, 'two');
    const waiting = two.acquire();
    await contending(two);
    expect(await two.contenders()).toEqual(['one', 'two']);
    two.cancel();
    const error = await rejectionOf(() => waiting);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).code).toBe('ERR_ZOOKIT_CANCELLED');
    await waitUntil(async () => (await zk.getChildren(path)).length === 1, 'the cancelled node to go');
    expect(await two.contenders()).toEqual(['one']);
    // cancel() outside an acquire does nothing: the next acquire is not cancelled by it.
    two.cancel();
    expect(await two.acquire({ blocking: false })).toBe(false);
  });

  it('test_lock_no_double_calls / test_lock_same_thread_no_block: not re-entrant, a second acquire while holding resolves false at once (blocking or not) and keeps the lock', async () => {
    const zk = await open();
    const path = lockPath('lock-double');
    const lock = zk.Lock(path, 'one');
    expect(await lock.acquire({ blocking: false })).toBe(true);
    const started = performance.now();
    expect(await lock.acquire()).toBe(false); // kazoo spins here until released
    expect(await lock.acquire({ timeout: 500 })).toBe(false);
    expect(await lock.acquire({ blocking: false })).toBe(false);
    expect(performance.now() - started).toBeLessThan(400);
    expect(lock.isAcquired).toBe(true);
    expect(await zk.getChildren(path)).toHaveLength(1);
    expect(await lock.release()).toBe(true);
    expect(lock.isAcquired).toBe(false);
  });

  it('test_lock_many_threads_no_block: concurrent non-blocking acquires of one handle: exactly one gets it', async () => {
    const zk = await open();
    const lock = zk.Lock(lockPath('lock-many-noblock'), 'one');
    const results = await Promise.all(Array.from({ length: 20 }, () => lock.acquire({ blocking: false })));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('test_lock_many_threads: 20 contenders on one client take the lock one at a time', async () => {
    const zk = await open();
    const path = lockPath('lock-many');
    const differences: number[] = [];
    let acquires = 0;
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const lock = zk.Lock(path, `c${i}`);
        await lock.acquire();
        const before = acquires;
        acquires += 1;
        await sleep(10);
        differences.push(acquires - before);
        await lock.release();
      }),
    );
    expect(acquires).toBe(20);
    expect(differences).toEqual(Array(20).fill(1));
    expect(await zk.getChildren(path)).toEqual([]);
  });

  it('test_lock_reacquire: acquire, release, acquire, release on one handle', async () => {
    const zk = await open();
    const lock = zk.Lock(lockPath('lock-reacquire'), 'one');
    for (let i = 0; i < 2; i++) {
      expect(await lock.acquire()).toBe(true);
      expect(await lock.release()).toBe(true);
    }
  });

  it('test_lock_ephemeral: ephemeral: false leaves a persistent node that outlives the client', async () => {
    const zk = await open();
    const other = await open();
    const lock = zk.Lock(lockPath('lock-persistent'), 'ephemeral');
    await lock.acquire({ ephemeral: false });
    const node = lock.node!;
    expect((await zk.exists(node))!.ephemeralOwner).toBe(0n);
    await zk.stop();
    expect(await other.exists(node)).not.toBeNull();
  });

  it('test_lock_timeout: acquire({ timeout }) of a held lock rejects with LockTimeoutError after about the timeout', async () => {
    const zk = await open();
    const zk2 = await open();
    const path = lockPath('lock-timeout');
    await zk.Lock(path, 'one').acquire();
    const two = zk2.Lock(path, 'two');
    const started = performance.now();
    const error = await rejectionOf(() => two.acquire({ timeout: 1000 }));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_ZOOKIT_LOCK_TIMEOUT', path, timeout: 1000 });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1800);
    await waitUntil(async () => (await zk.getChildren(path)).length === 1, 'the timed-out node to go');
  });

  it('test_read_lock: readers share the lock, each not re-entrant, and a writer cannot join them', async () => {
    const zk = await open();
    const zk2 = await open();
    const zk3 = await open();
    const path = lockPath('rlock');
    const one = zk.ReadLock(path, 'reader one');
    expect(await one.acquire({ blocking: false })).toBe(true);
    expect(one.isAcquired).toBe(true);
    expect(await one.acquire({ blocking: false })).toBe(false);
    const two = zk2.ReadLock(path, 'reader two');
    expect(await two.acquire({ blocking: false })).toBe(true);
    expect(await two.acquire({ blocking: false })).toBe(false);
    expect(await zk3.WriteLock(path, 'writer').acquire({ blocking: false })).toBe(false);
  });

  it('test_write_lock: a writer excludes readers', async () => {
    const zk = await open();
    const zk2 = await open();
    const path = lockPath('wlock');
    const writer = zk.WriteLock(path, 'writer');
    expect(await writer.acquire({ blocking: false })).toBe(true);
    expect(await writer.acquire({ blocking: false })).toBe(false);
    expect(await zk2.ReadLock(path, 'reader').acquire({ blocking: false })).toBe(false);
  });

  it('TestSequence: extraLockPatterns counts foreign contenders (go-zookeeper/Curator `-lock-`) as blocking', async () => {
    const zk = await open();
    const path = lockPath('lock-extra');
    await zk.ensurePath(path);
    const foreign = `${path}/_c_8eb60557ba51e0da67eefc47467d3f34-lock-`;
    await zk.create(foreign, 'go', { ephemeral: true, sequence: true });
    await zk.create(`${path}/hello`, '');
    expect(await zk.Lock(path, 'py').acquire({ blocking: false })).toBe(true);
    const withCurator = zk.Lock(path, 'py2', { extraLockPatterns: ['-lock-'] });
    expect(await withCurator.acquire({ blocking: false })).toBe(false);
    expect(await withCurator.contenders()).toEqual(['go', 'py']);
  });
});

describe('ReadLock and WriteLock together', () => {
  it('a WriteLock waits for an earlier ReadLock, and a ReadLock for an earlier WriteLock', async () => {
    const zk = await open();
    const zk2 = await open();
    const path = lockPath('rw-wait');
    const reader = zk.ReadLock(path, 'r');
    await reader.acquire();
    const writer = zk2.WriteLock(path, 'w');
    let written = false;
    const writing = writer.acquire().then((got) => {
      written = got;
    });
    await contending(writer);
    await sleep(200);
    expect(written).toBe(false);
    await reader.release();
    await writing;
    expect(written).toBe(true);

    const laterReader = zk.ReadLock(path, 'r2');
    let read = false;
    const reading = laterReader.acquire().then((got) => {
      read = got;
    });
    await contending(laterReader);
    await sleep(200);
    expect(read).toBe(false);
    await writer.release();
    await reading;
    expect(read).toBe(true);
  });

  it("a plain Lock ignores readers, as kazoo's does (use WriteLock with ReadLock)", async () => {
    const zk = await open();
    const path = lockPath('rw-plain');
    await zk.ReadLock(path, 'r').acquire();
    expect(await zk.Lock(path, 'plain').acquire({ blocking: false })).toBe(true);
    expect(await zk.Lock(path, 'x').contenders()).toEqual(['plain']);
    expect(await zk.WriteLock(path, 'x').contenders()).toEqual(['r', 'plain']);
  });

  it('is bound on the client and usable as a class, with an await-using release', async () => {
    const zk = await open();
    const path = lockPath('lock-binding');
    expect(zk.Lock(path)).toBeInstanceOf(Lock);
    expect(zk.ReadLock(path)).toBeInstanceOf(ReadLock);
    expect(zk.WriteLock(path)).toBeInstanceOf(WriteLock);
    {
      await using lock = new Lock(zk, path, 'scoped');
      await lock.acquire();
      expect(await zk.getChildren(path)).toHaveLength(1);
    }
    expect(await zk.getChildren(path)).toEqual([]);
    expect(zk.connectionState).toBe(ConnectionState.CONNECTED);
  });
});
