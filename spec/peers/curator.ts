// Curator 5.4 as a real peer in tests: a CuratorPeer runs one of the Java drivers in
// spec/peers/curator/ (each a DriverBase: one CuratorFramework, commands as JSON lines over
// stdin/stdout) against the same server as zookit clients, so a spec can put a Curator
// InterProcessMutex, LeaderLatch or ServiceDiscovery beside zookit's and check that they share
// it. The drivers are compiled with javac against Debian's jars (scripts/ensure-curator.sh) on
// first use, into a directory named by a hash of their sources, so parallel jest workers and
// stale classes never mix.
//
// Nothing a spec starts may outlive it: a peer registers with the harness's process registry as
// KazooPeer does (spec/peers/kazoo.ts), and the driver exits when its stdin ends.

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { registerOpen, trackProcess, unregisterOpen } from '../../testing/process-registry.js';

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

/** Default bound of one request, ms. */
const REQUEST_TIMEOUT = 15_000;

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

interface Pending {
  cmd: string;
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
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
export class CuratorPeer {
  /** Every event pushed so far, in order (`ready` first). */
  readonly events: CuratorEvent[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly waiters = new Set<() => void>();
  private nextId = 1;
  private stderrTail = '';
  private readonly exited: Promise<void>;
  private hasExited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    const untrack = trackProcess(child.pid!);
    registerOpen(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        this.hasExited = true;
        untrack();
        unregisterOpen(this);
        const error = new Error(
          `the Curator driver exited${this.stderrTail ? `; its stderr:\n${this.stderrTail}` : ''}`,
        );
        for (const [id, pending] of this.pending) {
          clearTimeout(pending.timer);
          pending.reject(error);
          this.pending.delete(id);
        }
        this.notify();
        resolve();
      });
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-4000);
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.receive(line));
    child.stdin.on('error', () => undefined);
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
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    if (!spawned) throw new Error('cannot run java: install a JDK');
    const peer = new CuratorPeer(child);
    try {
      await peer.waitFor((e) => e.event === 'ready', 'the driver to connect', { timeout: startTimeout });
    } catch (error) {
      await peer.stop();
      throw new Error(`the Curator peer ${driver} did not start`, { cause: error });
    }
    return peer;
  }

  /** The driver's process id. */
  get pid(): number {
    return this.child.pid!;
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

  /** Sends one command; resolves with its result, or rejects with a CuratorError or after `timeout` ms. */
  request<T = unknown>(
    cmd: string,
    args: Record<string, unknown> = {},
    timeout = REQUEST_TIMEOUT,
  ): Promise<T> {
    if (this.hasExited) return Promise.reject(new Error(`Curator ${cmd}: the driver has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`Curator ${cmd} got no answer within ${timeout} ms`));
      }, timeout);
      this.pending.set(id, { cmd, resolve: (r) => resolve(r as T), reject, timer });
      this.child.stdin.write(`${JSON.stringify({ ...args, id, cmd })}\n`);
    });
  }

  /**
   * The first event (from index `since` of `events` on) that satisfies `predicate`; rejects after
   * `timeout` ms or when the driver exits.
   */
  async waitFor(
    predicate: (event: CuratorEvent) => boolean,
    what: string,
    { timeout = REQUEST_TIMEOUT, since = 0 }: { timeout?: number; since?: number } = {},
  ): Promise<CuratorEvent> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.events.slice(since).find(predicate);
      if (found !== undefined) return found;
      if (this.hasExited) throw new Error(`the Curator driver exited while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeout} ms waiting for Curator: ${what}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Ends the driver: its recipes close, then its session; SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.hasExited) return;
    this.child.stdin.end(`${JSON.stringify({ id: 0, cmd: 'stop' })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills the JVM at once (SIGKILL): its session lives on until the server expires it. */
  async kill(): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** stop(): the registry's name for it. */
  close(): Promise<void> {
    return this.stop();
  }

  private receive(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.stderrTail = `${this.stderrTail}\n(stdout) ${line}`.slice(-4000);
      return;
    }
    if (typeof message.event === 'string') {
      this.events.push(message as CuratorEvent);
      this.notify();
      return;
    }
    const pending = this.pending.get(message.id as number);
    if (pending === undefined) return;
    this.pending.delete(message.id as number);
    clearTimeout(pending.timer);
    if (message.ok === true) pending.resolve(message.result);
    else pending.reject(new CuratorError(String(message.type), String(message.message), pending.cmd));
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
