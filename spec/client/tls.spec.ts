// TLS against a real ZooKeeper 3.8 server: the Netty connection factory on a secureClientPort, with
// throw-away certificates from testing/tls.ts. A client trusting the test CA connects and works;
// a client certificate becomes an `x509` identity; the server certificate is checked against the host
// name; untrusted servers, plaintext on the secure port and (with ssl.clientAuth=need) clients
// without a certificate never reach CONNECTED. The stores are files on this machine, so the servers
// always run on the local backend. `make test` installs openssl and a Java runtime (keytool), so
// missing tools fail the suite rather than skip it.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { WorkerArgumentError, WorkerThreadsHandler } from '../../handlers/worker-threads.js';
import { type ClientOptions, ZooKeeperClient } from '../../index.js';
import { makeAcl } from '../../lib/acl.js';
import { NoAuthError } from '../../lib/errors.js';
import { DEBIAN_JAVA_DIR, findJava } from '../../testing/backend.js';
import { freePort } from '../../testing/ports.js';
import type { ServerLogLevel } from '../../testing/server-config.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import {
  CLIENT_SUBJECT_RFC2253,
  type ClientAuth,
  createTlsMaterial,
  serverSslConfig,
  type TlsMaterial,
  tlsToolsMissing,
} from '../../testing/tls.js';
import { CollectingLogger } from './fault-support.js';
import { ClientPool, rejectionOf, uniqueName } from './support.js';

/** The deadline every start that must fail gets, in ms. */
const FAILING_START_TIMEOUT_MS = 3000;

/** Why the local backend cannot run here, or undefined when it can (checked synchronously for skip). */
function localZooKeeperMissing(): string | undefined {
  if (!process.env['ZOOKEEPER_HOME'] && !existsSync(join(DEBIAN_JAVA_DIR, 'zookeeper.jar'))) {
    return `ZOOKEEPER_HOME is unset and ${join(DEBIAN_JAVA_DIR, 'zookeeper.jar')} does not exist`;
  }
  return findJava() === undefined ? 'no java on JAVA_HOME or PATH' : undefined;
}

const missing = tlsToolsMissing() ?? localZooKeeperMissing();

interface TlsServer {
  server: TestingServer;
  securePort: number;
}

/**
 * A standalone server with a TLS port beside its plain one. The secure port is reserved here, not by
 * the harness, so a start that fails (the port taken meanwhile) is retried on a fresh one.
 */
async function startTlsServer(
  material: TlsMaterial,
  clientAuth: ClientAuth,
  logLevel: ServerLogLevel = 'warn',
): Promise<TlsServer> {
  for (let attempt = 1; ; attempt++) {
    const securePort = await freePort();
    try {
      const server = await startTestingServer({
        backend: 'local',
        logLevel,
        extraConfig: {
          secureClientPort: securePort,
          // The default would be the wildcard address; harness servers stay on loopback.
          secureClientPortAddress: '127.0.0.1',
          serverCnxnFactory: 'org.apache.zookeeper.server.NettyServerCnxnFactory',
          ...serverSslConfig(material, clientAuth),
        },
      });
      return { server, securePort };
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

let material: TlsMaterial;
const pool = new ClientPool();

/** Starts a client that must not connect; returns its rejection, its log and the states it went through. */
async function failingStart(
  options: ClientOptions,
): Promise<{ error: unknown; log: string[]; states: string[]; client: ZooKeeperClient }> {
  const logger = new CollectingLogger();
  const client = pool.create({ ...options, logger });
  const states: string[] = [];
  client.on('state', (state) => states.push(state));
  const error = await rejectionOf(() => client.start({ timeout: FAILING_START_TIMEOUT_MS }));
  return { error, log: logger.lines, states, client };
}

/** The x509 ids whoAmI lists for a client. */
async function x509Ids(client: ZooKeeperClient): Promise<string[]> {
  return (await client.whoAmI()).filter((info) => info.authScheme === 'x509').map((info) => info.user);
}

describe('TLS on a real server', () => {
  it('has openssl, keytool and a local ZooKeeper to run on', () => {
    expect(missing).toBeUndefined();
  });

  beforeAll(async () => {
    material = await createTlsMaterial();
  });

  afterAll(async () => {
    await material?.cleanup();
  });

  afterEach(async () => {
    await pool.stopAll();
  });

  describe('ssl.clientAuth=want', () => {
    let server: TestingServer;
    let securePort: number;

    beforeAll(async () => {
      ({ server, securePort } = await startTlsServer(material, 'want', 'info'));
    });

    afterAll(async () => {
      await server?.close();
    });

    it('serves TLS on secureClientPort through the Netty factory, and the plain client port still works', async () => {
      const log = readFileSync(server.logFile!, 'utf8');
      expect(log).toContain(`secure: true on addr /127.0.0.1:${securePort}`);
      expect(log).toContain(`bound to port ${securePort}`);
      expect(await server.fourLetterWord('conf')).toContain(`secureClientPort=${securePort}`);
      expect(await server.mode()).toBe('standalone');

      const plain = await pool.open({ hosts: server.connectString });
      const path = `/${uniqueName('tls-plain')}`;
      await plain.create(path, 'over tcp');
      expect((await plain.get(path))[0]?.toString()).toBe('over tcp');
      expect(await x509Ids(plain)).toEqual([]);
    });

    it('connects to localhost:<securePort> when it trusts the CA, and creates and reads a node', async () => {
      const zk = await pool.open({ hosts: `localhost:${securePort}`, tls: { ca: material.ca } });
      expect(zk.connectionState).toBe('CONNECTED');
      const path = `/${uniqueName('tls-ca')}`;
      expect(await zk.create(path, 'over tls')).toBe(path);
      const [data, stat] = await zk.get(path);
      expect(data?.toString()).toBe('over tls');
      expect(stat.dataLength).toBe(8);
      // No client certificate was presented, so the server has no x509 id for this session.
      expect(await zk.whoAmI()).toEqual([{ authScheme: 'ip', user: '127.0.0.1' }]);
    });

    it('turns a client certificate into an x509 identity (RFC 2253 DN) that ACLs can name', async () => {
      const withCert = await pool.open({
        hosts: `localhost:${securePort}`,
        tls: { ca: material.ca, cert: material.clientCert, key: material.clientKey },
      });
      expect(await withCert.whoAmI()).toContainEqual({
        authScheme: 'x509',
        user: 'CN=zookit-client,O=zookit',
      });
      expect(await x509Ids(withCert)).toEqual([CLIENT_SUBJECT_RFC2253]);

      const path = `/${uniqueName('tls-x509-acl')}`;
      await withCert.create(path, 'for the certificate only', {
        acl: [makeAcl('x509', CLIENT_SUBJECT_RFC2253, { all: true })],
      });
      expect((await withCert.get(path))[0]?.toString()).toBe('for the certificate only');
      const withoutCert = await pool.open({ hosts: `localhost:${securePort}`, tls: { ca: material.ca } });
      expect(await rejectionOf(() => withoutCert.get(path))).toBeInstanceOf(NoAuthError);
    });

    it('accepts 127.0.0.1:<securePort> with host-name verification on, because the certificate has that IP SAN', async () => {
      const zk = await pool.open({ hosts: `127.0.0.1:${securePort}`, tls: { ca: material.ca } });
      const path = `/${uniqueName('tls-ip')}`;
      await zk.create(path, 'by ip');
      expect((await zk.get(path))[0]?.toString()).toBe('by ip');
    });

    it('checks the certificate against the host name given in hosts (localhost), not the address it resolved to', async () => {
      const verifiedAs: string[] = [];
      const options: ClientOptions = {
        hosts: `localhost:${securePort}`,
        tls: {
          ca: material.ca,
          // Node's own check, recording the name it is asked about.
          checkServerIdentity: (host, cert) => {
            verifiedAs.push(host);
            return tls.checkServerIdentity(host, cert);
          },
        },
      };
      if (ZooKeeperClient.defaultHandler() instanceof WorkerThreadsHandler) {
        // A function cannot cross to the worker thread: the client says so at start, typed.
        const client = pool.create(options);
        const error = await rejectionOf(() => client.start({ timeout: 5000 }));
        expect(error).toBeInstanceOf(WorkerArgumentError);
        expect((error as Error).message).toMatch(/checkServerIdentity/);
        return;
      }
      await pool.open(options);
      expect(verifiedAs.length).toBeGreaterThan(0);
      expect(new Set(verifiedAs)).toEqual(new Set(['localhost']));
    });

    it('refuses a server whose certificate does not name the host the client expects', async () => {
      const { error, log, states, client } = await failingStart({
        hosts: `127.0.0.1:${securePort}`,
        tls: { ca: material.ca, servername: 'zk.invalid' },
      });
      expect(error).toBeInstanceOf(client.handler.TimeoutError);
      expect(states).not.toContain('CONNECTED');
      expect(log.join('\n')).toContain("Hostname/IP does not match certificate's altnames");
    });

    it('fails to start, rather than connecting, when the client does not trust the CA (tls: {} and tls: true)', async () => {
      const attempts = await Promise.all([
        failingStart({ hosts: `localhost:${securePort}`, tls: {} }),
        failingStart({ hosts: `localhost:${securePort}`, tls: true }),
      ]);
      for (const { error, log, states, client } of attempts) {
        expect(error).toBeInstanceOf(client.handler.TimeoutError);
        expect(states).not.toContain('CONNECTED');
        expect(client.connectionState).not.toBe('CONNECTED');
        // The server sends the CA with its certificate, so Node names the self-signed root.
        expect(log.join('\n')).toMatch(
          /self-signed certificate in certificate chain|unable to get local issuer/,
        );
      }
    });

    it('fails to start when a plaintext client dials the secure port', async () => {
      const { error, log, states, client } = await failingStart({ hosts: `127.0.0.1:${securePort}` });
      expect(error).toBeInstanceOf(client.handler.TimeoutError);
      expect(states).not.toContain('CONNECTED');
      expect(log.join('\n')).toContain(`connect attempt failed: 127.0.0.1:${securePort}`);
    });
  });

  describe('ssl.clientAuth=need', () => {
    let server: TestingServer;
    let securePort: number;
    let otherCa: TlsMaterial;

    beforeAll(async () => {
      [{ server, securePort }, otherCa] = await Promise.all([
        startTlsServer(material, 'need'),
        createTlsMaterial(),
      ]);
    });

    afterAll(async () => {
      await Promise.all([server?.close(), otherCa?.cleanup()]);
    });

    it('refuses a client that presents no certificate', async () => {
      const { error, log, states, client } = await failingStart({
        hosts: `localhost:${securePort}`,
        tls: { ca: material.ca },
      });
      expect(error).toBeInstanceOf(client.handler.TimeoutError);
      expect(states).not.toContain('CONNECTED');
      expect(log.join('\n')).toMatch(/bad certificate|certificate required/);
    });

    it('refuses a client whose certificate another CA signed', async () => {
      const { error, states, client } = await failingStart({
        hosts: `localhost:${securePort}`,
        tls: { ca: material.ca, cert: otherCa.clientCert, key: otherCa.clientKey },
      });
      expect(error).toBeInstanceOf(client.handler.TimeoutError);
      expect(states).not.toContain('CONNECTED');
    });

    it('accepts a client certificate the CA signed, as an x509 identity', async () => {
      const zk = await pool.open({
        hosts: `localhost:${securePort}`,
        tls: { ca: material.ca, cert: material.clientCert, key: material.clientKey },
      });
      expect(await x509Ids(zk)).toEqual([CLIENT_SUBJECT_RFC2253]);
      const path = `/${uniqueName('tls-need')}`;
      await zk.create(path, 'mutual');
      expect((await zk.get(path))[0]?.toString()).toBe('mutual');
    });
  });

  describe('a TLS-only server (no plain client port)', () => {
    let server: TestingServer;

    beforeAll(async () => {
      server = await startTestingServer({
        backend: 'local',
        tlsOnly: { ca: material.ca },
        extraConfig: serverSslConfig(material, 'want'),
      });
    });

    afterAll(async () => {
      await server?.close();
    });

    it('answers serverVersion() and command() over TLS, through the handler, before and after connecting', async () => {
      const zk = pool.create({ hosts: `localhost:${server.port}`, tls: { ca: material.ca } });
      // Not connected: the first host, by its name.
      expect(await zk.serverVersion()).toEqual([3, 8, 0]);
      await zk.start({ timeout: 10_000 });
      // Connected: the server the session is on (an address), its certificate checked against the name.
      expect(zk.connectedTo).toBe(`127.0.0.1:${server.port}`);
      expect(await zk.serverVersion({ timeout: 5000 })).toEqual([3, 8, 0]);
      expect(await zk.command('ruok')).toBe('imok');
      // A client that does not trust the CA cannot ask either.
      const untrusting = pool.create({ hosts: `localhost:${server.port}`, tls: {} });
      expect(((await rejectionOf(() => untrusting.serverVersion())) as Error).message).toMatch(/certificate/);
    });
  });
});
