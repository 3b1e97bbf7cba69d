// What one soak client does until told to stop, in concurrent loops, each drawing its choices from
// a seeded stream:
// - mixed operations, paced: create, create sequential (then delete it), get and exists (a third
//   with a one-shot watch, a fresh callback each time as users write them), set (now and then a
//   32 KiB value), delete, getChildren (with a watch), a multi that creates, sets and deletes, and
//   a multiRead, all on a bounded set of nodes, so what the server and the caches hold stays bounded
//   and only the client's own keeping can grow;
// - watches that come and go: DataWatch, ChildrenWatch, a persistent watch added and removed, a
//   recursive watch stream read for a while and closed;
// - caches that come and go: a TreeCache and a CuratorCache started, initialised and closed;
// - recipes on nodes every client shares: Lock, Semaphore, Counter, Queue (put then take);
// - for the whole run: a TreeCache, a CuratorCache, a DataWatch, a ChildrenWatch and a persistent
//   recursive watch, which must survive every reconnect and expiry the soak causes.
// Every error is handed to the Tally, which knows which ones the soak's faults explain.

import { setTimeout as sleepFor } from 'node:timers/promises';
import type { CacheListener, ZooKeeperClient } from '../../index.js';
import type { SeededRandom } from '../../testing/chaos/seeded-random.js';
import type { PlantedLeak } from './planted-leak.js';
import { SoakTimeoutError, type Tally } from './tally.js';

/** Data nodes per client: the bound on what the server, caches and watches hold. */
const DATA_NODES = 32;
/** Concurrent mixed-operation loops per client. */
const OP_LOOPS = 3;
/** Bound on a wait the workload makes itself (a cache's first read, a lock), ms. */
const WAIT_MS = 10_000;

/** Where a client works; `shared` is the same for every client of the run. */
export interface WorkloadPaths {
  /** This client's own subtree. */
  readonly own: string;
  /** The recipes' nodes, shared by every client. */
  readonly shared: string;
}

export interface WorkloadOptions {
  readonly name: string;
  readonly zk: ZooKeeperClient;
  readonly paths: WorkloadPaths;
  readonly random: SeededRandom;
  /** Mixed operations per second, all loops together. */
  readonly opsPerSecond: number;
  readonly tally: Tally;
  readonly leak?: PlantedLeak | undefined;
}

/** One client's workload. */
export class ClientWorkload {
  private readonly zk: ZooKeeperClient;
  private readonly data: string;
  private readonly sequential: string;
  /** The steps running now, with when each started. */
  private readonly inFlight = new Set<{ kind: string; since: number }>();
  /** Aborted when the run stops: every wait and call of a step ends with it. */
  private stopSignal: AbortSignal | undefined;

  constructor(private readonly options: WorkloadOptions) {
    this.zk = options.zk;
    this.data = `${options.paths.own}/data`;
    this.sequential = `${options.paths.own}/seq`;
  }

  /** The nodes every loop expects. */
  async prepare(): Promise<void> {
    for (const path of [this.data, this.sequential, `${this.options.paths.shared}/queue`])
      await this.zk.ensurePath(path);
  }

  /** Runs every loop until `signal` aborts; resolves once each has finished its step in progress. */
  async run(signal: AbortSignal): Promise<void> {
    const { random } = this.options;
    this.stopSignal = signal;
    const longLived = await this.startLongLived();
    try {
      await Promise.all([
        ...Array.from({ length: OP_LOOPS }, (_, i) => this.mixedOperations(random.fork(`ops-${i}`), signal)),
        this.watchChurn(random.fork('watches'), signal),
        this.cacheChurn(random.fork('caches'), signal),
        this.recipes(random.fork('recipes'), signal),
      ]);
    } finally {
      await longLived();
    }
  }

  private node(random: SeededRandom): string {
    return `${this.data}/n${random.int(0, DATA_NODES - 1)}`;
  }

  private value(random: SeededRandom): Buffer {
    const size = random.chance(0.01) ? 32 * 1024 : random.int(0, 512);
    return Buffer.alloc(size, random.int(0, 255));
  }

  /** A one-shot watch callback made fresh for each call, as application code usually does. */
  private oneShot(random: SeededRandom): ((event: unknown) => void) | undefined {
    if (!random.chance(0.3)) return undefined;
    const { tally } = this.options;
    return () => tally.event();
  }

  /** Runs `step` about `perSecond` times a second until aborted; after an outage it does not catch up. */
  private async paced(perSecond: number, signal: AbortSignal, step: () => Promise<void>): Promise<void> {
    const interval = 1000 / perSecond;
    let next = performance.now();
    while (!signal.aborted) {
      await step();
      next += interval;
      const now = performance.now();
      if (next < now - 1000) next = now;
      if (next > now && !(await pause(next - now, signal))) return;
    }
  }

  /** Runs `fn`, counting it as `kind` when it succeeds and its error otherwise. */
  private async attempt(kind: string, fn: () => Promise<unknown>): Promise<void> {
    const step = { kind, since: performance.now() };
    this.inFlight.add(step);
    try {
      await fn();
      this.options.tally.ok(kind);
    } catch (error) {
      // A step cut short by the stop is neither a success nor an error.
      if (this.stopSignal?.aborted && (error === this.stopSignal.reason || isAbortError(error))) return;
      this.options.tally.failed(`${this.options.name} ${kind}`, error);
    } finally {
      this.inFlight.delete(step);
    }
  }

  /** The steps running now and for how long, e.g. `worker lock for 12.3 s`: what a hung run waits on. */
  pending(): string[] {
    const now = performance.now();
    return [...this.inFlight].map(
      (step) => `${this.options.name} ${step.kind} for ${((now - step.since) / 1000).toFixed(1)} s`,
    );
  }

  private mixedOperations(random: SeededRandom, signal: AbortSignal): Promise<void> {
    const { zk } = this;
    const call = { signal };
    const operations: Record<string, () => Promise<unknown>> = {
      create: () => zk.create(this.node(random), this.value(random), call),
      createSequential: async () => {
        const path = await zk.create(`${this.sequential}/s-`, this.value(random), {
          sequence: true,
          ephemeral: true,
          signal,
        });
        await zk.delete(path, call);
      },
      get: () => zk.get(this.node(random), this.oneShot(random), call),
      exists: () => zk.exists(this.node(random), this.oneShot(random), call),
      set: () => zk.set(this.node(random), this.value(random), call),
      delete: () => zk.delete(this.node(random), call),
      children: () => zk.getChildren(this.data, this.oneShot(random), call),
      multi: () => {
        const path = `${this.node(random)}-multi`;
        return zk
          .transaction()
          .create(path, this.value(random))
          .setData(path, this.value(random))
          .delete(path)
          .commit({ throwOnFailure: true, signal });
      },
      multiRead: () =>
        zk.multiRead(
          [
            { op: 'get', path: this.node(random) },
            { op: 'get', path: this.node(random) },
            { op: 'getChildren', path: this.data },
          ],
          call,
        ),
    };
    const kinds = Object.keys(operations);
    return this.paced(this.options.opsPerSecond / OP_LOOPS, signal, async () => {
      const kind = random.pick(kinds);
      await this.attempt(kind, operations[kind]!);
      this.options.leak?.onOperation(zk);
    });
  }

  /** A watch of some kind, kept for 0.5–3 s, then removed. */
  private watchChurn(random: SeededRandom, signal: AbortSignal): Promise<void> {
    const { zk } = this;
    const { tally } = this.options;
    const held = (): number => random.int(500, 3000);
    const kinds: Record<string, () => Promise<unknown>> = {
      dataWatch: async () => {
        const watch = zk.DataWatch(this.node(random), () => tally.event());
        await pause(held(), signal);
        await watch.stop();
      },
      childrenWatch: async () => {
        const watch = zk.ChildrenWatch(this.data, () => tally.event());
        await pause(held(), signal);
        await watch.stop();
      },
      persistentWatch: async () => {
        const path = this.node(random);
        const callback = (): void => tally.event();
        await zk.addWatch(path, callback, { mode: 'persistent' });
        await pause(held(), signal);
        await zk.removeWatches(path, 'any', { callback });
      },
      watchStream: async () => {
        const stream = zk.watch(this.data, { recursive: true });
        const until = performance.now() + held();
        try {
          while (performance.now() < until && !signal.aborted) {
            const next = await withTimeout(stream.next(), until - performance.now(), signal);
            if (next === undefined || next.value.done) break;
            tally.event();
          }
        } finally {
          await stream.close();
        }
      },
    };
    const names = Object.keys(kinds);
    return this.paced(2, signal, async () => {
      const kind = random.pick(names);
      await this.attempt(kind, kinds[kind]!);
    });
  }

  /** A TreeCache or a CuratorCache of the data nodes: started, used for a while, closed. */
  private cacheChurn(random: SeededRandom, signal: AbortSignal): Promise<void> {
    const { zk } = this;
    return this.paced(0.2, signal, async () => {
      const kind = random.chance(0.5) ? 'treeCache' : 'curatorCache';
      const cache = kind === 'treeCache' ? zk.TreeCache(this.data) : zk.CuratorCache(this.data);
      const unlisten = cache.listen(this.cacheListener(kind));
      await this.attempt(kind, async () => {
        try {
          const started = await withTimeout(cache.start(), WAIT_MS, signal);
          if (signal.aborted) return;
          if (started === undefined)
            throw new SoakTimeoutError(`${kind} did not initialise in ${WAIT_MS} ms`);
          await pause(random.int(1000, 4000), signal);
        } finally {
          unlisten();
          await cache.close();
        }
      });
    });
  }

  /** Lock, Semaphore, Counter and Queue on the shared nodes, a new recipe object each time. */
  private recipes(random: SeededRandom, signal: AbortSignal): Promise<void> {
    const { zk, options } = this;
    const shared = options.paths.shared;
    const kinds: Record<string, () => Promise<unknown>> = {
      lock: async () => {
        const lock = zk.Lock(`${shared}/lock`, options.name);
        if (!(await lock.acquire({ timeout: WAIT_MS, signal }))) return;
        try {
          await pause(random.int(5, 50), signal);
        } finally {
          await lock.release();
        }
      },
      semaphore: async () => {
        const semaphore = zk.Semaphore(`${shared}/semaphore`, options.name, 2);
        if (!(await semaphore.acquire({ timeout: WAIT_MS, signal }))) return;
        try {
          await pause(random.int(5, 50), signal);
        } finally {
          await semaphore.release();
        }
      },
      counter: () => zk.Counter(`${shared}/counter`).add(1),
      queue: async () => {
        const queue = zk.Queue(`${shared}/queue`);
        await queue.put(this.value(random), random.int(0, 999));
        await queue.get();
      },
    };
    const names = Object.keys(kinds);
    return this.paced(5, signal, async () => {
      const kind = random.pick(names);
      await this.attempt(kind, kinds[kind]!);
    });
  }

  /** Counts a cache's events; its 'error' events (a failed read) go to the tally as errors. */
  private cacheListener(kind: string): CacheListener {
    const { tally, name } = this.options;
    return (event) => {
      if (event.type === 'error') tally.failed(`${name} ${kind}`, event.error);
      else tally.event();
    };
  }

  /** The watches and caches that live for the whole run; returns what ends them. */
  private async startLongLived(): Promise<() => Promise<void>> {
    const { zk } = this;
    const { tally } = this.options;
    const count = (): void => tally.event();
    const treeCache = zk.TreeCache(this.data);
    const curatorCache = zk.CuratorCache(this.data);
    treeCache.listen(this.cacheListener('long-lived treeCache'));
    curatorCache.listen(this.cacheListener('long-lived curatorCache'));
    await Promise.all([treeCache.start(), curatorCache.start()]);
    const dataWatch = zk.DataWatch(`${this.data}/n0`, count);
    const childrenWatch = zk.ChildrenWatch(this.data, count);
    await zk.addWatch(this.options.paths.own, count, { mode: 'persistentRecursive' });
    return async () => {
      await Promise.allSettled([
        treeCache.close(),
        curatorCache.close(),
        dataWatch.stop(),
        childrenWatch.stop(),
        zk.removeWatches(this.options.paths.own, 'any', { callback: count }),
      ]);
    };
  }
}

/** Sleeps `ms`; false if `signal` aborted first. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleepFor(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * `{ value }` of `promise`, or undefined if it has not settled within `ms` or before `signal`
 * aborted (its timer and listener are removed either way).
 */
async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  signal: AbortSignal,
): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const giveUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), giveUp]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
