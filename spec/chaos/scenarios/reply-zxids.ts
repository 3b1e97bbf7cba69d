// The reply header's zxid of one call, as the caller sees the call settle. zookit publishes it on
// the `zookit:request` TracingChannel (RequestTraceContext.zxid, docs/observability.md#reply-zxids);
// this finds the context of a given call: a single-request call submits synchronously (its
// `start` is published before the call returns), so the context published while the call is being
// made is its own. addWatch sends an exists right after the addWatch and settles with its reply
// (lib/watches/watch-manager.ts, addPersistent), so a call's zxid is its last request's. The zxid
// is set before the caller's continuation runs.

import { tracingChannel } from 'node:diagnostics_channel';
import type { RequestTraceContext } from '../../../index.js';

/** How one call settled, with its reply's zxid (undefined when no reply came). */
export type TracedOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly zxid: bigint | undefined }
  | { readonly ok: false; readonly error: unknown; readonly zxid: bigint | undefined };

const ignore = (): void => {};

/** Subscribes to `zookit:request` while open; `close()` unsubscribes. */
export class ReplyZxids {
  #capturing: RequestTraceContext[] | undefined;
  readonly #channel = tracingChannel<unknown, RequestTraceContext>('zookit:request');
  readonly #subscribers = {
    start: (context: RequestTraceContext) => this.#capturing?.push(context),
    end: ignore,
    asyncStart: ignore,
    asyncEnd: ignore,
    error: ignore,
  };

  constructor() {
    this.#channel.subscribe(this.#subscribers);
  }

  /**
   * Makes a call of one request and calls `settled` with its outcome in the call's own first
   * continuation — the moment the caller would see it. The zxid is that of the last request the
   * call made at once (undefined if none, or no reply came); calls that send more later (ensurePath,
   * makepath) are not for this.
   */
  call<T>(make: () => Promise<T>, settled: (outcome: TracedOutcome<T>) => void): Promise<void> {
    const captured: RequestTraceContext[] = [];
    const outer = this.#capturing;
    this.#capturing = captured;
    let promise: Promise<T>;
    try {
      promise = make();
    } catch (error) {
      promise = Promise.reject(error);
    } finally {
      this.#capturing = outer;
    }
    const zxid = () => captured.at(-1)?.zxid;
    return promise.then(
      (value) => settled({ ok: true, value, zxid: zxid() }),
      (error: unknown) => settled({ ok: false, error, zxid: zxid() }),
    );
  }

  close(): void {
    this.#channel.unsubscribe(this.#subscribers);
  }
}
