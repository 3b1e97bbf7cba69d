// Every operation of the client against a real ZooKeeper 3.8 server, and every server error a
// client can provoke, each carrying the path it was about.

import {
  CREATOR_ALL_ACL,
  makeAcl,
  makeDigestAcl,
  makeDigestCredential,
  OPEN_ACL_UNSAFE,
  READ_ACL_UNSAFE,
} from '../../lib/acl.js';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import {
  BadArgumentsError,
  BadVersionError,
  ConnectionLossError,
  InvalidACLError,
  NoAuthError,
  NoChildrenForEphemeralsError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  RolledBackError,
  RuntimeInconsistencyError,
  UnimplementedError,
  type ZooKeeperError,
} from '../../lib/errors.js';
import type { Stat } from '../../protocol/records.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, sleep, uniqueName, waitUntil } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
let zk: ZooKeeperClient;
/** This test's own subtree. */
let base: string;

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  zk = await pool.open({ hosts: server.connectString });
  base = `/${uniqueName('ops')}`;
  await zk.create(base);
});
afterEach(() => pool.stopAll());

/** Asserts that `call` fails with the server error `ErrorClass` naming `path` (the client path). */
async function expectServerError(
  call: () => Promise<unknown>,
  ErrorClass: typeof ZooKeeperError,
  path: string | undefined,
): Promise<void> {
  const error = await rejectionOf(call);
  expect(error).toBeInstanceOf(ErrorClass);
  expect((error as ZooKeeperError).code).toBe(ErrorClass.code);
  expect((error as ZooKeeperError).path).toBe(path);
}

function other(): Promise<ZooKeeperClient> {
  return pool.open({ hosts: server.connectString });
}

describe('create', () => {
  it('returns the path of the node it created and stores the value', async () => {
    expect(await zk.create(`${base}/a`, 'value-a')).toBe(`${base}/a`);
    const [data] = await zk.get(`${base}/a`);
    expect(data?.toString()).toBe('value-a');
  });

  it('returns the path and the new node’s Stat with includeData', async () => {
    const [path, stat] = await zk.create(`${base}/a`, 'hello', { includeData: true });
    expect(path).toBe(`${base}/a`);
    expect(stat).toMatchObject({ version: 0, cversion: 0, aversion: 0, dataLength: 5, numChildren: 0 });
    expect(stat.ephemeralOwner).toBe(0n);
    expect(stat.czxid).toBe(stat.mzxid);
    expect(await zk.exists(path)).toEqual(stat);
  });

  it('creates every missing parent with makepath', async () => {
    expect(await zk.create(`${base}/a/b/c`, 'leaf', { makepath: true })).toBe(`${base}/a/b/c`);
    expect(await zk.getChildren(`${base}/a`)).toEqual(['b']);
    expect(await zk.getChildren(`${base}/a/b`)).toEqual(['c']);
    const [data] = await zk.get(`${base}/a/b/c`);
    expect(data?.toString()).toBe('leaf');
  });

  it('fails with NoNodeError naming the path when the parent is missing and makepath is off', async () => {
    await expectServerError(() => zk.create(`${base}/missing/child`), NoNodeError, `${base}/missing/child`);
    expect(await zk.exists(`${base}/missing`)).toBeNull();
  });

  it('fails with NodeExistsError naming the path when the node exists', async () => {
    await zk.create(`${base}/a`, 'first');
    await expectServerError(() => zk.create(`${base}/a`, 'second'), NodeExistsError, `${base}/a`);
    const [data] = await zk.get(`${base}/a`);
    expect(data?.toString()).toBe('first');
  });

  it('makes an ephemeral node whose ephemeralOwner is the session id', async () => {
    await zk.create(`${base}/e`, 'x', { ephemeral: true });
    const stat = await zk.exists(`${base}/e`);
    expect(typeof stat?.ephemeralOwner).toBe('bigint');
    expect(stat?.ephemeralOwner).toBe(zk.clientId!.sessionId);
  });

  it('appends an increasing 10-digit counter to sequential nodes', async () => {
    const paths = [
      await zk.create(`${base}/s-`, 'a', { sequence: true }),
      await zk.create(`${base}/s-`, 'b', { sequence: true }),
      await zk.create(`${base}/s-`, 'c', { sequence: true, ephemeral: true }),
    ];
    const counters = paths.map((p) => {
      expect(p).toMatch(new RegExp(`^${base}/s-\\d{10}$`));
      return Number(p.slice(-10));
    });
    expect(counters[0]).toBeLessThan(counters[1]!);
    expect(counters[1]).toBeLessThan(counters[2]!);
    expect((await zk.getChildren(base)).sort()).toEqual(paths.map((p) => p.slice(base.length + 1)).sort());
    expect((await zk.exists(paths[2]!))?.ephemeralOwner).toBe(zk.clientId!.sessionId);
  });

  it('fails with NoChildrenForEphemeralsError naming the path under an ephemeral node', async () => {
    await zk.create(`${base}/e`, 'x', { ephemeral: true });
    await expectServerError(
      () => zk.create(`${base}/e/child`),
      NoChildrenForEphemeralsError,
      `${base}/e/child`,
    );
  });

  it('stores an empty value, not a null one, when no value is given', async () => {
    await zk.create(`${base}/empty`);
    const [data, stat] = await zk.get(`${base}/empty`);
    expect(data).toBeInstanceOf(Buffer);
    expect(data).toHaveLength(0);
    expect(stat.dataLength).toBe(0);
  });

  it('stores bytes exactly, including a Uint8Array that views part of a larger buffer', async () => {
    const all = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    const view = all.subarray(10, 266);
    await zk.create(`${base}/bytes`, view);
    const [data] = await zk.get(`${base}/bytes`);
    expect(data).toEqual(Buffer.from(view));
  });
});

describe('containers and TTL nodes', () => {
  it('keeps a container while it has a child and lets the server delete it once the child is gone', async () => {
    const [used, stat] = await zk.create(`${base}/used`, undefined, { container: true, includeData: true });
    await zk.create(`${base}/unused`, undefined, { container: true });
    expect(stat.ephemeralOwner).toBe(0n);
    await zk.create(`${base}/used/child`);
    // The harness's reaper runs every second: a container with a child survives a pass.
    await sleep(1500);
    expect(await zk.exists(used)).not.toBeNull();
    await zk.delete(`${base}/used/child`);
    await waitUntil(async () => (await zk.exists(used)) === null, 'the emptied container to be reaped');
    // A container that never had a child is kept (maxNeverUsedIntervalMs is 0 on 3.8).
    expect(await zk.exists(`${base}/unused`)).not.toBeNull();
  });

  it('deletes a TTL node once it is unchanged for its TTL and has no children', async () => {
    const [lonely, stat] = await zk.create(`${base}/lonely`, 'x', { ttl: 500, includeData: true });
    await zk.create(`${base}/parent`, 'x', { ttl: 500 });
    await zk.create(`${base}/parent/child`);
    expect(stat.ephemeralOwner).toBe(0n);
    await waitUntil(async () => (await zk.exists(lonely)) === null, 'the TTL node to be reaped');
    // The reaper has passed over the parent too, whose TTL has run out: its child keeps it.
    expect(await zk.exists(`${base}/parent`)).not.toBeNull();
    await zk.delete(`${base}/parent/child`);
    await waitUntil(
      async () => (await zk.exists(`${base}/parent`)) === null,
      'the TTL node to be reaped once childless',
    );
  });

  it('appends the counter to a sequential TTL node and keeps it while its TTL runs', async () => {
    const path = await zk.create(`${base}/ttl-`, 'x', { ttl: 60_000, sequence: true });
    expect(path).toMatch(new RegExp(`^${base}/ttl-\\d{10}$`));
    expect((await zk.exists(path))?.ephemeralOwner).toBe(0n);
  });
});

describe('ensurePath', () => {
  it('creates every missing level, and a second call changes nothing', async () => {
    await zk.ensurePath(`${base}/a/b/c/d`);
    for (const p of [`${base}/a`, `${base}/a/b`, `${base}/a/b/c`, `${base}/a/b/c/d`]) {
      expect(await zk.exists(p)).not.toBeNull();
    }
    await zk.set(`${base}/a/b`, 'kept');
    await zk.ensurePath(`${base}/a/b/c/d`);
    await zk.ensurePath(`${base}/a/b`);
    const [data, stat] = await zk.get(`${base}/a/b`);
    expect(data?.toString()).toBe('kept');
    expect(stat.version).toBe(1);
    expect(await zk.getAllChildrenNumber(`${base}/a`)).toBe(3);
  });

  it('accepts the root', async () => {
    await expect(zk.ensurePath('/')).resolves.toBeUndefined();
  });
});

describe('reads', () => {
  it('exists returns the Stat of an existing node and null for a missing one', async () => {
    await zk.create(`${base}/a`, 'abc');
    await zk.set(`${base}/a`, 'abcd');
    const stat = await zk.exists(`${base}/a`);
    expect(stat).toMatchObject({ version: 1, dataLength: 4 });
    expect(await zk.exists(`${base}/nope`)).toBeNull();
  });

  it('get returns the data and the Stat, and NoNodeError naming a missing path', async () => {
    await zk.create(`${base}/a`, 'one');
    await zk.set(`${base}/a`, 'two');
    const [data, stat] = await zk.get(`${base}/a`);
    expect(data?.toString()).toBe('two');
    expect(stat.version).toBe(1);
    await expectServerError(() => zk.get(`${base}/nope`), NoNodeError, `${base}/nope`);
  });

  it('getChildren returns the names, and with includeData the parent’s Stat too', async () => {
    for (const name of ['x', 'y', 'z']) await zk.create(`${base}/${name}`);
    expect((await zk.getChildren(base)).sort()).toEqual(['x', 'y', 'z']);
    const [names, stat] = await zk.getChildren(base, undefined, { includeData: true });
    expect(names.sort()).toEqual(['x', 'y', 'z']);
    expect(stat).toMatchObject({ numChildren: 3, cversion: 3 });
    await expectServerError(() => zk.getChildren(`${base}/nope`), NoNodeError, `${base}/nope`);
  });
});

describe('writes', () => {
  it('set replaces the data at the expected version and fails with BadVersionError at another', async () => {
    await zk.create(`${base}/a`, 'v0');
    const stat = await zk.set(`${base}/a`, 'v1', { version: 0 });
    expect(stat).toMatchObject({ version: 1, dataLength: 2 });
    await expectServerError(() => zk.set(`${base}/a`, 'v2', { version: 0 }), BadVersionError, `${base}/a`);
    const [data] = await zk.get(`${base}/a`);
    expect(data?.toString()).toBe('v1');
    await expectServerError(() => zk.set(`${base}/nope`, 'x'), NoNodeError, `${base}/nope`);
  });

  it('delete removes a node only at the expected version', async () => {
    await zk.create(`${base}/a`);
    await zk.set(`${base}/a`, 'changed');
    await expectServerError(() => zk.delete(`${base}/a`, { version: 0 }), BadVersionError, `${base}/a`);
    expect(await zk.exists(`${base}/a`)).not.toBeNull();
    await zk.delete(`${base}/a`, { version: 1 });
    expect(await zk.exists(`${base}/a`)).toBeNull();
    await expectServerError(() => zk.delete(`${base}/a`), NoNodeError, `${base}/a`);
  });

  it('delete of a node with children fails with NotEmptyError naming the path', async () => {
    await zk.create(`${base}/a/b`, undefined, { makepath: true });
    await expectServerError(() => zk.delete(`${base}/a`), NotEmptyError, `${base}/a`);
    expect(await zk.exists(`${base}/a/b`)).not.toBeNull();
  });

  it('a recursive delete removes a tree three levels deep and leaves its parent', async () => {
    for (const a of ['a1', 'a2']) {
      for (const b of ['b1', 'b2']) {
        for (const c of ['c1', 'c2']) await zk.create(`${base}/t/${a}/${b}/${c}`, 'x', { makepath: true });
      }
    }
    expect(await zk.getAllChildrenNumber(`${base}/t`)).toBe(14);
    await zk.delete(`${base}/t`, { recursive: true });
    expect(await zk.exists(`${base}/t`)).toBeNull();
    expect(await zk.getChildren(base)).toEqual([]);
  });

  it('a recursive delete of a missing node succeeds', async () => {
    await expect(zk.delete(`${base}/nope`, { recursive: true })).resolves.toBeUndefined();
  });

  it('a recursive delete with a stale version deletes nothing and fails with BadVersionError; with the current one it deletes the tree', async () => {
    await zk.create(`${base}/v/a/b`, 'x', { makepath: true });
    await zk.set(`${base}/v`, 'changed'); // version 1
    await expectServerError(
      () => zk.delete(`${base}/v`, { recursive: true, version: 0 }),
      BadVersionError,
      `${base}/v`,
    );
    expect(await zk.exists(`${base}/v/a/b`)).not.toBeNull(); // the check came before any delete
    await zk.delete(`${base}/v`, { recursive: true, version: 1 });
    expect(await zk.exists(`${base}/v`)).toBeNull();
    // A missing node with a version is as fine as without one.
    await expect(zk.delete(`${base}/v`, { recursive: true, version: 3 })).resolves.toBeUndefined();
  });

  it('the server refuses to delete its own /zookeeper node with BadArgumentsError naming it', async () => {
    await expectServerError(() => zk.delete('/zookeeper'), BadArgumentsError, '/zookeeper');
    expect(await zk.exists('/zookeeper')).not.toBeNull();
  });
});

describe('ACLs and authentication', () => {
  it('getAcls returns the ACL and Stat, and setAcls applies only at the expected ACL version', async () => {
    await zk.create(`${base}/a`, 'x');
    const [acl, stat] = await zk.getAcls(`${base}/a`);
    expect(acl).toEqual(OPEN_ACL_UNSAFE);
    expect(stat.aversion).toBe(0);
    // Read and admin for everyone: the ACL can still be changed, the data no longer.
    const readAdmin = [makeAcl('world', 'anyone', { read: true, admin: true })];
    const after = await zk.setAcls(`${base}/a`, readAdmin, { version: 0 });
    expect(after.aversion).toBe(1);
    await expectServerError(
      () => zk.setAcls(`${base}/a`, OPEN_ACL_UNSAFE, { version: 0 }),
      BadVersionError,
      `${base}/a`,
    );
    expect((await zk.getAcls(`${base}/a`))[0]).toEqual(readAdmin);
    expect((await zk.get(`${base}/a`))[0]?.toString()).toBe('x');
    await expectServerError(() => zk.set(`${base}/a`, 'y'), NoAuthError, `${base}/a`);
    // Without admin, even a correct ACL version is refused.
    await zk.setAcls(`${base}/a`, READ_ACL_UNSAFE, { version: 1 });
    await expectServerError(
      () => zk.setAcls(`${base}/a`, OPEN_ACL_UNSAFE, { version: 2 }),
      NoAuthError,
      `${base}/a`,
    );
  });

  it('a node with the creator ACL is open only to sessions with the creator’s credentials', async () => {
    await zk.addAuth('digest', 'alice:secret');
    await zk.create(`${base}/private`, 'secret data', { acl: CREATOR_ALL_ACL });
    const [acl] = await zk.getAcls(`${base}/private`);
    expect(acl).toEqual([
      { perms: 31, id: { scheme: 'digest', id: makeDigestCredential('alice', 'secret') } },
    ]);
    expect((await zk.get(`${base}/private`))[0]?.toString()).toBe('secret data');

    const stranger = await other();
    await expectServerError(() => stranger.get(`${base}/private`), NoAuthError, `${base}/private`);
    await stranger.addAuth('digest', 'alice:wrong');
    await expectServerError(() => stranger.get(`${base}/private`), NoAuthError, `${base}/private`);

    const alice = await pool.open({ hosts: server.connectString, authData: [['digest', 'alice:secret']] });
    expect((await alice.get(`${base}/private`))[0]?.toString()).toBe('secret data');
  });

  it('a digest ACL grants its user exactly the permissions it names', async () => {
    await zk.create(`${base}/shared`, 'v0', {
      acl: [
        makeDigestAcl('bob', 'pw', { read: true, write: true }),
        makeAcl('world', 'anyone', { read: true }),
      ],
    });
    const anonymous = await other();
    expect((await anonymous.get(`${base}/shared`))[0]?.toString()).toBe('v0');
    await expectServerError(() => anonymous.set(`${base}/shared`, 'x'), NoAuthError, `${base}/shared`);
    const bob = await other();
    await bob.addAuth('digest', 'bob:pw');
    expect((await bob.set(`${base}/shared`, 'v1')).version).toBe(1);
    await expectServerError(() => bob.create(`${base}/shared/child`), NoAuthError, `${base}/shared/child`);
  });

  it('the creator ACL without an authenticated identity fails with InvalidACLError', async () => {
    await expectServerError(
      () => zk.create(`${base}/a`, 'x', { acl: CREATOR_ALL_ACL }),
      InvalidACLError,
      `${base}/a`,
    );
    expect(await zk.exists(`${base}/a`)).toBeNull();
  });

  it('an ACL with an unknown scheme passes the client and the server refuses it with InvalidACLError', async () => {
    const acl = [{ perms: 31, id: { scheme: 'nope', id: 'x' } }];
    await expectServerError(() => zk.create(`${base}/a`, 'x', { acl }), InvalidACLError, `${base}/a`);
    await zk.create(`${base}/b`, 'x');
    await expectServerError(() => zk.setAcls(`${base}/b`, acl), InvalidACLError, `${base}/b`);
  });

  it('whoAmI reports the client address, and the digest user after addAuth', async () => {
    expect(await zk.whoAmI()).toEqual([{ authScheme: 'ip', user: '127.0.0.1' }]);
    await zk.addAuth('digest', 'alice:secret');
    const identities = await zk.whoAmI();
    expect(identities).toHaveLength(2);
    expect(identities).toEqual(
      expect.arrayContaining([
        { authScheme: 'ip', user: '127.0.0.1' },
        { authScheme: 'digest', user: 'alice' },
      ]),
    );
  });
});

describe('transactions', () => {
  it('commits create, setData, check and delete atomically and returns one result per op', async () => {
    await zk.create(`${base}/t`, 'v0');
    await zk.create(`${base}/old`);
    const results = await zk
      .transaction()
      .create(`${base}/new`, 'n')
      .create(`${base}/seq-`, 's', { sequence: true })
      .setData(`${base}/t`, 'v1', 0)
      .check(`${base}/t`, 1)
      .delete(`${base}/old`)
      .commit();
    expect(results).toHaveLength(5);
    expect(results[0]).toBe(`${base}/new`);
    expect(results[1]).toMatch(new RegExp(`^${base}/seq-\\d{10}$`));
    expect((results[2] as Stat).version).toBe(1);
    expect(results.slice(3)).toEqual([true, true]);
    expect((await zk.get(`${base}/new`))[0]?.toString()).toBe('n');
    expect((await zk.get(`${base}/t`))[0]?.toString()).toBe('v1');
    expect(await zk.exists(`${base}/old`)).toBeNull();
  });

  it('a failed check rolls everything back: RolledBack before it, BadVersion, RuntimeInconsistency after', async () => {
    await zk.create(`${base}/t`, 'v0');
    const results = await zk
      .transaction()
      .create(`${base}/n1`)
      .check(`${base}/t`, 5)
      .setData(`${base}/t`, 'changed')
      .commit();
    expect(results.map((r) => (r as Error).constructor)).toEqual([
      RolledBackError,
      BadVersionError,
      RuntimeInconsistencyError,
    ]);
    expect(await zk.exists(`${base}/n1`)).toBeNull();
    const [data, stat] = await zk.get(`${base}/t`);
    expect(data?.toString()).toBe('v0');
    expect(stat.version).toBe(0);
  });

  it('a delete of a missing node fails the transaction with NoNodeError and applies nothing', async () => {
    await zk.create(`${base}/t`, 'v0');
    const results = await zk
      .transaction()
      .setData(`${base}/t`, 'changed')
      .delete(`${base}/missing`)
      .create(`${base}/n2`)
      .commit();
    expect(results[0]).toBeInstanceOf(RolledBackError);
    expect(results[1]).toBeInstanceOf(NoNodeError);
    expect(results[2]).toBeInstanceOf(RuntimeInconsistencyError);
    expect((await zk.exists(`${base}/t`))?.version).toBe(0);
    expect(await zk.exists(`${base}/n2`)).toBeNull();
  });

  it('an empty transaction commits to no results, and a transaction commits only once', async () => {
    const txn = zk.transaction();
    expect(await txn.commit()).toEqual([]);
    await expect(txn.commit()).rejects.toThrow(/already committed/);
  });
});

describe('multiRead', () => {
  it('returns one result per read, with NoNodeError naming each missing path', async () => {
    await zk.create(`${base}/a`, 'data-a');
    await zk.create(`${base}/a/child`);
    const results = await zk.multiRead([
      { op: 'get', path: `${base}/a` },
      { op: 'getChildren', path: `${base}/a` },
      { op: 'get', path: `${base}/missing` },
      { op: 'getChildren', path: `${base}/gone` },
    ]);
    expect(results).toHaveLength(4);
    const [data, stat] = results[0] as [Buffer, Stat];
    expect(data.toString()).toBe('data-a');
    expect(stat.numChildren).toBe(1);
    expect(results[1]).toEqual(['child']);
    expect(results[2]).toBeInstanceOf(NoNodeError);
    expect((results[2] as NoNodeError).path).toBe(`${base}/missing`);
    expect(results[3]).toBeInstanceOf(NoNodeError);
    expect((results[3] as NoNodeError).path).toBe(`${base}/gone`);
  });
});

describe('session and server information', () => {
  it('getEphemerals lists this session’s ephemeral nodes under a prefix', async () => {
    await zk.create(`${base}/e/one`, 'x', { ephemeral: true, makepath: true });
    await zk.create(`${base}/e/two`, 'x', { ephemeral: true });
    await zk.create(`${base}/f/three`, 'x', { ephemeral: true, makepath: true });
    const someoneElse = await other();
    await someoneElse.create(`${base}/e/theirs`, 'x', { ephemeral: true });
    expect((await zk.getEphemerals(`${base}/e`)).sort()).toEqual([`${base}/e/one`, `${base}/e/two`]);
    expect((await zk.getEphemerals()).sort()).toEqual([`${base}/e/one`, `${base}/e/two`, `${base}/f/three`]);
    expect(await someoneElse.getEphemerals(base)).toEqual([`${base}/e/theirs`]);
  });

  it('getAllChildrenNumber counts every descendant at any depth', async () => {
    await zk.create(`${base}/a/b/c`, undefined, { makepath: true });
    await zk.create(`${base}/a/d`);
    expect(await zk.getAllChildrenNumber(`${base}/a`)).toBe(3);
    expect(await zk.getAllChildrenNumber(`${base}/a/b/c`)).toBe(0);
    await expectServerError(() => zk.getAllChildrenNumber(`${base}/nope`), NoNodeError, `${base}/nope`);
  });

  it('sync resolves with the path it was given', async () => {
    await zk.create(`${base}/a`);
    expect(await zk.sync(`${base}/a`)).toBe(`${base}/a`);
  });

  it('getConfig reads /zookeeper/config, which a standalone server leaves empty', async () => {
    const [data, stat] = await zk.getConfig();
    expect(data).toBeInstanceOf(Buffer);
    expect(data).toHaveLength(0);
    expect(stat.dataLength).toBe(0);
    expect(await zk.exists('/zookeeper/config')).not.toBeNull();
  });

  it('reconfig on a standalone server fails with UnimplementedError', async () => {
    // A standalone 3.8 server has no reconfig at all, so the ACL check (NoAuth) is never reached.
    await expectServerError(
      () => zk.reconfig({ joining: 'server.9=127.0.0.1:2888:3888;127.0.0.1:2181' }),
      UnimplementedError,
      undefined,
    );
    expect(await zk.exists(base)).not.toBeNull();
  });

  it('serverVersion reads 3.8.x from the server', async () => {
    const version = await zk.serverVersion();
    expect(version).toHaveLength(3);
    expect(version.slice(0, 2)).toEqual([3, 8]);
    expect(Number.isInteger(version[2])).toBe(true);
  });

  it('command sends a four-letter word to the connected server', async () => {
    expect(await zk.command('ruok')).toBe('imok');
    expect(await zk.command('srvr')).toMatch(/Mode: standalone/);
  });
});

describe('retry', () => {
  it('runs the operation again after a ConnectionLossError and returns what it then gives', async () => {
    await zk.create(`${base}/a`, 'payload');
    let attempts = 0;
    const [data] = await zk.retry(async () => {
      attempts++;
      if (attempts === 1) throw new ConnectionLossError(undefined, `${base}/a`);
      return zk.get(`${base}/a`);
    });
    expect(attempts).toBe(2);
    expect(data?.toString()).toBe('payload');
  });

  it('does not run the operation again after an error that says it failed', async () => {
    let attempts = 0;
    const error = await rejectionOf(() =>
      zk.retry(() => {
        attempts++;
        return zk.get(`${base}/nope`);
      }),
    );
    expect(error).toBeInstanceOf(NoNodeError);
    expect(attempts).toBe(1);
  });
});
