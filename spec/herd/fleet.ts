// A fleet of sessions for the herd test: it connects N clients, has each of them create a node of
// its own every second or so (and one more as soon as it sees its connection go), follows every
// session's states, and at the end settles and verifies every request on the server. The same code
// runs inside the spec (1,000 sessions on one event loop) and inside each child process of the
// multi-process variant (spec/herd/child.ts), which is why it takes the client class as an argument
// and imports zookit for types only: the spec hands it the sources, a child the built package.
//
// Timing comes from the `zookit:state` channel (docs/observability.md#zookitstate), published
// synchronously where the state changes, and keyed by session id, so a thousand sessions cost one
// subscriber and each transition is stamped when it happens, not when a listener got to run. Each
// client's own `connectionState` listener is kept too: an expired session is published with
// session id 0, and only the listener can say whose it was. The `zookit:connect` channel
// (docs/observability.md#zookitconnect) stamps when each connect attempt began; its context names
// the session only once the handshake gave it, so the start is remembered per context and the
// attempts that connected are filed under their session: that start is when the session, its
// reconnect jitter waited, dialled the member that took it back. A failed attempt's context never
// names its session, but the client's own logger hears of the failure (a debug line,
// lib/session/connection-loop.ts), and it does so right after the context's `error`: the loop
// posts the two messages back to back, and the session handles a batch of its messages in one
// go. So the line is filed with the start of the context that failed last, when that is an
// attempt on the same member, else with no start (its failure time still bounds the start).

import { channel } from 'node:diagnostics_channel';
import type { ClientOptions, ZooKeeperClient } from '../../index.js';
import {
  epochMs,
  type FailedAttemptRecord,
  type FleetReport,
  type RequestRecord,
  type SessionRecord,
  type Transition,
} from './records.js';

/** ZooKeeper's CONNECTIONLOSS code: the request may or may not have been applied. */
const CONNECTION_LOSS = -4;

/** How many clients connect at once while the fleet starts. */
const START_CONCURRENCY = 100;

/** What a fleet is made of. Times in milliseconds. */
export interface FleetOptions {
  /** Connect string of the whole ensemble. */
  hosts: string;
  /** Number of sessions. */
  count: number;
  /** Prefix of the session labels, unique per process of a run (`p0-`). */
  label: string;
  /** A persistent node that exists; each session writes under `<root>/<label><i>`. */
  root: string;
  /** Requested session timeout, ms. */
  sessionTimeoutMs: number;
  /** Mean time between two creates of one session, ms (each gap is uniform in 0.5×–1.5× of it). */
  writeIntervalMs: number;
}

/** Makes one client: the spec's or the child's ZooKeeperClient, with the handler of the variant. */
export type ClientFactory = (options: ClientOptions) => ZooKeeperClient;

/** One session and its request stream. */
class HerdSession {
  readonly record: SessionRecord;
  /** Settles once every request issued so far has settled. */
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private writing = false;

  constructor(
    readonly zk: ZooKeeperClient,
    readonly label: string,
    readonly dir: string,
    failedAttempts: FailedAttemptRecord[],
  ) {
    this.record = {
      label,
      sessionId: hex(zk.clientId!.sessionId),
      timeoutMs: zk.sessionTimeout,
      firstServer: zk.connectedTo ?? '?',
      transitions: [],
      listenerStates: [],
      failedPasses: [],
      connects: [],
      failedAttempts,
      requests: [],
      phantoms: [],
    };
    zk.on('connectionState', (state) => this.record.listenerStates.push(state));
    zk.on('connectionFailed', () => this.record.failedPasses.push(epochMs()));
  }

  /** Creates `<dir>/r<n>` and records its outcome; never awaited by the stream, so requests pipeline. */
  issue(kind: RequestRecord['kind']): void {
    const request: RequestRecord = {
      n: this.record.requests.length + 1,
      kind,
      issuedAt: epochMs(),
      stateAtIssue: this.zk.connectionState,
      outcome: 'pending',
    };
    this.record.requests.push(request);
    const settled = this.zk.create(`${this.dir}/r${request.n}`, String(request.issuedAt)).then(
      () => {
        request.outcome = 'ok';
        request.settledAt = epochMs();
      },
      (error: unknown) => {
        const code = (error as { code?: unknown }).code;
        request.outcome = code === CONNECTION_LOSS ? 'connectionLoss' : 'error';
        request.settledAt = epochMs();
        request.error = {
          code: typeof code === 'number' ? code : undefined,
          message: (error as Error)?.message ?? String(error),
        };
      },
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  /** Starts the steady stream: one create, then the next after 0.5–1.5 × the mean interval. */
  startWriting(meanMs: number): void {
    this.writing = true;
    const next = (): void => {
      if (!this.writing) return;
      this.timer = setTimeout(
        () => {
          if (!this.writing) return;
          this.issue('tick');
          next();
        },
        meanMs * (0.5 + Math.random()),
      );
    };
    next();
  }

  /** Sees a transition of this session: a lost connection gets one request at once. */
  onTransition(transition: Transition): void {
    this.record.transitions.push(transition);
    // Not from inside the state change: the request goes out from a later macrotask, when the
    // client is done announcing (stateAtIssue says whether it was still disconnected then).
    if (transition.state === 'CONNECTING' && this.writing) setImmediate(() => this.issue('outage'));
  }

  stopWriting(): void {
    this.writing = false;
    clearTimeout(this.timer);
  }

  /** Resolves once every request issued so far has settled, or after `deadlineMs` (the rest stay pending). */
  async settle(deadlineMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * Reads the session's directory after a sync (so the member it is on has applied everything
   * committed before) and marks each request as found on the server or not; a child that no
   * request named is a phantom.
   */
  async verify(): Promise<void> {
    try {
      await this.zk.sync(this.dir);
      const children = new Set(await this.zk.getChildren(this.dir));
      for (const request of this.record.requests) {
        request.onServer = children.delete(`r${request.n}`);
      }
      this.record.phantoms.push(...children);
    } catch (error) {
      this.record.verifyError = (error as Error)?.message ?? String(error);
    }
  }
}

/** N sessions writing under one root, followed from connect to verification. */
export class Fleet {
  private readonly sessions: HerdSession[] = [];
  private readonly byId = new Map<string, HerdSession>();
  private readonly failedAttempts: Record<string, number> = {};
  private readonly callbackErrors: string[] = [];
  private recoveredAt: number | undefined;
  private readonly onState = (message: unknown): void => {
    const m = message as { connectionState: string; detail: string | undefined; sessionId: bigint };
    const id = hex(m.sessionId);
    this.byId
      .get(id)
      ?.onTransition({ at: epochMs(), state: m.connectionState, detail: m.detail, sessionId: id });
  };
  /** When each connect attempt in progress began, by its `zookit:connect` context. */
  private readonly attemptStarts = new WeakMap<object, number>();
  private readonly onConnectStart = (message: unknown): void => {
    this.attemptStarts.set(message as object, epochMs());
  };
  private readonly onConnectEnd = (message: unknown): void => {
    const m = message as { host: string; port: number; outcome?: string; sessionId?: bigint };
    const startedAt = this.attemptStarts.get(m);
    if (m.outcome !== 'connected' || m.sessionId === undefined || startedAt === undefined) return;
    this.byId.get(hex(m.sessionId))?.record.connects.push({
      startedAt,
      connectedAt: epochMs(),
      server: `${m.host}:${m.port}`,
    });
  };
  private readonly onConnectError = (message: unknown): void => {
    const m = message as {
      host: string;
      port: number;
      error?: { causes?: Array<{ code?: string; message?: string }> };
    };
    // Node's code (ECONNREFUSED), else the message (a member that closed the handshake: electing).
    const cause = m.error?.causes?.[0];
    const key = `${m.host}:${m.port} ${cause?.code ?? cause?.message ?? 'unknown'}`;
    this.failedAttempts[key] = (this.failedAttempts[key] ?? 0) + 1;
    this.lastFailed = { server: `${m.host}:${m.port}`, startedAt: this.attemptStarts.get(m) };
  };
  /** The attempt whose `error` came last, until a client's logger claims it. */
  private lastFailed: { server: string; startedAt: number | undefined } | undefined;

  /** A client logged a failed attempt on `failure`'s member: the record of it, with its start if known. */
  claimFailedAttempt(failure: unknown): FailedAttemptRecord {
    const f = failure as { host?: string; port?: number } | undefined;
    const server = `${f?.host}:${f?.port}`;
    const last = this.lastFailed;
    this.lastFailed = undefined;
    const startedAt = last?.server === server ? last.startedAt : undefined;
    return { startedAt, failedAt: epochMs(), server };
  }

  private constructor(
    private readonly options: FleetOptions,
    private readonly handlerName: string,
  ) {}

  /**
   * Connects `count` clients (100 at a time), creates each session's directory, and starts
   * following their states. Rejects, stopping what it started, if any client fails to connect.
   */
  static async start(options: FleetOptions, makeClient: ClientFactory, handlerName: string): Promise<Fleet> {
    const fleet = new Fleet(options, handlerName);
    const clients: ZooKeeperClient[] = [];
    try {
      await inBatches(options.count, START_CONCURRENCY, async (i) => {
        const failedAttempts: FailedAttemptRecord[] = [];
        const zk = makeClient({
          hosts: options.hosts,
          sessionTimeout: options.sessionTimeoutMs,
          logger: {
            debug: (message, fields) => {
              if (message.startsWith('connect attempt failed')) {
                failedAttempts.push(fleet.claimFailedAttempt(fields?.failure));
              }
            },
          },
        });
        clients.push(zk);
        zk.on('error', (error) => fleet.callbackErrors.push(String((error as Error)?.message ?? error)));
        await zk.start({ timeout: 30_000 });
        const label = `${options.label}${i}`;
        const dir = `${options.root}/${label}`;
        await zk.create(dir);
        const session = new HerdSession(zk, label, dir, failedAttempts);
        fleet.sessions[i] = session;
        fleet.byId.set(session.record.sessionId, session);
      });
    } catch (error) {
      await Promise.all(clients.map((zk) => zk.stop().catch(() => undefined)));
      throw error;
    }
    fleet.subscribe(true);
    return fleet;
  }

  /** Starts (or stops) following the sessions on the diagnostics channels. */
  private subscribe(on: boolean): void {
    const subscriptions: Array<[string, (message: unknown) => void]> = [
      ['zookit:state', this.onState],
      ['tracing:zookit:connect:start', this.onConnectStart],
      ['tracing:zookit:connect:asyncEnd', this.onConnectEnd],
      ['tracing:zookit:connect:error', this.onConnectError],
    ];
    for (const [name, fn] of subscriptions) {
      if (on) channel(name).subscribe(fn);
      else channel(name).unsubscribe(fn);
    }
  }

  /** `host:port` each session is on now, by label (undefined while disconnected). */
  servers(): Record<string, string | undefined> {
    return Object.fromEntries(this.sessions.map((s) => [s.label, s.zk.connectedTo]));
  }

  startWriting(): void {
    for (const session of this.sessions) session.startWriting(this.options.writeIntervalMs);
  }

  /**
   * Resolves true once every session is connected and none is on `victim` (`host:port`), false
   * if that has not happened within `timeoutMs`.
   */
  async awaitRecovery(victim: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.sessions.every((s) => s.zk.connectionState === 'CONNECTED' && s.zk.connectedTo !== victim)) {
        this.recoveredAt = epochMs();
        return true;
      }
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Stops the request streams, waits up to `settleMs` for every request to settle, verifies
   * every session on the server and reports. The clients stay open (see `close`).
   */
  async finish(settleMs: number): Promise<FleetReport> {
    for (const session of this.sessions) session.stopWriting();
    const deadline = Date.now() + settleMs;
    await Promise.all(this.sessions.map((s) => s.settle(Math.max(0, deadline - Date.now()))));
    this.subscribe(false);
    await inBatches(this.sessions.length, START_CONCURRENCY, (i) => this.sessions[i]!.verify());
    // A copy as plain data: the live records go on changing (CLOSED, when the clients stop).
    return structuredClone({
      summary: {
        handler: this.handlerName,
        failedAttempts: { ...this.failedAttempts },
        recoveredAt: this.recoveredAt,
        callbackErrors: [...this.callbackErrors],
      },
      sessions: this.sessions.map((s) => s.record),
    });
  }

  /** Stops every client (closeSession each); never rejects. */
  async close(): Promise<void> {
    for (const session of this.sessions) session.stopWriting();
    this.subscribe(false);
    await Promise.all(this.sessions.map((s) => s.zk.stop().catch(() => undefined)));
  }
}

/**
 * Runs `task(0)` … `task(count - 1)`, at most `concurrency` at once. After a failure no new task
 * starts; once the running ones are done it rejects with the first failure.
 */
async function inBatches(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < count && failure === undefined) {
      try {
        await task(next++);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== undefined) throw failure.error;
}

function hex(id: bigint): string {
  return `0x${id.toString(16)}`;
}
