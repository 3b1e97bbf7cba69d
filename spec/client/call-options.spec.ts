// Every operation and every wait takes `{ signal, timeout }`. A call given up rejects at once; a
// request already on the wire still gets its reply, which is dropped when it comes, so the xid
// order and the session stay intact. A per-call timeout overrides the client's requestTimeout in
// both directions, and bounds a call made of several requests as a whole. Replies are held back by
// a proxy, so "already sent and answered, reply not yet read" is a state the test controls.

import type { ZooKeeperClient } from '../../index.js';
import { HandlerTimeoutError, InvalidArgumentError } from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { type CuttableProxy, openBehindProxy } from '../recipes/support.js';
import { rejectionOf } from '../support.js';
import { ClientPool, uniqueName, waitUntil } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];
let base: string;

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  base = `/${uniqueName('calls')}`;
});
afterEach(async () => {
  for (const proxy of proxies.splice(0)) proxy.release();
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** A client behind a proxy, with `base` created; `requestTimeout` as given. */
async function clientBehindProxy(requestTimeout?: number): Promise<[ZooKeeperClient, CuttableProxy]> {
  const [zk, proxy] = await openBehindProxy(pool, server, proxies, { requestTimeout });
  if ((await zk.exists(base)) === null) await zk.create(base, 'v0');
  return [zk, proxy];
}

/**
 * Holds the server's replies until the one to a request made now has arrived at the proxy, and
 * returns that request's promise (in a box: an async function would otherwise wait for it).
 */
async function holdUntilAnswered<T>(
  proxy: CuttableProxy,
  send: () => Promise<T>,
): Promise<{ call: Promise<T> }> {
  proxy.hold();
  const call = send();
  call.catch(() => undefined);
  await waitUntil(() => proxy.heldBytes() > 0, 'the server to answer', { intervalMs: 10 });
  return { call };
}

/** Whether `promise` has settled by the next macrotask. */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('a call given up', () => {
  it('rejects a request the server already answered with the abort reason at once; the late reply is dropped and the session goes on', async () => {
    const [zk, proxy] = await clientBehindProxy();
    const { sessionId } = zk.clientId!;
    const controller = new AbortController();
    const { call: read } = await holdUntilAnswered(proxy, () =>
      zk.get(base, undefined, { signal: controller.signal }),
    );
    expect(await settledNow(read)).toBe(false);
    const reason = new Error('no longer needed');
    controller.abort(reason);
    expect(await rejectionOf(read)).toBe(reason);
    // A request sent after the abort is answered after the dropped one: the xids stay matched.
    const next = zk.set(base, 'v1');
    proxy.release();
    expect((await next).version).toBe(1);
    const [data] = await zk.get(base);
    expect(data?.toString()).toBe('v1');
    expect(zk.state).toBe('CONNECTED');
    expect(zk.clientId?.sessionId).toBe(sessionId);
  });

  it('lets a per-call timeout override the client requestTimeout, shorter and longer', async () => {
    const [patient, proxy] = await clientBehindProxy(60_000);
    const { call: short } = await holdUntilAnswered(proxy, () =>
      patient.get(base, undefined, { timeout: 200 }),
    );
    const error = await rejectionOf(short);
    expect(error).toBeInstanceOf(HandlerTimeoutError);
    expect((error as Error).message).toMatch(/timed out after 200 ms/);
    proxy.release();
    expect((await patient.exists(base))?.version).toBe(0);

    const [hasty, hastyProxy] = await clientBehindProxy(100);
    const { call: long } = await holdUntilAnswered(hastyProxy, () =>
      hasty.get(base, undefined, { timeout: 20_000 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 400)); // past the client's own 100 ms
    expect(await settledNow(long)).toBe(false);
    hastyProxy.release();
    const [data] = await long;
    expect(data?.toString()).toBe('v0');
    // And without a timeout of its own, a call gets the client's 100 ms.
    const { call: defaulted } = await holdUntilAnswered(hastyProxy, () => hasty.exists(base));
    expect(await rejectionOf(defaulted)).toBeInstanceOf(HandlerTimeoutError);
  });

  it('bounds every call by its timeout: transactions, ensurePath, makepath, recursive delete, addAuth, sync, ACLs, whoAmI', async () => {
    const [zk, proxy] = await clientBehindProxy();
    await zk.create(`${base}/child`);
    proxy.hold();
    const calls: Array<[string, Promise<unknown>]> = [
      ['commit', zk.transaction().setData(base, 'x').commit({ timeout: 150 })],
      ['ensurePath', zk.ensurePath(`${base}/a/b/c`, { timeout: 150 })],
      ['create makepath', zk.create(`${base}/d/e`, 'v', { makepath: true, timeout: 150 })],
      ['delete recursive', zk.delete(base, { recursive: true, timeout: 150 })],
      ['addAuth', zk.addAuth('digest', 'user:pw', { timeout: 150 })],
      ['sync', zk.sync(base, { timeout: 150 })],
      ['getAcls', zk.getAcls(base, { timeout: 150 })],
      ['whoAmI', zk.whoAmI({ timeout: 150 })],
    ];
    for (const [name, call] of calls) {
      const error = await rejectionOf(call);
      expect([name, (error as Error).name, (error as Error).message]).toEqual([
        name,
        'HandlerTimeoutError',
        expect.stringMatching(/timed out after 150 ms/),
      ]);
    }
    proxy.release();
    // The session survived all of it; what did reach the server did what it does.
    expect(zk.state).toBe('CONNECTED');
    expect(await zk.exists(base)).not.toBeNull();
  });

  it('aborts a call made of several requests as a whole, and an aborted signal sends nothing', async () => {
    const [zk, proxy] = await clientBehindProxy();
    const controller = new AbortController();
    const { call: ensure } = await holdUntilAnswered(proxy, () =>
      zk.ensurePath(`${base}/x/y/z`, { signal: controller.signal }),
    );
    controller.abort(new Error('stop'));
    expect(((await rejectionOf(ensure)) as Error).message).toBe('stop');
    proxy.release();
    // The rest of the call never went out: the first exists() was answered, nothing was created.
    expect(await zk.exists(`${base}/x`)).toBeNull();
    const aborted = AbortSignal.abort(new Error('before'));
    expect(((await rejectionOf(zk.create(`${base}/never`, '', { signal: aborted }))) as Error).message).toBe(
      'before',
    );
    expect(await zk.exists(`${base}/never`)).toBeNull();
  });

  it('refuses a timeout that is not a positive number of ms, before anything is sent', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    for (const timeout of [0, -5, Number.NaN, '100' as unknown as number]) {
      const error = await rejectionOf(zk.get('/', undefined, { timeout }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).message).toMatch(/^timeout must be a positive number of ms/);
    }
    expect(() => pool.create({ hosts: server.connectString, requestTimeout: -1 })).toThrow(
      InvalidArgumentError,
    );
  });
});
