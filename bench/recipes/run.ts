// The recipe benchmark (issue 19): lock hand-off, election fail-over (leader resigns; leader's
// client closes), counter and LockingQueue, for zookit, kazoo and Curator on one server, the
// peers interleaved round by round (zookit, kazoo, Curator, then again), every measurement on
// fresh znodes with fresh driver processes. `runRecipeBench` is what `npm run bench` and the CI
// smoke call; main.ts runs it on a server of its own.

import { ZooKeeperClient } from '../../lib/client/client.js';
import type { CpuPlan } from '../cpu-pinning.js';
import {
  type DriverConfig,
  type DriverResult,
  RECIPE_WORKLOADS,
  type RecipePeer,
  type RecipeWorkload,
} from './contract.js';
import { buildCuratorDriver, checkClock, DriverProcess, layoutOf } from './drivers.js';
import { type AfterRun, measure, type RecipeMeasurement } from './figures.js';

/** One implementation in a workload's table: a peer, and for Curator's counter which recipe. */
export interface RecipeEntrant {
  label: string;
  peer: RecipePeer;
  variant?: 'shared' | 'atomic';
}

/** A row of the figures: one workload, one entrant, every round. */
export interface RecipeRow {
  workload: RecipeWorkload;
  entrant: RecipeEntrant;
  rounds: RecipeMeasurement[];
  failures: string[];
}

/** Everything a recipe run measured, for renderRecipeSection. */
export interface RecipeFigures {
  startedAt: string;
  rounds: number;
  /** Measured span of each measurement, s. */
  seconds: number;
  contenders: number;
  /** How long a leader leads before it resigns or closes, ms. */
  holdMs: number;
  smoke: boolean;
  /** Where the server and the drivers ran. */
  placement: string;
  /** The monotonic-clock check of each peer's driver. */
  clock: string[];
  /** How zookit's contenders were spread over processes. */
  zookitLayout: string;
  rows: RecipeRow[];
}

/** Options of runRecipeBench. */
export interface RecipeBenchOptions {
  /** The server (a fresh standalone 3.8.0 for comparable figures). */
  connectString: string;
  /** Interleaved rounds (3 for a full run). */
  rounds: number;
  /** Measured span of each measurement, s. */
  seconds: number;
  /** Every workload and peer at a tiny count (2 contenders, 1 round): throws on any failure. */
  smoke?: boolean;
  /** Where the drivers run: the plan's client CPUs, or unpinned with the reason (cpu-pinning.ts). */
  cpus?: CpuPlan | { unpinned: string };
  /** Contenders per measurement (default 8; smoke 2). */
  contenders?: number;
  /** zookit's contenders in one Node process ('one', default) or one process each ('each'). */
  zookitProcesses?: 'one' | 'each';
  /** Workloads to run (default all). */
  workloads?: readonly RecipeWorkload[];
  /** Peers to run (default all). */
  peers?: readonly RecipePeer[];
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** The entrants of a workload, in table order. */
export function entrantsOf(workload: RecipeWorkload): RecipeEntrant[] {
  const zookit: RecipeEntrant = { label: 'zookit', peer: 'zookit' };
  const kazoo: RecipeEntrant = { label: 'kazoo', peer: 'kazoo' };
  switch (workload) {
    case 'lock':
      return [zookit, kazoo, { label: 'Curator InterProcessMutex', peer: 'curator' }];
    case 'counter':
      return [
        zookit,
        kazoo,
        { label: 'Curator SharedCount', peer: 'curator', variant: 'shared' },
        { label: 'Curator DistributedAtomicLong', peer: 'curator', variant: 'atomic' },
      ];
    case 'queue':
      return [zookit, kazoo, { label: 'Curator DistributedQueue + lockPath', peer: 'curator' }];
    default:
      return [zookit, kazoo, { label: 'Curator LeaderLatch', peer: 'curator' }];
  }
}

/** How long a leader leads before it resigns or closes, ms. */
const HOLD_MS = 2;
const RTT_SAMPLES = 200;
/** Time for every driver to connect and print READY, ms (a JVM with 8 sessions takes a few s). */
const READY_TIMEOUT_MS = 60_000;
/** Time after the end for the drivers to finish and report, ms (Curator closes 8 clients). */
const RESULT_TIMEOUT_MS = 60_000;
const ROOT = '/zookit-bench-recipes';

/** Runs every workload for every peer, interleaved round by round, and returns the figures. */
export async function runRecipeBench(options: RecipeBenchOptions): Promise<RecipeFigures> {
  const smoke = options.smoke ?? false;
  const rounds = smoke ? 1 : options.rounds;
  const contenders = options.contenders ?? (smoke ? 2 : 8);
  const zookitProcesses = options.zookitProcesses ?? 'one';
  const workloads = options.workloads ?? RECIPE_WORKLOADS;
  const peers = options.peers ?? ['zookit', 'kazoo', 'curator'];
  const log = options.log ?? (() => {});
  const cpus = options.cpus !== undefined && 'client' in options.cpus ? options.cpus.client : undefined;
  const placement =
    options.cpus === undefined
      ? 'unpinned (no plan given)'
      : 'client' in options.cpus
        ? `server on CPU ${options.cpus.server}; every driver process (and this runner) on CPU ${options.cpus.client}`
        : `unpinned: ${options.cpus.unpinned}`;
  if (peers.includes('curator')) buildCuratorDriver();
  const clock = peers.map((peer) => checkClock(peer));
  const badClock = clock.find((c) => !c.ok);
  if (badClock !== undefined)
    throw new Error(`driver clock is not the runner's monotonic clock: ${badClock.detail}`);

  const base = process.hrtime.bigint();
  const admin = new ZooKeeperClient({ hosts: options.connectString, sessionTimeout: 30_000 });
  await admin.start({ timeout: 20_000 });
  const runId = `${Date.now()}`;
  const rows: RecipeRow[] = [];
  try {
    for (const workload of workloads)
      for (const entrant of entrantsOf(workload))
        if (peers.includes(entrant.peer)) rows.push({ workload, entrant, rounds: [], failures: [] });
    for (let round = 1; round <= rounds; round++) {
      for (const row of rows) {
        const name = `${row.workload}-${row.entrant.label.replace(/\W+/g, '_')}-${round}`;
        log(`round ${round}/${rounds}: ${row.workload} ${row.entrant.label}`);
        try {
          const figure = await measureOnce(admin, {
            ...row,
            path: `${ROOT}/${runId}/${name}`,
            connectString: options.connectString,
            contenders,
            seconds: smoke ? Math.min(options.seconds, 1) : options.seconds,
            base,
            cpus,
            zookitProcesses,
          });
          row.rounds.push(figure);
          if (figure.problem !== null) log(`  check failed: ${figure.problem}`);
          if (smoke && figure.problem !== null)
            throw new Error(`${row.workload} ${row.entrant.label}: ${figure.problem}`);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          row.failures.push(message);
          log(`  failed: ${message}`);
          if (smoke) throw new Error(`${row.workload} ${row.entrant.label}: ${message}`);
        }
      }
    }
    // Each measurement leaves its znodes; the run's subtree goes at the end.
    await admin.delete(`${ROOT}/${runId}`, { recursive: true }).catch(() => {});
  } finally {
    await admin.close();
  }
  return {
    startedAt: new Date().toISOString(),
    rounds,
    seconds: options.seconds,
    contenders,
    holdMs: HOLD_MS,
    smoke,
    placement,
    clock: clock.map((c) => c.detail),
    zookitLayout:
      zookitProcesses === 'one'
        ? `${contenders} clients (sessions) in one Node process`
        : `${contenders} Node processes, one client each`,
    rows,
  };
}

interface MeasureOrder {
  workload: RecipeWorkload;
  entrant: RecipeEntrant;
  path: string;
  connectString: string;
  contenders: number;
  seconds: number;
  base: bigint;
  cpus: string | undefined;
  zookitProcesses: 'one' | 'each';
}

async function measureOnce(admin: ZooKeeperClient, order: MeasureOrder): Promise<RecipeMeasurement> {
  const { workload, entrant, path, contenders } = order;
  const counterPath = `${path}-counter`;
  await admin.ensurePath(path.slice(0, path.lastIndexOf('/')));
  await admin.create(counterPath, '0');
  const layout = layoutOf(entrant.peer, contenders, order.zookitProcesses);
  const drivers: DriverProcess[] = [];
  try {
    for (let p = 0; p < layout.processes; p++) {
      const config: DriverConfig = {
        workload,
        connectString: order.connectString,
        path,
        counterPath,
        contenders: layout.contendersPerProcess,
        firstIndex: p * layout.contendersPerProcess,
        total: contenders,
        baseNs: String(order.base),
        holdMs: HOLD_MS,
        rttSamples: RTT_SAMPLES,
        ...(entrant.variant === undefined ? {} : { variant: entrant.variant }),
      };
      drivers.push(new DriverProcess(entrant.peer, config, order.cpus));
    }
    await withTimeout(Promise.all(drivers.map((d) => d.ready)), READY_TIMEOUT_MS, 'drivers to be READY');
    const endNs = process.hrtime.bigint() + BigInt(Math.round(order.seconds * 1e9));
    for (const driver of drivers) driver.go(endNs);
    const results: DriverResult[] = await withTimeout(
      Promise.all(drivers.map((d) => d.result)),
      order.seconds * 1000 + RESULT_TIMEOUT_MS,
      'driver results',
    );
    return measure(workload, results, order.seconds, await readAfter(admin, order, counterPath));
  } finally {
    for (const driver of drivers) driver.kill();
  }
}

/** What the server holds after the run: the counter's value, or the entries left in the queue. */
async function readAfter(
  admin: ZooKeeperClient,
  order: MeasureOrder,
  counterPath: string,
): Promise<AfterRun> {
  const { workload, entrant, path } = order;
  if (workload === 'lock') return { value: Number(String((await admin.get(counterPath))[0])) };
  if (workload === 'counter') {
    const [data] = await admin.get(path);
    const bytes = data ?? Buffer.alloc(0);
    if (entrant.variant === 'shared')
      return { value: bytes.length === 4 ? bytes.readInt32BE(0) : Number.NaN };
    if (entrant.variant === 'atomic')
      return { value: bytes.length === 8 ? Number(bytes.readBigInt64BE(0)) : 0 };
    return { value: bytes.length === 0 ? 0 : Number(bytes.toString('latin1')) };
  }
  if (workload === 'queue') {
    if (entrant.peer === 'curator') {
      const children = await admin.getChildren(path);
      return { remaining: children.filter((name) => name.startsWith('queue-')).length };
    }
    return { remaining: (await admin.getChildren(`${path}/entries`)).length };
  }
  return {};
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
