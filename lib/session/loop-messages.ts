// What the client and its connection loop say to each other over the handler's channel. Only
// plain data (numbers, bigints, strings, Buffers), so the loop can live in a worker thread.

import type { ConnectionFailure } from '../errors.js';
import type { RetryOptions } from '../retry.js';
import type { TlsOptions } from './tls-files.js';

/** One server address. */
export interface HostAddress {
  host: string;
  port: number;
  /**
   * The host name `host` was resolved from, when it was given as a name: TLS sends it as SNI and
   * checks the server certificate against it, not against the address.
   */
  hostname?: string;
}

/** Everything the loop needs to start; fixed for its lifetime. */
export interface LoopInit {
  hosts: HostAddress[];
  /** Shuffle the host list once per connect cycle. */
  randomizeHosts: boolean;
  /** Upper bound of the random wait before a reconnect, ms; undefined: a tenth of the session timeout, ≤ 1 s. */
  reconnectJitter?: number;
  /** Requested session timeout, ms. */
  sessionTimeout: number;
  /** Session to resume (0n for a new one) and its password. */
  sessionId: bigint;
  passwd: Buffer | null;
  /** The highest zxid the client has seen (a respawned loop resumes with it); default 0. */
  lastZxidSeen?: bigint;
  /** Ask for a session that may run on a read-only server. */
  readOnly: boolean;
  /** TLS options; file names stay names here and are read by the loop on every attempt. */
  tls: TlsOptions | undefined;
  /** Largest inbound frame, bytes. */
  maxInboundFrameBytes: number;
  /** Backoff between failed connect cycles (maxTries -1 = forever). The signal is not used. */
  connectionRetry: Omit<RetryOptions, 'signal'>;
}

/** Client → loop. */
export type ClientToLoop =
  /** Frames to write on connection `epoch`; dropped if that connection is gone. */
  | { t: 'write'; epoch: number; frames: Buffer[] }
  /** The client found the connection's bytes inconsistent (xid mismatch, bad body): drop it. */
  | { t: 'drop'; epoch: number; reason: string }
  /**
   * End the loop. Graceful: keep the connection until the server closes it (after closeSession)
   * but never reconnect. Otherwise close the socket now.
   */
  | { t: 'stop'; graceful: boolean };

/** Loop → client. */
export type LoopToClient =
  /** A connection is up and its handshake done; the client now primes it (auth, watches, queue). */
  | {
      t: 'handshake';
      epoch: number;
      sessionId: bigint;
      passwd: Buffer;
      /** Negotiated session timeout, ms. */
      timeout: number;
      readOnly: boolean;
      /** The server it is on (with the host name it was resolved from, if any). */
      server: HostAddress;
    }
  /** Frames read on connection `epoch`, in wire order (pings already consumed). */
  | { t: 'frames'; epoch: number; frames: Buffer[] }
  /** Connection `epoch` ended; the loop reconnects by itself. */
  | { t: 'disconnected'; epoch: number; reason: string }
  /** An attempt to connect to `server` begins (TCP, TLS, handshake); a handshake or connectFailed ends it. */
  | { t: 'connecting'; server: HostAddress }
  /** The attempt failed, or (without a `connecting` before it) a host name did not resolve. */
  | { t: 'connectFailed'; failure: ConnectionFailure }
  /** A whole pass over the hosts failed (each host's cause in `failures`); the loop backs off before the next. */
  | { t: 'cycleFailed'; reason: string; failures: ConnectionFailure[] }
  /** The session is gone: the server said so, or nothing was heard for 4/3 of its timeout. */
  | { t: 'expired'; reason: string }
  /** The loop ended: stopped, or the connection retry gave up (`reason`). */
  | { t: 'ended'; reason: string | undefined }
  /** A log line; `fields` are plain data. */
  | {
      t: 'log';
      level: 'debug' | 'info' | 'warn' | 'error';
      message: string;
      fields?: Record<string, unknown> | undefined;
    };
