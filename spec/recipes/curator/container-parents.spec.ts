// Curator's directories are containers: createWithContainerParents makes missing parents as
// containers (a client cannot see a node's kind in its Stat: the server reports a container's
// ephemeralOwner as 0, so the test watches the server reap them), and makes them again.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { createWithContainerParents } from '../../../recipes/curator/container-parents.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { ClientPool, uniqueName, waitUntil } from '../../client/support.js';

let server: TestingServer;
const pool = new ClientPool();
let zk: ZooKeeperClient;

beforeAll(async () => {
  server = await startTestingServer();
  zk = await pool.open({ hosts: server.connectString });
});
afterAll(async () => {
  await pool.stopAll();
  await server?.close();
});

it('makes the missing parents as containers (the server reaps them once empty), again after they are gone', async () => {
  const base = `/${uniqueName('containers')}`;
  await zk.create(base);
  const node = await createWithContainerParents(zk, `${base}/a/b/lock-`, 'x', {
    ephemeral: true,
    sequence: true,
  });
  expect(node).toMatch(new RegExp(`^${base}/a/b/lock-\\d{10}$`));
  await zk.delete(node);
  // The testing server reaps containers every second; the persistent base stays.
  await waitUntil(async () => (await zk.exists(`${base}/a`)) === null, 'the containers to be reaped', {
    timeoutMs: 15_000,
  });
  expect(await zk.exists(base)).not.toBeNull();
  await createWithContainerParents(zk, `${base}/a/b/again`, undefined, {});
  expect(await zk.getChildren(`${base}/a/b`)).toEqual(['again']);
}, 30_000);
