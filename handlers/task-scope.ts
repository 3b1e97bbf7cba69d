// The handler one task runs on inside a shared worker thread. When the main thread cancels a task
// (its WorkerThreadsHandler was stopped while other handlers' tasks share the thread), ending the
// thread is not an option, so the task is ended from underneath: every sleep it waits in rejects
// with the cancel reason, and every connection it opened is destroyed. The connection loop reaches
// time and sockets only through its handler, so that is all it takes for it to return.

import type { ConnectOptions, Transport } from './handler.js';
import { SequentialMicrotaskHandler } from './sequential-microtask.js';

/** A Transport that leaves its scope's open set when it closes. */
class ScopedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly open: Set<Transport>,
  ) {}

  get remoteAddress(): string {
    return this.inner.remoteAddress;
  }

  write(chunks: readonly Uint8Array[]): void {
    this.inner.write(chunks);
  }

  onData(receive: (chunk: Buffer) => void): void {
    this.inner.onData(receive);
  }

  onClose(closed: (error?: Error) => void): void {
    this.inner.onClose((error) => {
      this.open.delete(this);
      closed(error);
    });
  }

  end(): void {
    this.open.delete(this);
    this.inner.end();
  }

  destroy(): void {
    this.open.delete(this);
    this.inner.destroy();
  }
}

/** A sequential handler whose sleeps and sockets end when `cancel()` is called. */
export class TaskScopeHandler extends SequentialMicrotaskHandler {
  private readonly scope = new AbortController();
  private readonly open = new Set<Transport>();
  /** The reject function of every sleep in progress. */
  private readonly sleepers = new Set<(reason: unknown) => void>();

  /** Aborts every sleep of the task and destroys every connection it holds; later ones fail at once. */
  cancel(reason: Error): void {
    this.scope.abort(reason);
    for (const reject of [...this.sleepers]) reject(reason);
    this.sleepers.clear();
    for (const transport of [...this.open]) transport.destroy();
  }

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.scope.signal.aborted) return Promise.reject(this.scope.signal.reason);
    // The loop sleeps once per ping: a Set entry per sleep is far cheaper than combining two
    // AbortSignals (an AbortController and four listener calls). A cancelled sleep's timer still
    // fires later, into a settled promise; the thread outlives it anyway.
    return new Promise<void>((resolve, reject) => {
      this.sleepers.add(reject);
      super.sleep(ms, signal).then(
        () => {
          this.sleepers.delete(reject);
          resolve();
        },
        (error: unknown) => {
          this.sleepers.delete(reject);
          reject(error);
        },
      );
    });
  }

  override async createConnection(options: ConnectOptions): Promise<Transport> {
    const scope = this.scope.signal;
    scope.throwIfAborted();
    const transport = await super.createConnection(options);
    if (scope.aborted) {
      transport.destroy();
      scope.throwIfAborted();
    }
    const scoped = new ScopedTransport(transport, this.open);
    this.open.add(scoped);
    return scoped;
  }
}
