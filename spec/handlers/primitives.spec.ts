import type { AsyncResult } from '../../handlers/index.js';
import { allHandlers, elapse, nextTurn, rejectionOf, settlement } from './support.js';

describe.each(allHandlers)('HandlerEvent on %s', (_name, makeHandler) => {
  it('starts unset, and set/clear flip what isSet reports', () => {
    const event = makeHandler().eventObject();
    expect(event.isSet()).toBe(false);
    event.set();
    expect(event.isSet()).toBe(true);
    event.set();
    expect(event.isSet()).toBe(true);
    event.clear();
    expect(event.isSet()).toBe(false);
  });

  it('wakes every waiter with true on one set', async () => {
    const event = makeHandler().eventObject();
    const waiters = [event.wait(), event.wait(), event.wait(1000)];
    expect(await settlement(Promise.race(waiters))).toBe('pending');
    event.set();
    await expect(Promise.all(waiters)).resolves.toEqual([true, true, true]);
  });

  it('answers a wait after set at once', async () => {
    const event = makeHandler().eventObject();
    event.set();
    const waiting = event.wait();
    expect(await settlement(waiting)).toBe('fulfilled');
    await expect(waiting).resolves.toBe(true);
  });

  it('makes a wait after clear wait again for the next set', async () => {
    const event = makeHandler().eventObject();
    event.set();
    event.clear();
    const waiting = event.wait();
    expect(await settlement(waiting)).toBe('pending');
    event.set();
    await expect(waiting).resolves.toBe(true);
  });

  it('still wakes with true a waiter whose set was cleared straight away', async () => {
    const event = makeHandler().eventObject();
    const waiting = event.wait();
    event.set();
    event.clear();
    await expect(waiting).resolves.toBe(true);
  });

  it('rejects an aborted waiter with the signal reason and leaves the others waiting', async () => {
    const event = makeHandler().eventObject();
    const controller = new AbortController();
    const aborted = event.wait(undefined, controller.signal);
    const other = event.wait();
    const reason = new Error('give up');
    controller.abort(reason);
    expect(await rejectionOf(aborted)).toBe(reason);
    expect(await settlement(other)).toBe('pending');
    event.set();
    await expect(other).resolves.toBe(true);
  });

  it('rejects a wait at once when the signal is already aborted', async () => {
    const event = makeHandler().eventObject();
    const reason = new Error('already');
    expect(await rejectionOf(event.wait(1000, AbortSignal.abort(reason)))).toBe(reason);
  });

  it('ends a wait with false when its timeout passes unset', async () => {
    const handler = makeHandler();
    const event = handler.eventObject();
    const waiting = event.wait(10);
    await elapse(handler, 10);
    await expect(waiting).resolves.toBe(false);
    expect(event.isSet()).toBe(false);
  });
});

describe.each(allHandlers)('HandlerLock on %s', (_name, makeHandler) => {
  it('lets tryAcquire take a free lock, refuses it while held, and frees it on release', () => {
    const lock = makeHandler().lockObject();
    expect(lock.locked).toBe(false);
    const release = lock.tryAcquire();
    expect(release).toBeInstanceOf(Function);
    expect(lock.locked).toBe(true);
    expect(lock.tryAcquire()).toBeUndefined();
    release!();
    expect(lock.locked).toBe(false);
    expect(lock.tryAcquire()).toBeInstanceOf(Function);
  });

  it('grants a free lock to acquire at once', async () => {
    const lock = makeHandler().lockObject();
    const acquiring = lock.acquire();
    expect(await settlement(acquiring)).toBe('fulfilled');
    expect(lock.locked).toBe(true);
  });

  it('serves waiters first come, first served', async () => {
    const lock = makeHandler().lockObject();
    const releaseFirst = lock.tryAcquire()!;
    const order: number[] = [];
    const waiters = [1, 2, 3, 4].map((n) =>
      lock.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    await nextTurn();
    expect(order).toEqual([]);
    releaseFirst();
    for (const waiter of waiters) (await waiter)();
    expect(order).toEqual([1, 2, 3, 4]);
    expect(lock.locked).toBe(false);
  });

  it('hands the lock straight to the next waiter, so tryAcquire cannot barge in', async () => {
    const lock = makeHandler().lockObject();
    const release = lock.tryAcquire()!;
    const waiting = lock.acquire();
    release();
    expect(lock.locked).toBe(true);
    expect(lock.tryAcquire()).toBeUndefined();
    (await waiting)();
    expect(lock.locked).toBe(false);
  });

  it('ignores a second call of the same release, so it cannot free the next holder', async () => {
    const lock = makeHandler().lockObject();
    const releaseA = lock.tryAcquire()!;
    const b = lock.acquire();
    const c = lock.acquire();
    releaseA();
    const releaseB = await b;
    releaseA();
    expect(lock.locked).toBe(true);
    expect(await settlement(c)).toBe('pending');
    releaseB();
    const releaseC = await c;
    releaseB();
    expect(lock.locked).toBe(true);
    releaseC();
    releaseC();
    expect(lock.locked).toBe(false);
  });

  it('run() returns what the function returns and releases afterwards', async () => {
    const lock = makeHandler().lockObject();
    await expect(
      lock.run(async () => {
        expect(lock.locked).toBe(true);
        await nextTurn();
        return 'value';
      }),
    ).resolves.toBe('value');
    expect(lock.locked).toBe(false);
  });

  it('run() releases when the function throws, and rejects with what it threw', async () => {
    const lock = makeHandler().lockObject();
    const boom = new Error('sync boom');
    expect(
      await rejectionOf(
        lock.run(() => {
          throw boom;
        }),
      ),
    ).toBe(boom);
    expect(lock.locked).toBe(false);
    const later = new Error('async boom');
    expect(
      await rejectionOf(
        lock.run(async () => {
          await nextTurn();
          throw later;
        }),
      ),
    ).toBe(later);
    expect(lock.locked).toBe(false);
  });

  it('run() never lets two bodies overlap', async () => {
    const lock = makeHandler().lockObject();
    const trace: string[] = [];
    const body = (name: string) => async () => {
      trace.push(`${name} in`);
      await nextTurn();
      await nextTurn();
      trace.push(`${name} out`);
    };
    await Promise.all([lock.run(body('a')), lock.run(body('b')), lock.run(body('c'))]);
    expect(trace).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  });

  it('skips an aborted waiter: it rejects with the reason and the next waiter gets the lock', async () => {
    const lock = makeHandler().lockObject();
    const release = lock.tryAcquire()!;
    const controller = new AbortController();
    const aborted = lock.acquire({ signal: controller.signal });
    const next = lock.acquire();
    const reason = new Error('not any more');
    controller.abort(reason);
    expect(await rejectionOf(aborted)).toBe(reason);
    release();
    (await next)();
    expect(lock.locked).toBe(false);
  });

  it('skips a waiter that timed out without leaking the lock to it', async () => {
    const handler = makeHandler();
    const lock = handler.lockObject();
    const release = lock.tryAcquire()!;
    const impatient = rejectionOf(lock.acquire({ timeoutMs: 10 }));
    const patient = lock.acquire();
    await elapse(handler, 10);
    expect(await impatient).toBeInstanceOf(handler.TimeoutError);
    expect(await settlement(patient)).toBe('pending');
    release();
    const releasePatient = await patient;
    expect(lock.locked).toBe(true);
    releasePatient();
    expect(lock.locked).toBe(false);
    expect(lock.tryAcquire()).toBeInstanceOf(Function);
  });

  it('frees the lock when the only waiter timed out and the holder releases', async () => {
    const handler = makeHandler();
    const lock = handler.lockObject();
    const release = lock.tryAcquire()!;
    const impatient = rejectionOf(lock.acquire({ timeoutMs: 10 }));
    await elapse(handler, 10);
    expect(await impatient).toBeInstanceOf(handler.TimeoutError);
    release();
    expect(lock.locked).toBe(false);
  });
});

describe.each(allHandlers)('AsyncResult on %s', (_name, makeHandler) => {
  it('is neither ready nor successful before it is set', async () => {
    const result = makeHandler().asyncResult<number>();
    expect(result.ready).toBe(false);
    expect(result.successful).toBe(false);
    expect(await settlement(result.promise)).toBe('pending');
  });

  it('keeps the first value when set twice', async () => {
    const result = makeHandler().asyncResult<number>();
    result.set(1);
    result.set(2);
    expect(result.ready).toBe(true);
    expect(result.successful).toBe(true);
    await expect(result.promise).resolves.toBe(1);
    await expect(result.get()).resolves.toBe(1);
  });

  it('ignores setException after set', async () => {
    const result = makeHandler().asyncResult<number>();
    result.set(1);
    result.setException(new Error('too late'));
    expect(result.successful).toBe(true);
    await expect(result.get()).resolves.toBe(1);
  });

  it('rejects its promise and get() with the exception, and ignores a later set', async () => {
    const result = makeHandler().asyncResult<number>();
    const failure = new Error('no node');
    result.setException(failure);
    result.set(1);
    result.setException(new Error('second failure'));
    expect(result.ready).toBe(true);
    expect(result.successful).toBe(false);
    expect(await rejectionOf(result.promise)).toBe(failure);
    expect(await rejectionOf(result.get())).toBe(failure);
  });

  it('runs a callback linked before set once, with the result, only when set', async () => {
    const result = makeHandler().asyncResult<string>();
    const calls: Array<AsyncResult<string>> = [];
    result.rawlink((r) => calls.push(r));
    await nextTurn();
    expect(calls).toEqual([]);
    result.set('v');
    result.set('w');
    result.setException(new Error('x'));
    await nextTurn();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBe(result);
    expect(calls[0]!.successful).toBe(true);
  });

  it('runs a callback linked after set exactly once and does not re-run earlier ones', async () => {
    // kazoo's AsyncResult gives cb1, cb1, cb2 here.
    const result = makeHandler().asyncResult<string>();
    const calls: string[] = [];
    result.rawlink(() => calls.push('cb1'));
    result.set('v');
    result.rawlink(() => calls.push('cb2'));
    result.rawlink(() => calls.push('cb3'));
    await nextTurn();
    expect(calls).toEqual(['cb1', 'cb2', 'cb3']);
  });

  it('runs callbacks linked before set in the order they were linked', async () => {
    const result = makeHandler().asyncResult<void>();
    const calls: number[] = [];
    for (const n of [1, 2, 3]) result.rawlink(() => calls.push(n));
    result.set(undefined);
    await nextTurn();
    expect(calls).toEqual([1, 2, 3]);
  });

  it('runs linked callbacks on failure too, seeing an unsuccessful result', async () => {
    const result = makeHandler().asyncResult<string>();
    const seen: boolean[] = [];
    result.rawlink((r) => seen.push(r.successful));
    result.setException(new Error('lost'));
    await nextTurn();
    expect(seen).toEqual([false]);
  });

  it('does not call an unlinked callback, and still calls the others', async () => {
    const result = makeHandler().asyncResult<string>();
    const calls: string[] = [];
    const unwanted = (): void => {
      calls.push('unwanted');
    };
    result.rawlink(() => calls.push('kept'));
    result.rawlink(unwanted);
    result.unlink(unwanted);
    result.unlink(unwanted);
    result.set('v');
    await nextTurn();
    expect(calls).toEqual(['kept']);
  });

  it('delivers callbacks through dispatchCallback, so one that throws is reported and the next runs', async () => {
    const handler = makeHandler();
    const reported: unknown[] = [];
    handler.onCallbackError((error) => reported.push(error));
    const result = handler.asyncResult<string>();
    const boom = new Error('callback failed');
    const calls: string[] = [];
    result.rawlink(() => {
      throw boom;
    });
    result.rawlink(() => calls.push('second'));
    result.set('v');
    await nextTurn();
    expect(reported).toEqual([boom]);
    expect(calls).toEqual(['second']);
  });

  it('resolves get(timeout) with a value set before the timeout', async () => {
    const handler = makeHandler();
    const result = handler.asyncResult<string>();
    const getting = result.get(50);
    result.set('in time');
    await expect(getting).resolves.toBe('in time');
  });

  it('rejects get(timeout) with the exception, not a timeout, when it fails first', async () => {
    const handler = makeHandler();
    const result = handler.asyncResult<string>();
    const getting = result.get(50);
    const failure = new Error('failed');
    result.setException(failure);
    expect(await rejectionOf(getting)).toBe(failure);
  });

  it('rejects get(timeout) with the handler TimeoutError when nothing is set in time', async () => {
    const handler = makeHandler();
    const result = handler.asyncResult<string>();
    const getting = rejectionOf(result.get(10));
    await elapse(handler, 10);
    const error = await getting;
    expect(error).toBeInstanceOf(handler.TimeoutError);
    expect((error as Error).message).toMatch(/10 ms/);
  });
});
