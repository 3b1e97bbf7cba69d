// ServiceCache and ServiceProvider on a real server: Curator's TestServiceCache and
// TestServiceProvider, one behaviour each, and a cache that sees an instance appear and go when
// the client that registered it goes away.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { JsonInstanceSerializer } from '../../../recipes/curator/discovery/instance-json.js';
import { RoundRobinStrategy } from '../../../recipes/curator/discovery/provider-strategies.js';
import type { ServiceCache } from '../../../recipes/curator/discovery/service-cache.js';
import type {
  ServiceDiscovery,
  ServiceDiscoveryOptions,
} from '../../../recipes/curator/discovery/service-discovery.js';
import {
  type ServiceInstance,
  type ServiceInstanceInit,
  serviceInstance,
} from '../../../recipes/curator/discovery/service-instance.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../../client/support.js';

let server: TestingServer;
const pool = new ClientPool();
const discoveries: ServiceDiscovery<unknown>[] = [];
let zk: ZooKeeperClient;

beforeAll(async () => {
  server = await startTestingServer();
  zk = await pool.open({ hosts: server.connectString });
});
afterEach(async () => {
  await Promise.all(discoveries.splice(0).map((d) => d.close().catch(() => undefined)));
});
afterAll(async () => {
  await pool.stopAll();
  await server?.close();
});

function discoveryOn<P = unknown>(
  client: ZooKeeperClient,
  basePath: string,
  options: Partial<ServiceDiscoveryOptions<P>> = {},
): ServiceDiscovery<P> {
  const discovery = client.ServiceDiscovery<P>({ basePath, ...options });
  discoveries.push(discovery as ServiceDiscovery<unknown>);
  return discovery;
}

function instance<P = unknown>(init: ServiceInstanceInit<P>): ServiceInstance<P> {
  return serviceInstance({ address: '127.0.0.1', ...init });
}

/** The cache's events, in order, as `type:id`. */
function record<P>(cache: ServiceCache<P>): string[] {
  const seen: string[] = [];
  cache.on('instanceAdded', (i) => seen.push(`added:${i.id}`));
  cache.on('instanceUpdated', (i) => seen.push(`updated:${i.id}`));
  cache.on('instanceRemoved', (i) => seen.push(`removed:${i.id}`));
  cache.on('cacheChanged', () => seen.push('changed'));
  return seen;
}

describe("ServiceCache (Curator's TestServiceCache)", () => {
  it('starts with every instance already registered (testInitialLoad), reporting none of them as changes', async () => {
    const discovery = discoveryOn(zk, `/${uniqueName('discovery')}`);
    await discovery.start();
    const three = ['a', 'b', 'c'].map((id, i) =>
      instance({ name: 'test', id, payload: 'test', port: 10064 + i }),
    );
    for (const i of three) await discovery.registerService(i);
    const cache = discovery.serviceCache('test');
    const seen = record(cache);
    await cache.start();
    expect(cache.getInstances()).toEqual(three);
    await sleep(200);
    expect(seen).toEqual([]);
  });

  it('reports each instance that comes and goes, once, and nothing of another service (testCache)', async () => {
    const discovery = discoveryOn(zk, `/${uniqueName('discovery')}`);
    await discovery.start();
    const cache = discovery.serviceCache('test');
    const seen = record(cache);
    await cache.start(); // the service's node does not exist yet: the cache makes it
    expect(cache.getInstances()).toEqual([]);
    await discovery.registerService(instance({ name: 'test', id: 'one', port: 10064 }));
    await discovery.registerService(instance({ name: 'test', id: 'two', port: 10065 }));
    await discovery.registerService(instance({ name: 'another', id: 'three', port: 10064 }));
    await discovery.unregisterService('one');
    await waitUntil(() => seen.length >= 6, 'three changes');
    await sleep(200);
    expect(seen).toEqual(['added:one', 'changed', 'added:two', 'changed', 'removed:one', 'changed']);
    expect(cache.getInstances().map((i) => i.id)).toEqual(['two']);
  });

  it('sees an updateService as an update of the instance (testUpdate)', async () => {
    const thing = instance({ name: 'test', payload: 'thing', port: 10064 });
    const discovery = discoveryOn(zk, `/${uniqueName('discovery')}`, { thisInstance: thing });
    await discovery.start();
    const cache = discovery.serviceCache('test');
    const seen = record(cache);
    await cache.start();
    await discovery.updateService({ ...thing, payload: 'changed' });
    await waitUntil(() => seen.includes('changed'), 'the change');
    expect(seen).toEqual([`updated:${thing.id}`, 'changed']);
    expect(cache.getInstances().map((i) => i.payload)).toEqual(['changed']);
  });

  it("sees another client's instance appear, and go when that client's session ends", async () => {
    const base = `/${uniqueName('discovery')}`;
    const other = await pool.open({ hosts: server.connectString });
    const cache = discoveryOn(zk, base).serviceCache('svc');
    const seen = record(cache);
    await cache.start();
    const remote = discoveryOn(other, base);
    await remote.start();
    await remote.registerService(instance({ name: 'svc', id: 'remote' }));
    await waitUntil(() => cache.getInstances().length === 1, 'the instance seen');
    await other.stop();
    await waitUntil(() => cache.getInstances().length === 0, 'the instance gone');
    expect(seen).toEqual(['added:remote', 'changed', 'removed:remote', 'changed']);
  });

  it('reports a node that is not an instance as an error and leaves it out', async () => {
    const discovery = discoveryOn(zk, `/${uniqueName('discovery')}`);
    await discovery.start();
    const cache = discovery.serviceCache('svc');
    const errors: unknown[] = [];
    cache.on('error', (error) => errors.push(error));
    await cache.start();
    await zk.create(`${discovery.basePath}/svc/junk`, 'not json');
    await discovery.registerService(instance({ name: 'svc', id: 'real' }));
    await waitUntil(
      () => cache.getInstances().length === 1 && errors.length === 1,
      'the instance and the error',
    );
    expect(String((errors[0] as Error).message)).toMatch(/svc\/junk is not a service instance/);
  });
});

describe("ServiceProvider (Curator's TestServiceProvider)", () => {
  it('hands out the registered instance, and lists it (testBasic, testViaProvider)', async () => {
    const thing = instance({ name: 'test', payload: 'thing', port: 10064 });
    const discovery = discoveryOn(zk, `/${uniqueName('discovery')}`, { thisInstance: thing });
    await discovery.start();
    const provider = discovery.serviceProvider('test');
    await provider.start();
    expect(provider.strategy).toBeInstanceOf(RoundRobinStrategy);
    expect(provider.getInstance()).toEqual(thing);
    expect(provider.getAllInstances()).toEqual([thing]);
    const second = instance({ name: 'test', address: 'foo', payload: 'thing', port: 10064 });
    await discovery.registerService(second);
    await waitUntil(() => provider.getAllInstances().length === 2, 'both instances');
  });

  it('never hands out a disabled instance (testDisabledInstance)', async () => {
    const disabled = instance({ name: 'test', enabled: false });
    const discovery = discoveryOn(zk, `/${uniqueName('discovery')}`, {
      thisInstance: disabled,
      serializer: new JsonInstanceSerializer({ compatibleSerializationMode: false }),
    });
    await discovery.start();
    const provider = discovery.serviceProvider('test');
    await provider.start();
    expect(provider.getInstance()).toBeUndefined();
    expect(provider.getAllInstances()).toEqual([]);
  });

  it('takes turns over the instances, leaves out one noted down, and applies its own filters', async () => {
    const discovery = discoveryOn(zk, `/${uniqueName('discovery')}`);
    await discovery.start();
    for (const id of ['a', 'b', 'c']) await discovery.registerService(instance({ name: 'svc', id, port: 1 }));
    const provider = discovery.serviceProvider('svc', {
      downInstancePolicy: { timeoutMs: 60_000, errorThreshold: 2 },
      filters: [(i) => i.id !== 'c'],
    });
    await provider.start();
    expect([1, 2, 3, 4].map(() => provider.getInstance()?.id)).toEqual(['a', 'b', 'a', 'b']);
    const a = provider.getAllInstances()[0]!;
    provider.noteError(a);
    expect(provider.getAllInstances().map((i) => i.id)).toEqual(['a', 'b']); // one error is under the threshold
    provider.noteError(a);
    expect(provider.getAllInstances().map((i) => i.id)).toEqual(['b']);
    expect([1, 2].map(() => provider.getInstance()?.id)).toEqual(['b', 'b']);
  });

  it('is closed with its discovery', async () => {
    const discovery = discoveryOn(zk, `/${uniqueName('discovery')}`);
    await discovery.start();
    const provider = discovery.serviceProvider('svc', { strategy: 'sticky' });
    await provider.start();
    await discovery.close();
    await discovery.registerService(instance({ name: 'svc' })).catch(() => undefined);
    const other = discoveryOn(await pool.open({ hosts: server.connectString }), discovery.basePath);
    await other.registerService(instance({ name: 'svc', id: 'late' }));
    await sleep(300);
    expect(provider.getAllInstances()).toEqual([]);
  });
});
