import { performance } from 'node:perf_hooks';
import { SequentialMicrotaskHandler } from '../../handlers/index.js';
import { rejectionOf, settlement } from './support.js';

describe('SequentialMicrotaskHandler', () => {
  it('is named sequential_microtask', () => {
    expect(new SequentialMicrotaskHandler().name).toBe('sequential_microtask');
  });

  it('draws random numbers in [0, 1) from Math.random', () => {
    const handler = new SequentialMicrotaskHandler();
    const spy = jest.spyOn(Math, 'random').mockReturnValueOnce(0.125);
    try {
      expect(handler.random()).toBe(0.125);
    } finally {
      spy.mockRestore();
    }
    const values = Array.from({ length: 1000 }, () => handler.random());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(990);
  });

  it('sleeps in real time', async () => {
    const handler = new SequentialMicrotaskHandler();
    const started = performance.now();
    await handler.sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('is still sleeping well before the time is up', async () => {
    const handler = new SequentialMicrotaskHandler();
    const controller = new AbortController();
    const sleeping = handler.sleep(500, controller.signal);
    expect(await settlement(sleeping)).toBe('pending');
    controller.abort();
    await expect(sleeping).rejects.toBeDefined();
  });

  it('resolves a sleep of 0 ms or less promptly', async () => {
    const handler = new SequentialMicrotaskHandler();
    const started = performance.now();
    await handler.sleep(0);
    await handler.sleep(-10);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('rejects a sleep with the signal reason as soon as it is aborted', async () => {
    const handler = new SequentialMicrotaskHandler();
    const controller = new AbortController();
    const started = performance.now();
    const sleeping = handler.sleep(10_000, controller.signal);
    const reason = new Error('cancelled');
    setTimeout(() => controller.abort(reason), 5);
    expect(await rejectionOf(sleeping)).toBe(reason);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('rejects a sleep at once when the signal is already aborted', async () => {
    const handler = new SequentialMicrotaskHandler();
    const reason = new Error('already');
    const sleeping = handler.sleep(10_000, AbortSignal.abort(reason));
    expect(await settlement(sleeping)).toBe('rejected');
    expect(await rejectionOf(sleeping)).toBe(reason);
  });

  it('ignores an abort that comes after the sleep ended', async () => {
    const handler = new SequentialMicrotaskHandler();
    const controller = new AbortController();
    const sleeping = handler.sleep(1, controller.signal);
    await sleeping;
    controller.abort(new Error('too late'));
    await expect(sleeping).resolves.toBeUndefined();
  });

  // setTimeout fires after 1 ms, with only a warning, for any delay past 2^31-1 ms.
  it('keeps sleeping when asked for longer than setTimeout can count (2^31 ms, Infinity)', async () => {
    const handler = new SequentialMicrotaskHandler();
    const controller = new AbortController();
    const long = handler.sleep(2 ** 31, controller.signal);
    const forever = handler.sleep(Number.POSITIVE_INFINITY, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await settlement(long)).toBe('pending');
    expect(await settlement(forever)).toBe('pending');
    controller.abort();
  });

  // Every timeout built on sleep (event, lock, result) inherits that limit.
  it('does not end an event wait at once when its timeout is beyond setTimeout’s limit', async () => {
    const handler = new SequentialMicrotaskHandler();
    const event = handler.eventObject();
    const waiting = event.wait(2 ** 32);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await settlement(waiting)).toBe('pending');
    event.set();
    await expect(waiting).resolves.toBe(true);
  });

  it('reads a monotonic clock in ms that moves with real time', async () => {
    const handler = new SequentialMicrotaskHandler();
    let previous = handler.now();
    for (let i = 0; i < 10_000; i++) {
      const reading = handler.now();
      expect(reading).toBeGreaterThanOrEqual(previous);
      previous = reading;
    }
    const before = handler.now();
    await handler.sleep(20);
    expect(handler.now() - before).toBeGreaterThanOrEqual(15);
  });

  it('times out a lock acquire in real time with its TimeoutError', async () => {
    const handler = new SequentialMicrotaskHandler();
    const lock = handler.lockObject();
    lock.tryAcquire();
    const started = performance.now();
    const error = await rejectionOf(lock.acquire({ timeoutMs: 20 }));
    expect(error).toBeInstanceOf(handler.TimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('ends an event wait with false after its timeout in real time', async () => {
    const handler = new SequentialMicrotaskHandler();
    const started = performance.now();
    await expect(handler.eventObject().wait(20)).resolves.toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});
