// Calls made of several requests, built on the client's own public operations: a create with
// `makepath`, ensurePath, a recursive delete. The caller's `timeout` and `signal` bound the whole
// call (deadline.ts), not each request in it.

import type { ACL } from '../../protocol/records.js';
import { BadVersionError, NodeExistsError, NoNodeError } from '../errors.js';
import { joinPath, parentOf } from '../paths.js';
import type { RecipeClient } from '../recipe-client.js';
import { startDeadline } from './deadline.js';
import type { CallOptions } from './options.js';

/** The operations the calls are made of. */
type Operations = Pick<RecipeClient, 'handler' | 'exists' | 'create' | 'getChildren' | 'delete'>;

/** Runs `create(call)`; on NoNode creates the parents of `path` (with `acl`) and runs it once more. */
export async function createWithParents<T>(
  client: Operations,
  path: string,
  acl: readonly ACL[] | undefined,
  options: CallOptions,
  create: (call: CallOptions) => Promise<T>,
): Promise<T> {
  const deadline = startDeadline(client.handler, options, `create ${path}`);
  try {
    return await create(deadline.options).catch(async (err: unknown) => {
      if (!(err instanceof NoNodeError)) throw err;
      await createMissing(client, parentOf(path), acl, deadline.options);
      return create(deadline.options);
    });
  } finally {
    deadline.finish();
  }
}

/** Creates `path` and any missing parents as persistent nodes; nothing when it exists. */
export async function ensurePath(
  client: Operations,
  path: string,
  acl: readonly ACL[] | undefined,
  options: CallOptions,
): Promise<void> {
  const deadline = startDeadline(client.handler, options, `ensurePath ${path}`);
  try {
    await createMissing(client, path, acl, deadline.options);
  } finally {
    deadline.finish();
  }
}

/**
 * Deletes the subtree below `path`, then `path` itself with `version` (children that are gone by
 * then, or the node itself, are fine). A version other than -1 is checked before anything is
 * deleted, so a stale version deletes nothing; the server checks it again on the node's own
 * delete, so a concurrent setData still wins.
 */
export async function deleteTree(
  client: Operations,
  path: string,
  version: number,
  options: CallOptions,
): Promise<void> {
  const deadline = startDeadline(client.handler, options, `delete ${path}`);
  const call = deadline.options;
  try {
    if (version !== -1) {
      const stat = await client.exists(path, undefined, call);
      if (stat === null) return;
      if (stat.version !== version) throw new BadVersionError(undefined, path);
    }
    await deleteChildren(client, path, call);
    if (path !== '/') await client.delete(path, { ...call, version }).catch(ignoreNoNode);
  } finally {
    deadline.finish();
  }
}

async function createMissing(
  client: Operations,
  path: string,
  acl: readonly ACL[] | undefined,
  call: CallOptions,
): Promise<void> {
  if (path === '/' || (await client.exists(path, undefined, call)) !== null) return;
  await createMissing(client, parentOf(path), acl, call);
  await client.create(path, undefined, { ...call, acl }).catch((err: unknown) => {
    if (!(err instanceof NodeExistsError)) throw err;
  });
}

async function deleteChildren(client: Operations, path: string, call: CallOptions): Promise<void> {
  const children = await client.getChildren(path, undefined, call).catch((err: unknown) => {
    if (err instanceof NoNodeError) return [];
    throw err;
  });
  await Promise.all(
    children.map(async (name) => {
      const child = joinPath(path, name);
      await deleteChildren(client, child, call);
      await client.delete(child, call).catch(ignoreNoNode);
    }),
  );
}

function ignoreNoNode(err: unknown): void {
  if (!(err instanceof NoNodeError)) throw err;
}
