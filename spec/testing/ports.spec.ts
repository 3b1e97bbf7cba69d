// zookit/testing's port choice: a fixed client port, a range for every port a server or ensemble
// opens, kazoo's base port for an ensemble; bad and busy ports fail with typed errors before
// anything starts; and `await using` closes servers and ensembles. docs/testing.md#ports

import { createServer, type Server } from 'node:net';
import { InvalidArgumentError } from '../../lib/errors.js';
import { choosePorts, freePorts, PortUnavailableError } from '../../testing/ports.js';
import { startTestingCluster, type TestingCluster } from '../../testing/testing-cluster.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';

/** A listener holding `port` on 127.0.0.1 until closed. */
async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

/** A run of `count` consecutive free ports (checked, not held), so a test can ask for them. */
async function consecutiveFreePorts(count: number): Promise<number> {
  for (;;) {
    const [start] = await freePorts(1);
    if (start! + count > 65535) continue;
    try {
      const ports = await choosePorts(count, { fixed: Array.from({ length: count }, (_, i) => start! + i) });
      return ports[0]!;
    } catch {
      // one of them is taken: try another start
    }
  }
}

describe('choosing ports', () => {
  it('refuses a port outside 1–65535 or an empty range with InvalidArgumentError, before starting anything', async () => {
    for (const options of [
      { port: 0 },
      { port: 70000 },
      { port: 1.5 },
      { portRange: [3000, 2000] as const },
    ]) {
      const error = await startTestingServer(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).code).toBe('ERR_ZOOKIT_INVALID_ARGUMENT');
    }
    await expect(startTestingServer({ port: 2000, portRange: [2000, 2001] })).rejects.toThrow(/not both/);
    await expect(startTestingCluster({ basePort: 65534, size: 3 })).rejects.toThrow(InvalidArgumentError);
  });

  it('refuses a busy fixed port with PortUnavailableError naming it', async () => {
    const [port] = await freePorts(1);
    const holder = await occupy(port!);
    try {
      const error = await startTestingServer({ port: port!, backend: 'local' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortUnavailableError);
      expect((error as PortUnavailableError).message).toBe(
        `port ${port} on 127.0.0.1 is in use (or may not be bound)`,
      );
      expect((error as PortUnavailableError).port).toBe(port);
      expect((error as PortUnavailableError).code).toBe('ERR_ZOOKIT_PORT_UNAVAILABLE');
    } finally {
      holder.close();
    }
  });

  it('takes the lowest free ports of a range, skipping busy ones, and says when too few are free', async () => {
    const low = await consecutiveFreePorts(3);
    const holder = await occupy(low);
    try {
      expect(await choosePorts(2, { range: [low, low + 2] })).toEqual([low + 1, low + 2]);
      await expect(choosePorts(3, { range: [low, low + 2] })).rejects.toThrow(
        `only 2 of the 3 port(s) needed are free on 127.0.0.1 in ${low}–${low + 2}`,
      );
    } finally {
      holder.close();
    }
  });
});

describe('servers on chosen ports', () => {
  it('a server started on a chosen free port listens there, and `await using` closes it', async () => {
    const [port] = await freePorts(1);
    let outside: TestingServer | undefined;
    {
      await using server = await startTestingServer({ port: port!, backend: 'local' });
      outside = server;
      expect(server.port).toBe(port);
      expect(server.connectString).toBe(`127.0.0.1:${port}`);
      expect(await server.fourLetterWord('ruok')).toBe('imok');
    }
    expect(outside.running).toBe(false);
  });

  it('a server given a range listens on a port of it', async () => {
    const low = await consecutiveFreePorts(5);
    await using server = await startTestingServer({ portRange: [low, low + 4], backend: 'local' });
    expect(server.port).toBeGreaterThanOrEqual(low);
    expect(server.port).toBeLessThanOrEqual(low + 4);
    expect(await server.fourLetterWord('ruok')).toBe('imok');
  });

  it('an ensemble given a base port puts member N on basePort + 3(N-1), and `await using` closes it', async () => {
    const base = await consecutiveFreePorts(6);
    let outside: TestingCluster | undefined;
    {
      await using cluster = await startTestingCluster({ size: 2, basePort: base });
      outside = cluster;
      expect(cluster.servers.map((s) => s.port)).toEqual([base, base + 3]);
      expect(await cluster.server(2).fourLetterWord('ruok')).toBe('imok');
    }
    expect(outside.servers.map((s) => s.running)).toEqual([false, false]);
  });
});
