// Event, lock and async-result objects shared by the handlers. They take the handler's clock, so
// a timeout on a VirtualClockHandler passes only when the test advances time.

import type { AsyncResult, Handler, HandlerEvent, HandlerLock } from './handler.js';

type Clock = Pick<Handler, 'sleep'>;
type TimeoutErrorClass = new (message: string) => Error;

/** Races `promise` against `timeoutMs` on `clock`; the losing sleep is cancelled. */
export async function withTimeout<T>(
  clock: Clock,
  TimeoutError: TimeoutErrorClass,
  promise: Promise<T>,
  timeoutMs: number | undefined,
  what: string,
): Promise<T> {
  if (timeoutMs === undefined) return promise;
  const cancel = new AbortController();
  const timeout = clock.sleep(timeoutMs, cancel.signal).then(
    () => {
      throw new TimeoutError(`${what} timed out after ${timeoutMs} ms`);
    },
    () => new Promise<never>(() => {}), // cancelled: never settles, the other side won
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    cancel.abort();
  }
}

/** A threading.Event on the handler's clock. */
export class ClockEvent implements HandlerEvent {
  private flag = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly clock: Clock) {}

  set(): void {
    if (this.flag) return;
    this.flag = true;
    for (const wake of this.waiters.splice(0)) wake();
  }

  clear(): void {
    this.flag = false;
  }

  isSet(): boolean {
    return this.flag;
  }

  wait(timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    // An aborted signal wins, as it does for sleep(), even when the event is already set.
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.flag) return Promise.resolve(true);
    return settleOnce<boolean>(this.clock, timeoutMs, signal, (finish, resolve) => {
      const wake = (): void => finish(() => resolve(true));
      this.waiters.push(wake);
      return {
        onTimeout: () => resolve(false),
        cleanup: () => {
          const i = this.waiters.indexOf(wake);
          if (i >= 0) this.waiters.splice(i, 1);
        },
      };
    });
  }
}

/**
 * A promise settled by the first of: the setup's own trigger, the timeout (on the handler's clock)
 * or the signal. Whichever comes first runs `cleanup` and cancels the others.
 */
function settleOnce<T>(
  clock: Clock,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  setup: (
    finish: (settle: () => void) => void,
    resolve: (value: T) => void,
    reject: (error: unknown) => void,
  ) => { onTimeout: () => void; cleanup: () => void },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const sleeping = new AbortController();
    let done = false;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      sleeping.abort();
      signal?.removeEventListener('abort', onAbort);
      hooks.cleanup();
      settle();
    };
    const onAbort = (): void => finish(() => reject(signal?.reason));
    const hooks = setup(finish, resolve, reject);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      clock.sleep(timeoutMs, sleeping.signal).then(
        () => finish(hooks.onTimeout),
        () => {}, // cancelled because something else finished first
      );
    }
  });
}

/** An async mutex whose waiters are served first come, first served. */
export class ClockLock implements HandlerLock {
  private held = false;
  private queue: Array<() => void> = [];

  constructor(
    private readonly clock: Clock,
    private readonly TimeoutError: TimeoutErrorClass,
  ) {}

  get locked(): boolean {
    return this.held;
  }

  tryAcquire(): (() => void) | undefined {
    if (this.held) return undefined;
    this.held = true;
    return this.releaser();
  }

  acquire(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<() => void> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const release = this.tryAcquire();
    if (release) return Promise.resolve(release);
    return settleOnce<() => void>(
      this.clock,
      options.timeoutMs,
      options.signal,
      (finish, resolve, reject) => {
        const grant = (): void => finish(() => resolve(this.releaser()));
        this.queue.push(grant);
        return {
          onTimeout: () => reject(new this.TimeoutError(`lock not acquired within ${options.timeoutMs} ms`)),
          cleanup: () => {
            const i = this.queue.indexOf(grant);
            if (i >= 0) this.queue.splice(i, 1);
          },
        };
      },
    );
  }

  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.held = false;
    };
  }
}

/** A deferred result whose linked callbacks run exactly once each. */
export class OnceAsyncResult<T> implements AsyncResult<T> {
  readonly promise: Promise<T>;
  private state: 'pending' | 'value' | 'error' = 'pending';
  private callbacks: Array<(result: AsyncResult<T>) => void> = [];
  private resolvePromise!: (value: T) => void;
  private rejectPromise!: (error: unknown) => void;

  constructor(
    private readonly clock: Clock,
    private readonly TimeoutError: TimeoutErrorClass,
    private readonly dispatch: (callback: () => unknown) => void,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolvePromise = resolve;
      this.rejectPromise = reject;
    });
    // An unobserved failure is the caller's business, not an unhandled rejection of ours.
    this.promise.catch(() => {});
  }

  get ready(): boolean {
    return this.state !== 'pending';
  }

  get successful(): boolean {
    return this.state === 'value';
  }

  set(value: T): void {
    if (this.state !== 'pending') return;
    this.state = 'value';
    this.resolvePromise(value);
    this.fire();
  }

  setException(error: unknown): void {
    if (this.state !== 'pending') return;
    this.state = 'error';
    this.rejectPromise(error);
    this.fire();
  }

  get(timeoutMs?: number): Promise<T> {
    return withTimeout(this.clock, this.TimeoutError, this.promise, timeoutMs, 'result');
  }

  rawlink(callback: (result: AsyncResult<T>) => void): void {
    if (this.state === 'pending') this.callbacks.push(callback);
    else this.dispatch(() => callback(this)); // late link: this callback alone, once
  }

  unlink(callback: (result: AsyncResult<T>) => void): void {
    const i = this.callbacks.indexOf(callback);
    if (i >= 0) this.callbacks.splice(i, 1);
  }

  private fire(): void {
    for (const callback of this.callbacks.splice(0)) this.dispatch(() => callback(this));
  }
}
