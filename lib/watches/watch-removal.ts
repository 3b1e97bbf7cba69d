// What removeWatches sends, given what this client has registered on a path. The server holds one
// entry per (connection, path) in each of two tables, data and child, with one mode each; a
// persistent or recursive watch occupies both (docs/protocol.md#watch-tables). So the request is chosen by
// which tables lose their last reason to hold the path:
//
// - the last persistent and recursive watch goes: removeWatches(Any). A 3.8 server answers
//   WatcherType 4/5 with MARSHALLINGERROR, and Any also drops the standard watches of the path,
//   so the one-shot watches left there are registered again afterwards (`rearm`);
// - the last recursive watch goes, a persistent one stays: addWatch(PERSISTENT) turns the mode back;
// - a table loses its last one-shot watch and no persistent watch holds it: removeWatches(Data,
//   Children or Any), as the Java client's removeAllWatches;
// - otherwise nothing changes on the server: checkWatches (17), as the Java client sends for one
//   watcher, which keeps the reply in request order and still reports NOWATCHER.

import { AddWatchMode, OpCode, WatcherType } from '../../protocol/constants.js';
import type { WatchCallback, WatchKind, WatchRegistry } from './watch-registry.js';

/** What removeWatches removes: one-shot data (and exist) or child watches, persistent ones, or all. */
export type RemovableWatchType = 'data' | 'children' | 'any' | 'persistent' | 'persistentRecursive';

/** The tables each type clears, as ZKWatchManager.removeWatcher. */
const KINDS_OF: Record<RemovableWatchType, readonly WatchKind[]> = {
  data: ['data', 'exist'],
  children: ['child'],
  persistent: ['persistent'],
  persistentRecursive: ['persistentRecursive'],
  any: ['data', 'exist', 'child', 'persistent', 'persistentRecursive'],
};

/** The WatcherType a checkWatches for each type asks about (4 and 5 would fail on 3.8). */
const CHECK_TYPE: Record<RemovableWatchType, WatcherType> = {
  data: WatcherType.Data,
  children: WatcherType.Children,
  persistent: WatcherType.Any,
  persistentRecursive: WatcherType.Any,
  any: WatcherType.Any,
};

/** The request of one removal and what to change locally once it is answered. */
export interface RemovalPlan {
  request:
    | { op: typeof OpCode.removeWatches | typeof OpCode.checkWatches; body: { path: string; type: number } }
    | { op: typeof OpCode.addWatch; body: { path: string; mode: number } };
  /** The registrations to remove when the reply comes. */
  targets: Array<[WatchKind, WatchCallback]>;
  /** Whether the server drops the path's one-shot watches too, so the ones left must go back. */
  rearm: boolean;
}

/** What the server holds for one path, as implied by this client's registrations. */
interface PathShape {
  oneShotData: boolean;
  oneShotChild: boolean;
  persistent: boolean;
  recursive: boolean;
}

/**
 * Plans removing `callback` (or every callback) of `type` from `path`; undefined when nothing
 * matches (NOWATCHER, found locally first as the Java client does). `serverPath` goes on the wire.
 */
export function planRemoval(
  registry: WatchRegistry,
  path: string,
  serverPath: string,
  type: RemovableWatchType,
  callback: WatchCallback | undefined,
): RemovalPlan | undefined {
  const targets: Array<[WatchKind, WatchCallback]> = [];
  for (const kind of KINDS_OF[type]) {
    for (const cb of registry.callbacks(kind, path))
      if (callback === undefined || cb === callback) targets.push([kind, cb]);
  }
  if (targets.length === 0) return undefined;
  const before = shapeOf(registry, path, []);
  const after = shapeOf(registry, path, targets);
  const wasPersistent = before.persistent || before.recursive;
  const staysPersistent = after.persistent || after.recursive;
  const remove = (watcherType: WatcherType): RemovalPlan['request'] => ({
    op: OpCode.removeWatches,
    body: { path: serverPath, type: watcherType },
  });
  if (wasPersistent && !staysPersistent) {
    // Rearmed whatever is left when the reply comes: one-shot watches answered meanwhile count too.
    return { request: remove(WatcherType.Any), targets, rearm: true };
  }
  if (before.recursive && !after.recursive) {
    const body = { path: serverPath, mode: AddWatchMode.PERSISTENT };
    return { request: { op: OpCode.addWatch, body }, targets, rearm: false };
  }
  // Tables a persistent watch keeps are not touched; a recursive one needs no child entry.
  const dataGone = before.oneShotData && !after.oneShotData && !staysPersistent;
  const childGone = before.oneShotChild && !after.oneShotChild && !after.persistent;
  if (dataGone || childGone) {
    const watcherType =
      dataGone && childGone ? WatcherType.Any : dataGone ? WatcherType.Data : WatcherType.Children;
    return { request: remove(watcherType), targets, rearm: false };
  }
  const body = { path: serverPath, type: CHECK_TYPE[type] };
  return { request: { op: OpCode.checkWatches, body }, targets, rearm: false };
}

function shapeOf(
  registry: WatchRegistry,
  path: string,
  without: Array<[WatchKind, WatchCallback]>,
): PathShape {
  const left = (kind: WatchKind): boolean =>
    registry.callbacks(kind, path).some((cb) => !without.some(([k, c]) => k === kind && c === cb));
  return {
    oneShotData: left('data') || left('exist'),
    oneShotChild: left('child'),
    persistent: left('persistent'),
    recursive: left('persistentRecursive'),
  };
}
