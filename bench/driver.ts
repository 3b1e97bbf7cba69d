// The closed loop that drives a client adapter: `window` requests outstanding, each reply issuing
// the next request, latency per request from a monotonic clock. Also the two extra figures that
// need a live client: time to connect, and 100,000 watches (register, memory, re-register).

import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fourLetterWord } from '../lib/client/four-letter-words.js';
import { RawSession } from '../testing/raw-session.js';
import type { BenchClient, Done, WatchingClient } from './clients/client.js';
import { LatencyHistogram } from './histogram.js';
import { MB, type Measurement, summarize, type Timing } from './measurement.js';
import { PAIR_SLOTS, PATHS, pairPaths, VALUE_100, type WorkloadName, watchPath } from './workloads.js';

/** Issues request i of a workload and calls `done` with its outcome. */
export type Issue = (i: number, done: Done) => void;

/** Request i of `workload` as a call on `client`; `tag` keeps this process's create+delete names apart. */
export function issuerFor(client: BenchClient, workload: WorkloadName, tag: string): Issue {
  switch (workload) {
    case 'get100':
      return (_i, done) => client.get(PATHS.value100, done);
    case 'set100':
      return (_i, done) => client.set(PATHS.set100, VALUE_100, done);
    case 'createDelete': {
      const paths = pairPaths(tag);
      return (i, done) => {
        const path = paths[(i >> 1) % PAIR_SLOTS]!;
        if ((i & 1) === 0) client.create(path, VALUE_100, done);
        else client.delete(path, done);
      };
    }
    case 'children1000':
      return (_i, done) => client.getChildren(PATHS.children, done);
    case 'get1m':
      return (_i, done) => client.get(PATHS.value1m, done);
  }
}

const WARMUP = 0;
const MEASURE = 1;
const DRAIN = 2;

/**
 * Runs `issue` with `window` requests outstanding: a warm-up, then the measured interval (replies
 * that arrive inside it count, up to the first one at or past its end), then a drain of what is still in flight. Rejects on the first
 * failed request.
 */
export function drive(issue: Issue, window: number, timing: Timing): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const histogram = new LatencyHistogram();
    const warmupEnd = performance.now() + timing.warmupMs;
    let phase = WARMUP;
    let seq = 0;
    let inflight = 0;
    let counted = 0;
    let start = 0;
    let end = 0;
    let cpuAtStart = process.cpuUsage();
    let result: Measurement | undefined;
    let failed = false;

    const next = (): void => {
      const i = seq++;
      inflight++;
      const sentAt = performance.now();
      issue(i, (error) => {
        inflight--;
        if (failed) return;
        if (error !== null) {
          failed = true;
          reject(error);
          return;
        }
        const now = performance.now();
        if (phase === MEASURE) {
          histogram.record((now - sentAt) * 1000);
          counted++;
          if (now >= end) {
            result = summarize(histogram, counted, now - start, process.cpuUsage(cpuAtStart));
            phase = DRAIN;
          }
        } else if (phase === WARMUP && now >= warmupEnd) {
          phase = MEASURE;
          start = now;
          end = now + timing.measureMs;
          cpuAtStart = process.cpuUsage();
        }
        if (phase !== DRAIN) next();
        else if (inflight === 0) resolve(result!);
      });
    };
    for (let k = 0; k < window; k++) next();
  });
}

/** Issues `count` requests with `window` outstanding; resolves when the last reply is in. */
export function runCount(issue: Issue, count: number, window: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seq = 0;
    let completed = 0;
    let failed = false;
    const next = (): void => {
      issue(seq++, (error) => {
        if (failed) return;
        if (error !== null) {
          failed = true;
          reject(error);
          return;
        }
        completed++;
        if (seq < count) next();
        else if (completed === count) resolve();
      });
    };
    for (let k = 0; k < Math.min(window, count); k++) next();
    if (count === 0) resolve();
  });
}

/** Times `count` fresh connects (object creation to "connected"), ms; each is closed before the next. */
export async function connectTimes(
  create: () => Promise<Pick<BenchClient, 'connect' | 'close'>>,
  connectString: string,
  count: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < count; k++) {
    const t0 = performance.now();
    const client = await create();
    await client.connect(connectString);
    times.push(performance.now() - t0);
    await client.close();
  }
  return times;
}

/**
 * The two kinds of watch the figure sets: `exists` — exists(path, watch) on missing nodes (a
 * watch on a node to come); `data` — getData(path, watch) on existing nodes (what a DataWatch
 * holds). The server keeps both in its data-watch table; a client keeps one entry per path.
 */
export type WatchKindName = 'exists' | 'data';

/** Parent of the existing (empty) nodes the `data` watch figure sets getData watches on. */
export const WATCHED_PARENT = '/bench/watched';

/** Path of the i-th node the watch figure watches: missing for `exists`, existing for `data`. */
export function watchFigurePath(kind: WatchKindName, i: number): string {
  return kind === 'exists' ? watchPath(i) : `${WATCHED_PARENT}/w${i}`;
}

/**
 * How long the watch figure lets a client sit idle before it measures the memory the watches
 * hold, ms. V8 sizes its young generation for the registration burst (from 1 MB up to 16 MB per
 * semi-space as objects survive scavenges) and shrinks it again at the first GC that finds the
 * allocation rate low, which it averages over the last 5 s (docs/watches.md#memory): right after
 * registering, most of a Node client's added RSS is that young generation, not its watches.
 */
export const HOLD_IDLE_MS = 6000;

/** How often a client sends one request while it idles, ms. */
export const IDLE_PROBE_MS = 250;

/**
 * Idles `ms` the way a service holding its watches does: one request now and then, the same for
 * every client (kazoo_watches.py sends a sync as often).
 */
async function idle(client: WatchingClient, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await new Promise<void>((resolve, reject) => client.probe((e) => (e === null ? resolve() : reject(e))));
    await sleep(IDLE_PROBE_MS);
  }
}

/** The watch figure of one client. */
export interface WatchFigure {
  watches: number;
  /** Which watches were set (absent in reports from before the `data` kind: `exists`). */
  kind?: WatchKindName;
  /** Time to set every watch (exists or getData with a watch, 1,000 outstanding), ms. */
  registerMs: number;
  /** Resident memory added by holding the watches (after a full GC), MB. */
  addedRssMb: number;
  /** JS heap added by holding the watches (after a full GC), MB; null where there is no JS heap (kazoo). */
  addedHeapMb: number | null;
  /**
   * Resident memory the watches still hold after the client idled HOLD_IDLE_MS (a request every
   * IDLE_PROBE_MS) and two full GCs ran, MB: what a service holding them pays (absent in reports
   * from before it).
   */
  heldRssMb?: number;
  /** JS heap held at that point, MB; null for kazoo. */
  heldHeapMb?: number | null;
  /** Watches the server held for the session after registering (wchs delta). */
  serverWatchesAfterRegister: number;
  /**
   * Time from cutting the connection to the reply of the first request sent after the client
   * reconnected (which the server answers after the re-registration frames), ms; null if the
   * watches were not all back before the deadline.
   */
  reregisterMs: number | null;
  /** Watches the server held for the session at the end (wchs delta). */
  serverWatchesAfterReconnect: number;
  /** Longest the client's event loop was blocked between the cut and the end, ms; null for kazoo (threads, no event loop). */
  longestStallMs: number | null;
  /** Why re-registration did not complete, when it did not. */
  reregisterFailure?: string;
}

/**
 * Sets `count` watches of `kind` (exists-watches on missing nodes, or getData watches on the
 * existing nodes under WATCHED_PARENT, which the caller created), measures the memory they hold,
 * then cuts the connection from the server side and times re-registration.
 */
export async function watchFigure(
  client: WatchingClient,
  connectString: string,
  count: number,
  deadlineMs: number,
  kind: WatchKindName = 'exists',
  /** Told the memory figures before the cut, as a figure whose re-registration failed. */
  onMemory?: (figure: WatchFigure) => void,
): Promise<WatchFigure> {
  const [host, portText] = connectString.split(':') as [string, string];
  const port = Number(portText);
  const serverWatches = async (): Promise<number> => {
    const text = await fourLetterWord(host, port, 'wchs');
    return Number(/Total watches:\s*(\d+)/.exec(text)?.[1] ?? Number.NaN);
  };

  await client.connect(connectString);
  const baseline = await serverWatches();
  const gc = globalThis.gc ?? ((): void => {});
  // The baseline is taken settled the same way as the held figure: a young generation still at
  // its start-up size would otherwise shrink during the idle and hide part of what the watches hold.
  await idle(client, HOLD_IDLE_MS);
  gc();
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const issue: Issue =
    kind === 'exists'
      ? (i, done) => client.existsWatch(watchFigurePath('exists', i), done)
      : (i, done) => client.getWatch(watchFigurePath('data', i), done);
  await runCount(issue, count, 1000);
  const registerMs = performance.now() - t0;
  gc();
  const after = process.memoryUsage();
  const serverWatchesAfterRegister = (await serverWatches()) - baseline;
  await idle(client, HOLD_IDLE_MS);
  // Two GCs: the first shrinks the young generation, but V8 hands the freed pages back to the
  // system only at a later GC (docs/watches.md#memory); its memory reducer does the same, running
  // several GCs once a process has gone idle.
  gc();
  gc();
  const held = process.memoryUsage();
  const memory = {
    watches: count,
    kind,
    registerMs,
    addedRssMb: (after.rss - before.rss) / MB,
    addedHeapMb: (after.heapUsed - before.heapUsed) / MB,
    heldRssMb: (held.rss - before.rss) / MB,
    heldHeapMb: (held.heapUsed - before.heapUsed) / MB,
    serverWatchesAfterRegister,
  };
  onMemory?.({
    ...memory,
    reregisterMs: null,
    serverWatchesAfterReconnect: 0,
    longestStallMs: null,
    reregisterFailure: 'the client did not finish after the cut (killed at the timeout)',
  });

  // Any ConnectRequest naming a session makes the server close that session's connections before
  // it checks the password (a zero one here, so it is refused and the session stays the client's).
  // Deadlines are checked against the clock, not only by timers: a client may block the event loop
  // while it reconnects, and a timer then fires before the I/O that had already arrived.
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  let reconnected = false;
  void client.nextReconnect().then(() => {
    reconnected = true;
  });
  const cutAt = performance.now();
  const deadline = cutAt + deadlineMs;
  const cutter = await RawSession.connect({
    host,
    port,
    sessionId: client.sessionId(),
    connectTimeout: 60_000,
  });
  if (!cutter.expired) {
    await cutter.close();
    throw new Error('the server accepted a zero password: the connection was not cut');
  }
  await cutter.closed;

  let reregisterMs: number | null = null;
  let watchesNow = 0;
  let reregisterFailure: string | undefined;
  while (!reconnected && performance.now() < deadline) await sleep(5);
  if (!reconnected) {
    reregisterFailure = `no reconnect within ${num(deadlineMs)} ms`;
  } else {
    for (;;) {
      const replied = await new Promise<boolean>((resolve) =>
        client.probe((error) => resolve(error === null)),
      );
      const at = performance.now();
      watchesNow = (await serverWatches()) - baseline;
      if (replied && watchesNow >= count) {
        reregisterMs = at - cutAt;
        break;
      }
      if (performance.now() > deadline) {
        reregisterFailure = `${num(watchesNow)} of ${num(count)} watches back after ${num(deadlineMs)} ms`;
        break;
      }
      await sleep(20);
    }
  }
  stalls.disable();
  const longestStallMs = stalls.max / 1e6;
  return {
    ...memory,
    reregisterMs,
    serverWatchesAfterReconnect: watchesNow,
    longestStallMs,
    ...(reregisterFailure === undefined ? {} : { reregisterFailure }),
  };
}

function num(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
