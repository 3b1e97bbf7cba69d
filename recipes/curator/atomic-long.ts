// Curator's DistributedAtomicLong: a Java long in one node, 8 bytes big-endian (a missing node or
// empty data counts as 0), changed by optimistic compare-and-set: read the value and version,
// write the new value at that version (or create the node if it is missing), and try again a few
// times, pausing, while another writer comes first. Every operation resolves with Curator's
// AtomicValue: `succeeded`, `preValue`, `postValue`. **Check `succeeded`**: losing every try to
// other writers is not an error. Values are bigints (a long does not fit a number); arithmetic
// wraps as Java's does. docs/curator-leaders.md#distributedatomiclong
//
// Not here: Curator's PromotedToLock fallback (a mutex after the optimistic tries fail). And one
// fix: a write whose reply is lost is not retried blindly, which in Curator can add an increment
// twice (versioned-write.ts).

import {
  InvalidArgumentError,
  NoNodeError,
  type RecipeClient,
  validatePath,
} from '../../lib/recipe-client.js';
import { decodeCuratorLong, encodeCuratorLong, toBigInt } from './curator-numbers.js';
import { createIfMissing, setIfVersion } from './versioned-write.js';

/** The outcome of one operation (Curator's AtomicValue). */
export interface AtomicValue<T> {
  /** Whether the operation changed the value (get always succeeds). */
  readonly succeeded: boolean;
  /** The value before the operation (0n for a missing node). */
  readonly preValue: T;
  /** The value after it: what was written if it succeeded (for a failed one, Curator's reading: 0n). */
  readonly postValue: T;
  /** How many optimistic tries it took. */
  readonly tries: number;
}

/** Options of a DistributedAtomicLong: how often to try when other writers come first (Curator's RetryPolicy). */
export interface AtomicLongOptions {
  /** Tries of each operation before it resolves with `succeeded: false` (default 10). */
  maxTries?: number;
  /** Pause between tries, ms, on the client's handler clock (default 10). */
  retryDelay?: number;
}

/** Curator's DistributedAtomicLong on `path`. */
export class DistributedAtomicLong {
  /** The counter's node. */
  readonly path: string;
  private readonly client: RecipeClient;
  private readonly maxTries: number;
  private readonly retryDelay: number;

  constructor(client: RecipeClient, path: string, options: AtomicLongOptions = {}) {
    validatePath(path);
    const { maxTries = 10, retryDelay = 10 } = options;
    if (!(Number.isInteger(maxTries) && maxTries >= 1))
      throw new InvalidArgumentError('maxTries', 'maxTries must be an integer, 1 or more');
    if (!(Number.isFinite(retryDelay) && retryDelay >= 0))
      throw new InvalidArgumentError('retryDelay', 'retryDelay must be a number of ms, 0 or more');
    this.client = client;
    this.path = path;
    this.maxTries = maxTries;
    this.retryDelay = retryDelay;
  }

  /** The value now (0n when the node does not exist). */
  async get(): Promise<AtomicValue<bigint>> {
    const [value] = await this.read();
    return { succeeded: true, preValue: value, postValue: value, tries: 1 };
  }

  /** Adds 1. */
  increment(): Promise<AtomicValue<bigint>> {
    return this.add(1n);
  }

  /** Subtracts 1. */
  decrement(): Promise<AtomicValue<bigint>> {
    return this.add(-1n);
  }

  /** Adds `delta` (a bigint, or a safe-integer number). */
  async add(delta: bigint | number): Promise<AtomicValue<bigint>> {
    const amount = toBigInt(delta);
    return this.trySetWith((previous) => previous + amount);
  }

  /** Subtracts `delta`. */
  async subtract(delta: bigint | number): Promise<AtomicValue<bigint>> {
    const amount = toBigInt(delta);
    return this.trySetWith((previous) => previous - amount);
  }

  /** Sets `value` whatever the value is now, retrying while other writers come first. */
  async trySet(value: bigint | number): Promise<AtomicValue<bigint>> {
    const next = toBigInt(value);
    return this.trySetWith(() => next);
  }

  /**
   * Sets `value` only if the value now is `expected`, in one try (Curator's compareAndSet): a
   * missing node never matches, and another writer coming first is `succeeded: false`.
   */
  async compareAndSet(expected: bigint | number, value: bigint | number): Promise<AtomicValue<bigint>> {
    const want = BigInt.asIntN(64, toBigInt(expected));
    const next = BigInt.asIntN(64, toBigInt(value));
    const [pre, version] = await this.read();
    if (version === undefined || pre !== want)
      return { succeeded: false, preValue: pre, postValue: 0n, tries: 1 };
    const stat = await setIfVersion(this.client, this.path, encodeCuratorLong(next), version);
    return {
      succeeded: stat !== undefined,
      preValue: pre,
      postValue: stat === undefined ? 0n : next,
      tries: 1,
    };
  }

  /** Writes `value` unconditionally, creating the node (parents as containers) if it is missing. */
  async forceSet(value: bigint | number): Promise<void> {
    const bytes = encodeCuratorLong(value);
    const { client } = this;
    for (;;) {
      try {
        await client.retry(() => client.set(this.path, bytes));
        return;
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
      if (await createIfMissing(client, this.path, bytes)) return;
    }
  }

  /** Creates the node holding `value` if it does not exist: true when created, false when it existed. */
  async initialize(value: bigint | number): Promise<boolean> {
    return createIfMissing(this.client, this.path, encodeCuratorLong(value));
  }

  /** The optimistic loop: read, compute, write at the version read; up to `maxTries` tries. */
  private async trySetWith(make: (previous: bigint) => bigint): Promise<AtomicValue<bigint>> {
    let pre = 0n;
    for (let tries = 1; ; tries++) {
      const [value, version] = await this.read();
      pre = value;
      const next = BigInt.asIntN(64, make(value));
      const bytes = encodeCuratorLong(next);
      const written =
        version === undefined
          ? await createIfMissing(this.client, this.path, bytes)
          : (await setIfVersion(this.client, this.path, bytes, version)) !== undefined;
      if (written) return { succeeded: true, preValue: pre, postValue: next, tries };
      if (tries >= this.maxTries) return { succeeded: false, preValue: pre, postValue: 0n, tries };
      await this.client.handler.sleep(this.retryDelay);
    }
  }

  /** The value and data version now; the version is undefined when the node does not exist. */
  private async read(): Promise<[bigint, number | undefined]> {
    const { client } = this;
    try {
      const [data, stat] = await client.retry(() => client.get(this.path));
      return [decodeCuratorLong(data, this.path), stat.version];
    } catch (error) {
      if (error instanceof NoNodeError) return [0n, undefined];
      throw error;
    }
  }
}
