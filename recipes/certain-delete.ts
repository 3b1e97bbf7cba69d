// Removing a recipe's own contender node after an acquire gave up (timeout, cancel, abort, error,
// a non-blocking miss), for certain. kazoo's `_best_effort_cleanup` tries one delete and swallows
// its failure, so a timeout during a connection outage leaves the node behind for the rest of the
// session, and the lock is stuck for every other contender (#732; #429 for Semaphore). Here the
// delete is retried until the node is gone, or the client is stopped (its session closes and takes
// every ephemeral with it). docs/recipes.md#certain-cleanup

import { ConnectionClosedError, joinPath, NoNodeError, type RecipeClient } from '../lib/recipe-client.js';
import { isConnectionProblem, reportFault } from './faults.js';

/** The first pause between attempts after a connection problem, ms (doubling up to MAX_PAUSE_MS). */
const FIRST_PAUSE_MS = 50;
const MAX_PAUSE_MS = 1000;

/** Which node to remove: its name when known, else whatever child of `parent` starts with `prefix`. */
export interface OwnNode {
  /** The lock (or lease) node the contender lives under. */
  readonly parent: string;
  /** The name prefix only this contender uses (`<uuid><marker>`). */
  readonly prefix: string;
  /** The node's name, when the create's reply said it. */
  readonly name?: string | undefined;
  /**
   * The create that may still be on its way (a caller that gave up does not wait for it): its
   * outcome names the node, or undefined when it failed (then the prefix finds a node made anyway).
   */
  readonly created?: Promise<string | undefined> | undefined;
  /** A persistent node (`ephemeral: false`) outlives its session: a stopped client is reported, not assumed to have removed it. */
  readonly persistent?: boolean;
}

/**
 * Deletes the node, retrying through connection loss and session moves until it is gone. Resolves
 * once it is gone (NoNode counts), or the client is closed; a failure that is not a connection
 * problem (NoAuth...) is reported as the client's 'error' and ends it. Never rejects.
 */
export async function deleteForCertain(client: RecipeClient, node: OwnNode): Promise<void> {
  let name = node.name;
  if (name === undefined && node.created !== undefined) name = await node.created;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      const names =
        name !== undefined
          ? [name]
          : (await client.getChildren(node.parent)).filter((child) => child.startsWith(node.prefix));
      for (const child of names) {
        await client.delete(joinPath(node.parent, child)).catch((error: unknown) => {
          if (!(error instanceof NoNodeError)) throw error;
        });
      }
      return;
    } catch (error) {
      // The lock node itself is gone, so its children are.
      if (error instanceof NoNodeError) return;
      // A stopped client closed its session: its ephemerals went with it.
      if (error instanceof ConnectionClosedError) {
        if (node.persistent)
          reportFault(
            client,
            new Error(
              `the client was stopped before it could remove ${node.parent}/${name ?? `${node.prefix}*`}`,
              { cause: error },
            ),
          );
        return;
      }
      if (!isConnectionProblem(client, error)) {
        reportFault(client, error);
        return;
      }
      // A request made while disconnected waits for the connection, so this pause only spaces
      // attempts that fail at once.
      await client.handler.sleep(pause);
    }
  }
}
