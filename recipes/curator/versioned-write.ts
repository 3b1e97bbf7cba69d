// A compare-and-set write whose reply may be lost. SharedCount's trySetCount and
// DistributedAtomicLong's operations write a node only if it is still at the version they read
// (or create it only if it is still missing). When the reply of such a write is lost, the server
// may have applied it or not. Curator runs the write again under its retry loop: a write that was
// applied then fails with BadVersion (or NodeExists), the recipe reports "someone else came
// first", and a caller that increments in a loop adds its amount a second time.
//
// Here the write is never repeated blindly. After a connection problem the node is read again:
// still at the expected version (or still missing) means the write was not applied, so it is sent
// again; at the next version with other bytes (or created with other bytes) means another writer
// came first. Anything else cannot be told apart from our own write, and the call rejects with
// WriteOutcomeUnknownError instead of guessing. The read sees our write if the server applied it:
// one session's requests are applied in order, and a reconnect resumes the session on a server
// at least as new as the last reply it had.

import {
  BadVersionError,
  ConnectionClosedError,
  NodeExistsError,
  NoNodeError,
  type RecipeClient,
} from '../../lib/recipe-client.js';
import type { Stat } from '../../protocol/index.js';
import { isConnectionProblem } from '../faults.js';
import { createWithContainerParents } from './container-parents.js';

/** A write's reply was lost and what the node holds now could be our write or another writer's. */
export class WriteOutcomeUnknownError extends Error {
  override readonly name = 'WriteOutcomeUnknownError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_WRITE_OUTCOME_UNKNOWN';
  constructor(
    /** The node written. */
    readonly path: string,
    /** The connection problem that lost the reply. */
    override readonly cause: unknown,
  ) {
    super(`the reply of a write to ${path} was lost and the write may or may not have been applied`, {
      cause,
    });
  }

  /** `{ name, message, code, path }` for JSON.stringify. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, code: this.code, path: this.path };
  }
}

/**
 * Sets `path` to `data` if it is at `version`. Resolves with the node's new Stat, or undefined
 * when another writer came first (BadVersion, or the node is gone). Rejects with
 * WriteOutcomeUnknownError when a lost reply leaves it unknown, and with any other failure as is.
 */
export async function setIfVersion(
  client: RecipeClient,
  path: string,
  data: Buffer,
  version: number,
): Promise<Stat | undefined> {
  for (;;) {
    let problem: unknown;
    try {
      return await client.set(path, data, { version });
    } catch (error) {
      if (error instanceof BadVersionError || error instanceof NoNodeError) return undefined;
      if (!isUncertain(client, error)) throw error;
      problem = error;
    }
    const now = await readNode(client, path);
    if (now === undefined) return undefined;
    const [current, stat] = now;
    if (stat.version === version) continue; // not applied: safe to send again
    if (stat.version === version + 1 && !data.equals(current ?? Buffer.alloc(0))) return undefined;
    throw new WriteOutcomeUnknownError(path, problem);
  }
}

/**
 * Creates `path` holding `data` (missing parents as containers) if it does not exist. Resolves
 * true once created, false when it exists (another writer came first); rejects as setIfVersion.
 */
export async function createIfMissing(client: RecipeClient, path: string, data: Buffer): Promise<boolean> {
  for (;;) {
    let problem: unknown;
    try {
      await createWithContainerParents(client, path, data, {});
      return true;
    } catch (error) {
      if (error instanceof NodeExistsError) return false;
      if (!isUncertain(client, error)) throw error;
      problem = error;
    }
    const now = await readNode(client, path);
    if (now === undefined) continue; // not applied: safe to send again
    const [current, stat] = now;
    if (stat.version === 0 && !data.equals(current ?? Buffer.alloc(0))) return false;
    throw new WriteOutcomeUnknownError(path, problem);
  }
}

/** A failure after which the write may have been applied: the request may have reached the server. */
function isUncertain(client: RecipeClient, error: unknown): boolean {
  return !(error instanceof ConnectionClosedError) && isConnectionProblem(client, error);
}

/** The node's data and Stat, read under the client's retry policy; undefined when it does not exist. */
async function readNode(client: RecipeClient, path: string): Promise<[Buffer | null, Stat] | undefined> {
  try {
    return await client.retry(() => client.get(path));
  } catch (error) {
    if (error instanceof NoNodeError) return undefined;
    throw error;
  }
}
