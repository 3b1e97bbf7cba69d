// One deadline for a call made of several requests (ensurePath, a recursive delete, a create with
// makepath): the caller's `timeout` bounds the whole call, not each request in it. The requests
// share one signal that aborts when the caller's signal does, or with the handler's TimeoutError
// when the time is up, on the handler's clock.

import type { Handler } from '../../handlers/handler.js';
import type { CallOptions } from './options.js';

/** The signal the call's requests share; `finish()` once the call is over, whatever its outcome. */
export interface Deadline {
  readonly options: CallOptions;
  finish(): void;
}

/** A deadline for `options`, or the options as they are when there is nothing to bound. */
export function startDeadline(
  handler: Pick<Handler, 'sleep' | 'TimeoutError'>,
  options: CallOptions,
  what: string,
): Deadline {
  const { signal, timeout } = options;
  if (timeout === undefined) return { options: signal === undefined ? {} : { signal }, finish: () => {} };
  const controller = new AbortController();
  const cancelTimer = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  handler.sleep(timeout, cancelTimer.signal).then(
    () => controller.abort(new handler.TimeoutError(`${what} timed out after ${timeout} ms`)),
    () => {},
  );
  return {
    options: { signal: controller.signal },
    finish: () => {
      cancelTimer.abort();
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
