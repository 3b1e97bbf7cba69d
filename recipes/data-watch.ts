// kazoo's DataWatch: `fn(data, stat)` now and after every change of a node's data, including its
// creation and deletion; a missing node is `fn(null, null)`, so it doubles as an existence watch
// that survives session loss.

import { NoNodeError, type RecipeClient, type WatchedEvent } from '../lib/recipe-client.js';
import type { Stat } from '../protocol/index.js';
import { RearmingWatch } from './rearming-watch.js';

/**
 * Called with the node's data and stat (both null while the node does not exist), and, when it
 * declares a third parameter (or `sendEvent` is set), with the server event behind the call:
 * undefined for the first call and for re-reads after a session loss. Return `false` (or a promise
 * of it) to stop. A throw is reported as the client's 'error' and the watch goes on.
 */
export type DataWatchFunction = (data: Buffer | null, stat: Stat | null, event?: WatchedEvent) => unknown;

/** Options of a DataWatch. */
export interface DataWatchOptions {
  /** Pass the event as the third argument. Default: when `fn.length >= 3` (never guessed by catching TypeError, kazoo #475). */
  sendEvent?: boolean;
}

/** `zk.DataWatch(path)`: the decorator form, returning the started watch. */
export type DataWatchBinder = (fn: DataWatchFunction) => DataWatch;

/**
 * Watches one node's data. The function is called at once with the current state, then whenever
 * the node's `mzxid` changes: a setData (even of the same bytes), a create, a delete. Re-reads after
 * a reconnect or a session loss call it only if the node changed meanwhile.
 */
export class DataWatch extends RearmingWatch<DataWatchFunction> {
  protected readonly watchType = 'data';
  private readonly sendEvent: boolean | undefined;
  private passEvent = false;
  private everCalled = false;
  /** The mzxid the function was last called with; null for "no node". */
  private mzxid: bigint | null = null;

  constructor(client: RecipeClient, path: string, fn?: DataWatchFunction, options: DataWatchOptions = {}) {
    super(client, path);
    this.sendEvent = options.sendEvent;
    if (fn !== undefined) this.watch(fn);
  }

  protected override configure(fn: DataWatchFunction): void {
    this.passEvent = this.sendEvent ?? fn.length >= 3;
  }

  protected async read(event: WatchedEvent | undefined): Promise<void> {
    const { client, path, onEvent } = this;
    let data: Buffer | null = null;
    let stat: Stat | null;
    try {
      [data, stat] = await this.attempt(() => client.get(path, onEvent));
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      // getData sets no watch on a missing node; exists does, and NodeCreated will fire it.
      stat = await this.attempt(() => client.exists(path, onEvent));
      if (stat !== null) {
        // Created between the two reads: read its data (exists set a data watch already).
        return this.read(event);
      }
    }
    const mzxid = stat === null ? null : stat.mzxid;
    if (this.everCalled && mzxid === this.mzxid) return;
    this.everCalled = true;
    this.mzxid = mzxid;
    const passEvent = this.passEvent;
    this.call((fn) => (passEvent ? fn(data, stat, event) : fn(data, stat)));
  }
}

/** The client's `DataWatch(path, fn?, options?)`: a started watch, or the decorator form without `fn`. */
export function dataWatch(
  client: RecipeClient,
  path: string,
  fnOrOptions?: DataWatchFunction | DataWatchOptions,
  options?: DataWatchOptions,
): DataWatch | DataWatchBinder {
  if (typeof fnOrOptions === 'function') return new DataWatch(client, path, fnOrOptions, options);
  const watch = new DataWatch(client, path, undefined, fnOrOptions);
  return (fn) => watch.watch(fn);
}
