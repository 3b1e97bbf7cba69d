// Curator's protected create, recovery included (docs/protocol.md#protected-creates). A create can
// be applied while its reply is lost (ZOOKEEPER-22): the client sees ConnectionLoss, or its timeout,
// and a sequential node it cannot name stays for the session, holding a lock or leadership no one
// releases. So the node is named `_c_<uuid>-<name>`, and after a create whose outcome is unknown
// the next attempt first lists the parent: a child with this create's prefix is the create's
// result. An ephemeral node found is adopted only when the current session owns it; one of an
// ended session is deleted and the create made anew under a fresh id (CURATOR-498). When every
// attempt fails, any node the last create may have made is removed in the background (CURATOR-45).

import type { Stat } from '../../protocol/records.js';
import {
  ConnectionLossError,
  ForceRetryError,
  InvalidArgumentError,
  NodeExistsError,
  NoNodeError,
  OperationTimeoutError,
  RetryFailedError,
  ZooKeeperError,
} from '../errors.js';
import { joinPath } from '../paths.js';
import type { RecipeClient } from '../recipe-client.js';
import { startDeadline } from './deadline.js';
import type { BackgroundDelete } from './guaranteed-deletes.js';
import type { CallOptions } from './options.js';
import { newProtectionId, protectedPrefix } from './protected-names.js';

/** What a protected create uses of its client: plain operations, the command retry policy, the session id. */
export type ProtectedCreateClient = Pick<
  RecipeClient,
  'handler' | 'clientId' | 'sync' | 'getChildren' | 'exists' | 'delete' | 'retry'
>;

/** Where a protected create hands the deletes it cannot wait for. */
export interface BackgroundDeleter {
  add(work: BackgroundDelete): void;
}

/** A protected create, checked: the parent and name of the node it asks for, and how to make it. */
export interface ProtectedCreateRequest {
  readonly parent: string;
  /** The name asked for (a sequential prefix, maybe ''), which the protected prefix goes before. */
  readonly name: string;
  readonly ephemeral: boolean;
  readonly includeData: boolean;
  /** One create of `path` (parents included with makepath): its path, or [path, stat] with includeData. */
  create(path: string, call: CallOptions): Promise<string | [string, Stat]>;
}

type Created = string | [string, Stat];

/**
 * Creates the node under a protected name, and recovers it when a reply is lost. The attempts
 * follow the client's commandRetry policy, and `options` (timeout, signal) bound the whole call.
 * Rejects as a plain create would, with the last attempt's error.
 */
export async function protectedCreate(
  client: ProtectedCreateClient,
  background: BackgroundDeleter,
  request: ProtectedCreateRequest,
  options: CallOptions,
): Promise<Created> {
  const { parent, name, ephemeral, includeData } = request;
  const { TimeoutError } = client.handler;
  const sessionId = (): bigint => client.clientId?.sessionId ?? 0n;
  const deadline = startDeadline(client.handler, options, `create ${joinPath(parent, name)}`);
  const call = deadline.options;
  let prefix = protectedPrefix(newProtectionId());
  /** The session of the last create sent, while its outcome is unknown; undefined once it is known. */
  let unsure: bigint | undefined;

  /** The node a create with `prefix` made, if any: its path (and Stat), or undefined. */
  const find = async (): Promise<Created | undefined> => {
    const mine = (await listChildren(client, parent, call)).find((child) => child.startsWith(prefix));
    if (mine === undefined) {
      unsure = undefined;
      return undefined;
    }
    const path = joinPath(parent, mine);
    if (!ephemeral && !includeData) {
      unsure = undefined;
      return path;
    }
    const stat = await client.exists(path, undefined, call);
    if (stat === null) {
      // Gone since the listing: the ephemeral of a session that has ended.
      unsure = undefined;
      return undefined;
    }
    if (ephemeral && stat.ephemeralOwner !== sessionId()) {
      // Made by a session that has ended since (CURATOR-498): not ours to hold. The server removes
      // it, but a follower that has not applied the closeSession yet still lists it (CURATOR-696),
      // so it is deleted too, and the create made again under a fresh id, out of reach of that
      // delete however late it comes.
      background.add({ what: path, attempt: () => client.delete(path), session: sessionId() });
      prefix = protectedPrefix(newProtectionId());
      unsure = undefined;
      return undefined;
    }
    unsure = undefined;
    return includeData ? [path, stat] : path;
  };

  /** One create under the current prefix; a failure that says it was not applied settles `unsure`. */
  const createOnce = async (): Promise<Created> => {
    unsure = sessionId();
    try {
      const created = await request.create(joinPath(parent, `${prefix}${name}`), call);
      unsure = undefined;
      return created;
    } catch (error) {
      if (appliedNot(error)) unsure = undefined;
      throw error;
    }
  };

  const attempt = async (): Promise<Created> => {
    try {
      if (unsure !== undefined) {
        const found = await find();
        if (found !== undefined) return found;
      }
      return await createOnce();
    } catch (error) {
      // NodeExists under a name only this create uses: an earlier attempt of it made the node.
      if (error instanceof NodeExistsError) throw new ForceRetryError('the node exists', { cause: error });
      // A reply that timed out (the client's requestTimeout) may come late or never: find out.
      if (error instanceof TimeoutError && !call.signal?.aborted)
        throw new ForceRetryError('the reply timed out', { cause: error });
      throw error;
    }
  };

  try {
    return await client.retry(attempt, call.signal);
  } catch (error) {
    if (unsure !== undefined) {
      const orphanPrefix = prefix;
      background.add({
        what: `${joinPath(parent, orphanPrefix)}*`,
        attempt: () => deleteProtected(client, parent, orphanPrefix),
        // An ephemeral node ends with its session; a persistent one is removed whatever the session.
        session: ephemeral ? unsure : undefined,
      });
    }
    throw lastError(error);
  } finally {
    deadline.finish();
  }
}

/** Deletes every child of `parent` whose name starts with `prefix`; a missing parent has none. */
async function deleteProtected(client: ProtectedCreateClient, parent: string, prefix: string): Promise<void> {
  for (const child of await listChildren(client, parent, {})) {
    if (!child.startsWith(prefix)) continue;
    await client.delete(joinPath(parent, child)).catch((error: unknown) => {
      if (!(error instanceof NoNodeError)) throw error;
    });
  }
}

/**
 * The children of `parent` (none when it is missing), read after a sync: the lost create's zxid
 * never reached the client, so the server it is on now may not have applied the create yet.
 */
async function listChildren(
  client: ProtectedCreateClient,
  parent: string,
  call: CallOptions,
): Promise<string[]> {
  await client.sync(parent, call);
  return client.getChildren(parent, undefined, call).catch((error: unknown) => {
    if (error instanceof NoNodeError) return [];
    throw error;
  });
}

/**
 * Whether a create's failure says it was not applied: the server refused it with a code, or the
 * client refused to send it. ConnectionLoss and OperationTimeout say nothing; NodeExists says the
 * node is there; a timeout or an abort says nothing either.
 */
function appliedNot(error: unknown): boolean {
  if (error instanceof InvalidArgumentError) return true;
  return (
    error instanceof ZooKeeperError &&
    !(error instanceof ConnectionLossError) &&
    !(error instanceof OperationTimeoutError) &&
    !(error instanceof NodeExistsError)
  );
}

/** The error of the last attempt, as a plain create would give it (not the retry's wrappers). */
function lastError(error: unknown): unknown {
  let last = error;
  while (last instanceof RetryFailedError || last instanceof ForceRetryError) {
    if (last.cause === undefined) break;
    last = last.cause;
  }
  return last;
}
