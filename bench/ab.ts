// A/B of two builds of zookit on one fresh server: `node .build/bench/ab.js`. Each measurement is a
// child process (bench/ab-child.ts) running the benchmark's own driver and adapter from build A or
// build B, alternating A, B, B, A round by round so neither build always goes first on a busy
// machine; the raw ceiling is measured in the same rounds for the ratios. Prints the medians and
// writes every run as JSON. Environment:
//   AB_A, AB_B          the two .build directories (default: /work/wt-perf-base/.build and this one)
//   AB_WORKLOADS        get100,set100,createDelete (default all three)
//   AB_WINDOWS          1,10,100,1000 (default)
//   AB_ROUNDS           rounds (default 5); AB_SECONDS, AB_WARMUP: measured and warm-up seconds (1, 0.5)
//   AB_PIN=0            leave the CPUs unpinned (default: server on the first half, clients on the rest)
//   AB_RAW=0            skip the raw ceiling
//   AB_HEAP=dir         instead of timing, write one sampling heap profile per build and cell into dir
//   AB_CPU_PROF=dir     also write a V8 CPU profile of every zookit child into dir
//   AB_STRACE=dir       run every child under `strace -c -f` (syscall counts per child, into dir; unpinned)
//   AB_OUT              the JSON file (default .build/bench/ab.json)

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZooKeeperClient } from '../lib/client/client.js';
import { startTestingServer } from '../testing/index.js';
import { AB_RESULT_PREFIX, type AbChildSpec, type AbResult } from './ab-child.js';
import { pinnedForkOptions, pinProcess, planCpus } from './cpu-pinning.js';
import { median } from './measurement.js';
import { PATHS, VALUE_100 } from './workloads.js';

const env = process.env;
const HERE_BUILD = join(__dirname, '..');
const BUILD_A = env['AB_A'] ?? '/work/wt-perf-base/.build';
const BUILD_B = env['AB_B'] ?? HERE_BUILD;
const WORKLOADS = (env['AB_WORKLOADS'] ?? 'get100,set100,createDelete').split(
  ',',
) as AbChildSpec['workload'][];
const WINDOWS = (env['AB_WINDOWS'] ?? '1,10,100,1000').split(',').map(Number);
const ROUNDS = Number(env['AB_ROUNDS'] ?? 5);
const MEASURE_MS = Number(env['AB_SECONDS'] ?? 1) * 1000;
const WARMUP_MS = Number(env['AB_WARMUP'] ?? 0.5) * 1000;
const HEAP_DIR = env['AB_HEAP'];
const WITH_RAW = env['AB_RAW'] !== '0' && HEAP_DIR === undefined;
const CPU_PROF_DIR = env['AB_CPU_PROF'];
const STRACE_DIR = env['AB_STRACE'];
const OUT = env['AB_OUT'] ?? join(__dirname, 'ab.json');

type Arm = 'raw' | 'A' | 'B';

let clientCpus: string | undefined;

function runChild(spec: AbChildSpec, name?: string): Promise<AbResult> {
  return new Promise((resolve, reject) => {
    const script = join(__dirname, 'ab-child.js');
    const execArgv =
      CPU_PROF_DIR !== undefined && name !== undefined && spec.client === 'zookit'
        ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR, '--cpu-prof-name', `${name}.cpuprofile`]
        : [];
    const options =
      STRACE_DIR !== undefined && name !== undefined
        ? {
            execPath: 'strace',
            execArgv: ['-c', '-f', '-o', join(STRACE_DIR, `${name}-${spec.client}.txt`), process.execPath],
          }
        : clientCpus === undefined
          ? { execArgv }
          : pinnedForkOptions(clientCpus, execArgv);
    const child = fork(script, [JSON.stringify(spec)], {
      ...options,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), spec.warmupMs + spec.measureMs + 60_000);
    child.on('exit', () => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(AB_RESULT_PREFIX));
      if (line === undefined) reject(new Error(`child failed: ${out.trim()}`));
      else resolve(JSON.parse(line.slice(AB_RESULT_PREFIX.length)) as AbResult);
    });
  });
}

async function setUp(connectString: string): Promise<void> {
  const zk = new ZooKeeperClient({ hosts: connectString, sessionTimeout: 30_000 });
  await zk.start();
  try {
    await zk.create(PATHS.root);
    await zk.create(PATHS.value100, VALUE_100);
    await zk.create(PATHS.set100, VALUE_100);
    await zk.create(PATHS.pairs);
  } finally {
    await zk.stop();
  }
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');

async function main(): Promise<void> {
  const server = await startTestingServer({
    jvmFlags: ['-Xms512m', '-Xmx512m', '-XX:+UseG1GC'],
    logLevel: 'warn',
  });
  const plan = planCpus(env.AB_PIN === '0' ? { BENCH_PIN: '0' } : env);
  if ('server' in plan && server.pid !== undefined) {
    pinProcess(server.pid, plan.server);
    clientCpus = plan.client;
  }
  const pinning =
    clientCpus === undefined
      ? 'unpinned'
      : `server CPU ${(plan as { server: string }).server}, client CPU ${clientCpus}`;
  console.log(`ab: A=${BUILD_A} B=${BUILD_B}; ${pinning}; ${ROUNDS} rounds`);
  const results: Array<{ workload: string; window: number; arm: Arm; round: number; result: AbResult }> = [];
  try {
    const cs = server.connectString;
    await setUp(cs);
    const base = { connectString: cs, warmupMs: WARMUP_MS, measureMs: MEASURE_MS };
    for (const workload of WORKLOADS) {
      // The server's JIT first, as bench/run.ts does.
      await runChild({
        ...base,
        buildDir: BUILD_B,
        client: 'raw',
        workload,
        window: 100,
        mode: 'cpu',
        warmupMs: 0,
      });
      for (const window of WINDOWS) {
        for (let round = 1; round <= ROUNDS; round++) {
          const order: Arm[] = round % 2 === 1 ? ['A', 'B'] : ['B', 'A'];
          if (WITH_RAW) order.unshift('raw');
          for (const arm of order) {
            const spec: AbChildSpec = {
              ...base,
              buildDir: arm === 'A' ? BUILD_A : BUILD_B,
              client: arm === 'raw' ? 'raw' : 'zookit',
              workload,
              window,
              mode: HEAP_DIR === undefined ? 'cpu' : 'heap',
            };
            if (HEAP_DIR !== undefined) {
              mkdirSync(HEAP_DIR, { recursive: true });
              spec.heapProfile = join(HEAP_DIR, `${arm}-${workload}-w${window}-r${round}.heapprofile`);
            }
            const result = await runChild(spec, `${arm}-${workload}-w${window}-r${round}`);
            results.push({ workload, window, arm, round, result });
          }
        }
        const cell = (arm: Arm, key: keyof AbResult): number =>
          median(
            results
              .filter((r) => r.workload === workload && r.window === window && r.arm === arm)
              .map((r) => r.result[key]),
          );
        const raw = cell('raw', 'cpuUsPerOp');
        const line = (['A', 'B'] as const).map(
          (arm) =>
            `${arm}: ${fmt(cell(arm, 'opsPerSec'), 0)} ops/s p50 ${fmt(cell(arm, 'p50Us'), 0)} µs cpu ${fmt(cell(arm, 'cpuUsPerOp'), 2)} µs/op` +
            ` (${fmt(cell(arm, 'cpuUsPerOp') / raw, 2)}× raw) alloc ${fmt(cell(arm, 'allocBytesPerOp'), 0)} B/op gc ${fmt(cell(arm, 'minorGcs'), 0)}/${fmt(cell(arm, 'majorGcs'), 0)}`,
        );
        console.log(
          `${workload} w=${window}: raw ${fmt(cell('raw', 'opsPerSec'), 0)} ops/s p50 ${fmt(cell('raw', 'p50Us'), 0)} cpu ${fmt(raw, 2)} | ${line.join(' | ')}`,
        );
      }
    }
  } finally {
    writeFileSync(OUT, JSON.stringify({ pinning, buildA: BUILD_A, buildB: BUILD_B, results }, null, 1));
    await server.close();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
