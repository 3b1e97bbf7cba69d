// The contenders of a chaos run: zookit clients in this process (on the sequential or the worker
// handler) and kazoo programs (kazoo_contender.py) driven over stdin/stdout. Each loops "acquire,
// critical section, release" until its quota of grants or a stop, reports every outcome, and
// tells the harness its current session, so the fault injector can expire it on the server.
// A zookit contender makes its own client, or works on one it is handed (a chaos runner's client,
// behind a fault proxy: spec/chaos/scenarios/mutual-exclusion.ts).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WorkerThreadsHandler } from '../../../handlers/worker-threads.js';
import { SequentialMicrotaskHandler, ZooKeeperClient } from '../../../index.js';
import type { SessionCredentials } from '../../../testing/expire-session.js';
import { withTimeout } from '../../client/support.js';
import { sleep } from '../../support.js';
import type { ChaosPaths, SectionReport } from './critical-section.js';

/** The Lock or Semaphore surface a zookit contender uses (the contract's names). */
export interface Guard {
  acquire(options?: { timeout?: number; signal?: AbortSignal }): Promise<boolean>;
  release(): Promise<boolean>;
  /** The contender node or lease it holds, for fencing. */
  readonly node: string | undefined;
}

/** Makes the guard a zookit contender takes (e.g. `(zk, id) => zk.Lock(path, id)`). */
export type GuardFactory = (zk: ZooKeeperClient, identifier: string) => Guard;

/** What a zookit contender runs while it holds the guard. */
export type Section = (zk: ZooKeeperClient, node: string, token: string) => Promise<SectionReport>;

/** The kinds of contender a run mixes. */
export type ContenderKind = 'zookit-sequential' | 'zookit-worker' | 'kazoo';

/** What the harness sees of any contender. */
export interface Contender {
  readonly name: string;
  readonly kind: ContenderKind;
  /** Grants so far. */
  readonly grants: number;
  /** True between a grant and its release. */
  readonly holding: boolean;
  /** Every critical section's outcome, in order. */
  readonly reports: readonly SectionReport[];
  /** Errors outside the critical section (acquire, release), by name: the recipe riding out faults. */
  readonly errors: Readonly<Record<string, number>>;
  /** Semaphore runs: ledger writes retried because another holder wrote first (legitimate). */
  readonly contention: number;
  /** Its current session, for expiry; undefined before the first one. */
  readonly session: SessionCredentials | undefined;
  /** Resolves once its loop has ended (quota reached or stopped), its client still open. */
  readonly finished: Promise<void>;
  /** Connects and starts the loop. */
  start(): Promise<void>;
  /** Ends the loop (a pending acquire is given up) and resolves once it has. */
  stop(): Promise<void>;
  /** Closes its client (or ends its process). Never rejects. */
  close(): Promise<void>;
}

const nameOf = (error: unknown) =>
  error instanceof Error ? ((error as { code?: unknown }).code ?? error.name).toString() : String(error);

/** A zookit client in this process, on the sequential or the worker-threads handler. */
export class ZookitContender implements Contender {
  readonly reports: SectionReport[] = [];
  readonly errors: Record<string, number> = {};
  grants = 0;
  holding = false;
  finished: Promise<void> = Promise.resolve();
  #zk: ZooKeeperClient | undefined;
  readonly #stop = new AbortController();

  constructor(
    readonly name: string,
    readonly kind: 'zookit-sequential' | 'zookit-worker',
    private readonly options: {
      /** Its own client's hosts and session timeout (ms); not with `client`. */
      hosts?: string;
      sessionTimeoutMs?: number;
      /** A started client to work on instead, owned by the caller (close() leaves it open). */
      client?: ZooKeeperClient;
      /** Grants to take (Infinity: until stopped). */
      quota: number;
      /** Called with each critical section's outcome as it is known. */
      onReport?: (report: SectionReport) => void;
      guard: GuardFactory;
      section: Section;
      /** acquire's timeout, ms: a miss is counted and the loop goes on. */
      acquireTimeoutMs: number;
    },
  ) {}

  get contention(): number {
    return this.reports.reduce((sum, report) => sum + (report.contention ?? 0), 0);
  }

  get session(): SessionCredentials | undefined {
    const id = (this.#zk ?? this.options.client)?.clientId;
    return id === undefined ? undefined : { sessionId: id.sessionId, passwd: id.password };
  }

  async start(): Promise<void> {
    if (this.options.client !== undefined) {
      this.finished = this.#run(this.options.client);
      return;
    }
    const handler =
      this.kind === 'zookit-worker' ? new WorkerThreadsHandler() : new SequentialMicrotaskHandler();
    this.#zk = new ZooKeeperClient({
      hosts: this.options.hosts,
      handler,
      sessionTimeout: this.options.sessionTimeoutMs,
      connectionRetry: { maxDelay: 500 },
      requestTimeout: 10_000,
    });
    await this.#zk.start({ timeout: 20_000 });
    this.finished = this.#run(this.#zk);
  }

  async #run(zk: ZooKeeperClient): Promise<void> {
    const guard = this.options.guard(zk, this.name);
    const signal = this.#stop.signal;
    while (this.grants < this.options.quota && !signal.aborted) {
      let got: boolean;
      try {
        got = await guard.acquire({ timeout: this.options.acquireTimeoutMs, signal });
      } catch (error) {
        if (signal.aborted) break;
        this.#count(`acquire:${nameOf(error)}`);
        await sleep(100);
        continue;
      }
      if (!got) {
        this.#count('acquire:false');
        await sleep(100);
        continue;
      }
      this.grants++;
      this.holding = true;
      const token = `${this.name}-${String(this.grants).padStart(5, '0')}`;
      try {
        // Read at once: a recipe forgets its node when the session is lost.
        const node = guard.node;
        const report: SectionReport =
          node === undefined
            ? { token, outcome: 'aborted', detail: 'lost before the section began' }
            : await this.options.section(zk, node, token);
        this.reports.push(report);
        this.options.onReport?.(report);
      } finally {
        await this.#release(guard);
        this.holding = false;
      }
    }
  }

  /** Releases, retrying through connection loss; gives up after about 10 s (the run then reports it). */
  async #release(guard: Guard): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        await guard.release();
        return;
      } catch (error) {
        this.#count(`release:${nameOf(error)}`);
        await sleep(100);
      }
    }
  }

  #count(key: string): void {
    this.errors[key] = (this.errors[key] ?? 0) + 1;
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error('the chaos run is over'));
    await this.finished;
  }

  async close(): Promise<void> {
    this.#stop.abort(new Error('the chaos run is over'));
    await this.finished.catch(() => undefined);
    await this.#zk?.stop().catch(() => undefined);
  }
}

/** Debian's python3 with python3-kazoo 2.8.0 (the python3 first on PATH may lack kazoo). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
/**
 * Next to this file in the sources; compiled to .build/spec/recipes/chaos/ (npm run chaos) it
 * stays in the sources, four levels up.
 */
const PROGRAM = [
  join(__dirname, 'kazoo_contender.py'),
  join(__dirname, '..', '..', '..', '..', 'spec', 'recipes', 'chaos', 'kazoo_contender.py'),
].find((path) => existsSync(path)) as string;

/** What a kazoo contender takes: kazoo's Lock, Semaphore, ReadLock ('read') or WriteLock ('write'). */
export type KazooMode = 'lock' | 'semaphore' | 'read' | 'write';

/** A kazoo program (kazoo_contender.py) taking kazoo's Lock, Semaphore, ReadLock or WriteLock. */
export class KazooContender implements Contender {
  readonly kind = 'kazoo' as const;
  readonly reports: SectionReport[] = [];
  readonly errors: Record<string, number> = {};
  grants = 0;
  contention = 0;
  holding = false;
  session: SessionCredentials | undefined;
  finished: Promise<void> = Promise.resolve();
  /** Its stderr and any line it printed that was not an event, for a failure's message. */
  readonly noise: string[] = [];
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly options: {
      hosts: string;
      mode: KazooMode;
      paths: ChaosPaths;
      /** Grants to take (a large number: until stopped). */
      quota: number;
      maxLeases: number;
      sessionTimeoutMs: number;
      hold: { min: number; max: number };
      /** Called with each critical section's outcome as it is known. */
      onReport?: (report: SectionReport) => void;
    },
  ) {}

  start(): Promise<void> {
    const { hosts, mode, paths, quota, maxLeases, sessionTimeoutMs, hold } = this.options;
    const args = [
      PROGRAM,
      ...['--hosts', hosts, '--mode', mode, '--name', this.name, '--path', paths.guard],
      ...['--counter', paths.counter, '--ledger', paths.ledger, '--commits', paths.commits],
      ...['--quota', String(quota), '--max-leases', String(maxLeases)],
      ...['--session-timeout-ms', String(sessionTimeoutMs)],
      ...['--hold-min-ms', String(hold.min), '--hold-max-ms', String(hold.max)],
    ];
    const child = spawn(SYSTEM_PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (chunk: Buffer) => this.noise.push(String(chunk)));
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let connected!: () => void;
    const started = new Promise<void>((resolve) => {
      connected = resolve;
    });
    this.finished = new Promise<void>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        let event: Record<string, unknown>;
        try {
          event = JSON.parse(line) as Record<string, unknown>;
        } catch {
          this.noise.push(line);
          return;
        }
        this.#onEvent(event, connected, resolve);
      });
      void this.#exited.then(() => resolve());
    });
    const exitedEarly = this.#exited.then(() => {
      throw new Error(`${this.name} exited before connecting: ${this.noise.join('').slice(-2000)}`);
    });
    return withTimeout(Promise.race([started, exitedEarly]), 20_000, `${this.name}'s first session`);
  }

  #onEvent(event: Record<string, unknown>, connected: () => void, stopped: () => void): void {
    switch (event.event) {
      case 'session':
        this.session = {
          sessionId: BigInt(`0x${event.id as string}`),
          passwd: Buffer.from(event.passwd as string, 'hex'),
        };
        connected();
        break;
      case 'grant':
        this.grants++;
        this.holding = true;
        break;
      case 'released':
        this.holding = false;
        break;
      case 'outcome': {
        const report: SectionReport = {
          token: event.token as string,
          outcome: event.outcome as SectionReport['outcome'],
          detail:
            typeof event.error === 'string' || event.error === undefined
              ? (event.error as string | undefined)
              : JSON.stringify(event.error),
        };
        this.reports.push(report);
        this.options.onReport?.(report);
        break;
      }
      case 'left': {
        const report = this.reports.find((r) => r.token === event.token);
        if (report !== undefined && event.fenced === true) report.fencedLeave = true;
        break;
      }
      case 'contention':
        this.contention++;
        break;
      case 'error': {
        const key = `${event.stage as string}:${event.error as string}`;
        this.errors[key] = (this.errors[key] ?? 0) + 1;
        break;
      }
      case 'crashed':
        this.errors[`crashed:${event.error as string}`] = 1;
        break;
      case 'stopped':
        this.holding = false;
        stopped();
        break;
      default:
        break;
    }
  }

  async stop(): Promise<void> {
    this.#child?.stdin?.write('stop\n');
    await this.finished;
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const exited = await withTimeout(this.#exited, 10_000, `${this.name}'s exit`).then(
      () => true,
      () => false,
    );
    if (!exited) {
      child.kill('SIGKILL');
      await this.#exited;
    }
  }
}
