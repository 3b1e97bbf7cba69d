import { createServer, type Server } from 'node:net';

/** The loopback address every harness server listens on; never 0.0.0.0, so tests stay on this host. */
export const LOOPBACK = '127.0.0.1';

/**
 * Reserves `count` distinct free TCP ports on 127.0.0.1 and returns them. All listeners are open at
 * the same time, so the ports differ; they are closed before returning, so a port can still be
 * taken by someone else before the caller binds it (the server start retries for that reason).
 */
export async function freePorts(count: number): Promise<number[]> {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`freePorts(count): count must be a non-negative integer, got ${count}`);
  }
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, LOOPBACK, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        throw new Error('freePorts: a listener on 127.0.0.1 reported no TCP address');
      }
      return address.port;
    });
  } finally {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
    );
  }
}

/** Reserves one free TCP port on 127.0.0.1; see `freePorts`. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
