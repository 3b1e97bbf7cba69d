// The run's timeline (ChaosEventLog): every fault injected or skipped, every client's state
// change, and whatever a scenario records. Its use is the violation report: a broken invariant is
// shown with the events just before and after it (docs/chaos.md#reading-a-violation), which is
// usually enough to see which fault and which state change led to it.
//
// A long run records a lot, so the log keeps the newest `maxEvents` and counts what it dropped;
// a violation from early in a long run then shows what is left of its window.

import type { ChaosEvent, ChaosEventLog } from './scenario.js';

/** Options for a {@link ChaosTimeline}. */
export interface ChaosTimelineOptions {
  /** Events kept, newest first to stay (default 200000). */
  maxEvents?: number;
  /** The clock, ms; defaults to `performance.now()`. The run's time 0 is when the log is made. */
  clock?: () => number;
}

/** The events around a moment: `before` events at or before it, `after` events past it. */
export interface ChaosEventWindow {
  readonly before: readonly ChaosEvent[];
  readonly after: readonly ChaosEvent[];
}

/** The runner's {@link ChaosEventLog}: an in-memory timeline that answers windows around a time. */
export class ChaosTimeline implements ChaosEventLog {
  readonly #events: ChaosEvent[] = [];
  readonly #maxEvents: number;
  readonly #clock: () => number;
  readonly #origin: number;
  #dropped = 0;

  constructor(options: ChaosTimelineOptions = {}) {
    this.#maxEvents = options.maxEvents ?? 200_000;
    this.#clock = options.clock ?? (() => performance.now());
    this.#origin = this.#clock();
  }

  /** Milliseconds since the log was made (the run's start), rounded to 0.1 ms. */
  now(): number {
    return Math.round((this.#clock() - this.#origin) * 10) / 10;
  }

  record(source: string, what: string, details?: Record<string, unknown>): ChaosEvent {
    const event: ChaosEvent =
      details === undefined
        ? { atMs: this.now(), source, what }
        : { atMs: this.now(), source, what, details };
    this.#events.push(event);
    if (this.#events.length > this.#maxEvents) {
      // Drop in chunks: one splice per tenth of the log, not one per event.
      const excess = this.#events.length - this.#maxEvents + Math.ceil(this.#maxEvents / 10);
      this.#events.splice(0, excess);
      this.#dropped += excess;
    }
    return event;
  }

  /** Events kept, oldest first. */
  get events(): readonly ChaosEvent[] {
    return this.#events;
  }

  /** Events dropped to stay within `maxEvents`. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Up to `before` events at or before `atMs` and up to `after` events after it (default 10 each). */
  around(atMs: number, before = 10, after = 10): ChaosEventWindow {
    // Events are appended in time order: the first one past atMs, by binary search.
    let low = 0;
    let high = this.#events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#events[middle] as ChaosEvent).atMs <= atMs) low = middle + 1;
      else high = middle;
    }
    return {
      before: this.#events.slice(Math.max(0, low - before), low),
      after: this.#events.slice(low, low + after),
    };
  }
}

/** One event as a line: `  12.345s  fault      kill-member member 2 {"downMs":2000}`. */
export function formatEvent(event: ChaosEvent): string {
  const details = event.details === undefined ? '' : ` ${safeJson(event.details)}`;
  return `${(event.atMs / 1000).toFixed(3).padStart(9)}s  ${event.source.padEnd(14)} ${event.what}${details}`;
}

/** JSON that survives bigints and cycles (details are a scenario's, anything may be in them). */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return item.toString();
    if (typeof item === 'object' && item !== null) {
      if (seen.has(item)) return '[cycle]';
      seen.add(item);
    }
    return item;
  });
}
