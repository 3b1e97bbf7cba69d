// Party and ShallowParty against a real server: kazoo's behaviours (its test_party cases), the
// layouts read back (`<32-hex>__party__` with the identifier as data; `<32-hex>-<identifier>`), and
// the option kazoo lacks: `rejoinAfterExpiry` makes a member come back after its session expired
// (off by default, as kazoo, whose member is gone for good).
import type { ZooKeeperClient } from '../../lib/client/client.js';
import { Party, ShallowParty } from '../../recipes/party.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { StateRecorder } from '../client/fault-support.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../client/support.js';
import { type CuttableProxy, expireWhileAway, openBehindProxy } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];

const open = (): Promise<ZooKeeperClient> => pool.open({ hosts: server.connectString });

beforeAll(async () => {
  server = await startTestingServer();
});

afterEach(async () => {
  await pool.stopAll();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await server?.close();
});

/** Every member, by `for await`. */
async function collect(party: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const member of party) out.push(member);
  return out.sort();
}

describe('Party', () => {
  it("lists its members' identifiers; joins and leaves; the layout is kazoo's (test_party)", async () => {
    const [a, b] = [await open(), await open()];
    const path = `/${uniqueName('party')}`;
    const parties = [a.Party(path, 'p1'), b.Party(path, 'p2'), new Party(b, path, 'p3')];
    expect(await parties[0]!.members()).toEqual([]);
    expect(await parties[0]!.size()).toBe(0);
    for (const party of parties) await party.join();
    await parties[0]!.join();
    expect(await collect(parties[0]!)).toEqual(['p1', 'p2', 'p3']);
    expect(await parties[1]!.size()).toBe(3);
    const names = await a.getChildren(path);
    expect(names.sort()).toEqual(parties.map((p) => p.node).sort());
    for (const name of names) expect(name).toMatch(/^[0-9a-f]{32}__party__$/);
    const [data, stat] = await a.get(`${path}/${parties[1]!.node}`);
    expect(data?.toString()).toBe('p2');
    expect(stat.ephemeralOwner).toBe(b.clientId?.sessionId);
    // A child that is not a member (no `__party__`) is not counted.
    await a.create(`${path}/other`, 'x');
    expect(await parties[0]!.size()).toBe(3);
    expect(await parties[1]!.leave()).toBe(true);
    expect(await parties[1]!.leave()).toBe(false);
    expect(parties[1]!.participating).toBe(false);
    expect(await collect(parties[2]!)).toEqual(['p1', 'p3']);
  });

  it('loses a member whose client stops (test_party_expiring) and, by default, one whose session expired', async () => {
    const [a, b] = [await open(), await open()];
    const [c, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 4000 });
    const recorder = new StateRecorder(c);
    const path = `/${uniqueName('party')}`;
    await a.Party(path, 'a').join();
    await b.Party(path, 'b').join();
    const expiring = c.Party(path, 'c');
    await expiring.join();
    expect(await a.Party(path).size()).toBe(3);
    await b.stop();
    await expireWhileAway(server, c, proxy, recorder);
    await sleep(300);
    expect(await a.Party(path).members()).toEqual(['a']);
    expect(expiring.participating).toBe(true);
  });

  it("with rejoinAfterExpiry, joins again in the new session (kazoo's member is gone for good); leave ends it", async () => {
    const watcher = await open();
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 4000 });
    const recorder = new StateRecorder(zk);
    const path = `/${uniqueName('party')}`;
    const member = zk.Party(path, 'comeback', { rejoinAfterExpiry: true });
    await member.join();
    const before = zk.clientId?.sessionId;
    await expireWhileAway(server, zk, proxy, recorder);
    await waitUntil(
      async () => (await watcher.Party(path).members()).includes('comeback'),
      'the member back',
    );
    const [, stat] = await watcher.get(`${path}/${member.node}`);
    expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
    expect(stat.ephemeralOwner).not.toBe(before);
    expect(await member.leave()).toBe(true);
    await expireWhileAway(server, zk, proxy, recorder);
    await sleep(300);
    expect(await watcher.Party(path).members()).toEqual([]);
  });

  it('leaves on `await using`', async () => {
    const zk = await open();
    const path = `/${uniqueName('party')}`;
    {
      await using member = zk.Party(path, 'scoped');
      await member.join();
      expect(await member.members()).toEqual(['scoped']);
    }
    expect(await zk.getChildren(path)).toEqual([]);
  });
});

describe('ShallowParty', () => {
  it('names its members `<uuid>-<identifier>` and lists them from the names alone; counts every child (test_shallow_party)', async () => {
    const [a, b] = [await open(), await open()];
    const path = `/${uniqueName('shallow')}`;
    const parties = [
      a.ShallowParty(path, 'p1'),
      b.ShallowParty(path, 'p-2'),
      new ShallowParty(b, path, 'p3'),
    ];
    for (const party of parties) await party.join();
    expect(await collect(parties[0]!)).toEqual(['p-2', 'p1', 'p3']);
    const names = await a.getChildren(path);
    expect(names.sort()).toEqual(parties.map((p) => p.node).sort());
    for (const name of names) expect(name).toMatch(/^[0-9a-f]{32}-p(1|-2|3)$/);
    const [data] = await a.get(`${path}/${parties[0]!.node}`);
    expect(data?.toString()).toBe('p1');
    expect(await parties[2]!.size()).toBe(3);
    expect(await parties[0]!.leave()).toBe(true);
    expect((await parties[1]!.members()).sort()).toEqual(['p-2', 'p3']);
    // kazoo's ShallowParty counts every child of its node.
    await a.create(`${path}/other`);
    expect(await parties[1]!.size()).toBe(3);
  });

  it('with rejoinAfterExpiry, joins again after its session expired', async () => {
    const watcher = await open();
    const [zk, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 4000 });
    const recorder = new StateRecorder(zk);
    const path = `/${uniqueName('shallow')}`;
    const member = zk.ShallowParty(path, 'back', { rejoinAfterExpiry: true });
    await member.join();
    await expireWhileAway(server, zk, proxy, recorder);
    await waitUntil(
      async () => (await watcher.ShallowParty(path).members()).includes('back'),
      'the member back',
    );
  });
});
