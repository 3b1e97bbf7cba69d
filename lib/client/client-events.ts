// The client's events (`state`, `connectionState`, `connectionFailed`, `error`) and kazoo's listener form,
// `addListener(fn)` with `fn(state)`, where returning true removes the listener. Every listener runs
// through the handler's callback dispatch, never on the connection loop: in order with the other
// callbacks, free to await client calls, and one that throws is reported without stopping the next.

import { EventEmitter } from 'eventemitter3';
import type { CallbackErrorReporter, Handler } from '../../handlers/handler.js';
import type { ConnectionFailedError } from '../errors.js';
import type { ClientState, ConnectionState } from '../states.js';
import type { ClientEvents, StateListener } from './options.js';

/** An EventEmitter of the client's events, with kazoo's state listeners; ZooKeeperClient is one. */
export abstract class ClientEventEmitter extends EventEmitter<ClientEvents> {
  /** Where listeners run. */
  abstract readonly handler: Pick<Handler, 'dispatchCallback'>;
  /** Where a listener's error goes: the client's own reporter (the handler may be shared). */
  protected abstract get callbackErrorReporter(): CallbackErrorReporter;
  /** kazoo-style listeners, called with each new CONNECTED / SUSPENDED / LOST. */
  private readonly stateListeners = new Set<StateListener>();

  /** kazoo's add_listener: `listener(state)` on every CONNECTED/SUSPENDED/LOST change; returning true removes it. */
  override addListener(listener: StateListener): this;
  override addListener<E extends keyof ClientEvents>(
    event: E,
    fn: (...args: ClientEvents[E]) => void,
    context?: unknown,
  ): this;
  override addListener(eventOrListener: unknown, fn?: unknown, context?: unknown): this {
    if (typeof eventOrListener === 'function') {
      this.stateListeners.add(eventOrListener as StateListener);
      return this;
    }
    return super.addListener(eventOrListener as keyof ClientEvents, fn as () => void, context);
  }

  /** Removes a listener added with addListener(listener). */
  override removeListener(listener: StateListener): this;
  override removeListener<E extends keyof ClientEvents>(
    event: E,
    fn?: (...args: ClientEvents[E]) => void,
    context?: unknown,
  ): this;
  override removeListener(eventOrListener: unknown, fn?: unknown, context?: unknown): this {
    if (typeof eventOrListener === 'function') {
      this.stateListeners.delete(eventOrListener as StateListener);
      return this;
    }
    return super.removeListener(eventOrListener as keyof ClientEvents, fn as () => void, context);
  }

  /**
   * The same as removeListener. eventemitter3 binds `off` to its own removeListener when it
   * loads, so without this `off(listener)` would skip the kazoo-style form above.
   */
  override off(listener: StateListener): this;
  override off<E extends keyof ClientEvents>(
    event: E,
    fn?: (...args: ClientEvents[E]) => void,
    context?: unknown,
  ): this;
  override off(eventOrListener: unknown, fn?: unknown, context?: unknown): this {
    return this.removeListener(eventOrListener as keyof ClientEvents, fn as () => void, context);
  }

  override removeAllListeners(event?: keyof ClientEvents): this {
    if (event === undefined) this.stateListeners.clear();
    return super.removeAllListeners(event);
  }

  /** Emits a state change: listeners run through the handler's dispatch, never on the connection loop. */
  protected announceState(
    state: ConnectionState,
    detail: string | undefined,
    clientState: ClientState | undefined,
  ): void {
    this.#emitEach('connectionState', state, detail);
    if (clientState === undefined) return;
    this.#emitEach('state', clientState);
    for (const listener of [...this.stateListeners]) {
      this.handler.dispatchCallback(
        () => {
          if (listener(clientState) === true) this.stateListeners.delete(listener);
        },
        'state listener',
        this.callbackErrorReporter,
      );
    }
  }

  /** Emits `connectionFailed` (a failed pass over the hosts) the same way. */
  protected announceConnectionFailed(error: ConnectionFailedError): void {
    this.#emitEach('connectionFailed', error);
  }

  /**
   * Emits through the handler's dispatch, one callback per listener: eventemitter3's emit() stops
   * at the first listener that throws, and the dispatcher reports a throw and runs the next one.
   */
  #emitEach<E extends 'state' | 'connectionState' | 'connectionFailed'>(
    event: E,
    ...args: ClientEvents[E]
  ): void {
    for (const listener of this.listeners(event)) {
      // once() listeners are removed now, as emit() would before calling them.
      super.removeListener(event, listener, undefined, true);
      this.handler.dispatchCallback(
        () => (listener as (...a: ClientEvents[E]) => void).apply(this, args),
        `${event} listener`,
        this.callbackErrorReporter,
      );
    }
  }
}
