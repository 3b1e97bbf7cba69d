// Shared by the handler specs: a way to look at a promise without awaiting it, the handlers that
// run in this thread, and a way to let time pass on either of them.
import {
  type Handler,
  SequentialMicrotaskHandler,
  VirtualClockHandler,
  WorkerThreadsHandler,
} from '../../handlers/index.js';

export type Settlement = 'pending' | 'fulfilled' | 'rejected';

/** One macrotask turn: every microtask queued before it (and those they queue) has run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How `promise` stands once pending microtasks and one macrotask turn have run. */
export async function settlement(promise: Promise<unknown>): Promise<Settlement> {
  let state: Settlement = 'pending';
  promise.then(
    () => {
      state = 'fulfilled';
    },
    () => {
      state = 'rejected';
    },
  );
  await nextTurn();
  return state;
}

export { rejectionOf } from '../support.js';

/** The handlers that run everything in this thread, for behaviour that must hold on both. */
export const inThreadHandlers: Array<[string, () => Handler]> = [
  ['VirtualClockHandler', () => new VirtualClockHandler()],
  ['SequentialMicrotaskHandler', () => new SequentialMicrotaskHandler()],
];

/**
 * Every handler, for the primitives they all offer on the calling thread (events, locks, results,
 * callback dispatch). WorkerThreadsHandler's events are SharedEvents.
 */
export const allHandlers: Array<[string, () => Handler]> = [
  ...inThreadHandlers,
  ['WorkerThreadsHandler', () => new WorkerThreadsHandler()],
];

/** Lets `ms` pass on the handler's clock: advances a virtual clock, really waits on any other. */
export async function elapse(handler: Handler, ms: number): Promise<void> {
  if (handler instanceof VirtualClockHandler) {
    await handler.advance(ms);
    return;
  }
  // A few ms of slack so the handler's own timer of `ms` has fired and its continuations have run.
  await new Promise((resolve) => setTimeout(resolve, ms + 5));
  await nextTurn();
}
