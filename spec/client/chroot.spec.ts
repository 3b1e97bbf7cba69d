// A client with a chroot ('host:port/chroot') against a real server: every path it is given or
// gives back is a client path, and nothing outside its chroot leaks in.

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { NoNodeError, RolledBackError } from '../../lib/errors.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { CreateFlag, EventType, KeeperState, OpCode, Perm } from '../../protocol/constants.js';
import type { Stat } from '../../protocol/records.js';
import { RawSession } from '../../testing/raw-session.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, uniqueName, waitUntil } from './support.js';

const OPEN_ACL = [{ perms: Perm.ALL, id: { scheme: 'world', id: 'anyone' } }];

let server: TestingServer;
const pool = new ClientPool();
/** A client without chroot, to look at the server's real tree. */
let admin: ZooKeeperClient;
/** This test's chroot (server path). */
let chroot: string;
/** The client under test, chrooted to `chroot`. */
let zk: ZooKeeperClient;

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  admin = await pool.open({ hosts: server.connectString });
  chroot = `/${uniqueName('chroot')}/app`;
  await admin.create(chroot, undefined, { makepath: true });
  zk = await pool.open({ hosts: `${server.connectString}${chroot}` });
});
afterEach(() => pool.stopAll());

/** A watch callback and the events it received. */
function collector(): { events: WatchedEvent[]; callback: (e: WatchedEvent) => void } {
  const events: WatchedEvent[] = [];
  return { events, callback: (e) => events.push(e) };
}

it('parses the chroot out of the connect string', () => {
  expect(zk.chroot).toBe(chroot);
  expect(admin.chroot).toBe('');
});

it('creates nodes inside the chroot and returns their client paths', async () => {
  expect(await zk.create('/a', 'x')).toBe('/a');
  expect(await zk.create('/deep/er/node', 'y', { makepath: true })).toBe('/deep/er/node');
  const [path, stat] = await zk.create('/b', 'zz', { includeData: true });
  expect(path).toBe('/b');
  expect(stat.dataLength).toBe(2);
  expect((await admin.get(`${chroot}/a`))[0]?.toString()).toBe('x');
  expect(await admin.exists(`${chroot}/deep/er/node`)).not.toBeNull();
  expect((await admin.getChildren(chroot)).sort()).toEqual(['a', 'b', 'deep']);
  expect(await admin.exists('/a')).toBeNull();
});

it('names sequential nodes by client path, under the chroot root and below it', async () => {
  const top = await zk.create('/s-', 'x', { sequence: true });
  expect(top).toMatch(/^\/s-\d{10}$/);
  await zk.create('/q');
  const first = await zk.create('/q/', 'x', { sequence: true });
  const second = await zk.create('/q/item-', 'x', { sequence: true, ephemeral: true });
  expect(first).toMatch(/^\/q\/\d{10}$/);
  expect(second).toMatch(/^\/q\/item-\d{10}$/);
  expect(Number(second.slice(-10))).toBeGreaterThan(Number(first.slice(-10)));
  const [created, stat] = await zk.create('/q/c-', 'x', { sequence: true, includeData: true });
  expect(created).toMatch(/^\/q\/c-\d{10}$/);
  expect(stat.czxid).toBe(stat.mzxid);
  expect(await admin.exists(`${chroot}${created}`)).toEqual(stat);
});

it('reads, writes and deletes by client path, and the chroot root is "/"', async () => {
  await zk.create('/a', 'one');
  expect((await zk.set('/a', 'two')).version).toBe(1);
  expect((await zk.get('/a'))[0]?.toString()).toBe('two');
  expect(await zk.getChildren('/')).toEqual(['a']);
  expect((await zk.exists('/'))?.czxid).toBe((await admin.exists(chroot))?.czxid);
  await zk.delete('/a');
  expect(await admin.exists(`${chroot}/a`)).toBeNull();
  await zk.ensurePath('/x/y');
  expect(await admin.exists(`${chroot}/x/y`)).not.toBeNull();
});

it('a recursive delete of "/" empties the chroot and keeps the chroot node itself', async () => {
  await zk.create('/a/b/c', undefined, { makepath: true });
  await zk.create('/d');
  await zk.delete('/', { recursive: true });
  expect(await zk.getChildren('/')).toEqual([]);
  expect(await admin.exists(chroot)).not.toBeNull();
});

it('errors name the client path', async () => {
  const error = await rejectionOf(() => zk.get('/missing'));
  expect(error).toBeInstanceOf(NoNodeError);
  expect((error as NoNodeError).path).toBe('/missing');
  expect((error as NoNodeError).message).not.toContain(chroot);
  const reads = await zk.multiRead([{ op: 'get', path: '/missing' }]);
  expect(reads[0]).toBeInstanceOf(NoNodeError);
  expect((reads[0] as NoNodeError).path).toBe('/missing');
});

it('returns client paths from a transaction', async () => {
  await zk.create('/t', 'v0');
  const results = await zk
    .transaction()
    .create('/n', 'x')
    .create('/seq-', 'x', { sequence: true })
    .setData('/t', 'v1', 0)
    .check('/t', 1)
    .delete('/n')
    .commit();
  expect(results[0]).toBe('/n');
  expect(results[1]).toMatch(/^\/seq-\d{10}$/);
  expect((results[2] as Stat).version).toBe(1);
  expect(results.slice(3)).toEqual([true, true]);
  expect(await admin.exists(`${chroot}${results[1]}`)).not.toBeNull();
  const failed = await zk.transaction().create('/m').delete('/missing').commit();
  expect(failed[0]).toBeInstanceOf(RolledBackError);
  expect(failed[1]).toBeInstanceOf(NoNodeError);
  expect(await admin.exists(`${chroot}/m`)).toBeNull();
});

it('lists its ephemeral nodes by client path', async () => {
  await zk.create('/e1', 'x', { ephemeral: true });
  await zk.create('/sub/e2', 'x', { ephemeral: true, makepath: true });
  expect((await zk.getEphemerals()).sort()).toEqual(['/e1', '/sub/e2']);
  expect(await zk.getEphemerals('/sub')).toEqual(['/sub/e2']);
});

it('delivers watch events with client paths', async () => {
  await zk.create('/w', 'x');
  const data = collector();
  const children = collector();
  const root = collector();
  const created = collector();
  await zk.get('/w', data.callback);
  await zk.getChildren('/w', children.callback);
  await zk.getChildren('/', root.callback);
  expect(await zk.exists('/later', created.callback)).toBeNull();
  await admin.set(`${chroot}/w`, 'y');
  await admin.create(`${chroot}/w/kid`);
  await admin.create(`${chroot}/later`);
  await waitUntil(
    () => data.events.length + children.events.length + root.events.length + created.events.length >= 4,
    'four watch events',
    { intervalMs: 10 },
  );
  const sync = KeeperState.SyncConnected;
  expect(data.events).toEqual([{ type: EventType.NodeDataChanged, state: sync, path: '/w' }]);
  expect(children.events).toEqual([{ type: EventType.NodeChildrenChanged, state: sync, path: '/w' }]);
  expect(root.events).toEqual([{ type: EventType.NodeChildrenChanged, state: sync, path: '/' }]);
  expect(created.events).toEqual([{ type: EventType.NodeCreated, state: sync, path: '/later' }]);
});

it('sync answers with the client path', async () => {
  await zk.create('/a');
  expect(await zk.sync('/a')).toBe('/a');
  expect(await zk.sync('/')).toBe('/');
});

it('reads /zookeeper/config outside the chroot', async () => {
  const [mine] = await zk.getConfig();
  const [theirs] = await admin.getConfig();
  expect(mine).toEqual(theirs);
  expect(await admin.exists(`${chroot}/zookeeper`)).toBeNull();
});

describe('the chroot boundary', () => {
  /** A sibling of the chroot that starts with the same characters: '/…/application' next to '/…/app'. */
  let sibling: string;
  beforeEach(async () => {
    sibling = `${chroot}lication`;
    await admin.create(sibling, 'outside');
    await admin.create(`${sibling}/inner`, 'outside');
  });

  it('never reaches a sibling node whose name starts with the chroot’s', async () => {
    expect(await zk.exists('/inner')).toBeNull();
    expect(await zk.exists('/lication')).toBeNull();
    expect(await zk.getChildren('/')).toEqual([]);
    await zk.create('/inner', 'inside');
    expect((await admin.get(`${sibling}/inner`))[0]?.toString()).toBe('outside');
    expect((await admin.get(`${chroot}/inner`))[0]?.toString()).toBe('inside');
  });

  it('does not report ephemerals of its session that lie outside the chroot', async () => {
    // One session owns ephemerals inside the chroot and in the sibling. The server matches the
    // prefix as a string, so "/…/app" also selects "/…/application/…"; those are not the client's.
    const raw = await RawSession.connect({ host: server.host, port: server.port });
    const ephemeral = (path: string) =>
      raw.request(OpCode.create, { path, data: null, acl: OPEN_ACL, flags: CreateFlag.EPHEMERAL });
    expect((await ephemeral(`${chroot}/mine`)).header.err).toBe(0);
    expect((await ephemeral(`${sibling}/not-mine`)).header.err).toBe(0);
    raw.destroy(); // the session lives on without a connection
    const resumed = await pool.open({
      hosts: `${server.connectString}${chroot}`,
      clientId: { sessionId: raw.sessionId, password: raw.passwd },
    });
    expect(resumed.clientId?.sessionId).toBe(raw.sessionId);
    expect(await resumed.getEphemerals()).toEqual(['/mine']);
    expect(await resumed.getEphemerals('/')).toEqual(['/mine']);
  });
});
