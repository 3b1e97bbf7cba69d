// ZooKeeper's own Java client as a peer of the main table (bench/peers/JavaClientBench.java):
// compiled once per run with javac against Debian's jars, then run as one JVM per measurement,
// pinned like every other measurement process. Measured at window 1 only, where issue 19 sets its
// goal against it; a JVM per cell at every window would add minutes to the run for figures no goal
// reads.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's zookeeper package puts its jars here (and python3-kazoo's peers are apt packages too). */
const JAR_DIR = '/usr/share/java';
/** What the client needs at run time; slf4j-nop keeps its logging off, as the other clients' is. */
const JARS = ['zookeeper.jar', 'zookeeper-jute.jar', 'slf4j-api.jar', 'slf4j-nop.jar'];

/** Windows the Java client is measured at. */
export const JAVA_WINDOWS: readonly number[] = [1];

/**
 * The JVM's warm-up, ms: its JIT compiles the request path later than V8 does, so it gets at least
 * this much before the clock starts (more than the Node clients get, which can only favour it).
 */
export const JAVA_MIN_WARMUP_MS = 2000;

/** The class path to run with, or why the Java client cannot run here. */
export type JavaPeer = { classpath: string } | { unavailable: string };

/** Compiles JavaClientBench into `outDir` (once per run). */
export function prepareJavaPeer(sourceDir: string, outDir: string): JavaPeer {
  const jars = JARS.map((jar) => join(JAR_DIR, jar));
  const missing = jars.filter((jar) => !existsSync(jar));
  if (missing.length > 0) return { unavailable: `missing ${missing.join(', ')} (apt install zookeeper)` };
  mkdirSync(outDir, { recursive: true });
  const classpath = jars.join(':');
  const javac = spawnSync(
    'javac',
    ['-nowarn', '-d', outDir, '-cp', classpath, join(sourceDir, 'JavaClientBench.java')],
    { encoding: 'utf8' },
  );
  if (javac.error !== undefined) return { unavailable: `javac could not run: ${javac.error.message}` };
  if (javac.status !== 0) return { unavailable: `javac failed: ${javac.stderr.trim().split('\n')[0]}` };
  return { classpath: `${classpath}:${outDir}` };
}

/** The java command line of one measurement. */
export function javaMeasureArgs(
  classpath: string,
  connectString: string,
  workload: string,
  window: number,
  warmupMs: number,
  measureMs: number,
  minWarmupMs: number = JAVA_MIN_WARMUP_MS,
): string[] {
  return [
    '-cp',
    classpath,
    'JavaClientBench',
    connectString,
    workload,
    String(window),
    String(Math.round(Math.max(warmupMs, minWarmupMs))),
    String(Math.round(measureMs)),
  ];
}
