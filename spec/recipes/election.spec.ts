// Election against a real server: kazoo's behaviours (its test_election and test_bad_func), the
// layout read back from the znodes, and the leader's AbortSignal, which kazoo does not have: it
// aborts when the leader's session expires or its node is deleted, and another contender leads.
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { Election, LeadershipLostError } from '../../recipes/election.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from '../client/fault-support.js';
import { ClientPool, rejectionOf, sleep, uniqueName, waitUntil, withTimeout } from '../client/support.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });

/** A promise with its resolve function, for a leader function the test ends. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Contenders that record who leads: each leader function notes its name while inside, and returns
 * when the test calls `end(name)` (or throws if told to), or when its signal aborts.
 */
class Leaders {
  readonly history: string[] = [];
  readonly inside = new Set<string>();
  /** The most leaders inside at once. */
  most = 0;
  private readonly exits = new Map<string, { resolve: () => void; fail: boolean }>();

  fn = async (name: string, signal: AbortSignal): Promise<string> => {
    this.inside.add(name);
    this.most = Math.max(this.most, this.inside.size);
    this.history.push(name);
    const exit = deferred();
    const entry = { resolve: exit.resolve, fail: false };
    this.exits.set(name, entry);
    signal.addEventListener('abort', () => exit.resolve());
    await exit.promise;
    this.inside.delete(name);
    if (entry.fail) throw new Error(`leader ${name} failed`);
    return `${name} done`;
  };

  /** Whether `name` is inside its leader function, alone. */
  leads(name: string): boolean {
    return this.inside.size === 1 && this.inside.has(name);
  }

  /** Makes leader `name` return (or throw). */
  end(name: string, fail = false): void {
    const exit = this.exits.get(name);
    if (exit === undefined) throw new Error(`${name} never led`);
    exit.fail = fail;
    exit.resolve();
  }
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

describe('Election', () => {
  it('elects one leader at a time, in order; a cancelled contender never leads; leadership passes when the leader returns or throws', async () => {
    const zk = await open();
    const path = `/${uniqueName('election')}`;
    const leaders = new Leaders();
    const names = ['c0', 'c1', 'c2'];
    const elections = new Map(names.map((name) => [name, zk.Election(path, name)]));
    const runs = new Map<string, Promise<unknown>>();
    for (const name of names) {
      runs.set(name, elections.get(name)!.run(leaders.fn, name));
      // Enter in order, so the queue is c0, c1, c2.
      await waitUntil(
        async () => (await zk.Election(path).contenders()).length === runs.size,
        `${name} queued`,
      );
    }
    await waitUntil(() => leaders.leads('c0'), 'the first leader');
    expect(await zk.Election(path).contenders()).toEqual(names);

    // The second is cancelled while waiting: its run resolves undefined and it never leads.
    elections.get('c1')!.cancel();
    expect(await withTimeout(runs.get('c1')!, 10_000, "c1's run")).toBeUndefined();
    leaders.end('c0');
    expect(await runs.get('c0')).toBe('c0 done');
    await waitUntil(() => leaders.leads('c2'), 'c2 leading');

    // The first re-enters; the leader throws; run rejects with its error and c0 leads again.
    runs.set('c0', elections.get('c0')!.run(leaders.fn, 'c0'));
    await waitUntil(async () => (await zk.Election(path).contenders()).length === 2, 'c0 queued again');
    expect(await zk.Election(path).contenders()).toEqual(['c2', 'c0']);
    leaders.end('c2', true);
    expect(((await rejectionOf(() => runs.get('c2')!)) as Error).message).toBe('leader c2 failed');
    await waitUntil(() => leaders.leads('c0'), 'c0 leading again');
    leaders.end('c0');
    await runs.get('c0');

    expect(leaders.history).toEqual(['c0', 'c2', 'c0']);
    expect(leaders.most).toBe(1);
    expect(await zk.Election(path).contenders()).toEqual([]);
  });

  it("queues in kazoo's layout: <uuid>__lock__<seq> nodes holding the identifiers", async () => {
    const zk = await open();
    const path = `/${uniqueName('election-layout')}`;
    const inside = deferred();
    const release = deferred();
    const run = zk.Election(path, 'leader-ü').run(async () => {
      inside.resolve();
      await release.promise;
    });
    await inside.promise;
    const children = await zk.getChildren(path);
    expect(children).toHaveLength(1);
    expect(children[0]).toMatch(/^[0-9a-f]{32}__lock__\d{10}$/);
    expect((await zk.get(`${path}/${children[0]}`))[0]?.toString('utf8')).toBe('leader-ü');
    release.resolve();
    await run;
    expect(await zk.getChildren(path)).toEqual([]);
  });

  it('passes the arguments and then the signal, and resolves with what the function returns', async () => {
    const zk = await open();
    const election = new Election(zk, `/${uniqueName('election-args')}`);
    const seen: unknown[] = [];
    const result = await election.run(
      (a: number, b: string, signal: AbortSignal) => {
        seen.push(a, b, signal instanceof AbortSignal, signal.aborted);
        return a * 2;
      },
      21,
      'x',
    );
    expect(result).toBe(42);
    expect(seen).toEqual([21, 'x', true, false]);
  });

  it('refuses a leader function that is not a function (kazoo: ValueError)', async () => {
    const zk = await open();
    const election = zk.Election(`/${uniqueName('election-bad')}`);
    const error = await rejectionOf(() => election.run('not a callable' as never));
    expect(error).toBeInstanceOf(InvalidArgumentError);
  });

  it("aborts the leader's signal when its session expires, and another contender takes over", async () => {
    const [leaderZk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 4000 });
    const recorder = new StateRecorder(leaderZk);
    const otherZk = await open();
    const path = `/${uniqueName('election-expire')}`;
    const leaders = new Leaders();
    let reason: unknown;
    const firstRun = leaderZk.Election(path, 'first').run(async (signal: AbortSignal) => {
      await leaders.fn('first', signal);
      reason = signal.reason;
      return 'stepped down';
    });
    await waitUntil(() => leaders.leads('first'), 'the first leader');
    const secondRun = otherZk.Election(path, 'second').run(leaders.fn, 'second');
    await waitUntil(
      async () => (await otherZk.Election(path).contenders()).length === 2,
      'the second queued',
    );

    await expireWhileAway(server, leaderZk, proxy, recorder);
    expect(await withTimeout(firstRun, 10_000, "the first leader's run")).toBe('stepped down');
    expect(reason).toBeInstanceOf(LeadershipLostError);
    expect(reason).toMatchObject({ code: 'ERR_ZOOKIT_LEADERSHIP_LOST', reason: 'session lost', path });
    // The server made the second leader when it expired the first's session; the first learned
    // it only when it got through again (which is why a leader fences its writes with lock.node).
    await waitUntil(() => leaders.leads('second'), 'the second leading');
    leaders.end('second');
    await secondRun;
  });

  it("aborts the leader's signal when someone deletes its node, and the next contender leads", async () => {
    const zk = await open();
    const admin = await open();
    const path = `/${uniqueName('election-deleted')}`;
    const leaders = new Leaders();
    let reason: unknown;
    const firstRun = zk.Election(path, 'first').run(async (signal: AbortSignal) => {
      await leaders.fn('first', signal);
      reason = signal.reason;
    });
    await waitUntil(() => leaders.leads('first'), 'the first leader');
    const secondRun = admin.Election(path, 'second').run(leaders.fn, 'second');
    await waitUntil(async () => (await admin.getChildren(path)).length === 2, 'the second queued');
    // A data change does not end leadership; the deletion does.
    const [leaderNode] = (await admin.getChildren(path)).sort((a, b) =>
      a.slice(-10).localeCompare(b.slice(-10)),
    );
    await admin.set(`${path}/${leaderNode}`, 'touched');
    await sleep(200);
    expect(leaders.leads('first')).toBe(true);

    await admin.delete(`${path}/${leaderNode}`);
    await withTimeout(firstRun, 10_000, "the first leader's run");
    expect(reason).toMatchObject({ reason: 'node deleted' });
    await waitUntil(() => leaders.leads('second'), 'the second leading');
    leaders.end('second');
    await secondRun;
  });

  it('does not abort a signal after the term: the release of its own node is no loss', async () => {
    const zk = await open();
    let kept: AbortSignal | undefined;
    await zk.Election(`/${uniqueName('election-term')}`).run((signal: AbortSignal) => {
      kept = signal;
    });
    await sleep(200);
    expect(kept?.aborted).toBe(false);
  });
});
