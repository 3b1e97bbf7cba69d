// Curator 5.4 as a real peer in tests: a CuratorPeer runs one of the Java drivers in
// spec/peers/curator/ (each a DriverBase: one CuratorFramework, commands as JSON lines over
// stdin/stdout) against the same server as zookit clients, so a spec can put a Curator
// InterProcessMutex, LeaderLatch or ServiceDiscovery beside zookit's and check that they share
// it. The drivers are compiled with javac against Debian's jars (scripts/ensure-curator.sh) on
// first use, into a directory named by a hash of their sources, so parallel jest workers and
// stale classes never mix.
//
// Nothing a spec starts may outlive it: the process plumbing is LinePeer's (spec/peers/line-peer.ts),
// shared with KazooPeer, and the driver exits when its stdin ends.

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type AnswerLine, LinePeer, spawned } from './line-peer.js';

const SOURCE_DIR = join(__dirname, 'curator');
const BUILD_ROOT = join(__dirname, '..', '..', '.build', 'curator-peers');

/** Curator 5.4, curator-x-discovery, ZooKeeper 3.8's client and what they need, from Debian's packages. */
export const CURATOR_CLASSPATH = [
  'curator-framework',
  'curator-client',
  'curator-recipes',
  'curator-x-discovery',
  'zookeeper',
  'zookeeper-jute',
  'guava',
  'jackson-databind',
  'jackson-core',
  'jackson-annotations',
  'slf4j-api',
  'slf4j-nop',
].map((name) => `/usr/share/java/${name}.jar`);

/** A small JVM: the drivers hold one client each. */
const JVM_FLAGS = ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

/** A line the driver pushes unasked: `ready` (with `sessionId`), `state` (Curator's state name), or a driver's own. */
export interface CuratorEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** A command the driver answered with an exception; `type` is its Java class's simple name. */
export class CuratorError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly command: string,
  ) {
    super(`Curator ${command}: ${type}: ${message}`);
    this.name = 'CuratorError';
  }
}

/**
 * Compiles every driver in spec/peers/curator/ (once per set of sources) and returns the class
 * directory. Throws with javac's output, or with the missing jars.
 */
export function buildCuratorDrivers(): string {
  const sources = readdirSync(SOURCE_DIR)
    .filter((f) => f.endsWith('.java'))
    .sort();
  const hash = createHash('sha256');
  for (const file of sources) hash.update(file).update(readFileSync(join(SOURCE_DIR, file)));
  const out = join(BUILD_ROOT, hash.digest('hex').slice(0, 16));
  if (existsSync(out)) return out;
  const missing = CURATOR_CLASSPATH.filter((jar) => !existsSync(jar));
  if (missing.length > 0)
    throw new Error(`Curator jars missing (scripts/ensure-curator.sh): ${missing.join(', ')}`);
  const scratch = `${out}.${process.pid}`;
  mkdirSync(scratch, { recursive: true });
  const javac = spawnSync(
    'javac',
    [
      '-nowarn',
      '-cp',
      CURATOR_CLASSPATH.join(':'),
      '-d',
      scratch,
      ...sources.map((f) => join(SOURCE_DIR, f)),
    ],
    { encoding: 'utf8' },
  );
  if (javac.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`javac of spec/peers/curator failed: ${javac.stderr || javac.error?.message}`);
  }
  try {
    renameSync(scratch, out);
  } catch {
    // Another worker got there first with the same classes.
    rmSync(scratch, { recursive: true, force: true });
  }
  return out;
}

export interface CuratorPeerOptions {
  /** The session timeout Curator asks for, ms (default 10 000). */
  sessionTimeout?: number;
  /** How long the driver may take to start and connect, ms (default 30 000: a cold JVM). */
  startTimeout?: number;
}

/** One CuratorFramework in its own JVM. Start with `CuratorPeer.start(driver, hosts)`; always `stop()`. */
export class CuratorPeer extends LinePeer<CuratorEvent> {
  private constructor(child: ChildProcessWithoutNullStreams) {
    // 15 s: a JVM's first requests compile as they go.
    super(child, 'the Curator driver', 15_000);
  }

  /** Runs `driver` (a class in spec/peers/curator/) against `hosts`; resolves once Curator is connected. */
  static async start(driver: string, hosts: string, options: CuratorPeerOptions = {}): Promise<CuratorPeer> {
    const { sessionTimeout = 10_000, startTimeout = 30_000 } = options;
    const classes = buildCuratorDrivers();
    const child = spawn(
      'java',
      [...JVM_FLAGS, '-cp', [classes, ...CURATOR_CLASSPATH].join(':'), driver, hosts, String(sessionTimeout)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    if (!(await spawned(child))) throw new Error('cannot run java: install a JDK');
    const peer = new CuratorPeer(child);
    try {
      await peer.waitFor((e) => e.event === 'ready', 'the driver to connect', { timeout: startTimeout });
    } catch (error) {
      await peer.stop();
      throw new Error(`the Curator peer ${driver} did not start`, { cause: error });
    }
    return peer;
  }

  /** The session id Curator had when it became ready. */
  get sessionId(): bigint {
    const ready = this.events.find((e) => e.event === 'ready');
    if (ready === undefined) throw new Error('the Curator peer is not connected yet');
    return BigInt(ready.sessionId as string);
  }

  /** The session id Curator has now (Curator replaces its handle after an expiry). */
  async currentSessionId(): Promise<bigint> {
    return BigInt(await this.request<string>('sessionId'));
  }

  protected errorOf(answer: AnswerLine, cmd: string): Error {
    return new CuratorError(String(answer.type), String(answer.message), cmd);
  }

  protected askToStop(): void {
    this.child.stdin.end(`${JSON.stringify({ id: 0, cmd: 'stop' })}\n`);
  }
}
