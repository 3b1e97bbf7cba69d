// The identifiers recipes keep in their nodes' data (kazoo writes the identifier as UTF-8, '' for
// none): what Lock.contenders(), Semaphore.leaseHolders() and Party.members() list.

import { type CallOptions, joinPath, NoNodeError, type RecipeClient } from '../lib/recipe-client.js';

/**
 * The data of each child `names` of `parent` as UTF-8, in the order given, read in one pipelined
 * round; a child deleted since it was listed is left out.
 */
export async function readIdentifiers(
  client: RecipeClient,
  parent: string,
  names: readonly string[],
  options: CallOptions = {},
): Promise<string[]> {
  const read = await Promise.all(
    names.map(async (name) => {
      try {
        const [data] = await client.get(joinPath(parent, name), undefined, options);
        return data === null ? '' : data.toString('utf8');
      } catch (error) {
        if (error instanceof NoNodeError) return undefined; // gone since the listing
        throw error;
      }
    }),
  );
  return read.filter((identifier): identifier is string => identifier !== undefined);
}
