// Putting watches back on the server (docs/protocol.md#setwatches): after a reconnect, and after a removal
// that dropped more than it should have. SetWatches (101) carries one-shot paths; SetWatches2
// (105), used once any persistent watch exists, adds persistent and recursive ones. Both go in
// batches under 128 KB of paths (ZOOKEEPER-706), lists in the Java client's order: data, exist,
// child, persistent, recursive.
//
// For each one-shot path the server compares the node with `relativeZxid` and fires a missed event
// at once; persistent paths it only adds. So the node a persistent watch sits on is listed as a
// one-shot path too, as a data or exist watch by whether it was last known to exist: the server
// then reports a change made while we were away, and the persistent list that follows in the same
// request turns that standard entry back into a persistent one.

import { OpCode } from '../../protocol/constants.js';
import type { SetWatches, SetWatches2 } from '../../protocol/records.js';
import { prefixChroot } from '../paths.js';
import type { WatchRegistry } from './watch-registry.js';

/** SetWatches batches stay under this many bytes of paths (ZOOKEEPER-706, as the Java client). */
export const SET_WATCHES_BATCH_BYTES = 128 * 1024;

/** Client paths to register, per list. */
export interface WatchLists {
  data: string[];
  exist: string[];
  child: string[];
  persistent: string[];
  persistentRecursive: string[];
}

/** One SetWatches or SetWatches2 request. */
export type SetWatchesRequest =
  | { op: typeof OpCode.setWatches; body: SetWatches }
  | { op: typeof OpCode.setWatches2; body: SetWatches2 };

/**
 * Everything to register on a new connection. A child watch beside a recursive watch on the same
 * path comes last, in a SetWatches of its own: a 3.8 server puts a recursive watch in its child
 * table too, where it would swallow the child watch listed before it in the same request.
 */
export function reconnectRequests(
  registry: WatchRegistry,
  relativeZxid: bigint,
  chroot: string,
): SetWatchesRequest[] {
  if (registry.size === 0) return [];
  const lists: WatchLists = {
    data: registry.paths('data'),
    exist: registry.paths('exist'),
    child: registry.paths('child'),
    persistent: registry.paths('persistent'),
    persistentRecursive: registry.paths('persistentRecursive'),
  };
  addReplayPaths(registry, lists);
  const requests = setWatchesRequests(lists, relativeZxid, chroot);
  const childBesideRecursive = lists.child.filter((p) => registry.has('persistentRecursive', p));
  if (childBesideRecursive.length > 0) {
    requests.push(
      ...setWatchesRequests({ ...emptyLists(), child: childBesideRecursive }, relativeZxid, chroot),
    );
  }
  return requests;
}

/**
 * The one-shot watches of `path` that the server does not hold but must: after a persistent watch
 * they relied on is gone, or was never added.
 */
export function rearmRequests(
  registry: WatchRegistry,
  path: string,
  relativeZxid: bigint,
  chroot: string,
): SetWatchesRequest[] {
  const lists = emptyLists();
  for (const kind of ['data', 'exist', 'child'] as const) {
    if (registry.has(kind, path) && !registry.servedByPersistent(kind, path)) lists[kind].push(path);
  }
  return setWatchesRequests(lists, relativeZxid, chroot);
}

/**
 * Splits the lists into requests under `batchBytes` of (server) path bytes each, filling one list
 * after the other. SetWatches2 for every batch once any persistent path exists.
 */
export function setWatchesRequests(
  lists: WatchLists,
  relativeZxid: bigint,
  chroot: string,
  batchBytes = SET_WATCHES_BATCH_BYTES,
): SetWatchesRequest[] {
  const persistent = lists.persistent.length + lists.persistentRecursive.length > 0;
  const requests: SetWatchesRequest[] = [];
  let batch = emptyLists();
  let bytes = 0;
  const flush = (): void => {
    const common = {
      relativeZxid,
      dataWatches: batch.data,
      existWatches: batch.exist,
      childWatches: batch.child,
    };
    requests.push(
      persistent
        ? {
            op: OpCode.setWatches2,
            body: {
              ...common,
              persistentWatches: batch.persistent,
              persistentRecursiveWatches: batch.persistentRecursive,
            },
          }
        : { op: OpCode.setWatches, body: common },
    );
    batch = emptyLists();
    bytes = 0;
  };
  for (const list of ['data', 'exist', 'child', 'persistent', 'persistentRecursive'] as const) {
    for (const clientPath of lists[list]) {
      const serverPath = prefixChroot(chroot, clientPath);
      const size = Buffer.byteLength(serverPath);
      if (bytes + size > batchBytes && bytes > 0) flush();
      batch[list].push(serverPath);
      bytes += size;
    }
  }
  if (bytes > 0) flush();
  return requests;
}

/**
 * Lists each persistent watch's node as a one-shot path too, so the server reports what changed
 * there while we were away: as a data watch (deleted, or data changed since `relativeZxid`) when
 * it last existed, as an exist watch (created) when it did not, nowhere while unknown. A plain
 * persistent watch also gets child events, so its existing node goes in the child list as well.
 */
function addReplayPaths(registry: WatchRegistry, lists: WatchLists): void {
  const roots = new Set([...lists.persistent, ...lists.persistentRecursive]);
  if (roots.size === 0) return;
  const data = new Set(lists.data);
  const exist = new Set(lists.exist);
  const child = new Set(lists.child);
  for (const root of roots) {
    const exists = registry.believedExists(root);
    if (exists === undefined) continue;
    if (!data.has(root) && !exist.has(root)) (exists ? lists.data : lists.exist).push(root);
    const childEvents = !registry.has('persistentRecursive', root);
    if (exists && childEvents && !child.has(root)) lists.child.push(root);
  }
}

function emptyLists(): WatchLists {
  return { data: [], exist: [], child: [], persistent: [], persistentRecursive: [] };
}
