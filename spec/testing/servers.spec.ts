// Integration tests of the harness itself, against real ZooKeeper servers.
import { readFileSync } from 'node:fs';
import { fourLetterWord } from '../../lib/client/four-letter-words.js';
import { freePort } from '../../testing/ports.js';
import { HarnessOperationUnsupportedError } from '../../testing/server-handle.js';
import { startTestingCluster, type TestingCluster } from '../../testing/testing-cluster.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { createTlsMaterial, serverSslConfig, type TlsMaterial } from '../../testing/tls.js';

/** Asserts that no process has this pid any more (it exited and was reaped). */
function expectProcessGone(pid: number): void {
  let code: string | undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    code = (error as NodeJS.ErrnoException).code;
  }
  expect(code).toBe('ESRCH');
}

/** Runs `body` with environment variables temporarily set (undefined deletes one). */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    return await body();
  } finally {
    apply(saved);
  }
}

describe('fourLetterWord', () => {
  it('rejects anything but four lowercase letters with a TypeError before connecting', async () => {
    await expect(fourLetterWord('127.0.0.1', 1, 'RUOK')).rejects.toThrow(TypeError);
    await expect(fourLetterWord('127.0.0.1', 1, 'ruo')).rejects.toThrow(TypeError);
    await expect(fourLetterWord('127.0.0.1', 1, 'ruok\n')).rejects.toThrow(TypeError);
  });

  it('rejects with an Error naming the address when nothing listens on the port', async () => {
    const port = await freePort();
    await expect(fourLetterWord('127.0.0.1', port, 'ruok', { timeout: 2000 })).rejects.toThrow(
      new RegExp(`'ruok' to 127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`),
    );
  });
});

describe('a standalone testing server', () => {
  let server: TestingServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers imok to ruok and reports a 3.8 standalone server through srvr', async () => {
    server = await startTestingServer();
    expect(server.connectString).toBe(`127.0.0.1:${server.port}`);
    expect(server.id).toBe(1);
    expect(await server.fourLetterWord('ruok')).toBe('imok');
    const srvr = await server.fourLetterWord('srvr');
    expect(srvr).toMatch(/^Zookeeper version: 3\.8/);
    expect(srvr).toMatch(/^Mode: standalone$/m);
    expect(await server.mode()).toBe('standalone');
  });

  it('refuses connections on its port and leaves no process behind after close()', async () => {
    server = await startTestingServer();
    const { port, pid } = server;
    expect(pid).toEqual(expect.any(Number));
    await server.close();
    expect(server.running).toBe(false);
    expectProcessGone(pid!);
    await expect(fourLetterWord('127.0.0.1', port, 'ruok', { timeout: 2000 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    // A second close() is harmless.
    await server.close();
  });

  it('answers nothing while paused and answers again after resume()', async () => {
    server = await startTestingServer();
    await server.pause();
    let outcome: string;
    try {
      outcome = await server.fourLetterWord('ruok', { timeout: 1500 }).then(
        (answer) => `answered ${JSON.stringify(answer)}`,
        (error: Error) => error.message,
      );
    } finally {
      await server.resume();
    }
    expect(outcome).toMatch(/timed out after 1500 ms/);
    expect(await server.fourLetterWord('ruok')).toBe('imok');
  });

  it('keeps its port and data directory across stop() and restart()', async () => {
    server = await startTestingServer();
    const { port, pid, dataDir } = server;
    await server.stop();
    expect(server.running).toBe(false);
    expectProcessGone(pid!);
    await server.restart();
    expect(server.running).toBe(true);
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    expect(await server.fourLetterWord('ruok')).toBe('imok');
    expect(await server.fourLetterWord('conf')).toContain(`dataDir=${dataDir}`);
  });

  it('restart() of a killed server brings it back on the same port', async () => {
    server = await startTestingServer();
    const { port, pid } = server;
    await server.kill();
    expectProcessGone(pid!);
    await expect(fourLetterWord('127.0.0.1', port, 'ruok', { timeout: 2000 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    await server.restart();
    expect(await fourLetterWord('127.0.0.1', port, 'ruok')).toBe('imok');
  });
});

describe('a TLS-only testing server (secureClientPort, no plain client port)', () => {
  let material: TlsMaterial;
  let server: TestingServer | undefined;

  beforeAll(async () => {
    material = await createTlsMaterial();
    server = await startTestingServer({
      backend: 'local',
      logLevel: 'info',
      tlsOnly: { ca: material.ca },
      extraConfig: serverSslConfig(material, 'want'),
    });
  });

  afterAll(async () => {
    await server?.close();
    await material?.cleanup();
  });

  it('answers srvr to fourLetterWord over TLS on its one client port', async () => {
    const srvr = await fourLetterWord('127.0.0.1', server!.port, 'srvr', { tls: { ca: material.ca } });
    expect(srvr).toMatch(/^Zookeeper version: 3\.8/);
    expect(srvr).toMatch(/^Mode: standalone$/m);
    // By host name too: the certificate is checked against the name (SNI localhost).
    expect(await fourLetterWord('localhost', server!.port, 'ruok', { tls: { ca: material.ca } })).toBe(
      'imok',
    );
  });

  it('opens no plain client port: the harness probes it over TLS, and plaintext gets no answer', async () => {
    const conf = await server!.fourLetterWord('conf');
    expect(conf).toContain(`secureClientPort=${server!.port}`);
    expect(conf).toMatch(/^clientPort=-1$/m);
    expect(await server!.mode()).toBe('standalone');
    const log = readFileSync(server!.logFile!, 'utf8');
    expect(log).toContain(`secure: true on addr /127.0.0.1:${server!.port}`);
    expect(log).not.toContain('secure: false');
    const plain = await fourLetterWord('127.0.0.1', server!.port, 'ruok', { timeout: 2000 }).then(
      (answer) => `answered ${JSON.stringify(answer)}`,
      (error: Error) => error.message,
    );
    expect(plain).not.toMatch(/^answered/); // Netty waits for a TLS record that never comes
  });

  it('rejects a certificate it does not trust with an Error naming the word and the address', async () => {
    await expect(fourLetterWord('127.0.0.1', server!.port, 'ruok', { tls: {} })).rejects.toThrow(
      new RegExp(`'ruok' to 127\\.0\\.0\\.1:${server!.port} failed: .*certificate`),
    );
  });
});

describe('a testing cluster', () => {
  let cluster: TestingCluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('starts three members with one leader and two followers, and close() ends every one', async () => {
    cluster = await startTestingCluster({ size: 3 });
    expect(cluster.servers.map((server) => server.id)).toEqual([1, 2, 3]);
    expect(cluster.connectString).toBe(cluster.servers.map((server) => `127.0.0.1:${server.port}`).join(','));
    expect(cluster.connectStringWithout(2)).toBe(
      `127.0.0.1:${cluster.server(1).port},127.0.0.1:${cluster.server(3).port}`,
    );
    expect(cluster.serverFor(`127.0.0.1:${cluster.server(2).port}`)).toBe(cluster.server(2));

    const modes = await Promise.all(cluster.servers.map((server) => server.mode()));
    expect([...modes].sort()).toEqual(['follower', 'follower', 'leader']);
    for (const server of cluster.servers) expect(await server.fourLetterWord('ruok')).toBe('imok');

    const members = cluster.servers.map(({ pid, port }) => ({ pid: pid!, port }));
    await cluster.close();
    for (const { pid, port } of members) {
      expectProcessGone(pid);
      await expect(fourLetterWord('127.0.0.1', port, 'ruok', { timeout: 2000 })).rejects.toThrow(
        /ECONNREFUSED/,
      );
    }
  });

  it('lets a killed leader restart on the same port with its data and rejoin as leader or follower', async () => {
    cluster = await startTestingCluster({ size: 3 });
    const leader = await cluster.leader();
    const { port, pid, dataDir } = leader;
    await leader.kill();
    expectProcessGone(pid!);

    // The other two still form a quorum and elect a new leader among themselves.
    const newLeader = await cluster.leader({ timeoutMs: 30_000 });
    expect(newLeader.id).not.toBe(leader.id);

    await leader.restart();
    expect(leader.port).toBe(port);
    expect(['leader', 'follower']).toContain(await leader.mode());
    expect(await leader.fourLetterWord('conf')).toContain(`dataDir=${dataDir}`);
    await cluster.waitForQuorum();
  });

  it('restarts a lone member to the point of answering ruok when waitFor is process', async () => {
    cluster = await startTestingCluster({ size: 3 });
    await Promise.all(cluster.servers.map((server) => server.kill()));
    const lone = cluster.server(1);
    await lone.restart({ waitFor: 'process' });
    expect(await lone.fourLetterWord('ruok')).toBe('imok');
    // Without a quorum it is neither leader nor follower (not serving, or read-only later on).
    expect(['leader', 'follower']).not.toContain(await lone.mode());
  });
});

describe('the external backend (ZK_CONNECT)', () => {
  it('connects to the named server and refuses every process operation with HarnessOperationUnsupportedError', async () => {
    const real = await startTestingServer({ backend: 'local' });
    try {
      const external = await withEnv({ ZK_CONNECT: real.connectString, ZOOKIT_TEST_BACKEND: undefined }, () =>
        startTestingServer(),
      );
      expect(external.backend).toBe('external');
      expect(external.connectString).toBe(real.connectString);
      expect(external.pid).toBeUndefined();
      expect(await external.fourLetterWord('ruok')).toBe('imok');

      for (const operation of ['kill', 'stop', 'restart', 'pause', 'resume'] as const) {
        const attempt = external[operation]();
        await expect(attempt).rejects.toThrow(HarnessOperationUnsupportedError);
        await expect(attempt).rejects.toMatchObject({ operation, backend: 'external' });
      }

      // close() leaves the server it does not own alone.
      await external.close();
      expect(await real.fourLetterWord('ruok')).toBe('imok');
    } finally {
      await real.close();
    }
  });

  it('cannot be forced for an ensemble', async () => {
    await withEnv({ ZK_CONNECT: '127.0.0.1:1', ZOOKIT_TEST_BACKEND: 'external' }, async () => {
      await expect(startTestingCluster()).rejects.toThrow(HarnessOperationUnsupportedError);
    });
  });
});
