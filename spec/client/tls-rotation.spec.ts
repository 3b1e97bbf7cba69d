// TLS material named by file (caFile, certFile, keyFile) is read again on every connection attempt
// (docs/tls.md#rotation). Against a real TLS-only server that requires client certificates
// (ssl.clientAuth=need): the client certificate replaced on disk is presented after the server is
// killed and restarted on the same port, in the same session (ZooKeeper ties the x509 identity to
// the connection, so whoAmI changes while the session id does not); a file that cannot be used fails
// each attempt with TlsFileError naming it, the loop keeps going, and the client connects once the
// file is fixed; neither the key nor its passphrase reaches a log line, an event, an error or
// util.inspect. The harness's ensembles have no secure client ports, so "the member the client is
// on" is a standalone server killed (SIGKILL) and restarted with the same data: the session survives
// that as it survives a member kill. Runs under both handlers (the loop reads the files in the worker).

import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  type ConnectionFailedError,
  InvalidArgumentError,
  type LogFields,
  TlsFileError,
  ZooKeeperClient,
} from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import {
  CLIENT_SUBJECT_RFC2253,
  type ClientCertificate,
  createTlsMaterial,
  issueClientCertificate,
  serverSslConfig,
  type TlsMaterial,
} from '../../testing/tls.js';
import { ClientPool, rejectionOf, uniqueName, waitUntil } from './support.js';

/** The renewed certificate's subject, and its x509 id as ZooKeeper reports it. */
const RENEWED_SUBJECT = '/O=zookit/CN=zookit-client-renewed';
const RENEWED_ID = 'CN=zookit-client-renewed,O=zookit';
/** Long enough to outlive a kill and a JVM restart (the server allows up to 20 ticks = 40 s). */
const SESSION_TIMEOUT_MS = 30_000;

let material: TlsMaterial;
let renewed: ClientCertificate;
let server: TestingServer;
let dir: string;
const pool = new ClientPool();

beforeAll(async () => {
  material = await createTlsMaterial();
  renewed = await issueClientCertificate(material, RENEWED_SUBJECT, 'client-renewed');
  server = await startTestingServer({
    backend: 'local',
    // The harness's own probes need a certificate too, since the server requires one.
    tlsOnly: { ca: material.ca, cert: material.clientCert, key: material.clientKey },
    extraConfig: serverSslConfig(material, 'need'),
  });
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zookit-tls-rotation-'));
});

afterEach(async () => {
  await pool.stopAll();
  await rm(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await server?.close();
  await material?.cleanup();
});

/** Writes `contents` to `dir/name` the way cert-manager renews: a new file renamed over the old one. */
async function install(name: string, contents: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(`${path}.tmp`, contents);
  await rename(`${path}.tmp`, path);
  return path;
}

/** The CA, the first client certificate and its key, installed in `dir`. */
async function installFirst(): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  return {
    caFile: await install('ca.pem', material.ca),
    certFile: await install('tls.crt', material.clientCert),
    keyFile: await install('tls.key', material.clientKey),
  };
}

async function x509Ids(client: ZooKeeperClient): Promise<string[]> {
  return (await client.whoAmI()).filter((info) => info.authScheme === 'x509').map((info) => info.user);
}

/** Waits until `client` is CONNECTED again and whoAmI shows `id` (ms deadline). */
async function waitForIdentity(client: ZooKeeperClient, id: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    async () =>
      client.connectionState === 'CONNECTED' &&
      (await x509Ids(client).catch(() => [] as string[])).includes(id),
    `whoAmI to show ${id}`,
    { timeoutMs, intervalMs: 200 },
  );
}

it('presents the certificate replaced on disk after the server it was on is killed, in the same session', async () => {
  const files = await installFirst();
  const zk = await pool.open({
    hosts: `localhost:${server.port}`,
    tls: files,
    sessionTimeout: SESSION_TIMEOUT_MS,
    connectionRetry: { maxDelay: 500 },
  });
  expect(await x509Ids(zk)).toEqual([CLIENT_SUBJECT_RFC2253]);
  const sessionId = zk.clientId!.sessionId;
  const ephemeral = `/${uniqueName('tls-rotation')}`;
  await zk.create(ephemeral, 'mine', { ephemeral: true });

  await install('tls.crt', renewed.cert);
  await install('tls.key', renewed.key);
  // The live connection keeps the old certificate: TLS reads the files only for a new connection.
  expect(await x509Ids(zk)).toEqual([CLIENT_SUBJECT_RFC2253]);

  await server.kill();
  await server.restart();
  await waitForIdentity(zk, RENEWED_ID);

  expect(await x509Ids(zk)).toEqual([RENEWED_ID]);
  expect(zk.clientId!.sessionId).toBe(sessionId);
  // The session (and its ephemeral node) survived the restart.
  expect((await zk.exists(ephemeral))?.ephemeralOwner).toBe(sessionId);
});

it('fails each attempt naming a certificate file that cannot be used, keeps trying, and connects once it is fixed', async () => {
  const files = await installFirst();
  const failures: ConnectionFailedError[] = [];
  const zk = await pool.open({
    hosts: `localhost:${server.port}`,
    tls: files,
    sessionTimeout: SESSION_TIMEOUT_MS,
    connectionRetry: { maxDelay: 300 },
  });
  zk.on('connectionFailed', (error) => failures.push(error));
  const sessionId = zk.clientId!.sessionId;

  // A renewal gone wrong: the certificate file holds no PEM at all.
  await install('tls.crt', 'this is not a certificate\n');
  await server.kill();
  await server.restart();
  const namingTheFile = (): number =>
    failures.filter((f) =>
      f.causes.some((c) => c.code === 'ERR_ZOOKIT_TLS_FILE' && c.message.includes(files.certFile)),
    ).length;
  // Several passes, each failing on the file: the loop goes on rather than giving up.
  await waitUntil(() => namingTheFile() >= 3, 'three passes that fail on the certificate file', {
    timeoutMs: 15_000,
  });
  expect(zk.connectionState).not.toBe('CONNECTED');
  const cause = failures.at(-1)!.causes[0]!;
  expect(cause).toMatchObject({ host: '127.0.0.1', port: server.port, code: 'ERR_ZOOKIT_TLS_FILE' });
  expect(cause.message).toMatch(/^TLS certFile "[^"]+": no PEM certificate in it/);
  expect(cause.message).toContain(files.certFile);
  expect(failures.at(-1)!.message).toContain(files.certFile);

  // Another kind of failure, named as well: a file that is not there.
  await rm(files.certFile);
  const before = failures.length;
  await waitUntil(
    () =>
      failures
        .slice(before)
        .some((f) =>
          f.causes.some((c) =>
            c.message.includes(`${JSON.stringify(files.certFile)}: cannot be read (ENOENT)`),
          ),
        ),
    'a pass that names the missing file',
    { timeoutMs: 15_000 },
  );

  await install('tls.crt', material.clientCert);
  await waitForIdentity(zk, CLIENT_SUBJECT_RFC2253);
  expect(zk.clientId!.sessionId).toBe(sessionId);
});

it('names a certificate and key that do not match (a renewal caught half-way)', async () => {
  const files = await installFirst();
  await install('tls.crt', renewed.cert); // the new certificate, the old key still there
  const mismatched = pool.create({
    hosts: `localhost:${server.port}`,
    tls: files,
    connectionRetry: { maxTries: 0 },
  });
  const mismatch = await rejectionOf(() => mismatched.start({ timeout: 5000, failFast: true }));
  expect((mismatch as ConnectionFailedError).causes[0]).toMatchObject({ code: 'ERR_ZOOKIT_TLS_FILE' });
  expect((mismatch as Error).message).toContain(
    `TLS certFile ${JSON.stringify(files.certFile)}: the certificate and the private key do not match`,
  );
});

it('takes the certificate from a PKCS12 file (pfxFile) opened with passphrase, and four-letter words read the files too', async () => {
  const passphrase = 'pfx-Pa55-41c8';
  const caFile = await install('ca.pem', material.ca);
  const certPem = await install('renewed.crt', renewed.cert);
  const keyPem = await install('renewed.key', renewed.key);
  const pfxFile = join(dir, 'client.p12');
  execFileSync('openssl', [
    'pkcs12',
    '-export',
    '-in',
    certPem,
    '-inkey',
    keyPem,
    '-passout',
    `pass:${passphrase}`,
    '-out',
    pfxFile,
  ]);
  const zk = await pool.open({ hosts: `localhost:${server.port}`, tls: { caFile, pfxFile, passphrase } });
  expect(await x509Ids(zk)).toEqual([RENEWED_ID]);
  expect(await zk.command('ruok')).toBe('imok');

  // A four-letter word makes a connection of its own, so it reads the files of the moment.
  await rm(pfxFile);
  const error = await rejectionOf(() => zk.command('ruok'));
  expect(error).toBeInstanceOf(TlsFileError);
  expect(error).toMatchObject({ option: 'pfxFile', file: pfxFile, code: 'ERR_ZOOKIT_TLS_FILE' });
});

it('puts neither the key nor its passphrase in log lines, fields, events, errors or util.inspect', async () => {
  const passphrase = 'rotation-Pa55-7f3e';
  const encrypted = createPrivateKey(renewed.key).export({
    format: 'pem',
    type: 'pkcs8',
    cipher: 'aes-256-cbc',
    passphrase,
  }) as string;
  const caFile = await install('ca.pem', material.ca);
  const certFile = await install('tls.crt', renewed.cert);
  const keyFile = await install('tls.key', encrypted);
  // Every line of both PEM bodies (base64), and the passphrase.
  const secrets = [
    passphrase,
    ...[renewed.key, encrypted].flatMap((pem) =>
      pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----')),
    ),
  ];

  const reported: string[] = [];
  const printed = (value: unknown): string =>
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true, maxStringLength: null });
  const keep = (level: string) => (message: string, fields?: LogFields) =>
    reported.push(`${level} ${message} ${printed(fields)}`);
  const logger = { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };

  // With the right passphrase: connects, presents the certificate, survives a reconnect.
  const good = await pool.open({
    hosts: `localhost:${server.port}`,
    tls: { caFile, certFile, keyFile, passphrase },
    logger,
    sessionTimeout: SESSION_TIMEOUT_MS,
    connectionRetry: { maxDelay: 300 },
  });
  good.on('connectionFailed', (error) => reported.push(`connectionFailed ${printed(error)}`));
  expect(await x509Ids(good)).toEqual([RENEWED_ID]);
  await server.kill();
  await server.restart();
  await waitForIdentity(good, RENEWED_ID);
  reported.push(printed(good), JSON.stringify(good));

  // With a wrong one: every attempt fails naming the key file, not the passphrase.
  const wrong = 'wrong-Pa55-0c1d';
  const bad = pool.create({
    hosts: `localhost:${server.port}`,
    tls: { caFile, certFile, keyFile, passphrase: wrong },
    logger,
    connectionRetry: { maxTries: 0 },
  });
  const error = await rejectionOf(() => bad.start({ timeout: 5000, failFast: true }));
  expect(error).toMatchObject({ code: 'ERR_ZOOKIT_CONNECTION_FAILED' });
  expect((error as Error).message).toContain(
    `TLS keyFile ${JSON.stringify(keyFile)}: no PEM private key in it, or the passphrase does not open it`,
  );
  reported.push(printed(error), JSON.stringify(error), printed(bad));

  expect(reported.join('\n')).toContain(keyFile);
  for (const secret of [...secrets, wrong]) expect(reported.join('\n')).not.toContain(secret);
});

describe('the tls option refused before anything is sent', () => {
  it.each([
    ['certFile', { certFile: '/x/tls.crt', cert: 'PEM' }, 'tls.certFile and tls.cert'],
    ['keyFile', { keyFile: '/x/tls.key', key: 'PEM' }, 'tls.keyFile and tls.key'],
    ['caFile', { caFile: '/x/ca.pem', ca: 'PEM' }, 'tls.caFile and tls.ca'],
    ['pfxFile', { pfxFile: '/x/client.p12', pfx: Buffer.alloc(1) }, 'tls.pfxFile and tls.pfx'],
  ])('refuses %s together with its inline twin', (_name, tls, text) => {
    let thrown: unknown;
    try {
      new ZooKeeperClient({ hosts: '127.0.0.1:1', tls });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect(thrown).toMatchObject({ argument: 'tls' });
    expect((thrown as Error).message).toContain(text);
    // The inline value is never quoted.
    expect((thrown as Error).message).not.toContain('PEM');
  });

  it('refuses a file option that is not a non-empty path', () => {
    expect(() => new ZooKeeperClient({ tls: { certFile: '' } })).toThrow(InvalidArgumentError);
    expect(() => new ZooKeeperClient({ tls: { keyFile: 42 as unknown as string } })).toThrow(
      /tls.keyFile must be a non-empty file path/,
    );
  });

  it('TlsFileError carries the option, the file and a stable code', () => {
    const error = new TlsFileError('certFile', '/etc/tls/tls.crt', 'cannot be read (ENOENT)');
    expect(error).toMatchObject({
      code: 'ERR_ZOOKIT_TLS_FILE',
      option: 'certFile',
      file: '/etc/tls/tls.crt',
    });
    expect(error.message).toBe('TLS certFile "/etc/tls/tls.crt": cannot be read (ENOENT)');
  });
});
