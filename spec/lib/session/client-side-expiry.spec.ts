// The client-side expiry clock (ZOOKEEPER-4508) while the client is in the middle of reconnecting:
// a 4 s session on one host that drops into a black hole (no byte, no FIN, no RST). The client must
// go SUSPENDED at the read timeout (2/3) and LOST at 4/3 of the session timeout after it last heard
// the server, whatever step of reconnecting it is in at that instant: waiting for a handshake
// answer, for a TCP connect, or for a name lookup. Before the fix, LOST came only when the attempt
// gave up by itself (the handshake timeout: 4000 ms after SUSPENDED) or never (a connect that
// never completes).

import type { ResolvedAddress } from '../../../handlers/handler.js';
import type { VirtualClockHandler } from '../../../handlers/virtual-clock.js';
import { ZooKeeperClient } from '../../../lib/client/client.js';
import { ClientState, ConnectionState } from '../../../lib/states.js';
import { drive, type FakeZooKeeper, fakeEnsemble } from '../fake-server.js';

// Everything runs on the virtual clock: a test still running after a few real seconds is stuck.
jest.setTimeout(10_000);

const SESSION_TIMEOUT = 4000;
/** 2/3 of the session timeout, as the connection loop floors it, ms. */
const READ_TIMEOUT = 2666;
/** 4/3 of the session timeout, ms. */
const EXPIRY = (SESSION_TIMEOUT * 4) / 3;

const started: Array<{ client: ZooKeeperClient; handler: VirtualClockHandler }> = [];

afterEach(async () => {
  for (const { client, handler } of started.splice(0)) await drive(handler, client.stop());
});

/** A client on one host with a 4 s session, and when it reported each state. */
function startClient(handler: VirtualClockHandler, hosts = '127.0.0.1:1') {
  const client = new ZooKeeperClient({
    handler,
    hosts,
    sessionTimeout: SESSION_TIMEOUT,
    connectionRetry: { maxJitter: 0 },
    reconnectJitter: 0,
  });
  const states: Array<[number, ClientState]> = [];
  const connectionStates: Array<[number, ConnectionState]> = [];
  client.on('state', (state) => states.push([handler.now(), state]));
  client.on('connectionState', (state) => connectionStates.push([handler.now(), state]));
  client.startAsync();
  started.push({ client, handler });
  return { client, states, connectionStates };
}

/** Runs a connected session for 3 s (pings answered), then black-holes the server; returns the last contact. */
async function connectThenBlackHole(
  fake: FakeZooKeeper,
  handler: VirtualClockHandler,
  client: ZooKeeperClient,
  blackHole: () => void,
): Promise<number> {
  await handler.advance(0);
  expect(client.state).toBe(ClientState.CONNECTED);
  await handler.advance(3000);
  expect(fake.pingTimes().length).toBeGreaterThan(0);
  const lastContact = fake.latest!.lastSentAt!;
  blackHole();
  await handler.advance(10_000);
  return lastContact;
}

/** When `state` was reported, as ms after `since`; one entry per report. */
function reportedAt(states: Array<[number, ClientState]>, state: ClientState, since: number): number[] {
  return states.filter(([, s]) => s === state).map(([at]) => at - since);
}

/**
 * Asserts SUSPENDED once at 2/3 and LOST once at 4/3 of the timeout after `lastContact` (to the
 * millisecond); returns when LOST came, in ms after `lastContact`.
 */
function expectSuspendedThenLost(states: Array<[number, ClientState]>, lastContact: number): number {
  const [suspended] = reportedAt(states, ClientState.SUSPENDED, lastContact);
  expect(suspended).toBeGreaterThanOrEqual(READ_TIMEOUT);
  expect(suspended).toBeLessThanOrEqual(READ_TIMEOUT + 1);
  const lost = reportedAt(states, ClientState.LOST, lastContact);
  expect(lost).toHaveLength(1);
  expect(lost[0]).toBeGreaterThanOrEqual(5333);
  expect(lost[0]).toBeLessThanOrEqual(5334);
  return lost[0]!;
}

describe('client-side expiry during a reconnect to a black-holed server (4 s session)', () => {
  it('goes SUSPENDED at 2/3 and LOST at 4/3 of the timeout after the last contact while a handshake goes unanswered', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: SESSION_TIMEOUT });
    const { client, states, connectionStates } = startClient(handler);
    const lastContact = await connectThenBlackHole(fake, handler, client, () => fake.blackHole('mute'));

    const lost = expectSuspendedThenLost(states, lastContact);
    expect(
      connectionStates.filter(([, s]) => s === ConnectionState.EXPIRED_SESSION).map(([at]) => at),
    ).toEqual([lastContact + lost]);

    // The reconnect reached the server (TCP up, ConnectRequest sent) and was abandoned at LOST,
    // not at its own handshake timeout (4000 ms after it began).
    const [, resume] = fake.connectRequests();
    expect(resume!.at - lastContact).toBe(READ_TIMEOUT);
    expect(resume!.connect.sessionId).not.toBe(0n);
    expect(resume!.connection.closedBy).toBe('client');
    expect(resume!.connection.closedAt).toBe(lastContact + EXPIRY);
    // What comes next asks for a new session.
    expect(fake.connectRequests()[2]?.connect.sessionId).toBe(0n);
  });

  it('goes LOST at 4/3 of the timeout while the TCP connect itself never completes, and aborts it then', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: SESSION_TIMEOUT });
    const { client, states } = startClient(handler);
    const lastContact = await connectThenBlackHole(fake, handler, client, () => fake.blackHole('hang'));

    expectSuspendedThenLost(states, lastContact);

    const hung = fake.attempts.filter((a) => a.mode === 'hang');
    expect(hung[0]!.at - lastContact).toBe(READ_TIMEOUT);
    expect(hung[0]!.abortedAt).toBe(lastContact + EXPIRY);
    // Only the first connection got as far as a ConnectRequest.
    expect(fake.connectRequests()).toHaveLength(1);
  });

  it('goes LOST at 4/3 of the timeout while a name lookup never answers', async () => {
    let lookups = 0;
    const lookup = (): Promise<ResolvedAddress[]> =>
      ++lookups === 1 ? Promise.resolve([{ address: '127.0.0.1', family: 4 }]) : new Promise(() => {});
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: SESSION_TIMEOUT }, { lookup });
    const { client, states } = startClient(handler, 'zk.test:1');
    const lastContact = await connectThenBlackHole(fake, handler, client, () => fake.blackHole('mute'));

    expect(lookups).toBe(3); // the first pass, the reconnect, and the pass after LOST
    expectSuspendedThenLost(states, lastContact);
    expect(fake.attempts).toHaveLength(1);
  });
});
