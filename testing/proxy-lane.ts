/**
 * One direction of a FaultProxy connection: the bytes one socket sent, queued in arrival order
 * until the faults let them through to the other socket. Everything a fault does to a direction
 * happens here: a delay gives each chunk a due time, never earlier than the chunk before it (so
 * jitter never reorders bytes); a hold (black-hole, cut) stops delivery and keeps the queue; slice
 * writes one byte at a time, each its own write, with a turn of the event loop between them.
 *
 * The socket's own end is an item of the queue too (an action), so a FIN or a reset reaches the
 * other side after the bytes sent before it, and not at all while the direction is held: a client
 * behind a black hole sees nothing, not even the server closing (docs/fault-proxy.md#black-hole).
 */

import type { Socket } from 'node:net';

/** One direction of a proxied connection: client → server or server → client. */
export type ProxyDirection = 'toServer' | 'toClient';

/** The faults that apply to one direction right now (read on every delivery step). */
export interface LaneFaults {
  /** Deliver nothing (black-hole, cut). */
  readonly held: boolean;
  /** Fixed delay of each chunk, ms. */
  readonly delayMs: number;
  /** Extra delay drawn from [0, jitterMs) for each chunk, ms. */
  readonly jitterMs: number;
  /** Write one byte per write. */
  readonly slice: boolean;
}

/** What a lane needs from its connection. */
export interface LaneHost {
  /** The faults of this direction now. */
  faults(): LaneFaults;
  /** A number in [0, 1), for jitter. */
  random(): number;
  /** `bytes` were written to the destination. */
  written(bytes: number): void;
  /** The destination is (true) or is no longer (false) pushing back: pause or resume the source. */
  pressure(pushingBack: boolean): void;
}

type Item =
  | { kind: 'bytes'; data: Buffer; at: number; due: number }
  | { kind: 'action'; run: () => void; due: number };

/** The queue of one direction and its delivery to `destination`. */
export class ProxyLane {
  readonly #destination: Socket;
  readonly #host: LaneHost;
  readonly #queue: Item[] = [];
  #queuedBytes = 0;
  /** Due time of the last item queued, ms (performance clock): the next is never due earlier. */
  #lastDue = 0;
  /** A write is under way whose completion (slice) or drain (pushback) restarts delivery. */
  #waiting = false;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #disposed = false;

  constructor(destination: Socket, host: LaneHost) {
    this.#destination = destination;
    this.#host = host;
  }

  /** Bytes queued and not yet written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Queues bytes the source sent. */
  push(data: Buffer): void {
    if (this.#disposed || data.length === 0) return;
    this.#queue.push({ kind: 'bytes', data, at: 0, due: this.#due() });
    this.#queuedBytes += data.length;
    this.pump();
  }

  /** Queues `run`, to be called once everything queued before it has been written. */
  pushAction(run: () => void): void {
    if (this.#disposed) return;
    this.#queue.push({ kind: 'action', run, due: this.#due() });
    this.pump();
  }

  /** Makes every queued item due now (pass(): a healed direction forwards at once). */
  flushDelays(): void {
    for (const item of this.#queue) item.due = 0;
    this.#lastDue = 0;
    this.pump();
  }

  /** Delivers what the faults let through, as far as it can; schedules itself to go on. */
  pump(): void {
    if (this.#disposed || this.#waiting) return;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    for (;;) {
      const item = this.#queue[0];
      if (item === undefined) return;
      const faults = this.#host.faults();
      if (faults.held) return;
      const wait = item.due - performance.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.pump();
        }, Math.ceil(wait));
        return;
      }
      if (item.kind === 'action') {
        this.#queue.shift();
        item.run();
        if (this.#disposed) return;
        continue;
      }
      const destination = this.#destination;
      if (destination.destroyed || destination.writableEnded) {
        // Nobody to deliver to any more: what the source sent is lost, as on a broken link.
        this.#queue.shift();
        this.#queuedBytes -= item.data.length - item.at;
        continue;
      }
      if (destination.connecting) {
        // Node would buffer the writes and send them together once connected.
        this.#waiting = true;
        destination.once('connect', this.#onReady);
        return;
      }
      if (faults.slice) {
        this.#waiting = true;
        this.#immediate = setImmediate(() => {
          this.#immediate = undefined;
          this.#writeOneByte(item);
        });
        return;
      }
      this.#queue.shift();
      const rest = item.at === 0 ? item.data : item.data.subarray(item.at);
      this.#queuedBytes -= rest.length;
      this.#host.written(rest.length);
      if (!destination.write(rest)) {
        this.#waiting = true;
        this.#host.pressure(true);
        destination.once('drain', this.#onDrain);
        return;
      }
    }
  }

  /** Stops for good: timers cleared, the queue dropped. */
  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    this.#destination.off('drain', this.#onDrain);
    this.#destination.off('connect', this.#onReady);
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }

  /**
   * Writes the next byte of `item` alone, from a setImmediate callback, and goes on once the write
   * completed. Every byte is written in the check phase of its own turn of the event loop, with a
   * poll phase between two bytes, so a reader in this process reads each alone
   * (docs/fault-proxy.md#slice).
   */
  #writeOneByte(item: Item & { kind: 'bytes' }): void {
    if (this.#disposed) return;
    const faults = this.#host.faults();
    if (faults.held || !faults.slice || this.#queue[0] !== item || this.#destination.destroyed) {
      // The faults changed while this byte waited for its turn: decide again.
      this.#waiting = false;
      this.pump();
      return;
    }
    const byte = item.data.subarray(item.at, item.at + 1);
    item.at += 1;
    this.#queuedBytes -= 1;
    if (item.at === item.data.length) this.#queue.shift();
    this.#host.written(1);
    this.#destination.write(byte, this.#onReady);
  }

  /** A byte was written, or the destination connected: go on. */
  readonly #onReady = (): void => {
    if (this.#disposed) return;
    this.#waiting = false;
    this.pump();
  };

  readonly #onDrain = (): void => {
    this.#waiting = false;
    this.#host.pressure(false);
    this.pump();
  };

  /** The due time of an item queued now: after its delay, never before the previous item's. */
  #due(): number {
    const { delayMs, jitterMs } = this.#host.faults();
    const delay = delayMs + (jitterMs > 0 ? this.#host.random() * jitterMs : 0);
    const due = delay > 0 ? Math.max(performance.now() + delay, this.#lastDue) : this.#lastDue;
    this.#lastDue = due;
    return due;
  }
}
