// A bounded FIFO read by one consumer, as an async iterator (`for await`, `next()`) or through a
// callback (`consume`), after nats.js's QueuedIterator. The producer never waits: values are
// buffered until read. Past the high-water mark nothing is dropped silently: the queue stops
// taking values and, once the ones it holds are read, ends with WatchQueueOverflowError, so the
// consumer knows it missed some and must re-read the state it follows.

import { InvalidArgumentError } from '../errors.js';

/** Unread values a queue holds before it overflows, by default. */
export const DEFAULT_HIGH_WATER_MARK = 10_000;

/** The consumer fell behind by more than the high-water mark; the values after it were not kept. */
export class WatchQueueOverflowError extends Error {
  override readonly name = 'WatchQueueOverflowError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_WATCH_QUEUE_OVERFLOW';
  constructor(
    /** The limit that was passed (unread values). */
    readonly highWaterMark: number,
  ) {
    super(
      `more than ${highWaterMark} unread events: the watch was stopped, re-read the state and watch again`,
    );
  }
}

/** Options of an EventQueue. */
export interface EventQueueOptions {
  /** Most unread values held; one more ends the queue with WatchQueueOverflowError. Default 10,000; Infinity for no limit. */
  highWaterMark?: number;
  /** Called once when the queue stops taking values: `end()`, overflow (with its error) or the consumer's `return()`. */
  onEnd?: (reason: Error | undefined) => void;
}

type Waiter<T> = {
  resolve: (result: IteratorResult<T, undefined>) => void;
  reject: (error: unknown) => void;
};

const DONE: IteratorResult<never, undefined> = Object.freeze({ value: undefined, done: true });

/** A bounded queue that is its own async iterator. */
export class EventQueue<T> implements AsyncIterableIterator<T, undefined> {
  /** Unread values from `head` on (the array is compacted now and then, not shifted per read). */
  private values: T[] = [];
  private head = 0;
  /** Reads waiting for a value, oldest first. */
  private readonly waiters: Array<Waiter<T>> = [];
  private open = true;
  /** The error the consumer gets after the last value, until it has been thrown once. */
  private endError: Error | undefined;
  readonly highWaterMark: number;
  private readonly onEnd: ((reason: Error | undefined) => void) | undefined;

  constructor(options: EventQueueOptions = {}) {
    const hwm = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    if (!(hwm === Number.POSITIVE_INFINITY || (Number.isInteger(hwm) && hwm >= 1))) {
      throw new InvalidArgumentError(
        'highWaterMark',
        `highWaterMark must be a positive integer or Infinity, got ${hwm}`,
      );
    }
    this.highWaterMark = hwm;
    this.onEnd = options.onEnd;
  }

  /** Unread values. */
  get length(): number {
    return this.values.length - this.head;
  }

  /** Whether the queue still takes values. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Adds a value; returns false if it was not taken (the queue ended, or this value overflowed it). */
  push(value: T): boolean {
    if (!this.open) return false;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value, done: false });
      return true;
    }
    if (this.length >= this.highWaterMark) {
      this.end(new WatchQueueOverflowError(this.highWaterMark));
      return false;
    }
    this.values.push(value);
    return true;
  }

  /**
   * Stops taking values. The consumer still reads what is buffered, then gets `error` thrown once
   * (if given) and from then on `done`. Later calls do nothing.
   */
  end(error?: Error): void {
    if (!this.open) return;
    this.open = false;
    this.endError = error;
    // Waiting readers mean nothing is buffered: the first gets the error, the rest `done`.
    for (const waiter of this.waiters.splice(0)) this.settleEnded(waiter);
    this.onEnd?.(error);
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.length > 0) {
      const value = this.values[this.head] as T;
      this.values[this.head++] = undefined as T;
      if (this.head > 1024 && this.head * 2 > this.values.length) {
        this.values = this.values.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.open) this.waiters.push(waiter);
      else this.settleEnded(waiter);
    });
  }

  /** The consumer stops: buffered values are dropped and the queue ends without an error. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.values = [];
    this.head = 0;
    this.endError = undefined;
    this.end();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Calls `handler` with each value in order, one at a time: a returned promise is awaited before
   * the next call. Resolves when the queue ends, rejects with its end error or the handler's (and
   * then ends the queue).
   */
  async consume(handler: (value: T) => unknown): Promise<void> {
    for await (const value of this) await handler(value);
  }

  private settleEnded(waiter: Waiter<T>): void {
    const error = this.endError;
    if (error === undefined) {
      waiter.resolve(DONE);
      return;
    }
    this.endError = undefined;
    waiter.reject(error);
  }
}
