// Curator's recipes create their directories as containers (`creatingParentContainersIfNeeded`):
// the server deletes a container once its last child is gone, so a lock or latch directory does
// not outlive its contenders. The other side of that: a directory can vanish between two steps of
// a recipe (CURATOR-724), so every create here is ready to make its parents again, as often as it
// finds them gone. The nodes are the same kind Curator makes, so a Curator recipe and a zookit one
// can create the directory in either order.

import {
  type CreateOptions,
  NodeExistsError,
  NoNodeError,
  parentOf,
  type RecipeClient,
  type Value,
} from '../../lib/recipe-client.js';

/** How many times a create re-makes parents that vanished under it before giving up. */
const MAX_PARENT_REMAKES = 10;

/**
 * Creates `path` (with `options`, `includeData` excluded); on NoNode makes the missing parents
 * as containers and tries again. Returns the created path.
 */
export async function createWithContainerParents(
  client: Pick<RecipeClient, 'create'>,
  path: string,
  value: Value | undefined,
  options: Omit<CreateOptions, 'includeData' | 'makepath'>,
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.create(path, value, options);
    } catch (error) {
      if (!(error instanceof NoNodeError) || attempt >= MAX_PARENT_REMAKES) throw error;
      await ensureContainers(client, parentOf(path), options);
    }
  }
}

/** Makes `path` and its missing ancestors as containers (existing ones, of any kind, are fine). */
export async function ensureContainers(
  client: Pick<RecipeClient, 'create'>,
  path: string,
  call: Pick<CreateOptions, 'signal' | 'timeout' | 'acl'> = {},
): Promise<void> {
  if (path === '/') return;
  const { signal, timeout, acl } = call;
  for (let attempt = 0; ; attempt++) {
    try {
      await client.create(path, undefined, { container: true, signal, timeout, acl });
      return;
    } catch (error) {
      if (error instanceof NodeExistsError) return;
      if (!(error instanceof NoNodeError) || attempt >= MAX_PARENT_REMAKES) throw error;
      await ensureContainers(client, parentOf(path), call);
    }
  }
}
