// What a recipe does with a failure it cannot hand to a caller: tell a connection problem (wait for
// the next connection and read again) from a real fault (report it where the client reports
// callback errors: its logger and its 'error' event).

import {
  ConnectionClosedError,
  isRetryable,
  type RecipeClient,
  RetryFailedError,
} from '../lib/recipe-client.js';

/**
 * Whether a failed read says "not now" rather than "no": connection loss, an expired or closed
 * session, a timeout, or a retry that gave up on one of those. The recipe reads again once the
 * client is connected.
 */
export function isConnectionProblem(client: RecipeClient, error: unknown): boolean {
  if (error instanceof RetryFailedError) return isConnectionProblem(client, error.cause);
  return (
    error instanceof ConnectionClosedError ||
    error instanceof client.handler.TimeoutError ||
    isRetryable(error, true)
  );
}

/**
 * Reports a recipe fault the way the client reports a callback that threw: through the handler's
 * dispatch, which logs it and emits it as the client's 'error' event, in order with every other
 * callback. The recipe itself goes on.
 */
export function reportFault(client: RecipeClient, error: unknown): void {
  client.handler.dispatchCallback(() => {
    throw error;
  });
}
