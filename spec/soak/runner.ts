// One soak run, start to finish: a real server (or a 3-member ensemble) from testing/, one client
// per handler (SequentialMicrotaskHandler and WorkerThreadsHandler), each behind FaultProxies (one
// per server) and running the mixed workload (workload.ts) while the disruptor resets their
// connections and expires their sessions, and the sampler measures the process once a second. At
// the end the workload stops, the clients, proxies and server close, and the samples are judged
// (verdict.ts). Whatever happens, everything it started is closed before it returns or throws.

import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import {
  type Handler,
  SequentialMicrotaskHandler,
  WorkerThreadsHandler,
  ZooKeeperClient,
} from '../../index.js';
import { SeededRandom } from '../../testing/chaos/seeded-random.js';
import { FaultProxy } from '../../testing/fault-proxy.js';
import { startTestingCluster } from '../../testing/testing-cluster.js';
import { startTestingServer } from '../../testing/testing-server.js';
import { type DisruptedClient, Disruptor } from './disruptions.js';
import { PlantedLeak, type PlantedLeakKind } from './planted-leak.js';
import { type Sample, Sampler } from './sampler.js';
import { Tally } from './tally.js';
import { formatBytes, judge, type Verdict } from './verdict.js';
import { ClientWorkload } from './workload.js';

/** A soak run's settings; times in milliseconds unless named otherwise. */
export interface SoakOptions {
  readonly durationMs: number;
  /** Samples before this are not judged (JIT, caches filling, the heap finding its size). */
  readonly warmupMs: number;
  readonly seed: number;
  /** Mixed operations per second per client. */
  readonly opsPerSecond: number;
  readonly reconnectEveryMs: number;
  readonly expireEveryMs: number;
  /** A 3-member ensemble instead of one standalone server. */
  readonly ensemble: boolean;
  readonly leak?: PlantedLeakKind | undefined;
  /**
   * Write a heap snapshot at the end of the warm-up and one just before the workload stops, into
   * this directory: load both in Chrome DevTools (Memory, Comparison) to see what a growing heap holds.
   */
  readonly heapSnapshotDir?: string | undefined;
  /** Progress lines (one every 30 s) and the start-up narrative. */
  readonly log: (line: string) => void;
}

/** The handlers every run covers, by the name the report uses. */
const HANDLERS: ReadonlyArray<readonly [string, () => Handler]> = [
  ['sequential', () => new SequentialMicrotaskHandler()],
  ['worker', () => new WorkerThreadsHandler()],
];

/** How long the workload may take to stop once told, ms (its own waits are bounded at 10 s). */
const STOP_GRACE_MS = 30_000;

/** Session timeout of the soak's clients, ms: short enough that a rebuild after expiry is quick. */
const SESSION_TIMEOUT_MS = 10_000;

/**
 * How long each thing the run started may take to close, ms: a client's stop waits up to its
 * session timeout for the server's answer to closeSession; a proxy closes at once and a server in
 * a second or two (one that takes longer is only a warning, and the process exit kills it).
 */
const CLOSE_MS = { client: SESSION_TIMEOUT_MS + 5000, harness: 5000 } as const;

/** What a run measured and decided. */
export interface SoakReport {
  readonly options: Omit<SoakOptions, 'log'>;
  readonly startedAt: string;
  /** How long the workload ran, ms. */
  readonly elapsedMs: number;
  /** How long it then took to stop (the steps in flight, the faults, the last sample), ms. */
  readonly stoppingMs: number;
  readonly servers: string;
  readonly verdict: Verdict;
  readonly operations: number;
  readonly operationsByKind: Readonly<Record<string, number>>;
  readonly errorsByName: Readonly<Record<string, number>>;
  readonly unexpectedErrors: readonly string[];
  readonly events: number;
  readonly faults: {
    readonly reconnects: number;
    readonly expiries: number;
    readonly failed: readonly string[];
  };
  /** Client state changes by client, e.g. { sequential: { SUSPENDED: 12, LOST: 3, CONNECTED: 15 } }. */
  readonly states: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly leaked: number;
  /** What the harness (a proxy, a server) could not close: a warning, not the client's failure. */
  readonly harnessWarnings: readonly string[];
  readonly samples: readonly Sample[];
}

/** Runs a soak; the report's verdict says whether it passed. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { log } = options;
  const startedAt = new Date();
  const random = new SeededRandom(options.seed);
  const tally = new Tally();
  const leak = options.leak === undefined ? undefined : new PlantedLeak(options.leak);
  const closer = new Closer();
  try {
    log(`starting ${options.ensemble ? 'a 3-member ensemble' : 'a standalone server'}`);
    // forceSync=no spares the shared machine an fsync per write; the soak measures the client.
    const serverOptions = { extraConfig: { forceSync: 'no' } };
    const servers = options.ensemble
      ? await startTestingCluster({ size: 3, ...serverOptions })
      : await startTestingServer(serverOptions);
    closer.add('the servers', 'harness', () => servers.close());
    const members = 'servers' in servers ? servers.servers : [servers];

    const root = `/soak-${process.pid}-${options.seed}`;
    const clients: DisruptedClient[] = [];
    const states: Record<string, Record<string, number>> = {};
    for (const [name, makeHandler] of HANDLERS) {
      const proxies: FaultProxy[] = [];
      for (const member of members) {
        const proxy = await FaultProxy.start(member);
        closer.add(`a FaultProxy of the ${name} client`, 'harness', () => proxy.close());
        proxies.push(proxy);
      }
      const handler = makeHandler();
      const zk = new ZooKeeperClient({
        hosts: proxies.map((p) => p.connectString).join(','),
        handler,
        sessionTimeout: SESSION_TIMEOUT_MS,
        connectionRetry: { maxDelay: 1000 },
      });
      const seen: Record<string, number> = {};
      states[name] = seen;
      zk.on('state', (state) => {
        seen[state] = (seen[state] ?? 0) + 1;
      });
      zk.on('error', (error) => tally.failed(`${name} client 'error' event`, error));
      // A client given its handler does not stop it: the worker thread ends with handler.stop().
      closer.add(`the ${name} client and its handler`, 'client', async () => {
        await zk.stop();
        await handler.stop();
      });
      await zk.start({ timeout: 30_000 });
      clients.push({ name, zk, proxies });
    }

    const workloads = clients.map(
      (client) =>
        new ClientWorkload({
          name: client.name,
          zk: client.zk,
          paths: { own: `${root}/${client.name}`, shared: `${root}/shared` },
          random: random.fork(client.name),
          opsPerSecond: options.opsPerSecond,
          tally,
          leak,
        }),
    );
    for (const workload of workloads) await workload.prepare();

    const sampler = new Sampler(1000, () => tally.completed);
    const disruptor = new Disruptor(
      clients,
      members.map((m) => m.connectString).join(','),
      { reconnectEveryMs: options.reconnectEveryMs, expireEveryMs: options.expireEveryMs },
      random.fork('faults'),
    );
    const stop = new AbortController();
    const hung: string[] = [];
    // Every loop of every client waits on this one signal at once: more than the 10 listeners
    // Node warns about, and each removed when its wait ends.
    setMaxListeners(100, stop.signal);
    log(
      `running ${(options.durationMs / 60_000).toFixed(1)} min (warm-up ${options.warmupMs / 1000} s), ` +
        `seed ${options.seed}${leak ? `, planted leak: ${leak.kind}` : ''}`,
    );
    const t0 = performance.now();
    let elapsedMs = 0;
    sampler.start();
    disruptor.start();
    const running = Promise.all(workloads.map((w) => w.run(stop.signal)));
    const progress = setInterval(() => log(progressLine(sampler.samples, tally, disruptor)), 30_000);
    try {
      const snapshots = options.heapSnapshotDir;
      if (snapshots === undefined) await within(running, options.durationMs);
      else {
        await within(running, options.warmupMs);
        log(`heap snapshot: ${writeHeapSnapshot(join(snapshots, `soak-${options.seed}-warm.heapsnapshot`))}`);
        await within(running, options.durationMs - (performance.now() - t0));
        log(`heap snapshot: ${writeHeapSnapshot(join(snapshots, `soak-${options.seed}-end.heapsnapshot`))}`);
      }
    } finally {
      elapsedMs = performance.now() - t0;
      clearInterval(progress);
      stop.abort();
      await disruptor.stop();
      // Every step is bounded or ends with its client; one still running this long after the
      // stop is a hang, reported (and failing the run) rather than waited on forever.
      if (!(await within(running, STOP_GRACE_MS))) {
        hung.push(...workloads.flatMap((w) => w.pending()));
        log(`the workload did not stop within ${STOP_GRACE_MS / 1000} s: ${hung.join('; ')}`);
        for (const client of clients)
          log(
            `${client.name}: ${client.zk.connectionState}, ${client.zk.state}, proxy connections ${client.proxies.map((p) => p.connectionCount).join('/')}`,
          );
      }
      await sampler.stop();
    }
    const stoppingMs = performance.now() - t0 - elapsedMs;
    leak?.release();

    // Tidy the server before the clients go (the ensemble or server is deleted anyway).
    await clients[0]!.zk.delete(root, { recursive: true }).catch(() => undefined);
    const notClosed = await closer.closeAll();
    for (const problem of [...notClosed.client, ...notClosed.harness]) log(problem);

    const verdict = judge(sampler.samples, {
      warmupMs: options.warmupMs,
      unexpectedErrors: tally.unexpectedCount,
      hung,
      notClosed: notClosed.client,
    });
    const { log: _log, ...reportedOptions } = options;
    return {
      options: reportedOptions,
      startedAt: startedAt.toISOString(),
      elapsedMs,
      stoppingMs,
      servers: members.map((m) => m.connectString).join(','),
      verdict,
      operations: tally.completed,
      operationsByKind: Object.fromEntries(tally.ops),
      errorsByName: Object.fromEntries(tally.errors),
      unexpectedErrors: tally.unexpected,
      events: tally.events,
      faults: { reconnects: disruptor.reconnects, expiries: disruptor.expiries, failed: disruptor.failures },
      states,
      leaked: leak?.count ?? 0,
      harnessWarnings: notClosed.harness,
      samples: sampler.samples,
    };
  } finally {
    leak?.release();
    await closer.closeAll();
  }
}

/**
 * What a run started, closed in reverse order, each within its CLOSE_MS. Something that does not
 * close in time (or throws) is reported, not waited on: the run goes on closing the rest. A
 * client that does not close fails the run (it is what the soak tests); a proxy or server that
 * does not is the harness's problem, reported as a warning.
 */
class Closer {
  private readonly steps: Array<[what: string, kind: 'client' | 'harness', close: () => Promise<unknown>]> =
    [];

  add(what: string, kind: 'client' | 'harness', close: () => Promise<unknown>): void {
    this.steps.push([what, kind, close]);
  }

  /** Closes everything added so far; a sentence per step that failed or did not finish, by kind. */
  async closeAll(): Promise<{ client: string[]; harness: string[] }> {
    const problems = { client: [] as string[], harness: [] as string[] };
    for (const [what, kind, close] of this.steps.splice(0).reverse()) {
      try {
        if (!(await within(close(), CLOSE_MS[kind])))
          problems[kind].push(`${what} did not close within ${CLOSE_MS[kind] / 1000} s`);
      } catch (error) {
        problems[kind].push(`${what} failed to close: ${(error as Error).message}`);
      }
    }
    return problems;
  }
}

/** Whether `promise` settled within `ms` (rejecting if it rejected); the timer never outlives it. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `0:30 heap 31.20 MiB rss 140.00 MiB handles 12 timers 9 threads 14 | 5,912 ops, 3 reconnects, 0 expiries`. */
function progressLine(samples: readonly Sample[], tally: Tally, disruptor: Disruptor): string {
  const last = samples[samples.length - 1];
  if (last === undefined) return 'no sample yet';
  const seconds = Math.round(last.atMs / 1000);
  const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  return (
    `${clock} heap ${formatBytes(last.heapUsed)} external ${formatBytes(last.external)} rss ${formatBytes(last.rss)} ` +
    `handles ${last.handles} timers ${last.timers} threads ${last.threads} | ` +
    `${tally.completed.toLocaleString('en-US')} ops, ${tally.errorCount} errors, ${tally.events} events, ` +
    `${disruptor.reconnects} reconnects, ${disruptor.expiries} expiries`
  );
}
