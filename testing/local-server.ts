import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { type FourLetterWordOptions, fourLetterWord } from '../index.js';
import type { LocalBackend } from './backend-kinds.js';
import { choosePorts, ensemblePortChoice, LOOPBACK, standalonePortChoice } from './ports.js';
import { HARNESS_RUN_DIR_ENV, trackProcess } from './process-registry.js';
import { answersRuok, isServing, pollUntil, serverMode } from './readiness.js';
import {
  DEFAULT_START_TIMEOUT_MS,
  ensembleMemberConfig,
  jaasConfig,
  jvmFlagsFor,
  type MemberPorts,
  type ServerOptions,
  type StandaloneServerOptions,
  saslServerConfig,
  standaloneConfig,
} from './server-config.js';
import type { RestartOptions, RestartWaitFor, ServerHandle, ServerMode } from './server-handle.js';

/** How long `stop()` waits after SIGTERM before it sends SIGKILL, in milliseconds. */
export const STOP_GRACE_MS = 10_000;

/** Lines of the server log quoted in a start failure. */
const LOG_TAIL_LINES = 40;

/** Start attempts in all: the first plus up to three retries on fresh ports. */
const START_ATTEMPTS = 4;

const STANDALONE_MAIN = 'org.apache.zookeeper.server.ZooKeeperServerMain';
const QUORUM_PEER_MAIN = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

/** A server that did not come up; the message ends with the last 40 lines of its log when it has one. */
export class ServerStartError extends Error {
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_SERVER_START';
  /** True when fresh ports may help: the process exited during start, or its port was taken. */
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ServerStartError';
    this.retryable = retryable;
  }
}

/** Everything needed to run one local ZooKeeper JVM. */
interface LocalServerSpec {
  readonly backend: LocalBackend;
  readonly id: number;
  readonly role: 'standalone' | 'member';
  readonly dataDir: string;
  readonly port: number;
  /** JVM flags before -cp: heap, GC, JIT and every -D. */
  readonly jvmFlags: readonly string[];
  readonly startTimeoutMs: number;
  /** Set when the client port is TLS only: how the harness's own probes connect to it. */
  readonly tls?: TlsConnectionOptions;
}

/** One ZooKeeper JVM run from a local install, with its own data directory. */
export class LocalServer implements ServerHandle {
  readonly backend = 'local' as const;
  readonly host = LOOPBACK;
  readonly port: number;
  readonly id: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** The zoo.cfg this server reads; an ensemble member's server rewrites it on first start. */
  readonly configFile: string;
  readonly #spec: LocalServerSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #exitDescription = 'never started';
  #disposed = false;

  constructor(spec: LocalServerSpec) {
    this.#spec = spec;
    this.port = spec.port;
    this.id = spec.id;
    this.dataDir = spec.dataDir;
    this.logFile = join(spec.dataDir, 'server.log');
    this.configFile = join(spec.dataDir, 'zoo.cfg');
  }

  get connectString(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Spawns the JVM (java itself, not a shell, so `pid` is the JVM) without waiting for it to serve. */
  async launch(): Promise<void> {
    if (this.#child) throw new Error(`server ${this.id} on port ${this.port} is already running`);
    if (this.#disposed)
      throw new Error(`server ${this.id} on port ${this.port} was closed; its data is gone`);
    const { backend, role, jvmFlags } = this.#spec;
    const args = [
      ...jvmFlags,
      '-cp',
      backend.classPath.join(':'),
      role === 'standalone' ? STANDALONE_MAIN : QUORUM_PEER_MAIN,
      this.configFile,
    ];
    const log = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(backend.java, args, { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (cause) =>
        reject(
          new ServerStartError(`could not run ${backend.java} (${backend.source}): ${cause.message}`, false, {
            cause,
          }),
        ),
      );
    });
    // Signals to an already exited child can still emit 'error'; the exit handler below is the truth.
    child.on('error', () => {});
    const untrack = trackProcess(child.pid!);
    this.#child = child;
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitDescription = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        this.#child = undefined;
        untrack();
        resolve();
      });
    });
  }

  /**
   * Resolves once the server serves ('serving') or at least answers `ruok` ('process'); see
   * `RestartOptions.waitFor`. Rejects with a ServerStartError quoting the log if the process
   * exits first or the deadline passes.
   */
  async waitUntil(waitFor: RestartWaitFor, timeoutMs: number): Promise<void> {
    const { role } = this.#spec;
    const exited = new Error('exited');
    try {
      await pollUntil(
        () =>
          waitFor === 'process'
            ? answersRuok(this.host, this.port, { tls: this.#spec.tls })
            : isServing(this.host, this.port, role, { tls: this.#spec.tls }),
        {
          timeoutMs,
          abort: () => (this.#child ? undefined : exited),
          onTimeout: async () =>
            new ServerStartError(
              `server ${this.id} on ${this.connectString} did not ${waitFor === 'process' ? 'answer ruok' : 'serve'} within ${timeoutMs} ms` +
                `${role === 'member' ? ` (mode: ${(await this.mode()) ?? 'none'})` : ''}\n${await this.logTail()}`,
              false,
            ),
        },
      );
    } catch (error) {
      if (error !== exited) throw error;
    }
    if (!this.#child) {
      throw new ServerStartError(
        `server ${this.id} on ${this.connectString} ${this.#exitDescription} before it served\n${await this.logTail()}`,
        true,
      );
    }
  }

  /**
   * True when the server answering on our port is this one: its `conf` names our data directory.
   * Another server that grabbed the port between `freePorts` and our bind would answer too.
   */
  async isOwnPort(): Promise<boolean> {
    try {
      return (await this.fourLetterWord('conf', { timeout: 2000 })).includes(`dataDir=${this.dataDir}`);
    } catch {
      return false;
    }
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    // A paused JVM cannot run its shutdown on SIGTERM until it is continued.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await this.#exited;
    } finally {
      clearTimeout(escalate);
    }
  }

  /** Starts the server again on the same ports and data; if it never serves, it is left running. */
  async restart(options: RestartOptions = {}): Promise<void> {
    await this.stop();
    await this.launch();
    await this.waitUntil(options.waitFor ?? 'serving', options.timeoutMs ?? this.#spec.startTimeoutMs);
  }

  /** Resolves once every JVM thread has stopped, so nothing the caller does next gets an answer. */
  async pause(): Promise<void> {
    this.#signal('pause', 'SIGSTOP');
    await untilAllThreadsStopped(this.#child!.pid!);
  }

  async resume(): Promise<void> {
    this.#signal('resume', 'SIGCONT');
  }

  /** Over TLS, with the harness's TLS options, when the server's client port is TLS only. */
  fourLetterWord(command: string, options?: FourLetterWordOptions): Promise<string> {
    return fourLetterWord(this.host, this.port, command, { tls: this.#spec.tls, ...options });
  }

  mode(options?: FourLetterWordOptions): Promise<ServerMode | undefined> {
    return serverMode(this.host, this.port, { tls: this.#spec.tls, ...options });
  }

  /** The last 40 lines of the server log, labelled, for error messages. */
  async logTail(): Promise<string> {
    let text: string;
    try {
      text = await readFile(this.logFile, 'utf8');
    } catch {
      return `(no log at ${this.logFile})`;
    }
    const lines = text.trimEnd().split('\n').slice(-LOG_TAIL_LINES);
    return `--- last ${lines.length} lines of ${this.logFile} ---\n${lines.join('\n')}`;
  }

  /** Kills the JVM and deletes the data directory; the server cannot be restarted afterwards. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    await this.kill();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  #signal(operation: string, signal: NodeJS.Signals): void {
    if (!this.#child)
      throw new Error(`${operation}(): server ${this.id} on port ${this.port} is not running`);
    this.#child.kill(signal);
  }
}

/** Starts a standalone server from a local install, retrying on fresh ports if the port was taken. */
export async function startLocalStandalone(
  backend: LocalBackend,
  options: StandaloneServerOptions = {},
): Promise<LocalServer> {
  const ports = standalonePortChoice(options);
  const [server] = await startWithRetries(options, 1, async () => {
    const [clientPort] = await choosePorts(1, ports);
    const dataDir = await makeDataDir();
    await writeFile(
      join(dataDir, 'zoo.cfg'),
      standaloneConfig({
        dataDir,
        clientPort: clientPort!,
        tlsOnly: options.tlsOnly !== undefined,
        tickTimeMs: options.tickTimeMs,
        extraConfig: { ...saslServerConfig(options.sasl), ...options.extraConfig },
      }),
    );
    const jaasFile = await writeJaas(dataDir, options.sasl);
    const server = new LocalServer({
      backend,
      id: 1,
      role: 'standalone',
      dataDir,
      port: clientPort!,
      jvmFlags: jvmFlagsFor(options, false, jaasFile),
      startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      tls: options.tlsOnly,
    });
    return [server];
  });
  return server!;
}

/** Starts an ensemble of `size` quorum peers from a local install; resolves when all serve. */
export async function startLocalEnsemble(
  backend: LocalBackend,
  size: number,
  options: ServerOptions & { basePort?: number } = {},
): Promise<LocalServer[]> {
  const choice = ensemblePortChoice(options, 3 * size);
  return startWithRetries(options, size, async () => {
    const ports = await choosePorts(3 * size, choice);
    const members: MemberPorts[] = Array.from({ length: size }, (_, i) => ({
      id: i + 1,
      clientPort: ports[3 * i]!,
      quorumPort: ports[3 * i + 1]!,
      electionPort: ports[3 * i + 2]!,
    }));
    const servers: LocalServer[] = [];
    for (const member of members) {
      const dataDir = await makeDataDir();
      await writeFile(join(dataDir, 'myid'), `${member.id}\n`);
      await writeFile(
        join(dataDir, 'zoo.cfg'),
        ensembleMemberConfig({
          dataDir,
          members,
          tickTimeMs: options.tickTimeMs,
          extraConfig: { ...saslServerConfig(options.sasl), ...options.extraConfig },
        }),
      );
      const jaasFile = await writeJaas(dataDir, options.sasl);
      servers.push(
        new LocalServer({
          backend,
          id: member.id,
          role: 'member',
          dataDir,
          port: member.clientPort,
          jvmFlags: jvmFlagsFor(options, true, jaasFile),
          startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
        }),
      );
    }
    return servers;
  });
}

/**
 * Runs start attempts until one serves. `prepare` builds fresh servers (new ports, new data dirs)
 * for each attempt; a failed attempt's servers are disposed. Failures that fresh ports might fix
 * (a process exited, or another server answered on our port) are retried; all attempts share one
 * deadline.
 */
async function startWithRetries(
  options: ServerOptions,
  size: number,
  prepare: () => Promise<LocalServer[]>,
): Promise<LocalServer[]> {
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const servers = await prepare();
    try {
      // allSettled, so no launch is still in flight when a failure disposes the others.
      const launches = await Promise.allSettled(servers.map((server) => server.launch()));
      for (const launch of launches) if (launch.status === 'rejected') throw launch.reason;
      await Promise.all(
        servers.map((server) => server.waitUntil('serving', Math.max(0, deadline - Date.now()))),
      );
      for (const server of servers) {
        if (!(await server.isOwnPort())) {
          throw new ServerStartError(
            `port ${server.port} answered for another server (its conf names another dataDir): the port was taken`,
            true,
          );
        }
      }
      return servers;
    } catch (error) {
      await Promise.all(servers.map((server) => server.dispose()));
      const retryable = error instanceof ServerStartError && error.retryable;
      if (retryable && attempt < START_ATTEMPTS && Date.now() < deadline) continue;
      const what = size === 1 ? 'a standalone ZooKeeper server' : `a ${size}-member ZooKeeper ensemble`;
      const message = error instanceof Error ? error.message : String(error);
      throw new ServerStartError(
        `could not start ${what} (attempt ${attempt} of at most ${START_ATTEMPTS}): ${message}`,
        false,
        { cause: error },
      );
    }
  }
}

/**
 * A group stop is asynchronous: kill(SIGSTOP) returns while some JVM threads still run, and one of
 * them may still answer a request sent right away (seen about 1 time in 80). On Linux, wait until
 * /proc shows every thread stopped (state T); elsewhere, give the stop a moment.
 */
async function untilAllThreadsStopped(pid: number, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let states: string[];
    try {
      states = (await readdir(`/proc/${pid}/task`)).map((tid) => threadState(pid, tid));
    } catch {
      await sleep(100);
      return;
    }
    if (
      states.every(
        (state) => state === 'T' || state === 't' || state === 'Z' || state === 'X' || state === '',
      )
    )
      return;
    if (Date.now() >= deadline)
      throw new Error(`process ${pid} did not stop within ${timeoutMs} ms of SIGSTOP`);
    await sleep(5);
  }
}

/** The state letter of one thread from /proc; '' when the thread is already gone. */
function threadState(pid: number, tid: string): string {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name in parentheses may itself contain spaces or parentheses.
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A fresh data directory. Under jest it goes inside the run directory, so the global teardown
 * also removes what a killed worker could not.
 */
async function makeDataDir(): Promise<string> {
  const runDir = process.env[HARNESS_RUN_DIR_ENV];
  const base = runDir && existsSync(runDir) ? runDir : tmpdir();
  return mkdtemp(join(base, 'zookit-zk-'));
}

/** Writes a SASL server's JAAS file into its data directory; its path, or undefined without SASL. */
async function writeJaas(dataDir: string, sasl: ServerOptions['sasl']): Promise<string | undefined> {
  if (sasl === undefined) return undefined;
  const file = join(dataDir, 'jaas.conf');
  await writeFile(file, jaasConfig(sasl), { mode: 0o600 });
  return file;
}
