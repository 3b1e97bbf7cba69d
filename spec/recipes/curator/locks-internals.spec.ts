// The acquire loop every Curator lock shares (recipes/curator/lock-internals.ts), on a client in
// memory under the virtual clock: the order of contenders, the ephemeralOwner check (CURATOR-696,
// which a real server shows only for the moment a lagging follower still lists an expired
// session's node), and a timeout counted on the handler's clock.

import { VirtualClockHandler } from '../../../handlers/virtual-clock.js';
import { NoNodeError } from '../../../lib/errors.js';
import type { RecipeClient, WatchCallback } from '../../../lib/recipe-client.js';
import { attemptLock, type LockDriver, sortedContenders } from '../../../recipes/curator/lock-internals.js';

const MUTEX: LockDriver = {
  markers: ['lock-'],
  nodeName: () => ({ name: 'lock-', sequential: true }),
  waitFor: (sorted, index) => (index < 1 ? undefined : sorted[index - 1]),
};

/** One lock directory in memory; `owners` gives each create's ephemeralOwner in turn (then 9). */
function memoryClient(handler: VirtualClockHandler, owners: bigint[] = []) {
  const nodes = new Map<string, bigint>();
  const deleted: string[] = [];
  let counter = 0;
  const client = {
    handler,
    state: 'CONNECTED',
    isConnected: true,
    connectionState: 'CONNECTED',
    clientId: { sessionId: 9n, password: Buffer.alloc(16) },
    on: () => client,
    off: () => client,
    create: async (path: string) => {
      const slash = path.lastIndexOf('/');
      const full = `${path.slice(0, slash)}/_c_${globalThis.crypto.randomUUID()}-${path.slice(slash + 1)}${String(counter++).padStart(10, '0')}`;
      const owner = owners.shift() ?? 9n;
      nodes.set(full, owner);
      return [full, { ephemeralOwner: owner }];
    },
    getChildren: async (parent: string) =>
      [...nodes.keys()].filter((p) => p.startsWith(`${parent}/`)).map((p) => p.slice(parent.length + 1)),
    get: async (path: string, _watch?: WatchCallback) => {
      if (!nodes.has(path)) throw new NoNodeError(undefined, path);
      return [Buffer.alloc(0), { ephemeralOwner: nodes.get(path) }];
    },
    delete: async (path: string) => {
      if (!nodes.delete(path)) throw new NoNodeError(undefined, path);
      deleted.push(path);
    },
    removeWatches: async () => {},
  };
  return { client: client as unknown as RecipeClient, nodes, deleted };
}

describe('sortedContenders', () => {
  it("orders by the counter after the lock name (Curator's fixForSorting), across the counter's wrap, and leaves out other children", () => {
    const u = (n: number): string => `_c_0000000${n}-aaaa-bbbb-cccc-dddddddddddd-`;
    const names = [
      `${u(1)}lock--2147483648`,
      `${u(2)}lock-2147483647`,
      `${u(3)}lock-0000000005`,
      'not-a-contender',
      `${u(4)}lock-2147483646`,
    ];
    expect(sortedContenders(names, ['lock-'])).toEqual([names[2], names[4], names[1], names[0]]);
  });

  it('breaks a tie of counters by the markers’ order: a downgraded reader sorts right behind its writer', () => {
    const reader = '_c_00000000-aaaa-bbbb-cccc-dddddddddddd-__READ__0000000007';
    const writer = '_c_ffffffff-aaaa-bbbb-cccc-dddddddddddd-__WRIT__0000000007';
    const later = '_c_00000000-aaaa-bbbb-cccc-eeeeeeeeeeee-__WRIT__0000000008';
    expect(sortedContenders([later, reader, writer], ['__WRIT__', '__READ__'])).toEqual([
      writer,
      reader,
      later,
    ]);
  });
});

describe('attemptLock (virtual clock)', () => {
  it('CURATOR-696: a first node owned by another (ended) session is deleted, and the lock is held with a new node of the current session', async () => {
    const handler = new VirtualClockHandler();
    const { client, nodes, deleted } = memoryClient(handler, [7n]);
    const held = await attemptLock(client, '/lock', MUTEX);
    expect(held).toBeDefined();
    expect(nodes.get(held!)).toBe(9n);
    await handler.advance(0);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).not.toBe(held);
    expect([...nodes.keys()]).toEqual([held]);
  });

  it('resolves undefined after exactly its timeout on the handler’s clock, and deletes its node', async () => {
    const handler = new VirtualClockHandler();
    const { client, nodes } = memoryClient(handler);
    await client.create('/lock/lock-', undefined, {});
    const outcome = attemptLock(client, '/lock', MUTEX, { timeout: 5000 });
    let settled = false;
    void outcome.then(() => {
      settled = true;
    });
    await handler.advance(4999);
    expect(settled).toBe(false);
    expect(nodes.size).toBe(2);
    await handler.advance(1);
    expect(await outcome).toBeUndefined();
    await handler.advance(0);
    expect(nodes.size).toBe(1);
  });
});
