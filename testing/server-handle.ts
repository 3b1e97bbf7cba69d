import type { FourLetterWordOptions } from '../index.js';
import type { BackendKind } from './backend-kinds.js';

/** What `restart()` waits for before it resolves. */
export type RestartWaitFor = 'serving' | 'process';

/** Options for `ServerHandle.restart`. */
export interface RestartOptions {
  /**
   * 'serving' (default): a standalone server answers `ruok` and `srvr`; an ensemble member reports
   * `Mode: leader` or `Mode: follower`. 'process': the server answers `ruok`, which is all a member
   * can do while the rest of its ensemble is down.
   */
  waitFor?: RestartWaitFor;
  /** Deadline in milliseconds (default: the start timeout the server was started with). */
  timeoutMs?: number;
}

/** The role a server reports in the `Mode:` line of `srvr`. */
export type ServerMode = 'standalone' | 'leader' | 'follower' | 'observer' | 'read-only';

/**
 * One ZooKeeper server the harness started (or, for the external backend, was pointed at), with
 * the process operations tests use to provoke failures.
 */
export interface ServerHandle {
  /** Which backend runs this server. */
  readonly backend: BackendKind;
  /** Host of the client port as clients should dial it (127.0.0.1 for local servers). */
  readonly host: string;
  /** Client port. */
  readonly port: number;
  /** `host:port` of this one server. */
  readonly connectString: string;
  /** The server's myid: 1 for a standalone server, 1…N in an ensemble. */
  readonly id: number;
  /** Process id of the JVM; undefined when the harness does not run it as a local process. */
  readonly pid: number | undefined;
  /** True while the server process (or container) is running, paused or not. */
  readonly running: boolean;
  /** Directory holding zoo.cfg, myid, the snapshots and the log; undefined when not local. */
  readonly dataDir: string | undefined;
  /** File receiving the server's stdout and stderr; undefined when not local. */
  readonly logFile: string | undefined;
  /** Kills the server at once (SIGKILL) and waits until it has exited. No-op when not running. */
  kill(): Promise<void>;
  /** Shuts the server down (SIGTERM, SIGKILL after 10 s) and waits until it has exited. */
  stop(): Promise<void>;
  /** Starts the server again on the same ports with the same data; stops it first if running. */
  restart(options?: RestartOptions): Promise<void>;
  /** Freezes the server (SIGSTOP) and resolves once it is frozen: connections stay open, nothing is answered. */
  pause(): Promise<void>;
  /** Thaws a paused server (SIGCONT). */
  resume(): Promise<void>;
  /** Sends a four-letter word to this server and resolves with its answer. */
  fourLetterWord(command: string, options?: FourLetterWordOptions): Promise<string>;
  /** The server's current `srvr` mode, or undefined when it does not answer or is not serving. */
  mode(options?: FourLetterWordOptions): Promise<ServerMode | undefined>;
}

/** Thrown by process operations that the server's backend cannot perform (e.g. kill on ZK_CONNECT). */
export class HarnessOperationUnsupportedError extends Error {
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_HARNESS_UNSUPPORTED';
  /** The operation that was refused, e.g. 'kill'. */
  readonly operation: string;
  /** The backend that refused it. */
  readonly backend: BackendKind;

  constructor(operation: string, backend: BackendKind, reason?: string) {
    super(
      `${operation}() is not supported by the ${backend} backend${reason ? `: ${reason}` : ''}` +
        (backend === 'external' ? ' (ZK_CONNECT names a server the harness does not control)' : ''),
    );
    this.name = 'HarnessOperationUnsupportedError';
    this.operation = operation;
    this.backend = backend;
  }
}
