// SASL GSSAPI (Kerberos) against a real ZooKeeper server that requires it, with a real MIT KDC
// started by zookit/testing (startTestingKdc) and the optional `kerberos` addon. The client's
// Kerberos settings come from the environment, as for kinit and the MongoDB driver: KRB5_CONFIG
// (the KDC's krb5.conf), KRB5_CLIENT_KTNAME (the client keytab), KRB5CCNAME (a private cache).
import { performance } from 'node:perf_hooks';
import { inspect } from 'node:util';
import { runInThisContext } from 'node:vm';
import { SequentialMicrotaskHandler } from '../../handlers/sequential-microtask.js';
import { WorkerThreadsHandler } from '../../handlers/worker-threads.js';
import { ZooKeeperClient } from '../../lib/client/client.js';
import { AuthFailedError } from '../../lib/errors.js';
import { GssapiError, GssapiMechanism, KerberosUnavailableError } from '../../lib/sasl/gssapi.js';
import { startTestingKdc, type TestingKdc } from '../../testing/kdc.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { CollectingLogger, StateRecorder, stopAll, uniquePath } from './fault-support.js';

let kdc: TestingKdc;
let server: TestingServer;
let aliceKeytab: string;
const clients: ZooKeeperClient[] = [];

/** The server's principal: the harness's is zookeeper/localhost, and we connect to 127.0.0.1. */
const SERVER_PRINCIPAL = 'zookeeper/localhost';

/**
 * This process's real `process` object. Jest gives each test file a copy of `process.env` whose
 * changes never reach the C library's environment, which the Kerberos library (native code)
 * reads; code run in Node's own main context (vm.runInThisContext) sees the real one.
 */
const realProcess = runInThisContext('process') as NodeJS.Process;

/**
 * Points the Kerberos library at the testing KDC, with `keytab` as the client keytab and a fresh
 * private in-memory credential cache (so no ticket of one test serves the next).
 */
function useKerberosEnv(keytab: string): void {
  const env = kdc.env({ keytab, ccache: `MEMORY:zookit-${process.pid}-${++caches}` });
  for (const [key, value] of Object.entries(env)) realProcess.env[key] = value;
}
let caches = 0;

function client(
  principal: string,
  logger?: CollectingLogger,
  handler?: SequentialMicrotaskHandler | WorkerThreadsHandler,
): ZooKeeperClient {
  const zk = new ZooKeeperClient({
    hosts: server.connectString,
    sasl: { mechanism: 'GSSAPI', principal, serverPrincipal: SERVER_PRINCIPAL },
    ...(logger !== undefined ? { logger } : {}),
    ...(handler !== undefined ? { handler } : {}),
  });
  clients.push(zk);
  return zk;
}

beforeAll(async () => {
  kdc = await startTestingKdc();
  const kerberized = await kdc.serverOptions();
  server = await startTestingServer({ backend: 'local', ...kerberized.options });
  aliceKeytab = await kdc.addPrincipal('alice');
});

afterEach(async () => {
  await stopAll(clients.splice(0));
});

afterAll(async () => {
  await server?.close();
  await kdc?.close();
});

describe('SASL GSSAPI (Kerberos)', () => {
  // Both handlers here, in one process: this file runs in the sequential jest project only (see
  // jest.config.js), as the Kerberos library keeps process-wide state (the client keytab and the
  // KDC it learned) that a second run of this file in the same jest worker, against a new KDC of
  // the same realm, would find stale.
  it.each(['SequentialMicrotaskHandler', 'WorkerThreadsHandler'] as const)(
    'connects with a keytab principal before CONNECTED, operates, and whoAmI shows sasl <principal> (%s)',
    async (kind) => {
      useKerberosEnv(aliceKeytab);
      const handler =
        kind === 'WorkerThreadsHandler' ? new WorkerThreadsHandler() : new SequentialMicrotaskHandler();
      try {
        const zk = client('alice@ZOOKIT.TEST', undefined, handler);
        await zk.start({ timeout: 15_000 });
        expect(await zk.whoAmI()).toContainEqual({ authScheme: 'sasl', user: 'alice@ZOOKIT.TEST' });
        const path = uniquePath('gssapi');
        await zk.create(path, 'kerberized');
        expect((await zk.get(path))[0]?.toString()).toBe('kerberized');
        await zk.delete(path);
        await zk.stop();
      } finally {
        await handler.stop();
      }
    },
  );

  it('re-authenticates on a reconnect: after a server restart the same client is CONNECTED and still sasl <principal>', async () => {
    useKerberosEnv(aliceKeytab);
    const zk = client('alice@ZOOKIT.TEST');
    const recorder = new StateRecorder(zk);
    await zk.start({ timeout: 15_000 });
    const since = performance.now();
    await server.restart();
    await recorder.waitForState('SUSPENDED', 30_000, since);
    await recorder.waitForState('CONNECTED', 30_000, since);
    expect(await zk.whoAmI()).toContainEqual({ authScheme: 'sasl', user: 'alice@ZOOKIT.TEST' });
  });

  it('refuses a principal the KDC does not know (a keytab of a deleted principal): AUTH_FAILED, start() rejects with AuthFailedError naming the Kerberos reason', async () => {
    const keytab = await kdc.addPrincipal('mallory');
    await kdc.deletePrincipal('mallory');
    useKerberosEnv(keytab);
    const zk = client('mallory@ZOOKIT.TEST');
    const recorder = new StateRecorder(zk);
    const error = await zk.start({ timeout: 15_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthFailedError);
    expect((error as Error).message).toMatch(/SASL authentication failed: .*not found in Kerberos database/);
    expect(recorder.connectionStateNames).toContain('AUTH_FAILED');
  });

  it('refuses a wrong server principal (not in the KDC): the exchange fails before anything is sent to the server', async () => {
    useKerberosEnv(aliceKeytab);
    const zk = new ZooKeeperClient({
      hosts: server.connectString,
      sasl: { mechanism: 'GSSAPI', principal: 'alice@ZOOKIT.TEST', serverPrincipal: 'zookeeper/nowhere' },
    });
    clients.push(zk);
    const error = await zk.start({ timeout: 15_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthFailedError);
    expect((error as Error).message).toMatch(/not found in Kerberos database/);
  });

  it('logs the GSSAPI exchange (debug); neither the log lines nor util.inspect(client) name the keytab', async () => {
    useKerberosEnv(aliceKeytab);
    const logger = new CollectingLogger();
    const zk = client('alice@ZOOKIT.TEST', logger);
    await zk.start({ timeout: 15_000 });
    const text = `${logger.lines.join('\n')}\n${inspect(zk, { depth: 10 })}`;
    expect(text).toContain('SASL GSSAPI authentication');
    expect(text).not.toContain(aliceKeytab);
  });
});

describe('GssapiMechanism without the kerberos package', () => {
  it('rejects start() with KerberosUnavailableError naming the package and how to install it', async () => {
    const mechanism = new GssapiMechanism({
      serverPrincipal: SERVER_PRINCIPAL,
      load: async () => {
        try {
          return require('zookit-no-such-kerberos-package');
        } catch (cause) {
          throw new KerberosUnavailableError({ cause });
        }
      },
    });
    const error = await Promise.resolve(mechanism.start()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KerberosUnavailableError);
    expect((error as KerberosUnavailableError).code).toBe('ERR_ZOOKIT_KERBEROS_UNAVAILABLE');
    expect((error as Error).message).toMatch(/optional peer dependency "kerberos" \(npm install kerberos\)/);
    expect((error as Error).message).toContain("Cannot find module 'zookit-no-such-kerberos-package'");
  });

  it('refuses a server principal that is not service/host with a GssapiError', () => {
    expect(() => new GssapiMechanism({ serverPrincipal: 'zookeeper' })).toThrow(GssapiError);
  });
});
