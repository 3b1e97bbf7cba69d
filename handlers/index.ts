export * from './handler.js';
export { SequentialMicrotaskHandler } from './sequential-microtask.js';
export { VirtualClockHandler, type VirtualClockOptions } from './virtual-clock.js';
