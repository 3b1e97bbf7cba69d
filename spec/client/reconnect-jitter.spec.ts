// The reconnect jitter (docs/reliability.md#reconnect-jitter): after a connection that was up
// ends, each client waits a random time below `reconnectJitter` before it reconnects, so the
// clients of a server that died reach the survivors spread out rather than in one instant (the
// herd test, spec/herd/, measures it on an ensemble). Here 20 clients lose their connections at
// once through a proxy and their reconnect times are compared.

import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, type ZooKeeperClient } from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, TcpProxy, waitUntil } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
const proxies: TcpProxy[] = [];
beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(async () => {
  await pool.stopAll();
  for (const proxy of proxies.splice(0)) proxy.close();
});
afterAll(async () => {
  await server?.close();
});

/** Cuts every connection of `clients` at once; resolves with each one's ms from the cut to CONNECTED again. */
async function reconnectTimes(clients: readonly ZooKeeperClient[], proxy: TcpProxy): Promise<number[]> {
  const times: number[] = new Array(clients.length).fill(Number.NaN);
  const cutAt = performance.now();
  clients.forEach((zk, i) => {
    zk.on('connectionState', (state) => {
      if (state === 'CONNECTED' && Number.isNaN(times[i])) times[i] = performance.now() - cutAt;
    });
  });
  proxy.block();
  proxy.unblock();
  await waitUntil(() => times.every((t) => !Number.isNaN(t)), 'every client to reconnect', {
    timeoutMs: 20_000,
    intervalMs: 20,
  });
  return times;
}

async function fleet(
  count: number,
  reconnectJitter: number | undefined,
): Promise<[ZooKeeperClient[], TcpProxy]> {
  const proxy = await TcpProxy.start(server.host, server.port);
  proxies.push(proxy);
  const clients = await Promise.all(
    Array.from({ length: count }, () =>
      pool.open({ hosts: proxy.connectString, sessionTimeout: 20_000, reconnectJitter }),
    ),
  );
  return [clients, proxy];
}

it('spreads the reconnects of clients that lost their connections together over [0, reconnectJitter)', async () => {
  const [clients, proxy] = await fleet(20, 2000);
  const sessions = clients.map((zk) => zk.clientId?.sessionId);
  const times = await reconnectTimes(clients, proxy);
  // 20 uniform waits in [0, 2000) all within 600 ms of each other: about 20 × 0.3^19, never.
  expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(600);
  // None waited past its bound (plus the handshake, on a loaded machine).
  expect(Math.max(...times)).toBeLessThan(2000 + 3000);
  expect(clients.map((zk) => zk.clientId?.sessionId)).toEqual(sessions);
});

it('refuses a negative or non-finite reconnectJitter before connecting', async () => {
  for (const reconnectJitter of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    await expect(pool.open({ hosts: server.connectString, reconnectJitter })).rejects.toThrow(
      InvalidArgumentError,
    );
  }
});
