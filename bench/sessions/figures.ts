// What the many-sessions benchmark measures, as plain data: the child process reports one
// HandlerFigures per handler, runSessionsBench gathers them into SessionFigures, and
// renderSessionsSection turns those into a RESULTS.md section and a goal table.

/** The handlers the benchmark runs its clients on. */
export type SessionsHandler = 'sequential' | 'worker-shared';

/** What one handler's 1,000 (or `clients`) sessions cost, from one child process. */
export interface HandlerFigures {
  handler: SessionsHandler;
  clients: number;
  /** From the first start() to the last client CONNECTED, ms. */
  connectAllMs: number;
  /** The process's CPU time over those connects (all threads), ms: whether the client or the servers bound them. */
  connectCpuMs: number;
  /** Resident memory after a full GC, minus the baseline before any client, per session, bytes. */
  rssPerSessionBytes: number;
  /** The main thread's V8 heap after a full GC, minus the baseline, per session, bytes. */
  heapPerSessionBytes: number;
  /** The shared worker's V8 heap after a full GC there, per session, bytes (0 for the sequential handler). */
  workerHeapPerSessionBytes: number;
  /** Worker threads alive while the sessions were (0 for the sequential handler). */
  workerThreads: number;
  /** Process CPU time (every thread) while idle, as % of one core. */
  idleCpuPercent: number;
  /** How long the idle window was, s. */
  idleSeconds: number;
  /** The negotiated session timeout, ms: the reconnect storm's yardstick. */
  sessionTimeoutMs: number;
  /** The member killed (myid), how many sessions were on it, and whether it led the ensemble. */
  killed: { id: number; sessionsOnIt: number; wasLeader: boolean };
  /** Sessions that saw a disconnect after the kill. */
  disconnected: number;
  /** From the kill to the last disconnected session CONNECTED again, ms (NaN if some never did). */
  reconnectAllMs: number;
  /** Sessions that expired (a new session id, or EXPIRED_SESSION) during the storm: should be 0. */
  expired: number;
  /** Sessions still not connected at the deadline. */
  neverBack: number;
  /** Why sessions left CONNECTED during the storm: state and detail (digits as N), and how often. */
  reasons: Record<string, number>;
}

/** Time to connect one more client once a first is up, ms: a warm shared worker vs a new dedicated one. */
export interface WarmConnectFigures {
  /** Each timed connect with `new WorkerThreadsHandler({ shared: true })`, the pool's thread already running. */
  sharedMs: number[];
  /** Each timed connect with `new WorkerThreadsHandler()`, which boots a thread of its own. */
  dedicatedMs: number[];
  /** Each timed connect on the sequential handler: the floor (TCP, handshake, the machine's load). */
  sequentialMs: number[];
}

/** Everything one runSessionsBench call measured. */
export interface SessionFigures {
  clients: number;
  idleSeconds: number;
  smoke: boolean;
  /** How processes were placed on CPUs (e.g. "servers on CPU 0, client on CPU 1"). */
  placement: string;
  /** One entry per handler that ran; `failures` holds those that did not. */
  handlers: HandlerFigures[];
  failures: Array<{ handler: SessionsHandler; error: string }>;
  warmConnect: WarmConnectFigures | undefined;
  /** Wall-clock time of the whole run, s. */
  durationS: number;
}

/** One row of a goal table: what the goal is, whether it was met, and the numbers that say so. */
export interface GoalRow {
  goal: string;
  status: 'met' | 'NOT met' | 'n/a';
  numbers: string;
}
