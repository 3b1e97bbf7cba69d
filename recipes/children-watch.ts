// kazoo's ChildrenWatch: `fn(children)` now and after every change of a node's children list.

import { NoNodeError, type RecipeClient, type WatchedEvent } from '../lib/recipe-client.js';
import { RearmingWatch } from './rearming-watch.js';

/**
 * Called with the children's names (in the server's order), and with the server event behind the
 * call when `sendEvent` is set (undefined for the first call and for re-reads after a session
 * loss or an outage). Return `false` (or a promise of it) to stop. A throw is reported as the
 * client's 'error' and the watch goes on.
 */
export type ChildrenWatchFunction = (children: string[], event?: WatchedEvent) => unknown;

/** Options of a ChildrenWatch (kazoo's, in camelCase). */
export interface ChildrenWatchOptions {
  /**
   * true (default): after a session loss, re-arm on the new session and call the function if the
   * list changed meanwhile. false: stop when the session is lost (expired, closed). Unlike kazoo's
   * `allow_session_lost=False` (#156), a plain disconnect never stops the watch.
   */
  allowSessionLost?: boolean;
  /** Pass the event as the second argument. Default false. */
  sendEvent?: boolean;
}

/** `zk.ChildrenWatch(path, options?)`: the decorator form, returning the started watch. */
export type ChildrenWatchBinder = (fn: ChildrenWatchFunction) => ChildrenWatch;

/**
 * Watches one node's children. The node must exist: if it is missing at the start, `initialized`
 * rejects with NoNodeError and the function is never called; once the node is deleted the watch
 * stops (as kazoo's does). After the first call, the function is called only when the list differs
 * from the one it last got. kazoo compares only on its re-read after a reconnect; here a change
 * missed while disconnected arrives as an ordinary server event (SetWatches), so every read
 * compares, and a child added and removed between two reads calls nothing.
 */
export class ChildrenWatch extends RearmingWatch<ChildrenWatchFunction> {
  protected readonly watchType = 'children';
  private readonly allowSessionLost: boolean;
  private readonly sendEvent: boolean;
  /** The list the function was last called with, sorted, for comparison. */
  private prior: string[] | undefined;

  constructor(
    client: RecipeClient,
    path: string,
    fn?: ChildrenWatchFunction,
    options: ChildrenWatchOptions = {},
  ) {
    super(client, path);
    this.allowSessionLost = options.allowSessionLost ?? true;
    this.sendEvent = options.sendEvent ?? false;
    if (fn !== undefined) this.watch(fn);
  }

  protected override sessionEnded(): void {
    if (this.allowSessionLost) super.sessionEnded();
    else this.end(undefined);
  }

  protected async read(event: WatchedEvent | undefined): Promise<void> {
    const { client, path, onEvent } = this;
    let children: string[];
    try {
      children = await this.attempt(() => client.getChildren(path, onEvent));
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      this.end(error);
      return;
    }
    const sorted = [...children].sort();
    if (this.prior !== undefined && sameList(this.prior, sorted)) return;
    this.prior = sorted;
    const sendEvent = this.sendEvent;
    this.call((fn) => (sendEvent ? fn(children, event) : fn(children)));
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** The client's `ChildrenWatch(path, fn?, options?)`: a started watch, or the decorator form without `fn`. */
export function childrenWatch(
  client: RecipeClient,
  path: string,
  fnOrOptions?: ChildrenWatchFunction | ChildrenWatchOptions,
  options?: ChildrenWatchOptions,
): ChildrenWatch | ChildrenWatchBinder {
  if (typeof fnOrOptions === 'function') return new ChildrenWatch(client, path, fnOrOptions, options);
  const watch = new ChildrenWatch(client, path, undefined, fnOrOptions);
  return (fn) => watch.watch(fn);
}
