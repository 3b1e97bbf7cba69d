// Read-only mode against a real 3-member ensemble: with two members down the third serves reads
// only (the harness sets readonlymode.enabled on ensembles). A client that allows it connects
// there as CONNECTED_RO, reads, is refused writes, and moves to a read/write member by itself once
// the quorum is back; a client that does not allow it never connects to that member.
import { ZooKeeperClient } from '../../lib/client/client.js';
import { NotReadOnlyError } from '../../lib/errors.js';
import type { ServerHandle } from '../../testing/server-handle.js';
import { startTestingCluster, type TestingCluster } from '../../testing/testing-cluster.js';
import { startTestingServer } from '../../testing/testing-server.js';
import { rejectionOf, StateRecorder, sleep, stopAll, uniquePath, waitFor } from './fault-support.js';

const clients: ZooKeeperClient[] = [];

function track(client: ZooKeeperClient): ZooKeeperClient {
  clients.push(client);
  return client;
}

/** Kills two members and resolves with the third once it answers `isro` with `ro`. */
async function isolateOneMember(ensemble: TestingCluster): Promise<ServerHandle> {
  const [survivor, ...others] = ensemble.servers;
  await Promise.all(others.map((server) => server.kill()));
  // The member gives up on its quorum, then starts its read-only server after a few seconds.
  await waitFor(
    async () => (await survivor!.fourLetterWord('isro', { timeout: 1000 })) === 'ro',
    30_000,
    `member ${survivor!.id} in read-only mode`,
  );
  return survivor!;
}

describe('read-only mode', () => {
  let cluster: TestingCluster;

  beforeAll(async () => {
    // A 3.8.0 read-only member answers a new session's ConnectRequest with a bare NOTREADONLY reply
    // header unless local sessions are on (its ReadOnlyRequestProcessor refuses a global
    // createSession; later releases dropped that check), so these tests turn them on.
    cluster = await startTestingCluster({ size: 3, extraConfig: { localSessionsEnabled: true } });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  afterEach(async () => {
    await stopAll(clients.splice(0));
    await Promise.all(cluster.servers.filter((server) => !server.running).map((server) => server.restart()));
    await cluster.waitForQuorum();
  });

  it('connects a readOnly client to a member cut off from its quorum as CONNECTED_RO, serves reads, refuses writes, and moves to CONNECTED once the quorum is back', async () => {
    const base = uniquePath('read-only');
    const setup = track(new ZooKeeperClient({ hosts: cluster.connectString }));
    await setup.start();
    await setup.create(base, 'written before');
    await setup.create(`${base}/child`);
    await setup.stop();

    const survivor = await isolateOneMember(cluster);
    const zk = track(
      new ZooKeeperClient({ hosts: cluster.connectString, readOnly: true, sessionTimeout: 6000 }),
    );
    const recorder = new StateRecorder(zk);
    await zk.start({ timeout: 20_000 });
    expect(zk.connectionState).toBe('CONNECTED_RO');
    expect(zk.state).toBe('CONNECTED');
    expect(zk.connectedTo).toBe(survivor.connectString);

    const [data] = await zk.get(base);
    expect(data?.toString()).toBe('written before');
    expect(await zk.getChildren(base)).toEqual(['child']);
    expect(await rejectionOf(zk.create(`${base}/refused`))).toBeInstanceOf(NotReadOnlyError);
    expect(await rejectionOf(zk.set(base, 'refused'))).toBeInstanceOf(NotReadOnlyError);
    expect(await rejectionOf(zk.delete(`${base}/child`))).toBeInstanceOf(NotReadOnlyError);
    recorder.clear();

    await Promise.all(cluster.servers.filter((server) => !server.running).map((server) => server.restart()));
    await cluster.waitForQuorum();

    await recorder.waitForConnectionState('CONNECTED', 30_000);
    expect(zk.connectionState).toBe('CONNECTED');
    // Only read-only servers were ever seen: no read/write session existed that could be lost.
    expect(recorder.stateNames).not.toContain('LOST');
    expect(recorder.connectionStateNames).not.toContain('EXPIRED_SESSION');
    expect(await zk.create(`${base}/written-after`, 'ok')).toBe(`${base}/written-after`);
  });

  it('probes its other hosts with isro while read-only and moves to the first that answers rw', async () => {
    const survivor = await isolateOneMember(cluster);
    // A standalone server stands in for a read/write member, so the read-only member stays
    // read-only throughout: only the client's probing can make it move. (No read before the move:
    // the ensemble's zxids would be ahead of this fresh server's, and it would refuse the client.)
    const writable = await startTestingServer();
    try {
      const zk = track(
        new ZooKeeperClient({
          hosts: [survivor.connectString, writable.connectString],
          randomizeHosts: false,
          readOnly: true,
          sessionTimeout: 6000,
        }),
      );
      const recorder = new StateRecorder(zk);
      await zk.start({ timeout: 20_000 });
      expect(recorder.connectionStateNames).toContain('CONNECTED_RO');
      await recorder.waitForConnectionState('CONNECTED', 10_000);
      expect(zk.connectedTo).toBe(writable.connectString);
      expect(await survivor.fourLetterWord('isro')).toBe('ro');
      expect(recorder.stateNames).not.toContain('LOST');
      expect(recorder.connectionStateNames).not.toContain('EXPIRED_SESSION');
      const path = uniquePath('read-only-probe');
      expect(await zk.create(path)).toBe(path);
    } finally {
      await stopAll(clients.splice(0));
      await writable.close();
    }
  });

  it('never connects a client that does not allow read-only mode to a read-only member', async () => {
    await isolateOneMember(cluster);
    const zk = track(
      new ZooKeeperClient({ hosts: cluster.connectString, readOnly: false, sessionTimeout: 6000 }),
    );
    const recorder = new StateRecorder(zk);
    const started = rejectionOf(zk.start({ timeout: 4000 }));
    expect(await started).toBeInstanceOf(zk.handler.TimeoutError);
    expect(recorder.connectionStateNames).not.toContain('CONNECTED');
    expect(recorder.connectionStateNames).not.toContain('CONNECTED_RO');
    expect(zk.state).toBe('LOST');
    expect(zk.connectionState).toBe('CLOSED');
  });
});

describe('read-only mode, for a session made on a read/write member', () => {
  let plain: TestingCluster;

  beforeAll(async () => {
    // Without local sessions, as the fault specs run: every session is global.
    plain = await startTestingCluster({ size: 3 });
  });

  afterAll(async () => {
    await plain?.close();
  });

  afterEach(async () => {
    await stopAll(clients.splice(0));
    await Promise.all(plain.servers.filter((server) => !server.running).map((server) => server.restart()));
    await plain.waitForQuorum();
  });

  it('stays SUSPENDED while only a read-only member is up, which refuses to resume it, and resumes the same session when the quorum is back', async () => {
    const base = uniquePath('read-only-global');
    const zk = track(
      new ZooKeeperClient({ hosts: plain.connectString, readOnly: true, sessionTimeout: 20_000 }),
    );
    const recorder = new StateRecorder(zk);
    await zk.start();
    expect(zk.connectionState).toBe('CONNECTED');
    const sessionId = zk.clientId!.sessionId;
    await zk.create(base, 'rw');
    await zk.create(`${base}/ephemeral`, '', { ephemeral: true });
    recorder.clear();

    await isolateOneMember(plain);
    await recorder.waitForState('SUSPENDED', 5000);
    // 3.8.0 refuses a global session on a read-only member ("Refusing global session reconnection
    // in RO mode"): the client keeps trying and must not take the refusal for an expiry.
    await sleep(2000);
    expect(recorder.stateNames).toEqual(['SUSPENDED']);
    expect(zk.connectionState).toBe('CONNECTING');

    await Promise.all(plain.servers.filter((server) => !server.running).map((server) => server.restart()));
    await plain.waitForQuorum();
    await recorder.waitForState('CONNECTED', 20_000);
    expect(recorder.stateNames).toEqual(['SUSPENDED', 'CONNECTED']);
    expect(zk.connectionState).toBe('CONNECTED');
    expect(zk.clientId!.sessionId).toBe(sessionId);
    expect((await zk.exists(`${base}/ephemeral`))?.ephemeralOwner).toBe(sessionId);
  });
});
