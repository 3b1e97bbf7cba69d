// How long a recipe's close() waits for its clean-up (the last look to finish, its node deleted,
// its watch taken off the server): as long as the client stays connected, and no longer. A delete
// sent while disconnected waits for the connection, and a close() that waited with it would hang
// for the whole outage, or for ever once the client is given up; Curator's close() hands these to
// the background too. The clean-up goes on either way (deleteForCertain keeps trying).

import { ClientState, type RecipeClient } from '../../lib/recipe-client.js';

/** Resolves once `work` settles, or at once if the client is not connected, or when it stops being connected. */
export function whileConnected(
  client: Pick<RecipeClient, 'isConnected' | 'on' | 'off'>,
  work: Promise<unknown>,
): Promise<void> {
  const settled = work.then(
    () => {},
    () => {},
  );
  if (!client.isConnected) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const onState = (state: ClientState): void => {
      if (state !== ClientState.CONNECTED) done();
    };
    const done = (): void => {
      client.off('state', onState);
      resolve();
    };
    client.on('state', onState);
    void settled.then(done);
  });
}
