export { InThreadHandler } from './base-handler.js';
export * from './handler.js';
export { SequentialMicrotaskHandler } from './sequential-microtask.js';
export { SharedEvent, type SleepClock } from './shared-event.js';
export { VirtualClockHandler, type VirtualClockOptions } from './virtual-clock.js';
export {
  WorkerArgumentError,
  WorkerExitError,
  WorkerPoolClosedError,
  WorkerPoolOptionsError,
  WorkerTaskError,
} from './worker-errors.js';
export { WorkerPool, type WorkerPoolOptions } from './worker-pool.js';
export { WorkerThreadsHandler, type WorkerThreadsHandlerOptions } from './worker-threads.js';
