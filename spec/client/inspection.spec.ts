// What a client shows when it is printed: util.inspect, console.log and JSON.stringify give where it
// points and its state, and never a credential — not the digest password of authData or addAuth,
// not the session password, not a TLS key or its passphrase.

import { format, inspect } from 'node:util';
import type { ZooKeeperClient } from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool } from './support.js';

let server: TestingServer;
const pool = new ClientPool();

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => pool.stopAll());

/** Every way a client ends up in a log line. */
function printed(zk: ZooKeeperClient): string[] {
  return [
    inspect(zk),
    inspect(zk, { depth: Number.POSITIVE_INFINITY, showHidden: true, getters: true }),
    inspect({ nested: { client: zk } }, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    format('%o %O %s %j', zk, zk, zk, zk),
    JSON.stringify(zk),
    JSON.stringify({ client: zk }),
    String(zk),
  ];
}

describe('a printed client', () => {
  it('shows hosts, chroot, state and session id, and no credential', async () => {
    const zk = await pool.open({
      hosts: `${server.connectString}/app`,
      authData: [['digest', 'alice:ctor-Pa55-2c81']],
    });
    await zk.ensurePath('/');
    await zk.addAuth('digest', 'bob:added-Pa55-93e0');
    const { sessionId, password } = zk.clientId!;
    const secrets = [
      'ctor-Pa55-2c81',
      'added-Pa55-93e0',
      password.toString('hex'),
      password.toString('base64'),
      inspect(password).slice('<Buffer '.length, -1), // the bytes as inspect would print them
    ];
    for (const text of printed(zk)) {
      for (const secret of secrets) expect([text, text.includes(secret)]).toEqual([text, false]);
    }
    expect(JSON.parse(JSON.stringify(zk))).toEqual({
      hosts: server.connectString,
      chroot: '/app',
      state: 'CONNECTED',
      connectionState: 'CONNECTED',
      sessionId: `0x${sessionId.toString(16)}`,
    });
    expect(inspect(zk)).toMatch(/^ZooKeeperClient \{"hosts":.*"state":"CONNECTED"/);
  });

  it('keeps TLS keys and passphrases out of it, before it connects and after it is stopped', async () => {
    const zk = pool.create({
      hosts: server.connectString,
      tls: {
        key: '-----BEGIN PRIVATE KEY-----\nKEY-8d1f',
        passphrase: 'phrase-Pa55-61aa',
        cert: 'CERT-4e0b',
      },
    });
    const before = printed(zk);
    zk.startAsync(); // a plain server: the TLS handshake fails and the client keeps trying
    await zk.stop();
    for (const text of [...before, ...printed(zk)]) {
      for (const secret of ['KEY-8d1f', 'phrase-Pa55-61aa', 'PRIVATE KEY']) {
        expect([text, text.includes(secret)]).toEqual([text, false]);
      }
    }
  });
});
