import type { ChannelEnd } from './handler.js';

/**
 * Settled once: `then` on it queues a microtask in the same queue, in the same order, as
 * queueMicrotask would, without Node's per-call AsyncResource and bound function (about 300
 * bytes and a few hundred ns a hop; docs/internals.md#microtask-hops).
 */
const SETTLED = Promise.resolve();

/**
 * One direction of an in-process channel: messages are queued and delivered in order on a
 * microtask, all that queued up in one tick together, so neither side ever runs inside the other's
 * call stack (no re-entrancy) and a burst costs one hop, not one per message.
 */
class Pipe<T> {
  /** Messages waiting, in `queue[0 … count)`; the array is reused, so a hop allocates no array. */
  private queue: Array<T | undefined> = [];
  private count = 0;
  /** The array of the batch delivered last, emptied: the next batch's queue. */
  private spare: Array<T | undefined> = [];
  private scheduled = false;
  private closed = false;
  private receive: ((message: T) => void) | undefined;
  /** Built once: a hop allocates no closure. */
  private readonly flushNow = (): void => this.flush();

  /** Sets the receiver; messages that came before it are delivered to it, in order. */
  setReceiver(receive: (message: T) => void): void {
    this.receive = receive;
    this.schedule();
  }

  push(message: T): void {
    if (this.closed) return;
    this.queue[this.count++] = message;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.count === 0) return;
    this.scheduled = true;
    void SETTLED.then(this.flushNow);
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.count = 0;
  }

  private flush(): void {
    this.scheduled = false;
    const receive = this.receive;
    if (receive === undefined) return; // held until a receiver is set
    const batch = this.queue;
    const n = this.count;
    // Messages pushed while this batch is delivered go to the other array, for the next hop.
    this.queue = this.spare;
    this.count = 0;
    try {
      for (let i = 0; i < n; i++) {
        if (this.closed) return;
        const message = batch[i] as T;
        batch[i] = undefined; // delivered: the pipe no longer holds it
        receive(message);
      }
      this.spare = batch;
    } catch (error) {
      // As from queueMicrotask: an uncaught exception, not a rejection of a promise nobody holds.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

/** A connected pair of channel ends in one thread (the sequential and virtual-clock handlers). */
export function createMemoryChannelPair<A, B>(): [ChannelEnd<B, A>, ChannelEnd<A, B>] {
  const toSecond = new Pipe<A>();
  const toFirst = new Pipe<B>();
  const close = (): void => {
    toSecond.close();
    toFirst.close();
  };
  const first: ChannelEnd<B, A> = {
    post: (message) => toSecond.push(message),
    onMessage: (receive) => toFirst.setReceiver(receive),
    close,
  };
  const second: ChannelEnd<A, B> = {
    post: (message) => toFirst.push(message),
    onMessage: (receive) => toSecond.setReceiver(receive),
    close,
  };
  return [first, second];
}
