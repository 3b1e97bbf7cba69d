import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Environment variable naming the directory where each started JVM leaves a `<pid>.pid` file;
 * jest's global setup creates it and its global teardown kills whatever is still listed there.
 */
export const HARNESS_RUN_DIR_ENV = 'ZOOKIT_HARNESS_RUN_DIR';

/** Anything the harness started that `stopAllServers` must close (testing servers and clusters). */
export interface Closable {
  close(): Promise<void>;
}

interface TrackedProcess {
  readonly pid: number;
  readonly reaper: ChildProcess | undefined;
  readonly pidFile: string | undefined;
}

const liveProcesses = new Map<number, TrackedProcess>();
const openResources = new Set<Closable>();
let exitHookInstalled = false;

/**
 * Records a live server process so nothing outlives its Node process: a synchronous SIGKILL on
 * `exit`, a detached watchdog that kills it within a second or two if Node dies by SIGKILL, and a
 * pid file for jest's global teardown. Call the returned function once the process has exited.
 */
export function trackProcess(pid: number): () => void {
  installExitHook();
  const tracked: TrackedProcess = { pid, reaper: spawnReaper(pid), pidFile: writePidFile(pid) };
  liveProcesses.set(pid, tracked);
  return () => {
    if (liveProcesses.get(pid) !== tracked) return;
    liveProcesses.delete(pid);
    if (tracked.reaper?.pid !== undefined) signalGroup(tracked.reaper.pid, 'SIGKILL');
    if (tracked.pidFile) rmSync(tracked.pidFile, { force: true });
  };
}

/** Process ids of the server processes this Node process currently runs. */
export function trackedPids(): number[] {
  return [...liveProcesses.keys()];
}

/** Records a started testing server or cluster for `stopAllServers`. */
export function registerOpen(resource: Closable): void {
  openResources.add(resource);
}

/** Forgets a closed testing server or cluster. */
export function unregisterOpen(resource: Closable): void {
  openResources.delete(resource);
}

/**
 * Closes every testing server and cluster still open in this process and SIGKILLs any server
 * process left over (one caught mid-start). jest-cleanup.ts runs it after each test file, so a
 * failing test cannot leak servers into the next file. Rejects with an AggregateError if any
 * close failed, after trying them all.
 */
export async function stopAllServers(): Promise<void> {
  const resources = [...openResources];
  openResources.clear();
  const results = await Promise.allSettled(resources.map((resource) => resource.close()));
  for (const pid of trackedPids()) killQuietly(pid);
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (failures.length > 0)
    throw new AggregateError(failures, `stopAllServers: ${failures.length} close() call(s) failed`);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work runs in an exit listener, which is all a SIGKILL needs. Inside a jest
  // sandbox `process` is a copy whose exit event never fires; the reaper and the pid files cover
  // that case.
  process.on('exit', () => {
    for (const pid of liveProcesses.keys()) killQuietly(pid);
  });
}

/**
 * A detached shell that outlives us: once our pid is gone it SIGKILLs the server. It polls every
 * second and exits by itself when the server exits first, so it never kills a recycled pid late.
 * A dead Node process counts as alive until its parent reaps it (jest's does so within a second).
 */
function spawnReaper(pid: number): ChildProcess | undefined {
  const script =
    `while kill -0 ${pid} 2>/dev/null; do ` +
    `if ! kill -0 ${process.pid} 2>/dev/null; then kill -9 ${pid} 2>/dev/null; exit 0; fi; ` +
    'sleep 1; done';
  try {
    const reaper = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    reaper.on('error', () => {});
    reaper.unref();
    return reaper;
  } catch {
    // Without sh the other two safety nets still apply.
    return undefined;
  }
}

function writePidFile(pid: number): string | undefined {
  const runDir = process.env[HARNESS_RUN_DIR_ENV];
  if (!runDir) return undefined;
  const file = join(runDir, `${pid}.pid`);
  try {
    writeFileSync(file, `${pid}\n`);
    return file;
  } catch {
    return undefined;
  }
}

/** Signals a detached child's whole process group, so its `sleep` goes too. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
