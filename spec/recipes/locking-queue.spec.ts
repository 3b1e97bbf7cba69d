// LockingQueue against a real server: kazoo's behaviours (its KazooLockingQueueTests, one test
// each), kazoo's layout read back from the znodes, kazoo #175 fixed (10,000 gets leave no watch
// behind, on the server or in the client), waits that wake on a put, a release and a taker's
// session end, one deadline and an abort that leave nothing taken, async iteration, a consume
// fenced with the caller's own ops, and the faults: a taken entry goes back to the queue when the
// taker's session expires (the taker's consume is then refused), a take's create applied with its
// reply lost leaves no taken node behind (no retry left, or retried through a session expiry onto
// a new session), and a consume survives a cut.
import { performance } from 'node:perf_hooks';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import type { WatchCallback } from '../../lib/recipe-client.js';
import { OpCode } from '../../protocol/index.js';
import { LockingQueue } from '../../recipes/locking-queue.js';
import { expireSession } from '../../testing/expire-session.js';
import { FaultProxy } from '../../testing/fault-proxy.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from '../client/fault-support.js';
import { ClientPool, rejectionOf, sleep, uniqueName, waitUntil, withTimeout } from '../client/support.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy, serverWatchCount } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];
const faultProxies: FaultProxy[] = [];
const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });

beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(async () => {
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await Promise.all(faultProxies.splice(0).map((proxy) => proxy.close()));
});
afterAll(async () => {
  await server?.close();
});

const text = (value: Buffer | null): string | null => (value === null ? null : value.toString());

async function newQueue(): Promise<[ZooKeeperClient, LockingQueue]> {
  const zk = await open();
  return [zk, zk.LockingQueue(uniqueName('/lq'))];
}

describe("kazoo's KazooLockingQueueTests", () => {
  it('test_queue_validation', async () => {
    const [, queue] = await newQueue();
    const refusals: Array<() => Promise<unknown>> = [
      () => queue.put({} as never),
      () => queue.put('one', '100' as never),
      () => queue.put('one', 10.5),
      () => queue.put('one', -100),
      () => queue.put('one', 100000),
      () => queue.putAll({} as never),
      () => queue.putAll([{}] as never),
      () => queue.putAll(['one'], '100' as never),
      () => queue.putAll(['one'], 10.5),
      () => queue.putAll(['one'], -100),
      () => queue.putAll(['one'], 100000),
    ];
    for (const refusal of refusals) expect(await rejectionOf(refusal)).toBeInstanceOf(InvalidArgumentError);
  });

  it('test_empty_queue: size 0, get(timeout 0) null', async () => {
    const [, queue] = await newQueue();
    expect(await queue.size()).toBe(0);
    expect(await queue.get({ timeout: 0 })).toBeNull();
    expect(await queue.size()).toBe(0);
  });

  it('test_queue: get holds an entry until consumed; get again returns the same one', async () => {
    const [, queue] = await newQueue();
    await queue.put('one');
    await queue.putAll(['two', 'three']);
    expect(await queue.size()).toBe(3);
    expect(await queue.consume()).toBe(false);
    expect(await queue.holdsLock()).toBe(false);
    expect(text(await queue.get({ timeout: 1000 }))).toBe('one');
    expect(await queue.holdsLock()).toBe(true);
    expect(text(await queue.get({ timeout: 1000 }))).toBe('one');
    expect(await queue.consume()).toBe(true);
    expect(await queue.holdsLock()).toBe(false);
    expect(text(await queue.get({ timeout: 1000 }))).toBe('two');
    expect(await queue.holdsLock()).toBe(true);
    expect(await queue.consume()).toBe(true);
    expect(await queue.holdsLock()).toBe(false);
    expect(text(await queue.get({ timeout: 1000 }))).toBe('three');
    expect(await queue.holdsLock()).toBe(true);
    expect(await queue.consume()).toBe(true);
    expect(await queue.holdsLock()).toBe(false);
    expect(await queue.consume()).toBe(false);
    expect(await queue.size()).toBe(0);
  });

  it('test_consume', async () => {
    const [, queue] = await newQueue();
    await queue.put('one');
    expect(await queue.consume()).toBe(false);
    await queue.get({ timeout: 100 });
    expect(await queue.consume()).toBe(true);
    expect(await queue.consume()).toBe(false);
  });

  it('test_release: a released entry is taken again', async () => {
    const [, queue] = await newQueue();
    await queue.put('one');
    expect(text(await queue.get({ timeout: 1000 }))).toBe('one');
    expect(await queue.holdsLock()).toBe(true);
    expect(await queue.release()).toBe(true);
    expect(await queue.holdsLock()).toBe(false);
    expect(text(await queue.get({ timeout: 1000 }))).toBe('one');
    expect(await queue.consume()).toBe(true);
    expect(await queue.release()).toBe(false);
    expect(await queue.size()).toBe(0);
  });

  it('test_holds_lock', async () => {
    const [, queue] = await newQueue();
    expect(await queue.holdsLock()).toBe(false);
    await queue.put('one');
    await queue.get({ timeout: 100 });
    expect(await queue.holdsLock()).toBe(true);
    await queue.consume();
    expect(await queue.holdsLock()).toBe(false);
  });

  it('test_priority', async () => {
    const [, queue] = await newQueue();
    await queue.put('four', 101);
    await queue.put('one', 0);
    await queue.put('two', 0);
    await queue.put('three', 10);
    for (const expected of ['one', 'two', 'three', 'four']) {
      expect(text(await queue.get({ timeout: 1000 }))).toBe(expected);
      expect(await queue.consume()).toBe(true);
    }
  });

  it('test_concurrent_execution: of three waiting gets, one gets the one entry', async () => {
    const [zk, queue] = await newQueue();
    const gets = [0, 1, 2].map(() => zk.LockingQueue(queue.path).get({ timeout: 300 }));
    await sleep(50);
    await queue.put('one');
    const results = (await Promise.all(gets)).map(text);
    expect(results.filter((value) => value === 'one')).toHaveLength(1);
    expect(results.filter((value) => value === null)).toHaveLength(2);
  });
});

describe('layout', () => {
  it("kazoo's: <path>/entries/entry-<PPP>-<seq>, and an ephemeral <path>/taken/<entry> holding the taker's id", async () => {
    const [zk, queue] = await newQueue();
    expect(await queue.put('a', 5)).toBe('entry-005-0000000000');
    expect(await queue.putAll(['b', 'c'], 100)).toEqual(['entry-100-0000000001', 'entry-100-0000000002']);
    expect((await zk.getChildren(queue.path)).sort()).toEqual(['entries', 'taken']);
    expect((await zk.getChildren(`${queue.path}/entries`)).sort()).toEqual([
      'entry-005-0000000000',
      'entry-100-0000000001',
      'entry-100-0000000002',
    ]);
    expect(text(await queue.get())).toBe('a');
    expect(queue.entry).toBe('entry-005-0000000000');
    expect(queue.id).toMatch(/^[0-9a-f]{32}$/);
    expect(await zk.getChildren(`${queue.path}/taken`)).toEqual(['entry-005-0000000000']);
    const [data, stat] = await zk.get(`${queue.path}/taken/entry-005-0000000000`);
    expect(data?.toString()).toBe(queue.id);
    expect(stat.ephemeralOwner).toBe(zk.clientId!.sessionId);
    const [value, entryStat] = await zk.get(`${queue.path}/entries/entry-005-0000000000`);
    expect(value?.toString()).toBe('a');
    expect(entryStat.ephemeralOwner).toBe(0n);
    expect(await queue.consume()).toBe(true);
    expect(await zk.getChildren(`${queue.path}/taken`)).toEqual([]);
    expect(await queue.size()).toBe(2);
  });
});

/** `zk` seen through a proxy that records every watch callback the recipe hands to a read. */
function countingWatches(zk: ZooKeeperClient): [ZooKeeperClient, Set<WatchCallback>] {
  const callbacks = new Set<WatchCallback>();
  const proxy = new Proxy(zk, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'getChildren' || property === 'get' || property === 'exists') {
        return (path: string, watch?: WatchCallback, options?: unknown) => {
          if (watch !== undefined) callbacks.add(watch);
          return (value as (...args: unknown[]) => unknown).call(target, path, watch, options);
        };
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
  return [proxy, callbacks];
}

describe('kazoo #175 fixed: no watch left behind per get', () => {
  it('10,000 gets of available entries set no watch; 200 waiting gets register one callback per path', async () => {
    const zk = await open();
    const path = uniqueName('/lq');
    const [counted, callbacks] = countingWatches(zk);
    const consumers = Array.from({ length: 20 }, () => new LockingQueue(counted, path));
    await consumers[0]!.putAll(Array.from({ length: 40 }, (_, i) => `item-${i}`));
    const before = await serverWatchCount(server);
    const started = performance.now();
    const GETS = 10_000;
    let gets = 0;
    await Promise.all(
      consumers.map(async (queue) => {
        while (gets < GETS) {
          gets++;
          expect(await queue.get({ timeout: 5000 })).not.toBeNull();
          expect(await queue.release()).toBe(true);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    // kazoo sets two child watches with two new callbacks on every get: 20,000 here.
    expect(callbacks.size).toBe(0);
    expect(await serverWatchCount(server)).toBe(before);
    // Waiting gets do set watches, but always the instance's same two callbacks.
    const waiter = new LockingQueue(counted, uniqueName('/lq'));
    // Each wait is long enough to reach its watches (a listing or two), even on a loaded machine.
    for (let i = 0; i < 200; i++) expect(await waiter.get({ timeout: 25 })).toBeNull();
    expect(callbacks.size).toBe(2);
    expect(await serverWatchCount(server)).toBeLessThanOrEqual(before + 2);
    process.stdout.write(`LockingQueue: ${GETS} gets + releases in ${seconds.toFixed(1)} s\n`);
  }, 180_000);
});

describe('waiting', () => {
  it('a waiting get wakes on a put, on a release, and when the taker’s session expires', async () => {
    const [zk, queue] = await newQueue();
    const other = (await open()).LockingQueue(queue.path);
    let pending = queue.get();
    await sleep(50);
    await other.put('one');
    expect(text(await withTimeout(pending, 3000, 'put wake'))).toBe('one');
    expect(await queue.consume()).toBe(true);

    await other.put('two');
    expect(text(await other.get())).toBe('two');
    pending = queue.get();
    await sleep(50);
    expect(await other.release()).toBe(true);
    expect(text(await withTimeout(pending, 3000, 'release wake'))).toBe('two');
    expect(await queue.release()).toBe(true);

    // The taker behind a proxy that keeps it away while its session is expired, so the client
    // cannot win the session back from the expiring connection.
    const [takerZk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 4000 });
    const recorder = new StateRecorder(takerZk);
    const taker = takerZk.LockingQueue(queue.path);
    expect(text(await taker.get())).toBe('two');
    pending = queue.get();
    await expireWhileAway(server, takerZk, proxy, recorder, async () => {
      expect(text(await withTimeout(pending, 3000, 'expiry wake'))).toBe('two');
    });
    expect(await queue.consume()).toBe(true);
    expect(await taker.consume()).toBe(false);
    expect(await zk.getChildren(`${queue.path}/entries`)).toEqual([]);
  });

  it('one deadline for the whole get; an aborted get rejects with the reason and leaves nothing taken', async () => {
    const [zk, queue] = await newQueue();
    const started = performance.now();
    expect(await queue.get({ timeout: 300 })).toBeNull();
    expect(performance.now() - started).toBeLessThan(1500);
    const controller = new AbortController();
    const pending = queue.get({ signal: controller.signal });
    await sleep(30);
    controller.abort(new Error('stop'));
    expect(((await rejectionOf(() => pending)) as Error).message).toBe('stop');
    await queue.put('x');
    await sleep(50);
    expect(await zk.getChildren(`${queue.path}/taken`)).toEqual([]);
    expect(text(await zk.LockingQueue(queue.path).get())).toBe('x');
  });
});

describe('iteration and fenced consume', () => {
  it('for await takes, yields and consumes; leaving the loop gives the current entry back', async () => {
    const [zk, queue] = await newQueue();
    await queue.putAll(['a', 'b', 'c']);
    const seen: string[] = [];
    for await (const value of queue) {
      seen.push(value.toString());
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['a', 'b']);
    expect(await zk.getChildren(`${queue.path}/entries`)).toEqual([
      'entry-100-0000000001',
      'entry-100-0000000002',
    ]);
    expect(await zk.getChildren(`${queue.path}/taken`)).toEqual([]);
    expect(queue.entry).toBeUndefined();
  });

  it("consume({ also }) commits the caller's ops in the same transaction, and a failing op keeps the entry held", async () => {
    const [zk, queue] = await newQueue();
    const results = uniqueName('/results');
    await zk.create(results);
    await queue.put('job');
    await queue.get();
    const failed = await rejectionOf(() => queue.consume({ also: (txn) => txn.create(`${results}/x/y`) }));
    expect((failed as Error).name).toBe('TransactionFailedError');
    expect(await queue.holdsLock()).toBe(true);
    expect(await queue.consume({ also: (txn) => txn.create(`${results}/job`, 'done') })).toBe(true);
    expect(await zk.getChildren(results)).toEqual(['job']);
    expect(await queue.size()).toBe(0);
  });
});

describe('faults', () => {
  it("a taken entry goes back to the queue when the taker's session expires; the taker's consume is refused", async () => {
    const [takerZk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 4000 });
    const recorder = new StateRecorder(takerZk);
    const path = uniqueName('/lq');
    const taker = takerZk.LockingQueue(path);
    await taker.put('job');
    expect(text(await taker.get())).toBe('job');
    const other = (await open()).LockingQueue(path);
    await expireWhileAway(server, takerZk, proxy, recorder, async () => {
      expect(text(await other.get({ timeout: 5000 }))).toBe('job');
    });
    expect(await taker.holdsLock()).toBe(false);
    expect(await taker.consume()).toBe(false);
    expect(await other.consume()).toBe(true);
    expect(await other.size()).toBe(0);
  }, 30_000);

  it('a get whose taken-node create was applied but whose reply was lost, with no retry left, leaves no taken node behind', async () => {
    // Found by the chaos run (issue 18): the create went through, the get gave up, and the taken
    // node of a live session hid the entry from every consumer until that session ended.
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    const path = uniqueName('/lq');
    const zk = await pool.open({
      hosts: proxy.connectString,
      sessionTimeout: 20_000,
      reconnectJitter: 0,
      commandRetry: { maxTries: 1 },
    });
    try {
      const queue = zk.LockingQueue(path);
      await queue.put('job');
      const sessionId = zk.clientId!.sessionId;
      const lost = proxy.loseNextReply(OpCode.create);
      await expect(queue.get({ timeout: 10_000 })).rejects.toThrow();
      expect((await lost).op).toBe(OpCode.create);
      await waitUntil(async () => zk.state === 'CONNECTED', 'the taker to reconnect', { timeoutMs: 10_000 });
      expect(zk.clientId!.sessionId).toBe(sessionId);
      // The same session lives on, so only the give-back can remove the node.
      const observer = await open();
      await waitUntil(
        async () => (await observer.getChildren(`${path}/taken`)).length === 0,
        'the taken node to be given back',
        { timeoutMs: 10_000 },
      );
      expect(text(await observer.LockingQueue(path).get({ timeout: 5000 }))).toBe('job');
      // And the taker's next get waits for its own give-back instead of racing it.
      expect(await queue.get({ timeout: 200 })).toBeNull();
    } finally {
      await proxy.close();
    }
  }, 60_000);

  /**
   * A taker (retrying without limit) whose create of `taken/<entry>` is applied with its reply
   * lost, and whose session is expired while the proxy turns it away: its retries resume on a new
   * session. `meanwhile` runs after the expiry, before the taker is let back. Resolves with what
   * its get gave, the new session and an observer client.
   */
  async function takeThroughExpiry(meanwhile: (path: string, observer: ZooKeeperClient) => Promise<void>) {
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    faultProxies.push(proxy);
    const path = uniqueName('/lq');
    const zk = await pool.open({
      hosts: proxy.connectString,
      sessionTimeout: 20_000,
      reconnectJitter: 0,
      connectionRetry: { maxDelay: 200 },
      commandRetry: { maxTries: -1, maxDelay: 200 },
    });
    const observer = await open();
    const queue = zk.LockingQueue(path);
    await queue.put('job');
    const first = zk.clientId!;
    const lost = proxy.loseNextReply(OpCode.create);
    proxy.refuse();
    const got = queue.get({ timeout: 5000 });
    await lost;
    await expireSession(server.connectString, { sessionId: first.sessionId, passwd: first.password });
    await meanwhile(path, observer);
    proxy.accept();
    const value = await got;
    expect(zk.clientId?.sessionId).not.toBe(first.sessionId);
    return { value: text(value), queue, zk, observer, path };
  }

  /** The taken/ nodes under `path`, each with the session that owns it. */
  async function takenNodes(observer: ZooKeeperClient, path: string): Promise<string[]> {
    const names = await observer.getChildren(`${path}/taken`);
    return Promise.all(
      names.map(async (name) => {
        const stat = await observer.exists(`${path}/taken/${name}`);
        return `${name} (session 0x${stat?.ephemeralOwner.toString(16)})`;
      }),
    );
  }

  it('a take whose session expires while its create is retried completes on the session it started on or not at all: the entry is taken anew', async () => {
    // Found by the chaos run (seed 18602): the retried create ran on the new session, where the
    // recipe, holding the take to the old one, neither kept nor removed the node.
    const { value, queue, zk, observer, path } = await takeThroughExpiry(async () => {});
    expect(value).toBe('job');
    expect(await takenNodes(observer, path)).toEqual([
      `${queue.entry} (session 0x${zk.clientId!.sessionId.toString(16)})`,
    ]);
    expect(await queue.consume()).toBe(true);
    expect(await takenNodes(observer, path)).toEqual([]);
    expect(await queue.size()).toBe(0);
  }, 60_000);

  it('a take whose session expires while its create is retried leaves no taken node when someone else consumed the entry meanwhile', async () => {
    // The chaos run's case exactly: member-3's taken node of an entry consumed by another member.
    const { value, observer, path } = await takeThroughExpiry(async (queuePath, other) => {
      const rival = other.LockingQueue(queuePath);
      expect(text(await rival.get({ timeout: 5000 }))).toBe('job');
      expect(await rival.consume()).toBe(true);
    });
    expect(value).toBeNull();
    expect(await takenNodes(observer, path)).toEqual([]);
  }, 60_000);

  it('a consume made while the connection is cut completes once it is back (same session)', async () => {
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const queue = zk.LockingQueue(uniqueName('/lq'));
    await queue.putAll(['a', 'b']);
    expect(text(await queue.get())).toBe('a');
    proxy.block();
    const consumed = queue.consume();
    await sleep(300);
    proxy.unblock();
    expect(await consumed).toBe(true);
    expect(text(await queue.get())).toBe('b');
    expect(await queue.consume()).toBe(true);
    await waitUntil(async () => (await queue.size()) === 0, 'the queue to be empty', { timeoutMs: 2000 });
  }, 30_000);
});
