// Curator's guaranteed deletes (docs/protocol.md#guaranteed-deletes): a delete that failed for a
// connection problem, so may or may not have happened, is retried in the background until the node
// is gone. Without it a lock or lease node whose release met a connection loss stays for the rest
// of the session and blocks every other contender (CURATOR-315, CURATOR-678). The same machinery
// removes what a protected create may have left behind when all its attempts failed (CURATOR-45).
//
// Each retry first waits for a connection (a wait with no timer), then runs one attempt; a failure
// that says "not now" waits out the client's commandRetry backoff on the handler's clock and tries
// again, without limit. The retries end when the node is gone (NoNode counts), when the session the
// node belongs to ends (its ephemerals went with it, and a node made at that path since is someone
// else's), or when the client stops; nothing here keeps the process alive after that.

import type { Handler } from '../../handlers/handler.js';
import {
  AuthFailedError,
  ConnectionClosedError,
  ConnectionLossError,
  ForceRetryError,
  NoNodeError,
  NotReadOnlyError,
  OperationTimeoutError,
  SessionExpiredError,
  SessionMovedError,
  ThrottledOpError,
} from '../errors.js';
import type { RetryPolicy } from '../retry.js';
import type { LogFields } from './options.js';
import type { LogLevel } from './reporting.js';

/** What the background retries need of their client. */
export interface GuaranteedDeletesHost {
  readonly handler: Pick<Handler, 'TimeoutError'>;
  /** The policy whose backoff spaces the retries (the client's commandRetry; its limits are lifted). */
  readonly retry: RetryPolicy;
  /** Resolves once the client is connected; rejects with the signal's reason on abort. */
  whenConnected(signal: AbortSignal): Promise<unknown>;
  /** The current session's id; 0n while there is none. */
  sessionId(): bigint;
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /**
   * A retry failed for a reason no later retry can change (NoAuth, NotEmpty, BadVersion...): the
   * error names the path, and goes where the client's callback errors go.
   */
  failed(error: unknown): void;
}

/** One delete to carry on with in the background. */
export interface BackgroundDelete {
  /** What is deleted, for log lines: a client path, or `parent/prefix*`. No data, no credential. */
  readonly what: string;
  /** One attempt, made while connected; NoNodeError counts as done. */
  readonly attempt: () => Promise<void>;
  /**
   * The session the node belongs to: the retries end when it does. 0n: the first session the
   * client connects with. Undefined: they go on across sessions (a persistent node the caller never
   * learnt the name of, which no one else can have made).
   */
  readonly session: bigint | undefined;
}

/** How a background delete ended. */
type Outcome = 'deleted' | 'session ended';

/** The deletes a client carries on with in the background; one per client. */
export class GuaranteedDeletes {
  /** One controller per delete under way: cancelAll() aborts its waits and sleeps. */
  readonly #running = new Set<AbortController>();

  constructor(private readonly host: GuaranteedDeletesHost) {}

  /** How many deletes are still being retried. */
  get pending(): number {
    return this.#running.size;
  }

  /** Carries on with `work` in the background. */
  add(work: BackgroundDelete): void {
    const controller = new AbortController();
    this.#running.add(controller);
    this.host.log('debug', `${work.what}: the delete goes on in the background`, { path: work.what });
    this.#run(work, controller.signal)
      .then(
        (outcome) =>
          this.host.log('debug', `${work.what}: background delete ended: ${outcome}`, {
            path: work.what,
            outcome,
          }),
        (error: unknown) => this.#ended(work, error, controller.signal),
      )
      .finally(() => this.#running.delete(controller));
  }

  /**
   * `deleted`, settling as it does; when it fails for a reason that says "not now" (a connection
   * problem, a reply that timed out, a caller who gave up: the delete may or may not have
   * happened), `work` goes on in the background.
   */
  carryOn(deleted: Promise<void>, work: BackgroundDelete, signal: AbortSignal | undefined): Promise<void> {
    return deleted.catch((error: unknown) => {
      if (this.#notNow(error) || (signal?.aborted === true && error === signal.reason)) this.add(work);
      throw error;
    });
  }

  /** Ends every delete under way (the client stopped): waits and sleeps are aborted at once. */
  cancelAll(): void {
    if (this.#running.size === 0) return;
    this.host.log('debug', `${this.#running.size} background deletes cancelled: the client stopped`);
    for (const controller of this.#running)
      controller.abort(new ConnectionClosedError('the client was stopped'));
    this.#running.clear();
  }

  #run(work: BackgroundDelete, signal: AbortSignal): Promise<Outcome> {
    let session = work.session;
    // No limit on tries or time: only the node's end, the session's or the client's stops it.
    // Across sessions, an expiry is one more "not now".
    const policy = this.host.retry.copy({
      maxTries: -1,
      deadline: undefined,
      ignoreExpire: session === undefined,
    });
    return policy.run(async (): Promise<Outcome> => {
      await this.host.whenConnected(signal);
      if (session !== undefined) {
        const current = this.host.sessionId();
        if (session === 0n) session = current;
        else if (current !== session) return 'session ended';
      }
      try {
        await work.attempt();
      } catch (error) {
        if (error instanceof NoNodeError) return 'deleted';
        if (this.#notNow(error))
          throw new ForceRetryError(`${work.what}: ${(error as Error).message}`, { cause: error });
        throw error;
      }
      return 'deleted';
    }, signal);
  }

  /**
   * A failure a later try may not meet: the connection (loss, a timed-out reply), a busy server
   * (OperationTimeout, throttling), a read-only server (the client moves on to a read/write one),
   * a session moving servers.
   */
  #notNow(error: unknown): boolean {
    return (
      error instanceof ConnectionLossError ||
      error instanceof OperationTimeoutError ||
      error instanceof ThrottledOpError ||
      error instanceof NotReadOnlyError ||
      error instanceof SessionMovedError ||
      error instanceof this.host.handler.TimeoutError
    );
  }

  #ended(work: BackgroundDelete, error: unknown, signal: AbortSignal): void {
    const fields = { path: work.what, error: (error as Error)?.name };
    // The policy's own signal (commandRetry's `signal` option) stops every retry, these too.
    if (signal.aborted || this.host.retry.options.signal?.aborted || error instanceof ConnectionClosedError) {
      this.host.log('debug', `${work.what}: background delete ended: the client stopped`, fields);
      return;
    }
    if (error instanceof SessionExpiredError || error instanceof AuthFailedError) {
      this.host.log('debug', `${work.what}: background delete ended: session ended`, fields);
      return;
    }
    this.host.failed(error);
  }
}
