// Watch re-registration after a reconnect: every registered path goes back to the server in
// SetWatches batches of at most 128 KB of path bytes (ZOOKEEPER-706; larger frames are dropped
// by the server), before any queued request.

import type { VirtualClockHandler } from '../../../handlers/virtual-clock.js';
import { ZooKeeperClient } from '../../../lib/client/client.js';
import { rearmRequests, reconnectRequests, setWatchesRequests } from '../../../lib/watches/set-watches.js';
import { WatchRegistry } from '../../../lib/watches/watch-registry.js';
import { OpCode } from '../../../protocol/constants.js';
import type { SetWatches } from '../../../protocol/records.js';
import { drive, fakeEnsemble, stat } from '../fake-server.js';

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

describe('the SetWatches requests of a new connection', () => {
  const cb = (): void => {};
  const none = { data: [], exist: [], child: [], persistent: [], persistentRecursive: [] };

  it('sends SetWatches while only one-shot watches exist, with server paths', () => {
    const r = new WatchRegistry();
    r.add('data', '/d', cb);
    r.add('exist', '/e', cb);
    r.add('child', '/', cb);
    expect(reconnectRequests(r, 7n, '/app')).toEqual([
      {
        op: OpCode.setWatches,
        body: { relativeZxid: 7n, dataWatches: ['/app/d'], existWatches: ['/app/e'], childWatches: ['/app'] },
      },
    ]);
    expect(reconnectRequests(new WatchRegistry(), 7n, '')).toEqual([]);
  });

  it('switches to SetWatches2 once a persistent watch exists, and lists each persistent node as a one-shot path by whether it exists', () => {
    const r = new WatchRegistry();
    r.add('persistent', '/there', cb);
    r.noteExists('/there', true);
    r.add('persistent', '/gone', cb);
    r.noteExists('/gone', false);
    r.add('persistentRecursive', '/tree', cb);
    r.noteExists('/tree', true);
    r.add('persistentRecursive', '/unknown', cb);
    const [request, ...rest] = reconnectRequests(r, 9n, '');
    expect(rest).toEqual([]);
    expect(request).toEqual({
      op: OpCode.setWatches2,
      body: {
        relativeZxid: 9n,
        dataWatches: ['/there', '/tree'],
        existWatches: ['/gone'],
        // A plain persistent watch gets its node's child events, so they are replayed too.
        childWatches: ['/there'],
        persistentWatches: ['/there', '/gone'],
        persistentRecursiveWatches: ['/tree', '/unknown'],
      },
    });
  });

  it('does not list a node twice when a one-shot watch is already on it', () => {
    const r = new WatchRegistry();
    r.add('persistent', '/p', cb);
    r.noteExists('/p', true);
    r.add('data', '/p', cb);
    r.add('child', '/p', cb);
    const [request] = reconnectRequests(r, 1n, '');
    expect(request!.body).toMatchObject({ dataWatches: ['/p'], existWatches: [], childWatches: ['/p'] });
  });

  it('re-sends a child watch that shares its path with a recursive watch last, in a SetWatches of its own', () => {
    const r = new WatchRegistry();
    r.add('persistentRecursive', '/r', cb);
    r.add('child', '/r', cb);
    r.add('child', '/other', cb);
    const requests = reconnectRequests(r, 3n, '');
    expect(requests.map((q) => q.op)).toEqual([OpCode.setWatches2, OpCode.setWatches]);
    expect(requests[1]!.body).toEqual({
      relativeZxid: 3n,
      dataWatches: [],
      existWatches: [],
      childWatches: ['/r'],
    });
  });

  it('fills batches list after list, each under the byte budget', () => {
    const lists = { ...none, data: ['/aaaa', '/bbbb'], child: ['/cccc'], persistent: ['/dddd', '/eeee'] };
    const requests = setWatchesRequests(lists, 0n, '', 10);
    expect(requests.map((q) => q.op)).toEqual([OpCode.setWatches2, OpCode.setWatches2, OpCode.setWatches2]);
    expect(requests.map((q) => q.body)).toEqual([
      expect.objectContaining({ dataWatches: ['/aaaa', '/bbbb'], childWatches: [], persistentWatches: [] }),
      expect.objectContaining({ dataWatches: [], childWatches: ['/cccc'], persistentWatches: ['/dddd'] }),
      expect.objectContaining({ persistentWatches: ['/eeee'] }),
    ]);
  });

  it('re-arms only the one-shot watches of a path that no persistent watch feeds', () => {
    const r = new WatchRegistry();
    r.add('data', '/p', cb);
    r.add('child', '/p', cb);
    expect(rearmRequests(r, '/p', 5n, '')[0]!.body).toEqual({
      relativeZxid: 5n,
      dataWatches: ['/p'],
      existWatches: [],
      childWatches: ['/p'],
    });
    r.add('persistentRecursive', '/p', cb);
    expect(rearmRequests(r, '/p', 5n, '')[0]!.body).toMatchObject({ dataWatches: [], childWatches: ['/p'] });
    r.add('persistent', '/q', cb);
    r.add('exist', '/q', cb);
    expect(rearmRequests(r, '/q', 5n, '')).toEqual([]);
  });
});
