// A request between submit() and its reply, how a reply or a failure settles it, and the FIFO of
// requests sent on the current connection. ZooKeeper answers a connection's requests in the order
// they were sent (notifications, pings and auth replies aside), so the head of the FIFO is the
// only request a reply can be for.

import { ErrorCode } from '../../protocol/error-codes.js';
import type { ClientOp } from '../../protocol/operations.js';
import { errorFromCode, ZooKeeperError } from '../errors.js';
import type { RequestTraceContext } from '../tracing.js';
import type { WatchAction } from '../watches/watch-manager.js';

/** A request on its way: encoded once, sent when a connection is ready, settled by its reply. */
export interface PendingRequest {
  op: ClientOp;
  /** The frame of a request that waited for a connection (its xid, bytes 4–8, is set when sent); undefined once written. */
  frame: Buffer | undefined;
  /** Client path, for error messages. */
  path: string | undefined;
  xid: number;
  /** Connection epoch it was sent on; -1 while queued. */
  epoch: number;
  /** Set when the caller gave up (abort, timeout): the reply, when it comes, is dropped. */
  abandoned: boolean;
  /** Turns a successful body into the caller's value. */
  convert: (body: unknown) => unknown;
  /** Error codes that are answers, not failures (exists → NONODE is `null`). */
  accept?: (code: number) => { value: unknown } | undefined;
  /** What the outcome changes in the watch registry (a one-shot watch to register, a removal). */
  watch?: WatchAction;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** Stops watching the caller's signal and timeout (set only when there is one to watch). */
  done?: (() => void) | undefined;
  /** Its `zookit:request` context, when someone subscribed as it was submitted (the reply's size goes here). */
  trace?: RequestTraceContext | undefined;
}

/** Settles a request with its reply: error code `code`, and the decoded `body` when it is 0. */
export function settleRequest(request: PendingRequest, code: number, body: unknown): void {
  request.done?.();
  // The registry follows the server, whether or not the caller still waits.
  const err = request.watch === undefined ? code : request.watch.settle(code, request.abandoned);
  if (request.abandoned) return;
  if (err !== 0) {
    const accepted = request.accept?.(err);
    if (accepted === undefined) {
      request.reject(errorFromCode(err, request.path));
      return;
    }
    request.resolve(accepted.value);
    return;
  }
  let value: unknown;
  try {
    value = request.convert(body);
  } catch (error) {
    request.reject(error as Error);
    return;
  }
  request.resolve(value);
}

/** Fails a request that will get no reply (connection lost, session ended, client stopped). */
export function failRequest(request: PendingRequest, error: Error): void {
  request.done?.();
  const code =
    request.watch?.settle(
      error instanceof ZooKeeperError ? error.code : ErrorCode.CONNECTIONLOSS,
      request.abandoned,
    ) ?? -1;
  if (request.abandoned) return;
  // A removal with `local` succeeds without the server.
  if (code === 0) request.resolve(request.convert(undefined));
  else request.reject(error);
}

/**
 * The requests sent on the current connection, oldest first. An array with a moving head:
 * taking the head costs no copy, and the array is compacted only once most of it is spent.
 */
export class SentRequests {
  private items: PendingRequest[] = [];
  private head = 0;

  push(request: PendingRequest): void {
    this.items.push(request);
  }

  /** The op of the request a reply with this xid must answer: the head's, or undefined (a fault). */
  opFor(xid: number): ClientOp | undefined {
    const first = this.items[this.head];
    return first !== undefined && first.xid === xid ? first.op : undefined;
  }

  /** Removes and returns the oldest request (call only after opFor found it). */
  shift(): PendingRequest {
    const first = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as PendingRequest;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return first;
  }

  /** Removes and returns every request, oldest first. */
  takeAll(): PendingRequest[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }
}
