// A server (or a corrupted stream) that sends bytes which are not a valid reply: the client drops
// that connection, fails what was in flight with ConnectionLossError, reconnects with the same
// session and goes on. Nothing is thrown at the process.

import type { VirtualClockHandler } from '../../../handlers/virtual-clock.js';
import { ZooKeeperClient } from '../../../lib/client/client.js';
import { ConnectionLossError } from '../../../lib/errors.js';
import { ClientState } from '../../../lib/states.js';
import { OpCode } from '../../../protocol/constants.js';
import { encodeReply } from '../../../protocol/operations.js';
import { drive, type FakeZooKeeper, fakeEnsemble, stat } from '../fake-server.js';

jest.setTimeout(10_000);

const clients: Array<{ client: ZooKeeperClient; handler: VirtualClockHandler }> = [];
afterEach(async () => {
  for (const { client, handler } of clients.splice(0)) await drive(handler, client.stop());
});

async function connected(): Promise<{
  fake: FakeZooKeeper;
  handler: VirtualClockHandler;
  client: ZooKeeperClient;
  states: ClientState[];
}> {
  const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
  fake.nodes.set('/n', { data: Buffer.from('v'), stat: stat({ dataLength: 1 }) });
  const client = new ZooKeeperClient({
    handler,
    hosts: '127.0.0.1:1,127.0.0.1:2',
    randomizeHosts: false,
    connectionRetry: { delay: 100, maxJitter: 0 },
  });
  const states: ClientState[] = [];
  client.on('state', (s) => states.push(s));
  clients.push({ client, handler });
  await drive(handler, client.start());
  return { fake, handler, client, states };
}

/** Sends `bytes` as the server on the live connection while a getData waits for its reply. */
async function garbageDuringGet(bytes: Buffer): Promise<{
  error: unknown;
  client: ZooKeeperClient;
  states: ClientState[];
  handler: VirtualClockHandler;
  fake: FakeZooKeeper;
}> {
  const env = await connected();
  const connection = env.fake.latest!;
  const sessionId = env.client.clientId!.sessionId;
  connection.hold(); // the real reply never comes; garbage does
  const pending = env.client.get('/n').then(
    () => undefined,
    (e: unknown) => e,
  );
  await env.handler.advance(1);
  connection.send(bytes);
  const error = await drive(env.handler, pending);
  await drive(
    env.handler,
    new Promise<void>((resolve) =>
      env.client.isConnected ? resolve() : env.client.once('state', () => resolve()),
    ),
  );
  expect(env.client.clientId!.sessionId).toBe(sessionId);
  expect(env.fake.connections.length).toBe(2);
  return { error, ...env };
}

describe('malformed frames from the server', () => {
  it('drops the connection on a frame longer than the inbound limit and recovers the session', async () => {
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(0x7fff_ffff);
    const { error, client, states, handler } = await garbageDuringGet(huge);
    expect(error).toBeInstanceOf(ConnectionLossError);
    expect(states).toEqual([ClientState.CONNECTED, ClientState.SUSPENDED, ClientState.CONNECTED]);
    const [data] = await drive(handler, client.get('/n'));
    expect(data?.toString()).toBe('v');
  });

  it('drops the connection on a frame shorter than a reply header', async () => {
    const { error, client, handler } = await garbageDuringGet(Buffer.from([0, 0, 0, 3, 1, 2, 3]));
    expect(error).toBeInstanceOf(ConnectionLossError);
    expect((await drive(handler, client.exists('/n')))?.dataLength).toBe(1);
  });

  it('drops the connection on a reply whose xid is not the one awaited', async () => {
    const wrongXid = encodeReply({ xid: 4242, zxid: 1n, err: 0 }, OpCode.getData, {
      data: Buffer.from('x'),
      stat: stat(),
    });
    const { error, client, handler } = await garbageDuringGet(wrongXid);
    expect(error).toBeInstanceOf(ConnectionLossError);
    expect((await drive(handler, client.get('/n')))[0]?.toString()).toBe('v');
  });

  it('drops the connection on a reply whose body is cut short', async () => {
    const full = encodeReply({ xid: 1, zxid: 1n, err: 0 }, OpCode.getData, {
      data: Buffer.from('vvvv'),
      stat: stat(),
    });
    const cut = Buffer.concat([Buffer.from([0, 0, 0, 30]), full.subarray(4, 34)]);
    const { error } = await garbageDuringGet(cut);
    expect(error).toBeInstanceOf(ConnectionLossError);
  });
});
