// What a herd run remembers of each session, as plain JSON: the child processes send it to the
// spec over IPC, and the spec analyses the sessions of one process and of four alike
// (spec/herd/analysis.ts). Times are epoch milliseconds with sub-millisecond precision
// (`performance.timeOrigin + performance.now()`), so the processes of one machine share a clock
// with the spec that killed the member.

import { performance } from 'node:perf_hooks';

/** Now, in epoch milliseconds with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One connection-state change of a session, as the `zookit:state` channel published it. */
export interface Transition {
  /** Epoch ms. */
  readonly at: number;
  /** CONNECTING, CONNECTED, EXPIRED_SESSION, ... */
  readonly state: string;
  /** For CONNECTED the server (`host:port`), for CONNECTING why the connection ended. */
  readonly detail: string | undefined;
  /** The session id the change was published with, hex. */
  readonly sessionId: string;
}

/** How a request ended: a reply, a connection loss (outcome unknown), another error, or never. */
export type RequestOutcome = 'ok' | 'connectionLoss' | 'error' | 'pending';

/** A connect attempt of the session that ended in a handshake (`zookit:connect`). Epoch ms. */
export interface ConnectRecord {
  /** When the attempt began: the loop had finished waiting and dialled `server`. */
  readonly startedAt: number;
  /** When its handshake completed. */
  readonly connectedAt: number;
  /** `host:port`. */
  readonly server: string;
}

/** A connect attempt of the session that failed. Epoch ms. */
export interface FailedAttemptRecord {
  /** When it began; undefined if its `zookit:connect` context could not be told apart. */
  readonly startedAt: number | undefined;
  /** When the client logged its failure. */
  readonly failedAt: number;
  /** `host:port` */
  readonly server: string;
}

/** One create the session issued (`<dir>/r<n>`), and what the server says of it afterwards. */
export interface RequestRecord {
  /** The counter in the node's name, from 1. */
  readonly n: number;
  /** 'tick': the steady stream; 'outage': issued as soon as the session saw its connection go. */
  readonly kind: 'tick' | 'outage';
  /** Epoch ms. */
  readonly issuedAt: number;
  /** The client's connectionState when it was issued. */
  readonly stateAtIssue: string;
  outcome: RequestOutcome;
  /** Epoch ms; undefined while pending. */
  settledAt?: number;
  /** ZooKeeper error code and message of a rejection. */
  error?: { code: number | undefined; message: string };
  /** Whether the node exists on the server after the run (read with the session's own sync + getChildren). */
  onServer?: boolean;
}

/** One session of a herd run. */
export interface SessionRecord {
  /** Unique in the run: `<fleet label><index>`. */
  readonly label: string;
  /** The session id when the writes began, hex. */
  readonly sessionId: string;
  /** The negotiated session timeout, ms. */
  readonly timeoutMs: number;
  /** `host:port` of the member the session was on when the writes began. */
  readonly firstServer: string;
  /** Connection-state changes after the writes began (zookit:state). */
  readonly transitions: Transition[];
  /** Every `connectionState` the client's own listener saw, in order (catches LOST and expiry). */
  readonly listenerStates: string[];
  /** Epoch ms of each `connectionFailed` event: a whole pass over the hosts that reached none. */
  readonly failedPasses: number[];
  /** Its connect attempts that succeeded, after the writes began. */
  readonly connects: ConnectRecord[];
  /** Its connect attempts that failed, after the writes began. */
  readonly failedAttempts: FailedAttemptRecord[];
  readonly requests: RequestRecord[];
  /** Children of the session's directory on the server that no request of it named. */
  phantoms: string[];
  /** Why the session could not be verified at the end, if it could not. */
  verifyError?: string;
}

/** What a fleet reports besides its sessions. */
export interface FleetSummary {
  /** Which handler the clients ran on, and whether they shared one. */
  readonly handler: string;
  /** Failed connect attempts (zookit:connect) by `host:port code`, e.g. `127.0.0.1:31012 ECONNREFUSED`. */
  readonly failedAttempts: Record<string, number>;
  /** Epoch ms when every session was connected again and none on the killed member; undefined if never. */
  readonly recoveredAt: number | undefined;
  /** Callbacks or listeners that threw (the handler's error reports), by message. */
  readonly callbackErrors: string[];
}

/** A fleet's whole report. */
export interface FleetReport {
  readonly summary: FleetSummary;
  readonly sessions: SessionRecord[];
}
