// LeaderSelector against a real server: Curator's own tests (TestLeaderSelector,
// TestLeaderSelectorParticipants), one behaviour each, the layout read back, and connection trouble
// ending leadership as Curator's LeaderSelectorListenerAdapter does under the Standard policy
// (a cut connection, a session expired on the server).

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import type { LeaderSelector } from '../../../recipes/curator/leader-selector.js';
import { LeadershipLostError } from '../../../recipes/election.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { StateRecorder } from '../../client/fault-support.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../../client/support.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy } from '../support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];
const selectors: LeaderSelector[] = [];

beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(async () => {
  await Promise.all(selectors.splice(0).map((selector) => selector.close()));
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});
afterAll(async () => {
  await server?.close();
});

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });
const electionPath = (name: string): string => `/${uniqueName(name)}`;
const PROTECTED = '_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-';

/** A leader function that leads until its signal aborts (or `release()`), recording what happened. */
class Leadership {
  readonly started: string[] = [];
  readonly reasons: unknown[] = [];
  leaders = 0;
  most = 0;
  private releases = new Map<string, () => void>();

  fn(id: string): (signal: AbortSignal) => Promise<void> {
    return (signal) =>
      new Promise<void>((resolve) => {
        this.started.push(id);
        this.leaders += 1;
        this.most = Math.max(this.most, this.leaders);
        const end = (): void => {
          this.leaders -= 1;
          this.releases.delete(id);
          resolve();
        };
        this.releases.set(id, end);
        signal.addEventListener('abort', () => {
          this.reasons.push(signal.reason);
          end();
        });
      });
  }

  /** Ends `id`'s leadership as if its work were done. */
  release(id: string): void {
    this.releases.get(id)?.();
  }
}

function track(selector: LeaderSelector): LeaderSelector {
  selectors.push(selector);
  return selector;
}

describe('LeaderSelector (TestLeaderSelector, TestLeaderSelectorParticipants)', () => {
  it("stands on InterProcessMutex's layout: P/_c_<uuid>-lock-<seq>, data = id; getParticipants and getLeader read the ids", async () => {
    const path = electionPath('selector-layout');
    const leadership = new Leadership();
    const zk = await open();
    const a = track(zk.LeaderSelector(path, { id: 'alpha', takeLeadership: leadership.fn('alpha') }));
    expect(await a.getLeader()).toEqual({ id: '', isLeader: false });
    a.start();
    await waitUntil(() => a.hasLeadership, 'alpha to lead');
    const b = track(
      (await open()).LeaderSelector(path, { id: 'beta', takeLeadership: leadership.fn('beta') }),
    );
    b.start();
    await waitUntil(async () => (await zk.getChildren(path)).length === 2, 'beta to queue');
    const names = await zk.getChildren(path);
    for (const name of names) expect(name).toMatch(new RegExp(`^${PROTECTED}lock-\\d{10}$`));
    expect(
      (await Promise.all(names.map(async (n) => (await zk.get(`${path}/${n}`))[0]!.toString()))).sort(),
    ).toEqual(['alpha', 'beta']);
    expect(await b.getParticipants()).toEqual([
      { id: 'alpha', isLeader: true },
      { id: 'beta', isLeader: false },
    ]);
    expect(await b.getLeader()).toEqual({ id: 'alpha', isLeader: true });
    expect(b.hasLeadership).toBe(false);
  });

  it('testRotatingLeadership: three participants with autoRequeue take turns, never two leaders at once', async () => {
    const path = electionPath('selector-rotate');
    const leadership = new Leadership();
    const ids = ['a', 'b', 'c'];
    const clients = await Promise.all(ids.map(() => open()));
    const all = ids.map((id, i) => {
      const fn = leadership.fn(id);
      return track(
        clients[i]!.LeaderSelector(path, {
          id,
          autoRequeue: true,
          takeLeadership: async (signal) => {
            const leading = fn(signal);
            await sleep(30);
            leadership.release(id);
            await leading;
          },
        }),
      );
    });
    for (const selector of all) selector.start();
    await waitUntil(() => leadership.started.length >= 9, 'nine turns', { timeoutMs: 20_000 });
    expect(leadership.most).toBe(1);
    // Each requeues behind the others: after the first round, the turns rotate.
    for (const id of ids) expect(leadership.started.filter((s) => s === id).length).toBeGreaterThanOrEqual(2);
  });

  it('testAutoRequeue: a participant alone leads again and again', async () => {
    const zk = await open();
    let turns = 0;
    track(
      zk.LeaderSelector(electionPath('selector-requeue'), {
        autoRequeue: true,
        takeLeadership: async () => {
          turns += 1;
          await sleep(10);
        },
      }),
    ).start();
    await waitUntil(() => turns >= 2, 'two turns');
  });

  it("testInterruptLeadership: the leader's signal aborts with LeadershipLostError, and without autoRequeue it stays out", async () => {
    const zk = await open();
    const path = electionPath('selector-interrupt');
    const leadership = new Leadership();
    const selector = track(zk.LeaderSelector(path, { takeLeadership: leadership.fn('x') }));
    selector.interruptLeadership(); // not leading: nothing
    selector.start();
    await waitUntil(() => selector.hasLeadership, 'leadership');
    selector.interruptLeadership();
    expect(selector.hasLeadership).toBe(false);
    await waitUntil(async () => (await zk.getChildren(path).catch(() => [])).length === 0, 'the node to go');
    expect(leadership.reasons).toEqual([expect.any(LeadershipLostError)]);
    expect((leadership.reasons[0] as LeadershipLostError).reason).toBe('interrupted');
    await sleep(200);
    expect(leadership.started).toEqual(['x']);
    expect(selector.requeue()).toBe(true);
    await waitUntil(() => selector.hasLeadership, 'leadership again');
    expect(selector.requeue()).toBe(false); // already leading
  });

  it('closing the leader aborts its signal, deletes its node and lets the next participant lead; closing a waiter removes its node', async () => {
    const zk = await open();
    const path = electionPath('selector-close');
    const leadership = new Leadership();
    const first = zk.LeaderSelector(path, { id: '1', takeLeadership: leadership.fn('1') });
    first.start();
    await waitUntil(() => first.hasLeadership, 'first to lead');
    const second = track(
      (await open()).LeaderSelector(path, { id: '2', takeLeadership: leadership.fn('2') }),
    );
    second.start();
    const third = (await open()).LeaderSelector(path, { id: '3', takeLeadership: leadership.fn('3') });
    third.start();
    await waitUntil(async () => (await zk.getChildren(path)).length === 3, 'three participants');
    await third.close();
    expect((await first.getParticipants()).map((p) => p.id)).toEqual(['1', '2']);
    await first.close();
    expect((leadership.reasons[0] as LeadershipLostError).reason).toBe('closed');
    await waitUntil(() => second.hasLeadership, 'second to lead');
    expect(await second.getParticipants()).toEqual([{ id: '2', isLeader: true }]);
    expect(() => first.requeue()).toThrow(/not started/);
    await first.close(); // again: nothing
    expect(leadership.started).toEqual(['1', '2']);
  });

  it("a leader function that rejects is reported as the client's 'error', and leadership passes on", async () => {
    const zk = await open();
    const errors: unknown[] = [];
    zk.on('error', (error) => errors.push(error));
    const path = electionPath('selector-throws');
    const selector = track(
      zk.LeaderSelector(path, {
        takeLeadership: async () => {
          throw new Error('leader failed');
        },
      }),
    );
    const leadership = new Leadership();
    const next = track((await open()).LeaderSelector(path, { takeLeadership: leadership.fn('next') }));
    selector.start();
    await waitUntil(() => errors.length === 1, 'the error');
    next.start();
    await waitUntil(() => next.hasLeadership, 'the next leader');
    expect(errors).toEqual([new Error('leader failed')]);
  });
});

describe("LeaderSelector and the connection (Curator's Standard policy)", () => {
  it("a cut connection (SUSPENDED) aborts the leader's signal and another participant leads; with autoRequeue the first queues again", async () => {
    const path = electionPath('selector-suspended');
    const leadership = new Leadership();
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const first = track(
      zk.LeaderSelector(path, { id: 'first', autoRequeue: true, takeLeadership: leadership.fn('first') }),
    );
    first.start();
    await waitUntil(() => first.hasLeadership, 'first to lead');
    const observer = await open();
    const second = track(
      observer.LeaderSelector(path, { id: 'second', takeLeadership: leadership.fn('second') }),
    );
    second.start();
    await waitUntil(async () => (await observer.getChildren(path)).length === 2, 'second to queue');
    proxy.block();
    await waitUntil(() => leadership.reasons.length === 1, 'the leader to be cancelled');
    expect((leadership.reasons[0] as LeadershipLostError).reason).toBe('connection suspended');
    expect(first.hasLeadership).toBe(false);
    await sleep(300);
    expect(second.hasLeadership).toBe(false); // the node stays until the first can delete it
    proxy.unblock();
    await waitUntil(() => second.hasLeadership, 'second to lead once the node is deleted', {
      timeoutMs: 15_000,
    });
    expect(leadership.most).toBe(1);
    // The first queued again behind the second.
    await waitUntil(async () => (await second.getParticipants()).length === 2, 'first to queue again');
    leadership.release('second');
    await waitUntil(() => first.hasLeadership, 'first to lead again');
    expect(leadership.started).toEqual(['first', 'second', 'first']);
  });

  it("testKillSessionThenCloseShouldElectNewLeader: the leader's session expires on the server: its signal aborts and the other participant leads", async () => {
    const path = electionPath('selector-expired');
    const leadership = new Leadership();
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const first = track(zk.LeaderSelector(path, { id: 'first', takeLeadership: leadership.fn('first') }));
    first.start();
    await waitUntil(() => first.hasLeadership, 'first to lead');
    const observer = await open();
    const second = track(
      observer.LeaderSelector(path, { id: 'second', takeLeadership: leadership.fn('second') }),
    );
    second.start();
    await waitUntil(async () => (await observer.getChildren(path)).length === 2, 'second to queue');
    await expireWhileAway(server, zk, proxy, new StateRecorder(zk), async () => {
      await waitUntil(() => second.hasLeadership, 'second to lead while first is away', {
        timeoutMs: 15_000,
      });
    });
    expect(leadership.reasons.map((r) => (r as LeadershipLostError).reason)).toEqual([
      'connection suspended',
    ]);
    expect(first.hasLeadership).toBe(false);
    expect(leadership.most).toBe(1);
    // Queues once its cancelled task has ended (its release waited for the new session).
    await waitUntil(() => first.requeue(), 'first to requeue');
    await waitUntil(
      async () => (await second.getParticipants()).length === 2,
      'first to queue in its new session',
    );
    await second.close();
    await waitUntil(() => first.hasLeadership, 'first to lead');
  }, 60_000);
});
