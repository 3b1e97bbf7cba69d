// What the invariant scenarios share: how they open clients (the runner's settings plus a request
// timeout, so a request queued on a dead connection fails instead of waiting out the run), a root
// of their own, telling a write the server refused from one whose fate is unknown, and the closing
// "gap" — a change made while some clients are cut off — that every run ends with.
//
// Why a write's fate can be unknown: a connection lost after the request left cannot tell whether
// the server applied it (docs/protocol.md#ordering, ZOOKEEPER-22); nor can a request given up by
// its timeout, nor one failed by the session's end. Only an error the server answered with (NoNode,
// NodeExists, BadVersion, NotEmpty) says "not applied". Everything else is ambiguous, and the
// checkers allow both outcomes for it.
//
// Why a gap: the runner's schedule is random; whether a run happens to change a node while a
// watcher is away is luck. The checkers that are about reconnecting (watch completeness, cache
// convergence) would then pass vacuously on an unlucky seed. So each of those scenarios, once the
// faults stopped, cuts its watching clients off (FaultProxy.blackHole: the connection stays open,
// nothing passes), changes what they watch, and resets their connections — the bytes held,
// notifications included, are dropped, so they learn of the change only by doing their reconnect
// work right. With `expire`, their sessions are also expired on the server meanwhile.

import {
  BadVersionError,
  ClientState,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  type ZooKeeperClient,
} from '../../../index.js';
import type {
  ChaosClient,
  ChaosClientOptions,
  ChaosContext,
  ChaosViolation,
} from '../../../testing/chaos/scenario.js';
import { expireSession } from '../../../testing/expire-session.js';

/** The client settings every scenario asks for, on top of the runner's. */
export function clientSettings(context: ChaosContext): ChaosClientOptions['client'] {
  return {
    sessionTimeout: context.sessionTimeoutMs,
    connectionRetry: { maxDelay: 500 },
    // A request queued while disconnected fails after this instead of waiting for the next pass.
    requestTimeout: context.sessionTimeoutMs * 2,
  };
}

/** Opens a client of the scenario, with the shared settings. */
export function openClient(
  context: ChaosContext,
  name: string,
  handler: ChaosClientOptions['handler'],
  proxied = true,
): Promise<ChaosClient> {
  const client = { ...clientSettings(context) };
  // An unproxied client is a scenario's admin: it sets up and checks, once the faults have
  // stopped. The ensemble may still be electing a leader then; its reads must wait for that, not
  // fail the check with RetryFailedError after the default five tries.
  // It also lists whole directories that a long run grows past the default 1 MiB reply (60,000
  // log nodes after 30 minutes): a reply above maxBufferBytes drops the connection, as in Java.
  if (!proxied) {
    client.commandRetry = { maxTries: -1, maxDelay: 1000, deadline: 90_000 };
    client.maxBufferBytes = 64 * 1024 * 1024;
  }
  return context.openClient({ name, handler, proxied, client });
}

let roots = 0;

/** A root path of the scenario's own, unique within this process and across seeds. */
export function scenarioRoot(name: string, context: ChaosContext): string {
  return `/chaos-${name}-${context.seed >>> 0}-${process.pid}-${++roots}`;
}

/** True when the server answered the write with a refusal: it was certainly not applied. */
export function isRefusal(error: unknown): boolean {
  return (
    error instanceof NoNodeError ||
    error instanceof NodeExistsError ||
    error instanceof BadVersionError ||
    error instanceof NotEmptyError
  );
}

/** A short name of an error for counts: its ZooKeeper code name or its class. */
export function errorName(error: unknown): string {
  if (error instanceof Error) return String((error as { codeName?: unknown }).codeName ?? error.name);
  return String(error);
}

/** Sleeps `ms`, or less when `signal` aborts first. Never rejects. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Polls `condition` every `everyMs` until it holds (true) or `timeoutMs` pass (false). */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (performance.now() >= deadline) return false;
    await pause(everyMs);
  }
}

/** Resolves once `zk` is connected, or false after `timeoutMs`. */
export function connected(zk: ZooKeeperClient, timeoutMs: number): Promise<boolean> {
  return eventually(() => zk.state === ClientState.CONNECTED, timeoutMs, 50);
}

/** Resolves true at the client's next CONNECTED (a state event after this call), false after `timeoutMs`. */
export function nextConnected(zk: ZooKeeperClient, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const onState = (state: ClientState) => {
      if (state === ClientState.CONNECTED) done(true);
    };
    function done(ok: boolean) {
      clearTimeout(timer);
      zk.off('state', onState);
      resolve(ok);
    }
    zk.on('state', onState);
  });
}

/**
 * Runs `change` while `clients` are cut off, then resets their connections so what the server
 * sent them meanwhile is lost (see the file's opening comment). With `expire`, their sessions are
 * expired on the server before the change. Clients without a proxy are left alone. Resolves once
 * every cut-off client has connected again (or `timeoutMs` passed); false if one has not.
 */
export async function changeWhileAway(
  context: ChaosContext,
  clients: readonly ChaosClient[],
  change: () => Promise<void>,
  options: { expire?: boolean; timeoutMs?: number } = {},
): Promise<boolean> {
  const away = clients.filter((client) => client.proxy !== undefined);
  const timeoutMs = options.timeoutMs ?? context.sessionTimeoutMs * 3 + 10_000;
  // A client still reconnecting from the run's faults would miss nothing by being cut off.
  await Promise.all(away.map((client) => connected(client.zk, timeoutMs)));
  const back = away.map((client) => nextConnected(client.zk, timeoutMs));
  const { log } = context;
  for (const client of away) client.proxy!.blackHole();
  log.record('scenario', `gap: ${away.map((c) => c.name).join(', ')} cut off`, { expire: !!options.expire });
  try {
    if (options.expire) {
      for (const client of away) {
        const id = client.zk.clientId;
        if (id === undefined) continue;
        await expireSession(context.cluster.connectString, { sessionId: id.sessionId, passwd: id.password });
      }
    }
    await change();
  } finally {
    for (const client of away) {
      client.proxy!.reset();
      client.proxy!.pass();
    }
    log.record('scenario', 'gap: connections reset');
  }
  return (await Promise.all(back)).every(Boolean);
}

/** Deletes the scenario's root and everything below it, best effort. */
export async function removeRoot(zk: ZooKeeperClient | undefined, root: string): Promise<void> {
  if (zk === undefined) return;
  await zk.retry(() => zk.delete(root, { recursive: true })).catch(() => undefined);
}

/**
 * A scenario's violations, each kind reported in full a few times and then only counted: a broken
 * recipe can break an invariant thousands of times, and the report shows each with its events.
 */
export class Violations {
  /** The kind of violations reported in full however many (when they are few by construction). */
  static readonly ALWAYS = 'always';
  readonly list: ChaosViolation[] = [];
  readonly #byKind = new Map<string, number>();

  constructor(
    private readonly invariant: string,
    private readonly perKind = 5,
  ) {}

  /** Adds one; `kind` groups those counted together (default: the whole invariant). */
  add(message: string, atMs?: number, kind = ''): void {
    const seen = (this.#byKind.get(kind) ?? 0) + 1;
    this.#byKind.set(kind, seen);
    if (seen <= this.perKind || kind === Violations.ALWAYS)
      this.list.push({ invariant: this.invariant, message, ...(atMs === undefined ? {} : { atMs }) });
  }

  /** The reported ones, then one line per kind with how many more there were. */
  done(): ChaosViolation[] {
    const more = [...this.#byKind]
      .filter(([kind, seen]) => seen > this.perKind && kind !== Violations.ALWAYS)
      .map(
        ([kind, seen]): ChaosViolation => ({
          invariant: this.invariant,
          message: `${seen - this.perKind} more violation(s)${kind === '' ? '' : ` of the kind '${kind}'`} like the above`,
        }),
      );
    return [...this.list, ...more];
  }

  /** How many were found, reported or not. */
  get count(): number {
    return [...this.#byKind.values()].reduce((sum, n) => sum + n, 0);
  }
}

/** Whether `promise` settled within `ms` (its rejection counts as settled); leaves no timer behind. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const stop = new AbortController();
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      pause(ms, stop.signal).then(() => false),
    ]);
  } finally {
    stop.abort();
  }
}
