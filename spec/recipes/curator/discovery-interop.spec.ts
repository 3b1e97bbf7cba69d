// zookit's ServiceDiscovery beside Curator 5.4's (spec/peers/curator/DiscoveryDriver.java) on one
// server and one base path: the two write the same bytes, each discovers the other's instances
// with every field and payload intact (a Map, a bean, a list, a Long, a string, none), and each
// one's ServiceCache and provider follow the other's instances as they come and go.

import type { ZooKeeperClient } from '../../../lib/client/client.js';
import { JsonInstanceSerializer } from '../../../recipes/curator/discovery/instance-json.js';
import type { ServiceDiscovery } from '../../../recipes/curator/discovery/service-discovery.js';
import {
  type ServiceInstance,
  ServiceType,
  serviceInstance,
} from '../../../recipes/curator/discovery/service-instance.js';
import { buildUriSpec } from '../../../recipes/curator/discovery/uri-spec.js';
import { startTestingServer, type TestingServer } from '../../../testing/testing-server.js';
import { ClientPool, uniqueName, waitUntil } from '../../client/support.js';
import { type CuratorEvent, CuratorPeer } from '../../peers/curator.js';

/** The bean payload class of the driver (Curator's docs' InstanceDetails). */
const DETAILS_CLASS = 'DiscoveryDriver$Details';

/** An instance as the driver describes what Curator read. */
interface CuratorView {
  name: string;
  id: string;
  address: string | null;
  port: number | null;
  sslPort: number | null;
  payload: unknown;
  payloadClass: string | null;
  registrationTimeUTC: number;
  serviceType: string;
  uriSpec: { value: string; variable: boolean }[] | null;
  uri: string;
  enabled: boolean;
}

/** One test instance: zookit's form, its URI template, and what Java object the driver makes of its payload. */
interface Case {
  instance: ServiceInstance;
  template?: string;
  /** `details` for the bean, `long` for a java.lang.Long; otherwise Jackson's plain reading. */
  kind?: 'details' | 'long';
}

let server: TestingServer;
const pool = new ClientPool();
let zk: ZooKeeperClient;
let peer: CuratorPeer;
const basePath = `/${uniqueName('interop-discovery')}`;
const discoveries: ServiceDiscovery<unknown>[] = [];

beforeAll(async () => {
  server = await startTestingServer();
  zk = await pool.open({ hosts: server.connectString });
  peer = await CuratorPeer.start('DiscoveryDriver', server.connectString);
  await peer.request('start', { basePath });
}, 60_000);
afterEach(async () => {
  await Promise.all(discoveries.splice(0).map((d) => d.close().catch(() => undefined)));
});
afterAll(async () => {
  await peer?.stop();
  await pool.stopAll();
  await server?.close();
});

function discovery(options: { payloadClass?: string; compatible?: boolean } = {}): ServiceDiscovery {
  const made = zk.ServiceDiscovery({
    basePath,
    serializer: new JsonInstanceSerializer({
      payloadClass: options.payloadClass,
      compatibleSerializationMode: options.compatible ?? true,
    }),
  });
  discoveries.push(made);
  return made;
}

/** The cases of service `name`: every payload kind, URI templates, both port kinds, persistent and ephemeral. */
function cases(name: string): Case[] {
  const make = (id: string, payload: unknown, extra: Partial<Parameters<typeof serviceInstance>[0]> = {}) =>
    serviceInstance({
      name,
      id,
      address: '127.0.0.1',
      registrationTimeUTC: 1_700_000_000_123,
      payload,
      ...extra,
    });
  return [
    {
      instance: make(
        'a-map',
        { region: 'eu-west', weight: 3, tags: ['x', 'y'], nested: { on: true, none: null } },
        {
          port: 8080,
          sslPort: 8443,
          uriSpec: '{scheme}://{address}:{ssl-port}/{name}{[}v1{]}',
        },
      ),
      template: '{scheme}://{address}:{ssl-port}/{name}{[}v1{]}',
    },
    { instance: make('b-none', null, { serviceType: ServiceType.STATIC, address: null }) },
    { instance: make('c-list', ['one', 2, { three: 3 }], { port: 1 }) },
    { instance: make('d-long', 5_000_000_000), kind: 'long' },
    { instance: make('e-string', 'plain text, ünïcödé 😀', { address: 'hôte.example' }) },
    { instance: make('f-int', 42) },
  ];
}

/** The bean case: written with the driver's payload class. */
function beanCase(name: string): Case {
  return {
    instance: serviceInstance({
      name,
      id: 'g-bean',
      address: '127.0.0.1',
      port: 9000,
      registrationTimeUTC: 1_700_000_000_456,
      payload: { region: 'us-east', weight: 7 },
    }),
    kind: 'details',
  };
}

/** The command arguments that make the same instance in the driver. */
function forDriver({ instance, template, kind }: Case): Record<string, unknown> {
  return { ...instance, uriSpec: template ?? null, payloadKind: kind };
}

/** The Java class Curator should read the case's payload as. */
function javaClassOf({ instance, kind }: Case): string | null {
  if (kind === 'details') return DETAILS_CLASS;
  if (kind === 'long') return 'java.lang.Long';
  const payload = instance.payload;
  if (payload === null) return null;
  if (Array.isArray(payload)) return 'java.util.ArrayList';
  if (typeof payload === 'object') return 'java.util.LinkedHashMap';
  return typeof payload === 'string' ? 'java.lang.String' : 'java.lang.Integer';
}

/** What Curator should report having read of the case. */
function expectedView(c: Case): CuratorView {
  const { instance } = c;
  return {
    name: instance.name,
    id: instance.id,
    address: instance.address,
    port: instance.port,
    sslPort: instance.sslPort,
    payload: instance.payload,
    payloadClass: javaClassOf(c),
    registrationTimeUTC: instance.registrationTimeUTC,
    serviceType: instance.serviceType,
    uriSpec: instance.uriSpec === null ? null : [...instance.uriSpec.parts],
    uri: buildUriSpec(instance),
    enabled: instance.enabled,
  };
}

it('writes the bytes Curator writes, for every kind of payload', async () => {
  const plain = new JsonInstanceSerializer();
  for (const c of [...cases('bytes'), beanCase('bytes')]) {
    const ours = c.kind === 'details' ? new JsonInstanceSerializer({ payloadClass: DETAILS_CLASS }) : plain;
    const curators = await peer.request<string>('serialize', { instance: forDriver(c) });
    expect(ours.serialize(c.instance).toString('utf8')).toBe(curators);
  }
}, 30_000);

it("is discovered by Curator's ServiceDiscovery with every field and payload intact", async () => {
  const name = 'from-zookit';
  const plain = discovery();
  const beans = discovery({ payloadClass: DETAILS_CLASS });
  const all = [...cases(name), beanCase(name)];
  for (const c of all) await (c.kind === 'details' ? beans : plain).registerService(c.instance);
  const seen = await peer.request<CuratorView[]>('query', { name });
  expect(seen).toEqual(all.map(expectedView));
  expect(await peer.request<string[]>('names')).toContain(name);
  const one = await peer.request<CuratorView>('queryOne', { name, instanceId: 'a-map' });
  expect(one.uri).toBe('https://127.0.0.1:8443/from-zookit{v1}');
}, 30_000);

it("discovers Curator's instances with every field and payload intact", async () => {
  const name = 'from-curator';
  const all = [...cases(name), beanCase(name)];
  for (const c of all) await peer.request('register', { instance: forDriver(c) });
  const found = await discovery().queryForInstances(name);
  expect(found).toEqual(all.map((c) => c.instance));
  // The znode holds exactly what zookit would have written.
  const [data] = await zk.get(`${basePath}/${name}/g-bean`);
  expect(data?.toString('utf8')).toBe(
    new JsonInstanceSerializer({ payloadClass: DETAILS_CLASS })
      .serialize(beanCase(name).instance)
      .toString('utf8'),
  );
  for (const c of all) await peer.request('unregister', { instance: forDriver(c) });
}, 30_000);

it("carries 'enabled' when zookit writes it (compatibleSerializationMode: false): Curator's provider skips the disabled instance", async () => {
  const name = 'enabled';
  const full = discovery({ compatible: false });
  const on = serviceInstance({ name, id: 'on', address: '127.0.0.1' });
  const off = serviceInstance({ name, id: 'off', address: '127.0.0.1', enabled: false });
  await full.registerService(on);
  await full.registerService(off);
  const seen = await peer.request<CuratorView[]>('query', { name });
  expect(seen.map((v) => [v.id, v.enabled])).toEqual([
    ['off', false],
    ['on', true],
  ]);
  await peer.request('provider', { name });
  expect((await peer.request<CuratorView[]>('providerAll', { name })).map((v) => v.id)).toEqual(['on']);
}, 30_000);

it("is followed by Curator's ServiceCache and provider as zookit's instances come and go", async () => {
  const name = 'followed-by-curator';
  const isChange = (count: number) => (e: CuratorEvent) =>
    e.event === 'cacheChanged' && e.name === name && (e.instances as unknown[]).length === count;
  expect(await peer.request('cache', { name })).toEqual([]);
  await peer.request('provider', { name, strategy: 'roundRobin' });
  const since = peer.events.length;
  const ours = discovery();
  const [c] = cases(name) as [Case];
  await ours.registerService(c.instance);
  const added = await peer.waitFor(isChange(1), 'the cache to see the instance', { since });
  expect(added.instances).toEqual([expectedView(c)]);
  await waitUntil(async () => (await peer.request('providerGet', { name })) !== null, "Curator's provider");
  expect(await peer.request('providerGet', { name })).toEqual(expectedView(c));
  await ours.unregisterService(c.instance);
  await peer.waitFor(isChange(0), 'the cache to see it go', { since: peer.events.indexOf(added) + 1 });
  expect(await peer.request('providerGet', { name })).toBeNull();
}, 30_000);

it("follows Curator's instances as they come and go, in a ServiceCache and a provider", async () => {
  const name = 'followed-by-zookit';
  const ours = discovery();
  const cache = ours.serviceCache(name);
  await cache.start();
  const provider = ours.serviceProvider(name, { strategy: 'sticky' });
  await provider.start();
  const [c] = cases(name) as [Case];
  await peer.request('register', { instance: forDriver(c) });
  await waitUntil(() => cache.getInstances().length === 1, 'the cache to see the instance');
  expect(cache.getInstances()).toEqual([c.instance]);
  await waitUntil(() => provider.getInstance() !== undefined, 'the provider to offer it');
  expect(provider.getInstance()).toEqual(c.instance);
  await peer.request('unregister', { instance: forDriver(c) });
  await waitUntil(() => cache.getInstances().length === 0, 'the cache to see it go');
  await waitUntil(() => provider.getInstance() === undefined, 'the provider to drop it');
}, 30_000);
