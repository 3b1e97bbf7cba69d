// Semaphore against a real server: kazoo's behaviours (its TestSemaphore, one test each), kazoo's
// layout read back from the znodes, and what it does better: one deadline for the whole acquire,
// a fenced lease create, a lease whose create reply was lost found again, a lease left by a failed
// acquire removed for certain (#429), `isAcquired` false and 'lost' on session loss, and never more
// than maxLeases holders while connections are cut and sessions expire.
import { performance } from 'node:perf_hooks';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { CancelledError, LockTimeoutError } from '../../recipes/recipe-errors.js';
import { MaxLeasesMismatchError, type Semaphore } from '../../recipes/semaphore.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from '../client/fault-support.js';
import { ClientPool, rejectionOf, sleep, uniqueName, waitUntil, withTimeout } from '../client/support.js';
import { holdUntilApplied, loseHeldReplies } from './reply-stepping.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });
const behindProxy = (sessionTimeout = 10_000): Promise<[ZooKeeperClient, CuttableProxy]> =>
  openBehindProxy(pool, server, proxies, { sessionTimeout });

/** The children of `path`, sorted; [] when it does not exist. */
async function childrenOf(zk: ZooKeeperClient, path: string): Promise<string[]> {
  try {
    return (await zk.getChildren(path)).sort();
  } catch {
    return [];
  }
}

/** Whether `promise` is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await sleep(ms);
  return !settled;
}

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

describe('Semaphore', () => {
  it("acquires and releases in kazoo's layout: max_leases on the node, an ephemeral <uuid> lease, the sibling -__lock__ lock", async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-layout')}`;
    const sem = zk.Semaphore(path, 'holder-1', 3);

    expect(await sem.acquire()).toBe(true);
    expect(sem.isAcquired).toBe(true);
    const [data] = await zk.get(path);
    expect(data?.toString('ascii')).toBe('3');
    const leases = await childrenOf(zk, path);
    expect(leases).toHaveLength(1);
    expect(leases[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(sem.node).toBe(`${path}/${leases[0]}`);
    const [leaseData, stat] = await zk.get(sem.node!);
    expect(leaseData?.toString()).toBe('holder-1');
    expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
    // The sibling lock serialised the acquire and was released once the lease was taken.
    expect(await zk.exists(`${path}-__lock__`)).not.toBeNull();
    expect(await childrenOf(zk, `${path}-__lock__`)).toEqual([]);

    expect(await sem.release()).toBe(true);
    expect(sem.isAcquired).toBe(false);
    expect(sem.node).toBeUndefined();
    expect(await childrenOf(zk, path)).toEqual([]);
  });

  it('makes a second acquirer wait until the lease is released (max 1)', async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-one')}`;
    const first = zk.Semaphore(path);
    const second = zk.Semaphore(path);
    await first.acquire();

    const waiting = second.acquire();
    expect(await pendingAfter(waiting, 500)).toBe(true);
    await first.release();
    expect(await withTimeout(waiting, 10_000, 'the second acquire')).toBe(true);
    await second.release();
  });

  it('answers false to a non-blocking acquire when every lease is taken, and lists the holders', async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-nonblocking')}`;
    const [sem1, sem2, sem3] = ['sem1', 'sem2', 'sem3'].map((id) => zk.Semaphore(path, id, 2)) as [
      Semaphore,
      Semaphore,
      Semaphore,
    ];
    await sem1.acquire();
    await sem2.acquire();
    expect(await sem3.acquire({ blocking: false })).toBe(false);
    expect(sem3.isAcquired).toBe(false);
    expect((await sem1.leaseHolders()).sort()).toEqual(['sem1', 'sem2']);
    // The miss left nothing behind: no third lease, no lock contender.
    expect(await childrenOf(zk, path)).toHaveLength(2);
    expect(await childrenOf(zk, `${path}-__lock__`)).toEqual([]);

    await sem2.release();
    expect(await sem3.acquire({ blocking: false })).toBe(true);
    expect((await sem1.leaseHolders()).sort()).toEqual(['sem1', 'sem3']);
    await sem1.release();
    await sem3.release();
  });

  it('releases cleanly after a non-blocking miss (release of nothing is false)', async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-nb-release')}`;
    const sem1 = zk.Semaphore(path, 'sem1');
    const sem2 = zk.Semaphore(path, 'sem2');
    await sem1.acquire();
    expect(await sem2.acquire({ blocking: false })).toBe(false);
    expect(await sem1.release()).toBe(true);
    expect(await sem2.release()).toBe(false);
  });

  it('lists the holders to any instance, and none for a path that does not exist', async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-holders')}`;
    const reader = zk.Semaphore(path);
    expect(await reader.leaseHolders()).toEqual([]);
    const fred = zk.Semaphore(path, 'fred');
    await fred.acquire();
    expect(await reader.leaseHolders()).toEqual(['fred']);
    expect(await zk.Semaphore(path).leaseHolders()).toEqual(['fred']);
    await fred.release();
  });

  it('rejects a waiting acquire with CancelledError on cancel(), leaving no lease and no lock node', async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-cancel')}`;
    const fred = zk.Semaphore(path, 'fred');
    const george = zk.Semaphore(path, 'george');
    await fred.acquire();
    const waiting = george.acquire();
    await waitUntil(
      async () => (await childrenOf(zk, `${path}-__lock__`)).length === 1,
      'george holding the lock',
    );
    expect(await fred.leaseHolders()).toEqual(['fred']);

    george.cancel();
    const error = await rejectionOf(() => waiting);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).code).toBe('ERR_ZOOKIT_CANCELLED');
    expect(george.isAcquired).toBe(false);
    expect(await fred.leaseHolders()).toEqual(['fred']);
    await waitUntil(
      async () => (await childrenOf(zk, `${path}-__lock__`)).length === 0,
      'the lock node removed',
    );
    await fred.release();
  });

  it('answers true to a second acquire while holding; release is true once, then false', async () => {
    const zk = await open();
    const sem = zk.Semaphore(`/${uniqueName('sem-twice')}`, 'fred');
    expect(await sem.acquire()).toBe(true);
    expect(await sem.acquire()).toBe(true);
    expect(await sem.release()).toBe(true);
    expect(await sem.release()).toBe(false);
  });

  it('acquires again after a release, and after a cancel() made while not waiting', async () => {
    const zk = await open();
    const sem = zk.Semaphore(`/${uniqueName('sem-reacquire')}`);
    expect(await sem.acquire()).toBe(true);
    expect(await sem.release()).toBe(true);
    sem.cancel();
    expect(await sem.acquire()).toBe(true);
    expect(await sem.release()).toBe(true);
    expect(await sem.acquire()).toBe(true);
    await sem.release();
  });

  it('refuses a max leases other than the stored one with MaxLeasesMismatchError', async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-mismatch')}`;
    await zk.Semaphore(path, 'one', 1).acquire();
    const two = zk.Semaphore(path, 'two', 2);
    const error = await rejectionOf(() => two.acquire());
    expect(error).toBeInstanceOf(MaxLeasesMismatchError);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ code: 'ERR_ZOOKIT_MAX_LEASES_MISMATCH', stored: 1, expected: 2, path });
    expect(await childrenOf(zk, path)).toHaveLength(1);
  });

  it('ignores stored data that is not a number, as kazoo does', async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-other-data')}`;
    await zk.create(path, 'a$');
    await zk.Semaphore(path, 'one', 1).acquire();
    // It thinks two holders are fine: the node's data says nothing it can read.
    expect(await zk.Semaphore(path, 'two', 2).acquire({ blocking: false })).toBe(true);
    expect((await zk.get(path))[0]?.toString()).toBe('a$');
  });

  it('gives up with LockTimeoutError after the timeout in all, however often the wait is woken', async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-timeout')}`;
    await zk.Semaphore(path, 'one').acquire();
    const waiter = zk.Semaphore(path, 'two');
    const started = performance.now();
    const attempt = waiter.acquire({ timeout: 1500 });
    // Wake the waiter every 200 ms with a child change; kazoo's Lock would start its timeout again.
    const churn = (async () => {
      for (let i = 0; i < 12; i++) {
        await sleep(200);
        await zk.create(`${path}/churn`, '', { ephemeral: true });
        await zk.delete(`${path}/churn`);
      }
    })();
    const error = await rejectionOf(() => attempt);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).code).toBe('ERR_ZOOKIT_LOCK_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(2300);
    await churn;
    expect(await waiter.leaseHolders()).toEqual(['one']);
    await waitUntil(
      async () => (await childrenOf(zk, `${path}-__lock__`)).length === 0,
      'the lock node removed',
    );
  });

  it('rejects with the signal reason when aborted while waiting', async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-abort')}`;
    await zk.Semaphore(path, 'one').acquire();
    const controller = new AbortController();
    const attempt = zk.Semaphore(path, 'two').acquire({ signal: controller.signal });
    await sleep(300);
    const reason = new Error('no longer needed');
    controller.abort(reason);
    expect(await rejectionOf(() => attempt)).toBe(reason);
    expect(await childrenOf(zk, path)).toHaveLength(1);
    await waitUntil(
      async () => (await childrenOf(zk, `${path}-__lock__`)).length === 0,
      'the lock node removed',
    );
  });

  it("gets the lease after its waiting client's session expired, once the holder leaves", async () => {
    const holderZk = await open();
    const [zk, proxy] = await behindProxy(4000);
    const recorder = new StateRecorder(zk);
    const path = `/${uniqueName('sem-session-loss')}`;
    const george = holderZk.Semaphore(path, 'george');
    await george.acquire();
    const fred = zk.Semaphore(path, 'fred');
    const waiting = fred.acquire();
    await waitUntil(
      async () => (await childrenOf(holderZk, `${path}-__lock__`)).length === 1,
      'fred waiting',
    );

    await expireWhileAway(server, zk, proxy, recorder);
    await george.release();
    expect(await withTimeout(waiting, 15_000, "fred's acquire")).toBe(true);
    expect(await george.leaseHolders()).toEqual(['fred']);
    const [, stat] = await holderZk.get(fred.node!);
    expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
    await fred.release();
  });

  it("turns isAcquired false and emits 'lost' when the holder's session is lost, and the lease is free again", async () => {
    const other = await open();
    const [zk, proxy] = await behindProxy(4000);
    const recorder = new StateRecorder(zk);
    const path = `/${uniqueName('sem-lost')}`;
    const sem = zk.Semaphore(path, 'holder');
    await sem.acquire();
    const lost: string[] = [];
    sem.on('lost', (reason) => lost.push(reason));

    await expireWhileAway(server, zk, proxy, recorder);
    expect(sem.isAcquired).toBe(false);
    expect(sem.node).toBeUndefined();
    expect(lost).toHaveLength(1);
    expect(await other.Semaphore(path, 'next').acquire({ blocking: false })).toBe(true);
    expect(await sem.release()).toBe(false);
  });

  it('finds its lease again when the reply to its create was lost', async () => {
    const zk0 = await open();
    const [zk, proxy] = await behindProxy();
    const path = `/${uniqueName('sem-lost-reply')}`;
    const holder = zk0.Semaphore(path, 'holder');
    await holder.acquire();
    const sem = zk.Semaphore(path, 'late');
    const waiting = sem.acquire();
    await waitUntil(
      async () => (await childrenOf(zk0, `${path}-__lock__`)).length === 1,
      'the waiter on the lock',
    );
    // The holder leaves; hold every reply of the waiter's from here and lose the one to its create.
    proxy.hold();
    await holder.release();
    await holdUntilApplied(proxy, async () => (await holder.leaseHolders()).includes('late'));
    loseHeldReplies(proxy);

    expect(await withTimeout(waiting, 15_000, 'the acquire')).toBe(true);
    expect(await holder.leaseHolders()).toEqual(['late']);
    expect(sem.node).toBe(`${path}/${(await childrenOf(zk0, path))[0]}`);
    await sem.release();
    expect(await childrenOf(zk0, path)).toEqual([]);
  });

  it('removes for certain a lease whose create may have happened when the acquire fails during an outage (#429)', async () => {
    const zk0 = await open();
    // Requests time out after 1 s: a single delete made during the outage fails, as kazoo's
    // best-effort cleanup's does, and leaves the lease for the rest of the session.
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, {
      sessionTimeout: 20_000,
      requestTimeout: 1000,
    });
    const path = `/${uniqueName('sem-zombie')}`;
    const holder = zk0.Semaphore(path, 'holder');
    await holder.acquire();
    const controller = new AbortController();
    const sem = zk.Semaphore(path, 'zombie');
    const waiting = sem.acquire({ signal: controller.signal });
    await waitUntil(
      async () => (await childrenOf(zk0, `${path}-__lock__`)).length === 1,
      'the waiter on the lock',
    );
    proxy.hold();
    await holder.release();
    // Its lease exists on the server and the reply is held: the connection goes down, the reply
    // with it, and the acquire is given up not knowing the create happened.
    await holdUntilApplied(proxy, async () => (await holder.leaseHolders()).includes('zombie'));
    proxy.block();
    proxy.release();
    const reason = new Error('gave up');
    const failed = rejectionOf(() => waiting);
    controller.abort(reason);
    expect(await withTimeout(failed, 5000, 'the failed acquire')).toBe(reason);
    expect(sem.isAcquired).toBe(false);
    await sleep(2500);
    expect(await holder.leaseHolders()).toEqual(['zombie']);
    proxy.unblock();

    await waitUntil(async () => (await childrenOf(zk0, path)).length === 0, 'the zombie lease removed');
    await waitUntil(
      async () => (await childrenOf(zk0, `${path}-__lock__`)).length === 0,
      'the lock node removed',
    );
    // The semaphore is free again, its session still alive.
    expect(zk.clientId?.sessionId).toBeDefined();
    expect(await zk0.Semaphore(path, 'next').acquire({ blocking: false })).toBe(true);
  });

  it('never has more than maxLeases holders while connections are cut and a session expires', async () => {
    const path = `/${uniqueName('sem-fault')}`;
    const maxLeases = 2;
    const monitor = await open();
    const contenders = await Promise.all([0, 1, 2, 3].map(() => behindProxy(4000)));
    const recorders = contenders.map(([zk]) => new StateRecorder(zk));
    let most = 0;
    let grants = 0;
    let stop = false;
    const watching = (async () => {
      while (!stop) {
        most = Math.max(most, (await childrenOf(monitor, path)).length);
        await sleep(5);
      }
    })();
    const work = contenders.map(async ([zk], i) => {
      const sem = zk.Semaphore(path, `c${i}`, maxLeases);
      for (let round = 0; round < 6; round++) {
        try {
          if (!(await sem.acquire({ timeout: 20_000 }))) continue;
          grants++;
          await sleep(30 + 20 * i);
          await sem.release({ timeout: 20_000 });
        } catch {
          // A fault may fail one round (a retry that gave up); the next round goes on.
        }
      }
    });
    // Faults: cut a contender's connection every 150 ms, and expire one contender's session.
    const faults = (async () => {
      for (let n = 0; n < 12; n++) {
        await sleep(150);
        contenders[n % contenders.length]![1].cut();
      }
      const [zk, proxy] = contenders[0]!;
      await expireWhileAway(server, zk, proxy, recorders[0]!);
    })();
    await withTimeout(Promise.all([...work, faults]), 90_000, 'the contenders');
    stop = true;
    await watching;

    expect(most).toBeLessThanOrEqual(maxLeases);
    expect(most).toBe(maxLeases);
    expect(grants).toBeGreaterThan(0);
    await waitUntil(async () => (await childrenOf(monitor, path)).length === 0, 'every lease released');
    await waitUntil(
      async () => (await childrenOf(monitor, `${path}-__lock__`)).length === 0,
      'no lock node left',
    );
  });

  it('refuses a maxLeases that is not a positive integer', () => {
    const zk = pool.create({ hosts: server.connectString });
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => zk.Semaphore('/sem', 'x', bad)).toThrow(InvalidArgumentError);
    }
  });

  it('releases on await using', async () => {
    const zk = await open();
    const path = `/${uniqueName('sem-dispose')}`;
    {
      await using sem = zk.Semaphore(path, 'scoped');
      await sem.acquire();
      expect(await childrenOf(zk, path)).toHaveLength(1);
    }
    expect(await childrenOf(zk, path)).toEqual([]);
  });
});
