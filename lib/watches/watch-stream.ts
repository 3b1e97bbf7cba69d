// A watch you read: client.watch(path) adds a persistent (or recursive) watch and queues its events
// in an EventQueue, read with `for await`, `next()` or `consume(fn)`. The stream ends, and takes
// its watch off the server, on close(), on return() (a `break` out of `for await`), when its signal
// aborts, when an `await using` scope exits, when the client stops, or when the watch is removed
// with removeWatches. It ends with an error the consumer must handle when the session expires,
// authentication fails, the watch cannot be added, or the consumer falls more than the
// high-water mark behind (WatchQueueOverflowError): in each case events were missed.

import { EventType, KeeperState } from '../../protocol/constants.js';
import '../dispose.js';
import { AuthFailedError, ConnectionLossError, SessionExpiredError } from '../errors.js';
import { EventQueue } from './event-queue.js';
import type { PersistentMode, WatchCallback, WatchedEvent } from './watch-registry.js';
import type { RemovableWatchType } from './watch-removal.js';

/** Options of `client.watch`. */
export interface WatchStreamOptions {
  /** Watch the whole subtree (every event but NodeChildrenChanged) instead of the one node. */
  recursive?: boolean;
  /** Unread events held before the stream ends with WatchQueueOverflowError. Default 10,000. */
  highWaterMark?: number;
  /** Aborting it closes the stream (the iterator is then done). */
  signal?: AbortSignal;
}

/** What a stream needs from the client. */
export interface WatchStreamHost {
  addWatch(path: string, callback: WatchCallback, options: { mode: PersistentMode }): Promise<void>;
  removeWatches(
    path: string,
    type: RemovableWatchType,
    options: { callback: WatchCallback; local: boolean },
  ): Promise<void>;
}

/** The events of one persistent or recursive watch, as an async iterable. */
export class WatchStream implements AsyncIterableIterator<WatchedEvent, undefined>, AsyncDisposable {
  /** The watched path (client path). */
  readonly path: string;
  /** Whether the watch covers the subtree. */
  readonly recursive: boolean;
  /**
   * Resolves once the server holds the watch (a ConnectionLoss on the way is retried on the next
   * connection); rejects, and ends the stream with the same error, if it cannot be added.
   */
  readonly ready: Promise<void>;
  private readonly queue: EventQueue<WatchedEvent>;
  private readonly mode: PersistentMode;
  private readonly callback: WatchCallback = (event) => this.onEvent(event);
  private released: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly host: WatchStreamHost,
    path: string,
    options: WatchStreamOptions = {},
  ) {
    this.path = path;
    this.recursive = options.recursive === true;
    this.mode = this.recursive ? 'persistentRecursive' : 'persistent';
    const signal = options.signal;
    const onAbort = (): void => void this.close();
    this.queue = new EventQueue({
      highWaterMark: options.highWaterMark,
      onEnd: () => {
        signal?.removeEventListener('abort', onAbort);
        void this.release();
      },
    });
    if (signal?.aborted) {
      this.queue.end();
      this.ready = Promise.resolve();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    this.ready = this.establish();
    // Reported through the iterator too; a caller who never awaits `ready` must not crash on it.
    this.ready.catch(() => undefined);
  }

  next(): Promise<IteratorResult<WatchedEvent, undefined>> {
    return this.queue.next();
  }

  /** Ends the stream and removes its watch (what a `break` out of `for await` calls). */
  async return(): Promise<IteratorResult<WatchedEvent, undefined>> {
    await this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream: unread events are dropped, the watch is removed from the server. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.queue.return();
      await this.release();
    })();
    return this.closing;
  }

  /** `await using stream = client.watch(path)` closes it when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Calls `handler` with each event in order, awaiting a returned promise before the next one.
   * Resolves when the stream ends, rejects with its error (or the handler's, which closes it).
   */
  async consume(handler: (event: WatchedEvent) => unknown): Promise<void> {
    for await (const event of this) await handler(event);
  }

  /** Unread events. */
  get pending(): number {
    return this.queue.length;
  }

  private async establish(): Promise<void> {
    for (;;) {
      try {
        await this.host.addWatch(this.path, this.callback, { mode: this.mode });
        return;
      } catch (error) {
        // The request may not have reached the server; it is queued again for the next connection.
        if (error instanceof ConnectionLossError && this.queue.isOpen) continue;
        this.queue.end(error as Error);
        throw error;
      }
    }
  }

  private onEvent(event: WatchedEvent): void {
    if (event.type === EventType.PersistentWatchRemoved) {
      this.queue.end();
      return;
    }
    if (event.type === EventType.None && event.state !== KeeperState.SyncConnected) {
      if (event.state === KeeperState.Expired) this.queue.end(new SessionExpiredError(undefined, this.path));
      else if (event.state === KeeperState.AuthFailed)
        this.queue.end(new AuthFailedError(undefined, this.path));
      else this.queue.end();
      return;
    }
    this.queue.push(event);
  }

  /** Takes the watch off the server once, whatever ended the stream. */
  private release(): Promise<void> {
    this.released ??= this.host
      .removeWatches(this.path, this.mode, { callback: this.callback, local: true })
      // NOWATCHER: it never got added, or went with the session; ConnectionClosed: the client stopped.
      .catch(() => undefined);
    return this.released;
  }
}
