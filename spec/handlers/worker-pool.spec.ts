// WorkerPool, the threads WorkerThreadsHandler runs its tasks in when handlers share them: many
// handlers' tasks in one thread, stopping one handler ends only its tasks, a thread's death fails
// only the tasks it ran, tasks spread over a pool of several threads, and misuse is a typed error.

import { join } from 'node:path';
import type { ChannelEnd, SpawnTask } from '../../handlers/handler.js';
import type { SharedEvent } from '../../handlers/shared-event.js';
import { WorkerPool } from '../../handlers/worker-pool.js';
import {
  WorkerExitError,
  WorkerPoolClosedError,
  WorkerPoolOptionsError,
  WorkerThreadsHandler,
} from '../../handlers/worker-threads.js';
import { settlement } from './support.js';

const TEST_TASKS = join(__dirname, 'worker-test-tasks.ts');
const task = <A>(name: string): SpawnTask<A> => ({
  name,
  module: TEST_TASKS,
  run: () => Promise.reject(new Error('runs in the worker only')),
});

const pools: WorkerPool[] = [];
function newPool(size?: number): WorkerPool {
  const pool = new WorkerPool({ size });
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.terminate()));
});

/** Starts an echo task on `handler`; resolves with a function that asks it one round trip. */
function startEcho(handler: WorkerThreadsHandler): {
  ask: (n: number) => Promise<unknown>;
  end: ChannelEnd<unknown, unknown>;
} {
  const [mine, theirs] = handler.createSocketPair<unknown, unknown>();
  let waiting: ((message: unknown) => void) | undefined;
  mine.onMessage((message) => {
    if ((message as { t: string }).t === 'init') return;
    waiting?.((message as { n: number }).n);
  });
  handler.spawn(task('test-echo'), { channel: theirs, passwd: Buffer.alloc(16) });
  return {
    ask: (n) =>
      new Promise((resolve) => {
        waiting = resolve;
        mine.post({ t: 'echo', n });
      }),
    end: mine,
  };
}

describe('WorkerPool shared by handlers', () => {
  it('runs the tasks of many handlers in one thread', async () => {
    const pool = newPool();
    const handlers = Array.from({ length: 10 }, () => new WorkerThreadsHandler({ pool }));
    const echoes = handlers.map(startEcho);
    expect(await Promise.all(echoes.map((echo, n) => echo.ask(n)))).toEqual([...Array(10).keys()]);
    expect(pool.threads).toBe(1);
    expect(pool.running).toBe(10);
    for (const echo of echoes) echo.end.post({ t: 'stop' });
    await Promise.all(handlers.map((handler) => handler.stop()));
  });

  it('ends only the stopped handler’s tasks, aborting their sleeps in the worker, and keeps the thread', async () => {
    const pool = newPool();
    const stopped = new WorkerThreadsHandler({ pool });
    const other = new WorkerThreadsHandler({ pool });
    const aborted = stopped.eventObject() as SharedEvent;
    const sleeping = stopped.spawn(task('test-sleep-until-cancelled'), { buffer: aborted.buffer });
    const echo = startEcho(other);
    expect(await echo.ask(1)).toBe(1);
    const thread = pool.workerOf(other);

    await stopped.stop();

    expect(await sleeping.done.catch((e: unknown) => e)).toBeInstanceOf(WorkerExitError);
    expect(await aborted.wait(5000)).toBe(true); // the task's sleep in the worker was aborted
    expect(await echo.ask(2)).toBe(2);
    expect(pool.workerOf(other)).toBe(thread);
    expect(pool.threads).toBe(1);
    echo.end.post({ t: 'stop' });
  });

  it('fails only the tasks of a thread that dies, and starts a fresh thread for the next task', async () => {
    const pool = newPool(2);
    const a = new WorkerThreadsHandler({ pool });
    const b = new WorkerThreadsHandler({ pool });
    const hanging = a.spawn(task('test-hang'), {});
    const echo = startEcho(b);
    expect(await echo.ask(1)).toBe(1);
    expect(pool.threads).toBe(2); // one task each: a busy thread is not given a second task while a slot is free
    const dying = pool.workerOf(a)!;
    expect(pool.workerOf(b)).not.toBe(dying);

    await dying.terminate();

    expect(await hanging.done.catch((e: unknown) => e)).toBeInstanceOf(WorkerExitError);
    expect(await echo.ask(2)).toBe(2);
    expect(pool.threads).toBe(1);
    const event = a.eventObject() as SharedEvent;
    await a.spawn(task('test-set-event'), { buffer: event.buffer, delayMs: 0 }).done;
    expect(event.isSet()).toBe(true);
    expect(pool.threads).toBe(2);
    echo.end.post({ t: 'stop' });
  });

  it('gives the next task to the thread running the fewest', async () => {
    const pool = newPool(2);
    const handler = new WorkerThreadsHandler({ pool });
    const first = handler.spawn(task('test-hang'), {});
    const second = handler.spawn(task('test-hang'), {});
    const third = handler.spawn(task('test-hang'), {});
    expect(pool.threads).toBe(2);
    expect(pool.running).toBe(3);
    await handler.stop();
    for (const spawned of [first, second, third]) expect(await settlement(spawned.done)).toBe('rejected');
    expect(pool.running).toBe(0);
    expect(pool.threads).toBe(2); // a shared pool's threads outlive the handlers
  });

  it('fails every task with WorkerExitError on terminate(), and refuses later spawns with WorkerPoolClosedError', async () => {
    const pool = newPool();
    const handler = new WorkerThreadsHandler({ pool });
    const hanging = handler.spawn(task('test-hang'), {});
    await pool.terminate();
    expect(await hanging.done.catch((e: unknown) => e)).toBeInstanceOf(WorkerExitError);
    expect(pool.threads).toBe(0);
    expect(() => handler.spawn(task('test-hang'), {})).toThrow(WorkerPoolClosedError);
  });
});

describe('WorkerThreadsHandler options', () => {
  it('shares the process-wide pool with { shared: true } and WorkerThreadsHandler.shared()', () => {
    expect(new WorkerThreadsHandler({ shared: true }).pool).toBe(WorkerPool.shared());
    expect(WorkerThreadsHandler.shared().pool).toBe(WorkerPool.shared());
    // Many idle loops: a young generation V8 grew under a connect storm is not kept (docs/handlers.md#sharing).
    expect(WorkerPool.shared().resourceLimits).toEqual({ maxYoungGenerationSizeMb: 8 });
    expect(WorkerPool.shared().size).toBe(1);
  });

  it('has a pool of its own without either, and a fresh one after stop(), so a restarted client spawns again', async () => {
    const handler = new WorkerThreadsHandler();
    const before = handler.pool;
    expect(before).not.toBe(WorkerPool.shared());
    expect(new WorkerThreadsHandler().pool).not.toBe(before);
    const event = handler.eventObject() as SharedEvent;
    await handler.spawn(task('test-set-event'), { buffer: event.buffer, delayMs: 0 }).done;
    await handler.stop();
    expect(before.threads).toBe(0);
    expect(handler.pool).not.toBe(before);
    event.clear();
    await handler.spawn(task('test-set-event'), { buffer: event.buffer, delayMs: 0 }).done;
    expect(event.isSet()).toBe(true);
    await handler.stop();
  });

  it('refuses contradicting options with WorkerPoolOptionsError', () => {
    const pool = newPool();
    expect(() => new WorkerThreadsHandler({ pool, shared: true })).toThrow(WorkerPoolOptionsError);
    expect(() => new WorkerThreadsHandler({ pool, resourceLimits: { maxOldGenerationSizeMb: 64 } })).toThrow(
      WorkerPoolOptionsError,
    );
    expect(() => new WorkerThreadsHandler({ shared: true, resourceLimits: {} })).toThrow(
      WorkerPoolOptionsError,
    );
    expect(() => new WorkerPool({ size: 0 })).toThrow(WorkerPoolOptionsError);
    expect(() => new WorkerPool({ size: 1.5 })).toThrow(WorkerPoolOptionsError);
  });
});
