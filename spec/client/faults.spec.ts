// The client against a real 3-member ensemble while members die, freeze or forget its session:
// failover with the same session, the read timeout, server-side and client-side expiry, and what
// requests do while no server can be reached. One ensemble serves every test; each test puts back
// the members it took away (afterEach), so the next one starts from a full quorum.
import { performance } from 'node:perf_hooks';
import { type ClientOptions, ZooKeeperClient } from '../../index.js';
import { ConnectionLossError, RetryFailedError, SessionExpiredError } from '../../lib/errors.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { EventType, KeeperState } from '../../protocol/constants.js';
import { expireSession } from '../../testing/expire-session.js';
import { startTestingCluster, type TestingCluster } from '../../testing/testing-cluster.js';
import { rejectionOf, StateRecorder, stopAll, uniquePath, waitFor } from './fault-support.js';

let cluster: TestingCluster;
const clients: ZooKeeperClient[] = [];

/** A client that afterEach stops. */
function track(client: ZooKeeperClient): ZooKeeperClient {
  clients.push(client);
  return client;
}

/**
 * The connect string with both followers first. With `randomizeHosts: false` the client starts on
 * a follower and, after losing it, tries the next host in the list first. Freezing or killing a
 * follower leaves a working quorum, where losing the leader would stall writes for an election.
 */
async function followersFirst(): Promise<string> {
  const leader = await cluster.leader();
  const followers = cluster.servers.filter((server) => server !== leader);
  return [...followers, leader].map((server) => server.connectString).join(',');
}

/** A client on the first follower that fails over in host-list order. */
async function clientOnAFollower(
  sessionTimeout: number,
  extra: ClientOptions = {},
): Promise<ZooKeeperClient> {
  return track(
    new ZooKeeperClient({ hosts: await followersFirst(), randomizeHosts: false, sessionTimeout, ...extra }),
  );
}

beforeAll(async () => {
  cluster = await startTestingCluster({ size: 3 });
});

afterAll(async () => {
  await cluster?.close();
});

afterEach(async () => {
  // Thaw first: a client still on a frozen member would wait for its closeSession reply.
  await Promise.all(cluster.servers.filter((server) => server.running).map((server) => server.resume()));
  await stopAll(clients.splice(0));
  // Members restarted together form their quorum together; one restarted alone joins the others.
  await Promise.all(cluster.servers.filter((server) => !server.running).map((server) => server.restart()));
  await cluster.waitForQuorum();
});

describe('a client on a 3-member ensemble', () => {
  it('resumes the same session on another member after the one it was on is killed, keeping its ephemerals and re-registering its watches', async () => {
    const base = uniquePath('faults-kill');
    const zk = await clientOnAFollower(6000);
    const recorder = new StateRecorder(zk);
    await zk.start();
    const sessionId = zk.clientId!.sessionId;
    await zk.create(base);
    await zk.create(`${base}/ephemeral`, 'mine', { ephemeral: true });
    await zk.create(`${base}/watched`, 'before');
    const events: WatchedEvent[] = [];
    await zk.get(`${base}/watched`, (event) => events.push(event));

    const victim = cluster.serverFor(zk.connectedTo!);
    const writer = track(new ZooKeeperClient({ hosts: cluster.connectStringWithout(victim.id) }));
    await writer.start();
    recorder.clear();

    // Frozen first, so the change below is certainly made while the client cannot hear of it: the
    // notification can only reach it through SetWatches on the member it moves to.
    await victim.pause();
    await writer.set(`${base}/watched`, 'after');
    expect(events).toEqual([]);
    await victim.kill();

    await recorder.waitForState('CONNECTED', 15_000);
    expect(recorder.stateNames).toEqual(['SUSPENDED', 'CONNECTED']);
    expect(zk.clientId!.sessionId).toBe(sessionId);
    expect(zk.connectedTo).toBeDefined();
    expect(zk.connectedTo).not.toBe(victim.connectString);

    await waitFor(() => events.length > 0, 5000, 'the watch event');
    expect(events).toEqual([
      { type: EventType.NodeDataChanged, state: KeeperState.SyncConnected, path: `${base}/watched` },
    ]);
    const stat = await writer.exists(`${base}/ephemeral`);
    expect(stat?.ephemeralOwner).toBe(sessionId);
    const [data] = await zk.get(`${base}/watched`);
    expect(data?.toString()).toBe('after');
  });

  it('notices a frozen member by its read timeout and moves to another member with the same session', async () => {
    const base = uniquePath('faults-pause');
    const zk = await clientOnAFollower(6000);
    const recorder = new StateRecorder(zk);
    await zk.start();
    const sessionId = zk.clientId!.sessionId;
    const readTimeout = (zk.sessionTimeout * 2) / 3;
    expect(zk.sessionTimeout).toBe(6000);
    await zk.create(base);
    const victim = cluster.serverFor(zk.connectedTo!);
    recorder.clear();

    // A reply just before the freeze pins when the client last heard from the member.
    await zk.exists(base);
    const heardAt = performance.now();
    await victim.pause();
    const frozenAt = performance.now();

    const suspended = await recorder.waitForState('SUSPENDED', readTimeout + 5000);
    // Not before the read timeout (nothing else tells the client the member froze)...
    expect(suspended.at - heardAt).toBeGreaterThanOrEqual(readTimeout - 100);
    // ...and not much after it (pings keep the last-heard time fresh until the freeze).
    expect(suspended.at - frozenAt).toBeLessThanOrEqual(readTimeout + 1000);

    await recorder.waitForState('CONNECTED', 10_000, suspended.at);
    expect(recorder.stateNames).toEqual(['SUSPENDED', 'CONNECTED']);
    expect(zk.clientId!.sessionId).toBe(sessionId);
    expect(zk.connectedTo).not.toBe(victim.connectString);
    expect(await zk.create(`${base}/after`, 'x')).toBe(`${base}/after`);
  });

  it('reports LOST (EXPIRED_SESSION) when the ensemble expires its session, then CONNECTED with a new session, ending its watches and losing its ephemerals', async () => {
    const base = uniquePath('faults-expire');
    const zk = await clientOnAFollower(6000);
    const recorder = new StateRecorder(zk);
    await zk.start();
    const old = zk.clientId!;
    await zk.create(base);
    await zk.create(`${base}/ephemeral`, '', { ephemeral: true });
    await zk.create(`${base}/data`, '');
    const dataEvents: WatchedEvent[] = [];
    const existEvents: WatchedEvent[] = [];
    await zk.get(`${base}/data`, (event) => dataEvents.push(event));
    expect(await zk.exists(`${base}/absent`, (event) => existEvents.push(event))).toBeNull();
    const member = cluster.serverFor(zk.connectedTo!);
    recorder.clear();

    // Expired through another member: the client's own connection ends only when the closeSession
    // is applied on its member, so it cannot resume the session in between.
    await expireSession(cluster.connectStringWithout(member.id), {
      sessionId: old.sessionId,
      passwd: old.password,
    });

    await recorder.waitForState('CONNECTED', 15_000);
    expect(recorder.connectionStateNames).toEqual(['CONNECTING', 'EXPIRED_SESSION', 'CONNECTED']);
    expect(recorder.stateNames).toEqual(['SUSPENDED', 'LOST', 'CONNECTED']);
    expect(zk.clientId!.sessionId).not.toBe(old.sessionId);

    expect(dataEvents).toEqual([{ type: EventType.None, state: KeeperState.Expired, path: `${base}/data` }]);
    expect(existEvents).toEqual([
      { type: EventType.None, state: KeeperState.Expired, path: `${base}/absent` },
    ]);
    // The new session's member may lag behind the closeSession; sync first.
    await zk.sync(base);
    expect(await zk.exists(`${base}/ephemeral`)).toBeNull();
    expect(await zk.exists(`${base}/data`)).not.toBeNull();
  });

  it('fails a request in flight when its session is expired with ConnectionLossError, and one issued before the client learns of the expiry with SessionExpiredError', async () => {
    const base = uniquePath('faults-expire-pending');
    const zk = await clientOnAFollower(6000);
    const recorder = new StateRecorder(zk);
    await zk.start();
    const old = zk.clientId!;
    await zk.create(base, 'data');
    const member = cluster.serverFor(zk.connectedTo!);
    recorder.clear();

    // The member is frozen, so the request below is sent and never answered; meanwhile the rest of
    // the ensemble ends the session.
    await member.pause();
    const inFlight = rejectionOf(zk.get(base));
    await expireSession(cluster.connectStringWithout(member.id), {
      sessionId: old.sessionId,
      passwd: old.password,
    });
    // Issued the moment the client reports SUSPENDED: it waits for the next connection, whose
    // member then reports the session expired.
    let queued: Promise<unknown> | undefined;
    zk.addListener((state) => {
      if (state !== 'SUSPENDED') return false;
      queued = rejectionOf(zk.get(base));
      return true;
    });

    expect(await inFlight).toBeInstanceOf(ConnectionLossError);
    await recorder.waitForState('LOST', 10_000);
    expect(queued).toBeDefined();
    expect(await queued).toBeInstanceOf(SessionExpiredError);

    await recorder.waitForState('CONNECTED', 15_000);
    expect(recorder.stateNames).toEqual(['SUSPENDED', 'LOST', 'CONNECTED']);
    expect(zk.clientId!.sessionId).not.toBe(old.sessionId);
    const [data] = await zk.get(base);
    expect(data?.toString()).toBe('data');
  });

  it('fails requests with ConnectionLossError while every member is down, and resumes its session by itself when they return', async () => {
    const base = uniquePath('faults-all-down');
    // 4/3 of 15 s is far longer than the outage below, so the session must survive it.
    const zk = await clientOnAFollower(15_000, {
      connectionRetry: { maxDelay: 1000 },
      commandRetry: { maxTries: 3, delay: 50, maxDelay: 200 },
    });
    const recorder = new StateRecorder(zk);
    await zk.start();
    const sessionId = zk.clientId!.sessionId;
    await zk.create(base, 'kept');
    await zk.create(`${base}/ephemeral`, '', { ephemeral: true });
    recorder.clear();

    await Promise.all(cluster.servers.map((server) => server.kill()));
    await recorder.waitForState('SUSPENDED', 5000);

    // Queued while no server is reachable, failed when the connect cycle fails: never a hang.
    const issuedAt = performance.now();
    const lost = await rejectionOf(zk.get(base));
    expect(lost).toBeInstanceOf(ConnectionLossError);
    expect(performance.now() - issuedAt).toBeLessThan(5000);

    const retried = await rejectionOf(zk.retry(() => zk.get(base)));
    expect(retried).toBeInstanceOf(RetryFailedError);
    expect((retried as RetryFailedError).attempts).toBe(3);
    expect((retried as RetryFailedError).cause).toBeInstanceOf(ConnectionLossError);
    expect(zk.state).toBe('SUSPENDED');

    await Promise.all(cluster.servers.map((server) => server.restart()));
    await cluster.waitForQuorum();

    await recorder.waitForState('CONNECTED', 20_000);
    expect(recorder.stateNames).toEqual(['SUSPENDED', 'CONNECTED']);
    expect(zk.clientId!.sessionId).toBe(sessionId);
    const [data] = await zk.get(base);
    expect(data?.toString()).toBe('kept');
    expect((await zk.exists(`${base}/ephemeral`))?.ephemeralOwner).toBe(sessionId);
  });

  it('expires its own session (LOST, EXPIRED_SESSION) when no member has been heard for 4/3 of the session timeout', async () => {
    const base = uniquePath('faults-local-expiry');
    const zk = await clientOnAFollower(4000, { connectionRetry: { maxDelay: 500 } });
    const recorder = new StateRecorder(zk);
    await zk.start();
    const sessionId = zk.clientId!.sessionId;
    expect(zk.sessionTimeout).toBe(4000);
    const limit = (zk.sessionTimeout * 4) / 3;
    await zk.create(base);
    const events: WatchedEvent[] = [];
    await zk.get(base, (event) => events.push(event));
    recorder.clear();

    // A reply just before the outage pins when the client last heard from a server.
    await zk.exists(base);
    const heardAt = performance.now();
    await Promise.all(cluster.servers.map((server) => server.kill()));
    const downAt = performance.now();

    const expired = await recorder.waitForConnectionState('EXPIRED_SESSION', limit + 5000);
    expect(cluster.servers.every((server) => !server.running)).toBe(true);
    expect(expired.at - heardAt).toBeGreaterThanOrEqual(limit - 100);
    // Checked at least once per connect cycle; cycles are at most ~700 ms apart here.
    expect(expired.at - downAt).toBeLessThanOrEqual(limit + 1500);
    expect(zk.state).toBe('LOST');
    expect(recorder.stateNames).toEqual(['SUSPENDED', 'LOST']);
    expect(events).toEqual([{ type: EventType.None, state: KeeperState.Expired, path: base }]);

    await Promise.all(cluster.servers.map((server) => server.restart()));
    await cluster.waitForQuorum();
    await recorder.waitForState('CONNECTED', 20_000);
    expect(zk.clientId!.sessionId).not.toBe(sessionId);
    expect(await zk.exists(base)).not.toBeNull();
  });
});
