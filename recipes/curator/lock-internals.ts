// One contender of a Curator lock directory, as Curator's LockInternals runs it, so a zookit
// contender and a Curator one queue in the same line: create `P/_c_<uuid>-<lockName><seq>`
// (protected, ephemeral-sequential, parents as containers), list the children, sort them by the
// counter after the lock name, and either hold or wait on a getData watch of the one node the
// driver names (never the parent's children: no herd). InterProcessMutex, the read/write lock's
// two sides and the semaphore's gate are all this loop with another driver.
// docs/curator-locks.md#the-acquire-loop
//
// Where it is stricter than Curator 5.4's loop:
// - the node it would hold with must be owned by the current session (`ephemeralOwner`): a node of
//   an expired session that a lagging server still lists is deleted and the attempt starts over
//   with a new one (CURATOR-696's check, which Curator applies to LeaderLatch only);
// - a node left by a timeout, an abort or an error is deleted for certain, retried through
//   connection loss until it is gone (certain-delete.ts), as Curator's guaranteed delete;
// - counters compare by their signed 32-bit difference (contenders.ts), the order Curator's
//   string sort gives until the directory's counter wraps, and the true order after it;
// - connection loss never fails the acquire: it waits for the connection and looks again,
//   within the caller's timeout and signal; watches do not fire on a dead connection, so every
//   session event wakes the waiter to re-read (docs/curator-locks.md#the-acquire-loop).

import {
  basename,
  ConnectionClosedError,
  ConnectionState,
  joinPath,
  NoNodeError,
  parentOf,
  type RecipeClient,
  type Value,
  type WatchCallback,
} from '../../lib/recipe-client.js';
import { EventType } from '../../protocol/index.js';
import { deleteForCertain } from '../certain-delete.js';
import { type Contender, contenderPattern, parseContender } from '../contenders.js';
import { raceAbort, startCountdown } from '../countdown.js';
import { isConnectionProblem } from '../faults.js';
import { removeWatch } from '../remove-watch.js';
import { ensureContainers } from './container-parents.js';

/** What differs between the Curator locks that share this loop (Curator's LockInternalsDriver). */
export interface LockDriver {
  /**
   * The names contenders carry right before their counter (`lock-`, or `__WRIT__` and `__READ__`),
   * in the order a tie on the counter is broken. Children with none of them are not contenders.
   */
  readonly markers: readonly string[];
  /**
   * The name our node is created with, after the protected prefix: the lock name of a sequential
   * node, or a whole name (counter included) for a fixed one (CURATOR-621's reader).
   */
  nodeName(): { name: string; sequential: boolean };
  /** The contender our node waits for, given every contender in order and our index; undefined: ours holds. */
  waitFor(sorted: readonly string[], ourIndex: number): string | undefined;
}

/** Options of one attempt. */
export interface AttemptOptions {
  /** ms; 0 makes one look (Curator's `acquire(0, ms)`). Default: no limit. */
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Our node's data. */
  data?: Value | undefined;
  /** Called with the path of each node this attempt creates (the revocation watch is set on it). */
  onNode?: ((path: string) => void) | undefined;
}

/** Why a countdown aborted when the time ran out: the attempt then resolves undefined. */
const TIMED_OUT: unique symbol = Symbol('timed out');

/** The first pause before trying again after a connection problem, ms (doubling up to MAX_PAUSE_MS). */
const FIRST_PAUSE_MS = 50;
const MAX_PAUSE_MS = 1000;
/** How many times a create re-makes a lock directory that vanished under it (a reaped container). */
const MAX_PARENT_REMAKES = 10;

/**
 * The children of a lock directory that are contenders (they carry one of `markers` and a
 * counter), in lock order: by counter, then by marker (`markers`' order), then by name.
 */
export function sortedContenders(children: readonly string[], markers: readonly string[]): string[] {
  const pattern = contenderPattern(markers);
  const contenders: Contender[] = [];
  for (const child of children) {
    const contender = parseContender(child, pattern);
    if (contender !== undefined) contenders.push(contender);
  }
  return contenders
    .sort(
      (a, b) =>
        (a.sequence - b.sequence) | 0 ||
        markers.indexOf(a.marker) - markers.indexOf(b.marker) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    )
    .map((contender) => contender.name);
}

/** The full paths of the contenders under `basePath`, in lock order; [] when it does not exist. */
export async function participantNodes(
  client: RecipeClient,
  basePath: string,
  markers: readonly string[],
  signal?: AbortSignal,
): Promise<string[]> {
  let children: string[];
  try {
    children = await client.getChildren(basePath, undefined, { signal });
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
  return sortedContenders(children, markers).map((name) => joinPath(basePath, name));
}

/**
 * Contends for the lock at `basePath` until `driver` says our node holds it. Resolves our node's
 * path once held, or undefined when `timeout` ran out. Rejects with the signal's reason on abort,
 * ConnectionClosedError on a stopped client, or a failure that is not a connection problem.
 * Whenever it does not resolve a path, the node it made is deleted for certain (in the background).
 */
export async function attemptLock(
  client: RecipeClient,
  basePath: string,
  driver: LockDriver,
  options: AttemptOptions = {},
): Promise<string | undefined> {
  const { timeout, signal, data, onNode } = options;
  const { handler } = client;
  if (isStopped(client))
    throw new ConnectionClosedError(`cannot acquire ${basePath}: the client is not started`);
  signal?.throwIfAborted();
  // A try-lock makes one whole look whatever it takes, bounded by the caller's signal only: with a
  // zero budget the first request would already be too late.
  const once = timeout === 0;
  const countdown = startCountdown(handler, { timeout: once ? undefined : timeout, signal }, () => TIMED_OUT);
  const steps = countdown.signal;
  const wake = handler.eventObject();
  const onState = (): void => wake.set();
  let watching: string | undefined;
  const onEvent: WatchCallback = (event) => {
    if (event.type !== EventType.None) watching = undefined;
    wake.set();
  };
  // Our node once created, and the same as a promise while its create is in flight (so a cleanup
  // after giving up mid-create still finds it).
  let own: { path: string; ephemeralOwner: bigint } | undefined;
  let made: Promise<string | undefined> | undefined;
  client.on('state', onState);
  try {
    for (let pause = FIRST_PAUSE_MS; ; ) {
      try {
        // Cleared before reading, so an event during the reads makes the wait return at once.
        wake.clear();
        if (own === undefined) {
          own = await createNode(client, basePath, driver, data, steps, (outcome) => {
            made = outcome;
          });
          onNode?.(own.path);
        }
        let children: string[];
        try {
          children = await client.getChildren(basePath, undefined, { signal: steps });
        } catch (error) {
          if (!(error instanceof NoNodeError)) throw error;
          children = []; // the directory went, and our node with it
        }
        const sorted = sortedContenders(children, driver.markers);
        const index = sorted.indexOf(basename(own.path));
        if (index < 0) {
          // Our node is gone (the session ended, or someone deleted it): contend with a new one.
          own = undefined;
          made = undefined;
          continue;
        }
        const blocker = driver.waitFor(sorted, index);
        if (blocker === undefined) {
          if (own.ephemeralOwner === client.clientId?.sessionId) return own.path;
          // A node of an ended session that a lagging server still lists holds nothing (CURATOR-696).
          abandon(client, made);
          own = undefined;
          made = undefined;
          continue;
        }
        if (once) throw TIMED_OUT;
        // getData, not exists: on a node already gone it fails with NoNode and sets nothing, where
        // exists would leave a creation watch behind (Curator's TN9).
        const blockerPath = joinPath(basePath, blocker);
        try {
          await client.get(blockerPath, onEvent, { signal: steps });
        } catch (error) {
          if (error instanceof NoNodeError) continue;
          throw error;
        }
        watching = blockerPath;
        await wake.wait(undefined, steps);
        pause = FIRST_PAUSE_MS;
      } catch (error) {
        if (steps.aborted) throw steps.reason;
        if (error instanceof ConnectionClosedError || !isConnectionProblem(client, error)) throw error;
        await handler.sleep(pause, steps);
        pause = Math.min(pause * 2, MAX_PAUSE_MS);
      }
    }
  } catch (error) {
    abandon(client, made);
    if (error === TIMED_OUT) return undefined;
    throw error;
  } finally {
    countdown.finish();
    client.off('state', onState);
    // A waiter that leaves takes its watch back, so nothing of it stays on the server.
    if (watching !== undefined && !isStopped(client)) void removeWatch(client, watching, 'data', onEvent);
  }
}

/**
 * Deletes a lock or lease node, as Curator's guaranteed delete: the delete is retried through
 * connection loss until the node is gone (NoNode counts) or the client is stopped (its session
 * closed, taking the ephemeral with it), within `timeout` (ms, the handler's TimeoutError) and
 * `signal`. If the caller gives up, the client's guaranteed delete goes on in the background.
 */
export async function deleteNode(
  client: RecipeClient,
  path: string,
  options: { timeout?: number | undefined; signal?: AbortSignal | undefined } = {},
): Promise<void> {
  const { handler } = client;
  const countdown = startCountdown(
    handler,
    options,
    () => new handler.TimeoutError(`deleting ${path} timed out after ${options.timeout} ms`),
  );
  try {
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
      try {
        await client.delete(path, { guaranteed: true, signal: countdown.signal });
        return;
      } catch (error) {
        if (error instanceof NoNodeError || error instanceof ConnectionClosedError) return;
        if (countdown.signal.aborted) throw countdown.signal.reason;
        if (!isConnectionProblem(client, error)) throw error;
        await handler.sleep(pause, countdown.signal);
      }
    }
  } finally {
    countdown.finish();
  }
}

/** Creates our node (protected, ephemeral), making the directory again as often as it vanishes. */
async function createNode(
  client: RecipeClient,
  basePath: string,
  driver: LockDriver,
  data: Value | undefined,
  signal: AbortSignal,
  track: (outcome: Promise<string | undefined>) => void,
): Promise<{ path: string; ephemeralOwner: bigint }> {
  const { name, sequential } = driver.nodeName();
  for (let attempt = 0; ; attempt++) {
    // Sent without the signal: a caller that gives up does not wait for it, but the cleanup does,
    // so a node it makes after all is removed.
    const create = client.create(joinPath(basePath, name), data, {
      protected: true,
      ephemeral: true,
      sequence: sequential,
      includeData: true,
    });
    track(create.then(([path]) => path).catch(() => undefined));
    try {
      const [path, stat] = await raceAbort(create, signal);
      return { path, ephemeralOwner: stat.ephemeralOwner };
    } catch (error) {
      if (!(error instanceof NoNodeError) || attempt >= MAX_PARENT_REMAKES) throw error;
      // First use, or the container was reaped since (CURATOR-724): Curator's container parents.
      await ensureContainers(client, basePath, { signal });
    }
  }
}

/** Whether the client is stopped (or never started): its watches and ephemerals went with its session. */
export function isStopped(client: RecipeClient): boolean {
  return client.connectionState === ConnectionState.CLOSED;
}

/** Deletes, for certain and in the background, the node `made` names once its create has settled. */
function abandon(client: RecipeClient, made: Promise<string | undefined> | undefined): void {
  if (made === undefined) return;
  void made.then((path) => {
    if (path === undefined) return;
    const name = basename(path);
    return deleteForCertain(client, { parent: parentOf(path), prefix: name, name });
  });
}
