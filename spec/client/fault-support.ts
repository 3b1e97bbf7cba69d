// Helpers shared by the client's fault, read-only and auth specs: polling for a condition instead of
// sleeping, recording a client's state changes with their times, unique node paths per test, and
// a logger that keeps every line.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger, ZooKeeperClient } from '../../index.js';
import type { ClientState, ConnectionState } from '../../lib/states.js';

/** Polling interval of `waitFor`, ms. */
const POLL_INTERVAL_MS = 20;

/**
 * Resolves once `predicate` returns (or resolves to) true, polling every 20 ms; rejects after
 * `timeoutMs` with an Error naming `what`. A predicate that throws counts as false.
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'the condition',
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = await predicate();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (performance.now() >= deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

export { sleep } from '../support.js';

/** A path no other test uses: `/<prefix>-<uuid>`. */
export function uniquePath(prefix: string): string {
  return `/${prefix}-${randomUUID()}`;
}

/** One recorded change, with the time it was seen (performance.now(), ms). */
export interface Recorded<S> {
  state: S;
  at: number;
}

/** Everything a client reported through its `state` and `connectionState` events, in order. */
export class StateRecorder {
  readonly states: Array<Recorded<ClientState>> = [];
  readonly connectionStates: Array<Recorded<ConnectionState>> = [];

  constructor(client: ZooKeeperClient) {
    client.on('state', (state) => this.states.push({ state, at: performance.now() }));
    client.on('connectionState', (state) => this.connectionStates.push({ state, at: performance.now() }));
  }

  /** The application-level states seen so far (CONNECTED / SUSPENDED / LOST). */
  get stateNames(): ClientState[] {
    return this.states.map((r) => r.state);
  }

  /** The connection-level states seen so far. */
  get connectionStateNames(): ConnectionState[] {
    return this.connectionStates.map((r) => r.state);
  }

  /** Forgets what was recorded so far (e.g. the CONNECTED of start()). */
  clear(): void {
    this.states.length = 0;
    this.connectionStates.length = 0;
  }

  /** The first recorded application state `state` seen at or after `since`, if any. */
  firstState(state: ClientState, since = 0): Recorded<ClientState> | undefined {
    return this.states.find((r) => r.state === state && r.at >= since);
  }

  /** Resolves with the first application state `state` seen at or after `since`. */
  async waitForState(state: ClientState, timeoutMs: number, since = 0): Promise<Recorded<ClientState>> {
    await waitFor(() => this.firstState(state, since) !== undefined, timeoutMs, `client state ${state}`);
    return this.firstState(state, since)!;
  }

  /** Resolves with the first connection state `state` seen at or after `since`. */
  async waitForConnectionState(
    state: ConnectionState,
    timeoutMs: number,
    since = 0,
  ): Promise<Recorded<ConnectionState>> {
    const find = () => this.connectionStates.find((r) => r.state === state && r.at >= since);
    await waitFor(() => find() !== undefined, timeoutMs, `connection state ${state}`);
    return find()!;
  }
}

/** A logger that keeps every line it is given, with its level. */
export class CollectingLogger implements Logger {
  readonly lines: string[] = [];
  debug(message: string): void {
    this.lines.push(`debug ${message}`);
  }
  info(message: string): void {
    this.lines.push(`info ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
}

export { rejectionOf } from '../support.js';

/** Stops every client given, ignoring failures, so one broken client cannot keep others running. */
export async function stopAll(clients: Iterable<ZooKeeperClient | undefined>): Promise<void> {
  await Promise.all([...clients].map((client) => client?.stop().catch(() => undefined)));
}
