// Curator's SharedValue: one persistent node whose bytes every participant caches and may change.
// `start()` creates the node with the seed if it is missing (its parents as containers) and reads
// it; a data watch keeps the cached copy current, and every value is kept with the node's mzxid
// and version, so `trySetValue` changes the node only if it is still the version the caller saw
// (a compare-and-set). SharedCount (shared-count.ts) is this with a 4-byte int.
// docs/curator-leaders.md#sharedcount
//
// After every reconnect the node is read again (CURATOR-311: a watch event missed while away left
// Curator's cached value stale); the cache only moves forward in mzxid, so a slow read never
// brings an older value back. A trySetValue whose reply is lost is never reported as "someone
// else came first" when it was applied (versioned-write.ts).

import { EventEmitter } from 'eventemitter3';
import {
  ClientState,
  ConnectionClosedError,
  ConnectionState,
  InvalidArgumentError,
  NodeExistsError,
  type RecipeClient,
  type Value,
  validatePath,
} from '../../lib/recipe-client.js';
import type { Stat } from '../../protocol/index.js';
import { DataWatch } from '../data-watch.js';
import { isConnectionProblem, reportFault } from '../faults.js';
import { createWithContainerParents } from './container-parents.js';
import { setIfVersion } from './versioned-write.js';

/** A value with the node version it was read at (Curator's VersionedValue). */
export interface VersionedValue<T> {
  /** The node's mzxid when the value was read (-1n before the first read). */
  readonly zxid: bigint;
  /** The node's data version (-1 before the first read). */
  readonly version: number;
  /** The value itself. */
  readonly value: T;
}

/** Events of a SharedValue. */
export interface SharedValueEvents {
  /** The node's value changed (by anyone, this participant included): Curator's `valueHasChanged`. */
  change: [value: Buffer];
}

const NO_ZXID = -1n;
const UNINITIALIZED_VERSION = -1;

function toBuffer(value: Value): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new InvalidArgumentError('value', 'the value must be bytes or a string');
}

/** Curator's SharedValue on `path`: `start()`, then read the cached value and set it. `await using` closes it. */
export class SharedValue extends EventEmitter<SharedValueEvents> implements AsyncDisposable {
  /** The shared node. */
  readonly path: string;
  private readonly client: RecipeClient;
  private readonly seed: Buffer;
  private current: VersionedValue<Buffer>;
  private status: 'latent' | 'started' | 'closed' = 'latent';
  private watch: DataWatch | undefined;
  /** The connection broke since the last read: the next CONNECTED reads again. */
  private away = false;

  /** A shared value at `path`, created holding `seed` if missing. Nothing is sent until `start()`. */
  constructor(client: RecipeClient, path: string, seed: Value) {
    super();
    validatePath(path);
    this.client = client;
    this.path = path;
    this.seed = toBuffer(seed);
    this.current = { zxid: NO_ZXID, version: UNINITIALIZED_VERSION, value: Buffer.from(this.seed) };
  }

  /** The cached value (a copy): the seed until `start()` has read the node. */
  getValue(): Buffer {
    return Buffer.from(this.current.value);
  }

  /** The cached value with the mzxid and version it was read at, for `trySetValue`. */
  getVersionedValue(): VersionedValue<Buffer> {
    const { zxid, version, value } = this.current;
    return { zxid, version, value: Buffer.from(value) };
  }

  /**
   * Creates the node with the seed if it does not exist (parents as containers), reads it and
   * starts watching it. Resolves once the value is read; rejects if started before, on a stopped
   * client, or when the node cannot be created or read (NoAuth...).
   */
  async start(): Promise<void> {
    if (this.status !== 'latent')
      throw new Error(`the shared value ${this.path} cannot be started more than once`);
    const { client } = this;
    if (client.connectionState === ConnectionState.CLOSED)
      throw new ConnectionClosedError(`cannot start the shared value ${this.path}: the client is stopped`);
    this.status = 'started';
    client.on('state', this.onState);
    try {
      await client.retry(async () => {
        try {
          await createWithContainerParents(client, this.path, this.seed, {});
        } catch (error) {
          if (!(error instanceof NodeExistsError)) throw error;
        }
      });
      await this.read();
    } catch (error) {
      this.status = 'closed';
      client.off('state', this.onState);
      throw error;
    }
    this.watch = new DataWatch(client, this.path, (data, stat) => {
      // A deleted node keeps the last value (Curator does too); its re-creation is seen.
      if (stat !== null) this.update(stat, data);
    });
  }

  /** Sets the node to `value` whatever it holds (Curator's setValue); the cache takes it at once. */
  async setValue(value: Value): Promise<void> {
    this.checkStarted();
    const bytes = toBuffer(value);
    const stat = await this.client.retry(() => this.client.set(this.path, bytes));
    this.update(stat, bytes);
  }

  /**
   * Sets the node to `value` only if it still holds `previous` (as `getVersionedValue()` gave it):
   * true when set; false when the cache has moved on from `previous` or another writer changed the
   * node first (the cache is then read again). Rejects with InvalidArgumentError for a value never
   * read from the node (Curator's IllegalTrySetVersionException), and with WriteOutcomeUnknownError when a lost reply leaves it unknown.
   */
  async trySetValue(previous: VersionedValue<Uint8Array>, value: Value): Promise<boolean> {
    this.checkStarted();
    const bytes = toBuffer(value);
    const current = this.current;
    if (previous.zxid !== current.zxid || !Buffer.from(previous.value).equals(current.value)) return false;
    if (previous.version === UNINITIALIZED_VERSION)
      throw new InvalidArgumentError(
        'previous',
        `trySet on ${this.path} needs a value read from the node, not the seed (version -1)`,
      );
    const stat = await setIfVersion(this.client, this.path, bytes, previous.version);
    if (stat !== undefined) {
      this.update(stat, bytes);
      return true;
    }
    await this.read();
    return false;
  }

  /** Stops watching the node (its server watch is removed); the node stays. Idempotent. */
  async close(): Promise<void> {
    if (this.status === 'closed') return;
    this.status = 'closed';
    this.client.off('state', this.onState);
    await this.watch?.stop();
  }

  /** `await using value = zk.SharedValue(path, seed)` closes it (as `close()`) when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private checkStarted(): void {
    if (this.status !== 'started') throw new Error(`the shared value ${this.path} is not started`);
  }

  private async read(): Promise<void> {
    const [data, stat] = await this.client.retry(() => this.client.get(this.path));
    this.update(stat, data);
  }

  /** Takes a value read or written at `stat` if it is newer than the cached one, and says so. */
  private update(stat: Stat, data: Buffer | null): void {
    if (stat.mzxid <= this.current.zxid) return;
    const value = Buffer.from(data ?? Buffer.alloc(0));
    this.current = { zxid: stat.mzxid, version: stat.version, value };
    if (this.status !== 'started') return;
    try {
      this.emit('change', Buffer.from(value));
    } catch (error) {
      reportFault(this.client, error);
    }
  }

  private readonly onState = (state: ClientState): void => {
    if (this.status !== 'started') return;
    if (state !== ClientState.CONNECTED) {
      this.away = true;
      return;
    }
    if (!this.away) return;
    this.away = false;
    // CURATOR-311: read again after every reconnect, not only when a watch fires.
    this.read().catch((error: unknown) => {
      if (this.status !== 'started') return;
      if (isConnectionProblem(this.client, error)) this.away = true;
      else reportFault(this.client, error);
    });
  };
}
