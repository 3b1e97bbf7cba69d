// Authentication against a real standalone server: credentials given at construction are replayed
// before CONNECTED is announced, credentials added later survive a reconnect, a refused credential
// ends the session for good (AUTH_FAILED), and no password ever shows up in an error or a log line.
import { performance } from 'node:perf_hooks';
import { makeDigestAcl } from '../../lib/acl.js';
import { ZooKeeperClient } from '../../lib/client/client.js';
import { AuthFailedError, NoAuthError } from '../../lib/errors.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { EventType, KeeperState } from '../../protocol/constants.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { CuttableProxy } from '../recipes/support.js';
import {
  CollectingLogger,
  rejectionOf,
  StateRecorder,
  sleep,
  stopAll,
  uniquePath,
  waitFor,
} from './fault-support.js';

let server: TestingServer;
const clients: ZooKeeperClient[] = [];
const proxies: CuttableProxy[] = [];

function track(client: ZooKeeperClient): ZooKeeperClient {
  clients.push(client);
  return client;
}

/** Creates `<base>` (open) and `<base>/secret` readable only by digest user `user` with `password`. */
async function protectedNode(prefix: string, user: string, password: string): Promise<string> {
  const base = uniquePath(prefix);
  const admin = track(new ZooKeeperClient({ hosts: server.connectString }));
  await admin.start();
  await admin.create(base);
  await admin.create(`${base}/secret`, 'classified', { acl: [makeDigestAcl(user, password, { all: true })] });
  // Without the credential the node is unreadable, so reading it later proves the credential.
  expect(await rejectionOf(admin.get(`${base}/secret`))).toBeInstanceOf(NoAuthError);
  return `${base}/secret`;
}

/** A started client behind a proxy that now turns it away (SUSPENDED, reconnecting every 200 ms). */
async function disconnectedClient(): Promise<[ZooKeeperClient, CuttableProxy]> {
  const proxy = await CuttableProxy.start(server.host, server.port);
  proxies.push(proxy);
  const zk = track(new ZooKeeperClient({ hosts: proxy.connectString, connectionRetry: { maxDelay: 200 } }));
  const recorder = new StateRecorder(zk);
  await zk.start();
  const since = performance.now();
  proxy.block();
  await recorder.waitForState('SUSPENDED', 10_000, since);
  return [zk, proxy];
}

/** Stops the server, waits for the client to notice, restarts it and waits for CONNECTED again. */
async function bounceServer(recorder: StateRecorder): Promise<void> {
  const since = performance.now();
  await server.stop();
  await recorder.waitForState('SUSPENDED', 10_000, since);
  await server.restart();
  await recorder.waitForState('CONNECTED', 20_000, since);
}

/** The sessions the server holds connections for, from `cons` (`sid=0x…`). */
async function connectedSessionIds(): Promise<bigint[]> {
  const cons = await server.fourLetterWord('cons');
  return [...cons.matchAll(/sid=0x([0-9a-f]+)/g)].map((match) => BigInt(`0x${match[1]}`));
}

beforeAll(async () => {
  server = await startTestingServer();
});

afterAll(async () => {
  await server?.close();
});

afterEach(async () => {
  await stopAll(clients.splice(0));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  if (!server.running) await server.restart();
});

describe('authentication', () => {
  it('replays credentials given at construction before announcing CONNECTED, so a digest-protected node is readable right after start()', async () => {
    const secret = await protectedNode('auth-ctor', 'u', 'p');
    const zk = track(new ZooKeeperClient({ hosts: server.connectString, authData: [['digest', 'u:p']] }));
    await zk.start();
    expect(zk.connectionState).toBe('CONNECTED');
    const [data] = await zk.get(secret);
    expect(data?.toString()).toBe('classified');
    expect(await zk.whoAmI()).toContainEqual({ authScheme: 'digest', user: 'u' });
  });

  it('fails start() promptly with AuthFailedError, never announcing CONNECTED, when a credential given at construction is refused', async () => {
    const zk = track(new ZooKeeperClient({ hosts: server.connectString, authData: [['nope', 'x']] }));
    const recorder = new StateRecorder(zk);
    const startedAt = performance.now();
    const error = await rejectionOf(zk.start({ timeout: 10_000 }));
    expect(error).toBeInstanceOf(AuthFailedError);
    // The server refuses at once; start() must not sit out its whole timeout.
    expect(performance.now() - startedAt).toBeLessThan(5000);
    expect(recorder.connectionStateNames).toContain('AUTH_FAILED');
    expect(recorder.connectionStateNames).not.toContain('CONNECTED');
    expect(recorder.stateNames).not.toContain('CONNECTED');
  });

  it('replays credentials added with addAuth when it reconnects to a restarted server', async () => {
    const secret = await protectedNode('auth-replay', 'u', 'p');
    const zk = track(
      new ZooKeeperClient({ hosts: server.connectString, connectionRetry: { maxDelay: 500 } }),
    );
    const recorder = new StateRecorder(zk);
    await zk.start();
    expect(await rejectionOf(zk.get(secret))).toBeInstanceOf(NoAuthError);
    await zk.addAuth('digest', 'u:p');
    expect((await zk.get(secret))[0]?.toString()).toBe('classified');
    const sessionId = zk.clientId!.sessionId;

    await bounceServer(recorder);
    expect(zk.clientId!.sessionId).toBe(sessionId);
    // The server forgets a connection's credentials when it closes: this read works only if the
    // client sent the credential again on the new connection.
    expect((await zk.get(secret))[0]?.toString()).toBe('classified');
    expect(await zk.whoAmI()).toContainEqual({ authScheme: 'digest', user: 'u' });
  });

  it('ends the session as AUTH_FAILED (LOST) when addAuth is refused, fails the call with AuthFailedError, and never reconnects', async () => {
    const path = uniquePath('auth-refused');
    const zk = track(
      new ZooKeeperClient({ hosts: server.connectString, connectionRetry: { maxDelay: 200 } }),
    );
    const recorder = new StateRecorder(zk);
    await zk.start();
    const sessionId = zk.clientId!.sessionId;
    await zk.create(path);
    const events: WatchedEvent[] = [];
    await zk.get(path, (event) => events.push(event));
    expect(await connectedSessionIds()).toContain(sessionId);
    recorder.clear();

    const error = await rejectionOf(zk.addAuth('nope', 'x'));
    expect(error).toBeInstanceOf(AuthFailedError);
    expect(zk.connectionState).toBe('AUTH_FAILED');
    expect(zk.state).toBe('LOST');
    expect(recorder.stateNames).toEqual(['LOST']);
    await waitFor(() => events.length > 0, 2000, 'the final watch event');
    expect(events).toEqual([{ type: EventType.None, state: KeeperState.AuthFailed, path }]);

    // The server closes the connection; a client that reconnected would show up again under the
    // same session id within a few of its 200 ms retry delays.
    await waitFor(
      async () => !(await connectedSessionIds()).includes(sessionId),
      5000,
      'the server to drop it',
    );
    await sleep(1500);
    expect(await connectedSessionIds()).not.toContain(sessionId);
    expect(recorder.connectionStateNames).toEqual(['AUTH_FAILED']);
    expect(zk.connectionState).toBe('AUTH_FAILED');
    await expect(zk.get(path)).rejects.toThrow();
  });

  it('resolves an addAuth made while disconnected only once the next connection accepted it', async () => {
    const secret = await protectedNode('auth-offline', 'u', 'p');
    const [zk, proxy] = await disconnectedClient();

    let settled = false;
    const added = zk.addAuth('digest', 'u:p').finally(() => {
      settled = true;
    });
    await sleep(600); // several reconnect attempts, all turned away
    expect(settled).toBe(false);
    proxy.unblock();
    await added;
    // Accepted by the server: the very next read is allowed, and the session holds the identity.
    expect((await zk.get(secret))[0]?.toString()).toBe('classified');
    expect(await zk.whoAmI()).toContainEqual({ authScheme: 'digest', user: 'u' });
  });

  it('rejects an addAuth made while disconnected with AuthFailedError when the next connection refuses it', async () => {
    const [zk, proxy] = await disconnectedClient();
    const added = zk.addAuth('nope', 'x');
    added.catch(() => undefined);
    proxy.unblock();
    expect(await rejectionOf(added)).toBeInstanceOf(AuthFailedError);
    expect(zk.connectionState).toBe('AUTH_FAILED');
  });

  it('never puts a password in an error message or a log line', async () => {
    const secrets = ['ctor-Pa55-1f9e', 'added-Pa55-77c2', 'refused-Pa55-0b3d', 'startup-Pa55-a41e'];
    const logger = new CollectingLogger();
    const errors: unknown[] = [];
    const secret = await protectedNode('auth-secrets', 'v', secrets[1]!);

    const zk = track(
      new ZooKeeperClient({
        hosts: server.connectString,
        authData: [['digest', `u:${secrets[0]}`]],
        connectionRetry: { maxDelay: 500 },
        logger,
      }),
    );
    zk.on('error', (error) => errors.push(error));
    const recorder = new StateRecorder(zk);
    await zk.start();
    await zk.addAuth('digest', `v:${secrets[1]}`);
    await zk.get(secret);
    await bounceServer(recorder);
    await zk.get(secret);
    errors.push(await rejectionOf(zk.addAuth('nope', `w:${secrets[2]}`)));
    errors.push(await rejectionOf(zk.get(secret)));

    const refused = track(
      new ZooKeeperClient({ hosts: server.connectString, authData: [['nope', `x:${secrets[3]}`]], logger }),
    );
    refused.on('error', (error) => errors.push(error));
    errors.push(await rejectionOf(refused.start({ timeout: 10_000 })));

    // Everything an application could print: messages, stacks, causes, and every log line.
    const texts = [...logger.lines, ...errors.flatMap(describeError)];
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines.some((line) => line.includes('AUTH_FAILED'))).toBe(true);
    expect(errors.some((error) => error instanceof AuthFailedError)).toBe(true);
    for (const text of texts) {
      for (const password of secrets) expect(text).not.toContain(password);
    }
  });
});

/** Every string an error exposes: String(), message, stack, and the same for its causes. */
function describeError(error: unknown): string[] {
  if (!(error instanceof Error)) return [String(error)];
  const own = [String(error), error.message, error.stack ?? '', JSON.stringify(error) ?? ''];
  return error.cause === undefined ? own : [...own, ...describeError(error.cause)];
}
