import {
  ConnectionClosedError,
  ConnectionLossError,
  ForceRetryError,
  InvalidArgumentError,
  NoNodeError,
  OperationTimeoutError,
  RetryFailedError,
  SessionExpiredError,
  ThrottledOpError,
} from '../../lib/errors.js';
import { isRetryable, RetryPolicy } from '../../lib/retry.js';

// A clock that only moves when the policy sleeps, so every sleep is visible and instant, and whose
// random source (the handler's, as far as the policy knows) is a fixed number.
class FakeClock {
  time = 1_000;
  readonly sleeps: number[] = [];
  /** What random() returns; a draw in the middle of [0, 1) means no jitter either way. */
  randomValue = 0.5;
  randomDraws = 0;
  /** Called inside each sleep before it resolves, to act "during" the sleep. */
  onSleep: (() => void) | undefined;

  now(): number {
    return this.time;
  }

  random(): number {
    this.randomDraws++;
    return this.randomValue;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    this.onSleep?.();
    if (signal?.aborted) throw signal.reason;
    this.time += ms;
  }
}

// An operation that fails with `error` until it has been called `failures` times, then succeeds.
function flaky(failures: number, error: () => unknown = () => new ConnectionLossError()) {
  const op = {
    calls: 0,
    fn: async (): Promise<string> => {
      op.calls++;
      if (op.calls <= failures) throw error();
      return 'done';
    },
  };
  return op;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const noJitter = () => 0.5;

describe('RetryPolicy attempts', () => {
  it.each([
    [0, 1],
    [1, 1],
    [3, 3],
  ])('with maxTries %i runs the operation %i time(s) in total before giving up', async (maxTries, calls) => {
    const clock = new FakeClock();
    const op = flaky(Number.POSITIVE_INFINITY);
    const error = await failure(new RetryPolicy({ maxTries, random: noJitter }, clock).run(op.fn));
    expect(error).toBeInstanceOf(RetryFailedError);
    expect((error as RetryFailedError).message).toBe('too many retry attempts');
    expect((error as RetryFailedError).attempts).toBe(calls);
    expect(op.calls).toBe(calls);
    expect(clock.sleeps).toHaveLength(calls - 1);
  });

  it('makes five attempts by default', async () => {
    const op = flaky(Number.POSITIVE_INFINITY);
    const error = await failure(new RetryPolicy({}, new FakeClock()).run(op.fn));
    expect((error as RetryFailedError).attempts).toBe(5);
    expect(op.calls).toBe(5);
  });

  it('keeps trying without limit when maxTries is -1', async () => {
    const op = flaky(49);
    await expect(new RetryPolicy({ maxTries: -1 }, new FakeClock()).run(op.fn)).resolves.toBe('done');
    expect(op.calls).toBe(50);
  });

  it('returns the first success without sleeping', async () => {
    const clock = new FakeClock();
    const op = flaky(0);
    await expect(new RetryPolicy({}, clock).run(op.fn)).resolves.toBe('done');
    expect(op.calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('carries the last error as the cause when it gives up', async () => {
    let n = 0;
    const error = await failure(
      new RetryPolicy({ maxTries: 3 }, new FakeClock()).run(async () => {
        throw new OperationTimeoutError(undefined, `/attempt-${++n}`);
      }),
    );
    expect((error as RetryFailedError).cause).toBeInstanceOf(OperationTimeoutError);
    expect(((error as RetryFailedError).cause as OperationTimeoutError).path).toBe('/attempt-3');
  });

  it('treats an operation that throws synchronously like one that rejects', async () => {
    let calls = 0;
    const fn = (() => {
      calls++;
      if (calls < 3) throw new ConnectionLossError();
      return Promise.resolve(calls);
    }) as () => Promise<number>;
    await expect(new RetryPolicy({}, new FakeClock()).run(fn)).resolves.toBe(3);
  });
});

describe('RetryPolicy delays', () => {
  it('doubles the delay from 100 ms and caps it at maxDelay', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ maxTries: 9, random: noJitter, maxDelay: 5_000 }, clock);
    await failure(policy.run(flaky(Number.POSITIVE_INFINITY).fn));
    expect(clock.sleeps).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('caps the delay at 10 s by default', async () => {
    const clock = new FakeClock();
    await failure(
      new RetryPolicy({ maxTries: 11, random: noJitter }, clock).run(flaky(Number.POSITIVE_INFINITY).fn),
    );
    expect(clock.sleeps.slice(-4)).toEqual([6_400, 10_000, 10_000, 10_000]);
  });

  it('shortens each sleep by maxJitter at the low end and grows the next from the jittered sleep', async () => {
    const clock = new FakeClock();
    await failure(
      new RetryPolicy({ maxTries: 4, random: () => 0 }, clock).run(flaky(Number.POSITIVE_INFINITY).fn),
    );
    // 100 × 0.6 = 60, then (60 × 2) × 0.6 = 72, then (72 × 2) × 0.6 = 86.4.
    expect(clock.sleeps).toHaveLength(3);
    for (const [i, ms] of [60, 72, 86.4].entries()) expect(clock.sleeps[i]).toBeCloseTo(ms, 9);
  });

  it('lengthens each sleep by maxJitter at the high end', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ maxTries: 3, random: () => 1, maxJitter: 0.25, delay: 40 }, clock);
    await failure(policy.run(flaky(Number.POSITIVE_INFINITY).fn));
    expect(clock.sleeps).toEqual([50, 125]);
  });

  it("draws the jitter from the clock's random when none is given", async () => {
    const clock = new FakeClock();
    clock.randomValue = 0.75; // factor 1 − 0.5 + 2 × 0.5 × 0.75 = 1.25
    await failure(
      new RetryPolicy({ maxTries: 3, delay: 1_000, maxJitter: 0.5 }, clock).run(
        flaky(Number.POSITIVE_INFINITY).fn,
      ),
    );
    expect(clock.sleeps).toEqual([1_250, 3_125]);
    expect(clock.randomDraws).toBe(2);
  });

  it("prefers the random option to the clock's", async () => {
    const clock = new FakeClock();
    await failure(
      new RetryPolicy({ maxTries: 2, delay: 1_000, random: () => 0 }, clock).run(
        flaky(Number.POSITIVE_INFINITY).fn,
      ),
    );
    expect(clock.sleeps).toEqual([600]);
    expect(clock.randomDraws).toBe(0);
  });
});

describe('RetryPolicy deadline', () => {
  it('gives up instead of starting a sleep that would end past the deadline', async () => {
    const clock = new FakeClock();
    const op = flaky(Number.POSITIVE_INFINITY);
    const policy = new RetryPolicy({ maxTries: -1, random: noJitter, deadline: 1_000 }, clock);
    const error = await failure(policy.run(op.fn));
    // 100 + 200 + 400 = 700 ms slept; the next 800 ms would end at 1500 > 1000.
    expect(clock.sleeps).toEqual([100, 200, 400]);
    expect(error).toBeInstanceOf(RetryFailedError);
    expect((error as RetryFailedError).message).toBe('retry deadline exceeded');
    expect((error as RetryFailedError).attempts).toBe(4);
    expect((error as RetryFailedError).cause).toBeInstanceOf(ConnectionLossError);
  });

  it('still takes a sleep that ends exactly at the deadline', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ maxTries: -1, random: noJitter, deadline: 700 }, clock);
    await failure(policy.run(flaky(Number.POSITIVE_INFINITY).fn));
    expect(clock.sleeps).toEqual([100, 200, 400]);
  });

  it('counts the time the attempts themselves take against the deadline', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ maxTries: -1, random: noJitter, deadline: 1_000 }, clock);
    const error = await failure(
      policy.run(async () => {
        clock.time += 450;
        throw new ConnectionLossError();
      }),
    );
    // 450, sleep 100 (→ 550), 450 (→ 1000): a 200 ms sleep would end past the deadline.
    expect(clock.sleeps).toEqual([100]);
    expect((error as RetryFailedError).attempts).toBe(2);
  });

  it('measures the deadline afresh for every run', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ maxTries: -1, random: noJitter, deadline: 1_000 }, clock);
    await failure(policy.run(flaky(Number.POSITIVE_INFINITY).fn));
    clock.sleeps.length = 0;
    await expect(policy.run(flaky(2).fn)).resolves.toBe('done');
    expect(clock.sleeps).toEqual([100, 200]);
  });
});

describe('RetryPolicy error classes', () => {
  it.each([
    ['ConnectionLossError', () => new ConnectionLossError()],
    ['OperationTimeoutError', () => new OperationTimeoutError()],
    ['ThrottledOpError', () => new ThrottledOpError()],
    ['ForceRetryError', () => new ForceRetryError('again')],
  ])('retries %s', async (_name, make) => {
    const op = flaky(2, make);
    await expect(new RetryPolicy({}, new FakeClock()).run(op.fn)).resolves.toBe('done');
    expect(op.calls).toBe(3);
  });

  it.each([
    ['ConnectionClosedError', () => new ConnectionClosedError('closed')],
    ['NoNodeError', () => new NoNodeError(undefined, '/x')],
    ['a plain Error', () => new Error('bug')],
  ])('rethrows %s at once without sleeping', async (_name, make) => {
    const clock = new FakeClock();
    const thrown = make();
    const op = flaky(Number.POSITIVE_INFINITY, () => thrown);
    await expect(new RetryPolicy({}, clock).run(op.fn)).rejects.toBe(thrown);
    expect(op.calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries SessionExpiredError by default and rethrows it when ignoreExpire is false', async () => {
    const expired = () => new SessionExpiredError();
    const retried = flaky(1, expired);
    await expect(new RetryPolicy({}, new FakeClock()).run(retried.fn)).resolves.toBe('done');
    expect(retried.calls).toBe(2);

    const strict = flaky(1, expired);
    const error = await failure(new RetryPolicy({ ignoreExpire: false }, new FakeClock()).run(strict.fn));
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(strict.calls).toBe(1);
  });

  it('exposes the same classification as isRetryable', () => {
    expect(isRetryable(new ConnectionLossError(), false)).toBe(true);
    expect(isRetryable(new SessionExpiredError(), true)).toBe(true);
    expect(isRetryable(new SessionExpiredError(), false)).toBe(false);
    expect(isRetryable(new ConnectionClosedError(), true)).toBe(false);
    expect(isRetryable(new RetryFailedError('x', 1), true)).toBe(false);
    expect(isRetryable('connection loss', true)).toBe(false);
  });
});

describe('RetryPolicy abort', () => {
  it('rejects with the reason when the run signal aborts during a sleep, and stops attempting', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    clock.onSleep = () => controller.abort(reason);
    const op = flaky(Number.POSITIVE_INFINITY);
    await expect(new RetryPolicy({ maxTries: -1 }, clock).run(op.fn, controller.signal)).rejects.toBe(reason);
    expect(op.calls).toBe(1);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('stops every run when the policy signal aborts', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const policy = new RetryPolicy({ maxTries: -1, signal: controller.signal }, clock);
    clock.onSleep = () => controller.abort('stopping');
    await expect(policy.run(flaky(Number.POSITIVE_INFINITY).fn)).rejects.toBe('stopping');
    await expect(policy.run(flaky(0).fn)).rejects.toBe('stopping');
  });

  it('never calls the operation when the signal is already aborted', async () => {
    const op = flaky(0);
    const signal = AbortSignal.abort(new Error('too late'));
    await expect(new RetryPolicy({}, new FakeClock()).run(op.fn, signal)).rejects.toThrow('too late');
    expect(op.calls).toBe(0);
  });

  it('stops waiting for an attempt still in flight when aborted', async () => {
    const controller = new AbortController();
    const never = new Promise<string>(() => {});
    const run = new RetryPolicy({}, new FakeClock()).run(() => never, controller.signal);
    controller.abort('cancelled');
    await expect(run).rejects.toBe('cancelled');
  });

  it('removes its listener from the policy signal after each run', async () => {
    const controller = new AbortController();
    const added = jest.spyOn(controller.signal, 'addEventListener');
    const removed = jest.spyOn(controller.signal, 'removeEventListener');
    const policy = new RetryPolicy({ signal: controller.signal }, new FakeClock());
    await policy.run(flaky(0).fn);
    await failure(policy.run(flaky(1, () => new NoNodeError()).fn));
    expect(added).toHaveBeenCalledTimes(2);
    expect(removed).toHaveBeenCalledTimes(2);
  });
});

describe('RetryPolicy reuse', () => {
  it('serves concurrent runs with separate attempt counts and delays', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ maxTries: 3, random: noJitter }, clock);
    const [a, b] = await Promise.all([
      failure(policy.run(flaky(Number.POSITIVE_INFINITY).fn)),
      policy.run(flaky(1).fn),
    ]);
    expect((a as RetryFailedError).attempts).toBe(3);
    expect(b).toBe('done');
    expect([...clock.sleeps].sort((x, y) => x - y)).toEqual([100, 100, 200]);
  });

  it('copies its options, with overrides, onto the same clock', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ maxTries: 7, delay: 10, random: noJitter }, clock);
    const copy = policy.copy({ maxTries: 2 });
    expect(copy).not.toBe(policy);
    expect(policy.copy().options).toEqual(policy.options);
    expect(copy.options.maxTries).toBe(2);
    expect(copy.options.delay).toBe(10);
    await failure(copy.run(flaky(Number.POSITIVE_INFINITY).fn));
    expect(clock.sleeps).toEqual([10]);
  });

  it('fills in the documented defaults', () => {
    const { options } = new RetryPolicy({}, new FakeClock());
    expect(options).toMatchObject({
      maxTries: 5,
      delay: 100,
      backoff: 2,
      maxJitter: 0.4,
      maxDelay: 10_000,
      ignoreExpire: true,
      deadline: undefined,
    });
    // The jitter source is the clock's own.
    const clock = new FakeClock();
    clock.randomValue = 0.25;
    expect(new RetryPolicy({}, clock).options.random()).toBe(0.25);
  });

  it.each([
    ['maxTries', { maxTries: -2 }],
    ['maxTries', { maxTries: 1.5 }],
    ['delay', { delay: -1 }],
    ['backoff', { backoff: Number.NaN }],
    ['maxDelay', { maxDelay: Number.POSITIVE_INFINITY }],
    ['maxJitter', { maxJitter: 1.5 }],
    ['deadline', { deadline: -5 }],
  ])('refuses a bad %s', (argument, options) => {
    let thrown: unknown;
    try {
      new RetryPolicy(options, new FakeClock());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).argument).toBe(argument);
  });
});
