// Clients whose connection loops share one worker thread (WorkerThreadsHandler on a WorkerPool),
// against a real server: fifty of them read, write and watch side by side; one stopping leaves the
// rest untouched; the thread dying is, for each client on it, the disconnect a dedicated worker's
// death is (a WorkerExitError, SUSPENDED, the same session back with its watches); and once every
// client is closed the idle thread does not keep a process alive.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerPool } from '../../handlers/worker-pool.js';
import { WorkerExitError, WorkerThreadsHandler } from '../../handlers/worker-threads.js';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, uniqueName, waitUntil } from '../client/support.js';

const CLIENTS = 50;

let server: TestingServer;
const clients = new ClientPool();
let pool: WorkerPool;

beforeAll(async () => {
  server = await startTestingServer({ extraConfig: { maxClientCnxns: 0 } });
});
beforeEach(() => {
  pool = new WorkerPool();
});
afterEach(async () => {
  await clients.stopAll();
  await pool.terminate();
});
afterAll(async () => {
  await server?.close();
});

/** `count` started clients, each on a handler of its own on the test's pool. */
async function openShared(
  count: number,
): Promise<Array<{ zk: ZooKeeperClient; handler: WorkerThreadsHandler }>> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const handler = new WorkerThreadsHandler({ pool });
      const zk = await clients.open({ hosts: server.connectString, handler, sessionTimeout: 6000 });
      return { zk, handler };
    }),
  );
}

/** Each client sets the node `${root}/n${index}` and reads it back. */
async function readWriteAll(
  sessions: Array<{ zk: ZooKeeperClient; index: number }>,
  root: string,
  value: string,
): Promise<void> {
  await Promise.all(
    sessions.map(async ({ zk, index }) => {
      await zk.set(`${root}/n${index}`, value);
      const [data] = await zk.get(`${root}/n${index}`);
      expect(data?.toString()).toBe(value);
    }),
  );
}

describe('clients sharing one worker thread', () => {
  it('fifty clients read, write and watch, all through one thread', async () => {
    const sessions = await openShared(CLIENTS);
    expect(pool.threads).toBe(1);
    const root = `/${uniqueName('shared')}`;
    await sessions[0]!.zk.create(root);
    await Promise.all(sessions.map(({ zk }, i) => zk.create(`${root}/n${i}`, 'new')));
    const events: WatchedEvent[][] = sessions.map(() => []);
    // Each client watches its neighbour's node.
    await Promise.all(
      sessions.map(({ zk }, i) => zk.get(`${root}/n${(i + 1) % CLIENTS}`, (event) => events[i]!.push(event))),
    );
    await readWriteAll(
      sessions.map(({ zk }, index) => ({ zk, index })),
      root,
      'round 1',
    );
    await waitUntil(() => events.every((seen) => seen.length === 1), 'every watch to fire');
    expect(new Set(sessions.map(({ zk }) => zk.clientId?.sessionId)).size).toBe(CLIENTS);
  }, 60_000);

  it('stopping one client and its handler leaves the others working on the same thread', async () => {
    const sessions = await openShared(10);
    const root = `/${uniqueName('stop-one')}`;
    await sessions[0]!.zk.create(root);
    await Promise.all(sessions.map(({ zk }, i) => zk.create(`${root}/n${i}`)));
    const thread = pool.workerOf(sessions[1]!.handler);
    const [gone, ...rest] = sessions;
    await gone!.zk.stop();
    await gone!.handler.stop();
    expect(pool.threads).toBe(1);
    expect(pool.workerOf(rest[0]!.handler)).toBe(thread);
    expect(pool.running).toBe(rest.length);
    await readWriteAll(
      rest.map(({ zk }, i) => ({ zk, index: i + 1 })),
      root,
      'after one stopped',
    );
  }, 60_000);

  it('a handler stopped under a live client ends only that client’s loop, which resumes its session', async () => {
    const sessions = await openShared(5);
    const [victim, ...rest] = sessions;
    const errors: unknown[] = [];
    victim!.zk.on('error', (error) => errors.push(error));
    const sessionBefore = victim!.zk.clientId?.sessionId;
    const states: string[] = [];
    victim!.zk.on('state', (state) => states.push(state));
    const othersSeen: string[] = [];
    for (const { zk } of rest) zk.on('state', (state) => othersSeen.push(state));

    await victim!.handler.stop();

    await waitUntil(
      () => states.includes('SUSPENDED') && states.at(-1) === 'CONNECTED',
      'SUSPENDED, then CONNECTED',
    );
    expect(errors.some((error) => error instanceof WorkerExitError)).toBe(true);
    expect(victim!.zk.clientId?.sessionId).toBe(sessionBefore);
    expect(othersSeen).toEqual([]);
    expect(pool.threads).toBe(1);
    // Only its new loop and the others' run: the cancelled one left nothing behind.
    expect(pool.running).toBe(sessions.length);
    expect(await victim!.zk.exists('/')).not.toBeNull();
  }, 60_000);

  it('the thread dying is a disconnect for each client on it: WorkerExitError, SUSPENDED, the same session and its watches back', async () => {
    const sessions = await openShared(CLIENTS);
    const root = `/${uniqueName('thread-death')}`;
    await sessions[0]!.zk.create(root);
    const errors = sessions.map(() => [] as unknown[]);
    const states = sessions.map(() => [] as string[]);
    const events = sessions.map(() => [] as WatchedEvent[]);
    const before = sessions.map(({ zk }) => zk.clientId?.sessionId);
    await Promise.all(
      sessions.map(async ({ zk }, i) => {
        zk.on('error', (error) => errors[i]!.push(error));
        zk.on('state', (state) => states[i]!.push(state));
        await zk.create(`${root}/e${i}`, 'v1', { ephemeral: true });
        await zk.get(`${root}/e${i}`, (event) => events[i]!.push(event));
      }),
    );

    await pool.workerOf(sessions[0]!.handler)!.terminate();

    await waitUntil(
      () => states.every((seen) => seen.includes('SUSPENDED') && seen.at(-1) === 'CONNECTED'),
      'every client SUSPENDED, then CONNECTED',
      { timeoutMs: 30_000 },
    );
    expect(errors.every((seen) => seen.some((error) => error instanceof WorkerExitError))).toBe(true);
    expect(sessions.map(({ zk }) => zk.clientId?.sessionId)).toEqual(before);
    expect(pool.threads).toBe(1); // a fresh thread runs them all again
    await Promise.all(sessions.map(({ zk }, i) => zk.set(`${root}/e${i}`, 'v2')));
    await waitUntil(() => events.every((seen) => seen.length === 1), 'every watch re-registered and fired');
  }, 90_000);
});

describe('a process whose clients shared a worker thread', () => {
  let outDir: string;
  beforeAll(() => {
    // Our own build (as spec/client/process-exit.spec.ts does), so the worker runs plain JavaScript.
    mkdirSync('.build', { recursive: true });
    outDir = mkdtempSync(join(process.cwd(), '.build', 'shared-exit-'));
    execFileSync(
      process.execPath,
      [
        'node_modules/typescript/bin/tsc',
        ...['-p', 'tsconfig.build.json', '--outDir', outDir, '--module', 'commonjs'],
        ...['--moduleResolution', 'node10', '--declaration', 'false', '--declarationMap', 'false'],
        ...['--sourceMap', 'false'],
      ],
      { stdio: 'pipe' },
    );
  }, 120_000);
  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('exits by itself once every client is closed', async () => {
    const script = `
      const { ZooKeeperClient, WorkerThreadsHandler } = require(${JSON.stringify(join(outDir, 'index.js'))});
      (async () => {
        const zks = Array.from({ length: 5 }, () =>
          new ZooKeeperClient({ hosts: process.env.ZK_HOSTS, handler: WorkerThreadsHandler.shared() }));
        await Promise.all(zks.map((zk) => zk.start()));
        await Promise.all(zks.map((zk) => zk.exists('/')));
        await Promise.all(zks.map((zk) => zk.close()));
        console.log('closed');
      })().catch((e) => { console.error(e); process.exitCode = 2; });
    `;
    const child = spawn(process.execPath, ['-e', script], {
      env: { ...process.env, ZK_HOSTS: server.connectString },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      const killer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the process did not exit by itself within 15 s; output:\n${out}`));
      }, 15_000);
      child.on('exit', (exitCode) => {
        clearTimeout(killer);
        resolve(exitCode);
      });
    });
    expect(out).toContain('closed');
    expect(code).toBe(0);
  }, 30_000);
});
