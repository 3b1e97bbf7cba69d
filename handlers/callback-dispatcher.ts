import type { CallbackErrorReporter } from './handler.js';

/**
 * Runs callbacks one at a time in dispatch order. A callback dispatched while none is running runs
 * at once, synchronously: a watch event read before a reply therefore reaches its callback before
 * the reply's promise settles, which keeps the wire's order visible to user code. One dispatched
 * from inside a callback waits its turn instead of nesting. A callback that throws, or returns a
 * promise that rejects, is reported and the next one still runs. Returned promises are not awaited.
 */
export class CallbackDispatcher {
  private queue: Array<() => unknown> = [];
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

  dispatch(callback: () => unknown): void {
    this.queue.push(callback);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) this.runOne(next);
    } finally {
      this.running = false;
    }
  }

  private runOne(callback: () => unknown): void {
    try {
      const result = callback();
      if (result instanceof Promise) result.catch((error: unknown) => this.safeReport(error));
    } catch (error) {
      this.safeReport(error);
    }
  }

  private safeReport(error: unknown): void {
    try {
      this.report(error);
    } catch {
      // A reporter that throws must not stop delivery either.
    }
  }
}
