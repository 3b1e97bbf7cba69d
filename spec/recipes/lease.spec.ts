// NonBlockingLease and MultiNonBlockingLease against a real server: kazoo's behaviours (its
// test_lease, one test each, on the same mock clock), the lease_holder node read back, and lost
// replies of the lock under the lease and of the holder's create.
import { hostname } from 'node:os';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { MultiNonBlockingLease, NonBlockingLease } from '../../recipes/lease.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, uniqueName, withTimeout } from '../client/support.js';
import { holdUntilApplied, loseHeldReplies } from './reply-stepping.js';
import { type CuttableProxy, openBehindProxy } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });

/** kazoo's MockClock: UTC seconds since the epoch, moved forward by the test. */
class MockClock {
  constructor(private epochSeconds = 10) {}
  forward(seconds: number): void {
    this.epochSeconds += seconds;
  }
  readonly utcNow = (): Date => new Date(this.epochSeconds * 1000);
}

const SECOND = 1000;

let zk1: ZooKeeperClient;
let zk2: ZooKeeperClient;
let zk3: ZooKeeperClient;
let path: string;
let clock: MockClock;

beforeAll(async () => {
  server = await startTestingServer();
});

beforeEach(async () => {
  [zk1, zk2, zk3] = await Promise.all([open(), open(), open()]);
  path = `/${uniqueName('lease')}`;
  clock = new MockClock(10);
});

afterEach(async () => {
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await server?.close();
});

/** A NonBlockingLease on `zk` of `path` on the test clock, obtained or not. */
async function lease(zk: ZooKeeperClient, seconds: number, identifier?: string): Promise<NonBlockingLease> {
  const l = new NonBlockingLease(zk, path, seconds * SECOND, identifier, { utcNow: clock.utcNow });
  await l.obtain();
  return l;
}

async function multi(
  zk: ZooKeeperClient,
  count: number,
  seconds: number,
  identifier?: string,
): Promise<MultiNonBlockingLease> {
  const l = new MultiNonBlockingLease(zk, count, path, seconds * SECOND, identifier, {
    utcNow: clock.utcNow,
  });
  await l.obtain();
  return l;
}

describe('NonBlockingLease', () => {
  it("writes kazoo's lease_holder, persistent, naming the host by default, and leaves no lock node", async () => {
    const l = zk1.NonBlockingLease(path, 3 * SECOND, undefined, { utcNow: clock.utcNow });
    expect(l.obtained).toBe(false);
    expect(await l.obtain()).toBe(true);
    expect(l.obtained).toBe(true);
    expect(l.identifier).toBe(hostname());
    const [data, stat] = await zk1.get(`${path}/lease_holder`);
    expect(data?.toString('utf8')).toBe(
      `{"version": 1, "holder": "${hostname()}", "end": "1970-01-01T00:00:13"}`,
    );
    expect(stat.ephemeralOwner).toBe(0n);
    expect(await zk1.getChildren(path)).toEqual(['lease_holder']);
  });

  it('renews: the same identifier obtains it again before it ends', async () => {
    expect((await lease(zk1, 3)).obtained).toBe(true);
    clock.forward(2);
    expect((await lease(zk1, 3)).obtained).toBe(true);
    expect((await zk1.get(`${path}/lease_holder`))[0]?.toString()).toContain('"end": "1970-01-01T00:00:15"');
  });

  it('is busy: another identifier does not obtain it before it ends', async () => {
    expect((await lease(zk1, 3)).obtained).toBe(true);
    clock.forward(2);
    const foreigner = await lease(zk2, 3, 'some.other.host');
    expect(foreigner.obtained).toBe(false);
    expect((await zk1.get(`${path}/lease_holder`))[0]?.toString()).toContain(`"holder": "${hostname()}"`);
  });

  it('is overtaken once it has ended', async () => {
    expect((await lease(zk1, 3)).obtained).toBe(true);
    clock.forward(4);
    expect((await lease(zk2, 3, 'some.other.host')).obtained).toBe(true);
  });

  it('is not overtaken after a renewal that moved its end', async () => {
    expect((await lease(zk1, 3)).obtained).toBe(true);
    clock.forward(2);
    expect((await lease(zk1, 3)).obtained).toBe(true);
    clock.forward(2);
    expect((await lease(zk2, 3, 'some.other.host')).obtained).toBe(false);
  });

  it('lets the overtaker renew', async () => {
    expect((await lease(zk1, 3)).obtained).toBe(true);
    clock.forward(4);
    expect((await lease(zk2, 3, 'some.other.host')).obtained).toBe(true);
    clock.forward(2);
    expect((await lease(zk2, 3, 'some.other.host')).obtained).toBe(true);
  });

  it('refuses the first holder once overtaken', async () => {
    expect((await lease(zk1, 3)).obtained).toBe(true);
    clock.forward(4);
    expect((await lease(zk2, 3, 'some.other.host')).obtained).toBe(true);
    clock.forward(2);
    expect((await lease(zk1, 3)).obtained).toBe(false);
  });

  it('leaves a lease of another version alone, even when it has ended', async () => {
    await zk1.create(
      `${path}/lease_holder`,
      '{"version": 2, "holder": "future", "end": "1970-01-01T00:00:13"}',
      {
        makepath: true,
      },
    );
    clock.forward(4);
    expect((await lease(zk2, 3, 'some.other.host')).obtained).toBe(false);
    expect((await zk1.get(`${path}/lease_holder`))[0]?.toString()).toContain('"holder": "future"');
  });

  it('leaves a lease_holder it cannot read alone (not obtained)', async () => {
    await zk1.create(`${path}/lease_holder`, 'not json', { makepath: true });
    expect((await lease(zk2, 3, 'x')).obtained).toBe(false);
    expect((await zk1.get(`${path}/lease_holder`))[0]?.toString()).toBe('not json');
  });

  it('takes over a lease kazoo wrote for a non-ASCII holder, and keeps it from a second client meanwhile', async () => {
    await zk1.create(
      `${path}/lease_holder`,
      '{"version": 1, "holder": "h\\u00f6st", "end": "1970-01-01T00:00:12"}',
      { makepath: true },
    );
    expect((await lease(zk2, 3, 'other')).obtained).toBe(false);
    expect((await lease(zk2, 3, 'höst')).obtained).toBe(true);
    clock.forward(3);
    expect((await lease(zk3, 3, 'other')).obtained).toBe(true);
  });

  it('obtains it although the reply to its lock node create is lost', async () => {
    const [zk, proxy] = await openBehindProxy(pool, server, proxies);
    const l = new NonBlockingLease(zk, path, 3 * SECOND, 'cut', { utcNow: clock.utcNow });
    await zk1.ensurePath(path);
    const obtaining = l.obtain();
    await holdUntilApplied(proxy, async () =>
      (await zk1.getChildren(path)).some((c) => c.includes('__lock__')),
    );
    loseHeldReplies(proxy);
    expect(await withTimeout(obtaining, 15_000, 'obtain')).toBe(true);
    expect(await zk1.getChildren(path)).toEqual(['lease_holder']);
    expect((await zk1.get(`${path}/lease_holder`))[0]?.toString()).toContain('"holder": "cut"');
  });

  it("obtains it although the reply to the lease_holder's create is lost (found again as its own)", async () => {
    const [zk, proxy] = await openBehindProxy(pool, server, proxies);
    const l = new NonBlockingLease(zk, path, 3 * SECOND, 'cut', { utcNow: clock.utcNow });
    const obtaining = l.obtain();
    await holdUntilApplied(proxy, async () => (await zk1.exists(`${path}/lease_holder`)) !== null);
    loseHeldReplies(proxy);
    expect(await withTimeout(obtaining, 15_000, 'obtain')).toBe(true);
    expect(await zk1.getChildren(path)).toEqual(['lease_holder']);
    // Another identifier still finds it busy: the lease really is held.
    expect((await lease(zk2, 3, 'other')).obtained).toBe(false);
  });

  it('refuses a negative or non-finite duration', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new NonBlockingLease(zk1, '/x', bad)).toThrow(InvalidArgumentError);
    }
  });
});

describe('MultiNonBlockingLease', () => {
  it('with one lease: renews', async () => {
    expect((await multi(zk1, 1, 4)).obtained).toBe(true);
    clock.forward(2);
    expect((await multi(zk1, 1, 4)).obtained).toBe(true);
  });

  it('with one lease: refuses a second holder', async () => {
    expect((await multi(zk1, 1, 4)).obtained).toBe(true);
    clock.forward(2);
    expect((await multi(zk2, 1, 4, 'some.other.host')).obtained).toBe(false);
  });

  it('with two leases: two holders renew theirs', async () => {
    expect((await multi(zk1, 2, 7)).obtained).toBe(true);
    clock.forward(2);
    expect((await multi(zk2, 2, 7, 'host2')).obtained).toBe(true);
    clock.forward(2);
    expect((await multi(zk1, 2, 7)).obtained).toBe(true);
    clock.forward(2);
    expect((await multi(zk2, 2, 7, 'host2')).obtained).toBe(true);
    expect((await zk1.getChildren(path)).sort()).toEqual(['0', '1']);
    expect((await zk1.get(`${path}/1/lease_holder`))[0]?.toString()).toContain('"holder": "host2"');
  });

  it('with two leases: refuses a third holder', async () => {
    expect((await multi(zk1, 2, 7)).obtained).toBe(true);
    clock.forward(2);
    expect((await multi(zk2, 2, 7, 'host2')).obtained).toBe(true);
    clock.forward(2);
    expect((await multi(zk3, 2, 7, 'host3')).obtained).toBe(false);
  });

  it('with two leases: hands an ended one over', async () => {
    expect((await multi(zk1, 2, 4)).obtained).toBe(true);
    clock.forward(2);
    expect((await multi(zk2, 2, 4, 'host2')).obtained).toBe(true);
    clock.forward(3);
    expect((await multi(zk3, 2, 4, 'host3')).obtained).toBe(true);
    clock.forward(2);
    expect((await multi(zk1, 2, 4)).obtained).toBe(true);
  });

  it('is bound on the client as kazoo binds it', async () => {
    const l = zk1.MultiNonBlockingLease(2, path, 4 * SECOND, 'bound', { utcNow: clock.utcNow });
    expect(await l.obtain()).toBe(true);
    expect(l.obtained).toBe(true);
    expect((await zk1.get(`${path}/0/lease_holder`))[0]?.toString()).toContain('"holder": "bound"');
  });
});
