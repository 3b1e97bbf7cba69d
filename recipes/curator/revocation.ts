// Curator's lock revocation: a contender that wants a lock asks its holder to let go by writing
// `__REVOKE__` into the holder's node (Revoker.attemptRevoke); a holder that made its lock
// revocable keeps a getData watch on its own node and, when that data arrives, calls its
// listener, which decides whether to release. Nothing is forced: a holder that never made its
// lock revocable, or ignores the request, keeps it. Java and Node holders and revokers mix, since
// the request is only bytes in the node. docs/curator-locks.md#revocation

import {
  ConnectionState,
  NoNodeError,
  type RecipeClient,
  type WatchCallback,
} from '../../lib/recipe-client.js';
import { EventType } from '../../protocol/index.js';
import { isConnectionProblem, reportFault } from '../faults.js';
import { removeWatch } from '../remove-watch.js';

/** The bytes a revoker writes into a holder's node (ASCII, as Curator's `"__REVOKE__".getBytes()`). */
export const REVOKE_MESSAGE = '__REVOKE__';

const REVOKE_BYTES = Buffer.from(REVOKE_MESSAGE, 'latin1');

/**
 * Asks the holder of the lock node `nodePath` (a full path, as `getParticipantNodes()` lists them)
 * to release it, as Curator's `Revoker.attemptRevoke`: writes `__REVOKE__` into the node. A node
 * already gone is fine. Only a holder that made its lock revocable hears it.
 */
export async function attemptRevoke(client: RecipeClient, nodePath: string): Promise<void> {
  try {
    await client.set(nodePath, REVOKE_BYTES);
  } catch (error) {
    if (!(error instanceof NoNodeError)) throw error;
  }
}

/**
 * Watches our own lock node for a revocation request and calls `onRequest` when one is written
 * (and again on every later write of it). Returns the function that stops watching.
 */
export function watchForRevocation(client: RecipeClient, path: string, onRequest: () => void): () => void {
  let active = true;
  const watch: WatchCallback = (event) => {
    if (active && event.type === EventType.NodeDataChanged) void read();
  };
  const read = async (): Promise<void> => {
    try {
      const [data] = await client.retry(() => client.get(path, watch));
      if (active && data !== null && REVOKE_BYTES.equals(data)) onRequest();
    } catch (error) {
      // Gone with the lock (released, or the session ended): nothing left to revoke.
      if (error instanceof NoNodeError || isConnectionProblem(client, error)) return;
      reportFault(client, error);
    }
  };
  void read();
  return () => {
    if (!active) return;
    active = false;
    if (client.connectionState !== ConnectionState.CLOSED) void removeWatch(client, path, 'data', watch);
  };
}
