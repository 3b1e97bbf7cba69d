// The error a ZooKeeper result code becomes: one class per code, so `instanceof NoNodeError`
// works, all under ZooKeeperError, which carries the numeric code, its Java name and the path.

import { ErrorCode, errorCodeName } from '../protocol/error-codes.js';

export {
  InboundFrameTooLargeError,
  OutboundFrameTooLargeError,
  ProtocolError,
  UnsafeRequestError,
} from '../protocol/protocol-error.js';

/** A ZooKeeper result code as an error. Unknown codes stay this base class, never a crash. */
export class ZooKeeperError extends Error {
  /** The code this class stands for; the base class has none and takes it per instance. */
  static readonly code: number | undefined = undefined;
  override readonly name: string;
  /** The numeric code from the wire (-101 for NONODE). */
  readonly code: number;
  /** The Java name of the code (`NONODE`), or `UNKNOWN(<code>)`. */
  readonly codeName: string;
  /** The path the failed request named, where there was one (client path, chroot removed). */
  readonly path: string | undefined;

  constructor(code?: number, path?: string, message?: string) {
    const actual = code ?? (new.target as typeof ZooKeeperError).code ?? ErrorCode.SYSTEMERROR;
    const codeName = errorCodeName(actual);
    super(message ?? `${codeName} (${actual})${path === undefined ? '' : `: ${path}`}`);
    this.name = new.target.name;
    this.code = actual;
    this.codeName = codeName;
    this.path = path;
  }

  /** `{ name, code, codeName, message, path }` for JSON.stringify (an Error's message is not enumerable). */
  toJSON(): Record<string, unknown> {
    return errorJSON(this);
  }
}

// One subclass per code. Each takes its code from the static, so `new NoNodeError(undefined, p)`
// and `errorFromCode(-101, p)` build the same thing.
export class SystemError extends ZooKeeperError {
  static override readonly code = ErrorCode.SYSTEMERROR;
}
/**
 * What a transaction's ops after the failing one get: the server ran none of them. Inside a
 * transaction `failedOp` names the op that failed (docs/transactions.md#results).
 */
export class RuntimeInconsistencyError extends ZooKeeperError {
  static override readonly code = ErrorCode.RUNTIMEINCONSISTENCY;
  /** Inside a transaction's results: the op whose failure meant this one was not run. */
  readonly failedOp: FailedOp | undefined;

  constructor(code?: number, path?: string, message?: string, failedOp?: FailedOp) {
    super(code, path, message);
    this.failedOp = failedOp;
  }
}
export class DataInconsistencyError extends ZooKeeperError {
  static override readonly code = ErrorCode.DATAINCONSISTENCY;
}
/** The connection broke before the reply came: the request may or may not have been applied. */
export class ConnectionLossError extends ZooKeeperError {
  static override readonly code = ErrorCode.CONNECTIONLOSS;
}
export class MarshallingError extends ZooKeeperError {
  static override readonly code = ErrorCode.MARSHALLINGERROR;
}
/** The server does not know the op: older server, or a feature switched off (createTTL). */
export class UnimplementedError extends ZooKeeperError {
  static override readonly code = ErrorCode.UNIMPLEMENTED;
}
export class OperationTimeoutError extends ZooKeeperError {
  static override readonly code = ErrorCode.OPERATIONTIMEOUT;
}
export class BadArgumentsError extends ZooKeeperError {
  static override readonly code = ErrorCode.BADARGUMENTS;
}
export class UnknownSessionError extends ZooKeeperError {
  static override readonly code = ErrorCode.UNKNOWNSESSION;
}
export class NewConfigNoQuorumError extends ZooKeeperError {
  static override readonly code = ErrorCode.NEWCONFIGNOQUORUM;
}
export class ReconfigInProgressError extends ZooKeeperError {
  static override readonly code = ErrorCode.RECONFIGINPROGRESS;
}
export class ApiError extends ZooKeeperError {
  static override readonly code = ErrorCode.APIERROR;
}
export class NoNodeError extends ZooKeeperError {
  static override readonly code = ErrorCode.NONODE;
}
export class NoAuthError extends ZooKeeperError {
  static override readonly code = ErrorCode.NOAUTH;
}
export class BadVersionError extends ZooKeeperError {
  static override readonly code = ErrorCode.BADVERSION;
}
export class NoChildrenForEphemeralsError extends ZooKeeperError {
  static override readonly code = ErrorCode.NOCHILDRENFOREPHEMERALS;
}
export class NodeExistsError extends ZooKeeperError {
  static override readonly code = ErrorCode.NODEEXISTS;
}
export class NotEmptyError extends ZooKeeperError {
  static override readonly code = ErrorCode.NOTEMPTY;
}
export class SessionExpiredError extends ZooKeeperError {
  static override readonly code = ErrorCode.SESSIONEXPIRED;
}
export class InvalidCallbackError extends ZooKeeperError {
  static override readonly code = ErrorCode.INVALIDCALLBACK;
}
export class InvalidACLError extends ZooKeeperError {
  static override readonly code = ErrorCode.INVALIDACL;
}
export class AuthFailedError extends ZooKeeperError {
  static override readonly code = ErrorCode.AUTHFAILED;
}
export class SessionMovedError extends ZooKeeperError {
  static override readonly code = ErrorCode.SESSIONMOVED;
}
/** A write reached a server in read-only mode (partitioned from its quorum). */
export class NotReadOnlyError extends ZooKeeperError {
  static override readonly code = ErrorCode.NOTREADONLY;
}
export class EphemeralOnLocalSessionError extends ZooKeeperError {
  static override readonly code = ErrorCode.EPHEMERALONLOCALSESSION;
}
export class NoWatcherError extends ZooKeeperError {
  static override readonly code = ErrorCode.NOWATCHER;
}
export class RequestTimeoutError extends ZooKeeperError {
  static override readonly code = ErrorCode.REQUESTTIMEOUT;
}
export class ReconfigDisabledError extends ZooKeeperError {
  static override readonly code = ErrorCode.RECONFIGDISABLED;
}
export class SessionClosedRequireSaslAuthError extends ZooKeeperError {
  static override readonly code = ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH;
}
export class QuotaExceededError extends ZooKeeperError {
  static override readonly code = ErrorCode.QUOTAEXCEEDED;
}
/** The server shed the request under load; retry with backoff. */
export class ThrottledOpError extends ZooKeeperError {
  static override readonly code = ErrorCode.THROTTLEDOP;
}

const errorClasses: ReadonlyArray<typeof ZooKeeperError> = [
  SystemError,
  RuntimeInconsistencyError,
  DataInconsistencyError,
  ConnectionLossError,
  MarshallingError,
  UnimplementedError,
  OperationTimeoutError,
  BadArgumentsError,
  UnknownSessionError,
  NewConfigNoQuorumError,
  ReconfigInProgressError,
  ApiError,
  NoNodeError,
  NoAuthError,
  BadVersionError,
  NoChildrenForEphemeralsError,
  NodeExistsError,
  NotEmptyError,
  SessionExpiredError,
  InvalidCallbackError,
  InvalidACLError,
  AuthFailedError,
  SessionMovedError,
  NotReadOnlyError,
  EphemeralOnLocalSessionError,
  NoWatcherError,
  RequestTimeoutError,
  ReconfigDisabledError,
  SessionClosedRequireSaslAuthError,
  QuotaExceededError,
  ThrottledOpError,
];

const classByCode = new Map<number, typeof ZooKeeperError>(errorClasses.map((c) => [c.code!, c]));

/** The class for a code, or ZooKeeperError itself for a code no class stands for. */
export function errorClassFor(code: number): typeof ZooKeeperError {
  return classByCode.get(code) ?? ZooKeeperError;
}

/** Builds the typed error for a non-zero result code; unknown codes give a plain ZooKeeperError. */
export function errorFromCode(code: number, path?: string): ZooKeeperError {
  const ErrorClass = errorClassFor(code);
  return new ErrorClass(code, path);
}

// --- errors raised by the client itself -----------------------------------------------------------
//
// Each has a stable string `code` in Node's style (`ERR_ZOOKIT_*`), listed in docs/errors.md#codes;
// a server result code is a number, so `typeof error.code` tells who raised it.

/** The op of a failed transaction that failed, as the other ops' errors and TransactionFailedError name it. */
export interface FailedOp {
  /** Its place in the transaction, from 0 (the index of its result). */
  readonly index: number;
  /** The operation: 'create', 'delete', 'setData' or 'check'. */
  readonly op: string;
  /** The path it named (client path). */
  readonly path: string;
  /** The server's error for it (BadVersionError, NoNodeError, ...). */
  readonly error: ZooKeeperError;
}

/**
 * Bad input caught before anything is sent: an invalid path, ACL, TTL, version or an oversized
 * value. The session is untouched. `argument` names the parameter; secrets never appear in the text.
 */
export class InvalidArgumentError extends TypeError {
  override readonly name: string = 'InvalidArgumentError';
  /** Stable code (docs/errors.md#codes). */
  readonly code: string = 'ERR_ZOOKIT_INVALID_ARGUMENT';
  constructor(
    /** The parameter that was refused (`path`, `acl`, `ttl`, `value`, `version`, ...). */
    readonly argument: string,
    message: string,
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return errorJSON(this);
  }
}

/** A path ZooKeeper would refuse (PathUtils rules): relative, trailing '/', empty, '.', '..', bad characters. */
export class InvalidPathError extends InvalidArgumentError {
  override readonly name = 'InvalidPathError';
  override readonly code = 'ERR_ZOOKIT_INVALID_PATH';
  constructor(
    /** The refused path. */
    readonly path: string,
    reason: string,
  ) {
    super('path', `invalid path ${JSON.stringify(path)}: ${reason}`);
  }
}

/** An ACL list the server would refuse (empty, bad permission bits, empty scheme). */
export class InvalidAclError extends InvalidArgumentError {
  override readonly name = 'InvalidAclError';
  override readonly code = 'ERR_ZOOKIT_INVALID_ACL';
  constructor(reason: string) {
    super('acl', `invalid ACL: ${reason}`);
  }
}

/** A request whose encoded size exceeds maxBufferBytes; the server would drop the connection. */
export class ValueTooLargeError extends InvalidArgumentError {
  override readonly name = 'ValueTooLargeError';
  override readonly code = 'ERR_ZOOKIT_VALUE_TOO_LARGE';
  constructor(
    /** Bytes the request would take. */
    readonly size: number,
    /** The configured maxBufferBytes. */
    readonly limit: number,
  ) {
    super('value', `request of ${size} bytes exceeds maxBufferBytes (${limit} bytes)`);
  }
}

/** The client was stopped or closed: requests fail with this, and retries never retry it. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_CONNECTION_CLOSED';

  toJSON(): Record<string, unknown> {
    return errorJSON(this);
  }
}

/**
 * A TLS file named in the `tls` option (`caFile`, `certFile`, `keyFile`, `pfxFile`) could not be
 * used for a connection attempt: missing, unreadable, not PEM/PKCS12, a key that needs another
 * passphrase, or a certificate and key that do not match. The files are read again on every
 * attempt (docs/tls.md#rotation), so the attempt fails, shows in `connectionFailed`'s causes with
 * this code, and the next attempt reads them afresh. The message names the file, never its contents.
 */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_TLS_FILE';
  constructor(
    /** The option that named the file (`certFile`, ...). */
    readonly option: string,
    /** The path as given in the option. */
    readonly file: string,
    reason: string,
  ) {
    super(`TLS ${option} ${JSON.stringify(file)}: ${reason}`);
  }

  toJSON(): Record<string, unknown> {
    return errorJSON(this);
  }
}

/** A retry policy gave up: too many attempts, or the deadline would be passed. `cause` is the last error. */
export class RetryFailedError extends Error {
  override readonly name = 'RetryFailedError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_RETRY_FAILED';
  constructor(
    message: string,
    /** How many times the operation ran. */
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): Record<string, unknown> {
    return errorJSON(this);
  }
}

/** Thrown by a recipe step to make the retry policy start it again (kazoo's ForceRetryError). */
export class ForceRetryError extends Error {
  override readonly name = 'ForceRetryError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_FORCE_RETRY';
}

/**
 * A transaction op that was not applied because another op of the same transaction failed (it
 * came before the failing op: the server ran it, then undid it). `failedOp` names the one that
 * failed (docs/transactions.md#results).
 */
export class RolledBackError extends Error {
  override readonly name = 'RolledBackError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_ROLLED_BACK';
  constructor(
    message = 'rolled back: another op of the transaction failed',
    /** The op whose failure rolled this one back, when the reply named one. */
    readonly failedOp?: FailedOp,
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return errorJSON(this);
  }
}

/**
 * A transaction committed with `throwOnFailure` failed: nothing was applied. The message names the
 * failing op; `failedOp` has its index, path and error (also `cause`), `results` every op's result
 * as `commit()` would have resolved with (docs/transactions.md#results).
 */
export class TransactionFailedError extends Error {
  override readonly name = 'TransactionFailedError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_TRANSACTION_FAILED';
  constructor(
    /** The op that failed. */
    readonly failedOp: FailedOp,
    /** One result per op, in order: the failing op's error, RolledBackError or RuntimeInconsistencyError for the others. */
    readonly results: ReadonlyArray<unknown>,
  ) {
    super(
      `transaction failed, nothing was applied: ops[${failedOp.index}] (${failedOp.op} ${failedOp.path}) ` +
        `failed with ${failedOp.error.codeName} (${failedOp.error.code})`,
      { cause: failedOp.error },
    );
  }

  toJSON(): Record<string, unknown> {
    return errorJSON(this);
  }
}

/**
 * An error as JSON: name and message (which JSON.stringify leaves out, being inherited or not
 * enumerable), then the error's own fields (code, codeName, path, argument, ...), bigints as
 * decimal strings.
 */
function errorJSON(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  for (const [key, value] of Object.entries(error)) {
    if (value === undefined || key === 'stack') continue;
    out[key] = typeof value === 'bigint' ? value.toString() : value;
  }
  return out;
}

/**
 * Why one host could not be reached in a pass over the hosts: plain data, as it crosses from the
 * connection loop (maybe in a worker thread). See docs/observability.md#connection-failures.
 */
export interface ConnectionFailure {
  /** The address dialled, or the host name that did not resolve. */
  readonly host: string;
  /** The TCP port. */
  readonly port: number;
  /** The host name `host` was resolved from, when it was given as a name. */
  readonly hostname?: string;
  /**
   * Node's error code: ECONNREFUSED, ENOTFOUND, EAI_AGAIN, ECONNRESET, ... and ETIMEDOUT for a
   * connect or handshake that took too long; undefined when the failure had none.
   */
  readonly code: string | undefined;
  /** The failure's own message (`connect ECONNREFUSED 127.0.0.1:2181`). */
  readonly message: string;
}

/**
 * No host could be reached in a pass over the hosts; `causes` holds each host's failure, and the
 * message names them all. The `connectionFailed` event carries one per failed pass; start() with
 * `failFast` rejects with the first; start()'s TimeoutError has the last as its `cause`.
 */
export class ConnectionFailedError extends Error {
  override readonly name = 'ConnectionFailedError';
  /** Stable code (docs/errors.md#codes); each host's own code is in `causes`. */
  readonly code = 'ERR_ZOOKIT_CONNECTION_FAILED';
  constructor(
    /** Each host's failure, in the order the hosts were tried. */
    readonly causes: readonly ConnectionFailure[],
  ) {
    super(`no server could be reached (${causes.map(describeFailure).join('; ') || 'no address to try'})`);
  }

  toJSON(): Record<string, unknown> {
    return errorJSON(this);
  }
}

/** One line for a failure: `host:port (name): message (CODE)`, the code only when the message lacks it. */
function describeFailure(failure: ConnectionFailure): string {
  const where = `${failure.host}:${failure.port}${failure.hostname ? ` (${failure.hostname})` : ''}`;
  const code =
    failure.code !== undefined && !failure.message.includes(failure.code) ? ` (${failure.code})` : '';
  return `${where}: ${failure.message}${code}`;
}
