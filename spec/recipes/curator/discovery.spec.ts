// ServiceDiscovery on a real server: Curator's behaviours from its TestServiceDiscovery and
// TestWatchedInstances, one test each, the layout and JSON read back from the znodes, and the
// faults: a session expired on the server (the instances come back in the new session), a
// reconnect in the same session (nothing churns; a node deleted meanwhile comes back), a start or
// an unregister while the server is out of reach.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { EventType } from '../../../protocol/index.js';
import { JsonInstanceSerializer } from '../../../recipes/curator/discovery/instance-json.js';
import type {
  ServiceDiscovery,
  ServiceDiscoveryOptions,
} from '../../../recipes/curator/discovery/service-discovery.js';
import {
  type ServiceInstance,
  type ServiceInstanceInit,
  ServiceType,
  serviceInstance,
} from '../../../recipes/curator/discovery/service-instance.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { StateRecorder } from '../../client/fault-support.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../../client/support.js';
import { type CuttableProxy, containerChildren, expireWhileAway, openBehindProxy } from '../support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: CuttableProxy[] = [];
const discoveries: ServiceDiscovery<unknown>[] = [];
let zk: ZooKeeperClient;

beforeAll(async () => {
  server = await startTestingServer();
  zk = await pool.open({ hosts: server.connectString });
});
afterEach(async () => {
  await Promise.all(discoveries.splice(0).map((d) => d.close().catch(() => undefined)));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});
afterAll(async () => {
  await pool.stopAll();
  await server?.close();
});

/** A discovery on `client` under a fresh base path, closed after the test. */
function discoveryOn<P = unknown>(
  client: ZooKeeperClient,
  options: Partial<ServiceDiscoveryOptions<P>> = {},
): ServiceDiscovery<P> {
  const discovery = client.ServiceDiscovery<P>({ basePath: `/${uniqueName('discovery')}`, ...options });
  discoveries.push(discovery as ServiceDiscovery<unknown>);
  return discovery;
}

/** An instance on 127.0.0.1 (tests never look up the host's own address). */
function instance<P = unknown>(init: ServiceInstanceInit<P>): ServiceInstance<P> {
  return serviceInstance({ address: '127.0.0.1', ...init });
}

const serializer = new JsonInstanceSerializer();

describe("ServiceDiscovery (Curator's TestServiceDiscovery)", () => {
  it("registers thisInstance on start as an ephemeral <base>/<name>/<id> holding Curator's JSON (testBasic)", async () => {
    const thing = instance({
      name: 'test',
      payload: 'thing',
      port: 10064,
      uriSpec: '{scheme}://{address}:{port}',
    });
    const discovery = discoveryOn(zk, { thisInstance: thing });
    await discovery.start();
    expect(await discovery.queryForNames()).toEqual(['test']);
    expect(await discovery.queryForInstances('test')).toEqual([thing]);
    expect(await discovery.queryForInstance('test', thing.id)).toEqual(thing);
    expect(await discovery.queryForInstance('test', 'nobody')).toBeUndefined();

    const [data, stat] = await zk.get(`${discovery.basePath}/test/${thing.id}`);
    expect(data?.toString('utf8')).toBe(serializer.serialize(thing).toString('utf8'));
    expect(JSON.parse(data!.toString('utf8'))).toMatchObject({ payload: 'thing', serviceType: 'DYNAMIC' });
    expect(Object.keys(JSON.parse(data!.toString('utf8')))).toEqual([
      'name',
      'id',
      'address',
      'port',
      'sslPort',
      'payload',
      'registrationTimeUTC',
      'serviceType',
      'uriSpec',
    ]);
    expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
  });

  it('registers several instances of several services and queries each service (testMultipleInstances)', async () => {
    const discovery = discoveryOn(zk);
    await discovery.start();
    const one = [instance({ name: 'one', id: 'a' }), instance({ name: 'one', id: 'b' })];
    const two = [instance({ name: 'two', id: 'c' }), instance({ name: 'two', id: 'd' })];
    for (const i of [...one, ...two]) await discovery.registerService(i);
    expect(await discovery.queryForNames()).toEqual(['one', 'two']);
    expect(await discovery.queryForInstances('one')).toEqual(one);
    expect(await discovery.queryForInstances('two')).toEqual(two);
    expect(await discovery.queryForInstances('three')).toEqual([]);
  });

  it('makes STATIC and PERMANENT instances persistent and DYNAMIC_SEQUENTIAL ones `<id><sequence>`, each found, updated and removed by its path', async () => {
    const discovery = discoveryOn(zk);
    await discovery.start();
    const fixed = instance({ name: 'kinds', id: 'static', serviceType: ServiceType.STATIC });
    const permanent = instance({ name: 'kinds', id: 'permanent', serviceType: ServiceType.PERMANENT });
    const sequential = instance({ name: 'kinds', id: 'seq-', serviceType: ServiceType.DYNAMIC_SEQUENTIAL });
    for (const i of [fixed, permanent, sequential]) await discovery.registerService(i);
    const children = (await zk.getChildren(`${discovery.basePath}/kinds`)).sort();
    expect(children).toEqual(['permanent', expect.stringMatching(/^seq-\d{10}$/), 'static']);
    for (const name of ['static', 'permanent'])
      expect((await zk.get(`${discovery.basePath}/kinds/${name}`))[1].ephemeralOwner).toBe(0n);
    const sequentialPath = `${discovery.basePath}/kinds/${children[1]}`;
    expect((await zk.get(sequentialPath))[1].ephemeralOwner).toBe(zk.clientId?.sessionId);

    await discovery.updateService({ ...sequential, port: 7 });
    expect(serializer.deserialize((await zk.get(sequentialPath))[0]!).port).toBe(7);
    // Curator deletes `<name>/<id>` here, which does not exist, and the node stays.
    await discovery.unregisterService(sequential);
    expect(await zk.exists(sequentialPath)).toBeNull();
  });

  it('deletes a node already at the path and creates it again, so watchers see the registration (Curator: "must delete then re-create")', async () => {
    const discovery = discoveryOn(zk);
    const taken = instance({ name: 'svc', id: 'taken' });
    const path = `${discovery.basePath}/svc/taken`;
    await zk.create(path, 'left over', { makepath: true });
    const [, before] = await zk.get(path);
    const events: EventType[] = [];
    await zk.exists(path, (event) => {
      events.push(event.type);
    });
    await discovery.start();
    await discovery.registerService(taken);
    const [data, after] = await zk.get(path);
    expect(data?.toString()).toBe(serializer.serialize(taken).toString());
    expect(after.czxid).not.toBe(before.czxid);
    expect(after.ephemeralOwner).toBe(zk.clientId?.sessionId);
    await waitUntil(() => events.length > 0, 'the watch');
    expect(events[0]).toBe(EventType.NodeDeleted);
  });

  it('updateService writes the new fields into the same node', async () => {
    const thing = instance({ name: 'svc', payload: { version: 1 } });
    const discovery = discoveryOn(zk, { thisInstance: thing });
    await discovery.start();
    const path = `${discovery.basePath}/svc/${thing.id}`;
    const [, before] = await zk.get(path);
    const changed = { ...thing, payload: { version: 2 } };
    await discovery.updateService(changed);
    const [, after] = await zk.get(path);
    expect(after.czxid).toBe(before.czxid);
    expect(await discovery.queryForInstance('svc', thing.id)).toEqual(changed);
    expect(discovery.registeredInstance(thing.id)).toEqual(changed);
    await expect(discovery.updateService(instance({ name: 'svc', id: 'unknown' }))).rejects.toThrow(
      /not registered/,
    );
  });

  it('unregisterService deletes the node and forgets the instance (testCleaning)', async () => {
    const thing = instance({ name: 'test' });
    const discovery = discoveryOn(zk, { thisInstance: thing });
    await discovery.start();
    await discovery.unregisterService(thing);
    expect(discovery.registeredInstance(thing.id)).toBeUndefined();
    expect(await discovery.queryForInstances('test')).toEqual([]);
    await discovery.unregisterService(thing.id); // again: nothing to do
  });

  it('close() unregisters every instance it registered, persistent ones too (as Curator)', async () => {
    const discovery = discoveryOn(zk);
    await discovery.start();
    await discovery.registerService(instance({ name: 'svc', id: 'dynamic' }));
    await discovery.registerService(instance({ name: 'svc', id: 'static', serviceType: ServiceType.STATIC }));
    await discovery.close();
    expect(await containerChildren(zk, `${discovery.basePath}/svc`)).toEqual([]);
    await expect(discovery.registerService(instance({ name: 'svc' }))).rejects.toThrow(/closed/);
  });

  it('with watchInstances, adopts what another client writes to its node (TestWatchedInstances)', async () => {
    const other = await pool.open({ hosts: server.connectString });
    const thing = instance({ name: 'test', payload: 'thing', port: 10064 });
    const discovery = discoveryOn(zk, { thisInstance: thing, watchInstances: true });
    await discovery.start();
    const changed = { ...thing, payload: 'different' };
    await other.set(`${discovery.basePath}/test/${thing.id}`, serializer.serialize(changed));
    await waitUntil(
      () => discovery.registeredInstance(thing.id)?.payload === 'different',
      'the change adopted',
    );
    expect(discovery.registeredInstance(thing.id)).toEqual(changed);
  });
});

describe('ServiceDiscovery through faults', () => {
  it('registers every instance again after its session expired on the server (testCrashedInstance)', async () => {
    const [client, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 4000 });
    const recorder = new StateRecorder(client);
    const watcher = await pool.open({ hosts: server.connectString });
    const dynamic = instance({ name: 'crash', id: 'dynamic' });
    const sequential = instance({ name: 'crash', id: 'seq-', serviceType: ServiceType.DYNAMIC_SEQUENTIAL });
    const fixed = instance({ name: 'crash', id: 'static', serviceType: ServiceType.STATIC });
    const discovery = discoveryOn(client, { thisInstance: dynamic });
    await discovery.start();
    await discovery.registerService(sequential);
    await discovery.registerService(fixed);
    const base = `${discovery.basePath}/crash`;
    const before = client.clientId!.sessionId;
    const [, fixedBefore] = await watcher.get(`${base}/static`);

    await expireWhileAway(server, client, proxy, recorder);
    const after = client.clientId!.sessionId;
    expect(after).not.toBe(before);
    const owners = async (): Promise<Map<string, bigint>> => {
      const names = await watcher.getChildren(base);
      const stats = await Promise.all(names.map(async (name) => (await watcher.get(`${base}/${name}`))[1]));
      return new Map(names.map((name, i) => [name.replace(/\d{10}$/, ''), stats[i]!.ephemeralOwner]));
    };
    await waitUntil(async () => {
      const now = await owners();
      return now.get('dynamic') === after && now.get('seq-') === after && now.size === 3;
    }, 'the instances back in the new session');
    // The persistent one outlived the session: it is left as it was.
    expect((await watcher.get(`${base}/static`))[1].czxid).toBe(fixedBefore.czxid);
    expect(await discovery.queryForInstances('crash')).toHaveLength(3);
  });

  it('leaves its nodes alone after a reconnect in the same session (Curator re-creates each), and makes one deleted meanwhile again', async () => {
    const [client, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const recorder = new StateRecorder(client);
    const watcher = await pool.open({ hosts: server.connectString });
    const kept = instance({ name: 'blip', id: 'kept' });
    const deleted = instance({ name: 'blip', id: 'deleted' });
    const discovery = discoveryOn(client);
    await discovery.start();
    await discovery.registerService(kept);
    await discovery.registerService(deleted);
    const base = `${discovery.basePath}/blip`;
    const [, keptBefore] = await watcher.get(`${base}/kept`);
    const session = client.clientId!.sessionId;

    recorder.clear();
    proxy.block();
    await recorder.waitForState('SUSPENDED', 10_000);
    await watcher.delete(`${base}/deleted`); // someone removed it while we were away
    proxy.unblock();
    await recorder.waitForState('CONNECTED', 10_000);
    expect(client.clientId?.sessionId).toBe(session);
    await waitUntil(async () => (await watcher.exists(`${base}/deleted`)) !== null, 'the deleted node back');
    expect((await watcher.get(`${base}/kept`))[1].czxid).toBe(keptBefore.czxid);
  });

  it('registers once the server is reachable when started while it is not (testNoServerOnStart)', async () => {
    const [client, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const recorder = new StateRecorder(client);
    const thing = instance({ name: 'late' });
    const discovery = discoveryOn(client, { thisInstance: thing });
    proxy.block();
    await recorder.waitForState('SUSPENDED', 10_000);
    const started = discovery.start();
    await sleep(500);
    proxy.unblock();
    await started;
    expect(await zk.exists(`${discovery.basePath}/late/${thing.id}`)).not.toBeNull();
  });

  it('an unregister made while disconnected deletes the node after the reconnect', async () => {
    const [client, proxy] = await openBehindProxy(pool, server, proxies, { sessionTimeout: 10_000 });
    const recorder = new StateRecorder(client);
    const thing = instance({ name: 'gone', serviceType: ServiceType.STATIC });
    const discovery = discoveryOn(client, { thisInstance: thing });
    await discovery.start();
    const path = `${discovery.basePath}/gone/${thing.id}`;
    proxy.block();
    await recorder.waitForState('SUSPENDED', 10_000);
    const unregistered = discovery.unregisterService(thing);
    await sleep(300);
    expect(await zk.exists(path)).not.toBeNull();
    proxy.unblock();
    await unregistered;
    await waitUntil(async () => (await zk.exists(path)) === null, 'the node deleted');
  });
});
