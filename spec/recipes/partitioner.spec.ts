// SetPartitioner against a real server: kazoo's own partitioner tests (kazoo/tests/
// test_partitioner.py), one each, kazoo's layout read back from the znodes, kazoo's default
// partition function checked against kazoo's own code run by /usr/bin/python3, and the faults:
// an item lock held elsewhere (kazoo #392), a connection cut, a member's session expiring.

import { execFileSync } from 'node:child_process';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { compareCodePoints, defaultPartitionFunc, type PartitionItem } from '../../recipes/partition-func.js';
import { PartitionState, type SetPartitioner } from '../../recipes/partitioner.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from '../client/fault-support.js';
import { ClientPool, uniqueName, waitUntil } from '../client/support.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];
const partitioners: SetPartitioner[] = [];

beforeAll(async () => {
  server = await startTestingServer();
});

afterEach(async () => {
  await Promise.all(partitioners.splice(0).map((p) => p.finish().catch(() => undefined)));
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await server?.close();
});

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });
const TIMES = { timeBoundary: 200, maxReactionTime: 300 };

/** kazoo's `__create_partitioner`: `set = range(size)`, time_boundary 0.2 s. */
function partitioner(zk: ZooKeeperClient, path: string, size: number, identifier?: string): SetPartitioner {
  const p = zk.SetPartitioner(
    path,
    Array.from({ length: size }, (_, i) => i),
    { identifier, ...TIMES },
  );
  partitioners.push(p);
  return p;
}

const acquiredAll = async (ps: readonly SetPartitioner[]): Promise<void> => {
  for (const p of ps) expect(await p.waitForAcquire({ timeout: 14_000 })).toBe(true);
};
/** Plays the caller's part (releaseSet in RELEASE) until every partitioner is ACQUIRED. */
const settle = (ps: readonly SetPartitioner[]): Promise<void> =>
  waitUntil(
    async () => {
      for (const p of ps) if (p.release) await p.releaseSet();
      return ps.every((p) => p.acquired);
    },
    'every partitioner ACQUIRED',
    { timeoutMs: 14_000, intervalMs: 20 },
  );
const inState = (ps: readonly SetPartitioner[], state: PartitionState): Promise<void> =>
  waitUntil(() => ps.every((p) => p.state === state), `every partitioner in ${state}`, { intervalMs: 20 });

describe("the default partition function is kazoo's", () => {
  it('gives every member the same items as kazoo _partitioner run by python3, for strings (non-BMP included) and integers', () => {
    let seed = 0x2545f491;
    const random = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    // Code points that order differently by UTF-16 code unit and by code point, and plain ones.
    const alphabet = [
      'a',
      'B',
      '-',
      '0',
      'é',
      '\u{E000}',
      '\u{FFFD}',
      '\u{FF5E}',
      '\u{10000}',
      '\u{1F600}',
      '\u{2F800}',
    ];
    const word = (): string =>
      Array.from({ length: 1 + random(4) }, () => alphabet[random(alphabet.length)]).join('');
    const cases: Array<{ members: string[]; set: PartitionItem[] }> = [];
    for (let c = 0; c < 150; c++) {
      const members = [...new Set(Array.from({ length: 1 + random(5) }, word))];
      const set: PartitionItem[] =
        c % 3 === 0
          ? [...new Set(Array.from({ length: random(25) }, () => random(1000) - 100))]
          : [...new Set(Array.from({ length: random(25) }, word))];
      cases.push({ members, set });
    }
    const script = [
      'import json, sys',
      'from kazoo.recipe.partitioner import SetPartitioner',
      'out = []',
      'for case in json.load(sys.stdin):',
      '    out.append({m: SetPartitioner._partitioner(None, m, case["members"], case["set"]) for m in case["members"]})',
      'json.dump(out, sys.stdout)',
    ].join('\n');
    const kazoo = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' }),
    ) as Array<Record<string, PartitionItem[]>>;
    cases.forEach(({ members, set }, c) => {
      for (const member of members)
        expect([c, member, defaultPartitionFunc(member, members, set)]).toEqual([
          c,
          member,
          kazoo[c]![member],
        ]);
    });
  });

  it('orders strings by code point, as Python does, where UTF-16 code units disagree', () => {
    expect(['\u{10000}', '\u{FFFD}'].sort()).toEqual(['\u{10000}', '\u{FFFD}']); // JS: 0xD800 < 0xFFFD
    expect(['\u{10000}', '\u{FFFD}'].sort(compareCodePoints)).toEqual(['\u{FFFD}', '\u{10000}']);
    expect(defaultPartitionFunc('\u{FFFD}', ['\u{10000}', '\u{FFFD}'], ['x', 'y'])).toEqual(['x']);
  });
});

describe('SetPartitioner (kazoo test_partitioner.py)', () => {
  it("party of one: ACQUIRED with every item; kazoo's layout: party/<32 hex>-<identifier> (ephemeral, data = identifier), locks/<item>/<32 hex>__lock__<10 digits>", async () => {
    const zk = await open();
    const path = `/${uniqueName('part-one')}`;
    const p = partitioner(zk, path, 3, 'wörker-1');
    await acquiredAll([p]);
    expect(p.state).toBe(PartitionState.ACQUIRED);
    expect(p.partitions).toEqual([0, 1, 2]);
    expect((await zk.getChildren(path)).sort()).toEqual(['locks', 'party']);
    const [member] = await zk.getChildren(`${path}/party`);
    expect(member).toMatch(/^[0-9a-f]{32}-wörker-1$/);
    expect(p.member).toBe(`${path}/party/${member}`);
    const [data, stat] = await zk.get(`${path}/party/${member}`);
    expect(data!.toString('utf8')).toBe('wörker-1');
    expect(stat.ephemeralOwner).toBe(zk.clientId!.sessionId);
    expect((await zk.getChildren(`${path}/locks`)).sort()).toEqual(['0', '1', '2']);
    for (const item of ['0', '1', '2']) {
      const [node] = await zk.getChildren(`${path}/locks/${item}`);
      expect(node).toMatch(/^[0-9a-f]{32}__lock__\d{10}$/);
      const [lockData, lockStat] = await zk.get(`${path}/locks/${item}/${node}`);
      expect(lockData!.length).toBe(0); // kazoo's Lock(path) without an identifier
      expect(lockStat.ephemeralOwner).toBe(zk.clientId!.sessionId);
    }
    await p.finish();
    expect(p.state).toBe(PartitionState.FAILURE);
    expect(await zk.getChildren(`${path}/party`)).toEqual([]);
    for (const item of ['0', '1', '2']) expect(await zk.getChildren(`${path}/locks/${item}`)).toEqual([]);
  });

  it('party of two: [0] and [1]; when one finishes, the other moves to RELEASE', async () => {
    const path = `/${uniqueName('part-two')}`;
    const ps = [partitioner(await open(), path, 2, '0'), partitioner(await open(), path, 2, '1')];
    await acquiredAll(ps);
    expect(ps.map((p) => p.partitions)).toEqual([[0], [1]]);
    await ps[0]!.finish();
    await inState([ps[1]!], PartitionState.RELEASE);
    expect(ps[1]!.partitions).toEqual([1]); // still the items to stop using
  });

  it('party expansion: a third member moves the others to RELEASE; once released, [0] [1] [2]', async () => {
    const path = `/${uniqueName('part-expand')}`;
    const ps = [partitioner(await open(), path, 3, '0'), partitioner(await open(), path, 3, '1')];
    await acquiredAll(ps);
    expect(ps.map((p) => p.partitions)).toEqual([[0, 2], [1]]);
    ps.push(partitioner(await open(), path, 3, '2'));
    await inState(ps.slice(0, 2), PartitionState.RELEASE);
    for (const p of ps.slice(0, 2)) await p.releaseSet();
    await acquiredAll(ps);
    expect(ps.map((p) => p.partitions)).toEqual([[0], [1], [2]]);
  });

  it('more members than items: [0] and []', async () => {
    const path = `/${uniqueName('part-more')}`;
    const ps = [partitioner(await open(), path, 1, '0'), partitioner(await open(), path, 1, '1')];
    await acquiredAll(ps);
    expect(ps.map((p) => p.partitions)).toEqual([[0], []]);
  });

  it('party session failure: after FAILURE, releaseSet leaves it in FAILURE', async () => {
    const p = partitioner(await open(), `/${uniqueName('part-fail')}`, 3);
    await acquiredAll([p]);
    await p.finish();
    await p.releaseSet();
    expect(p.failed).toBe(true);
    expect(await p.waitForAcquire({ timeout: 100 })).toBe(false);
  });

  it('connection loss: every member moves to RELEASE, settles again with the same items once released, and still reacts to a new member', async () => {
    const path = `/${uniqueName('part-conn')}`;
    const [zk0, proxy0] = await openBehindProxy(pool, server, proxies);
    const [zk1, proxy1] = await openBehindProxy(pool, server, proxies);
    const ps = [partitioner(zk0, path, 3, '0'), partitioner(zk1, path, 3, '1')];
    await acquiredAll(ps);
    expect(ps.map((p) => p.partitions)).toEqual([[0, 2], [1]]);
    proxy0.cut();
    proxy1.cut();
    await inState(ps, PartitionState.RELEASE);
    await waitUntil(() => zk0.isConnected && zk1.isConnected, 'both reconnected');
    for (const p of ps) await p.releaseSet();
    await acquiredAll(ps);
    expect(ps.map((p) => p.partitions)).toEqual([[0, 2], [1]]);
    ps.push(partitioner(await open(), path, 3, '2'));
    await inState(ps.slice(0, 2), PartitionState.RELEASE);
    for (const p of ps.slice(0, 2)) await p.releaseSet();
    await acquiredAll(ps);
    expect(ps.map((p) => p.partitions)).toEqual([[0], [1], [2]]);
  });

  it('race: a member joining while the first takes its locks; both settle with [0] and [1], no deadlock', async () => {
    const path = `/${uniqueName('part-race')}`;
    const first = partitioner(await open(), path, 2, '0');
    await waitUntil(async () => (await (await open()).exists(`${path}/locks/0`)) !== null, 'the first lock', {
      intervalMs: 10,
    });
    const second = partitioner(await open(), path, 2, '1');
    await settle([first, second]);
    expect([first.partitions, second.partitions]).toEqual([[0], [1]]);
  });
});

describe('SetPartitioner: states as events, as an async iterator, waits', () => {
  it('emits each state as an event and yields it to for await, ending after FAILURE', async () => {
    const zk = await open();
    const p = partitioner(zk, `/${uniqueName('part-iter')}`, 2, 'solo');
    const events: string[] = [];
    p.on('state', (state) => events.push(state));
    p.on('ACQUIRED', (items) => events.push(`items ${items.join(',')}`));
    const seen: PartitionState[] = [];
    for await (const state of p) {
      seen.push(state);
      if (state === PartitionState.ACQUIRED) await p.finish();
    }
    expect(seen).toEqual(['ALLOCATING', 'ACQUIRED', 'FAILURE']);
    expect(events).toEqual(['ACQUIRED', 'items 0,1', 'FAILURE']);
  });

  it('waitForAcquire resolves false after its timeout and rejects with the reason when its signal aborts', async () => {
    const p = partitioner(await open(), `/${uniqueName('part-wait')}`, 1);
    const started = Date.now();
    expect(await p.waitForAcquire({ timeout: 50 })).toBe(false);
    expect(Date.now() - started).toBeLessThan(180);
    const controller = new AbortController();
    const waiting = p.waitForAcquire({ signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(await p.waitForAcquire({ timeout: 5000 })).toBe(true);
  });

  it('await using finishes it: locks released, party left', async () => {
    const zk = await open();
    const path = `/${uniqueName('part-dispose')}`;
    {
      await using p = zk.SetPartitioner(path, ['a', 'b'], TIMES);
      await p.waitForAcquire({ timeout: 5000 });
      expect(p.partitions).toEqual(['a', 'b']);
    }
    expect(await zk.getChildren(`${path}/party`)).toEqual([]);
    expect(await zk.getChildren(`${path}/locks/a`)).toEqual([]);
  });
});

describe('SetPartitioner faults', () => {
  it('kazoo #392: with an item lock held elsewhere it does not stay in ALLOCATING; it gives up the round holding nothing, then acquires once the lock is freed', async () => {
    const zk = await open();
    const outsider = await open();
    const path = `/${uniqueName('part-392')}`;
    const squatter = outsider.Lock(`${path}/locks/b`, 'not a member');
    expect(await squatter.acquire()).toBe(true);
    const p = zk.SetPartitioner(path, ['a', 'b', 'c'], TIMES);
    partitioners.push(p);
    const reasons: string[] = [];
    p.on('RELEASE', (reason) => reasons.push(reason));
    // kazoo retries the lock of 'b' forever in ALLOCATING, holding 'a'.
    await inState([p], PartitionState.RELEASE);
    expect(reasons).toEqual(['blocked']);
    expect(p.blocked).toEqual(['b']);
    expect(p.partitions).toEqual([]);
    await waitUntil(async () => (await zk.getChildren(`${path}/locks/a`)).length === 0, "'a' let go");
    expect(await zk.getChildren(`${path}/locks/b`)).toHaveLength(1); // only the squatter
    await squatter.release();
    expect(await p.waitForAcquire({ timeout: 5000 })).toBe(true);
    expect(p.partitions).toEqual(['a', 'b', 'c']);
  });

  it("a member's session expires: it ends in FAILURE, the other re-partitions RELEASE → ALLOCATING → ACQUIRED with every item", async () => {
    const path = `/${uniqueName('part-expiry')}`;
    const [zk0, proxy0] = await openBehindProxy(pool, server, proxies);
    const ps = [partitioner(zk0, path, 4, '0'), partitioner(await open(), path, 4, '1')];
    await acquiredAll(ps);
    expect(ps.map((p) => p.partitions)).toEqual([
      [0, 2],
      [1, 3],
    ]);
    const survivor: PartitionState[] = [];
    ps[1]!.on('state', (state) => survivor.push(state));
    const failures: unknown[] = [];
    ps[0]!.on('FAILURE', (reason) => failures.push(reason));
    await expireWhileAway(server, zk0, proxy0, new StateRecorder(zk0));
    await inState([ps[0]!], PartitionState.FAILURE);
    expect(failures).toHaveLength(1);
    await inState([ps[1]!], PartitionState.RELEASE);
    await ps[1]!.releaseSet();
    await acquiredAll([ps[1]!]);
    expect(survivor).toEqual(['RELEASE', 'ALLOCATING', 'ACQUIRED']);
    expect(ps[1]!.partitions).toEqual([0, 1, 2, 3]);
    expect(await zk0.getChildren(`${path}/party`)).toHaveLength(1);
  });
});
