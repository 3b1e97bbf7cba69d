// The binary's security options against servers that demand them: `--tls-ca/--tls-cert/--tls-key`
// against a TLS-only server that requires a client certificate, and `--sasl USER:PASSWORD` against
// a server that enforces SASL. Without them, each refuses, with the exit code that says why.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTlsMaterial,
  serverSslConfig,
  startTestingServer,
  type TestingServer,
  type TlsMaterial,
} from '../../testing/index.js';
import { zookit } from './support.js';

describe('zookit over TLS', () => {
  let material: TlsMaterial;
  let server: TestingServer;
  let dir: string;

  beforeAll(async () => {
    material = await createTlsMaterial();
    server = await startTestingServer({
      backend: 'local',
      tlsOnly: { ca: material.ca, cert: material.clientCert, key: material.clientKey },
      extraConfig: serverSslConfig(material, 'need'),
    });
    dir = await mkdtemp(join(tmpdir(), 'zookit-cli-tls-'));
    await writeFile(join(dir, 'ca.pem'), material.ca);
    await writeFile(join(dir, 'client.crt'), material.clientCert);
    await writeFile(join(dir, 'client.key'), material.clientKey);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await material?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('connects with --tls-ca/--tls-cert/--tls-key, and the server knows it by its certificate', async () => {
    const tls = [
      '--tls-ca',
      join(dir, 'ca.pem'),
      '--tls-cert',
      join(dir, 'client.crt'),
      '--tls-key',
      join(dir, 'client.key'),
    ];
    const run = await zookit(['--hosts', `localhost:${server.port}`, ...tls, 'whoami', '--json']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(JSON.parse(run.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ authScheme: 'x509' })]),
    );
    const srvr = await zookit(['--hosts', `localhost:${server.port}`, ...tls, 'srvr', '--json']);
    expect(JSON.parse(srvr.stdout)).toMatchObject({ mode: 'standalone' });
  });

  it('exits 6 without them: the server speaks only TLS', async () => {
    const run = await zookit(['--hosts', `localhost:${server.port}`, '--timeout', '3000', 'ls', '/']);
    expect(run.code).toBe(6);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('zookit with SASL', () => {
  let server: TestingServer;

  beforeAll(async () => {
    server = await startTestingServer({ backend: 'local', sasl: { users: { bob: 'bobs-secret' } } });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('authenticates with --sasl USER:PASSWORD (DIGEST-MD5)', async () => {
    const run = await zookit(['--hosts', server.connectString, '--sasl', 'bob:bobs-secret', 'whoami']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toMatch(/^sasl\tbob$/m);
  });

  it('exits 5 with a wrong password', async () => {
    const run = await zookit([
      '--hosts',
      server.connectString,
      '--timeout',
      '5000',
      '--sasl',
      'bob:wrong',
      'ls',
      '/',
    ]);
    expect(run.code).toBe(5);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
