import { type Handler, HandlerTimeoutError, type SpawnTask } from '../../handlers/index.js';
import { inThreadHandlers, nextTurn, rejectionOf, settlement } from './support.js';

describe.each(inThreadHandlers)('%s lifecycle', (_name, makeHandler) => {
  it('is not running until started, and not after stop resolves', async () => {
    const handler = makeHandler();
    expect(handler.running).toBe(false);
    handler.start();
    expect(handler.running).toBe(true);
    await expect(handler.stop()).resolves.toBeUndefined();
    expect(handler.running).toBe(false);
  });

  it('throws HandlerTimeoutError, a named Error subclass, on timeouts', () => {
    const handler = makeHandler();
    expect(handler.TimeoutError).toBe(HandlerTimeoutError);
    const error = new handler.TimeoutError('waited too long');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('HandlerTimeoutError');
    expect(error.message).toBe('waited too long');
  });

  it('hands out a fresh event, lock and result on every call', () => {
    const handler = makeHandler();
    const event = handler.eventObject();
    event.set();
    expect(handler.eventObject().isSet()).toBe(false);
    const lock = handler.lockObject();
    lock.tryAcquire();
    expect(handler.lockObject().locked).toBe(false);
    const result = handler.asyncResult<number>();
    result.set(1);
    expect(handler.asyncResult<number>().ready).toBe(false);
  });
});

/** A task module no in-thread handler loads: they run the task object they are given. */
const NEVER_LOADED = '/nonexistent/zookit-never-loaded.js';

describe.each(inThreadHandlers)('%s spawn', (_name, makeHandler) => {
  it('runs the task with the argument and the handler itself, without loading its module', async () => {
    const handler = makeHandler();
    const seen: Array<[string, Handler]> = [];
    const task: SpawnTask<string> = {
      name: 'loop',
      module: NEVER_LOADED,
      run: async (arg, h) => {
        seen.push([arg, h]);
      },
    };
    await handler.spawn(task, 'the argument').done;
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toBe('the argument');
    expect(seen[0]![1]).toBe(handler);
  });

  it('does not start the task inside spawn(), but soon after', async () => {
    const handler = makeHandler();
    let started = false;
    const spawned = handler.spawn(
      {
        name: 'loop',
        module: NEVER_LOADED,
        run: async () => {
          started = true;
        },
      },
      undefined,
    );
    expect(started).toBe(false);
    await nextTurn();
    expect(started).toBe(true);
    await spawned.done;
  });

  it('resolves done only when the task has ended', async () => {
    const handler = makeHandler();
    const finish = handler.eventObject();
    const spawned = handler.spawn(
      {
        name: 'loop',
        module: NEVER_LOADED,
        run: async () => {
          await finish.wait();
        },
      },
      undefined,
    );
    expect(await settlement(spawned.done)).toBe('pending');
    finish.set();
    await expect(spawned.done).resolves.toBeUndefined();
  });

  it('rejects done with the error the task rejected with', async () => {
    const handler = makeHandler();
    const failure = new Error('loop crashed');
    const spawned = handler.spawn(
      {
        name: 'loop',
        module: NEVER_LOADED,
        run: async () => {
          await nextTurn();
          throw failure;
        },
      },
      undefined,
    );
    expect(await rejectionOf(spawned.done)).toBe(failure);
  });

  it('rejects done, rather than throwing from spawn(), when the task throws synchronously', async () => {
    const handler = makeHandler();
    const failure = new Error('thrown before the first await');
    let spawned: ReturnType<Handler['spawn']> | undefined;
    expect(() => {
      spawned = handler.spawn(
        {
          name: 'loop',
          module: NEVER_LOADED,
          run: () => {
            throw failure;
          },
        },
        undefined,
      );
    }).not.toThrow();
    expect(await rejectionOf(spawned!.done)).toBe(failure);
  });

  it('runs two spawned tasks concurrently', async () => {
    const handler = makeHandler();
    const trace: string[] = [];
    const ping = handler.eventObject();
    const pong = handler.eventObject();
    const a = handler.spawn(
      {
        name: 'a',
        module: NEVER_LOADED,
        run: async () => {
          trace.push('a waits');
          ping.set();
          await pong.wait();
          trace.push('a done');
        },
      },
      undefined,
    );
    const b = handler.spawn(
      {
        name: 'b',
        module: NEVER_LOADED,
        run: async () => {
          await ping.wait();
          trace.push('b answers');
          pong.set();
        },
      },
      undefined,
    );
    await Promise.all([a.done, b.done]);
    expect(trace).toEqual(['a waits', 'b answers', 'a done']);
  });
});
