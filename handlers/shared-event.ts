// threading.Event across worker threads: the flag is one Int32 in a SharedArrayBuffer, so a
// worker and the main thread can share it (post `event.buffer`, rebuild with `new SharedEvent(buffer)`).
// Waiters park on Atomics.waitAsync and are woken by Atomics.notify from any thread.

import type { HandlerEvent } from './handler.js';

const UNSET = 0;
const SET = 1;

/** Atomics.waitAsync (ES2024; Node 16+), typed here because the project's lib is ES2022. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs?: number,
    ):
      | { async: false; value: 'not-equal' | 'timed-out' }
      | { async: true; value: Promise<'ok' | 'timed-out'> };
  }
).waitAsync;

/** The clock a timed wait sleeps on (the handler's), so a timeout keeps the thread alive like any timer. */
export interface SleepClock {
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export class SharedEvent implements HandlerEvent {
  /** The memory to share with another thread. */
  readonly buffer: SharedArrayBuffer;
  private readonly flag: Int32Array;

  constructor(
    private readonly clock: SleepClock,
    buffer: SharedArrayBuffer = new SharedArrayBuffer(4),
  ) {
    this.buffer = buffer;
    this.flag = new Int32Array(buffer, 0, 1);
  }

  set(): void {
    if (Atomics.exchange(this.flag, 0, SET) === UNSET) Atomics.notify(this.flag, 0);
  }

  clear(): void {
    Atomics.store(this.flag, 0, UNSET);
  }

  isSet(): boolean {
    return Atomics.load(this.flag, 0) === SET;
  }

  async wait(timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    if (this.isSet()) return true;
    if (signal?.aborted) throw signal.reason;
    // The timeout and the abort run on the handler's clock, which also keeps the thread alive
    // while waiting (a bare waitAsync does not hold Node's event loop open).
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const ended = new Promise<'timeout' | 'aborted'>((resolve) => {
      if (timeoutMs === undefined)
        stop.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
      else {
        this.clock.sleep(timeoutMs, stop.signal).then(
          () => resolve('timeout'),
          () => resolve('aborted'),
        );
      }
    });
    try {
      for (;;) {
        // Bounded by the timeout too, so a wait that timed out leaves no waiter parked behind it.
        const parked = waitAsync(this.flag, 0, UNSET, timeoutMs);
        if (parked.async) {
          const outcome = await Promise.race([parked.value, ended]);
          // Woken by a set(): true even if a clear() came straight after it, as threading.Event.
          if (outcome === 'ok') return true;
          if (outcome === 'timeout' || outcome === 'timed-out') return this.isSet();
          if (outcome === 'aborted') {
            if (signal?.aborted) throw signal.reason;
            return this.isSet();
          }
        }
        if (this.isSet()) return true;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }
}
