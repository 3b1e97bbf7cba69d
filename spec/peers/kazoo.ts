// kazoo as a real peer in tests: a KazooPeer runs spec/peers/kazoo_driver.py (one KazooClient
// under Debian's /usr/bin/python3) and drives kazoo's own recipes over its stdin/stdout, so a spec
// can put a kazoo Lock, Semaphore, Election or lease beside zookit's on one server and check that
// they share it. Helpers mirror kazoo's names (`peer.Lock(path, id)` → acquire, release, ...).
//
// Nothing a spec starts may outlive it: the process plumbing, the registry and the reaper are
// LinePeer's (spec/peers/line-peer.ts), and the driver itself exits, closing its session, when its
// stdin ends or its parent is gone.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type AnswerLine, LinePeer, REQUEST_TIMEOUT, spawned } from './line-peer.js';

/** Debian's interpreter, where python3-kazoo is installed (scripts/ensure-kazoo.sh); not PATH's python3. */
export const KAZOO_PYTHON = '/usr/bin/python3';

/** The driver program a KazooPeer runs. */
export const KAZOO_DRIVER = join(__dirname, 'kazoo_driver.py');

/** A line the driver pushes unasked. */
export type KazooEvent =
  | { event: 'ready'; session_id: string }
  /** kazoo's KazooState: CONNECTED, SUSPENDED or LOST. */
  | { event: 'state'; state: string }
  /** An acquire (Lock or Semaphore) returned True; an election's leader function began or ended. */
  | { event: 'acquired' | 'elected' | 'resigned'; name: string };

/** A command the driver answered with an exception; `type` is its Python class (`LockTimeout`). */
export class KazooError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly command: string,
  ) {
    super(`kazoo ${command}: ${type}: ${message}`);
    this.name = 'KazooError';
  }
}

/** What `get` reads through kazoo: data as UTF-8 text, version, owner session (`0x...`). */
export interface KazooNode {
  data: string;
  version: number;
  ephemeral_owner: string;
}

export interface KazooPeerOptions {
  /** kazoo's session timeout, in milliseconds (default 10 000). */
  sessionTimeout?: number;
  /** How long the driver may take to connect, in milliseconds (default 20 000). */
  startTimeout?: number;
}

let handles = 0;

/** One kazoo client in its own python process. Start with `KazooPeer.start(hosts)`; always `stop()`. */
export class KazooPeer extends LinePeer<KazooEvent> {
  private constructor(child: ChildProcessWithoutNullStreams) {
    super(child, 'the kazoo driver');
  }

  /** Spawns the driver and resolves once its KazooClient is connected to `hosts`. */
  static async start(hosts: string, options: KazooPeerOptions = {}): Promise<KazooPeer> {
    const { sessionTimeout = 10_000, startTimeout = 20_000 } = options;
    const child = spawn(KAZOO_PYTHON, [KAZOO_DRIVER, hosts], {
      env: { ...process.env, KAZOO_SESSION_TIMEOUT: String(sessionTimeout / 1000) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (!(await spawned(child))) throw new Error(`cannot run ${KAZOO_PYTHON}: run scripts/ensure-kazoo.sh`);
    const peer = new KazooPeer(child);
    try {
      await peer.waitFor((e) => e.event === 'ready', 'the driver to connect', { timeout: startTimeout });
    } catch (error) {
      await peer.stop();
      throw new Error(`the kazoo peer did not start (is python3-kazoo installed? scripts/ensure-kazoo.sh)`, {
        cause: error,
      });
    }
    return peer;
  }

  /** The kazoo client's session id. */
  get sessionId(): bigint {
    const ready = this.events.find((e) => e.event === 'ready');
    if (ready === undefined) throw new Error('the kazoo peer is not connected yet');
    return BigInt(ready.session_id);
  }

  /**
   * Any recipe kazoo binds on its client, kept in the driver under `name`:
   * `zk.<recipe>(...args, **kwargs)`. Use `call` on it afterwards.
   */
  construct(
    name: string,
    recipe: string,
    args: unknown[] = [],
    kwargs: Record<string, unknown> = {},
  ): Promise<boolean> {
    return this.request('construct', { name, recipe, args, kwargs });
  }

  /**
   * A method of a recipe made by `construct` (an attribute when not callable), its result as JSON:
   * bytes as `{ bytes: base64 }`, an iterator's items as a list, other objects as their str().
   */
  call<T = unknown>(
    name: string,
    method: string,
    args: unknown[] = [],
    kwargs: Record<string, unknown> = {},
    timeout = REQUEST_TIMEOUT,
  ): Promise<T> {
    return this.request<T>('call', { name, method, args, kwargs }, timeout);
  }

  protected errorOf(answer: AnswerLine, cmd: string): Error {
    return new KazooError(String(answer.error ?? 'Error'), String(answer.message ?? ''), cmd);
  }

  protected askToStop(): void {
    this.request('stop').catch(() => undefined);
  }

  /** kazoo's `Lock(path, identifier)`. */
  Lock(path: string, identifier?: string): Promise<KazooLock> {
    return this.make(KazooLock, 'Lock', { path, identifier });
  }

  /** kazoo's `ReadLock(path, identifier)`: `__rlock__` nodes. */
  ReadLock(path: string, identifier?: string): Promise<KazooLock> {
    return this.make(KazooLock, 'ReadLock', { path, identifier });
  }

  /** kazoo's `WriteLock(path, identifier)`. */
  WriteLock(path: string, identifier?: string): Promise<KazooLock> {
    return this.make(KazooLock, 'WriteLock', { path, identifier });
  }

  /** kazoo's `Semaphore(path, identifier, max_leases)`. */
  Semaphore(path: string, identifier?: string, maxLeases = 1): Promise<KazooSemaphore> {
    return this.make(KazooSemaphore, 'Semaphore', { path, identifier, max_leases: maxLeases });
  }

  /** kazoo's `Election(path, identifier)`. */
  Election(path: string, identifier?: string): Promise<KazooElection> {
    return this.make(KazooElection, 'Election', { path, identifier });
  }

  /**
   * kazoo's `NonBlockingLease(path, duration, identifier)`: whether it was obtained. With
   * `clockOffset` (ms), kazoo's `utcnow` runs that far ahead, as a skewed client's would.
   */
  NonBlockingLease(path: string, durationMs: number, identifier?: string, clockOffset = 0): Promise<boolean> {
    const duration = durationMs / 1000;
    return this.request('lease', { path, duration, identifier, clock_offset: clockOffset / 1000 });
  }

  /** kazoo's `MultiNonBlockingLease(count, path, duration, identifier)`: whether one was obtained. */
  MultiNonBlockingLease(
    count: number,
    path: string,
    durationMs: number,
    identifier?: string,
    clockOffset = 0,
  ): Promise<boolean> {
    const duration = durationMs / 1000;
    return this.request('multi_lease', {
      count,
      path,
      duration,
      identifier,
      clock_offset: clockOffset / 1000,
    });
  }

  /** The node as kazoo reads it, or null when it does not exist. */
  get(path: string): Promise<KazooNode | null> {
    return this.request('get', { path });
  }

  /** The children's names, sorted. */
  children(path: string): Promise<string[]> {
    return this.request('children', { path });
  }

  exists(path: string): Promise<boolean> {
    return this.request('exists', { path });
  }

  private async make<H>(
    Handle: new (peer: KazooPeer, name: string) => H,
    recipe: string,
    args: Record<string, unknown>,
  ): Promise<H> {
    const name = `${recipe}-${++handles}`;
    await this.request('new', { name, recipe, ...args });
    return new Handle(this, name);
  }
}

/** Bound of an acquire with `timeout` (ms): its own timeout plus 5 s; 15 s without one. */
const acquireBound = (timeout: number | undefined): number => (timeout ?? 10_000) + 5_000;

/** What kazoo's Lock and Semaphore share: acquire, release, cancel, is_acquired. Timeouts in ms. */
abstract class KazooHolder {
  constructor(
    readonly peer: KazooPeer,
    readonly name: string,
  ) {}

  /**
   * kazoo's `acquire(blocking, timeout)`. Without `timeout` kazoo waits for ever; the promise then
   * rejects after 15 s (the driver's thread keeps waiting until `cancel()`).
   */
  acquire({ blocking = true, timeout }: { blocking?: boolean; timeout?: number } = {}): Promise<boolean> {
    const seconds = timeout === undefined ? null : timeout / 1000;
    return this.peer.request(
      'acquire',
      { name: this.name, blocking, timeout: seconds },
      acquireBound(timeout),
    );
  }

  /** Resolves once an acquire has returned True (the `acquired` event), within `timeout` ms. */
  async acquired(timeout = REQUEST_TIMEOUT): Promise<void> {
    await this.peer.waitFor((e) => e.event === 'acquired' && e.name === this.name, `${this.name} acquired`, {
      timeout,
    });
  }

  release(): Promise<boolean> {
    return this.peer.request('release', { name: this.name });
  }

  cancel(): Promise<boolean> {
    return this.peer.request('cancel', { name: this.name });
  }

  isAcquired(): Promise<boolean> {
    return this.peer.request('is_acquired', { name: this.name });
  }
}

/** A kazoo Lock, ReadLock or WriteLock in the driver. */
export class KazooLock extends KazooHolder {
  /** The contenders' identifiers, in lock order. */
  contenders(): Promise<string[]> {
    return this.peer.request('contenders', { name: this.name });
  }
}

/** A kazoo Semaphore in the driver. */
export class KazooSemaphore extends KazooHolder {
  /** The identifiers of the lease holders. */
  leaseHolders(): Promise<string[]> {
    return this.peer.request('lease_holders', { name: this.name });
  }
}

/** A kazoo Election in the driver: `run()` contends; the leader holds on until `resign()`. */
export class KazooElection {
  constructor(
    readonly peer: KazooPeer,
    readonly name: string,
  ) {}

  /** Starts `election.run(leader)` on a driver thread and returns at once. */
  async run(): Promise<void> {
    await this.peer.request('run', { name: this.name });
  }

  /** Resolves once the leader function has started, within `timeout` ms. */
  async elected(timeout = REQUEST_TIMEOUT): Promise<void> {
    await this.peer.waitFor((e) => e.event === 'elected' && e.name === this.name, `${this.name} elected`, {
      timeout,
    });
  }

  /** Whether the leader function has started (so far). */
  get isLeader(): boolean {
    const mine = (e: KazooEvent): boolean => 'name' in e && e.name === this.name;
    const last = this.peer.events.filter(mine).at(-1);
    return last?.event === 'elected';
  }

  /** Ends the leader function, so `run` returns and releases leadership; resolves once it has. */
  async resign(timeout = REQUEST_TIMEOUT): Promise<void> {
    await this.peer.request('resign', { name: this.name });
    await this.peer.waitFor((e) => e.event === 'resigned' && e.name === this.name, `${this.name} resigned`, {
      timeout,
    });
  }

  cancel(): Promise<boolean> {
    return this.peer.request('cancel', { name: this.name });
  }

  contenders(): Promise<string[]> {
    return this.peer.request('contenders', { name: this.name });
  }
}
