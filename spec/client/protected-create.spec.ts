// Curator's protected creates against a real server: the name carries `_c_<uuid>-`, in every mode,
// and the naming helpers read Curator's form back (docs/protocol.md#protected-creates).

import type { ZooKeeperClient } from '../../lib/client/client.js';
import { isProtectedName, protectionIdOf, withoutProtection } from '../../lib/client/protected-names.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, uniqueName } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let server: TestingServer;
const pool = new ClientPool();
let zk: ZooKeeperClient;
let base: string;

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  zk = await pool.open({ hosts: server.connectString });
  base = `/${uniqueName('protected')}`;
  await zk.create(base);
});
afterEach(() => pool.stopAll());

it('names an ephemeral sequential node _c_<uuid>-<name><seq>, as Curator does', async () => {
  const path = await zk.create(`${base}/lock-`, 'me', { protected: true, ephemeral: true, sequence: true });
  const name = path.slice(base.length + 1);
  expect(name).toMatch(/^_c_[0-9a-f-]{36}-lock-\d{10}$/);
  expect(protectionIdOf(name)).toMatch(UUID);
  expect(withoutProtection(name)).toMatch(/^lock-\d{10}$/);
  expect(await zk.getChildren(base)).toEqual([name]);
  const [data, stat] = await zk.get(path);
  expect(data?.toString()).toBe('me');
  expect(stat.ephemeralOwner).toBe(zk.clientId?.sessionId);
});

it('gives each create its own id, and protects plain persistent nodes too (makepath included)', async () => {
  const a = await zk.create(`${base}/x`, undefined, { protected: true });
  const b = await zk.create(`${base}/x`, undefined, { protected: true });
  expect(a).not.toBe(b);
  const deep = await zk.create(`${base}/p/q/node`, 'v', { protected: true, makepath: true });
  expect(deep.startsWith(`${base}/p/q/_c_`)).toBe(true);
  expect(withoutProtection(deep.slice(`${base}/p/q/`.length))).toBe('node');
});

it('refuses a bad path before anything is sent', async () => {
  expect(await rejectionOf(() => zk.create('no-slash', undefined, { protected: true }))).toBeInstanceOf(
    InvalidArgumentError,
  );
});

it('reads names: only a well-formed prefix counts', () => {
  expect(isProtectedName('_c_2f0e6d1a-0b5c-4a9e-8f1e-3c2b1a0d9e8f-lock-0000000001')).toBe(true);
  expect(isProtectedName('_c_not-a-uuid-lock-0000000001')).toBe(false);
  expect(withoutProtection('lock-0000000001')).toBe('lock-0000000001');
  expect(protectionIdOf('lock-0000000001')).toBeUndefined();
});
