// Starting the recipe drivers: which program runs each peer, how many processes and contenders
// per process (kazoo: one process per contender, the GIL; Curator: one JVM, a thread per
// contender; zookit: every contender in one Node process, or one each with `zookitProcesses`), the
// CPUs they are pinned to, and the READY / GO / RESULT exchange of contract.ts.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../repo-root.js';
import {
  type DriverConfig,
  type DriverResult,
  GO_PREFIX,
  READY_LINE,
  RESULT_PREFIX,
  type RecipePeer,
} from './contract.js';

const SOURCE_DIR = join(REPO_ROOT, 'bench', 'recipes');
const JAVA_BUILD_DIR = join(REPO_ROOT, '.build', 'bench', 'recipes', 'java');
/** kazoo is Debian's python3-kazoo, installed for /usr/bin/python3 (scripts/ensure-kazoo.sh). */
const PYTHON = '/usr/bin/python3';
/** Curator 5.4 and what it needs, from Debian's packages (scripts/ensure-curator.sh). */
const CURATOR_JARS = [
  'curator-framework',
  'curator-client',
  'curator-recipes',
  'zookeeper',
  'zookeeper-jute',
  'guava',
  'slf4j-api',
  'slf4j-nop',
].map((name) => `/usr/share/java/${name}.jar`);
/** The Curator driver's JVM: small heap, default JIT, like a small service. */
const JVM_FLAGS = ['-Xms256m', '-Xmx256m', '-XX:+UseG1GC'];

/** How one peer's contenders are spread over processes. */
export interface Layout {
  processes: number;
  contendersPerProcess: number;
}

/** The layout of `peer`'s `total` contenders. */
export function layoutOf(peer: RecipePeer, total: number, zookitProcesses: 'one' | 'each'): Layout {
  if (peer === 'kazoo' || (peer === 'zookit' && zookitProcesses === 'each'))
    return { processes: total, contendersPerProcess: 1 };
  return { processes: 1, contendersPerProcess: total };
}

/** Compiles CuratorDriver.java into .build/ unless the class is newer than the source. */
export function buildCuratorDriver(): void {
  const source = join(SOURCE_DIR, 'CuratorDriver.java');
  const built = join(JAVA_BUILD_DIR, 'CuratorDriver.class');
  if (existsSync(built) && statSync(built).mtimeMs >= statSync(source).mtimeMs) return;
  const missing = CURATOR_JARS.filter((jar) => !existsSync(jar));
  if (missing.length > 0)
    throw new Error(`Curator jars missing (scripts/ensure-curator.sh): ${missing.join(', ')}`);
  mkdirSync(JAVA_BUILD_DIR, { recursive: true });
  const out = spawnSync('javac', ['-cp', CURATOR_JARS.join(':'), '-d', JAVA_BUILD_DIR, source], {
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`javac CuratorDriver.java failed: ${out.stderr}`);
}

/** The program and arguments that run `peer`'s driver with `argument` (a config's JSON, or `clock`). */
export function driverCommand(peer: RecipePeer, argument: string): [string, string[]] {
  if (peer === 'zookit') return [process.execPath, [join(__dirname, 'zookit-driver.js'), argument]];
  if (peer === 'kazoo') return [PYTHON, [join(SOURCE_DIR, 'kazoo_driver.py'), argument]];
  return [
    'java',
    [...JVM_FLAGS, '-cp', [JAVA_BUILD_DIR, ...CURATOR_JARS].join(':'), 'CuratorDriver', argument],
  ];
}

/** `[command, args]` under `taskset -c cpus`, or as is when unpinned. */
function pinned(command: [string, string[]], cpus: string | undefined): [string, string[]] {
  return cpus === undefined ? command : ['taskset', ['-c', cpus, command[0], ...command[1]]];
}

/**
 * Checks that the driver's monotonic clock is the runner's: its reading must fall between the
 * runner's hrtime before and after running it. Returns the reading's offset inside that window, ns.
 */
export function checkClock(peer: RecipePeer): { ok: boolean; detail: string } {
  const [command, args] = driverCommand(peer, 'clock');
  const before = process.hrtime.bigint();
  const out = spawnSync(command, args, { encoding: 'utf8' });
  const after = process.hrtime.bigint();
  if (out.status !== 0) return { ok: false, detail: `${peer} clock check failed: ${out.stderr.trim()}` };
  const reading = BigInt(out.stdout.trim());
  const ok = before <= reading && reading <= after;
  return {
    ok,
    detail: `${peer}: ${reading - before} ns after the runner's reading before it, ${after - reading} ns before the one after it`,
  };
}

/** A driver process in the READY → GO → RESULT exchange. */
export class DriverProcess {
  readonly ready: Promise<void>;
  readonly result: Promise<DriverResult>;
  private readonly child: ChildProcess;
  private stderr = '';

  constructor(peer: RecipePeer, config: DriverConfig, cpus: string | undefined) {
    const [command, args] = pinned(driverCommand(peer, JSON.stringify(config)), cpus);
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 20_000) this.stderr += chunk.toString();
    });
    const lines = createInterface({ input: this.child.stdout! });
    const exited = new Promise<never>((_, reject) => {
      this.child.on('error', reject);
      // 'close', not 'exit': stdout is read to its end first, so a RESULT line is never lost.
      this.child.on('close', (code, signal) =>
        reject(
          new Error(`${peer} driver exited (${code ?? signal}) early: ${this.stderr.trim().slice(-2000)}`),
        ),
      );
    });
    exited.catch(() => {});
    this.ready = Promise.race([
      new Promise<void>((resolve) => lines.on('line', (line) => line === READY_LINE && resolve())),
      exited,
    ]);
    this.result = Promise.race([
      new Promise<DriverResult>((resolve) =>
        lines.on('line', (line) => {
          if (line.startsWith(RESULT_PREFIX)) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)));
        }),
      ),
      exited,
    ]);
    this.ready.catch(() => {});
    this.result.catch(() => {});
  }

  /** Starts the workload, to run until the monotonic clock reads `endNs`. */
  go(endNs: bigint): void {
    this.child.stdin!.write(`${GO_PREFIX}${endNs}\n`);
  }

  /** Ends the process (after a failure or a timeout). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
