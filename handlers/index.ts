export * from './handler.js';
export { SequentialMicrotaskHandler } from './sequential-microtask.js';
export { SharedEvent } from './shared-event.js';
export { VirtualClockHandler, type VirtualClockOptions } from './virtual-clock.js';
export {
  WorkerArgumentError,
  WorkerExitError,
  WorkerTaskError,
  WorkerThreadsHandler,
  type WorkerThreadsHandlerOptions,
} from './worker-threads.js';
