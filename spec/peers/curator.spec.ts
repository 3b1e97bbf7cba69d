// The Curator peer harness itself (spec/peers/curator.ts): a driver connects, answers, reports
// Java exceptions as typed errors, and a protected create of Curator's reads as zookit's names do.

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { protectionIdOf, withoutProtection } from '../../lib/client/protected-names.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, uniqueName } from '../client/support.js';
import { CuratorError, CuratorPeer } from './curator.js';

let server: TestingServer;
const pool = new ClientPool();
let zk: ZooKeeperClient;
let peer: CuratorPeer | undefined;

beforeAll(async () => {
  server = await startTestingServer();
  zk = await pool.open({ hosts: server.connectString });
}, 60_000);
afterAll(async () => {
  await peer?.stop();
  await pool.stopAll();
  await server?.close();
});

it("runs a Curator driver, whose protected names are the ones zookit reads (Curator's ProtectedUtils form)", async () => {
  peer = await CuratorPeer.start('EchoDriver', server.connectString);
  expect((await zk.getChildren('/')).length).toBeGreaterThan(0);
  expect(await peer.currentSessionId()).toBe(peer.sessionId);
  const base = `/${uniqueName('curator-echo')}`;
  const made = await peer.request<string>('create', { path: `${base}/node`, data: 'from curator' });
  const name = made.slice(base.length + 1);
  expect(protectionIdOf(name)).toMatch(/^[0-9a-f-]{36}$/);
  expect(withoutProtection(name)).toBe('node');
  const [data] = await zk.get(made);
  expect(data?.toString()).toBe('from curator');
  const mine = await zk.create(`${base}/node`, 'from zookit', { protected: true });
  expect(await peer.request('get', { path: mine })).toBe('from zookit');
  expect(await peer.request<string[]>('children', { path: base })).toHaveLength(2);
  const error = await peer.request('get', { path: `${base}/missing` }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CuratorError);
  expect((error as CuratorError).type).toBe('NoNodeException');
}, 60_000);
