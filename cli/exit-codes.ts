// The exit codes of the `zookit` binary, one per kind of failure a script branches on, and the one
// line of stderr each failure prints. A script tests `$?` rather than parsing messages: 3 means
// the node is not there, 4 that someone wrote first, 5 that the server said no to who we are, 6
// that no server could be reached or the session went away. docs/cli.md#exit-codes lists them.

import {
  AuthFailedError,
  BadVersionError,
  ConnectionClosedError,
  ConnectionFailedError,
  ConnectionLossError,
  HandlerTimeoutError,
  InvalidArgumentError,
  NoAuthError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  NotReadOnlyError,
  SessionClosedRequireSaslAuthError,
  SessionExpiredError,
  TlsFileError,
  TransactionFailedError,
  ZooKeeperError,
} from '../index.js';

/** The exit codes (docs/cli.md#exit-codes). */
export const ExitCode = {
  OK: 0,
  /** Any failure without a code of its own. */
  ERROR: 1,
  /** Bad command line: unknown command or option, missing or extra argument, bad value. */
  USAGE: 2,
  /** The node (or a parent it needs) does not exist: NONODE. */
  NO_NODE: 3,
  /** A `--version` condition failed: BADVERSION. */
  BAD_VERSION: 4,
  /** The server refused the session's identity: NOAUTH, AUTHFAILED, SASL required. */
  AUTH: 5,
  /** No server reached in time, the connection lost mid-call, the session expired. */
  CONNECTION: 6,
  /** The node already exists: NODEEXISTS. */
  NODE_EXISTS: 7,
  /** The node has children (`rm` without `-r`): NOTEMPTY. */
  NOT_EMPTY: 8,
  /** A write on a read-only server (`--read-only`): NOTREADONLY. */
  READ_ONLY: 9,
  /** Stopped by Ctrl-C (SIGINT) before it finished: 128 + 2, as a shell reports it. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake on the command line: exits 2 with its message and a pointer to `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the CLI itself found, with the exit code it stands for. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** The exit code an error stands for. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  // A transaction (cp, mv) fails with the code of the op that failed.
  if (error instanceof TransactionFailedError) return exitCodeFor(error.failedOp.error);
  if (error instanceof UsageError || error instanceof InvalidArgumentError) return ExitCode.USAGE;
  if (error instanceof NoNodeError) return ExitCode.NO_NODE;
  if (error instanceof BadVersionError) return ExitCode.BAD_VERSION;
  if (
    error instanceof NoAuthError ||
    error instanceof AuthFailedError ||
    error instanceof SessionClosedRequireSaslAuthError
  )
    return ExitCode.AUTH;
  if (error instanceof NodeExistsError) return ExitCode.NODE_EXISTS;
  if (error instanceof NotEmptyError) return ExitCode.NOT_EMPTY;
  if (error instanceof NotReadOnlyError) return ExitCode.READ_ONLY;
  if (
    error instanceof ConnectionFailedError ||
    error instanceof ConnectionLossError ||
    error instanceof SessionExpiredError ||
    error instanceof ConnectionClosedError ||
    error instanceof HandlerTimeoutError ||
    error instanceof TlsFileError
  )
    return ExitCode.CONNECTION;
  return ExitCode.ERROR;
}

/** The one stderr line for an error: `zookit: <what>`, never a stack (ZOOKIT_DEBUG=1 adds it). */
export function errorLine(error: unknown): string {
  let text: string;
  if (error instanceof ZooKeeperError) {
    const what = ZK_ERROR_WORDS[error.codeName] ?? error.codeName;
    text =
      error.path === undefined ? `${what} (${error.codeName})` : `${error.path}: ${what} (${error.codeName})`;
  } else if (error instanceof Error) {
    // A timed-out start carries the last failed pass as its cause: that names the hosts.
    const cause = error.cause instanceof ConnectionFailedError ? `: ${error.cause.message}` : '';
    text = `${error.message}${cause}`;
  } else {
    text = String(error);
  }
  return `zookit: ${text.replace(/\s*\n\s*/g, ' ')}`;
}

/** Plain words for the result codes a user meets most. */
const ZK_ERROR_WORDS: Readonly<Record<string, string>> = {
  NONODE: 'no such node',
  NODEEXISTS: 'node already exists',
  BADVERSION: 'version does not match',
  NOTEMPTY: 'node has children (use rm -r)',
  NOAUTH: 'not authorised',
  AUTHFAILED: 'authentication failed',
  NOCHILDRENFOREPHEMERALS: 'ephemeral nodes cannot have children',
  NOTREADONLY: 'the server is read-only',
  INVALIDACL: 'invalid ACL',
  CONNECTIONLOSS: 'connection lost',
  SESSIONEXPIRED: 'session expired',
  UNIMPLEMENTED: 'not supported by the server',
};
