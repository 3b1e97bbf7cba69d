// The client's timing, end to end on the virtual clock: ZooKeeperClient with a VirtualClockHandler
// whose connections reach the in-memory fake server. States, lost sessions, watch re-registration,
// retry and request timeouts are checked at exact virtual times, with no real waiting.

import type { VirtualClockHandler } from '../../../handlers/virtual-clock.js';
import { type ClientOptions, ZooKeeperClient } from '../../../index.js';
import { ConnectionLossError, RetryFailedError } from '../../../lib/errors.js';
import { RetryPolicy } from '../../../lib/retry.js';
import { ClientState, ConnectionState } from '../../../lib/states.js';
import type { WatchedEvent } from '../../../lib/watches/watch-registry.js';
import { OpCode } from '../../../protocol/constants.js';
import type { SetWatches } from '../../../protocol/records.js';
import { drive, type FakeZooKeeper, fakeEnsemble, stat, track } from '../fake-server.js';

// Everything runs on the virtual clock: a test still running after a few real seconds is stuck.
jest.setTimeout(10_000);

const H1 = '127.0.0.1:1';
const H2 = '127.0.0.1:2';

/** A client under test and what it reported, each with the virtual time it came. */
interface Started {
  client: ZooKeeperClient;
  states: Array<[number, ClientState]>;
  connectionStates: Array<[number, ConnectionState]>;
}

const started: Array<{ client: ZooKeeperClient; handler: VirtualClockHandler }> = [];

afterEach(async () => {
  for (const { client, handler } of started.splice(0)) await drive(handler, client.stop());
});

/** Starts a client on `handler` with two hosts, fixed host order, a jitter-free connect backoff and no reconnect jitter. */
function startClient(handler: VirtualClockHandler, options: ClientOptions = {}): Started {
  const client = new ZooKeeperClient({
    handler,
    hosts: `${H1},${H2}`,
    randomizeHosts: false,
    sessionTimeout: 9000,
    connectionRetry: { delay: 100, backoff: 2, maxJitter: 0, maxDelay: 1000 },
    reconnectJitter: 0,
    ...options,
  });
  const states: Started['states'] = [];
  const connectionStates: Started['connectionStates'] = [];
  client.on('state', (state) => states.push([handler.now(), state]));
  client.on('connectionState', (state) => connectionStates.push([handler.now(), state]));
  client.startAsync();
  started.push({ client, handler });
  return { client, states, connectionStates };
}

function addNode(fake: FakeZooKeeper, path: string, data: string): void {
  fake.nodes.set(path, { data: Buffer.from(data), stat: stat({ dataLength: data.length }) });
}

describe('client state on connection loss', () => {
  it('goes SUSPENDED at the read timeout and CONNECTED again on the next host with the same session', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
    const { client, states } = startClient(handler);
    await handler.advance(0);
    expect(client.state).toBe(ClientState.CONNECTED);
    expect(client.connectedTo).toBe(H1);
    const session = client.clientId!;

    await handler.advance(1000);
    fake.latest!.silent = true; // its last byte was the ConnectResponse, at 0
    await handler.advance(4999);
    expect(client.state).toBe(ClientState.CONNECTED);

    await handler.advance(1);
    expect(states).toEqual([
      [0, ClientState.CONNECTED],
      [6000, ClientState.SUSPENDED],
      [6000, ClientState.CONNECTED],
    ]);
    expect(client.connectedTo).toBe(H2);
    expect(client.clientId).toEqual(session);
    expect(client.sessionTimeout).toBe(9000);
  });

  it('fails queued requests with ConnectionLossError when a pass over the hosts fails', async () => {
    const { fake, handler } = fakeEnsemble();
    fake.setMode('refuse');
    const { client, states } = startClient(handler);
    // Queued before the loop's first pass, which fails at 0; the next passes are at 100 and 300.
    const first = track(handler, client.get('/a'));
    await handler.advance(0);
    expect(first.state).toBe('rejected');
    expect(first.at).toBe(0);
    expect(first.error).toBeInstanceOf(ConnectionLossError);

    await handler.advance(50);
    const second = track(handler, client.exists('/a'));
    await handler.advance(49);
    expect(second.state).toBe('pending');
    await handler.advance(1);
    expect(second.state).toBe('rejected');
    expect(second.at).toBe(100);
    expect(second.error).toBeInstanceOf(ConnectionLossError);

    expect(fake.requests()).toEqual([]);
    // Never connected, so never SUSPENDED: there is no session that could still be alive.
    expect(states).toEqual([]);
    expect(client.state).toBe(ClientState.LOST);
    expect(client.connectionState).toBe(ConnectionState.CONNECTING);
  });
});

describe('client session expiry', () => {
  it('goes LOST when the server answers the resume with timeOut 0, then CONNECTED with a new session', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
    const { client, states, connectionStates } = startClient(handler);
    await handler.advance(0);
    const old = client.clientId!;
    const watched: WatchedEvent[] = [];
    addNode(fake, '/a', 'a');
    await drive(
      handler,
      client.get('/a', (e) => {
        watched.push(e);
      }),
    );

    await handler.advance(1000);
    fake.expireSession(old.sessionId);
    fake.latest!.close();
    await handler.advance(0);

    expect(states).toEqual([
      [0, ClientState.CONNECTED],
      [1000, ClientState.SUSPENDED],
      [1000, ClientState.LOST],
      [1000, ClientState.CONNECTED],
    ]);
    expect(connectionStates.map(([, s]) => s)).toEqual([
      ConnectionState.CONNECTING,
      ConnectionState.CONNECTED,
      ConnectionState.CONNECTING,
      ConnectionState.EXPIRED_SESSION,
      ConnectionState.CONNECTED,
    ]);
    const connects = fake.connectRequests().map((f) => f.connect);
    expect(connects.map((c) => c.sessionId)).toEqual([0n, old.sessionId, 0n]);
    expect(connects[2]!.passwd).toEqual(Buffer.alloc(16));
    expect(client.clientId!.sessionId).not.toBe(old.sessionId);
    // The session's watch ended with it (one final event), and is not re-registered.
    expect(watched.map((e) => e.state)).toEqual([-112]);
    expect(fake.requests(OpCode.setWatches)).toEqual([]);
  });

  it('reports LOST when nothing was heard for 4/3 of the negotiated timeout, and not before', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 6000 });
    // The client's default connect backoff (100 ms doubling to 10 s), with the jitter off.
    const { client, states } = startClient(handler, {
      sessionTimeout: 6000,
      connectionRetry: { maxJitter: 0 },
    });
    await handler.advance(0);
    expect(client.state).toBe(ClientState.CONNECTED);
    // Partitioned right after the handshake: silence, and every host unreachable.
    fake.latest!.silent = true;
    fake.setMode('refuse');

    await handler.advance(7999);
    expect(states).toEqual([
      [0, ClientState.CONNECTED],
      [4000, ClientState.SUSPENDED],
    ]);

    // 4/3 × 6000 = 8000 ms of silence: the session must be reported lost then, however far the
    // connect backoff has grown (ZOOKEEPER-4508; the server cannot tell a partitioned client).
    await handler.advance(22_001);
    const lost = states.filter(([, s]) => s === ClientState.LOST).map(([at]) => at);
    expect(lost).toEqual([8000]);
    expect(client.connectionState).toBe(ConnectionState.EXPIRED_SESSION);
    expect(fake.connectRequests()).toHaveLength(1); // never told by a server
  });
});

describe('client lastZxid', () => {
  it('sends the highest zxid seen in the next ConnectRequest and re-registers watches relative to it', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
    addNode(fake, '/a', 'a');
    const { client } = startClient(handler);
    await handler.advance(0);

    const fired: WatchedEvent[] = [];
    fake.zxid = 0x11n;
    await drive(
      handler,
      client.get('/a', (e) => {
        fired.push(e);
      }),
    );
    fake.zxid = 0x2an;
    await drive(
      handler,
      client.exists('/missing', (e) => {
        fired.push(e);
      }),
    );
    expect(fake.connectRequests()[0]!.connect.lastZxidSeen).toBe(0n);

    await handler.advance(500);
    fake.latest!.close();
    await handler.advance(0);

    const [, resume] = fake.connectRequests();
    expect(resume!.connection.remoteAddress).toBe(H2);
    expect(resume!.connect.lastZxidSeen).toBe(0x2an);
    const onNew = fake.requests().filter((f) => f.connection === resume!.connection);
    expect(onNew[0]?.op).toBe(OpCode.setWatches);
    expect(onNew[0]!.request as SetWatches).toEqual({
      relativeZxid: 0x2an,
      dataWatches: ['/a'],
      existWatches: ['/missing'],
      childWatches: [],
    });
    expect(fired).toEqual([]);
    expect(client.state).toBe(ClientState.CONNECTED);
  });
});

describe('client retry on the virtual clock', () => {
  it('resolves only once the clock has passed the 100, 200 and 400 ms backoff sleeps', async () => {
    const { handler } = fakeEnsemble();
    const client = new ZooKeeperClient({
      handler,
      hosts: H1,
      commandRetry: { maxTries: 5, delay: 100, backoff: 2, maxJitter: 0 },
    });
    const attempts: number[] = [];
    const result = track(
      handler,
      client.retry(async () => {
        attempts.push(handler.now());
        if (attempts.length <= 3) throw new ConnectionLossError();
        return 'done';
      }),
    );

    await handler.advance(699);
    expect(attempts).toEqual([0, 100, 300]);
    expect(result.state).toBe('pending');
    await handler.advance(1);
    expect(attempts).toEqual([0, 100, 300, 700]);
    expect(result.state).toBe('fulfilled');
    expect(result.value).toBe('done');
    expect(result.at).toBe(700);
  });

  it('grows each sleep from the previous jittered one', async () => {
    const { handler } = fakeEnsemble();
    // Jitter factor 1 − 0.4 + 0.8 × 0.75 = 1.2: sleeps 120, 288 (240 × 1.2), 691.2 (576 × 1.2).
    const policy = new RetryPolicy({ delay: 100, backoff: 2, maxJitter: 0.4, random: () => 0.75 }, handler);
    const attempts: number[] = [];
    const result = track(
      handler,
      policy.run(async () => {
        attempts.push(handler.now());
        if (attempts.length <= 3) throw new ConnectionLossError();
        return attempts.length;
      }),
    );
    await handler.advance(1099);
    expect(result.state).toBe('pending');
    await handler.advance(1);
    expect(attempts).toHaveLength(4);
    for (const [i, at] of [0, 120, 408, 1099.2].entries()) expect(attempts[i]).toBeCloseTo(at, 6);
    expect(result.value).toBe(4);
  });

  it('gives up at once rather than start a sleep that would end past the deadline', async () => {
    const { handler } = fakeEnsemble();
    const policy = new RetryPolicy({ delay: 100, backoff: 2, maxJitter: 0, deadline: 250 }, handler);
    const attempts: number[] = [];
    const result = track(
      handler,
      policy.run(async () => {
        attempts.push(handler.now());
        throw new ConnectionLossError();
      }),
    );
    await handler.advance(100);
    // After the attempt at 100 the next sleep (200 ms) would end at 300 > 250.
    expect(attempts).toEqual([0, 100]);
    expect(result.state).toBe('rejected');
    expect(result.at).toBe(100);
    expect(result.error).toBeInstanceOf(RetryFailedError);
    expect(handler.pendingTimers).toBe(0);
  });
});

describe('client request timeout', () => {
  it("rejects with the handler's TimeoutError at requestTimeout, and later replies still match their requests", async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
    addNode(fake, '/slow', 'slow');
    addNode(fake, '/next', 'next');
    addNode(fake, '/after', 'after');
    const { client } = startClient(handler, { requestTimeout: 500 });
    await handler.advance(0);
    const connection = fake.latest!;

    // The server sits on /slow; ZooKeeper answers a session in order, so /next waits behind it.
    connection.hold();
    const slow = track(handler, client.get('/slow'));
    await handler.advance(100);
    const next = track(handler, client.get('/next'));
    await handler.advance(399);
    expect(slow.state).toBe('pending');

    await handler.advance(1);
    expect(slow.state).toBe('rejected');
    expect(slow.at).toBe(500);
    expect(slow.error).toBeInstanceOf(handler.TimeoutError);
    expect(next.state).toBe('pending');

    // /slow's late reply comes first and is dropped; /next gets its own.
    await handler.advance(50);
    connection.release();
    await handler.advance(0);
    expect(next.state).toBe('fulfilled');
    expect(next.at).toBe(550);
    expect(next.value?.[0]?.toString()).toBe('next');

    const after = await drive(handler, client.get('/after'));
    expect(after[0]?.toString()).toBe('after');
    expect(fake.connections).toHaveLength(1);
    expect(connection.closedAt).toBeUndefined();
    expect(client.state).toBe(ClientState.CONNECTED);
    expect(fake.requests(OpCode.getData).map((f) => f.xid)).toEqual([1, 2, 3]);
  });
});
