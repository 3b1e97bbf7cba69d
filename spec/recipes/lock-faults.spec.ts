// Lock under faults, against a real server: each of kazoo's known lock faults has a test here that
// fails on kazoo 2.8's behaviour (docs/recipes.md#locks), plus connection loss, lost replies and
// session expiry. Contender names are read from the server; "kazoo would" notes say why each test
// tells the two apart.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { ConnectionClosedError, NoNodeError } from '../../lib/errors.js';
import type { Lock } from '../../recipes/lock.js';
import { CancelledError, LockTimeoutError } from '../../recipes/recipe-errors.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from '../client/fault-support.js';
import { ClientPool, rejectionOf, sleep, uniqueName, waitUntil } from '../client/support.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy, serverWatches } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

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

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });
const behindProxy = (): Promise<[ZooKeeperClient, CuttableProxy]> =>
  openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
const lockPath = (name: string): string => `/${uniqueName(name)}`;
const hex = (): string => randomBytes(16).toString('hex');
const sessionOf = (zk: ZooKeeperClient): bigint => zk.clientId!.sessionId;
const contending = (lock: Lock): Promise<void> =>
  waitUntil(() => lock.node !== undefined, 'a contender node');
const basenameOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

describe('Lock ordering and matching (kazoo #730)', () => {
  it('orders contenders across the counter wrap by signed difference: 2147483646, 2147483647, -2147483648, -2147483647 (kazoo sorts the strings: -2147483647 first)', async () => {
    const zk = await open();
    const path = lockPath('lock-wrap');
    await zk.ensurePath(path);
    // Nodes named as the server would name them around the wrap, made with plain creates.
    for (const [seq, id] of [
      ['-2147483647', 'd'],
      ['2147483647', 'b'],
      ['-2147483648', 'c'],
      ['2147483646', 'a'],
    ] as const) {
      await zk.create(`${path}/${hex()}__lock__${seq}`, id);
    }
    expect(await zk.Lock(path).contenders()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('counts a contender whose counter is a 9-digit negative ("-000000005", the server\'s %010d) as blocking; kazoo\'s -?\\d{10} does not see it and takes the lock', async () => {
    const zk = await open();
    const path = lockPath('lock-neg9');
    await zk.ensurePath(path);
    // -5 is five creations before 0: just after the wrap, before any small positive counter.
    await zk.create(`${path}/${hex()}__lock__-000000005`, 'early');
    const lock = zk.Lock(path, 'late');
    expect(await lock.acquire({ blocking: false })).toBe(false);
    expect(await zk.Lock(path).contenders()).toEqual(['early']);
  });
});

describe('Lock waiting', () => {
  it('each waiter watches only its immediate predecessor (server wchc), and a waiter that gives up leaves no watch', async () => {
    const holderClient = await open();
    const path = lockPath('lock-herd');
    const holder = holderClient.Lock(path, 'h');
    await holder.acquire();
    expect(await serverWatches(server, sessionOf(holderClient))).toEqual([]);
    const waiters: Array<{ zk: ZooKeeperClient; lock: Lock; done: Promise<unknown> }> = [];
    for (let i = 0; i < 3; i++) {
      const zk = await open();
      const lock = zk.Lock(path, `w${i}`);
      const done = lock.acquire({ timeout: i === 2 ? 1500 : undefined }).catch((error: unknown) => error);
      await contending(lock);
      waiters.push({ zk, lock, done });
    }
    const nodes = [holder.node!, ...waiters.map((w) => w.lock.node!)];
    for (const [i, { zk }] of waiters.entries()) {
      await waitUntil(
        async () => (await serverWatches(server, sessionOf(zk))).length > 0,
        `waiter ${i}'s watch`,
      );
      expect(await serverWatches(server, sessionOf(zk))).toEqual([nodes[i]]);
    }
    // The last waiter times out: its predecessor watch is taken off the server.
    expect(await waiters[2]!.done).toBeInstanceOf(LockTimeoutError);
    await waitUntil(
      async () => (await serverWatches(server, sessionOf(waiters[2]!.zk))).length === 0,
      'the timed-out waiter to remove its watch',
    );
    await holder.release();
    expect(await waiters[0]!.done).toBe(true);
    await waiters[0]!.lock.release();
    expect(await waiters[1]!.done).toBe(true);
  });

  it('counts the timeout down across waits: a predecessor replaced mid-wait does not restart it (kazoo waits the full timeout again)', async () => {
    const holderClient = await open();
    const waiterClient = await open();
    const path = lockPath('lock-countdown');
    const holder = holderClient.Lock(path, 'h');
    await holder.acquire();
    // A contender between the holder and the waiter, made by hand so the test can delete it.
    const middle = await holderClient.create(`${path}/${hex()}__lock__`, 'm', { sequence: true });
    const waiter = waiterClient.Lock(path, 'w');
    const started = performance.now();
    const outcome = waiter.acquire({ timeout: 2000 }).catch((error: unknown) => error);
    await contending(waiter);
    await waitUntil(
      async () => (await serverWatches(server, sessionOf(waiterClient))).includes(middle),
      'the waiter to watch the middle contender',
    );
    await sleep(1000 - (performance.now() - started));
    await holderClient.delete(middle);
    await waitUntil(
      async () => (await serverWatches(server, sessionOf(waiterClient))).includes(holder.node!),
      'the waiter to watch the holder',
    );
    expect(await outcome).toBeInstanceOf(LockTimeoutError);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1950);
    expect(elapsed).toBeLessThan(2700); // kazoo: about 3000 (1000, then a fresh 2000)
    await waitUntil(async () => (await holderClient.getChildren(path)).length === 1, 'the waiter node to go');
  });

  it('a reader waits only for the writers before it: W0 holds, R waits, W1 comes after R; W0 releases and R gets the lock (kazoo #649: R waited for W1, which waited for R)', async () => {
    const path = lockPath('rw-later-writer');
    const w0 = (await open()).WriteLock(path, 'w0');
    await w0.acquire();
    const reader = (await open()).ReadLock(path, 'r');
    const reading = reader.acquire({ timeout: 5000 });
    await contending(reader);
    const w1 = (await open()).WriteLock(path, 'w1');
    const writing = w1.acquire({ timeout: 10_000 });
    await contending(w1);
    expect(await w0.contenders()).toEqual(['w0', 'r', 'w1']);
    await w0.release();
    expect(await reading).toBe(true);
    await sleep(200);
    expect(w1.isAcquired).toBe(false); // the later writer waits for the reader
    await reader.release();
    expect(await writing).toBe(true);
  });
});

describe('Lock cleanup (kazoo #732, #429)', () => {
  it('removes the node of an acquire that timed out while the connection was cut, once it is back, in the same session (kazoo leaves it until the session ends)', async () => {
    const observer = await open();
    const [zk, proxy] = await behindProxy();
    const path = lockPath('lock-cleanup-cut');
    const holder = observer.Lock(path, 'h');
    await holder.acquire();
    const session = sessionOf(zk);
    const waiter = zk.Lock(path, 'w');
    const started = performance.now();
    const outcome = waiter.acquire({ timeout: 1500 }).catch((error: unknown) => error);
    await contending(waiter);
    const node = waiter.node!;
    await sleep(1200 - (performance.now() - started));
    proxy.block();
    expect(await outcome).toBeInstanceOf(LockTimeoutError);
    expect(performance.now() - started).toBeLessThan(2200);
    await sleep(500);
    expect(await observer.exists(node)).not.toBeNull(); // still there: the delete waits for the connection
    proxy.unblock();
    await waitUntil(async () => (await observer.exists(node)) === null, 'the timed-out node to be deleted', {
      timeoutMs: 8000,
    });
    expect(sessionOf(zk)).toBe(session); // deleted by the cleanup, not by an expiry
    await holder.release();
    expect(await observer.Lock(path, 'next').acquire({ blocking: false })).toBe(true);
  });

  it('an aborted signal rejects with its reason and removes the node', async () => {
    const zk = await open();
    const path = lockPath('lock-abort');
    await zk.Lock(path, 'h').acquire();
    const waiter = zk.Lock(path, 'w');
    const controller = new AbortController();
    const outcome = waiter.acquire({ signal: controller.signal }).catch((error: unknown) => error);
    await contending(waiter);
    const reason = new Error('shutting down');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    await waitUntil(async () => (await zk.getChildren(path)).length === 1, 'the aborted node to go');
    expect(waiter.node).toBeUndefined();
  });

  it('finds again a node whose create reply was lost (held, then the connection cut), leaving exactly one contender, owned by its session', async () => {
    const observer = await open();
    const [zk, proxy] = await behindProxy();
    const path = lockPath('lock-lost-create');
    await observer.ensurePath(path);
    const lock = zk.Lock(path, 'w');
    proxy.hold();
    const outcome = lock.acquire({ timeout: 15_000 });
    await waitUntil(async () => (await observer.getChildren(path)).length === 1, 'the create to apply');
    expect(lock.node).toBeUndefined(); // the reply is held: the lock does not know its node
    proxy.cut();
    proxy.release();
    expect(await outcome).toBe(true);
    const children = await observer.getChildren(path);
    expect(children).toEqual([basenameOf(lock.node!)]);
    expect((await observer.exists(lock.node!))!.ephemeralOwner).toBe(sessionOf(zk));
  });

  it('removes a node whose create reply was lost when the acquire was aborted meanwhile', async () => {
    const observer = await open();
    const [zk, proxy] = await behindProxy();
    const path = lockPath('lock-lost-create-abort');
    await observer.ensurePath(path);
    const lock = zk.Lock(path, 'w');
    const controller = new AbortController();
    proxy.hold();
    const outcome = lock.acquire({ signal: controller.signal }).catch((error: unknown) => error);
    await waitUntil(async () => (await observer.getChildren(path)).length === 1, 'the create to apply');
    controller.abort(new CancelledError('gave up'));
    expect(await outcome).toBeInstanceOf(CancelledError);
    proxy.cut();
    proxy.release();
    await waitUntil(async () => (await observer.getChildren(path)).length === 0, 'the orphan to be removed', {
      timeoutMs: 8000,
    });
  });
});

describe('Lock on a stopped client (kazoo #83, #482)', () => {
  it('rejects at once with ConnectionClosedError on a never-started client and on a stopped one', async () => {
    const never = pool.create({ hosts: server.connectString });
    let started = performance.now();
    const error = await rejectionOf(() => never.Lock('/lock-never').acquire());
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as ConnectionClosedError).code).toBe('ERR_ZOOKIT_CONNECTION_CLOSED');
    expect(performance.now() - started).toBeLessThan(200);

    const stopped = await open();
    await stopped.stop();
    started = performance.now();
    expect(
      await rejectionOf(() => stopped.Lock('/lock-stopped').acquire({ blocking: false })),
    ).toBeInstanceOf(ConnectionClosedError);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('wakes a waiter whose client is stopped, which rejects with ConnectionClosedError', async () => {
    const holderClient = await open();
    const zk = await open();
    const path = lockPath('lock-stop-waiting');
    await holderClient.Lock(path, 'h').acquire();
    const waiter = zk.Lock(path, 'w');
    const outcome = waiter.acquire().catch((error: unknown) => error);
    await contending(waiter);
    await zk.stop();
    expect(await outcome).toBeInstanceOf(ConnectionClosedError);
    expect(await holderClient.getChildren(path)).toHaveLength(1);
  });
});

describe('Lock node recreation (kazoo #563)', () => {
  it('makes the lock node again when it was deleted between two acquires of one handle', async () => {
    const zk = await open();
    const other = await open();
    const path = lockPath('lock-parent');
    const lock = zk.Lock(path, 'one');
    await lock.acquire();
    await lock.release();
    await other.delete(path);
    expect(await lock.acquire()).toBe(true); // kazoo: NoNodeError (it checked the path once)
    expect(await other.getChildren(path)).toEqual([basenameOf(lock.node!)]);
  });
});

describe('Lock and the session', () => {
  it('emits suspended and reconnected while holding across a cut, and lost (isAcquired false) when the session expires', async () => {
    const [zk, proxy] = await behindProxy();
    const other = await open();
    const path = lockPath('lock-session');
    const lock = zk.Lock(path, 'holder');
    const events: string[] = [];
    lock.on('suspended', () => events.push('suspended'));
    lock.on('reconnected', () => events.push('reconnected'));
    lock.on('lost', (reason) => events.push(`lost: ${reason}`));
    await lock.acquire();
    const recorder = new StateRecorder(zk);
    proxy.cut();
    await waitUntil(() => events.includes('reconnected'), 'reconnected');
    expect(events).toEqual(['suspended', 'reconnected']);
    expect(lock.isAcquired).toBe(true);

    await expireWhileAway(server, zk, proxy, recorder);
    expect(events.slice(2, 4)).toEqual(['suspended', expect.stringMatching(/^lost: the session ended/)]);
    expect(lock.isAcquired).toBe(false); // kazoo leaves is_acquired True
    expect(lock.node).toBeUndefined();
    expect(await lock.release()).toBe(false);
    expect(await other.Lock(path, 'next').acquire({ blocking: false })).toBe(true);
  });

  it('a waiter whose session expires contends again with a new node once it has a new session, and gets the lock', async () => {
    const holderClient = await open();
    const [zk, proxy] = await behindProxy();
    const path = lockPath('lock-waiter-expiry');
    const holder = holderClient.Lock(path, 'h');
    await holder.acquire();
    const waiter = zk.Lock(path, 'w');
    const outcome = waiter.acquire({ timeout: 30_000 });
    await contending(waiter);
    const firstNode = waiter.node!;
    const recorder = new StateRecorder(zk);
    await expireWhileAway(server, zk, proxy, recorder);
    await waitUntil(
      async () =>
        waiter.node !== undefined &&
        waiter.node !== firstNode &&
        (await holderClient.exists(waiter.node)) !== null,
      'a new contender node',
    );
    expect(await holderClient.exists(firstNode)).toBeNull();
    expect((await holderClient.exists(waiter.node!))!.ephemeralOwner).toBe(sessionOf(zk));
    await holder.release();
    expect(await outcome).toBe(true);
    expect(await holderClient.getChildren(path)).toEqual([basenameOf(waiter.node!)]);
  });
});

describe('Lock release', () => {
  it('resolves false on a lock not held', async () => {
    const zk = await open();
    expect(await zk.Lock(lockPath('lock-release-none')).release()).toBe(false);
  });

  it('during an outage waits within its timeout, rejects keeping the lock, and a later release deletes the node', async () => {
    const observer = await open();
    const [zk, proxy] = await behindProxy();
    const path = lockPath('lock-release-outage');
    const lock = zk.Lock(path, 'h');
    await lock.acquire();
    const node = lock.node!;
    proxy.block();
    const started = performance.now();
    const error = await rejectionOf(() => lock.release({ timeout: 500 }));
    expect(error).toBeInstanceOf(zk.handler.TimeoutError);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(lock.isAcquired).toBe(true);
    const controller = new AbortController();
    const aborted = lock.release({ signal: controller.signal }).catch((e: unknown) => e);
    controller.abort(new Error('stop waiting'));
    expect(await aborted).toMatchObject({ message: 'stop waiting' });
    expect(await observer.exists(node)).not.toBeNull();
    proxy.unblock();
    expect(await lock.release({ timeout: 10_000 })).toBe(true);
    expect(await observer.exists(node)).toBeNull();
  });
});

describe('fencing with lock.node', () => {
  it("a holder's transaction that checks its node commits while held and fails once the node is gone", async () => {
    const zk = await open();
    const other = await open();
    const path = lockPath('lock-fence');
    const counter = `${path}-counter`;
    await zk.create(counter, '0');
    const lock = zk.Lock(path, 'h');
    await lock.acquire();
    const node = lock.node!;
    const fenced = () => zk.transaction().check(node, -1).setData(counter, 'written').commit();
    const [checked] = await fenced();
    expect(checked).not.toBeInstanceOf(Error);
    await other.delete(node); // as an expiry would
    const [failed] = await fenced();
    expect(failed).toBeInstanceOf(NoNodeError);
  });
});
