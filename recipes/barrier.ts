// kazoo's Barrier: the barrier is up while its node exists; `wait()` returns once it is gone
// (docs/recipes.md#barrier-waits). kazoo's wait sets one exists watch and waits on it: a connection lost
// meanwhile makes it raise ConnectionLoss, and a session that expires takes the watch with it, so a
// barrier removed meanwhile is never seen and the wait runs to its timeout. Here every wake-up (the
// watch, a reconnect, a new session) reads the node again with the watch set again, and the wait
// ends only when the node is truly gone, or at the timeout.

import {
  ClientState,
  ConnectionClosedError,
  ConnectionState,
  NoNodeError,
  type RecipeClient,
} from '../lib/recipe-client.js';
import { startCountdown } from './countdown.js';
import { isConnectionProblem } from './faults.js';

/** What every wait of the barrier recipes takes. */
export interface BarrierWaitOptions {
  /** Give up after this many ms in all (default: wait as long as it takes). */
  timeout?: number;
  /** Abort the wait: it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The countdown's reason when the time is up; never leaves the recipe. */
export const TIMED_OUT = Symbol('timed out');

/** The pause after a read that failed at once (the client is reconnecting), ms. */
export const RETRY_PAUSE_MS = 50;

/**
 * Runs `step` until it returns a result: after each undefined, waits for `wake` to be set (a watch
 * fired or the connection's state changed). Resolves with the result, or false when the countdown
 * ran out; rejects with the caller's abort reason or a fault. Connection problems are read again
 * once the client is back (a request made while disconnected waits for the connection).
 */
export async function untilSettled<T>(
  client: RecipeClient,
  options: BarrierWaitOptions,
  step: (wake: () => void, signal: AbortSignal) => Promise<T | undefined>,
): Promise<T | false> {
  const wakeEvent = client.handler.eventObject();
  const wake = (): void => wakeEvent.set();
  // SUSPENDED needs nothing: the next CONNECTED (same session) or LOST (new session) wakes us.
  const onState = (state: ClientState): void => {
    if (state !== ClientState.SUSPENDED) wake();
  };
  const countdown = startCountdown(client.handler, options, () => TIMED_OUT);
  client.on('state', onState);
  try {
    for (;;) {
      wakeEvent.clear();
      try {
        const result = await step(wake, countdown.signal);
        if (result !== undefined) return result;
      } catch (error) {
        if (countdown.signal.aborted) throw countdown.signal.reason;
        if (client.connectionState === ConnectionState.CLOSED || error instanceof ConnectionClosedError)
          throw error;
        if (!isConnectionProblem(client, error)) throw error;
        await client.handler.sleep(RETRY_PAUSE_MS, countdown.signal);
        continue;
      }
      await wakeEvent.wait(undefined, countdown.signal);
    }
  } catch (error) {
    if (error === TIMED_OUT) return false;
    throw error;
  } finally {
    countdown.finish();
    client.off('state', onState);
  }
}

/** A barrier shared with kazoo's Barrier: up while `path` exists. */
export class Barrier {
  /** The barrier's node. */
  readonly path: string;
  private readonly client: RecipeClient;

  constructor(client: RecipeClient, path: string) {
    this.client = client;
    this.path = path;
  }

  /** Puts the barrier up (creates its node and any missing parents; already up is fine). */
  async create(): Promise<void> {
    const { client } = this;
    await client.retry(() => client.ensurePath(this.path));
  }

  /** Takes the barrier down; resolves whether it was up. */
  async remove(): Promise<boolean> {
    const { client } = this;
    try {
      await client.retry(() => client.delete(this.path));
      return true;
    } catch (error) {
      if (error instanceof NoNodeError) return false;
      throw error;
    }
  }

  /**
   * Resolves true once the barrier is down (at once when it is), or false when `timeout` ms pass
   * first. Survives connection loss and session expiry: it reads the node again on every wake-up.
   */
  async wait(options: BarrierWaitOptions = {}): Promise<boolean> {
    const { client, path } = this;
    if (client.connectionState === ConnectionState.CLOSED)
      throw new ConnectionClosedError(`cannot wait on barrier ${path}: the client is not started`);
    options.signal?.throwIfAborted();
    return untilSettled(client, options, async (wake, signal) => {
      const stat = await client.exists(path, wake, { signal });
      return stat === null ? true : undefined;
    });
  }
}
