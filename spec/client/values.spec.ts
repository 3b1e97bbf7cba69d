// What a user logs, against a real server: results (Stat, [data, stat], [acl, stat], a
// transaction's results) go through JSON.stringify, and watch events — from a callback and from a
// stream — print and serialise with names instead of `type 3`. docs/values.md

import { inspect } from 'node:util';
import { ZooKeeperClient } from '../../lib/client/client.js';
import {
  BadVersionError,
  NoNodeError,
  RolledBackError,
  RuntimeInconsistencyError,
  TransactionFailedError,
} from '../../lib/errors.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, uniqueName, waitUntil } from './support.js';

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
beforeEach(async () => {
  zk = await pool.open({ hosts: server.connectString });
  base = `/${uniqueName('values')}`;
  await zk.create(base, 'v0');
});
afterEach(() => pool.stopAll());

/** JSON.stringify then parse: what a structured logger ends up with. */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('results in JSON', () => {
  it('a Stat, [data, stat] and [acl, stat] serialise, 64-bit fields as decimal strings', async () => {
    const stat = await zk.set(base, 'v1');
    const [data, stat2] = await zk.get(base);
    const [acl, stat3] = await zk.getAcls(base);
    type Json = { stat: Record<string, unknown>; got: unknown[]; acls: unknown[] };
    const json = viaJson({ stat, got: [data, stat2], acls: [acl, stat3] }) as Json;
    expect(json.stat).toEqual(expect.objectContaining({ version: 1, mzxid: stat.mzxid.toString() }));
    expect(BigInt(json.stat['czxid'] as string)).toBe(stat.czxid);
    expect(json.stat['ephemeralOwner']).toBe('0');
    expect(json.got[0]).toEqual({ type: 'Buffer', data: [...Buffer.from('v1')] });
    expect(json.acls).toEqual([[{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], json.got[1]]);
  });

  it("a transaction's results serialise, an error with its name, code and message", async () => {
    const ok = await zk.transaction().create(`${base}/a`).setData(base, 'x').check(base, 1).commit();
    expect(viaJson(ok)).toEqual([`${base}/a`, expect.objectContaining({ version: 1 }), true]);
    const failed = await zk.transaction().create(`${base}/b`).check(base, 99).commit();
    expect(viaJson(failed)).toEqual([
      expect.objectContaining({ name: 'RolledBackError', message: expect.stringMatching(/not applied/) }),
      expect.objectContaining({ name: 'BadVersionError', code: -103, codeName: 'BADVERSION', path: base }),
    ]);
  });
});

describe('watch events', () => {
  it('from a callback print and serialise with the names of their type and state', async () => {
    const events: WatchedEvent[] = [];
    await zk.get(base, (event) => void events.push(event));
    await zk.set(base, 'changed');
    await waitUntil(() => events.length === 1, 'the data watch to fire');
    expect(inspect(events[0])).toBe(
      `WatchedEvent { type: 'NodeDataChanged' (3), state: 'SyncConnected' (3), path: '${base}' }`,
    );
    expect(viaJson(events[0])).toEqual({ type: 'NodeDataChanged', state: 'SyncConnected', path: base });
  });

  it('from a stream print the same way', async () => {
    const stream = zk.watch(base);
    try {
      await stream.ready;
      await zk.delete(base);
      const { value } = await stream.next();
      expect(inspect(value)).toBe(
        `WatchedEvent { type: 'NodeDeleted' (2), state: 'SyncConnected' (3), path: '${base}' }`,
      );
      expect(viaJson(value)).toEqual({ type: 'NodeDeleted', state: 'SyncConnected', path: base });
    } finally {
      await stream.close();
    }
  });
});

describe('a failed transaction', () => {
  it('explains every op it did not apply by the op that failed: its index, op, path and error', async () => {
    const results = await zk
      .transaction()
      .create(`${base}/a`)
      .check(base, 99)
      .setData(base, 'x')
      .delete(base)
      .commit();
    const [before, failed, after1, after2] = results as [
      RolledBackError,
      BadVersionError,
      ...RuntimeInconsistencyError[],
    ];
    expect(failed).toBeInstanceOf(BadVersionError);
    expect(failed.path).toBe(base);
    const failedOp = { index: 1, op: 'check', path: base, error: failed };
    const why = `not applied: ops[1] (check ${base}) failed with BADVERSION (-103), so the transaction was rolled back`;
    expect(before).toBeInstanceOf(RolledBackError);
    expect([before.message, before.failedOp]).toEqual([why, failedOp]);
    for (const [after, path] of [
      [after1, base],
      [after2, base],
    ] as const) {
      expect(after).toBeInstanceOf(RuntimeInconsistencyError);
      expect([after!.message, after!.failedOp, after!.path, after!.code]).toEqual([why, failedOp, path, -2]);
    }
    expect(await zk.exists(`${base}/a`)).toBeNull();
  });

  it('with throwOnFailure rejects with TransactionFailedError naming the failed op and carrying every result', async () => {
    const error = (await zk
      .transaction()
      .create(`${base}/a`)
      .delete(`${base}/missing`)
      .commit({ throwOnFailure: true })
      .catch((e: unknown) => e)) as TransactionFailedError;
    expect(error).toBeInstanceOf(TransactionFailedError);
    expect(error.code).toBe('ERR_ZOOKIT_TRANSACTION_FAILED');
    expect(error.message).toBe(
      `transaction failed, nothing was applied: ops[1] (delete ${base}/missing) failed with NONODE (-101)`,
    );
    expect(error.failedOp).toEqual(
      expect.objectContaining({ index: 1, op: 'delete', path: `${base}/missing` }),
    );
    expect(error.cause).toBeInstanceOf(NoNodeError);
    expect(error.results).toHaveLength(2);
    expect(error.results[0]).toBeInstanceOf(RolledBackError);
    expect(error.results[1]).toBe(error.failedOp.error);
    // A transaction that succeeds resolves as before.
    expect(await zk.transaction().check(base, 0).commit({ throwOnFailure: true })).toEqual([true]);
  });
});

describe('a client in an `await using` block', () => {
  it('is stopped when the block is left', async () => {
    let outside: ZooKeeperClient | undefined;
    {
      await using client = new ZooKeeperClient({ hosts: server.connectString });
      outside = client;
      await client.start({ timeout: 10_000 });
      expect(client.state).toBe('CONNECTED');
    }
    expect(outside.state).toBe('LOST');
    expect(outside.connectionState).toBe('CLOSED');
  });
});
