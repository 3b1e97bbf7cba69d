// The client's life against a real server: start, the states it reports, stop and what stop does
// to the session, restart, resuming a session from another client, and callbacks that misbehave.

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { ConnectionClosedError } from '../../lib/errors.js';
import type { ClientState } from '../../lib/states.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { EventType, KeeperState } from '../../protocol/constants.js';
import { freePort } from '../../testing/ports.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, TcpProxy, uniqueName, waitUntil, withTimeout } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
/** A second client, to look at the tree from outside. */
let observer: ZooKeeperClient;
/** This test's own subtree. */
let base: string;
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  observer = await pool.open({ hosts: server.connectString });
  base = `/${uniqueName('lifecycle')}`;
  await observer.create(base);
});
afterEach(async () => {
  await pool.stopAll();
  for (const p of proxies.splice(0)) p.close();
});

function client(): ZooKeeperClient {
  return pool.create({ hosts: server.connectString });
}

async function proxy(): Promise<TcpProxy> {
  const p = await TcpProxy.start(server.host, server.port);
  proxies.push(p);
  return p;
}

describe('start', () => {
  it('resolves once connected, reporting CONNECTED through the state event and listeners', async () => {
    const zk = client();
    const states: ClientState[] = [];
    const connectionStates: string[] = [];
    zk.on('state', (s) => states.push(s));
    zk.on('connectionState', (s) => connectionStates.push(s));
    await zk.start();
    expect(zk.state).toBe('CONNECTED');
    expect(zk.connectionState).toBe('CONNECTED');
    expect(zk.isConnected).toBe(true);
    expect(zk.clientId?.sessionId).toEqual(expect.any(BigInt));
    expect(zk.clientId?.sessionId).not.toBe(0n);
    expect(zk.clientId?.password).toHaveLength(16);
    expect(zk.sessionTimeout).toBe(10_000);
    expect(zk.connectedTo).toBe(`${server.host}:${server.port}`);
    await waitUntil(() => states.length > 0 && connectionStates.length > 1, 'the state events', {
      intervalMs: 5,
    });
    // SUSPENDED only ever follows CONNECTED: a first connection goes straight from LOST.
    expect(states).toEqual(['CONNECTED']);
    expect(connectionStates).toEqual(['CONNECTING', 'CONNECTED']);
  });

  it('calls addListener listeners on every change and drops one once it returns true', async () => {
    const zk = client();
    const once: ClientState[] = [];
    const every: ClientState[] = [];
    const removed: ClientState[] = [];
    zk.addListener((s) => {
      once.push(s);
      return true;
    });
    zk.addListener((s) => {
      every.push(s);
    });
    const listener = (s: ClientState) => {
      removed.push(s);
    };
    zk.addListener(listener);
    zk.removeListener(listener);
    const offListener = (s: ClientState) => {
      removed.push(s);
    };
    zk.addListener(offListener);
    zk.off(offListener); // eventemitter3's `off` is bound at load time; the client's must win
    await zk.start();
    await zk.stop();
    await waitUntil(() => every.length === 2, 'two state changes', { intervalMs: 5 });
    expect(every).toEqual(['CONNECTED', 'LOST']);
    expect(once).toEqual(['CONNECTED']);
    expect(removed).toEqual([]);
  });

  it('can be called twice, at once or in a row, and keeps one session', async () => {
    const zk = client();
    const states: ClientState[] = [];
    zk.on('state', (s) => states.push(s));
    await Promise.all([zk.start(), zk.start()]);
    const session = zk.clientId?.sessionId;
    await zk.start();
    expect(zk.clientId?.sessionId).toBe(session);
    expect(zk.state).toBe('CONNECTED');
    expect(states).toEqual(['CONNECTED']);
    await zk.create(`${base}/e`, 'x', { ephemeral: true });
    expect(await zk.getEphemerals(base)).toEqual([`${base}/e`]);
  });

  it('rejects with the handler’s TimeoutError after the timeout when no server listens, and leaves the client stopped', async () => {
    const port = await freePort();
    const zk = pool.create({ hosts: `127.0.0.1:${port}` });
    const started = Date.now();
    const error = await rejectionOf(() => zk.start({ timeout: 600 }));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(zk.handler.TimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(5000);
    expect(zk.state).toBe('LOST');
    expect(zk.connectionState).toBe('CLOSED');
    expect(await rejectionOf(() => zk.exists('/'))).toBeInstanceOf(ConnectionClosedError);
  });
});

describe('stop', () => {
  it('is idempotent, also on a client never started', async () => {
    const zk = client();
    await zk.start();
    await Promise.all([zk.stop(), zk.stop()]);
    await zk.stop();
    expect(zk.state).toBe('LOST');
    expect(zk.connectionState).toBe('CLOSED');
    const never = client();
    await expect(never.stop()).resolves.toBeUndefined();
    expect(never.state).toBe('LOST');
  });

  it('ends the session on the server: its ephemeral nodes are gone at once for another client', async () => {
    const zk = client();
    await zk.start();
    const id = zk.clientId!;
    await zk.create(`${base}/e`, 'x', { ephemeral: true });
    const seen: WatchedEvent[] = [];
    expect(await observer.exists(`${base}/e`, (e) => seen.push(e))).not.toBeNull();
    await zk.stop();
    // No polling: closeSession was answered before stop() resolved, so the node is already gone.
    expect(await observer.exists(`${base}/e`)).toBeNull();
    expect(seen.map((e) => e.type)).toEqual([EventType.NodeDeleted]);
    // The session is closed, not merely disconnected: resuming it gets a new session instead.
    const resumed = pool.create({ hosts: server.connectString, clientId: id });
    await resumed.start();
    expect(resumed.clientId?.sessionId).not.toBe(id.sessionId);
  });

  it('answers the requests sent before it was called', async () => {
    const zk = client();
    await zk.start();
    await zk.create(`${base}/a`, 'payload');
    const read = zk.get(`${base}/a`);
    const written = zk.set(`${base}/a`, 'changed');
    const stopped = zk.stop();
    expect((await read)[0]?.toString()).toBe('payload');
    expect((await written).version).toBe(1);
    await stopped;
    expect((await observer.get(`${base}/a`))[0]?.toString()).toBe('changed');
  });

  it('makes every later request reject with ConnectionClosedError', async () => {
    const zk = client();
    await zk.start();
    await zk.stop();
    const p = `${base}/x`;
    const operations: Array<[string, () => Promise<unknown>]> = [
      ['create', () => zk.create(p, 'x')],
      ['ensurePath', () => zk.ensurePath(p)],
      ['exists', () => zk.exists(p)],
      ['get', () => zk.get(p)],
      ['getChildren', () => zk.getChildren(p)],
      ['set', () => zk.set(p, 'x')],
      ['delete', () => zk.delete(p)],
      ['getAcls', () => zk.getAcls(p)],
      ['setAcls', () => zk.setAcls(p, [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }])],
      ['addAuth', () => zk.addAuth('digest', 'user:pw')],
      ['sync', () => zk.sync(p)],
      ['transaction', () => zk.transaction().create(p).commit()],
      ['multiRead', () => zk.multiRead([{ op: 'get', path: p }])],
      ['getEphemerals', () => zk.getEphemerals()],
      ['getAllChildrenNumber', () => zk.getAllChildrenNumber(p)],
      ['whoAmI', () => zk.whoAmI()],
      ['getConfig', () => zk.getConfig()],
    ];
    const problems: string[] = [];
    for (const [name, call] of operations) {
      try {
        const error = await rejectionOf(call);
        if (!(error instanceof ConnectionClosedError))
          problems.push(`${name}: rejected with ${String(error)}`);
      } catch (problem) {
        problems.push(`${name}: ${(problem as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
    expect(await observer.exists(p)).toBeNull();
  });

  it('gives each pending watch one final event saying the session closed', async () => {
    const zk = client();
    await zk.start();
    await zk.create(`${base}/w`);
    const seen: WatchedEvent[] = [];
    await zk.get(`${base}/w`, (e) => seen.push(e));
    await zk.stop();
    await waitUntil(() => seen.length > 0, 'the final watch event', { intervalMs: 5, timeoutMs: 2000 });
    expect(seen).toEqual([{ type: EventType.None, state: KeeperState.Closed, path: `${base}/w` }]);
  });

  it('works from inside a watch callback fired by another client’s write', async () => {
    const zk = client();
    await zk.start();
    await zk.create(`${base}/w`);
    let stopping: Promise<void> | undefined;
    await zk.get(`${base}/w`, () => {
      stopping = zk.stop();
    });
    await observer.set(`${base}/w`, 'x');
    await waitUntil(() => stopping !== undefined, 'the watch to fire', { intervalMs: 5 });
    await withTimeout(stopping!, 5000, 'stop() called from a watch callback');
    expect(zk.state).toBe('LOST');
    expect(zk.connectionState).toBe('CLOSED');
  });

  it('works from inside a watch callback fired by the client’s own write, which still resolves', async () => {
    const zk = client();
    await zk.start();
    await zk.create(`${base}/w`, 'v0');
    let stopping: Promise<void> | undefined;
    await zk.get(`${base}/w`, () => {
      stopping = zk.stop();
    });
    const stat = await withTimeout(
      zk.set(`${base}/w`, 'v1'),
      5000,
      'the write whose watch stopped the client',
    );
    expect(stat.version).toBe(1);
    expect(stopping).toBeDefined();
    await withTimeout(stopping!, 5000, 'stop() called from a watch callback');
    expect(zk.connectionState).toBe('CLOSED');
  });

  it('works from inside a state listener, when connected', async () => {
    const zk = client();
    let stopping: Promise<void> | undefined;
    zk.addListener((state) => {
      if (state === 'CONNECTED') stopping = zk.stop();
    });
    await withTimeout(
      zk.start().catch(() => undefined),
      5000,
      'start() of a client a listener stops',
    );
    await waitUntil(() => stopping !== undefined, 'the listener to run', { intervalMs: 5 });
    await withTimeout(stopping!, 5000, 'stop() called from a state listener');
    expect(zk.state).toBe('LOST');
    expect(zk.connectionState).toBe('CLOSED');
  });

  it('works from inside a state listener, while the connection is lost', async () => {
    const cut = await proxy();
    const zk = pool.create({ hosts: cut.connectString });
    await zk.start();
    let stopping: Promise<void> | undefined;
    zk.on('state', (state) => {
      if (state === 'SUSPENDED') stopping = zk.stop();
    });
    cut.close();
    await waitUntil(() => stopping !== undefined, 'SUSPENDED', { intervalMs: 5 });
    await withTimeout(stopping!, 5000, 'stop() called from a SUSPENDED listener');
    expect(zk.state).toBe('LOST');
    expect(zk.connectionState).toBe('CLOSED');
  });
});

describe('restart', () => {
  it('stops and starts again with a new session', async () => {
    const zk = client();
    const states: ClientState[] = [];
    zk.on('state', (s) => states.push(s));
    await zk.start();
    const first = zk.clientId!.sessionId;
    await zk.create(`${base}/e`, 'x', { ephemeral: true });
    await zk.restart();
    expect(zk.state).toBe('CONNECTED');
    expect(zk.clientId?.sessionId).not.toBe(first);
    expect(await observer.exists(`${base}/e`)).toBeNull();
    expect(await zk.create(`${base}/e`, 'y', { ephemeral: true })).toBe(`${base}/e`);
    expect((await observer.exists(`${base}/e`))?.ephemeralOwner).toBe(zk.clientId?.sessionId);
    await waitUntil(() => states.length >= 3, 'three state changes', { intervalMs: 5 });
    expect(states).toEqual(['CONNECTED', 'LOST', 'CONNECTED']);
  });
});

describe('resuming a session with clientId', () => {
  it('takes over a live session with its ephemerals, and the server drops the first client’s connection', async () => {
    const cut = await proxy();
    const first = pool.create({ hosts: cut.connectString });
    await first.start();
    await first.create(`${base}/e`, 'x', { ephemeral: true });
    const firstStates: ClientState[] = [];
    first.on('state', (s) => firstStates.push(s));
    // The first client keeps running but cannot come back once its connection is gone.
    cut.refuse();

    const second = pool.create({ hosts: server.connectString, clientId: first.clientId! });
    await second.start();
    const session = first.clientId!.sessionId;
    expect(second.clientId?.sessionId).toBe(session);
    await waitUntil(() => firstStates.includes('SUSPENDED'), 'the server to close the first connection');
    expect((await second.exists(`${base}/e`))?.ephemeralOwner).toBe(session);
    expect(await second.getEphemerals(base)).toEqual([`${base}/e`]);
    await second.create(`${base}/e2`, 'y', { ephemeral: true });
    expect((await observer.exists(`${base}/e2`))?.ephemeralOwner).toBe(session);
    // Ending the session from the second client removes the first client's ephemerals too.
    await second.stop();
    expect(await observer.getChildren(base)).toEqual([]);
  });
});

describe('callbacks that throw', () => {
  it('a throwing addListener listener is reported through the error event and later listeners still run', async () => {
    const zk = client();
    const errors: unknown[] = [];
    zk.on('error', (e) => errors.push(e));
    const boom = new Error('listener boom');
    zk.addListener(() => {
      throw boom;
    });
    const seen: ClientState[] = [];
    zk.addListener((s) => {
      seen.push(s);
    });
    await zk.start();
    await waitUntil(() => seen.length > 0, 'the second listener', { intervalMs: 5 });
    expect(seen).toEqual(['CONNECTED']);
    expect(errors).toEqual([boom]);
  });

  it('a throwing state event listener is reported and the next state listener still runs', async () => {
    const zk = client();
    const errors: unknown[] = [];
    zk.on('error', (e) => errors.push(e));
    const boom = new Error('state boom');
    zk.on('state', () => {
      throw boom;
    });
    const seen: ClientState[] = [];
    zk.on('state', (s) => seen.push(s));
    await zk.start();
    await waitUntil(() => errors.length > 0, 'the error event', { intervalMs: 5, timeoutMs: 2000 });
    expect(errors).toEqual([boom]);
    expect(seen).toEqual(['CONNECTED']);
  });

  it('a throwing watch callback is reported and the other callbacks of the same event still run', async () => {
    const zk = client();
    await zk.start();
    const errors: unknown[] = [];
    zk.on('error', (e) => errors.push(e));
    await zk.create(`${base}/w`, 'v0');
    const boom = new Error('watch boom');
    await zk.get(`${base}/w`, () => {
      throw boom;
    });
    const seen: WatchedEvent[] = [];
    await zk.exists(`${base}/w`, (e) => seen.push(e));
    await zk.set(`${base}/w`, 'v1');
    expect(errors).toEqual([boom]);
    expect(seen.map((e) => e.type)).toEqual([EventType.NodeDataChanged]);
    expect((await zk.get(`${base}/w`))[0]?.toString()).toBe('v1');
  });
});
