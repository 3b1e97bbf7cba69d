// PersistentNode against a real server: Curator's own behaviours (TestPersistentEphemeralNode and
// TestPersistentNode, one test each), the layout read back from the znodes, and faults: the
// acceptance item (the node is back within one session timeout after a server-side expiry, with
// its data), data set while disconnected, a lost create reply, and NoAuth stopping the retries.

import { makeDigestAcl, READ_ACL_UNSAFE } from '../../../lib/acl.js';
import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { NoAuthError } from '../../../lib/errors.js';
import { OpCode } from '../../../protocol/index.js';
import type { PersistentNode } from '../../../recipes/curator/persistent-node.js';
import { expireSession } from '../../../testing/expire-session.js';
import { FaultProxy } from '../../../testing/fault-proxy.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { StateRecorder } from '../../client/fault-support.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../../client/support.js';
import { type CuttableProxy, openBehindProxy } from '../support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];
const nodes: PersistentNode[] = [];

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });
const nodePath = (name: string): string => `/${uniqueName(name)}`;
const PROTECTED = /^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-/;

/** A started PersistentNode, closed after the test. */
function kept(
  zk: ZooKeeperClient,
  path: string,
  options: Parameters<ZooKeeperClient['PersistentNode']>[1] = {},
): PersistentNode {
  const node = zk.PersistentNode(path, options);
  nodes.push(node);
  node.start();
  return node;
}

/** The node's data as text, or undefined when it does not exist. */
async function textOf(zk: ZooKeeperClient, path: string): Promise<string | undefined> {
  const stat = await zk.exists(path);
  if (stat === null) return undefined;
  return (await zk.get(path))[0]?.toString('utf8') ?? '';
}

beforeAll(async () => {
  server = await startTestingServer();
});

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.close()));
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await server?.close();
});

describe('PersistentNode', () => {
  it('creates an ephemeral node holding its data under container parents, and deletes it on close (testBasic, testDeletesNodeWhenClosed)', async () => {
    const zk = await open();
    const admin = await open();
    const base = nodePath('pnode-basic');
    const path = `${base}/services/me`;
    const node = zk.PersistentNode(path, { data: 'hello' });
    nodes.push(node);
    const created: string[] = [];
    node.on('created', (at) => created.push(at));
    node.start();
    expect(await node.waitForInitialCreate({ timeout: 5000 })).toBe(true);
    expect(node.getActualPath()).toBe(path);
    expect(created).toEqual([path]);
    const [data, stat] = await admin.get(path);
    expect(data?.toString()).toBe('hello');
    expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
    await node.close();
    await node.close();
    expect(await admin.exists(path)).toBeNull();
    // The parents were made as containers: empty, the server reaps them.
    await waitUntil(async () => (await admin.exists(base)) === null, 'the parents to be reaped', {
      timeoutMs: 10_000,
    });
  });

  it('makes the node again, with its data, when someone deletes it (testRecreatesNodeWhenItGetsDeleted)', async () => {
    const zk = await open();
    const admin = await open();
    const path = nodePath('pnode-deleted');
    const node = kept(zk, path, { data: 'mine' });
    await node.initialized;
    for (let i = 0; i < 3; i++) {
      await admin.delete(path);
      await waitUntil(async () => (await textOf(admin, path)) === 'mine', `the node back (${i})`);
    }
  });

  it('is back within one session timeout after its session is expired on the server, holding the data last set (acceptance)', async () => {
    const sessionTimeout = 10_000;
    const zk = await pool.open({ hosts: server.connectString, sessionTimeout });
    const recorder = new StateRecorder(zk);
    const admin = await open();
    const path = nodePath('pnode-expire');
    const node = kept(zk, path, { data: 'first' });
    await node.initialized;
    await node.setData('latest');
    const oldSession = zk.clientId!.sessionId;
    const expired = performance.now();
    await expireSession(server.connectString, { sessionId: oldSession, passwd: zk.clientId!.password });
    await waitUntil(
      async () => {
        const stat = await admin.exists(path);
        return stat !== null && stat.ephemeralOwner !== oldSession;
      },
      'the node made again by the new session',
      { timeoutMs: sessionTimeout, intervalMs: 20 },
    );
    expect(performance.now() - expired).toBeLessThan(sessionTimeout);
    expect(recorder.stateNames).toContain('LOST');
    const [data, stat] = await admin.get(path);
    expect(data?.toString()).toBe('latest');
    expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
  });

  it('writes data set while disconnected once it is back, and keeps the latest for every re-creation (testSetDataWhenDisconnected, testSetUpdatedDataWhenReconnected)', async () => {
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const admin = await open();
    const path = nodePath('pnode-away');
    const node = kept(zk, path, { data: 'one' });
    await node.initialized;
    proxy.block();
    await waitUntil(() => zk.state === 'SUSPENDED', 'the client to be away');
    const setting = node.setData('two');
    await sleep(300);
    expect(await textOf(admin, path)).toBe('one');
    proxy.unblock();
    await setting;
    expect(await textOf(admin, path)).toBe('two');
    expect(node.getData().toString()).toBe('two');
    await admin.delete(path);
    await waitUntil(async () => (await textOf(admin, path)) === 'two', 'the node back with the latest data');
  });

  it('adopts a node already at its path and gives it its data (testSetDataWhenNodeExists)', async () => {
    const zk = await open();
    const admin = await open();
    const path = nodePath('pnode-exists');
    await admin.create(path, 'theirs');
    const node = kept(zk, path, { data: 'ours', mode: 'persistent' });
    expect(await node.waitForInitialCreate({ timeout: 5000 })).toBe(true);
    expect(await textOf(admin, path)).toBe('ours');
    expect(node.getActualPath()).toBe(path);
  });

  it('names a protected node _c_<uuid>-<name>, and a protected sequential one made again keeps its sequence (testProtected, testEphemeralSequentialWithProtectionReconnection)', async () => {
    const zk = await open();
    const admin = await open();
    const base = nodePath('pnode-protected');
    const plain = kept(zk, `${base}/plain`, { protected: true, data: 'p' });
    const sequential = kept(zk, `${base}/seq-`, { protected: true, mode: 'ephemeralSequential', data: 's' });
    await Promise.all([plain.initialized, sequential.initialized]);
    const plainName = plain.getActualPath()!.slice(base.length + 1);
    const seqName = sequential.getActualPath()!.slice(base.length + 1);
    expect(plainName).toMatch(new RegExp(`${PROTECTED.source}plain$`));
    expect(seqName).toMatch(new RegExp(`${PROTECTED.source}seq-\\d{10}$`));
    await admin.delete(sequential.getActualPath()!);
    await waitUntil(
      () => sequential.getActualPath() !== `${base}/${seqName}`,
      'the sequential node made again',
    );
    const again = sequential.getActualPath()!.slice(base.length + 1);
    expect(again).toMatch(PROTECTED);
    expect(again.slice(-10)).toBe(seqName.slice(-10));
    expect(await textOf(admin, sequential.getActualPath()!)).toBe('s');
    const [, stat] = await admin.get(sequential.getActualPath()!);
    expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
  });

  it('makes its node once when the reply of its create is lost (the client resumes the session and finds it there)', async () => {
    const proxy = await FaultProxy.start({ host: server.host, port: server.port });
    try {
      const zk = await pool.open({ hosts: proxy.connectString, sessionTimeout: 10_000, reconnectJitter: 0 });
      const admin = await open();
      const base = nodePath('pnode-lost');
      await admin.create(base);
      const lost = proxy.loseNextReply(OpCode.create);
      const node = kept(zk, `${base}/me`, { data: 'once' });
      await lost;
      expect(await node.waitForInitialCreate({ timeout: 10_000 })).toBe(true);
      expect(await admin.getChildren(base)).toEqual(['me']);
      const [data, stat] = await admin.get(`${base}/me`);
      expect(data?.toString()).toBe('once');
      expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
    } finally {
      await proxy.close();
    }
  });

  it('stops retrying on NoAuth and reports it (testNoCreatePermission, testNoWritePermission)', async () => {
    const zk = await open();
    const admin = await open();
    const errors: unknown[] = [];
    zk.on('error', (error) => errors.push(error));
    const base = nodePath('pnode-noauth');
    await admin.create(base, '', { acl: READ_ACL_UNSAFE });
    const cannotCreate = kept(zk, `${base}/child`);
    await waitUntil(() => cannotCreate.authFailure, 'the create to be refused');
    await admin.addAuth('digest', 'owner:secret');
    const closed = `${nodePath('pnode-nowrite')}`;
    await admin.create(closed, 'theirs', {
      acl: [makeDigestAcl('owner', 'secret', { read: true, delete: true })],
    });
    const cannotWrite = kept(zk, closed, { mode: 'persistent', data: 'ours' });
    await waitUntil(() => cannotWrite.authFailure, 'the write to be refused');
    await sleep(500);
    expect(errors.filter((error) => error instanceof NoAuthError)).toHaveLength(2);
    expect(await textOf(admin, closed)).toBe('theirs');
    expect(await admin.getChildren(base)).toEqual([]);
  });

  it('does not make missing parents with createParents: false (testCreationWithParentCreationOff)', async () => {
    const zk = await open();
    const errors: unknown[] = [];
    zk.on('error', (error) => errors.push(error));
    const path = `${nodePath('pnode-noparent')}/child`;
    const node = kept(zk, path, { createParents: false });
    expect(await node.waitForInitialCreate({ timeout: 500 })).toBe(false);
    expect(errors).toHaveLength(1);
    expect(await zk.exists(path)).toBeNull();
  });
});

describe('PersistentTtlNode', () => {
  it('keeps a TTL node alive past its TTL by touching a child, without changing the node (testBasic, testEventsOnParent); the TTL removes it after close', async () => {
    const zk = await open();
    const admin = await open();
    const path = nodePath('ttl-basic');
    const ttl = 1000;
    const node = zk.PersistentTtlNode(path, ttl, { data: 'alive' });
    node.start();
    expect(await node.waitForInitialCreate({ timeout: 5000 })).toBe(true);
    const [, created] = await admin.get(path);
    await sleep(ttl * 3);
    const [data, stat] = await admin.get(path);
    expect(data?.toString()).toBe('alive');
    expect(stat.mzxid).toBe(created.mzxid); // watchers of the node saw no change
    expect(await admin.getChildren(path)).toEqual(['touch']);
    await node.close();
    await waitUntil(async () => (await admin.exists(path)) === null, 'the TTL to remove the node', {
      timeoutMs: 15_000,
      intervalMs: 200,
    });
  });

  it('makes the touch child again when it is deleted (testForcedDeleteOfTouchNode)', async () => {
    const zk = await open();
    const admin = await open();
    const path = nodePath('ttl-touch');
    await using node = zk.PersistentTtlNode(path, 600, { childName: 'beat' });
    node.start();
    await waitUntil(async () => (await admin.exists(`${path}/beat`)) !== null, 'the first touch');
    await admin.delete(`${path}/beat`);
    await waitUntil(async () => (await admin.exists(`${path}/beat`)) !== null, 'the child made again');
    expect(await admin.exists(path)).not.toBeNull();
  });
});
