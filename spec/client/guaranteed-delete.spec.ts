// Curator's guaranteed deletes against a real server, through a FaultProxy: the call settles as a
// plain delete would, and a delete that met a connection problem goes on in the background until
// the node is gone, ending with the session it was issued in or with the client
// (docs/protocol.md#guaranteed-deletes).

import type { ClientOptions } from '../../index.js';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { ConnectionLossError, InvalidArgumentError, NoNodeError, NotEmptyError } from '../../lib/errors.js';
import { OpCode } from '../../protocol/constants.js';
import { expireSession } from '../../testing/expire-session.js';
import { FaultProxy } from '../../testing/fault-proxy.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from './fault-support.js';
import { ClientPool, RecordingHandler, rejectionOf, sleep, uniqueName, waitUntil } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: FaultProxy[] = [];
/** A client straight to the server, to look at nodes while the one under test is away. */
let observer: ZooKeeperClient;
let base: string;

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  observer = await pool.open({ hosts: server.connectString });
  base = `/${uniqueName('guaranteed')}`;
  await observer.create(base);
});
afterEach(async () => {
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

/** A started client behind a new FaultProxy, reconnecting at once, and a recorder of its states. */
async function behindProxy(
  options: ClientOptions = {},
): Promise<[ZooKeeperClient, FaultProxy, StateRecorder]> {
  const proxy = await FaultProxy.start({ host: server.host, port: server.port });
  proxies.push(proxy);
  const client = pool.create({
    hosts: proxy.connectString,
    sessionTimeout: 10_000,
    reconnectJitter: 0,
    connectionRetry: { maxDelay: 200 },
    commandRetry: { delay: 50, maxDelay: 300 },
    ...options,
  });
  const recorder = new StateRecorder(client);
  await client.start({ timeout: 10_000 });
  return [client, proxy, recorder];
}

/** Cuts the client off: its connection is reset and new ones are refused, until `proxy.accept()`. */
async function disconnect(proxy: FaultProxy, recorder: StateRecorder): Promise<void> {
  proxy.refuse();
  proxy.reset();
  await recorder.waitForState('SUSPENDED', 10_000);
}

const gone = async (path: string): Promise<boolean> => (await observer.exists(path)) === null;

it('settles as a plain delete does when connected', async () => {
  const [client] = await behindProxy();
  await observer.create(`${base}/node`);
  await client.delete(`${base}/node`, { guaranteed: true });
  expect(await gone(`${base}/node`)).toBe(true);
  expect(await rejectionOf(() => client.delete(`${base}/node`, { guaranteed: true }))).toBeInstanceOf(
    NoNodeError,
  );
  expect(client.pendingGuaranteedDeletes).toBe(0);
});

it('a guaranteed delete issued while disconnected happens after the reconnect', async () => {
  const [client, proxy, recorder] = await behindProxy();
  const node = await client.create(`${base}/lock-`, 'held', { ephemeral: true, sequence: true });
  const sessionId = client.clientId!.sessionId;
  await disconnect(proxy, recorder);
  // Queued while no server is reachable; the call fails when a pass over the hosts does.
  expect(await rejectionOf(() => client.delete(node, { guaranteed: true }))).toBeInstanceOf(
    ConnectionLossError,
  );
  expect(client.pendingGuaranteedDeletes).toBe(1);
  await sleep(300);
  expect(await gone(node)).toBe(false);
  proxy.accept();
  await waitUntil(() => gone(node), 'the node to be deleted');
  expect(recorder.stateNames).toEqual(['CONNECTED', 'SUSPENDED', 'CONNECTED']);
  expect(client.clientId!.sessionId).toBe(sessionId);
  await waitUntil(() => client.pendingGuaranteedDeletes === 0, 'the background delete to end');
});

it('a guaranteed delete that fails with a connection loss, unapplied, is retried in the background until the node is gone', async () => {
  const [client, proxy] = await behindProxy();
  const node = await client.create(`${base}/lease-`, 'held', { ephemeral: true, sequence: true });
  // The delete never reaches the server: the bytes toward it are held, then the connection is
  // reset (what was held goes with it) and reconnections refused.
  proxy.cut('toServer');
  const deleting = rejectionOf(() => client.delete(node, { guaranteed: true }));
  await sleep(100);
  proxy.refuse();
  proxy.reset();
  expect(await deleting).toBeInstanceOf(ConnectionLossError);
  expect(client.pendingGuaranteedDeletes).toBe(1);
  await sleep(300);
  expect(await gone(node)).toBe(false);
  proxy.pass(); // the cut ends, connections are accepted again
  await waitUntil(() => gone(node), 'the node to be deleted');
  await waitUntil(() => client.pendingGuaranteedDeletes === 0, 'the background delete to end');
});

it('a guaranteed delete whose reply is lost (the server applied it) ends at once in the background: NoNode counts as done', async () => {
  const [client, proxy] = await behindProxy();
  const errors: unknown[] = [];
  client.on('error', (error) => errors.push(error));
  const node = await client.create(`${base}/node`, 'x', { ephemeral: true });
  const lost = proxy.loseNextReply(OpCode.delete);
  expect(await rejectionOf(() => client.delete(node, { guaranteed: true }))).toBeInstanceOf(
    ConnectionLossError,
  );
  await lost;
  await waitUntil(() => client.pendingGuaranteedDeletes === 0, 'the background delete to end');
  expect(await gone(node)).toBe(true);
  expect(errors).toEqual([]);
});

it('ends with the session it was issued in: a node made at that path after its session expired is left alone', async () => {
  const [client, proxy, recorder] = await behindProxy();
  const node = await client.create(`${base}/leader`, 'old', { ephemeral: true });
  const old = client.clientId!;
  await disconnect(proxy, recorder);
  expect(await rejectionOf(() => client.delete(node, { guaranteed: true }))).toBeInstanceOf(
    ConnectionLossError,
  );
  await expireSession(server.connectString, { sessionId: old.sessionId, passwd: old.password });
  await waitUntil(() => gone(node), 'the expired session’s node to go');
  await observer.create(node, 'new', { ephemeral: true });
  const since = performance.now();
  proxy.accept();
  await recorder.waitForState('CONNECTED', 10_000, since);
  await waitUntil(() => client.pendingGuaranteedDeletes === 0, 'the background delete to end');
  const [data, stat] = await observer.get(node);
  expect(data?.toString()).toBe('new');
  expect(stat.ephemeralOwner).toBe(observer.clientId!.sessionId);
});

it('keeps the version of the call: a node changed since is not deleted, and the refusal is reported', async () => {
  const [client, proxy, recorder] = await behindProxy();
  const errors: unknown[] = [];
  client.on('error', (error) => errors.push(error));
  const node = await client.create(`${base}/versioned`, 'v0');
  await disconnect(proxy, recorder);
  expect(await rejectionOf(() => client.delete(node, { guaranteed: true, version: 0 }))).toBeInstanceOf(
    ConnectionLossError,
  );
  await observer.set(node, 'v1');
  proxy.accept();
  await waitUntil(() => client.pendingGuaranteedDeletes === 0, 'the background delete to end');
  expect(await gone(node)).toBe(false);
  await waitUntil(() => errors.length === 1, 'the refusal to be reported');
  expect((errors[0] as Error).name).toBe('BadVersionError');
});

it('is cancelled when the client stops: nothing pending, nothing left running', async () => {
  const [client, proxy, recorder] = await behindProxy();
  const node = await client.create(`${base}/node`, 'x');
  await disconnect(proxy, recorder);
  expect(await rejectionOf(() => client.delete(node, { guaranteed: true }))).toBeInstanceOf(
    ConnectionLossError,
  );
  expect(client.pendingGuaranteedDeletes).toBe(1);
  await client.stop();
  expect(client.pendingGuaranteedDeletes).toBe(0);
  proxy.accept();
  await sleep(300);
  expect(await gone(node)).toBe(false);
});

it('is not carried on after a refusal by the server, nor after bad input (refused before sending)', async () => {
  const handler = new RecordingHandler();
  const client = await pool.open({ hosts: server.connectString, handler });
  await client.create(`${base}/parent/child`, undefined, { makepath: true });
  expect(await rejectionOf(() => client.delete(`${base}/parent`, { guaranteed: true }))).toBeInstanceOf(
    NotEmptyError,
  );
  const sent = handler.written.length;
  for (const call of [
    () => client.delete('relative', { guaranteed: true }),
    () => client.delete(`${base}/parent`, { guaranteed: true, version: -2 }),
    () => client.delete(`${base}/parent`, { guaranteed: true, timeout: Number.NaN }),
  ]) {
    expect(await rejectionOf(call)).toBeInstanceOf(InvalidArgumentError);
  }
  expect(handler.written.length).toBe(sent);
  expect(client.pendingGuaranteedDeletes).toBe(0);
});
