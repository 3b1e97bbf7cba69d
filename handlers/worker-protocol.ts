// What WorkerThreadsHandler and its worker thread say on the worker's own port (the control
// channel; each spawned task talks to its owner over its own MessagePort).

import type { MessagePort } from 'node:worker_threads';

/** Where a transferred channel end sat in a task's argument. */
export interface PortMarker {
  readonly zookitChannelPort: MessagePort;
}

export function isPortMarker(value: unknown): value is PortMarker {
  return value !== null && typeof value === 'object' && 'zookitChannelPort' in value;
}

/** The worker's start-up data. */
export interface WorkerBoot {
  /** The entry to require (the TypeScript bootstrap reads it). */
  entry: string;
}

/**
 * Main thread → worker: run task `task` of module `module` (a SpawnTask's name and module), or end
 * task `id` (its handler was stopped while it ran; the other tasks of a shared worker go on).
 */
export type ToWorker =
  | { t: 'spawn'; id: number; task: string; module: string; arg: unknown }
  | { t: 'cancel'; id: number };

/** Worker → main thread. */
export type FromWorker =
  | { t: 'done'; id: number }
  | { t: 'failed'; id: number; error: { name: string; message: string; stack?: string } };
