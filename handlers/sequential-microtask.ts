import { performance } from 'node:perf_hooks';
import { InThreadHandler } from './base-handler.js';
import type { ConnectOptions, Transport } from './handler.js';
import { connectSocket } from './node-transport.js';

/**
 * The default handler: the client, its connection loop and every callback share the main event
 * loop. Callbacks run one at a time in wire order. Pings are sent from this thread too, so a main
 * thread blocked for longer than the session timeout loses the session (WorkerThreadsHandler
 * avoids that).
 */
export class SequentialMicrotaskHandler extends InThreadHandler {
  readonly name = 'sequential_microtask';

  now(): number {
    return performance.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  createConnection(options: ConnectOptions): Promise<Transport> {
    return connectSocket(options, this.TimeoutError);
  }
}
