// One re-read at a time. A watch recipe's reads are applied in the order they were sent: a later
// read of one session sees a state at least as new as an earlier one, so the recipe never goes
// back to an older version (the kazoo #645 kind of bug, where a slow read lands after a newer one).

/**
 * Runs `run` for each request, never two at once. Requests made while one runs are merged into one
 * follow-up run (a burst of events costs one extra read, not one per event). `run` must not throw.
 */
export class SerialRefresh<T> {
  private running = false;
  private queued: { value: T } | undefined;

  constructor(
    private readonly run: (value: T) => Promise<void>,
    /** Combines a request with one already waiting. */
    private readonly merge: (waiting: T, next: T) => T,
  ) {}

  /** Runs now when idle, else once after the run in progress. */
  request(value: T): void {
    this.queued = { value: this.queued === undefined ? value : this.merge(this.queued.value, value) };
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queued !== undefined) {
        const { value } = this.queued;
        this.queued = undefined;
        await this.run(value);
      }
    } finally {
      this.running = false;
    }
  }
}
