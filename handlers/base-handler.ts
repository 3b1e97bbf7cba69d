// What the in-thread handlers share: primitives built on the handler's own clock, the in-memory
// channel, in-process spawn and ordered callback dispatch. Subclasses supply the clock, randomness,
// name resolution and sockets.

import { CallbackDispatcher } from './callback-dispatcher.js';
import {
  type AsyncResult,
  type CallbackErrorReporter,
  type ChannelEnd,
  type ConnectOptions,
  type Handler,
  type HandlerEvent,
  type HandlerLock,
  HandlerTimeoutError,
  type ResolvedAddress,
  type Spawned,
  type SpawnTask,
  type Transport,
} from './handler.js';
import { createMemoryChannelPair } from './memory-channel.js';
import { ClockEvent, ClockLock, OnceAsyncResult } from './primitives.js';

/** The common part of SequentialMicrotaskHandler and VirtualClockHandler. */
export abstract class InThreadHandler implements Handler {
  abstract readonly name: string;
  readonly TimeoutError: new (message: string) => Error = HandlerTimeoutError;
  private readonly dispatcher = new CallbackDispatcher();
  private started = false;

  get running(): boolean {
    return this.started;
  }

  start(): void {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  abstract now(): number;
  abstract sleep(ms: number, signal?: AbortSignal): Promise<void>;
  abstract random(): number;
  abstract createConnection(options: ConnectOptions): Promise<Transport>;
  abstract lookup(hostname: string): Promise<ResolvedAddress[]>;

  eventObject(): HandlerEvent {
    return new ClockEvent(this);
  }

  lockObject(): HandlerLock {
    return new ClockLock(this, this.TimeoutError);
  }

  asyncResult<T>(): AsyncResult<T> {
    return new OnceAsyncResult<T>(this, this.TimeoutError, (callback) => this.dispatchCallback(callback));
  }

  spawn<A>(task: SpawnTask<A>, arg: A): Spawned {
    // Start on a microtask so the caller finishes wiring the channel first.
    const done = Promise.resolve().then(() => task.run(arg, this));
    done.catch(() => {}); // the owner observes `done`; never an unhandled rejection here
    return { done };
  }

  createSocketPair<A, B>(): [ChannelEnd<B, A>, ChannelEnd<A, B>] {
    return createMemoryChannelPair<A, B>();
  }

  dispatchCallback(callback: () => unknown, kind?: string, report?: CallbackErrorReporter): void {
    this.dispatcher.dispatch(callback, kind, report);
  }

  onCallbackError(report: CallbackErrorReporter): void {
    this.dispatcher.onError(report);
  }
}
