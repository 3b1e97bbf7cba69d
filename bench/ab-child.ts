// One A/B measurement (bench/ab.ts) in a process of its own, run against a build named on the
// command line: the same driver and client adapter as `npm run bench` (bench/child.ts), loaded
// from that build's .build/bench, so two builds of zookit are measured by identical code. On top
// of the benchmark's figures it reports the bytes the JS heap allocated per request
// (bench/allocation-meter.ts, over the driver's measured interval) and, in `heap` mode,
// a sampling heap profile of the interval whose samples include objects the GC already freed.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { type AllocationCount, startAllocationMeter } from './allocation-meter.js';

/** What bench/ab.ts asks of one child. */
export interface AbChildSpec {
  /** The `.build` directory whose bench/ and lib/ are measured. */
  buildDir: string;
  client: 'raw' | 'zookit';
  connectString: string;
  workload: 'get100' | 'set100' | 'createDelete';
  window: number;
  warmupMs: number;
  measureMs: number;
  /** `cpu`: the figures only; `heap`: also a sampling heap profile, written to `heapProfile`. */
  mode: 'cpu' | 'heap';
  heapProfile?: string;
}

/** What one child answers (bench's Measurement, plus the allocation figure). */
export interface AbResult {
  ops: number;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  cpuUsPerOp: number;
  /** JS heap bytes allocated per op over the measured interval. */
  allocBytesPerOp: number;
  /** Scavenges and mark-compacts in the measured interval. */
  minorGcs: number;
  majorGcs: number;
}

export const AB_RESULT_PREFIX = 'AB-RESULT ';

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

async function main(): Promise<void> {
  process.on('disconnect', () => process.exit(3));
  const spec = JSON.parse(process.argv[2] ?? '') as AbChildSpec;
  const benchDir = join(spec.buildDir, 'bench');
  const driver = require(join(benchDir, 'driver.js'));
  const { createClient } = require(join(benchDir, 'clients', 'client.js'));
  const { runRaw } = require(join(benchDir, 'clients', 'raw.js'));

  // The driver reads process.cpuUsage() at the start and end of its interval; the allocation
  // figure is taken over the same interval by wrapping those two reads.
  let meter: ReturnType<typeof startAllocationMeter> | undefined;
  let reads = 0;
  let heapSession: Session | undefined;
  let alloc: AllocationCount | undefined;
  const cpuUsage = process.cpuUsage.bind(process);
  const pendingProfile: Array<Promise<void>> = [];
  process.cpuUsage = ((previous?: NodeJS.CpuUsage) => {
    if (previous === undefined) {
      // The interval's start (the driver reads it once when the warm-up ends, and once before).
      reads++;
      if (reads === 2) {
        if (heapSession !== undefined)
          pendingProfile.push(
            post(heapSession, 'HeapProfiler.startSampling', {
              samplingInterval: 4096,
              includeObjectsCollectedByMajorGC: true,
              includeObjectsCollectedByMinorGC: true,
            }),
          );
        meter = startAllocationMeter();
      }
      return cpuUsage();
    }
    const used = cpuUsage(previous);
    alloc = meter?.stop();
    if (heapSession !== undefined) {
      const session = heapSession;
      pendingProfile.push(
        post<{ profile: unknown }>(session, 'HeapProfiler.stopSampling').then(({ profile }) => {
          writeFileSync(spec.heapProfile!, JSON.stringify(profile));
        }),
      );
    }
    return used;
  }) as typeof process.cpuUsage;

  if (spec.mode === 'heap') {
    heapSession = new Session();
    heapSession.connect();
  }

  let client: { connect(cs: string): Promise<void>; close(): Promise<void> } | undefined;
  try {
    const timing = { warmupMs: spec.warmupMs, measureMs: spec.measureMs };
    let m: { ops: number; opsPerSec: number; p50Us: number; p99Us: number; cpuUsPerOp: number };
    if (spec.client === 'raw') {
      m = await runRaw(spec.connectString, spec.workload, spec.window, timing);
    } else {
      client = await createClient('zookit');
      await client!.connect(spec.connectString);
      m = await driver.drive(
        driver.issuerFor(client, spec.workload, `ab${process.pid}`),
        spec.window,
        timing,
      );
    }
    await Promise.all(pendingProfile);
    const result: AbResult = {
      ops: m.ops,
      opsPerSec: m.opsPerSec,
      p50Us: m.p50Us,
      p99Us: m.p99Us,
      cpuUsPerOp: m.cpuUsPerOp,
      allocBytesPerOp: alloc === undefined ? Number.NaN : alloc.bytes / m.ops,
      minorGcs: alloc?.minorGcs ?? 0,
      majorGcs: alloc?.majorGcs ?? 0,
    };
    process.stdout.write(`${AB_RESULT_PREFIX}${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stdout.write(`AB-ERROR ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  }
  await Promise.race([client?.close(), new Promise((resolve) => setTimeout(resolve, 3000))]).catch(() => {});
  process.exit();
}

// Run as a child only: bench/ab.ts imports the types and the result prefix from here.
if (require.main === module) void main();
