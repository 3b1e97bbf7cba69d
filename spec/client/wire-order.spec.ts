// Callbacks and promise continuations follow the wire. A reply's caller resumes on a microtask,
// while a watch callback runs as soon as it is dispatched; so when one socket read brings a reply
// and then an event, the client must let the caller see the reply before the event's callback
// runs. The proxy holds the server's bytes and hands them over in one write, so both arrive in one
// read.

import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { CuttableProxy } from '../recipes/support.js';
import { ClientPool, sleep, uniqueName } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(async () => {
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await server?.close();
});

it('lets the caller of a reply resume before the callback of an event that came after it in the same read', async () => {
  const proxy = await CuttableProxy.start(server.host, server.port);
  proxies.push(proxy);
  const zk = await pool.open({ hosts: proxy.connectString });
  const other = await pool.open({ hosts: server.connectString });
  const x = `/${uniqueName('order-x')}`;
  const y = `/${uniqueName('order-y')}`;
  await zk.create(x, 'x0');
  await zk.create(y, 'y0');
  const seen: string[] = [];
  await zk.get(x, () => {
    seen.push('event x');
  });

  proxy.hold();
  const reading = (async () => {
    await zk.get(y);
    seen.push('reply y');
  })();
  await sleep(200); // the server has answered get(y); its reply waits in the proxy
  await other.set(x, 'x1'); // the notification for x queues behind it
  await sleep(200);
  proxy.release();
  await reading;
  await sleep(100);
  expect(seen).toEqual(['reply y', 'event x']);

  // And the other way round: an event read before a reply reaches its callback first.
  seen.length = 0;
  await zk.get(x, () => {
    seen.push('event x');
  });
  proxy.hold();
  await other.set(x, 'x2');
  await sleep(200);
  const after = (async () => {
    await zk.get(y);
    seen.push('reply y');
  })();
  await sleep(200);
  proxy.release();
  await after;
  expect(seen).toEqual(['event x', 'reply y']);
});
