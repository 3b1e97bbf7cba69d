import { performance } from 'node:perf_hooks';
import { InThreadHandler } from './base-handler.js';
import type { ConnectOptions, ResolvedAddress, Transport } from './handler.js';
import { connectSocket, lookupAll, MAX_TIMER_MS } from './node-transport.js';

/**
 * The default handler: the client, its connection loop and every callback share the main event
 * loop. Callbacks run one at a time in wire order. Pings are sent from this thread too, so a main
 * thread blocked for longer than the session timeout loses the session (WorkerThreadsHandler
 * avoids that).
 */
export class SequentialMicrotaskHandler extends InThreadHandler {
  readonly name: string = 'sequential_microtask';

  now(): number {
    return performance.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      // biome-ignore lint/complexity/useMathMinMax: Math.max(NaN, 0) is NaN; NaN must sleep 0 ms
      let left = ms > 0 ? ms : 0; // NaN and negatives sleep 0 ms, as on the virtual clock
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      // setTimeout fires after 1 ms for a delay past MAX_TIMER_MS, so a longer sleep is a chain of
      // shorter ones (Infinity chains forever, until aborted).
      const arm = (): void => {
        const step = Math.min(left, MAX_TIMER_MS);
        left -= step;
        timer = setTimeout(left > 0 ? arm : done, step);
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
    });
  }

  random(): number {
    return Math.random();
  }

  createConnection(options: ConnectOptions): Promise<Transport> {
    return connectSocket(options, this.TimeoutError);
  }

  lookup(hostname: string): Promise<ResolvedAddress[]> {
    return lookupAll(hostname);
  }
}
