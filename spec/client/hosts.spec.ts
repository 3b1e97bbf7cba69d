// Host names in the connect string are resolved on every connect cycle (localhost comes from
// /etc/hosts; no lookup leaves the machine).

import { ZooKeeperClient } from '../../lib/client/client.js';
import { freePort } from '../../testing/ports.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';

let server: TestingServer;
const clients: ZooKeeperClient[] = [];
beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.stop();
});
afterAll(async () => {
  await server?.close();
});

it('resolves a host name and connects to one of its addresses', async () => {
  const zk = new ZooKeeperClient({ hosts: `localhost:${server.port}` });
  clients.push(zk);
  await zk.start({ timeout: 10_000 });
  expect(zk.connectedTo).toBe(`127.0.0.1:${server.port}`);
  expect(await zk.exists('/')).not.toBeNull();
});

it('skips a host with nothing listening and connects to the next one in the same cycle', async () => {
  const dead = await freePort();
  const zk = new ZooKeeperClient({
    hosts: `127.0.0.1:${dead},127.0.0.1:${server.port}`,
    randomizeHosts: false,
  });
  clients.push(zk);
  await zk.start({ timeout: 10_000 });
  expect(zk.connectedTo).toBe(`127.0.0.1:${server.port}`);
});
