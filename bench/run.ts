// `npm run bench`: starts one fresh standalone server through the harness, measures every client
// on every workload and window — clients interleaved round by round, each measurement in a fresh
// child process — then the extra figures (time to connect, 100,000 watches), and writes the
// report (bench/RESULTS.md). Environment: BENCH_ROUNDS, BENCH_SECONDS, BENCH_WARMUP,
// BENCH_QUICK=1; for partial runs BENCH_CLIENTS, BENCH_WORKLOADS, BENCH_WATCHES (counts, comma-separated),
// BENCH_WATCH_KINDS (exists,data), BENCH_OUT;
// BENCH_PROFILE=1 for zookit's CPU profiles; BENCH_PIN=0 to leave the CPUs unpinned.

import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, join, relative } from 'node:path';
import { ZooKeeperClient } from '../lib/client/client.js';
import { NodeExistsError } from '../lib/errors.js';
import { resolveBackend } from '../testing/backend.js';
import { startTestingServer, type TestingServer } from '../testing/index.js';
import { HARNESS_RUN_DIR_ENV } from '../testing/process-registry.js';
import { type ChildSpec, ERROR_PREFIX, RESULT_PREFIX } from './child-spec.js';
import { CLIENT_NAMES, type ClientName, loadPeer } from './clients/client.js';
import { type CpuPlan, pinnedForkOptions, pinProcess, planCpus } from './cpu-pinning.js';
import {
  HOLD_IDLE_MS,
  IDLE_PROBE_MS,
  WATCHED_PARENT,
  type WatchFigure,
  type WatchKindName,
  watchFigurePath,
} from './driver.js';
import { renderFullReport } from './full-report.js';
import { JAVA_WINDOWS, javaMeasureArgs, prepareJavaPeer } from './java-peer.js';
import { type Measurement, median } from './measurement.js';
import { kazooUnavailable, runKazooWatches } from './peers/kazoo.js';
import { type RecipeFigures, runRecipeBench } from './recipes/run.js';
import { REPO_ROOT } from './repo-root.js';
import { type CellKey, cellKey, type RunReport, type WatchCell } from './report.js';
import type { SessionFigures } from './sessions/figures.js';
import { runSessionsBench } from './sessions/sessions-bench.js';
import { CHILD_COUNT, PATHS, VALUE_1M_BYTES, VALUE_100, WORKLOADS, type Workload } from './workloads.js';

const CHILD_SCRIPT = join(__dirname, 'child.js');

/** The server's JVM: a fixed production-like heap and G1, with the full JIT (no TieredStopAtLevel). */
const SERVER_JVM_FLAGS = ['-Xms512m', '-Xmx512m', '-XX:+UseG1GC'];

/** The run's settings, from the environment. */
interface Config {
  /** BENCH_SMOKE=1: the CI smoke (tiny counts, figures meaningless). */
  smoke: boolean;
  quick: boolean;
  /** Whether only part of the suite runs (BENCH_CLIENTS / BENCH_WORKLOADS). */
  partial: boolean;
  rounds: number;
  measureMs: number;
  warmupMs: number;
  /** Per workload, before anything is measured: the server's JIT warms up on the raw client. */
  serverWarmupMs: number;
  clients: ClientName[];
  workloads: Workload[];
  /** Connects timed per client per round. */
  connectsPerRound: number;
  /** Watch counts of the watch figure, each run for every kind. */
  watches: number[];
  watchKinds: WatchKindName[];
  /** Rounds of the watch figure for zookit (both handlers); the peers get one (they are there for comparison). */
  watchRounds: number;
  watchDeadlineMs: number;
  out: string;
  /** BENCH_PROFILE=1: zookit's measurement processes write V8 CPU profiles here. */
  profileDir: string | undefined;
  /** The parts after the main table (BENCH_PARTS, default all): recipe workloads, many sessions. */
  parts: ReadonlySet<'recipes' | 'sessions'>;
  /** Rounds and seconds per round of the recipe workloads. */
  recipeRounds: number;
  recipeSeconds: number;
}

function readConfig(env: NodeJS.ProcessEnv): Config {
  // BENCH_SMOKE=1: every workload, client and figure at a tiny count, so CI sees the benchmark
  // run end to end (spec/bench/smoke.spec.ts); its figures mean nothing.
  const smoke = env['BENCH_SMOKE'] === '1';
  const quick = smoke || env['BENCH_QUICK'] === '1';
  const number = (name: string, fallback: number, min: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min)
      throw new Error(`${name} must be a number ≥ ${min}, got ${text}`);
    return value;
  };
  const list = <T extends string>(name: string, known: readonly T[]): T[] | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const items = text.split(',').map((s) => s.trim());
    for (const item of items)
      if (!known.includes(item as T)) throw new Error(`${name}: unknown ${item}; known: ${known.join(', ')}`);
    return items as T[];
  };
  const clients = list('BENCH_CLIENTS', CLIENT_NAMES);
  const workloadNames = list(
    'BENCH_WORKLOADS',
    WORKLOADS.map((w) => w.name),
  );
  const profile = env['BENCH_PROFILE'] === '1';
  // BENCH_PARTS=none: the main table and the watch figure only.
  const parts =
    env['BENCH_PARTS'] === 'none'
      ? []
      : (list('BENCH_PARTS', ['recipes', 'sessions'] as const) ?? (['recipes', 'sessions'] as const));
  const partial = clients !== undefined || workloadNames !== undefined;
  const kind = smoke ? 'smoke' : quick ? 'quick' : partial ? 'partial' : profile ? 'profiled' : undefined;
  return {
    smoke,
    quick,
    partial,
    rounds: Math.round(number('BENCH_ROUNDS', quick ? 1 : 5, 1)),
    measureMs: number('BENCH_SECONDS', smoke ? 0.05 : quick ? 0.25 : 1, 0.05) * 1000,
    // Each measurement is a fresh process: its JIT needs a moment before the clock starts, the
    // same moment for every client (BENCH_WARMUP, seconds).
    warmupMs: number('BENCH_WARMUP', smoke ? 0 : quick ? 0.1 : 0.3, 0) * 1000,
    serverWarmupMs: smoke ? 50 : quick ? 300 : 1000,
    // The ceiling is always measured: every ratio is taken against it.
    clients:
      clients === undefined
        ? [...CLIENT_NAMES]
        : CLIENT_NAMES.filter((c) => c === 'raw' || clients.includes(c)),
    workloads:
      workloadNames === undefined ? [...WORKLOADS] : WORKLOADS.filter((w) => workloadNames.includes(w.name)),
    connectsPerRound: smoke ? 1 : quick ? 3 : 5,
    watches: (env['BENCH_WATCHES'] ?? (smoke ? '200' : quick ? '2000,20000' : '10000,100000'))
      .split(',')
      .map((t) => Math.round(Number(t)))
      .filter((n) => Number.isFinite(n) && n > 0),
    watchKinds: list('BENCH_WATCH_KINDS', ['exists', 'data'] as const) ?? ['exists', 'data'],
    watchRounds: quick ? 1 : 3,
    watchDeadlineMs: 5000,
    profileDir: profile ? join(__dirname, 'profiles') : undefined,
    parts: new Set(parts),
    recipeRounds: Math.round(number('BENCH_RECIPE_ROUNDS', quick ? 1 : 3, 1)),
    recipeSeconds: number('BENCH_RECIPE_SECONDS', quick ? 1 : 5, 0.5),
    // A smoke, partial or profiled run must not overwrite the committed report.
    out:
      env['BENCH_OUT'] ??
      (kind === undefined ? join(REPO_ROOT, 'bench', 'RESULTS.md') : join(__dirname, `RESULTS-${kind}.md`)),
  };
}

/** What a child answered. */
type ChildOutcome<T> = { ok: true; value: T } | { ok: false; error: string };

let currentChild: ChildProcess | undefined;
/** The CPUs every measurement process is pinned to, when the run pins (see cpu-pinning.ts). */
let clientCpus: string | undefined;
/** Set on SIGINT/SIGTERM: no further child is started. */
let stopping = false;

/** Forks one measurement child and waits for its answer; kills it after `timeoutMs`. */
function runChild<T>(spec: ChildSpec, timeoutMs: number, execArgv: string[] = []): Promise<ChildOutcome<T>> {
  if (stopping) return Promise.resolve({ ok: false, error: 'the run was stopped' });
  const child = fork(CHILD_SCRIPT, [JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    ...(clientCpus === undefined ? { execArgv } : pinnedForkOptions(clientCpus, execArgv)),
  });
  return answerOf<T>(child, timeoutMs);
}

/** Runs one measurement of the Java client (java-peer.ts), pinned like a forked child. */
function runJava<T>(args: string[], timeoutMs: number): Promise<ChildOutcome<T>> {
  if (stopping) return Promise.resolve({ ok: false, error: 'the run was stopped' });
  const child =
    clientCpus === undefined
      ? spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('taskset', ['-c', clientCpus, 'java', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return answerOf<T>(child, timeoutMs);
}

/** Waits for a measurement process's one answer line (child-spec.ts); kills it after `timeoutMs`. */
function answerOf<T>(child: ChildProcess, timeoutMs: number): Promise<ChildOutcome<T>> {
  return new Promise((resolve) => {
    currentChild = child;
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `could not start: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      currentChild = undefined;
      const lines = stdout.split('\n');
      // The last: a watch figure child prints its memory figures first, then the whole figure.
      const result = [...lines].reverse().find((l) => l.startsWith(RESULT_PREFIX));
      const error = lines.find((l) => l.startsWith(ERROR_PREFIX));
      // A result printed before a crash on close (the native binding can) still counts.
      if (result !== undefined) {
        resolve({ ok: true, value: JSON.parse(result.slice(RESULT_PREFIX.length)) as T });
        return;
      }
      const why =
        error?.slice(ERROR_PREFIX.length) ??
        (timedOut
          ? `no answer within ${timeoutMs} ms (killed)`
          : `exited (${signal ?? `code ${code}`}) without a result${stderr ? `: ${lastLine(stderr)}` : ''}`);
      resolve({ ok: false, error: why });
    });
  });
}

/** The value under `key`, made and stored first if missing. */
function entry<K extends string, V>(record: Partial<Record<K, V>>, key: K, make: () => V): V {
  const found = record[key];
  if (found !== undefined) return found;
  const made = make();
  record[key] = made;
  return made;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1]!.slice(0, 300);
}

/** The Java client's class path once compiled (prepareJavaPeer), when it is measured. */
let javaClasspath: string | undefined;

/** Which peers load; a missing or unbuildable one is reported, never fatal. */
function peerAvailability(clients: readonly ClientName[]): Partial<Record<ClientName, string>> {
  const unavailable: Partial<Record<ClientName, string>> = {};
  for (const name of clients) {
    if (name === 'java') {
      const peer = prepareJavaPeer(join(REPO_ROOT, 'bench', 'peers'), join(__dirname, 'java-classes'));
      if ('unavailable' in peer) unavailable.java = peer.unavailable;
      else javaClasspath = peer.classpath;
      continue;
    }
    if (name !== 'node-zookeeper-client' && name !== 'zookeeper') continue;
    try {
      loadPeer(name);
    } catch (error) {
      const message = (error as Error).message.split('\n')[0];
      unavailable[name] =
        `could not be loaded from bench/node_modules (${message}); ` +
        (name === 'zookeeper'
          ? 'its native build (node-gyp, bundled C client) may have failed during `npm --prefix bench install`'
          : 'run `npm --prefix bench install`');
    }
  }
  return unavailable;
}

/** The `count` existing nodes the `data` watch figure watches (children of WATCHED_PARENT), through zookit. */
async function createWatchedNodes(connectString: string, count: number): Promise<void> {
  const zk = new ZooKeeperClient({ hosts: connectString, sessionTimeout: 30_000 });
  await zk.start();
  try {
    // Made once per run, for the largest count; a node already there is fine.
    const ignoreExisting = (error: unknown): void => {
      if (!(error instanceof NodeExistsError)) throw error;
    };
    await zk.create(WATCHED_PARENT).catch(ignoreExisting);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) await zk.create(watchFigurePath('data', next++)).catch(ignoreExisting);
    };
    await Promise.all(Array.from({ length: 1000 }, worker));
  } finally {
    await zk.stop();
  }
}

/** The znodes every workload reads or writes, created once through zookit. */
async function setUp(connectString: string): Promise<void> {
  const zk = new ZooKeeperClient({ hosts: connectString, sessionTimeout: 30_000 });
  await zk.start();
  try {
    await zk.create(PATHS.root);
    await zk.create(PATHS.value100, VALUE_100);
    await zk.create(PATHS.set100, VALUE_100);
    await zk.create(PATHS.value1m, Buffer.alloc(VALUE_1M_BYTES, 'zookit-bench/'));
    await zk.create(PATHS.pairs);
    await zk.create(PATHS.children);
    await Promise.all(
      Array.from({ length: CHILD_COUNT }, (_, i) =>
        zk.create(`${PATHS.children}/child-${String(i).padStart(4, '0')}`),
      ),
    );
  } finally {
    await zk.stop();
  }
}

function machine(
  serverVersion: string,
  java: string,
  busyBefore: number,
  cpuPlan: CpuPlan | { unpinned: string },
): RunReport['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: os.totalmem() / 1e9,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    server: serverVersion,
    java,
    jvmFlags: SERVER_JVM_FLAGS.join(' '),
    busyBefore,
    pinning:
      'server' in cpuPlan
        ? `server on CPU ${cpuPlan.server}, each client process on CPU ${cpuPlan.client} (taskset)`
        : `not pinned (${cpuPlan.unpinned}): server and clients share the CPUs`,
  };
}

async function javaVersion(): Promise<string> {
  try {
    const backend = await resolveBackend();
    if (backend.kind !== 'local') return `(${backend.kind} backend)`;
    const out = spawnSync(backend.java, ['-version'], { encoding: 'utf8' });
    return (out.stderr || out.stdout).split('\n')[0]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * A directory of this run for the server's data (the harness puts data directories there when
 * ZOOKIT_HARNESS_RUN_DIR names one). A run killed by SIGKILL cannot delete its server's data; the
 * next run deletes what such runs left, recognised by a process id that is no longer alive.
 */
function serverRunDir(): string {
  const base = join(__dirname, 'servers');
  mkdirSync(base, { recursive: true });
  for (const name of readdirSync(base)) {
    const pid = Number(/^run-(\d+)$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && !isAlive(pid)) rmSync(join(base, name), { recursive: true, force: true });
  }
  const dir = join(base, `run-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Formats a report inside the repository with its own Biome, which lays out markdown tables: a
 * committed RESULTS.md must pass `biome ci`. Best effort: without Biome the report stays as written.
 */
function formatWithBiome(file: string): void {
  if (relative(REPO_ROOT, file).startsWith('..')) return;
  const biome = join(REPO_ROOT, 'node_modules', '.bin', 'biome');
  spawnSync(biome, ['format', '--write', '--no-errors-on-unmatched', file], {
    cwd: REPO_ROOT,
    stdio: 'ignore',
  });
}

/** Share of all CPUs (0–1) busy over the next `ms` (Linux /proc/stat; NaN elsewhere). */
async function machineBusy(ms: number): Promise<number> {
  const sample = (): { busy: number; total: number } | undefined => {
    try {
      const fields = readFileSync('/proc/stat', 'utf8')
        .split('\n')[0]!
        .trim()
        .split(/\s+/)
        .slice(1)
        .map(Number);
      const total = fields.reduce((a, b) => a + b, 0);
      // idle and iowait are the 4th and 5th fields.
      return { busy: total - fields[3]! - fields[4]!, total };
    } catch {
      return undefined;
    }
  };
  const a = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = sample();
  if (a === undefined || b === undefined || b.total === a.total) return Number.NaN;
  return (b.busy - a.busy) / (b.total - a.total);
}

function countLines(file: string | undefined, needle: string): number {
  if (file === undefined) return 0;
  try {
    return readFileSync(file, 'utf8').split(needle).length - 1;
  } catch {
    return 0;
  }
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const startedAt = new Date();
  const busyBefore = await machineBusy(1000);
  const t0 = Date.now();
  const unavailable = peerAvailability(config.clients);
  const clients = config.clients.filter((c) => unavailable[c] === undefined);
  for (const [name, why] of Object.entries(unavailable)) console.log(`bench: ${name} is unavailable: ${why}`);
  if (busyBefore > 0.1) {
    console.log(
      `bench: warning: ${fmt(busyBefore * 100)}% of the CPUs were busy before the run; ` +
        'the client and the server share them, so other work skews every figure',
    );
  }

  const runDir = serverRunDir();
  process.env[HARNESS_RUN_DIR_ENV] = runDir;
  console.log('bench: starting a standalone ZooKeeper server');
  const server: TestingServer = await startTestingServer({ jvmFlags: SERVER_JVM_FLAGS, logLevel: 'warn' });
  const cpuPlan: CpuPlan | { unpinned: string } =
    server.pid === undefined ? { unpinned: 'the server is not a local process' } : planCpus(process.env);
  if ('server' in cpuPlan) {
    pinProcess(server.pid!, cpuPlan.server);
    pinProcess(process.pid, cpuPlan.client);
    clientCpus = cpuPlan.client;
    console.log(`bench: server pinned to CPU ${cpuPlan.server}, clients to CPU ${cpuPlan.client}`);
  } else {
    console.log(`bench: warning: not pinning CPUs (${cpuPlan.unpinned}): server and clients share them`);
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`bench: ${signal}: stopping`);
    currentChild?.kill('SIGKILL');
    void server.close().finally(() => {
      rmSync(runDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const cs = server.connectString;
    await setUp(cs);
    const srvr = await server.fourLetterWord('srvr');
    // Debian's build reports "3.8.0-${mvngit.commit.id}": an unexpanded Maven placeholder.
    const serverVersion = (/Zookeeper version: ([^,\n]+)/.exec(srvr)?.[1] ?? 'unknown')
      .replace(/-\$\{[^}]*\}/, '')
      .trim();
    console.log(`bench: server ${serverVersion} on ${cs}; ${clients.join(', ')}`);

    const measureTimeout = config.warmupMs + config.measureMs + 60_000;
    for (const w of config.workloads) {
      const warm = await runChild<Measurement>(
        {
          mode: 'measure',
          client: 'raw',
          connectString: cs,
          workload: w.name,
          window: 100,
          warmupMs: 0,
          measureMs: config.serverWarmupMs,
        },
        measureTimeout + config.serverWarmupMs,
      );
      if (!warm.ok) throw new Error(`server warm-up on ${w.name} failed: ${warm.error}`);
    }

    const cells: Record<CellKey, { runs: Measurement[]; failures: string[] }> = {};
    const measuredAt = (client: ClientName, window: number): boolean =>
      client !== 'java' || JAVA_WINDOWS.includes(window);
    const total =
      config.workloads.reduce(
        (n, w) =>
          n + w.windows.reduce((k, window) => k + clients.filter((c) => measuredAt(c, window)).length, 0),
        0,
      ) * config.rounds;
    let done = 0;
    for (const w of config.workloads) {
      for (const window of w.windows) {
        for (let round = 1; round <= config.rounds; round++) {
          for (const client of clients) {
            if (!measuredAt(client, window)) continue;
            const outcome =
              client === 'java'
                ? await runJava<Measurement>(
                    javaMeasureArgs(
                      javaClasspath!,
                      cs,
                      w.name,
                      window,
                      config.warmupMs,
                      config.measureMs,
                      config.smoke ? 0 : undefined,
                    ),
                    measureTimeout + 20_000,
                  )
                : await runChild<Measurement>(
                    {
                      mode: 'measure',
                      client,
                      connectString: cs,
                      workload: w.name,
                      window,
                      warmupMs: config.warmupMs,
                      measureMs: config.measureMs,
                    },
                    measureTimeout,
                    client === 'zookit' && config.profileDir !== undefined
                      ? [
                          '--cpu-prof',
                          '--cpu-prof-dir',
                          config.profileDir,
                          '--cpu-prof-name',
                          `${w.name}-w${window}-r${round}.cpuprofile`,
                        ]
                      : [],
                  );
            done++;
            const cell = entry(cells, cellKey(w.name, window, client), () => ({ runs: [], failures: [] }));
            const tag = `[${String(done).padStart(String(total).length)}/${total}] ${w.name} w=${window} r${round} ${client}`;
            if (outcome.ok) {
              const m = outcome.value;
              cell.runs.push(m);
              console.log(
                `${tag}: ${fmt(m.opsPerSec)} ops/s, p50 ${fmt(m.p50Us)} µs, p99 ${fmt(m.p99Us)} µs, ` +
                  `${fmt(m.cpuUsPerOp, 1)} µs CPU/op, ${fmt(m.rssMb)} MB`,
              );
            } else {
              cell.failures.push(outcome.error);
              console.log(`${tag}: FAILED: ${outcome.error}`);
            }
          }
        }
      }
    }

    if (stopping) return;
    const connect: RunReport['connect'] = {};
    for (let round = 1; round <= config.rounds; round++) {
      for (const client of clients) {
        if (client === 'java') continue; // measured at window 1 only (java-peer.ts)
        const times = entry(connect, client, () => ({ times: [], failures: [] }));
        const outcome = await runChild<{ connectMs: number[] }>(
          { mode: 'connect', client, connectString: cs, count: config.connectsPerRound },
          60_000,
        );
        if (outcome.ok) times.times.push(...outcome.value.connectMs);
        else times.failures.push(outcome.error);
      }
    }
    console.log(
      `bench: time to connect (median ms): ${Object.entries(connect)
        .map(([c, e]) => `${c} ${fmt(median(e.times), 2)}`)
        .join(', ')}`,
    );

    if (stopping) return;
    const watches: WatchCell[] = [];
    const kazooMissing = kazooUnavailable();
    if (kazooMissing !== undefined) console.log(`bench: kazoo is unavailable: ${kazooMissing}`);
    const watchClients = [
      ...clients.filter((c): c is Exclude<ClientName, 'raw' | 'java'> => c !== 'raw' && c !== 'java'),
      ...(kazooMissing === undefined ? (['kazoo'] as const) : []),
    ];
    for (const kind of config.watchKinds) {
      if (kind === 'data' && config.watches.length > 0)
        await createWatchedNodes(cs, Math.max(...config.watches));
      for (const count of config.watches) {
        for (let round = 1; round <= config.watchRounds; round++) {
          for (const client of watchClients) {
            if (stopping) return;
            if (!client.startsWith('zookit') && round > 1) continue;
            let cell = watches.find((w) => w.client === client && w.kind === kind && w.count === count);
            if (cell === undefined) {
              cell = { client, kind, count, runs: [], failures: [], serverLenErrors: 0 };
              watches.push(cell);
            }
            const lenErrorsBefore = countLines(server.logFile, 'Len error');
            const timeoutMs = config.watchDeadlineMs + 120_000;
            const outcome =
              client === 'kazoo'
                ? await runKazooWatches(
                    {
                      connectString: cs,
                      count,
                      kind,
                      deadlineMs: config.watchDeadlineMs,
                      pathPrefix: watchFigurePath(kind, 0).slice(0, -1),
                      holdIdleMs: HOLD_IDLE_MS,
                      idleProbeMs: IDLE_PROBE_MS,
                    },
                    timeoutMs,
                    clientCpus,
                  )
                : await runChild<WatchFigure>(
                    {
                      mode: 'watches',
                      client,
                      connectString: cs,
                      count,
                      kind,
                      deadlineMs: config.watchDeadlineMs,
                    },
                    timeoutMs,
                    ['--expose-gc'],
                  );
            cell.serverLenErrors += countLines(server.logFile, 'Len error') - lenErrorsBefore;
            const tag = `bench: watches ${kind} ${fmt(count)} r${round} ${client}`;
            if (outcome.ok) {
              const f = outcome.value;
              cell.runs.push(f);
              console.log(
                `${tag}: registered in ${fmt(f.registerMs)} ms, ` +
                  `+${fmt((f.addedRssMb * 1e6) / count)} B RSS/watch at once, ` +
                  `${fmt(((f.heldRssMb ?? Number.NaN) * 1e6) / count)} B held after idle, re-registered ${
                    f.reregisterMs === null
                      ? `FAILED (${f.reregisterFailure})`
                      : `in ${fmt(f.reregisterMs)} ms`
                  }`,
              );
            } else {
              cell.failures.push(outcome.error);
              console.log(`${tag}: FAILED: ${outcome.error}`);
            }
          }
        }
      }
    }

    if (stopping) return;
    let recipes: RecipeFigures | undefined;
    if (config.parts.has('recipes')) {
      // A fresh server of its own, placed as the first: the recipes write thousands of nodes, and
      // no figure above should have paid for them, nor these for the table's writes.
      console.log('bench: recipe workloads (zookit, kazoo, Curator) on a fresh standalone server');
      const recipeServer = await startTestingServer({ jvmFlags: SERVER_JVM_FLAGS, logLevel: 'warn' });
      try {
        if ('server' in cpuPlan) pinProcess(recipeServer.pid!, cpuPlan.server);
        recipes = await runRecipeBench({
          connectString: recipeServer.connectString,
          rounds: config.recipeRounds,
          seconds: config.recipeSeconds,
          smoke: config.smoke,
          cpus: cpuPlan,
          log: (line) => console.log(`bench: recipes: ${line}`),
        });
      } finally {
        await recipeServer.close();
      }
    }

    if (stopping) return;
    let sessions: SessionFigures | undefined;
    if (config.parts.has('sessions')) {
      // Its own 3-member ensembles (one per handler), after the standalone servers are done with.
      // It places its servers and its client itself (cpu-pinning.ts), so it needs this process's
      // whole affinity back: pinned to the client CPU, every server it starts would share that CPU
      // with the sessions (the run of 194e248 did, and its connect figures paid for it).
      if ('server' in cpuPlan) pinProcess(process.pid, `${cpuPlan.server},${cpuPlan.client}`);
      console.log('bench: many sessions in one process against a 3-member ensemble');
      sessions = await runSessionsBench({
        clients: config.smoke ? 20 : 1000,
        idleSeconds: config.smoke ? 2 : 20,
        handlers: ['sequential', 'worker-shared'],
        smoke: config.smoke,
        log: (line) => console.log(`bench: sessions: ${line}`),
      });
    }

    if (stopping) return;
    // The raw numbers go next to the build, one file per kind of report, named after it.
    const dataFile = join(__dirname, `${basename(config.out, '.md')}.json`);
    const report: RunReport = {
      startedAt: startedAt.toISOString(),
      dataFile: relative(REPO_ROOT, dataFile),
      durationS: (Date.now() - t0) / 1000,
      quick: config.quick,
      partial: config.partial,
      ...(config.profileDir === undefined ? {} : { profileDir: relative(REPO_ROOT, config.profileDir) }),
      rounds: config.rounds,
      measureS: config.measureMs / 1000,
      warmupS: config.warmupMs / 1000,
      serverWarmupS: config.serverWarmupMs / 1000,
      connectsPerClient: config.connectsPerRound * config.rounds,
      watchRounds: config.watchRounds,
      watchDeadlineS: config.watchDeadlineMs / 1000,
      machine: machine(serverVersion, await javaVersion(), busyBefore, cpuPlan),
      clients,
      unavailable,
      workloads: config.workloads,
      cells,
      connect,
      watches,
      ...(recipes === undefined ? {} : { recipes }),
      ...(sessions === undefined ? {} : { sessions }),
    };
    mkdirSync(join(config.out, '..'), { recursive: true });
    writeFileSync(config.out, renderFullReport(report));
    formatWithBiome(config.out);
    writeFileSync(dataFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `bench: wrote ${relative(process.cwd(), config.out)} (and ${relative(process.cwd(), dataFile)}) ` +
        `in ${fmt((Date.now() - t0) / 1000)} s`,
    );
  } finally {
    await server.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error)?.stack ?? String(error)}`);
  process.exitCode = 1;
});
