// zookit's LeaderLatch and Curator 5.4's (through spec/peers/curator/LatchDriver.java) in one
// election on one real server: both list the same participants in the same order, leadership
// passes across languages when the leader closes and when its session is expired on the server,
// and a sampler asks both sides who leads every few ms throughout: never more than one. A zookit
// latch counts in a sample only if it led both before and after Curator answered, so a sample
// never joins two moments. The Curator leader's session is expired while it is cut off, as a
// session expires in life; see docs/curator-leaders.md#expiry-of-a-connected-leader for why.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import type { LeaderLatch } from '../../../recipes/curator/leader-latch.js';
import { expireSession } from '../../../testing/expire-session.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { StateRecorder } from '../../client/fault-support.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../../client/support.js';
import { CuratorPeer } from '../../peers/curator.js';
import { CuttableProxy } from '../support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];
const peers: CuratorPeer[] = [];

/** Bound of the waits, ms (a JVM peer answers in a few ms once warm). */
const WAIT = 20_000;

beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.stop()));
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});
afterAll(async () => {
  await server?.close();
});

async function curator(hosts = server.connectString): Promise<CuratorPeer> {
  const peer = await CuratorPeer.start('LatchDriver', hosts);
  peers.push(peer);
  return peer;
}

/** Who leads at one moment, on both sides: Curator latch names and zookit latch ids. */
class LeaderSampler {
  most = 0;
  samples = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly curators: readonly CuratorPeer[],
    private readonly zookits: readonly LeaderLatch[],
  ) {
    this.done = this.loop();
  }

  /** The leaders now, as `now()` samples them. */
  async now(): Promise<string[]> {
    const before = this.zookits.filter((latch) => latch.hasLeadership);
    const answers = await Promise.all(
      this.curators.map((peer) =>
        peer.request<Record<string, boolean>>('leaders').catch((): Record<string, boolean> => ({})),
      ),
    );
    const after = new Set(this.zookits.filter((latch) => latch.hasLeadership));
    const curatorLeaders = answers.flatMap((answer) => Object.keys(answer).filter((name) => answer[name]));
    return [...curatorLeaders, ...before.filter((latch) => after.has(latch)).map((latch) => latch.id)];
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.most = Math.max(this.most, (await this.now()).length);
      this.samples++;
      await sleep(3);
    }
  }
}

it('shares one election with Curator: one order, one leader at every sample, leadership passing on close and on server-side expiry both ways', async () => {
  const path = `/${uniqueName('latch-interop')}`;
  // The second Curator peer reaches the server through a proxy that can cut it off.
  const curatorProxy = await CuttableProxy.start(server.host, server.port);
  proxies.push(curatorProxy);
  const [curatorA, curatorB] = [await curator(), await curator(curatorProxy.connectString)];
  const z1Client = await pool.open({ hosts: server.connectString, sessionTimeout: 4000 });
  const z1Recorder = new StateRecorder(z1Client);
  const z2Client: ZooKeeperClient = await pool.open({ hosts: server.connectString });
  const children = async (): Promise<number> => (await z2Client.getChildren(path).catch(() => [])).length;

  // Enter in order: c1 (Curator), z1 (zookit), c2 (Curator), z2 (zookit).
  await curatorA.request('start', { name: 'c1', path, latchId: 'c1' });
  expect(await curatorA.request('await', { name: 'c1', timeout: WAIT })).toBe(true);
  const z1 = z1Client.LeaderLatch(path, 'z1');
  await z1.start();
  await curatorB.request('start', { name: 'c2', path, latchId: 'c2' });
  await waitUntil(async () => (await children()) === 3, 'c2 to enter');
  const z2 = z2Client.LeaderLatch(path, 'z2');
  await z2.start();

  const order = [
    ['c1', true],
    ['z1', false],
    ['c2', false],
    ['z2', false],
  ];
  expect(await curatorB.request('participants', { name: 'c2' })).toEqual(order);
  expect((await z2.getParticipants()).map((p) => [p.id, p.isLeader])).toEqual(order);
  expect(await curatorA.request('leader', { name: 'c1' })).toBe('c1');
  expect(await z1.getLeader()).toEqual({ id: 'c1', isLeader: true });

  const sampler = new LeaderSampler([curatorA, curatorB], [z1, z2]);
  try {
    // The Curator leader closes: the zookit latch behind it leads.
    await curatorA.request('close', { name: 'c1' });
    await waitUntil(() => z1.hasLeadership, 'z1 to lead', { timeoutMs: WAIT });

    // The zookit leader's session is expired on the server while it is connected: it learns of
    // it from its own connection, closed by the server, before the Curator latch behind it leads.
    const z1Session = z1Client.clientId!;
    await expireSession(server.connectString, { sessionId: z1Session.sessionId, passwd: z1Session.password });
    await curatorB.waitFor((e) => e.event === 'latch' && e.name === 'c2' && e.leader === true, 'c2 to lead', {
      timeout: WAIT,
    });
    await z1Recorder.waitForState('LOST', WAIT);
    await waitUntil(async () => (await children()) === 3, 'z1 to rejoin', { timeoutMs: WAIT });
    expect(z1.hasLeadership).toBe(false);

    // The Curator leader is cut off (it steps down on SUSPENDED) and its session expired on the
    // server: the zookit latch behind it leads. (Expired while still connected, a Curator 5.4
    // leader learns of it some 100 ms after the server deleted its node, and the next leader
    // overlaps it for that long: docs/curator-leaders.md#expiry-of-a-connected-leader.)
    const session = await curatorB.request<{ sessionId: string; password: string }>('session');
    const since = curatorB.events.length;
    curatorProxy.block();
    await curatorB.waitFor(
      (e) => e.event === 'latch' && e.name === 'c2' && e.leader === false,
      'c2 to step down',
      {
        timeout: WAIT,
        since,
      },
    );
    await expireSession(server.connectString, {
      sessionId: BigInt(session.sessionId),
      passwd: Buffer.from(session.password, 'hex'),
    });
    await waitUntil(() => z2.hasLeadership, 'z2 to lead', { timeoutMs: WAIT });
    curatorProxy.unblock();
    await curatorB.waitFor((e) => e.event === 'state' && e.state === 'LOST', 'Curator to see LOST', {
      timeout: WAIT,
      since,
    });
    await waitUntil(async () => (await children()) === 3, 'c2 to rejoin', { timeoutMs: WAIT });
    await sleep(500);
  } finally {
    await sampler.stop();
  }
  expect(sampler.samples).toBeGreaterThan(20);
  expect(sampler.most).toBe(1);
  expect(await sampler.now()).toEqual(['z2']);
  const final = [
    ['z2', true],
    ['z1', false],
    ['c2', false],
  ];
  expect(await curatorB.request('participants', { name: 'c2' })).toEqual(final);
  expect((await z1.getParticipants()).map((p) => [p.id, p.isLeader])).toEqual(final);
  await Promise.all([z1.close(), z2.close()]);
}, 120_000);
