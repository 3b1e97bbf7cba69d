// Progress of a long operation on stderr: on a terminal a bar redrawn in place (at most ten times a
// second), otherwise a plain line at most once a second, so a log file gets a heartbeat and not
// ten thousand lines. The summary line at the end (`deleted 10001 nodes in 1.9 s`) is printed by
// the command, which knows the verb; `--quiet` silences both.

import type { Io } from './context.js';

/** How often a terminal bar is redrawn, ms. */
const BAR_INTERVAL_MS = 100;
/** From how many nodes an operation counts as long: it prints a first line when it starts. */
const LONG_OPERATION_NODES = 1000;
/** How often a plain progress line is printed, ms. */
const LINE_INTERVAL_MS = 1000;

/** Counts done items against an optional total and shows it. */
export class Progress {
  done = 0;
  readonly #started = performance.now();
  #total: number | undefined;
  #shownAt = 0;
  #barShown = false;

  constructor(
    private readonly io: Io,
    /** What is counted, e.g. `rm -r /app` (printed before the count). */
    private readonly label: string,
    private readonly enabled: boolean,
    total?: number,
  ) {
    this.#total = total;
    // A long operation says at once what it set out to do: a log shows it started, a script
    // (or a test) knows it is under way.
    if (enabled && !io.stderrIsTty && total !== undefined && total >= LONG_OPERATION_NODES) {
      io.note(`${label}: 0/${total} nodes`);
    }
  }

  /** Sets (or corrects) the number of items expected. */
  set total(total: number | undefined) {
    this.#total = total;
  }

  /** Elapsed time since the start, seconds. */
  get seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  /** Counts `n` more items done and redraws when it is time. */
  tick(n = 1): void {
    this.done += n;
    if (!this.enabled) return;
    const now = performance.now();
    const interval = this.io.stderrIsTty ? BAR_INTERVAL_MS : LINE_INTERVAL_MS;
    if (now - this.#shownAt < interval) return;
    if (this.#shownAt === 0) {
      // No line in the first interval: a short operation shows none at all.
      this.#shownAt = now;
      return;
    }
    this.#shownAt = now;
    this.#show();
  }

  /** Clears the bar (a terminal) so the summary line starts on a clean line. */
  finish(): void {
    if (this.#barShown) this.io.status('\r\x1b[2K');
    this.#barShown = false;
  }

  #show(): void {
    const total = this.#total;
    const count = total === undefined ? `${this.done}` : `${this.done}/${total}`;
    const rate = Math.round(this.done / Math.max(this.seconds, 0.001));
    if (!this.io.stderrIsTty) {
      this.io.note(`${this.label}: ${count} nodes (${rate}/s)`);
      return;
    }
    const width = Math.max(10, Math.min(40, this.io.columns - this.label.length - 40));
    const fraction = total ? Math.min(1, this.done / total) : 0;
    const filled = Math.round(fraction * width);
    const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
    const percent = total ? ` ${Math.floor(fraction * 100)}%` : '';
    // \r and erase-line redraw the bar in place; it never ends in a newline.
    this.io.status(`\r\x1b[2K${this.label} ${bar}${count}${percent} ${rate}/s`);
    this.#barShown = true;
  }
}
