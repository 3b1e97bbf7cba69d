// Watch re-registration after a reconnect: every registered path goes back to the server in
// SetWatches batches of at most 128 KB of path bytes (ZOOKEEPER-706; larger frames are dropped
// by the server), before any queued request.

import type { VirtualClockHandler } from '../../handlers/virtual-clock.js';
import { ZooKeeperClient } from '../../lib/client.js';
import { OpCode } from '../../protocol/constants.js';
import type { SetWatches } from '../../protocol/records.js';
import { drive, fakeEnsemble, stat } from './fake-server.js';

jest.setTimeout(20_000);

let running: { client: ZooKeeperClient; handler: VirtualClockHandler } | undefined;
afterEach(async () => {
  if (running) await drive(running.handler, running.client.stop());
  running = undefined;
});

it('re-registers 3,000 watches in SetWatches batches under 128 KB, then sends queued requests', async () => {
  const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
  const client = new ZooKeeperClient({ handler, hosts: '127.0.0.1:1,127.0.0.1:2', randomizeHosts: false });
  running = { client, handler };
  await drive(handler, client.start());

  // 3,000 paths of ~110 bytes: about 330 KB of paths, so at least three batches.
  const paths = Array.from(
    { length: 3000 },
    (_, i) => `/watched/${'x'.repeat(96)}-${String(i).padStart(4, '0')}`,
  );
  for (const p of paths) fake.nodes.set(p, { data: Buffer.from('d'), stat: stat({ dataLength: 1 }) });
  await drive(handler, Promise.all(paths.map((p) => client.get(p, () => {}))));
  await drive(handler, Promise.all(paths.slice(0, 10).map((p) => client.exists(`${p}-missing`, () => {}))));

  const suspended = new Promise((resolve) => client.once('state', resolve));
  fake.latest!.close();
  expect(await drive(handler, suspended)).toBe('SUSPENDED');
  const queued = client.get(paths[0]!); // issued while reconnecting: queued, sent after priming
  await drive(handler, queued);

  const second = fake.connections[1]!;
  const after = fake.requests().filter((r) => r.connection === second);
  const batches = after.filter((r) => r.op === OpCode.setWatches).map((r) => r.request as SetWatches);
  expect(batches.length).toBeGreaterThanOrEqual(3);
  for (const b of batches) {
    const bytes = [...b.dataWatches, ...b.existWatches, ...b.childWatches].reduce(
      (n, p) => n + Buffer.byteLength(p),
      0,
    );
    expect(bytes).toBeLessThanOrEqual(128 * 1024);
  }
  expect(batches.flatMap((b) => b.dataWatches).sort()).toEqual([...paths].sort());
  expect(batches.flatMap((b) => b.existWatches)).toHaveLength(10);
  // Every SetWatches precedes the queued getData on the new connection.
  const firstGet = after.findIndex((r) => r.op === OpCode.getData);
  const lastSetWatches = after.map((r) => r.op).lastIndexOf(OpCode.setWatches);
  expect(lastSetWatches).toBeLessThan(firstGet);
});
