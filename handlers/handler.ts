// The Handler seam, kazoo's IHandler in Node terms: everything the client and its connection loop
// need from the runtime — time, randomness, concurrency primitives, the channel between them,
// name resolution, sockets and callback delivery — so a test can swap the handler and drive time itself, and so the loop can
// run in another thread (WorkerThreadsHandler) without the client knowing.

import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';

/** A flag that tasks can wait on, like threading.Event. */
export interface HandlerEvent {
  set(): void;
  clear(): void;
  isSet(): boolean;
  /** Resolves true once set, or false when `timeoutMs` (on the handler's clock) passes first. */
  wait(timeoutMs?: number, signal?: AbortSignal): Promise<boolean>;
}

/** An async mutex: one holder at a time, waiters served in order. */
export interface HandlerLock {
  readonly locked: boolean;
  /** Resolves with a release function once the lock is held; rejects with the handler's TimeoutError on timeout. */
  acquire(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<() => void>;
  /** Takes the lock if it is free; undefined otherwise. */
  tryAcquire(): (() => void) | undefined;
  /** Runs `fn` while holding the lock. */
  run<T>(fn: () => T | Promise<T>): Promise<T>;
}

/**
 * A deferred result whose callbacks run exactly once: a callback linked after the result is set
 * runs once (and only it), and a second `set` is ignored — kazoo's AsyncResult re-fires both.
 */
export interface AsyncResult<T> {
  readonly ready: boolean;
  readonly successful: boolean;
  /** The same outcome as a promise. */
  readonly promise: Promise<T>;
  set(value: T): void;
  setException(error: unknown): void;
  /** Resolves with the value, rejects with the error, or rejects with the TimeoutError after `timeoutMs`. */
  get(timeoutMs?: number): Promise<T>;
  /** Calls `callback(this)` once the result is set, through the handler's callback dispatch. */
  rawlink(callback: (result: AsyncResult<T>) => void): void;
  unlink(callback: (result: AsyncResult<T>) => void): void;
}

/**
 * One end of the channel between the client and its connection loop (kazoo's socket pair). Messages
 * are delivered in order, asynchronously, and must be structured-clone safe (plain objects, numbers,
 * bigints, strings, Buffers), so the same code runs on either side of a thread boundary.
 */
export interface ChannelEnd<In, Out> {
  /** Queues a message for the other end. Buffers listed in `transfer` may move instead of copying. */
  post(message: Out, transfer?: ArrayBuffer[]): void;
  /** Sets the function that receives the other end's messages (one at a time, in order). */
  onMessage(receive: (message: In) => void): void;
  /** Stops delivery in both directions; messages still queued are dropped. */
  close(): void;
}

/** A byte stream to one server: a TCP or TLS socket, or an in-memory stand-in for tests. */
export interface Transport {
  /** `host:port` of the peer, as dialled. */
  readonly remoteAddress: string;
  /** Writes bytes in order; several buffers in one call go out together. */
  write(chunks: readonly Uint8Array[]): void;
  /** Sets the receiver of incoming bytes, replacing any earlier one. */
  onData(receive: (chunk: Buffer) => void): void;
  /** Sets (replacing any earlier one) the function called once when the stream ends, with its error if it failed. */
  onClose(closed: (error?: Error) => void): void;
  /** Closes after pending writes are flushed. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
}

/** Where and how to open a Transport. */
export interface ConnectOptions {
  host: string;
  port: number;
  /** Give up when the TCP (and TLS) connection is not up within this many ms. */
  timeoutMs: number;
  /** Node `tls.connect` options; when present the connection is TLS. */
  tls?: TlsConnectionOptions;
  signal?: AbortSignal;
}

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** A long-running task a handler spawns (the connection loop). */
export interface SpawnTask<A> {
  /** Its name, unique within its module: how a worker thread finds it, and what logs call it. */
  readonly name: string;
  /**
   * Absolute path of a module exporting `spawnTasks: SpawnTask[]` that holds this task, in the
   * format being run (`.ts` from sources, `.js` when built): a handler that runs tasks in another
   * thread loads it there (once) and looks the task up by name. In-thread handlers ignore it.
   */
  readonly module: string;
  /** The task itself, for handlers that run it in this thread. */
  run(arg: A, handler: Handler): Promise<void>;
}

/** A spawned task. */
export interface Spawned {
  /** Settles when the task has ended (rejects if it threw). */
  readonly done: Promise<void>;
}

/**
 * How a handler reports a user callback that threw (or rejected): the error, and the `kind` the
 * callback was dispatched with ('callback' when none was given).
 */
export type CallbackErrorReporter = (error: unknown, kind: string) => void;

/**
 * The runtime a client runs on, and the client's only door to time, randomness and sockets: `now`
 * and `sleep` are the only clocks the connection loop, ping scheduling, deadlines and the retry
 * policy read, and `random` their only source of chance (ping jitter, host order, backoff jitter).
 */
export interface Handler {
  /** A name for logs (`sequential_microtask`, `virtual_clock`, ...). */
  readonly name: string;
  /** The error class thrown when a wait on this handler times out. */
  readonly TimeoutError: new (
    message: string,
  ) => Error;
  /** Whether start() has run and stop() has not. */
  readonly running: boolean;
  start(): void;
  /** Stops the handler; callbacks already dispatched still run. */
  stop(): Promise<void>;

  /** A monotonic clock, in ms. */
  now(): number;
  /** Resolves after `ms` on this handler's clock; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A uniform random number in [0, 1) (seeded, so replayable, on VirtualClockHandler). */
  random(): number;

  eventObject(): HandlerEvent;
  lockObject(): HandlerLock;
  asyncResult<T>(): AsyncResult<T>;

  /** Starts a long-running task (the connection loop). */
  spawn<A>(task: SpawnTask<A>, arg: A): Spawned;
  /** A connected pair of channel ends: give one to the client and one to the spawned loop. */
  createSocketPair<A, B>(): [ChannelEnd<B, A>, ChannelEnd<A, B>];
  /** Opens a TCP or TLS connection; rejects with the TimeoutError after `timeoutMs`. */
  createConnection(options: ConnectOptions): Promise<Transport>;
  /** Every address `hostname` resolves to, in the resolver's order (Node's `dns.lookup`, `all: true`). */
  lookup(hostname: string): Promise<ResolvedAddress[]>;

  /**
   * Delivers a watch, state or completion callback. Callbacks run one at a time in the order they
   * were dispatched; one that throws is reported and never stops the next. `kind` says what the
   * callback is ('watch callback', 'state listener'; default 'callback'), for that report.
   * `report` is where this callback's error goes; without it, the handler's `onCallbackError`
   * reporter. A client passes its own, so with one handler shared by many clients each callback's
   * error reaches the client it belongs to.
   */
  dispatchCallback(callback: () => unknown, kind?: string, report?: CallbackErrorReporter): void;
  /**
   * Where errors of callbacks dispatched without their own reporter go (a client forwards them to
   * its logger and `error` event; with a shared handler, the client constructed last).
   */
  onCallbackError(report: CallbackErrorReporter): void;
}

/** The error a handler throws when a wait times out (kazoo's KazooTimeoutError). */
export class HandlerTimeoutError extends Error {
  override readonly name: string = 'HandlerTimeoutError';
  /** Stable code (docs/errors.md#codes). */
  readonly code: string = 'ERR_ZOOKIT_TIMEOUT';
}
