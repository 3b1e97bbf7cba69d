// DataWatch against a real server: kazoo's behaviour (first call at once, missing nodes, calls only
// on an mzxid change, stop by returning false, arity, decorator form) and what it does better
// (server-side watch removed on stop, no blocking during an outage, errors reported, not fatal).
import type { ZooKeeperClient } from '../../lib/client/client.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { EventType, KeeperState } from '../../protocol/constants.js';
import type { Stat } from '../../protocol/records.js';
import { DataWatch } from '../../recipes/data-watch.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from '../client/fault-support.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../client/support.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy, serverWatches } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

/** A client that reaches the server through a proxy the test can cut. */
const clientBehindProxy = (sessionTimeout = 10_000): Promise<[ZooKeeperClient, CuttableProxy]> =>
  openBehindProxy(pool, server, proxies, { sessionTimeout });

/** One call of a watch function: data as text, version, event type. */
type Call = [data: string | null, version: number | null, event: EventType | undefined];

function recordCalls(): {
  calls: Call[];
  fn: (data: Buffer | null, stat: Stat | null, event?: WatchedEvent) => void;
} {
  const calls: Call[] = [];
  return {
    calls,
    fn: (data, stat, event) => {
      calls.push([data === null ? null : data.toString(), stat === null ? null : stat.version, event?.type]);
    },
  };
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

describe('DataWatch', () => {
  it('calls the function at once with the current data and stat, then after each change', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('dw-initial')}`;
    await zk.create(path, 'one');
    const { calls, fn } = recordCalls();

    const watch = zk.DataWatch(path, fn);
    await watch.initialized;
    expect(calls).toEqual([['one', 0, undefined]]);

    await zk.set(path, 'two');
    await waitUntil(() => calls.length === 2, 'the call for the change');
    expect(calls[1]).toEqual(['two', 1, EventType.NodeDataChanged]);
  });

  it('works on a missing node: fn(null, null), then its creation, then its deletion', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('dw-missing')}`;
    const { calls, fn } = recordCalls();

    await zk.DataWatch(path, fn).initialized;
    expect(calls).toEqual([[null, null, undefined]]);

    await zk.create(path, 'born');
    await waitUntil(() => calls.length === 2, 'the call for the creation');
    await zk.delete(path);
    await waitUntil(() => calls.length === 3, 'the call for the deletion');
    expect(calls).toEqual([
      [null, null, undefined],
      ['born', 0, EventType.NodeCreated],
      [null, null, EventType.NodeDeleted],
    ]);
  });

  it('is called for a setData of the same bytes (the mzxid changes), not for a reconnect that changed nothing, once for a change made while disconnected', async () => {
    const [zk, proxy] = await clientBehindProxy();
    const writer = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('dw-mzxid')}`;
    await writer.create(path, 'same');
    const { calls, fn } = recordCalls();
    await zk.DataWatch(path, fn).initialized;

    await writer.set(path, 'same');
    await waitUntil(() => calls.length === 2, 'the call for the rewrite');
    expect(calls[1]).toEqual(['same', 1, EventType.NodeDataChanged]);

    const recorder = new StateRecorder(zk);
    proxy.cut();
    await recorder.waitForState('SUSPENDED', 5000);
    await recorder.waitForState('CONNECTED', 10_000);
    await zk.sync(path);
    await sleep(300);
    expect(calls).toHaveLength(2);

    // Changed while the client cannot hear it: the server reports it once the watch is re-set.
    proxy.block();
    await recorder.waitForState('SUSPENDED', 5000, performance.now());
    await writer.set(path, 'while away');
    const away = performance.now();
    proxy.unblock();
    await recorder.waitForState('CONNECTED', 10_000, away);
    await waitUntil(() => calls.length === 3, 'the call for the change made while disconnected');
    await sleep(300);
    expect(calls.slice(2)).toEqual([['while away', 2, EventType.NodeDataChanged]]);
  });

  it('stops when the function returns false: no more calls, no state listener left', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('dw-false')}`;
    await zk.create(path, 'a');
    const listenersBefore = zk.listenerCount('state');
    const seen: string[] = [];
    const watch = zk.DataWatch(path, (data) => {
      seen.push(data!.toString());
      return seen.length < 2 ? undefined : false;
    });
    await watch.initialized;
    expect(zk.listenerCount('state')).toBe(listenersBefore + 1);

    await zk.set(path, 'b');
    await waitUntil(() => watch.isStopped, 'the watch to stop');
    expect(zk.listenerCount('state')).toBe(listenersBefore);
    await zk.set(path, 'c');
    await zk.sync(path);
    await sleep(200);
    expect(seen).toEqual(['a', 'b']);
  });

  it('removes its server-side watch when it stops (kazoo #733 leaves it)', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('dw-removed')}`;
    await zk.create(path, 'a');
    const sessionId = zk.clientId!.sessionId;
    const stopper = zk.DataWatch(path, (data) => (data?.toString() === 'stop' ? false : undefined));
    await stopper.initialized;
    expect(await serverWatches(server, sessionId)).toEqual([path]);

    await zk.set(path, 'stop');
    await waitUntil(() => stopper.isStopped, 'the watch to stop');
    await stopper.stop();
    expect(await serverWatches(server, sessionId)).toEqual([]);

    // stop() from outside, on a node that does not exist (an exist watch).
    const missing = `${path}-missing`;
    const outside = zk.DataWatch(missing, () => {});
    await outside.initialized;
    expect(await serverWatches(server, sessionId)).toEqual([missing]);
    await outside.stop();
    expect(await serverWatches(server, sessionId)).toEqual([]);

    // Stopped while its first read is on the wire: the watch that read sets is removed too.
    const early = zk.DataWatch(path, () => {});
    await early.stop();
    expect(await serverWatches(server, sessionId)).toEqual([]);
  });

  it('passes the event only to a function that declares a third parameter, or with sendEvent', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('dw-arity')}`;
    await zk.create(path, 'a');
    const three: Array<EventType | undefined> = [];
    const two: unknown[] = [];
    const forced: unknown[] = [];
    const watches = [
      zk.DataWatch(path, (_data, _stat, event) => {
        three.push(event?.type);
      }),
      // A default makes fn.length 2: no event unless asked for.
      zk.DataWatch(path, (_data: Buffer | null, _stat: Stat | null, event: unknown = 'not passed') => {
        two.push(event);
      }),
      zk.DataWatch(
        path,
        (_data: Buffer | null, _stat: Stat | null, event: unknown = 'not passed') => {
          forced.push(event);
        },
        { sendEvent: true },
      ),
    ];
    await Promise.all(watches.map((w) => w.initialized));
    await zk.set(path, 'b');
    await waitUntil(() => three.length === 2 && two.length === 2 && forced.length === 2, 'the second calls');

    const changed = { type: EventType.NodeDataChanged, state: KeeperState.SyncConnected, path };
    expect(three).toEqual([undefined, EventType.NodeDataChanged]);
    expect(two).toEqual(['not passed', 'not passed']);
    // An explicit undefined third argument also takes the default.
    expect(forced).toEqual(['not passed', changed]);
  });

  it('works in the decorator form zk.DataWatch(path)(fn), refuses a second function, and stops with stop()', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('dw-decorator')}`;
    await zk.create(path, 'a');
    const { calls, fn } = recordCalls();

    const bind = zk.DataWatch(path);
    const watch = bind(fn);
    expect(watch).toBeInstanceOf(DataWatch);
    expect(() => bind(() => {})).toThrow(/already been associated/);
    await watch.initialized;
    expect(calls).toEqual([['a', 0, undefined]]);

    await watch.stop();
    expect(watch.isStopped).toBe(true);
    await zk.set(path, 'b');
    await zk.sync(path);
    await sleep(200);
    expect(calls).toHaveLength(1);
  });

  it("reports an error thrown by the function as the client's 'error' and keeps watching", async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('dw-throws')}`;
    await zk.create(path, 'a');
    const errors: unknown[] = [];
    zk.on('error', (error) => errors.push(error));
    const seen: string[] = [];
    const watch = zk.DataWatch(path, (data) => {
      seen.push(data!.toString());
      if (seen.length === 1) throw new Error('the function failed');
    });
    await watch.initialized;
    await waitUntil(() => errors.length === 1, 'the reported error');
    expect((errors[0] as Error).message).toBe('the function failed');

    await zk.set(path, 'b');
    await waitUntil(() => seen.length === 2, 'the next call');
    expect(seen).toEqual(['a', 'b']);
    expect(watch.isStopped).toBe(false);
  });

  it('after its session expires, re-arms on the new session and reports the node only if it changed meanwhile', async () => {
    const [zk, proxy] = await clientBehindProxy();
    const writer = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('dw-expiry')}`;
    await writer.create(path, 'before');
    const recorder = new StateRecorder(zk);
    const { calls, fn } = recordCalls();
    await zk.DataWatch(path, fn).initialized;

    await expireWhileAway(server, zk, proxy, recorder, () => writer.set(path, 'while expired'));
    await waitUntil(() => calls.length === 2, 'the re-read on the new session');
    expect(calls[1]).toEqual(['while expired', 1, undefined]);

    // Unchanged across a second expiry: no call; still armed afterwards.
    await expireWhileAway(server, zk, proxy, recorder);
    await zk.sync(path);
    await sleep(300);
    expect(calls).toHaveLength(2);
    await writer.set(path, 'after');
    await waitUntil(() => calls.length === 3, 'the call on the new session');
    expect(calls[2]).toEqual(['after', 2, EventType.NodeDataChanged]);
  });

  it("never holds up the client's other callbacks while it waits out an outage", async () => {
    const [zk, proxy] = await clientBehindProxy(4000);
    const writer = await pool.open({ hosts: server.connectString });
    const base = `/${uniqueName('dw-outage')}`;
    await writer.create(base, 'before');
    await writer.create(`${base}-other`, '');
    const { calls, fn } = recordCalls();
    await zk.DataWatch(base, fn).initialized;
    const otherEvents: WatchedEvent[] = [];
    await zk.get(`${base}-other`, (event) => otherEvents.push(event));

    // Created from inside a state listener while no server can be reached: kazoo's DataWatch
    // would block that listener (and every callback behind it) until the client reconnects.
    const late = recordCalls();
    let lateWatch: DataWatch | undefined;
    const states: string[] = [];
    zk.on('state', (state) => {
      states.push(state);
      if (state === 'SUSPENDED') lateWatch = zk.DataWatch(`${base}-late`, late.fn);
    });
    proxy.block();
    await waitUntil(() => states.includes('SUSPENDED'), 'SUSPENDED', { timeoutMs: 5000 });
    expect(lateWatch).toBeDefined();
    await writer.set(base, 'while away');

    // The client gives its session up by itself (4/3 of 4 s without a server): the plain watch's
    // end-of-session event and LOST are delivered while both watches wait for a connection.
    await waitUntil(() => states.includes('LOST'), 'LOST', { timeoutMs: 10_000 });
    expect(otherEvents).toEqual([
      { type: EventType.None, state: KeeperState.Expired, path: `${base}-other` },
    ]);
    let ranAtOnce = false;
    zk.handler.dispatchCallback(() => {
      ranAtOnce = true;
    });
    expect(ranAtOnce).toBe(true);
    expect(late.calls).toEqual([]);
    expect(calls).toHaveLength(1);

    proxy.unblock();
    await waitUntil(() => states.at(-1) === 'CONNECTED', 'CONNECTED', { timeoutMs: 10_000 });
    await waitUntil(() => calls.length === 2 && late.calls.length === 1, 'both watches on the new session');
    expect(calls[1]).toEqual(['while away', 1, undefined]);
    expect(late.calls).toEqual([[null, null, undefined]]);
  });
});
