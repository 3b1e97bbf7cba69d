// kazoo's KazooRetry in milliseconds: run an operation again when the failure says "the request may
// not have happened, try later" (connection loss, timeout, throttling), with jittered exponential
// backoff. It sleeps and draws its jitter only through the handler, so a virtual clock drives it in
// tests.

import type { Handler } from '../handlers/handler.js';
import {
  ConnectionClosedError,
  ConnectionLossError,
  ForceRetryError,
  InvalidArgumentError,
  OperationTimeoutError,
  RetryFailedError,
  SessionExpiredError,
  ThrottledOpError,
} from './errors.js';

/** How a RetryPolicy retries. Every time is in milliseconds on the handler's clock. */
export interface RetryOptions {
  /** Total attempts, first one included: 0 and 1 both mean one attempt, -1 means no limit. Default 5. */
  maxTries?: number;
  /** The first sleep before jitter, in ms. Default 100. */
  delay?: number;
  /** Each sleep's base is the previous (jittered) sleep times this. Default 2. */
  backoff?: number;
  /** Each sleep is its base times a uniform factor in [1 − maxJitter, 1 + maxJitter]; 0..1. Default 0.4. */
  maxJitter?: number;
  /** The largest base delay in ms (jitter may add up to maxJitter on top). Default 10_000. */
  maxDelay?: number;
  /** Give up, in ms from the first attempt, rather than start a sleep that would end past this. No default. */
  deadline?: number;
  /** Also retry SessionExpiredError (a later attempt runs on a new session). Default true. */
  ignoreExpire?: boolean;
  /** Aborting it stops every run of this policy at once, with the signal's reason. */
  signal?: AbortSignal;
  /** A source of uniform numbers in [0, 1) for the jitter. Default: the clock's (the handler's) `random`. */
  random?: () => number;
}

/** RetryOptions with every default filled in. */
export type ResolvedRetryOptions = Readonly<
  Required<Omit<RetryOptions, 'deadline' | 'signal'>> & Pick<RetryOptions, 'deadline' | 'signal'>
>;

/** What a RetryPolicy needs of its handler: the clock it sleeps on and the source of its jitter. */
export type RetryClock = Pick<Handler, 'now' | 'sleep' | 'random'>;

/**
 * Whether a failure is worth another attempt: connection loss, operation timeout, throttling and
 * ForceRetryError; SessionExpiredError only with `ignoreExpire`; never ConnectionClosedError.
 */
export function isRetryable(error: unknown, ignoreExpire: boolean): boolean {
  // A closed client stays closed: retrying would only spin until the limit.
  if (error instanceof ConnectionClosedError) return false;
  return (
    error instanceof ConnectionLossError ||
    error instanceof OperationTimeoutError ||
    error instanceof ThrottledOpError ||
    error instanceof ForceRetryError ||
    (ignoreExpire && error instanceof SessionExpiredError)
  );
}

/**
 * Runs an operation until it succeeds, fails with an error that is not retryable, or the limits
 * run out (RetryFailedError, `cause` = last error). Runs share nothing, so one policy serves many.
 */
export class RetryPolicy {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedRetryOptions;
  private readonly clock: RetryClock;

  constructor(options: RetryOptions, clock: RetryClock) {
    this.options = resolve(options, clock);
    this.clock = clock;
  }

  /** A policy with the same options and clock, with `overrides` applied. */
  copy(overrides?: RetryOptions): RetryPolicy {
    return new RetryPolicy({ ...this.options, ...overrides }, this.clock);
  }

  /**
   * Calls `fn` until it settles for good. An abort of `signal` or of the policy's own signal rejects
   * at once with that signal's reason, even mid-attempt or mid-sleep; the abandoned attempt is ignored.
   */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { maxTries, backoff, maxJitter, maxDelay, deadline, ignoreExpire, random } = this.options;
    const abort = linkSignals([this.options.signal, signal]);
    try {
      const stopAt = deadline === undefined ? undefined : this.clock.now() + deadline;
      let baseDelay = Math.min(this.options.delay, maxDelay);
      let attempts = 0;
      for (;;) {
        if (abort.signal.aborted) throw abort.signal.reason;
        attempts++;
        try {
          return await untilAborted(fn, abort.signal);
        } catch (error) {
          if (abort.signal.aborted) throw abort.signal.reason;
          if (!isRetryable(error, ignoreExpire)) throw error;
          if (maxTries !== -1 && attempts >= Math.max(maxTries, 1)) {
            throw new RetryFailedError('too many retry attempts', attempts, { cause: error });
          }
          const sleep = baseDelay * (1 - maxJitter + 2 * maxJitter * random());
          if (stopAt !== undefined && this.clock.now() + sleep > stopAt) {
            throw new RetryFailedError('retry deadline exceeded', attempts, { cause: error });
          }
          try {
            await this.clock.sleep(sleep, abort.signal);
          } catch (sleepError) {
            throw abort.signal.aborted ? abort.signal.reason : sleepError;
          }
          // The next base grows from the jittered sleep, as kazoo's does.
          baseDelay = Math.min(sleep * backoff, maxDelay);
        }
      }
    } finally {
      abort.unlink();
    }
  }
}

function resolve(options: RetryOptions, clock: RetryClock): ResolvedRetryOptions {
  const resolved = {
    maxTries: options.maxTries ?? 5,
    delay: options.delay ?? 100,
    backoff: options.backoff ?? 2,
    maxJitter: options.maxJitter ?? 0.4,
    maxDelay: options.maxDelay ?? 10_000,
    deadline: options.deadline,
    ignoreExpire: options.ignoreExpire ?? true,
    signal: options.signal,
    random: options.random ?? (() => clock.random()),
  };
  if (!Number.isInteger(resolved.maxTries) || resolved.maxTries < -1) {
    throw new InvalidArgumentError('maxTries', 'maxTries must be an integer ≥ -1 (-1: no limit)');
  }
  for (const name of ['delay', 'backoff', 'maxDelay'] as const) {
    if (!isFiniteAtLeastZero(resolved[name]))
      throw new InvalidArgumentError(name, `${name} must be a finite number ≥ 0`);
  }
  if (!isFiniteAtLeastZero(resolved.maxJitter) || resolved.maxJitter > 1) {
    throw new InvalidArgumentError('maxJitter', 'maxJitter must be a number in 0..1');
  }
  if (resolved.deadline !== undefined && !isFiniteAtLeastZero(resolved.deadline)) {
    throw new InvalidArgumentError('deadline', 'deadline must be a finite number of ms ≥ 0');
  }
  if (typeof resolved.random !== 'function')
    throw new InvalidArgumentError('random', 'random must be a function');
  return Object.freeze(resolved);
}

function isFiniteAtLeastZero(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

// One signal for a run that aborts when any source does. Listeners on a long-lived source (the
// policy's own signal) are removed after each run, or every run would leak one.
function linkSignals(sources: ReadonlyArray<AbortSignal | undefined>): {
  signal: AbortSignal;
  unlink: () => void;
} {
  const controller = new AbortController();
  const unlinks: Array<() => void> = [];
  for (const source of sources) {
    if (source === undefined) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = () => controller.abort(source.reason);
    source.addEventListener('abort', onAbort, { once: true });
    unlinks.push(() => source.removeEventListener('abort', onAbort));
  }
  return {
    signal: controller.signal,
    unlink: () => {
      for (const u of unlinks) u();
    },
  };
}

// Settles with `fn`'s outcome, or rejects with the abort reason as soon as `signal` aborts. The
// attempt cannot be cancelled, but its late outcome is observed here, so it is never unhandled.
function untilAborted<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal.removeEventListener('abort', onAbort);
    // An fn that throws synchronously counts as a failed attempt, like one that rejects.
    new Promise<T>((r) => r(fn())).then(
      (value) => {
        settle();
        resolvePromise(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}
