// lib/recipe-client.ts is the recipes' one door into lib/: everything it hands them must be public,
// or a recipe would depend on something a user of the package cannot see.

import * as main from '../../index.js';
import { ZooKeeperClient } from '../../lib/client/client.js';
import * as forRecipes from '../../lib/recipe-client.js';

describe('the names recipes may use', () => {
  it('are all exported by the zookit entry', () => {
    const missing = Object.keys(forRecipes).filter((name) => !(name in main));
    expect(missing).toEqual([]);
    expect(Object.keys(forRecipes).length).toBeGreaterThan(30); // the errors, ClientState, paths, isRetryable
  });

  it('bind the recipe factories on the client, one way (kazoo binds `partial(Lock, self)`)', () => {
    const zk = new ZooKeeperClient({ hosts: '127.0.0.1:1' });
    const watch = zk.DataWatch('/a');
    expect(typeof watch).toBe('function'); // the decorator form
    expect(zk.TreeCache('/a')).toBeInstanceOf(main.TreeCache);
    expect(zk.CuratorCache('/a')).toBeInstanceOf(main.CuratorCache);
    // On the prototype, not on each instance, and not enumerable: inspection does not list them.
    expect(Object.keys(zk)).not.toContain('DataWatch');
    expect(Object.getOwnPropertyDescriptor(ZooKeeperClient.prototype, 'ChildrenWatch')?.enumerable).toBe(
      false,
    );
  });
});
