// A task the sessions child runs in the shared pool's thread, beside the connection loops: a full
// GC there (the main thread's gc() does not reach another isolate) and that isolate's heap, so RSS
// after "a full GC" means both heaps collected, and the worker's share of the heap can be reported.

import type { ChannelEnd, SpawnTask } from '../../handlers/handler.js';

/** What the task posts back: the worker isolate's used heap after its GC, bytes. */
export interface WorkerHeap {
  heapUsed: number;
}

export const workerGcTask: SpawnTask<{ channel: ChannelEnd<never, WorkerHeap> }> = {
  name: 'bench-sessions-worker-gc',
  module: __filename,
  run: async ({ channel }) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    // The process's --expose-gc reaches a worker's isolate too (V8 flags are process-wide).
    for (let i = 0; gc !== undefined && i < 4; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    channel.post({ heapUsed: process.memoryUsage().heapUsed });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the message leaves before the port closes
    channel.close();
  },
};

/** What a worker thread loads this module for. */
export const spawnTasks: SpawnTask<never>[] = [workerGcTask as SpawnTask<never>];
