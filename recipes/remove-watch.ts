// Taking a recipe's watch back, on the client and on the server, when the recipe stops. A one-shot
// watch that is merely forgotten stays on the server until it fires (kazoo #733); ZooKeeper 3.5+
// removes it with removeWatches (op 18).

import {
  NoNodeError,
  NoWatcherError,
  type RecipeClient,
  type RemovableWatchType,
  type WatchCallback,
} from '../lib/recipe-client.js';
import { isConnectionProblem, reportFault } from './faults.js';

/** Which watches of a path to remove, as removeWatches names them ('data' includes exist watches). */
export type WatchType = Extract<RemovableWatchType, 'data' | 'children' | 'any'>;

/**
 * Removes `callback`'s watches of `type` on `path`, on the server too. Never rejects: a watch that
 * already fired (or was never set) is fine; when the server cannot be reached the watch is removed
 * locally, so no SetWatches sets it again after a reconnect; other failures are reported as faults.
 */
export async function removeWatch(
  client: RecipeClient,
  path: string,
  type: WatchType,
  callback: WatchCallback,
): Promise<void> {
  try {
    await client.removeWatches(path, type, { callback });
  } catch (error) {
    if (error instanceof NoWatcherError || error instanceof NoNodeError) return;
    if (!isConnectionProblem(client, error)) {
      reportFault(client, error);
      return;
    }
    await client.removeWatches(path, type, { callback, local: true }).catch((localError: unknown) => {
      if (!(localError instanceof NoWatcherError)) reportFault(client, localError);
    });
  }
}
