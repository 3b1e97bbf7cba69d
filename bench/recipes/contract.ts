// What the runner and the three recipe drivers (zookit-driver.ts, kazoo_driver.py,
// CuratorDriver.java) say to each other, as plain data. A driver gets one JSON argument (a
// DriverConfig), connects one session per contender, measures a few getData round trips, prints
// `READY`, waits for `GO <endNs>` on stdin, runs the workload until its monotonic clock passes
// endNs, and prints `RESULT <json>` (a DriverResult). Times are CLOCK_MONOTONIC nanoseconds minus
// the runner's `baseNs`, so the runner can merge the events of every process of a run on one time
// line (Node's hrtime.bigint, Python's time.monotonic_ns and Java's System.nanoTime all read
// CLOCK_MONOTONIC on Linux; the runner checks it with the drivers' `clock` command before it
// trusts a merge: docs/recipes.md#benchmark-clock).

/** The four recipe workloads. */
export const RECIPE_WORKLOADS = ['lock', 'election-resign', 'election-close', 'counter', 'queue'] as const;
export type RecipeWorkload = (typeof RECIPE_WORKLOADS)[number];

/** The recipe implementations compared. */
export const RECIPE_PEERS = ['zookit', 'kazoo', 'curator'] as const;
export type RecipePeer = (typeof RECIPE_PEERS)[number];

/** One driver process's orders. */
export interface DriverConfig {
  workload: RecipeWorkload;
  connectString: string;
  /** The recipe's znode (a fresh one per measurement). */
  path: string;
  /** The lock workload's counter znode (created by the runner, data `0`). */
  counterPath: string;
  /** Contenders in this process. */
  contenders: number;
  /** The index of this process's first contender among all (queue: 0–3 produce, 4–7 consume). */
  firstIndex: number;
  /** Contenders in the whole measurement (queue: the first half produce). */
  total: number;
  /** Subtracted from every time reported, ns (the runner's hrtime at its start), as a decimal string. */
  baseNs: string;
  /** How long an elected leader leads before resigning or closing, ms. */
  holdMs: number;
  /** Curator's counter: 'shared' (SharedCount) or 'atomic' (DistributedAtomicLong). */
  variant?: string;
  /** getData round trips timed before READY. */
  rttSamples: number;
}

/** What one driver process measured. */
export interface DriverResult {
  /** CPU time of this process (every thread) from GO to the end of the workload, ns. */
  cpuNs: number;
  /** getData round trips, ns. */
  rttNs: number[];
  /** lock: [grant, release] times of each grant, ns. */
  grants?: [number, number][];
  /** lock: read+write of the counter that failed with BadVersion (an overlap). */
  overlaps?: number;
  /** election: times a contender became leader, ns. */
  elected?: number[];
  /** election: times a leader called resign / close, ns. */
  resigned?: number[];
  /** counter: successful increments of each contender of this process. */
  increments?: number[];
  /** counter: failed compare-and-set attempts of each contender (BadVersion). */
  retries?: number[];
  /** queue: items put by each producer of this process (ids `<index>-<n>` for n below it). */
  produced?: Record<string, number>;
  /** queue: ids consumed by this process's consumers. */
  consumed?: string[];
}

export const READY_LINE = 'READY';
export const GO_PREFIX = 'GO ';
export const RESULT_PREFIX = 'RESULT ';
