// One time budget for a whole wait made of many steps (a lock acquire: create, list, watch, wait,
// again...). kazoo gives every wait of an acquire the full timeout again, so an acquire whose
// predecessor changes can last several times its timeout; here one deadline is set when the call
// starts and every step shares it (docs/recipes.md#timeout-countdown). The budget is an
// AbortSignal: it aborts with the error the call should reject with (the caller's own abort
// reason, a timeout, a cancel), so every request and every wait given it ends with that error.
// It runs on the handler's clock, so it counts virtual time under VirtualClockHandler.

import { InvalidArgumentError, type RecipeHandler } from '../lib/recipe-client.js';

/**
 * Throws InvalidArgumentError unless `timeout` is undefined (wait as long as it takes) or a finite
 * number of ms, 0 or more (0: one look, no wait). Every recipe wait checks its timeout with it
 * before sending anything.
 */
export function checkWaitTimeout(timeout: number | undefined): void {
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0))
    throw new InvalidArgumentError('timeout', 'timeout must be a number of ms, 0 or more');
}

/** The reason the timer of a finished countdown is stopped with (nobody sees it). */
const FINISHED = 'finished';

/** The signal every step of one call shares; `finish()` once the call is over, whatever its outcome. */
export interface Countdown {
  /** Aborts when the caller's signal does, when the time is up, or on `abort()`; its reason is the error to throw. */
  readonly signal: AbortSignal;
  /** Ends the wait now with `reason` (a cancel), unless it already ended. */
  abort(reason: unknown): void;
  /** Milliseconds left (0 once it is up), or undefined without a timeout. */
  remaining(): number | undefined;
  /** Stops the timer and detaches from the caller's signal. */
  finish(): void;
}

/**
 * Starts the budget of one call: `timeout` ms on the handler's clock from now (none when
 * undefined), ending with `timedOut()` as the reason, or with `signal`'s reason when it aborts.
 */
export function startCountdown(
  handler: Pick<RecipeHandler, 'now' | 'sleep'>,
  options: { timeout?: number | undefined; signal?: AbortSignal | undefined },
  timedOut: () => unknown,
): Countdown {
  const { timeout, signal } = options;
  const controller = new AbortController();
  // Only a call with a timeout has a timer to stop. Aborting an AbortController without a reason
  // builds a DOMException with a stack trace, a cost every acquire and release paid for nothing.
  const stopTimer = timeout === undefined ? undefined : new AbortController();
  const deadline = timeout === undefined ? undefined : handler.now() + timeout;
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  if (stopTimer !== undefined && !controller.signal.aborted) {
    handler.sleep(timeout!, stopTimer.signal).then(
      () => controller.abort(timedOut()),
      () => {},
    );
  }
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    remaining: () => (deadline === undefined ? undefined : Math.max(0, deadline - handler.now())),
    finish: () => {
      stopTimer?.abort(FINISHED);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** `promise`, or a rejection with `signal`'s reason if it aborts first (`promise` itself goes on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
