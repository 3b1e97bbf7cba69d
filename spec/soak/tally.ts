// What the soak's workload did, counted: operations that succeeded (by kind), errors (by name),
// events delivered to watches and caches. An error is expected when a fault or a race between the
// workload's own loops explains it (a node another loop deleted, a connection the soak cut, a
// session it expired, a wait that timed out meanwhile); anything else is unexpected, kept with
// its stack, and fails the run, because a soak whose operations quietly throw is not exercising
// what it claims to.

/** Error names a fault or the workload's own races explain. */
const EXPECTED_ERRORS = new Set([
  // Races between loops working on the same nodes.
  'NoNodeError',
  'NodeExistsError',
  'NotEmptyError',
  'BadVersionError',
  // A multi whose create met another loop's node of the same name (throwOnFailure).
  'TransactionFailedError',
  // A connection the soak cut, a session it expired.
  'ConnectionLossError',
  'SessionExpiredError',
  'SessionMovedError',
  'OperationTimeoutError',
  'RequestTimeoutError',
  'RetryFailedError',
  'CounterOutcomeUnknownError',
  // Watches the server dropped with an expired session are no longer there to remove.
  'NoWatcherError',
  // Waits bounded by the workload (start of a cache, a lock) that ran out during an outage.
  'HandlerTimeoutError',
  'LockTimeoutError',
  'SoakTimeoutError',
]);

/** Unexpected errors kept with their stacks, at most this many. */
const KEPT_UNEXPECTED = 20;

/** Counters of one run, shared by every client's workload. */
export class Tally {
  /** Successful operations by kind. */
  readonly ops = new Map<string, number>();
  readonly errors = new Map<string, number>();
  /** The first unexpected errors, as `<where>: <stack>`. */
  readonly unexpected: string[] = [];
  unexpectedCount = 0;
  /** Events delivered to watches, watch streams and caches. */
  events = 0;
  /** Successful operations in all. */
  completed = 0;

  ok(kind: string): void {
    this.ops.set(kind, (this.ops.get(kind) ?? 0) + 1);
    this.completed++;
  }

  failed(where: string, error: unknown): void {
    const name = error instanceof Error ? error.name : typeof error;
    this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
    if (EXPECTED_ERRORS.has(name)) return;
    this.unexpectedCount++;
    if (this.unexpected.length < KEPT_UNEXPECTED)
      this.unexpected.push(
        `${where}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
  }

  event(): void {
    this.events++;
  }

  get errorCount(): number {
    let total = 0;
    for (const count of this.errors.values()) total += count;
    return total;
  }
}

/** A wait the workload bounded itself gave up (a cache that did not initialise in time). */
export class SoakTimeoutError extends Error {
  override readonly name = 'SoakTimeoutError';
}
