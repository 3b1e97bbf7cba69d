// The process that holds the benchmark's sessions: a child of runSessionsBench (forked with an
// IPC channel and --expose-gc), so its memory and CPU time are the sessions' alone. In `sessions`
// mode it connects every client at once, measures memory after a full GC and CPU while idle, tells
// the parent which member holds how many sessions, and after the parent kills one, times the
// reconnect storm. In `warm-connect` mode it times one more connect on a warm shared worker against
// one on a worker of its own.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerThreadsHandler } from '../../handlers/worker-threads.js';
import { ZooKeeperClient } from '../../lib/client/client.js';
import { ConnectionState } from '../../lib/states.js';
import type { FromSessionsChild, SessionsChildSpec, ToSessionsChild } from './child-protocol.js';
import { type WorkerHeap, workerGcTask } from './worker-gc-task.js';

/** After the last state change of a storm, how long nothing more must happen before it is over, ms. */
const STORM_QUIET_MS = 2000;
/** How long the sessions get to connect, ms. */
const CONNECT_TIMEOUT_MS = 120_000;

function send(message: FromSessionsChild): void {
  process.send!(message);
}

/** Collects garbage until the heap stops shrinking (a few rounds: weak references, finalizers). */
async function fullGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the sessions child needs --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(20);
  }
}

/** A full GC in the shared pool's thread; resolves with that isolate's used heap, bytes. */
async function workerGc(): Promise<number> {
  const handler = new WorkerThreadsHandler({ shared: true });
  const [mine, theirs] = handler.createSocketPair<never, WorkerHeap>();
  const heap = new Promise<number>((resolve) => mine.onMessage((message) => resolve(message.heapUsed)));
  await handler.spawn(workerGcTask, { channel: theirs }).done;
  const heapUsed = await heap;
  mine.close();
  return heapUsed;
}

function memory(): { rss: number; heap: number } {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

/** Per client, what it went through after the kill. */
interface StormWatch {
  lost: boolean;
  expired: boolean;
  connected: boolean;
  reconnectedAt: number;
}

async function sessions(spec: Extract<SessionsChildSpec, { mode: 'sessions' }>): Promise<void> {
  // Loaded and warmed before the baseline: module code is not a session's cost.
  await fullGc();
  const base = memory();
  const handler = (): WorkerThreadsHandler | undefined =>
    spec.handler === 'worker-shared' ? new WorkerThreadsHandler({ shared: true }) : undefined;
  const zks = Array.from(
    { length: spec.clients },
    () =>
      new ZooKeeperClient({
        hosts: spec.connectString,
        sessionTimeout: spec.sessionTimeoutMs,
        handler: handler(),
      }),
  );
  const t0 = performance.now();
  const connectCpu0 = process.cpuUsage();
  await Promise.all(zks.map((zk) => zk.start({ timeout: CONNECT_TIMEOUT_MS })));
  const connectAllMs = performance.now() - t0;
  const connectCpu = process.cpuUsage(connectCpu0);
  await sleep(1000); // replies and first pings settle
  const workerHeap = spec.handler === 'worker-shared' ? await workerGc() : 0;
  await fullGc();
  const loaded = memory();
  const workerThreads = zks[0]!.handler instanceof WorkerThreadsHandler ? zks[0]!.handler.pool.threads : 0;

  const cpu0 = process.cpuUsage();
  const idle0 = performance.now();
  await sleep(spec.idleSeconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const idleMs = performance.now() - idle0;

  const onServer: Record<string, number> = {};
  for (const zk of zks) {
    const address = zk.connectedTo ?? 'none';
    onServer[address] = (onServer[address] ?? 0) + 1;
  }
  const sessionIds = zks.map((zk) => zk.clientId?.sessionId);
  const watches: StormWatch[] = zks.map(() => ({
    lost: false,
    expired: false,
    connected: true,
    reconnectedAt: 0,
  }));
  let lastChange = 0;
  /** Why sessions left CONNECTED during the storm: each detail (numbers masked) and how often. */
  const reasons: Record<string, number> = {};
  zks.forEach((zk, i) => {
    const watch = watches[i]!;
    zk.on('connectionState', (state: ConnectionState, detail?: string) => {
      lastChange = Date.now();
      if (state !== ConnectionState.CONNECTED) {
        const why = `${state}: ${(detail ?? '').replace(/\d+/g, 'N')}`;
        reasons[why] = (reasons[why] ?? 0) + 1;
      }
      if (state === ConnectionState.EXPIRED_SESSION) watch.expired = true;
      if (state === ConnectionState.CONNECTED) {
        watch.connected = true;
        if (watch.lost) watch.reconnectedAt = Date.now();
      } else {
        watch.connected = false;
        watch.lost = true;
      }
    });
  });

  const killed = new Promise<ToSessionsChild>((resolve) => process.once('message', resolve));
  send({
    t: 'idle-measured',
    onServer,
    figures: {
      handler: spec.handler,
      clients: spec.clients,
      connectAllMs,
      connectCpuMs: (connectCpu.user + connectCpu.system) / 1000,
      rssPerSessionBytes: (loaded.rss - base.rss) / spec.clients,
      heapPerSessionBytes: (loaded.heap - base.heap) / spec.clients,
      workerHeapPerSessionBytes: workerHeap / spec.clients,
      workerThreads,
      idleCpuPercent: ((cpu.user + cpu.system) / 1000 / idleMs) * 100,
      idleSeconds: idleMs / 1000,
      sessionTimeoutMs: zks[0]!.sessionTimeout,
    },
  });

  const { killedAt } = await killed;
  const timeout = zks[0]!.sessionTimeout || spec.sessionTimeoutMs;
  const deadline = killedAt + Math.max(3 * timeout, 30_000);
  for (;;) {
    await sleep(50);
    const now = Date.now();
    const allBack = watches.every((w) => w.connected);
    if ((allBack && now - Math.max(lastChange, killedAt) >= STORM_QUIET_MS) || now > deadline) break;
  }
  const lost = watches.filter((w) => w.lost);
  const neverBack = watches.filter((w) => !w.connected).length;
  const expired = watches.filter(
    (w, i) => w.expired || (zks[i]!.clientId !== undefined && zks[i]!.clientId!.sessionId !== sessionIds[i]),
  ).length;
  send({
    t: 'storm-measured',
    figures: {
      disconnected: lost.length,
      reconnectAllMs:
        neverBack > 0 ? Number.NaN : Math.max(0, ...lost.map((w) => w.reconnectedAt - killedAt)),
      expired,
      neverBack,
      reasons,
    },
  });
  await Promise.race([Promise.all(zks.map((zk) => zk.close().catch(() => undefined))), sleep(20_000)]);
}

/** Times `count` connects of each kind, alternating, after one warm-up connect of each. */
async function warmConnect(spec: Extract<SessionsChildSpec, { mode: 'warm-connect' }>): Promise<void> {
  const options = { hosts: spec.connectString, sessionTimeout: spec.sessionTimeoutMs };
  // The first client on the shared pool boots its thread and stays, so the pool is warm.
  const anchor = new ZooKeeperClient({ ...options, handler: new WorkerThreadsHandler({ shared: true }) });
  await anchor.start();
  const once = async (handler?: WorkerThreadsHandler): Promise<number> => {
    const t0 = performance.now();
    const zk = new ZooKeeperClient({ ...options, handler });
    await zk.start();
    const ms = performance.now() - t0;
    await zk.close();
    await handler?.stop();
    return ms;
  };
  await once(new WorkerThreadsHandler()); // module caches warm for the dedicated kind too
  const sharedMs: number[] = [];
  const dedicatedMs: number[] = [];
  const sequentialMs: number[] = [];
  for (let i = 0; i < spec.count; i++) {
    sharedMs.push(await once(new WorkerThreadsHandler({ shared: true })));
    dedicatedMs.push(await once(new WorkerThreadsHandler()));
    sequentialMs.push(await once());
  }
  await anchor.close();
  send({ t: 'warm-measured', figures: { sharedMs, dedicatedMs, sequentialMs } });
}

async function main(): Promise<void> {
  // Forked with an IPC channel: if the parent dies, the channel closes and so do we.
  process.on('disconnect', () => process.exit(3));
  const spec = JSON.parse(process.argv[2] ?? '') as SessionsChildSpec;
  try {
    if (spec.mode === 'sessions') await sessions(spec);
    else await warmConnect(spec);
  } catch (error) {
    send({ t: 'failed', error: (error as Error)?.stack ?? String(error) });
  }
  process.disconnect();
  process.exit();
}

void main();
