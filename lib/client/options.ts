// The client's public option, event and value types, apart from the class that uses them.

import type { Handler } from '../../handlers/handler.js';
import type { ACL } from '../../protocol/records.js';
import type { ConnectionFailedError } from '../errors.js';
import type { RetryOptions } from '../retry.js';
import type { SaslOptions } from '../sasl/mechanism.js';
import type { TlsOptions } from '../session/tls-files.js';
import type { ClientState, ConnectionState } from '../states.js';
import type { PersistentMode, WatchCallback } from '../watches/watch-registry.js';
import type { TransactionCreateOptions } from './transaction.js';

/** The data of a log line: plain values (bigints as `0x…` strings), never a credential. */
export type LogFields = Record<string, unknown>;

/**
 * Where the client's log lines go: each method is called as `(message, fields?)`, the message a
 * complete sentence on its own and the fields the same facts as data (docs/observability.md#logging).
 * `console` fits as it is and prints both. pino and bunyan take the object first: a pino logger
 * given as it is logs the message and drops the fields, so pass an adapter that swaps them,
 * `{ warn: (msg, fields) => log.warn(fields, msg), ... }` for each level. Omitted methods (or no
 * logger) cost nothing; without a logger, NODE_DEBUG=zookit prints every line to stderr.
 */
export interface Logger {
  debug?(message: string, fields?: LogFields): void;
  info?(message: string, fields?: LogFields): void;
  warn?(message: string, fields?: LogFields): void;
  error?(message: string, fields?: LogFields): void;
}

/** The constructor options (kazoo's, in camelCase). */
export interface ClientOptions {
  /** "h1:2181,h2:2181/chroot" or ['h1:2181', 'h2:2181']; default '127.0.0.1:2181'. */
  hosts?: string | readonly string[];
  /** Requested session timeout, ms (the server clamps it). Default 10000. */
  sessionTimeout?: number;
  /** Resume this session instead of creating one. */
  clientId?: { sessionId: bigint; password: Uint8Array };
  /**
   * The runtime the client runs on. Default: a new one from `ZooKeeperClient.defaultHandler`
   * (a SequentialMicrotaskHandler unless changed), owned and stopped by the client.
   */
  handler?: Handler;
  /** ACL of nodes created without one. Default OPEN_ACL_UNSAFE. */
  defaultAcl?: readonly ACL[];
  /**
   * Credentials sent on every connection before anything else: [scheme, credential]. An entry
   * `['sasl', 'user:password']` (kazoo's form) authenticates with SASL DIGEST-MD5 instead
   * (docs/security.md#options).
   */
  authData?: ReadonlyArray<readonly [string, string]>;
  /**
   * SASL authentication on every connection, before CONNECTED: DIGEST-MD5 with a user name and
   * password, GSSAPI, or a mechanism factory (docs/security.md#options).
   */
  sasl?: SaslOptions;
  /** Allow the session on a read-only (partitioned) server; writes then fail with NotReadOnlyError. */
  readOnly?: boolean;
  /** Shuffle the host list on each connect cycle. Default true. */
  randomizeHosts?: boolean;
  /** Backoff between failed connect cycles. Default: forever, 100 ms doubling to 10 s, jitter 0.4. */
  connectionRetry?: RetryOptions;
  /**
   * After a connection that was up ends, wait a uniform random time in [0, reconnectJitter) ms
   * before reconnecting, so the clients of a server that died do not all arrive at the survivors
   * in the same instant (the Java client waits 0–1 s). Default: a tenth of the session timeout,
   * at most 1000 ms; 0 reconnects at once (docs/reliability.md#reconnect-jitter).
   */
  reconnectJitter?: number;
  /** The policy of `retry()`. Default: 5 attempts, 100 ms doubling to 10 s. */
  commandRetry?: RetryOptions;
  /**
   * TLS: Node `tls.connect` options (certificate and host-name checks stay on unless you turn them
   * off), and `caFile`/`certFile`/`keyFile`/`pfxFile`, read again on every connection attempt so a
   * renewed certificate is used at the next reconnect (docs/tls.md#rotation).
   */
  tls?: TlsOptions | true;
  /**
   * Where log lines go (see Logger): connection states (info), every failed pass over the hosts
   * (warn), errors of callbacks (error) unless an `error` listener takes them, debug detail.
   */
  logger?: Logger;
  /** Largest request frame, bytes (the server's jute.maxbuffer). Default 0xfffff. */
  maxBufferBytes?: number;
  /** Fail a request that has no reply after this many ms (default: wait); a call's own `timeout` overrides it. */
  requestTimeout?: number;
}

/**
 * Per-call options every operation and wait accepts. A call given up (aborted, timed out) rejects
 * at once; a request already sent still gets its reply, which is dropped, so the session goes on.
 */
export interface CallOptions {
  /** Aborting it rejects the call with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Give up after this many ms (the handler's TimeoutError), on the handler's clock. Default: the
   * client's `requestTimeout`. For a call made of several requests (ensurePath, a recursive
   * delete) it bounds the whole call.
   */
  timeout?: number;
}

/** Options of `start` and `restart`. */
export interface StartOptions {
  /**
   * Give up connecting after this many ms (default 15000): the client is stopped and the
   * handler's TimeoutError thrown, its `cause` the last failed pass (a ConnectionFailedError).
   */
  timeout?: number;
  signal?: AbortSignal;
  /**
   * Give up at the first failed pass over the hosts (the Rust client's `fail_eagerly`,
   * ZOOKEEPER-4923): when no host could be reached, start() stops the client and rejects at once
   * with a ConnectionFailedError naming each host's cause (its `causes`), instead of retrying
   * until `timeout`. Only this first connection: reconnects later retry as always. Default false.
   */
  failFast?: boolean;
}

/** Options of `create`. */
export interface CreateOptions extends TransactionCreateOptions, CallOptions {
  /** Create missing parents (as persistent nodes with the same ACL). */
  makepath?: boolean;
  /** Return [path, stat] (create2) instead of the path. */
  includeData?: boolean;
  /**
   * Curator's protected mode: the node is named `_c_<uuid>-<name>`. When a create's outcome is
   * unknown (connection loss, a reply that timed out), the next attempt lists the parent and
   * returns the node with that prefix instead of making a second one. An ephemeral node is adopted
   * only when the current session owns it; one of an ended session is deleted and the create made
   * anew (CURATOR-498). Attempts follow `commandRetry`, within this call's `timeout` and `signal`;
   * when all fail, a node the last one may have made is removed in the background (CURATOR-45).
   * docs/protocol.md#protected-creates
   */
  protected?: boolean;
}

/** Options of `set` and `setAcls`. */
export interface SetOptions extends CallOptions {
  /** Only if the node is at this version (the ACL version for setAcls); BadVersionError otherwise. Default -1: any. */
  version?: number;
}

/** Options of `delete`. */
export interface DeleteOptions extends SetOptions {
  /**
   * Delete the subtree first (children missing by then are fine). With `version`, the node's
   * version is checked before anything is deleted, and again by the server on the node's own delete.
   */
  recursive?: boolean;
  /**
   * Curator's guaranteed delete. The call settles as a plain delete would (its signal and timeout
   * included); when it fails in a way that leaves the outcome open (a connection problem, a reply
   * that timed out, an abort), the delete, with its `version` and `recursive`, is retried in the
   * background, each retry once connected, until the node is gone (NoNode counts), the session it
   * was sent in ends, or the client stops. `pendingGuaranteedDeletes` counts those under way.
   * docs/protocol.md#guaranteed-deletes
   */
  guaranteed?: boolean;
}

/** Options of `ensurePath`. */
export interface EnsurePathOptions extends CallOptions {
  /** ACL of the nodes it creates (default: the client's defaultAcl). */
  acl?: readonly ACL[];
}

/** Options of `addWatch`. */
export interface AddWatchOptions extends CallOptions {
  /** 'persistent' (the default): every event of the node; 'persistentRecursive': of its subtree. */
  mode?: PersistentMode;
}

/** Options of `removeWatches`. */
export interface RemoveWatchesOptions extends CallOptions {
  /** Remove only this callback (default: every callback of the type on the path). */
  callback?: WatchCallback;
  /** Remove locally even when the server cannot be told (no connection). */
  local?: boolean;
}

/** A state listener (kazoo's add_listener): returning true removes it. */
export type StateListener = (state: ClientState) => unknown;

/** Events of the client. */
export interface ClientEvents {
  /** The application-level state changed (CONNECTED / SUSPENDED / LOST). */
  state: [state: ClientState];
  /** The connection-level state changed. */
  connectionState: [state: ConnectionState, detail: string | undefined];
  /** A user callback threw, or the loop hit a fault it recovered from. */
  error: [error: unknown];
  /**
   * A whole pass over the hosts failed; the loop backs off and tries again. The error's `causes`
   * name each host's failure (ECONNREFUSED, ENOTFOUND, ...). See docs/observability.md#connection-failures.
   */
  connectionFailed: [error: ConnectionFailedError];
}

/** A value as the client sends it: bytes, or a string sent as UTF-8. */
export type Value = Uint8Array | string;

/** One read of multiRead: a node's data, or its children. */
export type MultiReadItem = { op: 'get'; path: string } | { op: 'getChildren'; path: string };
