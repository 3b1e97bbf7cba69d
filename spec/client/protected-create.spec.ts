// Curator's protected creates against a real server: the name carries `_c_<uuid>-`, in every mode,
// the naming helpers read Curator's form back, and a create whose reply the FaultProxy drops is
// found again by its prefix, never made twice; a node of an ended session is not adopted
// (CURATOR-498), and what a create that gave up may have made is removed (CURATOR-45)
// (docs/protocol.md#protected-creates).

import type { ClientOptions } from '../../index.js';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { isProtectedName, protectionIdOf, withoutProtection } from '../../lib/client/protected-names.js';
import {
  ConnectionClosedError,
  ConnectionLossError,
  InvalidAclError,
  InvalidArgumentError,
  InvalidPathError,
} from '../../lib/errors.js';
import { OpCode } from '../../protocol/constants.js';
import { expireSession } from '../../testing/expire-session.js';
import { FaultProxy } from '../../testing/fault-proxy.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, RecordingHandler, rejectionOf, uniqueName, waitUntil } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let server: TestingServer;
const pool = new ClientPool();
let zk: ZooKeeperClient;
let base: string;

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
const proxies: FaultProxy[] = [];

beforeEach(async () => {
  zk = await pool.open({ hosts: server.connectString });
  base = `/${uniqueName('protected')}`;
  await zk.create(base);
});
afterEach(async () => {
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

/**
 * A started client that reaches the server through a new FaultProxy, reconnecting at once. Its
 * commandRetry keeps trying for as long as a test keeps it away; each call's `timeout` bounds it.
 */
async function behindProxy(options: ClientOptions = {}): Promise<[ZooKeeperClient, FaultProxy]> {
  const proxy = await FaultProxy.start({ host: server.host, port: server.port });
  proxies.push(proxy);
  const client = await pool.open({
    hosts: proxy.connectString,
    sessionTimeout: 10_000,
    reconnectJitter: 0,
    connectionRetry: { maxDelay: 200 },
    commandRetry: { maxTries: -1, delay: 50, maxDelay: 300 },
    ...options,
  });
  return [client, proxy];
}

/** The children of `parent` whose names carry `id`'s protected prefix. */
async function withId(parent: string, id: string | undefined): Promise<string[]> {
  return (await zk.getChildren(parent)).filter((name) => protectionIdOf(name) === id);
}

const nameOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

it('names an ephemeral sequential node _c_<uuid>-<name><seq>, as Curator does', async () => {
  const path = await zk.create(`${base}/lock-`, 'me', { protected: true, ephemeral: true, sequence: true });
  const name = path.slice(base.length + 1);
  expect(name).toMatch(/^_c_[0-9a-f-]{36}-lock-\d{10}$/);
  expect(protectionIdOf(name)).toMatch(UUID);
  expect(withoutProtection(name)).toMatch(/^lock-\d{10}$/);
  expect(await zk.getChildren(base)).toEqual([name]);
  const [data, stat] = await zk.get(path);
  expect(data?.toString()).toBe('me');
  expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
});

it('gives each create its own id, and protects plain persistent nodes too (makepath included)', async () => {
  const a = await zk.create(`${base}/x`, undefined, { protected: true });
  const b = await zk.create(`${base}/x`, undefined, { protected: true });
  expect(a).not.toBe(b);
  const deep = await zk.create(`${base}/p/q/node`, 'v', { protected: true, makepath: true });
  expect(deep.startsWith(`${base}/p/q/_c_`)).toBe(true);
  expect(withoutProtection(deep.slice(`${base}/p/q/`.length))).toBe('node');
});

it('refuses a bad path before anything is sent', async () => {
  expect(await rejectionOf(() => zk.create('no-slash', undefined, { protected: true }))).toBeInstanceOf(
    InvalidArgumentError,
  );
});

it('reads names: only a well-formed prefix counts', () => {
  expect(isProtectedName('_c_2f0e6d1a-0b5c-4a9e-8f1e-3c2b1a0d9e8f-lock-0000000001')).toBe(true);
  expect(isProtectedName('_c_not-a-uuid-lock-0000000001')).toBe(false);
  expect(withoutProtection('lock-0000000001')).toBe('lock-0000000001');
  expect(protectionIdOf('lock-0000000001')).toBeUndefined();
});

describe('recovery after a lost reply', () => {
  it('finds its ephemeral sequential node again by its prefix when the create reply is lost, and makes no second one', async () => {
    const [client, proxy] = await behindProxy();
    const sessionId = client.clientId!.sessionId;
    const lost = proxy.loseNextReply(OpCode.create);
    const path = await client.create(`${base}/lock-`, 'me', {
      protected: true,
      ephemeral: true,
      sequence: true,
      timeout: 20_000,
    });
    expect((await lost).op).toBe(OpCode.create);
    expect(client.clientId!.sessionId).toBe(sessionId);
    expect(await zk.getChildren(base)).toEqual([nameOf(path)]);
    expect(nameOf(path)).toMatch(/^_c_[0-9a-f-]{36}-lock-\d{10}$/);
    const [data, stat] = await zk.get(path);
    expect(data?.toString()).toBe('me');
    expect(stat.ephemeralOwner).toBe(sessionId);
    expect(client.pendingGuaranteedDeletes).toBe(0);
  });

  it('returns the found node with the Stat read back under includeData (create2)', async () => {
    const [client, proxy] = await behindProxy();
    const lost = proxy.loseNextReply(OpCode.create2);
    const [path, stat] = await client.create(`${base}/node`, 'v', {
      protected: true,
      ephemeral: true,
      includeData: true,
      timeout: 20_000,
    });
    expect((await lost).op).toBe(OpCode.create2);
    expect(withoutProtection(nameOf(path))).toBe('node');
    expect(await zk.getChildren(base)).toEqual([nameOf(path)]);
    expect(stat).toEqual(await zk.exists(path));
    expect(stat.ephemeralOwner).toBe(client.clientId!.sessionId);
  });

  it("makes missing parents with makepath across lost replies: the node's own create (its parent missing) and a parent's create", async () => {
    const [client, proxy] = await behindProxy();
    // The node goes out as create2 (op 15), its parents as plain creates (op 1). The first create2
    // meets the missing parent and its NoNode reply is lost; the next attempt lists a parent that
    // is not there (no node), and the reply to the create of `a` is lost; the third makes `b`,
    // then the node.
    const losses = [proxy.loseNextReply(OpCode.create2), proxy.loseNextReply(OpCode.create)];
    const [path] = await client.create(`${base}/a/b/node`, 'v', {
      protected: true,
      ephemeral: true,
      makepath: true,
      includeData: true,
      timeout: 20_000,
    });
    expect(await Promise.all(losses)).toHaveLength(2);
    expect(path.startsWith(`${base}/a/b/_c_`)).toBe(true);
    expect(await zk.getChildren(`${base}/a/b`)).toEqual([nameOf(path)]);
    expect(await zk.getChildren(base)).toEqual(['a']);
  });

  it('adopts a persistent node its lost create made even though its session expired meanwhile: the node outlives the session', async () => {
    const [client, proxy] = await behindProxy();
    const old = client.clientId!;
    proxy.refuse(); // the connection the create goes on is carried; the reconnection is not
    const lost = proxy.loseNextReply(OpCode.create);
    const creating = client.create(`${base}/config`, 'v1', { protected: true, timeout: 20_000 });
    await lost;
    const [made] = await zk.getChildren(base);
    await expireSession(server.connectString, { sessionId: old.sessionId, passwd: old.password });
    proxy.accept();
    const path = await creating;
    expect(client.clientId!.sessionId).not.toBe(old.sessionId);
    expect(nameOf(path)).toBe(made);
    expect(await zk.getChildren(base)).toEqual([made]);
  });

  it('does not adopt a node with its prefix that another session owns once its own session expired (CURATOR-498): that node is deleted, and the create made anew under a fresh id', async () => {
    const [client, proxy] = await behindProxy();
    const old = client.clientId!;
    proxy.refuse();
    const lost = proxy.loseNextReply(OpCode.create);
    const creating = client.create(`${base}/lock-`, 'new', {
      protected: true,
      ephemeral: true,
      sequence: true,
      timeout: 20_000,
    });
    await lost;
    const [made] = await zk.getChildren(base);
    const lostId = protectionIdOf(made!);
    expect(lostId).toBeDefined();
    await expireSession(server.connectString, { sessionId: old.sessionId, passwd: old.password });
    // The server removed the expired session's node. A follower that has not yet applied the
    // closeSession would still list it (CURATOR-696, CURATOR-604): a node with the lost create's
    // prefix owned by another session stands in for it.
    await waitUntil(async () => (await zk.getChildren(base)).length === 0, 'the expired node to go');
    const stale = await zk.create(`${base}/_c_${lostId}-lock-`, 'old', { ephemeral: true, sequence: true });
    proxy.accept();

    const path = await creating;
    const sessionId = client.clientId!.sessionId;
    expect(sessionId).not.toBe(old.sessionId);
    expect(protectionIdOf(nameOf(path))).not.toBe(lostId);
    const [data, stat] = await zk.get(path);
    expect(data?.toString()).toBe('new');
    expect(stat.ephemeralOwner).toBe(sessionId);
    await waitUntil(async () => (await zk.exists(stale)) === null, 'the stale node to be deleted');
    expect(await zk.getChildren(base)).toEqual([nameOf(path)]);
    await waitUntil(() => client.pendingGuaranteedDeletes === 0, 'the background delete to end');
  });
});

describe('when every attempt fails', () => {
  it('rejects as a plain create would, and removes the node its lost create made once connected again (CURATOR-45)', async () => {
    const [client, proxy] = await behindProxy({ commandRetry: { maxTries: 1 } });
    const sessionId = client.clientId!.sessionId;
    const lost = proxy.loseNextReply(OpCode.create);
    const error = await rejectionOf(() =>
      client.create(`${base}/lock-`, 'me', { protected: true, ephemeral: true, sequence: true }),
    );
    expect(error).toBeInstanceOf(ConnectionLossError);
    await lost;
    // The session lives on, so only the cleanup can remove the node.
    await waitUntil(async () => (await zk.getChildren(base)).length === 0, 'the orphan to be removed');
    expect(client.clientId!.sessionId).toBe(sessionId);
    await waitUntil(() => client.pendingGuaranteedDeletes === 0, 'the cleanup to end');
  });

  it("gives up at the call's timeout while the server cannot be reached, then removes what its create made", async () => {
    const [client, proxy] = await behindProxy();
    proxy.refuse();
    const lost = proxy.loseNextReply(OpCode.create);
    const started = performance.now();
    const error = await rejectionOf(() =>
      client.create(`${base}/node`, 'v', { protected: true, ephemeral: true, timeout: 1000 }),
    );
    expect(error).toBeInstanceOf(client.handler.TimeoutError);
    expect(performance.now() - started).toBeLessThan(5000);
    await lost;
    expect(await withId(base, protectionIdOf((await zk.getChildren(base))[0]!))).toHaveLength(1);
    expect(client.pendingGuaranteedDeletes).toBe(1);
    proxy.accept();
    await waitUntil(async () => (await zk.getChildren(base)).length === 0, 'the orphan to be removed');
    await waitUntil(() => client.pendingGuaranteedDeletes === 0, 'the cleanup to end');
  });
});

describe('refusals', () => {
  it('refuses bad input with typed errors before anything is sent', async () => {
    const handler = new RecordingHandler();
    const client = await pool.open({ hosts: server.connectString, handler });
    const sent = handler.written.length;
    const cases: Array<[() => Promise<unknown>, new (...args: never[]) => Error]> = [
      [() => client.create('no-slash', undefined, { protected: true }), InvalidPathError],
      [() => client.create('/', undefined, { protected: true }), InvalidPathError],
      [() => client.create(`${base}/x/`, undefined, { protected: true }), InvalidPathError],
      [
        () => client.create(`${base}/x`, undefined, { protected: true, ephemeral: true, ttl: 1000 }),
        InvalidArgumentError,
      ],
      [() => client.create(`${base}/x`, undefined, { protected: true, acl: [] }), InvalidAclError],
      [() => client.create(`${base}/x`, 42 as never, { protected: true }), InvalidArgumentError],
      [() => client.create(`${base}/x`, undefined, { protected: true, timeout: -1 }), InvalidArgumentError],
    ];
    for (const [call, type] of cases) expect(await rejectionOf(call)).toBeInstanceOf(type);
    expect(handler.written.length).toBe(sent);
    expect(client.pendingGuaranteedDeletes).toBe(0);
    await client.stop();
    expect(
      await rejectionOf(() => client.create(`${base}/x`, undefined, { protected: true })),
    ).toBeInstanceOf(ConnectionClosedError);
  });
});
