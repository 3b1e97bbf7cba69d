import { ZooKeeperClient } from '../../lib/client/client.js';
import { NoNodeError } from '../../lib/errors.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';

let server: TestingServer;
beforeAll(async () => {
  server = await startTestingServer();
});

it('connects, creates, reads, watches and stops', async () => {
  const zk = new ZooKeeperClient({ hosts: server.connectString });
  await zk.start();
  expect(zk.state).toBe('CONNECTED');
  await zk.create('/smoke', 'hello');
  const [data, stat] = await zk.get('/smoke');
  expect(data?.toString()).toBe('hello');
  expect(stat.version).toBe(0);
  const events: unknown[] = [];
  await zk.get('/smoke', (e) => events.push(e));
  await zk.set('/smoke', 'x');
  expect(events).toEqual([{ type: 3, state: 3, path: '/smoke' }]);
  await expect(zk.get('/missing')).rejects.toBeInstanceOf(NoNodeError);
  expect(await zk.exists('/missing')).toBeNull();
  await zk.stop();
  expect(zk.state).toBe('LOST');
  expect(zk.connectionState).toBe('CLOSED');
});
