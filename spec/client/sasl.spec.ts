// SASL against real servers that require it (enforce.auth.enabled, enforce.auth.schemes=sasl):
// DIGEST-MD5 succeeds before CONNECTED and on every reconnect, a refused credential ends the
// session for good without a reconnect loop, an unauthenticated client is refused with -124,
// and the SASL identity is the one whoAmI shows and `sasl` ACLs check. Runs under both handlers.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { makeAcl, makeDigestAcl } from '../../lib/acl.js';
import { ZooKeeperClient } from '../../lib/client/client.js';
import {
  AuthFailedError,
  InvalidArgumentError,
  NoAuthError,
  SessionClosedRequireSaslAuthError,
} from '../../lib/errors.js';
import { DigestMd5Mechanism } from '../../lib/sasl/digest-md5.js';
import type { ConnectTraceContext, RequestTraceContext } from '../../lib/tracing.js';
import { startTestingCluster, type TestingCluster } from '../../testing/testing-cluster.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { rejectionOf, StateRecorder, sleep, stopAll, uniquePath, waitFor } from './fault-support.js';

const USERS = { alice: 'alice-secret-pw', bob: 'bob-secret-pw' };

let server: TestingServer;
const clients: ZooKeeperClient[] = [];

function track(client: ZooKeeperClient): ZooKeeperClient {
  clients.push(client);
  return client;
}

/** Counts `zookit:connect` attempts (one per TCP connection tried) while `body` runs. */
async function countingConnects<T>(body: () => Promise<T>): Promise<[T, number]> {
  let attempts = 0;
  const onStart = (message: unknown): void => {
    if ((message as ConnectTraceContext).host !== undefined) attempts++;
  };
  subscribe('tracing:zookit:connect:start', onStart);
  try {
    const result = await body();
    return [result, attempts];
  } finally {
    unsubscribe('tracing:zookit:connect:start', onStart);
  }
}

beforeAll(async () => {
  server = await startTestingServer({ sasl: { users: USERS } });
});

afterEach(async () => {
  await stopAll(clients.splice(0));
});

afterAll(async () => {
  await server?.close();
});

describe('SASL DIGEST-MD5', () => {
  it('authenticates before CONNECTED against a server that enforces SASL, and whoAmI shows the sasl identity', async () => {
    const zk = track(
      new ZooKeeperClient({
        hosts: server.connectString,
        sasl: { username: 'alice', password: USERS.alice },
      }),
    );
    await zk.start();
    const path = uniquePath('sasl-ok');
    await zk.create(path, 'v');
    expect((await zk.get(path))[0]?.toString()).toBe('v');
    expect(await zk.whoAmI()).toEqual(expect.arrayContaining([{ authScheme: 'sasl', user: 'alice' }]));
  });

  it("takes kazoo's authData form ['sasl', 'user:password']", async () => {
    const zk = track(
      new ZooKeeperClient({ hosts: server.connectString, authData: [['sasl', `bob:${USERS.bob}`]] }),
    );
    await zk.start();
    expect(await zk.whoAmI()).toEqual(expect.arrayContaining([{ authScheme: 'sasl', user: 'bob' }]));
  });

  it('ends a refused password in AUTH_FAILED then LOST, with one connection attempt and start() rejected', async () => {
    const zk = track(
      new ZooKeeperClient({
        hosts: server.connectString,
        sasl: { username: 'alice', password: 'wrong-password' },
        connectionRetry: { delay: 10, maxDelay: 50 },
      }),
    );
    const recorder = new StateRecorder(zk);
    const [error, attempts] = await countingConnects(async () => {
      const e = await rejectionOf(zk.start({ timeout: 10_000 }));
      await sleep(1000); // a reconnect loop would show here
      return e;
    });
    expect(error).toBeInstanceOf(AuthFailedError);
    // 3.8.0 answers a wrong DIGEST-MD5 password with -124; the error names it.
    expect((error as Error).message).toMatch(
      /SASL authentication failed.*(AUTHFAILED|SESSIONCLOSEDREQUIRESASLAUTH)/,
    );
    expect(attempts).toBe(1);
    expect(recorder.connectionStateNames).toEqual(expect.arrayContaining(['AUTH_FAILED']));
    expect(recorder.connectionStateNames).not.toContain('CONNECTED');
    // Never CONNECTED: kazoo's state stays LOST (no SUSPENDED either: it never was connected).
    expect(recorder.stateNames).not.toContain('CONNECTED');
    expect(zk.state).toBe('LOST');
  });

  it('refuses a client without SASL with the -124 error, and ends its session without reconnecting', async () => {
    const zk = track(
      new ZooKeeperClient({ hosts: server.connectString, connectionRetry: { delay: 10, maxDelay: 50 } }),
    );
    const recorder = new StateRecorder(zk);
    const [error, attempts] = await countingConnects(async () => {
      // The handshake is accepted: the server refuses the first request, then closes the session.
      await zk.start({ timeout: 10_000 });
      const e = await rejectionOf(zk.get('/'));
      await recorder.waitForConnectionState('AUTH_FAILED', 10_000);
      await sleep(1000); // a reconnect loop would show here
      return e;
    });
    expect(error).toBeInstanceOf(SessionClosedRequireSaslAuthError);
    expect((error as SessionClosedRequireSaslAuthError).code).toBe(-124);
    expect((error as Error).message).toContain('SESSIONCLOSEDREQUIRESASLAUTH');
    expect(attempts).toBe(1);
    expect(zk.state).toBe('LOST');
    expect(recorder.connectionStates.at(-1)?.state).toBe('AUTH_FAILED');
    // Later calls fail at once: the session is over.
    expect(await rejectionOf(zk.get('/'))).toBeInstanceOf(Error);
  });

  it('authenticates with SASL and replays digest authData on the same connection', async () => {
    const zk = track(
      new ZooKeeperClient({
        hosts: server.connectString,
        authData: [
          ['sasl', `alice:${USERS.alice}`],
          ['digest', 'carol:carol-pw'],
        ],
      }),
    );
    await zk.start();
    const path = uniquePath('sasl-digest');
    await zk.create(path, 'x', { acl: [makeDigestAcl('carol', 'carol-pw', { all: true })] });
    expect((await zk.get(path))[0]?.toString()).toBe('x');
    expect(await zk.whoAmI()).toEqual(
      expect.arrayContaining([
        { authScheme: 'sasl', user: 'alice' },
        { authScheme: 'digest', user: 'carol' },
      ]),
    );
  });

  it('enforces an ACL of the sasl scheme: alice may read her node, bob may not', async () => {
    const alice = track(
      new ZooKeeperClient({
        hosts: server.connectString,
        sasl: { username: 'alice', password: USERS.alice },
      }),
    );
    const bob = track(
      new ZooKeeperClient({ hosts: server.connectString, sasl: { username: 'bob', password: USERS.bob } }),
    );
    await Promise.all([alice.start(), bob.start()]);
    const path = uniquePath('sasl-acl');
    await alice.create(path, 'hers', { acl: [makeAcl('sasl', 'alice', { all: true })] });
    expect((await alice.get(path))[0]?.toString()).toBe('hers');
    expect(await alice.getAcls(path)).toEqual([
      expect.arrayContaining([expect.objectContaining({ id: { scheme: 'sasl', id: 'alice' } })]),
      expect.anything(),
    ]);
    expect(await rejectionOf(bob.get(path))).toBeInstanceOf(NoAuthError);
    expect(await rejectionOf(bob.set(path, 'mine'))).toBeInstanceOf(NoAuthError);
  });
});

/**
 * A proxy to `port` that lets the handshake through and cuts the connection when the client sends
 * its next bytes (the first `sasl` request): a connection that drops in the middle of the exchange.
 */
async function cutDuringSasl(port: number): Promise<{ connectString: string; cuts: number; close(): void }> {
  const sockets = new Set<Socket>();
  const state = { cuts: 0 };
  const proxy = createServer((downstream) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(downstream).add(upstream);
    let chunks = 0;
    downstream.on('data', (chunk) => {
      if (++chunks === 1) {
        upstream.write(chunk); // the ConnectRequest
        return;
      }
      state.cuts++;
      downstream.destroy();
      upstream.destroy();
    });
    upstream.on('data', (chunk) => downstream.write(chunk));
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
    downstream.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = proxy.address() as AddressInfo;
  return {
    connectString: `127.0.0.1:${proxyPort}`,
    get cuts() {
      return state.cuts;
    },
    close() {
      for (const s of sockets) s.destroy();
      proxy.close();
    },
  };
}

describe('SASL through the mechanism seam', () => {
  it('moves on to the next host when the connection drops during the exchange, with a new mechanism there', async () => {
    const proxy = await cutDuringSasl(server.port);
    try {
      const contexts: Array<{ host: string }> = [];
      const zk = track(
        new ZooKeeperClient({
          hosts: [proxy.connectString, server.connectString],
          randomizeHosts: false,
          sasl: {
            mechanism: (context) => {
              contexts.push(context);
              return new DigestMd5Mechanism({ username: 'alice', password: USERS.alice });
            },
          },
        }),
      );
      const recorder = new StateRecorder(zk);
      const [, attempts] = await countingConnects(() => zk.start({ timeout: 10_000 }));
      expect(proxy.cuts).toBe(1);
      expect(attempts).toBe(2);
      // One mechanism per connection, each told where it connects.
      expect(contexts).toEqual([{ host: '127.0.0.1' }, { host: '127.0.0.1' }]);
      expect(recorder.connectionStateNames).not.toContain('AUTH_FAILED');
      expect(zk.connectionState).toBe('CONNECTED');
      expect(await zk.whoAmI()).toEqual(expect.arrayContaining([{ authScheme: 'sasl', user: 'alice' }]));
    } finally {
      proxy.close();
    }
  });

  it('refuses a sasl option and a sasl authData entry together, naming neither password', () => {
    const make = () =>
      new ZooKeeperClient({
        hosts: server.connectString,
        sasl: { username: 'alice', password: USERS.alice },
        authData: [['sasl', `bob:${USERS.bob}`]],
      });
    expect(make).toThrow(InvalidArgumentError);
    try {
      make();
    } catch (error) {
      expect(String((error as Error).message)).not.toMatch(/secret-pw/);
    }
  });
});

describe('SASL DIGEST-MD5 on an ensemble', () => {
  let cluster: TestingCluster;

  beforeAll(async () => {
    cluster = await startTestingCluster({ size: 3, sasl: { users: USERS } });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('keeps the session across a member kill and authenticates again before CONNECTED', async () => {
    const zk = track(
      new ZooKeeperClient({
        hosts: cluster.connectString,
        sasl: { username: 'alice', password: USERS.alice },
        sessionTimeout: 20_000,
        connectionRetry: { delay: 50, maxDelay: 200 },
      }),
    );
    // One timeline of SASL replies and connection states, in the order the client saw them.
    const timeline: string[] = [];
    zk.on('connectionState', (state) => timeline.push(state));
    const onSasl = (message: unknown): void => {
      const trace = message as RequestTraceContext;
      if (trace.op === 'sasl') timeline.push(trace.error === undefined ? 'sasl' : 'sasl-error');
    };
    subscribe('tracing:zookit:request:asyncEnd', onSasl);
    try {
      await zk.start({ timeout: 20_000 });
      const path = uniquePath('sasl-ensemble');
      await zk.create(path, 'e', { ephemeral: true, acl: [makeAcl('sasl', 'alice', { all: true })] });
      const { sessionId } = zk.clientId!;
      // DIGEST-MD5 is two sasl round trips (empty response → challenge, response → rspauth).
      expect(timeline).toEqual(['CONNECTING', 'sasl', 'sasl', 'CONNECTED']);

      const hex = sessionId.toString(16);
      let member: (typeof cluster.servers)[number] | undefined;
      for (const s of cluster.servers) {
        if ((await s.fourLetterWord('cons')).includes(`sid=0x${hex}`)) member = s;
      }
      expect(member).toBeDefined();
      timeline.length = 0;
      await member!.kill();
      await waitFor(() => timeline.includes('CONNECTED'), 30_000, 'CONNECTED after the kill');
      // After the kill: CONNECTING, then a complete SASL exchange, then CONNECTED.
      const connected = timeline.indexOf('CONNECTED');
      const saslBefore = timeline.slice(0, connected).filter((e) => e === 'sasl').length;
      expect(timeline[0]).toBe('CONNECTING');
      expect(saslBefore).toBeGreaterThanOrEqual(2);
      expect(timeline.slice(0, connected)).not.toContain('sasl-error');
      expect(zk.clientId!.sessionId).toBe(sessionId);
      expect((await zk.get(path))[0]?.toString()).toBe('e');
      expect(await zk.whoAmI()).toEqual(expect.arrayContaining([{ authScheme: 'sasl', user: 'alice' }]));
    } finally {
      unsubscribe('tracing:zookit:request:asyncEnd', onSasl);
    }
  });
});
