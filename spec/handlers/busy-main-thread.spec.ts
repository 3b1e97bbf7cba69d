// What the worker thread buys: a main thread blocked for three session timeouts. Under
// WorkerThreadsHandler the loop in the worker keeps pinging, so the session, its ephemeral node
// and the requests issued before the stall all survive. Under SequentialMicrotaskHandler the same
// stall expires the session — the documented contrast, asserted as such. A second client in its
// own thread watches the ephemeral node during the stall.
//
// Also here: the worker thread dying under a live client is a disconnect, not an end.

import { join } from 'node:path';
import type { Handler } from '../../handlers/handler.js';
import { SequentialMicrotaskHandler } from '../../handlers/sequential-microtask.js';
import { WorkerExitError, WorkerThreadsHandler } from '../../handlers/worker-threads.js';
import { ConnectionLossError, SessionExpiredError } from '../../lib/errors.js';
import type { WatchedEvent } from '../../lib/watches/watch-registry.js';
import { EventType } from '../../protocol/constants.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, uniqueName, waitUntil } from '../client/support.js';

const SESSION_TIMEOUT_MS = 4000;
const STALL_MS = 12_000;

let server: TestingServer;
const pool = new ClientPool();
/** Runs the observer client in a thread of its own. */
let observerThread: WorkerThreadsHandler;

beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(async () => {
  await pool.stopAll();
  await observerThread?.stop();
});
afterAll(async () => {
  await server?.close();
});

/** Blocks this thread: no timer, socket or message runs until it returns. */
function blockMainThread(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

/** Starts a client in another thread that reports every 250 ms whether `path` exists. */
function observe(path: string, durationMs: number): Array<{ at: number; exists: boolean | string }> {
  observerThread = new WorkerThreadsHandler();
  const [mine, theirs] = observerThread.createSocketPair<unknown, { at: number; exists: boolean | string }>();
  const seen: Array<{ at: number; exists: boolean | string }> = [];
  mine.onMessage((m) => seen.push(m));
  observerThread.spawn(
    {
      name: 'test-observe-node',
      module: join(__dirname, 'worker-test-tasks.ts'),
      run: () => Promise.reject(new Error('worker only')),
    },
    { channel: theirs, hosts: server.connectString, path, durationMs, intervalMs: 250 },
  );
  return seen;
}

/** A client holding an ephemeral node, and the stall with requests issued just before it. */
async function stallWith(handler: Handler) {
  const zk = await pool.open({ hosts: server.connectString, sessionTimeout: SESSION_TIMEOUT_MS, handler });
  const states: string[] = [];
  zk.on('state', (s) => states.push(s));
  const path = `/${uniqueName('stall')}`;
  await zk.create(path, 'held', { ephemeral: true });
  const sessionBefore = zk.clientId?.sessionId;
  const seen = observe(path, STALL_MS + 3000);
  await waitUntil(() => seen.length > 0, 'the observer to start');
  const stallStart = Date.now();
  // Issued, not yet answered, when the thread blocks.
  const pending = [zk.get(path), zk.exists(path), zk.set(path, 'during the stall')].map((p) =>
    p.then(
      () => 'ok',
      (error: Error) => error,
    ),
  );
  blockMainThread(STALL_MS);
  const stallEnd = Date.now();
  const outcomes = await Promise.all(pending);
  return { zk, path, sessionBefore, seen, stallStart, stallEnd, outcomes, states };
}

describe('a main thread blocked for three session timeouts (4 s timeout, 12 s stall)', () => {
  it('keeps the session, its ephemeral node and the pending requests under WorkerThreadsHandler', async () => {
    const handler = new WorkerThreadsHandler();
    const { zk, path, sessionBefore, seen, stallStart, stallEnd, outcomes, states } =
      await stallWith(handler);
    try {
      expect(outcomes).toEqual(['ok', 'ok', 'ok']);
      expect(zk.clientId?.sessionId).toBe(sessionBefore);
      expect(states).not.toContain('LOST');
      expect((await zk.get(path))[0]?.toString()).toBe('during the stall');
      // The observer looked all through the stall and always found the node.
      await waitUntil(() => seen.some((s) => s.at > stallEnd), 'an observation after the stall', {
        timeoutMs: 5000,
      });
      const during = seen.filter((s) => s.at > stallStart && s.at < stallEnd);
      expect(during.length).toBeGreaterThan(STALL_MS / 250 / 2);
      expect(during.every((s) => s.exists === true)).toBe(true);
    } finally {
      await zk.stop();
      await handler.stop();
    }
  }, 60_000);

  it('loses the session (documented contrast) under SequentialMicrotaskHandler: LOST, a new session, the ephemeral gone', async () => {
    const { zk, path, sessionBefore, seen, stallStart, stallEnd, outcomes, states } = await stallWith(
      new SequentialMicrotaskHandler(),
    );
    // The requests were never answered on the old session.
    for (const outcome of outcomes) {
      expect([SessionExpiredError, ConnectionLossError].some((type) => outcome instanceof type)).toBe(true);
    }
    await waitUntil(
      () => states.includes('LOST') && zk.isConnected,
      'LOST, then CONNECTED on a new session',
      {
        timeoutMs: 15_000,
      },
    );
    expect(zk.clientId?.sessionId).not.toBe(sessionBefore);
    expect(await zk.exists(path)).toBeNull();
    // The observer saw the node vanish while this thread was blocked.
    const during = seen.filter((s) => s.at > stallStart && s.at < stallEnd);
    expect(during.some((s) => s.exists === true)).toBe(true);
    expect(during.some((s) => s.exists === false)).toBe(true);
  }, 60_000);
});

describe('the worker thread dying under a live client', () => {
  it('is a disconnect: an error event, SUSPENDED, then CONNECTED on the same session with its watches re-registered', async () => {
    const handler = new WorkerThreadsHandler();
    const zk = await pool.open({ hosts: server.connectString, handler });
    const other = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('worker-death')}`;
    await zk.create(path, 'v1', { ephemeral: true });
    const events: WatchedEvent[] = [];
    await zk.get(path, (event) => {
      events.push(event);
    });
    const states: string[] = [];
    const errors: unknown[] = [];
    zk.on('state', (s) => states.push(s));
    zk.on('error', (e) => errors.push(e));
    const sessionBefore = zk.clientId?.sessionId;

    await handler.pool.workerOf(handler)!.terminate();

    await waitUntil(
      () => states.includes('SUSPENDED') && states.at(-1) === 'CONNECTED',
      'SUSPENDED, then CONNECTED',
    );
    expect(errors.some((e) => e instanceof WorkerExitError)).toBe(true);
    expect(zk.clientId?.sessionId).toBe(sessionBefore);
    expect(await zk.exists(path)).not.toBeNull(); // the ephemeral: same session
    await other.set(path, 'v2');
    await waitUntil(() => events.length > 0, 'the watch set before the worker died to fire');
    expect(events).toEqual([expect.objectContaining({ type: EventType.NodeDataChanged, path })]);
    await zk.stop();
    await handler.stop();
  }, 60_000);
});
