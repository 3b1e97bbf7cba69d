import fc from 'fast-check';
import type { ConnectOptions, Transport } from '../../handlers/handler.js';
import { HandlerTimeoutError, VirtualClockHandler } from '../../handlers/index.js';
import { nextTurn, rejectionOf, settlement } from './support.js';

describe('VirtualClockHandler clock', () => {
  it('reads 0 before any time is advanced', () => {
    expect(new VirtualClockHandler().now()).toBe(0);
  });

  it('starts at the configured startTime', () => {
    const handler = new VirtualClockHandler({ startTime: 1_700_000 });
    expect(handler.now()).toBe(1_700_000);
  });

  it('does not move on its own while real time passes', async () => {
    const handler = new VirtualClockHandler();
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(handler.now()).toBe(0);
  });

  it('moves by exactly the advanced amount when nothing sleeps', async () => {
    const handler = new VirtualClockHandler({ startTime: 100 });
    await handler.advance(250);
    expect(handler.now()).toBe(350);
    await handler.advance(0);
    expect(handler.now()).toBe(350);
  });
});

describe('VirtualClockHandler sleep', () => {
  it('resolves only once advance() reaches its deadline', async () => {
    const handler = new VirtualClockHandler();
    const sleeping = handler.sleep(100);
    expect(await settlement(sleeping)).toBe('pending');
    await handler.advance(99);
    expect(handler.now()).toBe(99);
    expect(await settlement(sleeping)).toBe('pending');
    await handler.advance(1);
    expect(await settlement(sleeping)).toBe('fulfilled');
    expect(handler.now()).toBe(100);
  });

  it('counts a sleep from the time it was started, not from zero', async () => {
    const handler = new VirtualClockHandler({ startTime: 1000 });
    await handler.advance(500);
    const sleeping = handler.sleep(100);
    expect(handler.nextTimerAt).toBe(1600);
    await handler.advance(99);
    expect(await settlement(sleeping)).toBe('pending');
    await handler.advance(1);
    expect(await settlement(sleeping)).toBe('fulfilled');
  });

  it('wakes sleepers in deadline order, reading the clock at their own deadline', async () => {
    const handler = new VirtualClockHandler();
    const woke: Array<[string, number]> = [];
    const sleepAs = (label: string, ms: number): Promise<void> =>
      handler.sleep(ms).then(() => {
        woke.push([label, handler.now()]);
      });
    const all = Promise.all([sleepAs('a', 30), sleepAs('b', 10), sleepAs('c', 20)]);
    await handler.advance(30);
    await all;
    expect(woke).toEqual([
      ['b', 10],
      ['c', 20],
      ['a', 30],
    ]);
  });

  it('wakes sleepers with the same deadline in the order they started sleeping', async () => {
    const handler = new VirtualClockHandler();
    const woke: string[] = [];
    for (const label of ['first', 'second', 'third']) {
      void handler.sleep(10).then(() => woke.push(label));
    }
    void handler.sleep(5).then(() => woke.push('earlier'));
    await handler.advance(10);
    expect(woke).toEqual(['earlier', 'first', 'second', 'third']);
  });

  it('wakes any set of sleepers by (deadline, start order) with the clock at each deadline', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 20 }), async (delays) => {
        const handler = new VirtualClockHandler();
        const woke: Array<[number, number]> = [];
        delays.forEach((ms, i) => {
          void handler.sleep(ms).then(() => woke.push([i, handler.now()]));
        });
        await handler.advance(50);
        const expected = delays
          .map((ms, i) => [i, ms] as [number, number])
          .sort((x, y) => x[1] - y[1] || x[0] - y[0]);
        expect(woke).toEqual(expected);
        expect(handler.pendingTimers).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('fires, in the same advance, a timer that woken code sets inside the window', async () => {
    const handler = new VirtualClockHandler();
    const woke: Array<[string, number]> = [];
    void (async () => {
      await handler.sleep(10);
      woke.push(['first', handler.now()]);
      // A few extra hops before the next sleep, as real code has between awaits.
      await Promise.resolve();
      await Promise.resolve();
      await handler.sleep(5);
      woke.push(['second', handler.now()]);
      await handler.sleep(5);
      woke.push(['third, exactly at the end of the window', handler.now()]);
      await handler.sleep(1);
      woke.push(['fourth, past the window', handler.now()]);
    })();
    await handler.advance(20);
    expect(woke).toEqual([
      ['first', 10],
      ['second', 15],
      ['third, exactly at the end of the window', 20],
    ]);
    expect(handler.now()).toBe(20);
    expect(handler.nextTimerAt).toBe(21);
  });

  it('keeps a sleep of 0 ms pending until advance runs, and does not move the clock for it', async () => {
    const handler = new VirtualClockHandler({ startTime: 7 });
    const sleeping = handler.sleep(0);
    expect(await settlement(sleeping)).toBe('pending');
    expect(handler.pendingTimers).toBe(1);
    await handler.advance(0);
    expect(await settlement(sleeping)).toBe('fulfilled');
    expect(handler.now()).toBe(7);
  });

  it('treats a negative sleep as a sleep of 0 ms', async () => {
    const handler = new VirtualClockHandler();
    const sleeping = handler.sleep(-50);
    expect(handler.nextTimerAt).toBe(0);
    await handler.advance(0);
    expect(await settlement(sleeping)).toBe('fulfilled');
  });

  // NaN compares false with every deadline, so it would sort nowhere and wedge the timers behind it.
  it('does not let a sleep of NaN ms hold back the timers behind it', async () => {
    const handler = new VirtualClockHandler();
    void handler.sleep(Number.NaN);
    const later = handler.sleep(10);
    await handler.advance(10);
    expect(await settlement(later)).toBe('fulfilled');
  });

  it('rejects with the signal reason when aborted, and forgets the timer', async () => {
    const handler = new VirtualClockHandler();
    const controller = new AbortController();
    const sleeping = handler.sleep(100, controller.signal);
    const other = handler.sleep(200);
    expect(handler.pendingTimers).toBe(2);
    const reason = new Error('stop sleeping');
    controller.abort(reason);
    expect(await rejectionOf(sleeping)).toBe(reason);
    expect(handler.pendingTimers).toBe(1);
    expect(handler.nextTimerAt).toBe(200);
    await handler.advance(200);
    expect(await settlement(other)).toBe('fulfilled');
    expect(handler.pendingTimers).toBe(0);
  });

  it('rejects at once, without a timer, when the signal is already aborted', async () => {
    const handler = new VirtualClockHandler();
    const reason = new Error('already');
    const sleeping = handler.sleep(100, AbortSignal.abort(reason));
    expect(handler.pendingTimers).toBe(0);
    expect(await rejectionOf(sleeping)).toBe(reason);
  });

  it('ignores an abort that comes after the sleep ended', async () => {
    const handler = new VirtualClockHandler();
    const controller = new AbortController();
    const sleeping = handler.sleep(10, controller.signal);
    await handler.advance(10);
    controller.abort(new Error('too late'));
    await expect(sleeping).resolves.toBeUndefined();
  });

  it('reports the earliest deadline, and undefined when nothing sleeps', async () => {
    const handler = new VirtualClockHandler();
    expect(handler.nextTimerAt).toBeUndefined();
    void handler.sleep(30);
    void handler.sleep(10);
    void handler.sleep(20);
    expect(handler.nextTimerAt).toBe(10);
    await handler.advance(10);
    expect(handler.nextTimerAt).toBe(20);
    await handler.advance(20);
    expect(handler.nextTimerAt).toBeUndefined();
  });
});

describe('VirtualClockHandler runUntilIdle', () => {
  it('returns the current time without moving the clock when nothing sleeps', async () => {
    const handler = new VirtualClockHandler({ startTime: 42 });
    expect(await handler.runUntilIdle()).toBe(42);
    expect(handler.now()).toBe(42);
  });

  it('runs a finite chain of sleeps to the end and stops at the last deadline', async () => {
    const handler = new VirtualClockHandler();
    const steps: number[] = [];
    void (async () => {
      await handler.sleep(100);
      steps.push(handler.now());
      await handler.sleep(200);
      steps.push(handler.now());
    })();
    expect(await handler.runUntilIdle()).toBe(300);
    expect(steps).toEqual([100, 300]);
    expect(handler.pendingTimers).toBe(0);
  });

  it('stops a self-rescheduling ping loop at the limit and leaves its next timer pending', async () => {
    const handler = new VirtualClockHandler();
    const pings: number[] = [];
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        await handler.sleep(1000);
        pings.push(handler.now());
      }
    })();
    expect(await handler.runUntilIdle(10_000)).toBe(10_000);
    expect(pings).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(handler.pendingTimers).toBe(1);
    expect(handler.nextTimerAt).toBe(11_000);
    stopped = true;
    await handler.advance(1000);
    await loop;
  });

  it('does not fire a timer past the limit nor move the clock to it', async () => {
    const handler = new VirtualClockHandler();
    const sleeping = handler.sleep(5000);
    expect(await handler.runUntilIdle(4999)).toBe(0);
    expect(await settlement(sleeping)).toBe('pending');
  });
});

describe('VirtualClockHandler primitives on virtual time', () => {
  it('ends an event wait with false only when the virtual timeout passes', async () => {
    const handler = new VirtualClockHandler();
    const event = handler.eventObject();
    const waiting = event.wait(100);
    await handler.advance(99);
    expect(await settlement(waiting)).toBe('pending');
    await handler.advance(1);
    await expect(waiting).resolves.toBe(false);
    expect(handler.pendingTimers).toBe(0);
  });

  it('ends an event wait with true when set before the timeout, and drops its timer', async () => {
    const handler = new VirtualClockHandler();
    const event = handler.eventObject();
    const waiting = event.wait(100);
    await handler.advance(50);
    expect(handler.pendingTimers).toBe(1);
    event.set();
    await expect(waiting).resolves.toBe(true);
    expect(handler.pendingTimers).toBe(0);
    await handler.advance(100);
    await expect(waiting).resolves.toBe(true);
  });

  it('answers an event wait on an already set event without a timer', async () => {
    const handler = new VirtualClockHandler();
    const event = handler.eventObject();
    event.set();
    const waiting = event.wait(100);
    expect(handler.pendingTimers).toBe(0);
    expect(await settlement(waiting)).toBe('fulfilled');
    await expect(waiting).resolves.toBe(true);
  });

  it('rejects a lock acquire with the handler TimeoutError when the virtual timeout passes', async () => {
    const handler = new VirtualClockHandler();
    const lock = handler.lockObject();
    const release = lock.tryAcquire()!;
    const acquiring = lock.acquire({ timeoutMs: 50 });
    await handler.advance(49);
    expect(await settlement(acquiring)).toBe('pending');
    await handler.advance(1);
    const error = await rejectionOf(acquiring);
    expect(error).toBeInstanceOf(handler.TimeoutError);
    expect(error).toBeInstanceOf(HandlerTimeoutError);
    expect(lock.locked).toBe(true);
    release();
    expect(lock.locked).toBe(false);
  });

  it('grants a lock acquire that gets the lock before its timeout, and drops the timer', async () => {
    const handler = new VirtualClockHandler();
    const lock = handler.lockObject();
    const release = lock.tryAcquire()!;
    const acquiring = lock.acquire({ timeoutMs: 50 });
    await handler.advance(20);
    release();
    const second = await acquiring;
    expect(lock.locked).toBe(true);
    expect(handler.pendingTimers).toBe(0);
    await handler.advance(100);
    expect(lock.locked).toBe(true);
    second();
    expect(lock.locked).toBe(false);
  });

  it('rejects asyncResult.get with the handler TimeoutError when the virtual timeout passes', async () => {
    const handler = new VirtualClockHandler();
    const result = handler.asyncResult<string>();
    const getting = result.get(100);
    await handler.advance(99);
    expect(await settlement(getting)).toBe('pending');
    await handler.advance(1);
    expect(await rejectionOf(getting)).toBeInstanceOf(handler.TimeoutError);
    // The result itself is untouched by one reader giving up.
    expect(result.ready).toBe(false);
    result.set('late');
    await expect(result.get()).resolves.toBe('late');
  });

  it('resolves asyncResult.get(timeout) when set first, and drops the timer', async () => {
    const handler = new VirtualClockHandler();
    const result = handler.asyncResult<string>();
    const getting = result.get(100);
    await handler.advance(10);
    result.set('value');
    await expect(getting).resolves.toBe('value');
    await nextTurn();
    expect(handler.pendingTimers).toBe(0);
  });
});

describe('VirtualClockHandler random', () => {
  const draws = (handler: VirtualClockHandler, count: number): number[] =>
    Array.from({ length: count }, () => handler.random());

  it('replays the same sequence on every handler made with the default seed', () => {
    const first = draws(new VirtualClockHandler(), 50);
    expect(draws(new VirtualClockHandler(), 50)).toEqual(first);
    expect(new Set(first).size).toBe(50);
  });

  it('draws another sequence from another seed, and the same one from the same seed', () => {
    const seven = draws(new VirtualClockHandler({ seed: 7 }), 20);
    expect(draws(new VirtualClockHandler({ seed: 7 }), 20)).toEqual(seven);
    expect(draws(new VirtualClockHandler({ seed: 8 }), 20)).not.toEqual(seven);
    expect(draws(new VirtualClockHandler(), 20)).not.toEqual(seven);
  });

  it('stays in [0, 1) and spreads evenly over it', () => {
    const values = draws(new VirtualClockHandler({ seed: 12_345 }), 10_000);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const tenths = new Array<number>(10).fill(0);
    for (const v of values) tenths[Math.floor(v * 10)]!++;
    for (const count of tenths) {
      expect(count).toBeGreaterThan(850);
      expect(count).toBeLessThan(1150);
    }
  });

  it('uses the random function it was given instead of its own', () => {
    let n = 0;
    const handler = new VirtualClockHandler({ seed: 1, random: () => (n++ % 4) / 4 });
    expect(draws(handler, 5)).toEqual([0, 0.25, 0.5, 0.75, 0]);
  });
});

describe('VirtualClockHandler connections', () => {
  it('opens transports through the connect function it was given', async () => {
    const seen: ConnectOptions[] = [];
    const fake = { remoteAddress: 'fake:1' } as Transport;
    const handler = new VirtualClockHandler({
      connect: async (options) => {
        seen.push(options);
        return fake;
      },
    });
    const options = { host: 'zk1', port: 2181, timeoutMs: 1000 };
    await expect(handler.createConnection(options)).resolves.toBe(fake);
    expect(seen).toEqual([options]);
  });

  it('resolves names through the lookup function it was given', async () => {
    const asked: string[] = [];
    const handler = new VirtualClockHandler({
      lookup: async (hostname) => {
        asked.push(hostname);
        return [{ address: '10.0.0.7', family: 4 }];
      },
    });
    await expect(handler.lookup('zk1.example')).resolves.toEqual([{ address: '10.0.0.7', family: 4 }]);
    expect(asked).toEqual(['zk1.example']);
  });
});
