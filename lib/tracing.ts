// zookit's node:diagnostics_channel publications, as undici, ioredis and mysql2 make theirs
// (docs/observability.md#tracing): the TracingChannels `zookit:request` (one per request, from
// Session.submit) and `zookit:connect` (one per connect attempt), and the plain channels
// `zookit:state` and `zookit:watch`. Everything is published on the main thread, so it works with
// the connection loop in a worker. Nobody subscribed costs one `hasSubscribers` read per request:
// no context object is built before that read says yes.

// Named imports: a default import would reach the published declarations, which a node10 project
// without esModuleInterop cannot read (spec/package/consumers.spec.ts).
import { channel, tracingChannel } from 'node:diagnostics_channel';
import { OpCode } from '../protocol/constants.js';
import type { ConnectionFailedError } from './errors.js';
import type { ClientState, ConnectionState } from './states.js';

/**
 * The context of one request on the `zookit:request` TracingChannel: published on `start` and
 * `end` when the request is submitted, and on `asyncStart`/`asyncEnd` (after `error` for a
 * failure) when it settles, as Node's `tracePromise` would.
 */
export interface RequestTraceContext {
  /** The operation's ZooKeeper name: 'create', 'getData', 'setData', 'multi', ... */
  readonly op: string;
  /** Its wire number (OpCode). */
  readonly opCode: number;
  /** The client path it names (chroot removed); undefined for multi, whoAmI, reconfig. */
  readonly path: string | undefined;
  /** The request's xid; undefined while it waits for a connection (set when it is written). */
  xid: number | undefined;
  /** Bytes of the request frame, its 4-byte length included. */
  requestBytes: number;
  /** Bytes of the reply frame, length included; undefined until a reply came (never, if none did). */
  replyBytes: number | undefined;
  /**
   * The zxid of the reply's header, set when the reply comes (undefined if none did): for a write,
   * its transaction's; for a read, the last transaction the server had applied. A client's replies
   * come in zxid order (docs/observability.md#reply-zxids).
   */
  zxid: bigint | undefined;
  /** The session id when the request was submitted (0n before the first session). */
  readonly sessionId: bigint;
  /** The settled value, as the caller gets it. */
  result?: unknown;
  /** The error the caller gets (a ZooKeeperError, ConnectionLossError, TimeoutError, ...). */
  error?: unknown;
}

/**
 * The context of one connect attempt (TCP, TLS and the session handshake with one server) on the
 * `zookit:connect` TracingChannel: `start` and `end` when it begins, then `asyncStart`/`asyncEnd`
 * when connected, or `error`, `asyncStart`, `asyncEnd` when it failed. A host name that did not
 * resolve is an attempt whose every message is published at once.
 */
export interface ConnectTraceContext {
  /** The address dialled, or the host name that did not resolve. */
  readonly host: string;
  readonly port: number;
  /** The host name `host` was resolved from. */
  readonly hostname?: string;
  /** Set when the attempt ends. */
  outcome?: 'connected' | 'failed';
  /** The session the handshake gave (a new one, or the one resumed). */
  sessionId?: bigint;
  /** Whether the server is read-only. */
  readOnly?: boolean;
  /** Why the attempt failed: one cause, with Node's error code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ...). */
  error?: ConnectionFailedError;
}

/** A message on `zookit:state`: the connection state changed. */
export interface StateChannelMessage {
  readonly connectionState: ConnectionState;
  /** kazoo's CONNECTED / SUSPENDED / LOST after the change. */
  readonly clientState: ClientState;
  readonly detail: string | undefined;
  /** The current session id (0n when none). */
  readonly sessionId: bigint;
}

/** A message on `zookit:watch`: a watch event about to be delivered to its callbacks. */
export interface WatchChannelMessage {
  /** EventType: NodeCreated 1, NodeDeleted 2, NodeDataChanged 3, NodeChildrenChanged 4, None -1, ... */
  readonly type: number;
  /** KeeperState of the event: SyncConnected 3, Expired -112, Closed 7, ... */
  readonly state: number;
  /** Client path (chroot removed). */
  readonly path: string;
  /** How many callbacks receive it. */
  readonly callbacks: number;
}

export const requestChannel = tracingChannel<unknown, RequestTraceContext>('zookit:request');
export const connectChannel = tracingChannel<unknown, ConnectTraceContext>('zookit:connect');
export const stateChannel = channel('zookit:state');
export const watchChannel = channel('zookit:watch');

type AnyTracingChannel = typeof requestChannel | typeof connectChannel;

/**
 * Whether anyone listens on any part of a TracingChannel. Node ≥ 20.13 has `hasSubscribers` on the
 * TracingChannel itself; before that, its five channels are asked.
 */
export const isTraced: (channel: AnyTracingChannel) => boolean =
  'hasSubscribers' in requestChannel
    ? (channel) => (channel as unknown as { hasSubscribers: boolean }).hasSubscribers
    : (channel) =>
        channel.start.hasSubscribers ||
        channel.end.hasSubscribers ||
        channel.asyncStart.hasSubscribers ||
        channel.asyncEnd.hasSubscribers ||
        channel.error.hasSubscribers;

/** Publishes the end of an async operation as tracePromise does: `error` first on failure. */
export function publishSettled<C extends object>(
  channel: {
    error: { publish(c: C): void };
    asyncStart: { publish(c: C): void };
    asyncEnd: { publish(c: C): void };
  },
  context: C,
  failed: boolean,
): void {
  if (failed) channel.error.publish(context);
  channel.asyncStart.publish(context);
  channel.asyncEnd.publish(context);
}

const OP_NAMES = new Map<number, string>(Object.entries(OpCode).map(([name, code]) => [code, name]));

/** The ZooKeeper name of an op code ('getData' for 4). */
export function opName(code: number): string {
  return OP_NAMES.get(code) ?? `op${code}`;
}
