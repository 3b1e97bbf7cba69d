// kazoo's NonBlockingLease and MultiNonBlockingLease: a lease that a client takes for a while
// (`durationMs`) without waiting for it, so that one host of a fleet, or `count` of them, runs a
// task. The lease is the persistent node `<path>/lease_holder`, whose JSON names the holder and the
// end of its lease; whoever finds no holder, an expired one, or itself there, writes its own, under
// a Lock on `<path>` (contenders sit beside lease_holder). Python services on kazoo share it, so
// the JSON is kazoo's byte for byte: docs/recipes.md#leases.
//
// Where this differs from kazoo, without changing what is stored:
// - kazoo does the work in its constructor; a constructor can't await, so it is `obtain()`.
// - The holder is replaced by one transaction (delete at the version read, create), never left
//   deleted between two requests, and a lost reply is retried: a create that did happen is found
//   again as our own holder and renewed.
// - A lease_holder this version cannot read (not JSON, no end) is left alone, as kazoo leaves a
//   newer version's: not obtained. kazoo raises on it.
// - The lease compares clients' clocks, as kazoo's does: it is only as good as their agreement.
// The rules of obtaining: docs/recipes.md#obtaining.

import { hostname } from 'node:os';
import {
  BadVersionError,
  ForceRetryError,
  InvalidArgumentError,
  joinPath,
  NodeExistsError,
  NoNodeError,
  type RecipeClient,
  TransactionFailedError,
  validatePath,
} from '../lib/recipe-client.js';
import type { Stat } from '../protocol/index.js';
import { decodeLeaseHolder, encodeLeaseHolder, HOLDER_NODE, LEASE_VERSION } from './lease-holder.js';
import { Lock } from './lock.js';

/** Options of NonBlockingLease and MultiNonBlockingLease. */
export interface LeaseOptions {
  /** The clock the lease reads (kazoo's `utcnow`), for tests. Default: `() => new Date()`. */
  utcNow?: () => Date;
}

/** Options of `obtain()`: the wait for the lease's lock (kazoo waits without a limit). */
export interface LeaseObtainOptions {
  /** Give up waiting for the lease's lock after this many ms (LockTimeoutError). */
  timeout?: number;
  /** Aborting it rejects with its reason; the lock node is removed. */
  signal?: AbortSignal;
}

function checkDuration(durationMs: number): void {
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
    throw new InvalidArgumentError(
      'durationMs',
      `durationMs must be a finite number of ms ≥ 0, got ${durationMs}`,
    );
  }
}

/**
 * An exclusive lease that is never waited for: `obtain()` resolves true if this client (by its
 * identifier) now holds `<path>` until `durationMs` from now, false if another holder's lease
 * has not ended. The same identifier renews its own lease. There is no release: a lease ends.
 */
export class NonBlockingLease {
  /** The lease path: `lease_holder` and the lease's lock contenders are its children. */
  readonly path: string;
  /** Who holds the lease when this one obtains it (kazoo's default: the host name). */
  readonly identifier: string;
  /** How long an obtained lease lasts, ms (stored in whole seconds, truncated). */
  readonly durationMs: number;
  private readonly client: RecipeClient;
  private readonly utcNow: () => Date;
  private wasObtained = false;

  /** A lease of `path` for `durationMs` ms (nothing is sent until `obtain()`). */
  constructor(
    client: RecipeClient,
    path: string,
    durationMs: number,
    identifier?: string,
    options: LeaseOptions = {},
  ) {
    validatePath(path);
    checkDuration(durationMs);
    this.client = client;
    this.path = path;
    this.durationMs = durationMs;
    this.identifier = identifier || hostname();
    this.utcNow = options.utcNow ?? (() => new Date());
  }

  /** Whether the last `obtain()` got the lease (kazoo's `obtained`, and its truthiness). */
  get obtained(): boolean {
    return this.wasObtained;
  }

  /**
   * Takes the lease if it is free, expired or ours: kazoo's constructor. Waits only for the
   * lease's lock, which holders keep for a few requests.
   */
  async obtain(options: LeaseObtainOptions = {}): Promise<boolean> {
    const { client, path } = this;
    this.wasObtained = false;
    await client.retry(() => client.ensurePath(path, { signal: options.signal }), options.signal);
    const lock = new Lock(client, path, this.identifier);
    await lock.acquire({ timeout: options.timeout, signal: options.signal });
    try {
      this.wasObtained = await client.retry(() => this.claim(options.signal), options.signal);
    } finally {
      await lock.release();
    }
    return this.wasObtained;
  }

  /** One look at lease_holder and, if the lease is ours to take, one write of it. */
  private async claim(signal: AbortSignal | undefined): Promise<boolean> {
    const { client } = this;
    const holderPath = joinPath(this.path, HOLDER_NODE);
    const now = this.utcNow();
    let stat: Stat | undefined;
    try {
      let raw: Buffer | null;
      [raw, stat] = await client.get(holderPath, undefined, { signal });
      const current = decodeLeaseHolder(raw);
      // A newer format, or one we cannot read: let a client that understands it decide.
      if (current === undefined || current.version !== LEASE_VERSION || current.end === undefined)
        return false;
      if (current.holder !== this.identifier && now.getTime() < current.end.getTime()) return false;
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
    const data = encodeLeaseHolder(this.identifier, new Date(now.getTime() + this.durationMs));
    try {
      if (stat === undefined) await client.create(holderPath, data, { signal });
      else
        await client
          .transaction()
          .delete(holderPath, stat.version)
          .create(holderPath, data)
          .commit({ throwOnFailure: true, signal });
    } catch (error) {
      // It changed since we read it (a write whose reply was lost, most likely ours): look again.
      const cause = error instanceof TransactionFailedError ? error.failedOp.error : error;
      if (
        cause instanceof NodeExistsError ||
        cause instanceof BadVersionError ||
        cause instanceof NoNodeError
      ) {
        throw new ForceRetryError();
      }
      throw error;
    }
    return true;
  }
}

/**
 * A lease that up to `count` holders have at once: tries `<path>/0` to `<path>/<count - 1>` in
 * turn and stops at the first it obtains (kazoo's MultiNonBlockingLease).
 */
export class MultiNonBlockingLease {
  /** The parent of the leases `<path>/0` … `<path>/<count-1>`. */
  readonly path: string;
  /** How many leases there are (holders at once). */
  readonly count: number;
  private readonly client: RecipeClient;
  private readonly leases: NonBlockingLease[];
  private wasObtained = false;

  /** `count` leases under `path` for `durationMs` ms each (nothing is sent until `obtain()`). */
  constructor(
    client: RecipeClient,
    count: number,
    path: string,
    durationMs: number,
    identifier?: string,
    options: LeaseOptions = {},
  ) {
    if (!Number.isInteger(count) || count < 0) {
      throw new InvalidArgumentError('count', `count must be an integer ≥ 0, got ${count}`);
    }
    validatePath(path);
    this.client = client;
    this.path = path;
    this.count = count;
    this.leases = Array.from(
      { length: count },
      (_, n) => new NonBlockingLease(client, joinPath(path, String(n)), durationMs, identifier, options),
    );
  }

  /** Whether the last `obtain()` got one of the leases. */
  get obtained(): boolean {
    return this.wasObtained;
  }

  /** Tries each lease in order; true at the first obtained. `timeout` bounds all of them together. */
  async obtain(options: LeaseObtainOptions = {}): Promise<boolean> {
    const { handler } = this.client;
    const deadline = options.timeout === undefined ? undefined : handler.now() + options.timeout;
    this.wasObtained = false;
    for (const lease of this.leases) {
      const timeout = deadline === undefined ? undefined : Math.max(0, deadline - handler.now());
      if (await lease.obtain({ signal: options.signal, timeout })) {
        this.wasObtained = true;
        break;
      }
    }
    return this.wasObtained;
  }
}
