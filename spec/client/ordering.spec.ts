// ZooKeeper's ordering guarantee as user code sees it: a watch event reaches its callback before
// the reply of the write that caused it settles, and replies settle in the order requests were
// issued, even when thousands are in flight.

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { NoNodeError } from '../../lib/errors.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { EventType } from '../../protocol/constants.js';
import type { Stat } from '../../protocol/records.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, uniqueName } from './support.js';

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
  base = `/${uniqueName('ordering')}`;
  await zk.create(base);
});
afterEach(() => pool.stopAll());

describe('a watch event and the reply of the write that caused it', () => {
  it('runs a data watch before the set() that triggered it resolves', async () => {
    await zk.create(`${base}/a`, 'v0');
    const seen: WatchedEvent[] = [];
    await zk.get(`${base}/a`, (e) => seen.push(e));
    const set = zk.set(`${base}/a`, 'v1');
    expect(seen).toEqual([]);
    await set;
    expect(seen.map((e) => e.type)).toEqual([EventType.NodeDataChanged]);
  });

  it('runs exists, child and data watches before the create() and delete() that triggered them resolve', async () => {
    const created: WatchedEvent[] = [];
    const children: WatchedEvent[] = [];
    const deleted: WatchedEvent[] = [];
    expect(await zk.exists(`${base}/n`, (e) => created.push(e))).toBeNull();
    await zk.getChildren(base, (e) => children.push(e));
    await zk.create(`${base}/n`, 'x');
    expect(created.map((e) => e.type)).toEqual([EventType.NodeCreated]);
    expect(children.map((e) => e.type)).toEqual([EventType.NodeChildrenChanged]);
    await zk.get(`${base}/n`, (e) => deleted.push(e));
    await zk.delete(`${base}/n`);
    expect(deleted.map((e) => e.type)).toEqual([EventType.NodeDeleted]);
  });

  it('runs the watch before a transaction that triggered it resolves', async () => {
    await zk.create(`${base}/a`, 'v0');
    const seen: WatchedEvent[] = [];
    await zk.get(`${base}/a`, (e) => seen.push(e));
    await zk.transaction().setData(`${base}/a`, 'v1').commit();
    expect(seen.map((e) => e.type)).toEqual([EventType.NodeDataChanged]);
  });
});

describe('10,000 pipelined requests', () => {
  /** One issued request and what its outcome must be, given every request issued before it. */
  type Expectation = (outcome: { value?: unknown; error?: unknown }) => string | undefined;

  it('all settle, in the order they were issued, each with the reply the program order implies', async () => {
    const nodes = ['n0', 'n1', 'n2', 'n3'].map((n) => `${base}/${n}`);
    for (const node of nodes) await zk.create(node, 'initial');

    // A model of the tree as the requests, applied in issue order, leave it.
    const value = new Map(nodes.map((n) => [n, 'initial']));
    const version = new Map(nodes.map((n) => [n, 0]));
    const temporary: string[] = [];

    const total = 10_000;
    const promises: Array<Promise<unknown>> = [];
    const expectations: Expectation[] = [];
    const labels: string[] = [];
    for (let i = 0; i < total; i++) {
      const node = nodes[i % nodes.length]!;
      switch (i % 6) {
        case 0: {
          const v = `value-${i}`;
          const expected = version.get(node)! + 1;
          value.set(node, v);
          version.set(node, expected);
          labels.push(`set ${node}`);
          promises.push(zk.set(node, v));
          expectations.push(({ value: stat }) =>
            (stat as Stat)?.version === expected
              ? undefined
              : `version ${(stat as Stat)?.version}, not ${expected}`,
          );
          break;
        }
        case 1:
        case 4: {
          const expected = value.get(node)!;
          labels.push(`get ${node}`);
          promises.push(zk.get(node));
          expectations.push(({ value: reply }) => {
            const data = (reply as [Buffer, Stat])?.[0]?.toString();
            return data === expected ? undefined : `read ${data}, not ${expected}`;
          });
          break;
        }
        case 2: {
          const expected = version.get(node)!;
          labels.push(`exists ${node}`);
          promises.push(zk.exists(node));
          expectations.push(({ value: stat }) =>
            (stat as Stat)?.version === expected
              ? undefined
              : `version ${(stat as Stat)?.version}, not ${expected}`,
          );
          break;
        }
        case 3: {
          const path = `${base}/t${i}`;
          temporary.push(path);
          labels.push(`create ${path}`);
          promises.push(zk.create(path, 'x'));
          expectations.push(({ value: created }) => (created === path ? undefined : `created ${created}`));
          break;
        }
        case 5: {
          const path = temporary.shift()!;
          labels.push(`delete ${path}, then get it`);
          promises.push(zk.delete(path));
          expectations.push(({ error }) => (error === undefined ? undefined : `failed: ${String(error)}`));
          // A read of the node just deleted fails: a rejection must keep its place in the order too.
          promises.push(zk.get(path));
          labels.push(`get deleted ${path}`);
          expectations.push(({ error }) =>
            error instanceof NoNodeError ? undefined : `expected NoNodeError, got ${String(error)}`,
          );
          break;
        }
      }
    }

    const settled: number[] = [];
    const outcomes: Array<{ value?: unknown; error?: unknown }> = [];
    const all = promises.map((p, index) =>
      p.then(
        (v) => {
          settled.push(index);
          outcomes[index] = { value: v };
        },
        (error: unknown) => {
          settled.push(index);
          outcomes[index] = { error };
        },
      ),
    );
    await Promise.all(all);

    expect(settled).toHaveLength(promises.length);
    const firstOutOfOrder = settled.findIndex((index, position) => index !== position);
    expect(
      firstOutOfOrder === -1
        ? 'in order'
        : `settlement #${firstOutOfOrder} was request #${settled[firstOutOfOrder]} (${labels[settled[firstOutOfOrder]!]}), ` +
            `expected #${firstOutOfOrder} (${labels[firstOutOfOrder]})`,
    ).toBe('in order');

    const wrong = outcomes
      .map((outcome, index) => {
        const problem = expectations[index]!(outcome);
        return problem === undefined ? undefined : `#${index} ${labels[index]}: ${problem}`;
      })
      .filter((p) => p !== undefined);
    expect(wrong.slice(0, 10)).toEqual([]);

    // The tree ends as the model says.
    for (const node of nodes) {
      const [data, stat] = await zk.get(node);
      expect(data?.toString()).toBe(value.get(node));
      expect(stat.version).toBe(version.get(node));
    }
    expect((await zk.getChildren(base)).length).toBe(nodes.length + temporary.length);
  });

  it('transactions and multiReads keep their place in the order among plain requests', async () => {
    await zk.create(`${base}/a`, '0');
    const promises: Array<Promise<unknown>> = [];
    for (let i = 1; i <= 300; i++) {
      promises.push(zk.transaction().setData(`${base}/a`, String(i)).commit());
      promises.push(zk.get(`${base}/a`));
      promises.push(zk.multiRead([{ op: 'get', path: `${base}/a` }]));
      promises.push(zk.exists(`${base}/a`));
    }
    const settled: number[] = [];
    const values = await Promise.all(
      promises.map((p, index) =>
        p.then((v) => {
          settled.push(index);
          return v;
        }),
      ),
    );
    const firstOutOfOrder = settled.findIndex((index, position) => index !== position);
    expect(firstOutOfOrder).toBe(-1);
    for (let i = 0; i < 300; i++) {
      const [txn, got, multi, stat] = values.slice(4 * i, 4 * i + 4) as [
        [Stat],
        [Buffer, Stat],
        Array<[Buffer, Stat]>,
        Stat,
      ];
      expect(txn[0].version).toBe(i + 1);
      expect(got[0].toString()).toBe(String(i + 1));
      expect(multi[0]![0].toString()).toBe(String(i + 1));
      expect(stat.version).toBe(i + 1);
    }
  });
});
