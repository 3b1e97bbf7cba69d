// zookit's LeaderSelector beside Curator 5.4's (Debian's jars, through spec/peers/curator.ts and
// LocksDriver.java) in one election on a real server: exactly one leader at a time across both,
// leadership passing both ways when the leader gives it up or closes, and each side reading the
// other's participant ids.
//
// Sequential jest project only (jest.config.js): a JVM per run.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../../client/support.js';
import { CuratorPeer } from '../../peers/curator.js';

let server: TestingServer;
const pool = new ClientPool();
let curator: CuratorPeer;
let zk: ZooKeeperClient;

beforeAll(async () => {
  server = await startTestingServer();
  [curator, zk] = await Promise.all([
    CuratorPeer.start('LocksDriver', server.connectString),
    pool.open({ hosts: server.connectString }),
  ]);
}, 60_000);
afterAll(async () => {
  await curator?.stop();
  await pool.stopAll();
  await server?.close();
});

/** Whether Curator's selector `name` leads, from its own hasLeadership(). */
const curatorLeads = (name: string): Promise<boolean> => curator.request('hasLeadership', { name });

it('Curator and zookit LeaderSelectors share one election: one leader at a time, leadership passing both ways, ids read across', async () => {
  const path = `/${uniqueName('interop-selector')}`;
  await curator.request('selector', { name: 'java', path, participantId: 'curator-1' });
  await curator.waitFor((e) => e.event === 'leader' && e.name === 'java', 'Curator to lead');

  let ours = 0;
  let release: (() => void) | undefined;
  const selector = zk.LeaderSelector(path, {
    id: 'zookit-1',
    autoRequeue: true,
    takeLeadership: (signal) =>
      new Promise<void>((resolve) => {
        ours += 1;
        release = resolve;
        signal.addEventListener('abort', () => resolve());
      }),
  });
  try {
    selector.start();
    await waitUntil(async () => (await selector.getParticipants()).length === 2, 'zookit to queue');
    expect(await selector.getParticipants()).toEqual([
      { id: 'curator-1', isLeader: true },
      { id: 'zookit-1', isLeader: false },
    ]);
    expect(await curator.request('participantIds', { name: 'java' })).toEqual(['curator-1', 'zookit-1']);
    await sleep(300);
    expect(selector.hasLeadership).toBe(false);

    // Curator gives leadership up (its takeLeadership returns): zookit leads; Curator has no autoRequeue.
    const since = curator.events.length;
    expect(await curator.request('relinquish', { name: 'java' })).toBe(true);
    await curator.waitFor((e) => e.event === 'notLeader' && e.name === 'java', 'Curator to stop leading', {
      since,
    });
    await waitUntil(() => selector.hasLeadership, 'zookit to lead');
    expect(await curator.request('leaderId', { name: 'java' })).toBe('zookit-1');
    expect(await curatorLeads('java')).toBe(false);

    // A second Curator participant queues; zookit gives up (and requeues behind it): Curator leads.
    await curator.request('selector', { name: 'java2', path, participantId: 'curator-2' });
    await waitUntil(async () => (await selector.getParticipants()).length === 2, 'Curator to queue');
    release!();
    await curator.waitFor((e) => e.event === 'leader' && e.name === 'java2', 'Curator to lead again');
    expect(selector.hasLeadership).toBe(false);
    await waitUntil(async () => (await selector.getParticipants()).length === 2, 'zookit to queue again');
    expect((await selector.getLeader()).id).toBe('curator-2');

    // Curator closes its selector while leading: zookit leads again.
    await curator.request('closeSelector', { name: 'java2' });
    await waitUntil(() => selector.hasLeadership, 'zookit to lead again');
    expect(ours).toBe(2);
    expect(await selector.getParticipants()).toEqual([{ id: 'zookit-1', isLeader: true }]);
  } finally {
    await selector.close();
  }
}, 60_000);
