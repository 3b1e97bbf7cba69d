import type { CallbackErrorReporter } from './handler.js';

/**
 * Runs callbacks one at a time in dispatch order. A callback dispatched while none is running runs
 * at once, synchronously: a watch event read before a reply therefore reaches its callback before
 * the reply's promise settles, which keeps the wire's order visible to user code. One dispatched
 * from inside a callback waits its turn instead of nesting. A callback that throws, or returns a
 * promise that rejects, is reported with its kind and the next one still runs. Returned promises
 * are not awaited. A callback may carry its own reporter (its client's); the others go to the one
 * set by `onError`.
 */
export class CallbackDispatcher {
  private queue: Array<() => unknown> = [];
  /** The kind of each queued callback, index for index (undefined: 'callback'). */
  private kinds: Array<string | undefined> = [];
  /** The reporter of each queued callback, index for index (undefined: `report`). */
  private reporters: Array<CallbackErrorReporter | undefined> = [];
  private running = false;
  private report: CallbackErrorReporter = (error) => {
    // No reporter yet: never lose the error, never let it reach the caller's stack.
    queueMicrotask(() => {
      throw error;
    });
  };

  onError(report: CallbackErrorReporter): void {
    this.report = report;
  }

  dispatch(callback: () => unknown, kind?: string, report?: CallbackErrorReporter): void {
    this.queue.push(callback);
    this.kinds.push(kind);
    this.reporters.push(report);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift())
        this.runOne(next, this.kinds.shift() ?? 'callback', this.reporters.shift());
    } finally {
      this.running = false;
    }
  }

  private runOne(callback: () => unknown, kind: string, report: CallbackErrorReporter | undefined): void {
    try {
      const result = callback();
      if (result instanceof Promise) result.catch((error: unknown) => this.safeReport(error, kind, report));
    } catch (error) {
      this.safeReport(error, kind, report);
    }
  }

  private safeReport(error: unknown, kind: string, report: CallbackErrorReporter | undefined): void {
    try {
      (report ?? this.report)(error, kind);
    } catch {
      // A reporter that throws must not stop delivery either.
    }
  }
}
