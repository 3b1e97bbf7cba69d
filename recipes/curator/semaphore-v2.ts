// Curator's InterProcessSemaphoreV2 ("Shared Semaphore") on Curator's layout, so Node and Java
// processes share one count of leases: `P/locks/` is an InterProcessMutex that acquirers pass
// through one at a time, and `P/leases/_c_<uuid>-lease-<seq>` (protected, ephemeral-sequential)
// are the leases. Inside the gate an acquirer creates its lease node, then lists the leases with a
// children watch until there are at most `maxLeases`, then leaves the gate. Only the gate's holder
// adds a lease, and it waits while the count is over, so holders never exceed `maxLeases`; the
// children watch is no herd, as only the gate's holder sets one.
// docs/curator-locks.md#interprocesssemaphorev2
//
// `maxLeases` is a convention between the clients, as in Curator: nothing stores it.
//
// Where it differs from Curator 5.4:
// - a lease node whose acquire failed (connection loss mid-wait, a timeout, an abort) is deleted
//   for certain, retried until it is gone (CURATOR-315's orphaned lease blocked a slot for the
//   rest of the session);
// - connection loss while waiting is waited out within the timeout, instead of failing the acquire;
// - the timeout counts across the gate and the lease wait together.

import {
  basename,
  type CallOptions,
  ConnectionClosedError,
  ConnectionState,
  InvalidArgumentError,
  joinPath,
  NoNodeError,
  type RecipeClient,
  type Value,
  validatePath,
} from '../../lib/recipe-client.js';
import { deleteForCertain } from '../certain-delete.js';
import { checkWaitTimeout, raceAbort, startCountdown } from '../countdown.js';
import { isConnectionProblem, reportFault } from '../faults.js';
import { removeWatch } from '../remove-watch.js';
import { createWithContainerParents } from './container-parents.js';
import { deleteNode } from './lock-internals.js';
import { InterProcessMutex } from './mutex.js';

const LOCK_PARENT = 'locks';
const LEASE_PARENT = 'leases';
const LEASE_BASE_NAME = 'lease-';

/** The first pause before trying again after a connection problem, ms (doubling up to MAX_PAUSE_MS). */
const FIRST_PAUSE_MS = 50;
const MAX_PAUSE_MS = 1000;

/** Why the countdown aborted when the time ran out: the acquire then resolves undefined. */
const TIMED_OUT: unique symbol = Symbol('timed out');

/** One lease of an InterProcessSemaphoreV2: its node. `close()` (or `await using`) returns it. */
export interface Lease extends AsyncDisposable {
  /** The lease node's full path. */
  readonly path: string;
  /** The lease node's name (`_c_<uuid>-lease-<seq>`). */
  readonly nodeName: string;
  /**
   * Returns the lease: deletes its node (a guaranteed delete), waiting through a connection outage
   * within `timeout` (ms) and `signal`. A lease already returned, or gone with its session, is fine.
   */
  close(options?: CallOptions): Promise<void>;
  /** The lease node's data. */
  getData(options?: CallOptions): Promise<Buffer | null>;
}

/** Options of `InterProcessSemaphoreV2.acquire()`. */
export interface SemaphoreV2AcquireOptions {
  /**
   * Give up after this many ms, counted across every wait, and resolve undefined (Curator returns
   * null). 0 makes one look. Default: wait as long as it takes.
   */
  timeout?: number;
  /** Aborting it rejects with its reason; nothing of the acquire is left behind. */
  signal?: AbortSignal;
}

class SemaphoreLease implements Lease {
  readonly nodeName: string;
  private closed = false;

  constructor(
    private readonly client: RecipeClient,
    readonly path: string,
  ) {
    this.nodeName = basename(path);
  }

  async close(options: CallOptions = {}): Promise<void> {
    if (this.closed) return;
    await deleteNode(this.client, this.path, options);
    this.closed = true;
  }

  async getData(options: CallOptions = {}): Promise<Buffer | null> {
    const [data] = await this.client.get(this.path, undefined, options);
    return data;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Curator's InterProcessSemaphoreV2: at most `maxLeases` leases of `path` at once, across every
 * zookit and Curator client that agrees on `maxLeases`. Not re-entrant: each acquire is a lease.
 */
export class InterProcessSemaphoreV2 {
  /** The semaphore's directory (`locks/` and `leases/` under it). */
  readonly path: string;
  /** How many leases at once. */
  readonly maxLeases: number;
  private readonly client: RecipeClient;
  private readonly leasesPath: string;
  private readonly locksPath: string;
  private nodeData: Value | undefined;

  /** A semaphore on `path` with `maxLeases` (an integer ≥ 1) leases; nothing is sent until `acquire()`. */
  constructor(client: RecipeClient, path: string, maxLeases: number) {
    validatePath(path);
    if (!Number.isInteger(maxLeases) || maxLeases < 1)
      throw new InvalidArgumentError('maxLeases', `maxLeases must be an integer ≥ 1, got ${maxLeases}`);
    this.client = client;
    this.path = path;
    this.maxLeases = maxLeases;
    this.locksPath = joinPath(path, LOCK_PARENT);
    this.leasesPath = joinPath(path, LEASE_PARENT);
  }

  /** The data of the lease nodes made from now on (Curator's `setNodeData`). Default: none (empty). */
  setNodeData(data: Value | undefined): void {
    this.nodeData = data;
  }

  /** One lease. */
  acquire(options?: { signal?: AbortSignal }): Promise<Lease>;
  /** One lease, or undefined when `timeout` ran out first. */
  acquire(options: { timeout: number; signal?: AbortSignal }): Promise<Lease | undefined>;
  /** `qty` leases, all or none. */
  acquire(options: { qty: number; signal?: AbortSignal }): Promise<Lease[]>;
  /** `qty` leases, or undefined (and none) when `timeout` ran out first. */
  acquire(options: { qty: number; timeout: number; signal?: AbortSignal }): Promise<Lease[] | undefined>;
  /** One lease (`qty` leases with `qty`), or undefined when `timeout` ran out first. */
  acquire(options: SemaphoreV2AcquireOptions & { qty?: number }): Promise<Lease | Lease[] | undefined>;
  /**
   * Takes one lease, or `qty` leases one after another (all or none: those taken are returned if a
   * later one fails). Rejects with the signal's reason on abort, ConnectionClosedError on a
   * stopped client; whatever it took is returned then, for certain.
   */
  async acquire(
    options: SemaphoreV2AcquireOptions & { qty?: number } = {},
  ): Promise<Lease | Lease[] | undefined> {
    const { timeout, signal, qty } = options;
    checkWaitTimeout(timeout);
    if (qty !== undefined && !(Number.isInteger(qty) && qty >= 1))
      throw new InvalidArgumentError('qty', `qty must be an integer ≥ 1, got ${qty}`);
    const { client } = this;
    if (client.connectionState === ConnectionState.CLOSED)
      throw new ConnectionClosedError(`cannot acquire ${this.path}: the client is not started`);
    signal?.throwIfAborted();
    const once = timeout === 0;
    const countdown = startCountdown(
      client.handler,
      { timeout: once ? undefined : timeout, signal },
      () => TIMED_OUT,
    );
    const leases: Lease[] = [];
    try {
      for (let i = 0; i < (qty ?? 1); i++) leases.push(await this.acquireOne(countdown.signal, once));
      return qty === undefined ? leases[0] : leases;
    } catch (error) {
      void this.returnAll(leases);
      if (error === TIMED_OUT) return undefined;
      throw error;
    } finally {
      countdown.finish();
    }
  }

  /** Returns a lease, as Curator's `returnLease`: failures are reported (client 'error'), not thrown. */
  async returnLease(lease: Lease): Promise<void> {
    try {
      await lease.close();
    } catch (error) {
      reportFault(this.client, error);
    }
  }

  /** Returns every lease given. */
  async returnAll(leases: Iterable<Lease>): Promise<void> {
    await Promise.all([...leases].map((lease) => this.returnLease(lease)));
  }

  /** The names of the lease nodes (Curator lists names here, not paths); [] when there are none. */
  async getParticipantNodes(options: CallOptions = {}): Promise<string[]> {
    return this.client.retry(async () => {
      try {
        return await this.client.getChildren(this.leasesPath, undefined, options);
      } catch (error) {
        if (error instanceof NoNodeError) return [];
        throw error;
      }
    }, options.signal);
  }

  /** Passes the gate, then makes a lease and waits until it is within `maxLeases`. */
  private async acquireOne(signal: AbortSignal, once: boolean): Promise<Lease> {
    const { client } = this;
    for (;;) {
      // A gate handle per lease: two acquires of this semaphore must exclude each other too, and
      // one InterProcessMutex handle re-enters its own hold.
      const gate = new InterProcessMutex(client, this.locksPath);
      if (!(await gate.acquire({ timeout: once ? 0 : undefined, signal }))) throw TIMED_OUT;
      try {
        const lease = await this.makeLease(signal, once);
        if (lease !== undefined) return lease;
        // Our lease node vanished (the session ended): take the gate again, as Curator does.
      } finally {
        // Not awaited: the lease is ours whatever happens to the gate, and during an outage its
        // delete waits for the connection, which would hold the acquire past its timeout.
        void gate.release().catch((error: unknown) => reportFault(client, error));
      }
    }
  }

  /**
   * Inside the gate: creates the lease node and waits until at most `maxLeases` exist. Undefined
   * when the node vanished meanwhile (the session ended). Any failure deletes it for certain.
   */
  private async makeLease(signal: AbortSignal, once: boolean): Promise<Lease | undefined> {
    const { client } = this;
    const wake = client.handler.eventObject();
    const onChildren = (): void => wake.set();
    const onState = (): void => wake.set();
    // Sent without the signal: a caller that gives up does not wait for it, but the cleanup does.
    const create = createWithContainerParents(
      client,
      joinPath(this.leasesPath, LEASE_BASE_NAME),
      this.nodeData,
      {
        protected: true,
        ephemeral: true,
        sequence: true,
      },
    );
    let held = false;
    let watched = false;
    client.on('state', onState);
    try {
      const path = await raceAbort(create, signal);
      const name = basename(path);
      for (let pause = FIRST_PAUSE_MS; ; ) {
        try {
          wake.clear();
          const children = await client.getChildren(this.leasesPath, onChildren, { signal });
          watched = true;
          if (!children.includes(name)) return undefined;
          if (children.length <= this.maxLeases) {
            held = true;
            return new SemaphoreLease(client, path);
          }
          if (once) throw TIMED_OUT;
          await wake.wait(undefined, signal);
          pause = FIRST_PAUSE_MS;
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          if (error instanceof ConnectionClosedError || !isConnectionProblem(client, error)) throw error;
          await client.handler.sleep(pause, signal);
          pause = Math.min(pause * 2, MAX_PAUSE_MS);
        }
      }
    } finally {
      client.off('state', onState);
      if (watched && client.connectionState !== ConnectionState.CLOSED)
        void removeWatch(client, this.leasesPath, 'children', onChildren);
      if (!held) {
        // The lease is not ours to keep: delete the node its create made, whenever that settles.
        void create.then(
          (path) => {
            const name = basename(path);
            return deleteForCertain(client, { parent: this.leasesPath, prefix: name, name });
          },
          () => undefined,
        );
      }
    }
  }
}
