// Keeps the server and the client under measurement on separate CPUs (Linux `taskset`). On a small
// machine they otherwise share every core, and where the scheduler happens to put them decides
// the figures: on 2 cores, unpinned runs of the same client alternate between about 18,000 and
// 34,000 getData/s at 1,000 outstanding, and the p50 at 1 outstanding is about 170 µs instead of
// about 100 µs. Pinned, the rounds agree, and every client gets the same CPU budget (its worker or
// C I/O thread included), as it would on a host of its own. BENCH_PIN=0 turns it off.

import { spawnSync } from 'node:child_process';
import os from 'node:os';

/** The CPU lists (taskset syntax) for the server and for each measurement process. */
export interface CpuPlan {
  server: string;
  client: string;
}

/** The plan for this machine, or why there is none. */
export function planCpus(env: NodeJS.ProcessEnv): CpuPlan | { unpinned: string } {
  if (env['BENCH_PIN'] === '0') return { unpinned: 'BENCH_PIN=0' };
  if (process.platform !== 'linux') return { unpinned: `not Linux (${process.platform})` };
  const cpus = os.availableParallelism();
  if (cpus < 2) return { unpinned: 'a single CPU' };
  if (spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status !== 0) return { unpinned: 'no taskset' };
  // The CPUs this process may use, in order; the first half goes to the server.
  const allowed = allowedCpus();
  if (allowed.length < 2) return { unpinned: 'a single CPU allowed to this process' };
  const half = Math.floor(allowed.length / 2);
  return { server: allowed.slice(0, half).join(','), client: allowed.slice(half).join(',') };
}

/** Pins every thread of a running process (and the threads it starts later) to `cpus`. */
export function pinProcess(pid: number, cpus: string): void {
  const out = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid} failed: ${out.stderr.trim()}`);
}

/**
 * fork() options that start the child's Node under `taskset -c cpus`, so every thread it ever has
 * (libuv's pool, V8's, a worker, a native client's) is on those CPUs from the first instruction.
 */
export function pinnedForkOptions(
  cpus: string,
  execArgv: string[],
): { execPath: string; execArgv: string[] } {
  return { execPath: 'taskset', execArgv: ['-c', cpus, process.execPath, ...execArgv] };
}

/** The CPUs in this process's affinity mask, as taskset reports them. */
function allowedCpus(): number[] {
  const out = spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
  // "pid 123's current affinity list: 0-3,6"
  const list = /list:\s*(.+)$/m.exec(out.stdout)?.[1]?.trim() ?? '';
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) continue;
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}
