// Curator's SharedCount: a SharedValue (shared-value.ts) holding a Java int as Curator writes it,
// 4 bytes big-endian (curator-numbers.ts), so a Curator SharedCount, a kazoo Counter with
// `support_curator` and this one count on the same node. Increment it with a compare-and-set loop:
// read `getVersionedValue()`, `trySetCount(previous, previous.value + 1)`, again while it is false.
// docs/curator-leaders.md#sharedcount

import { EventEmitter } from 'eventemitter3';
import type { RecipeClient } from '../../lib/recipe-client.js';
import { decodeCuratorInt, encodeCuratorInt } from './curator-numbers.js';
import { SharedValue, type VersionedValue } from './shared-value.js';

/** Events of a SharedCount. */
export interface SharedCountEvents {
  /** The count changed (by anyone, this participant included): Curator's `countHasChanged`. */
  change: [count: number];
}

/** Curator's SharedCount on `path`: `start()`, then read the cached count and set it. `await using` closes it. */
export class SharedCount extends EventEmitter<SharedCountEvents> implements AsyncDisposable {
  /** The shared node. */
  readonly path: string;
  private readonly value: SharedValue;

  /** A shared count at `path`, created holding `seed` if missing. Nothing is sent until `start()`. */
  constructor(client: RecipeClient, path: string, seed: number) {
    super();
    this.path = path;
    this.value = new SharedValue(client, path, encodeCuratorInt(seed, `the seed of ${path}`));
    this.value.on('change', (bytes) => this.emit('change', this.decode(bytes)));
  }

  /** The cached count: the seed until `start()` has read the node. */
  getCount(): number {
    return this.decode(this.value.getValue());
  }

  /** The cached count with the mzxid and version it was read at, for `trySetCount`. */
  getVersionedValue(): VersionedValue<number> {
    const { zxid, version, value } = this.value.getVersionedValue();
    return { zxid, version, value: this.decode(value) };
  }

  /** Creates the node with the seed if missing, reads it and watches it (SharedValue.start). */
  start(): Promise<void> {
    return this.value.start();
  }

  /** Sets the count whatever it is now. */
  async setCount(count: number): Promise<void> {
    return this.value.setValue(encodeCuratorInt(count, `the count of ${this.path}`));
  }

  /**
   * Sets the count only if the node still holds `previous` (from `getVersionedValue()`): true when
   * set, false when another writer came first. See SharedValue.trySetValue for the errors.
   */
  async trySetCount(previous: VersionedValue<number>, count: number): Promise<boolean> {
    const next = encodeCuratorInt(count, `the count of ${this.path}`);
    const before = { ...previous, value: encodeCuratorInt(previous.value, `the count of ${this.path}`) };
    return this.value.trySetValue(before, next);
  }

  /** Stops watching the node; the node stays. Idempotent. */
  close(): Promise<void> {
    return this.value.close();
  }

  /** `await using count = zk.SharedCount(path, 0)` closes it when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private decode(bytes: Buffer): number {
    return decodeCuratorInt(bytes, `the shared count ${this.path}`);
  }
}
