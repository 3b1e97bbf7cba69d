// One-shot, persistent and recursive watches: what each one hears, and how a persistent one ends.
// A one-shot watch hears the next change only; a persistent one every change of its node and of
// the node's list of children; a recursive one every change of its node and of every node below
// (but no NodeChildrenChanged). The recursive watch here is on the parent: on a 3.8 server a
// persistent and a recursive watch on the same path share one server entry, and the persistent
// one then hears no child events (docs/watches.md#zookeeper-4466-on-38-one-shot-watches-beside-persistent-ones).
// Run: npm run example -- persistent-watches

import assert from 'node:assert/strict';
import { EventType, type WatchedEvent, ZooKeeperClient } from 'zookit';
import { startTestingServer } from 'zookit/testing';

/** An event as `TypeName /path` (EventType maps names to numbers). */
function show(event: WatchedEvent): string {
  const name = Object.entries(EventType).find(([, value]) => value === event.type)?.[0];
  return `${name ?? event.type} ${event.path}`;
}

async function main(): Promise<void> {
  const server = await startTestingServer();
  const zk = new ZooKeeperClient({ hosts: server.connectString });
  try {
    await zk.start();
    await zk.create('/app/jobs', 'idle', { makepath: true });

    const heard: Record<'oneShot' | 'persistent' | 'recursive', string[]> = {
      oneShot: [],
      persistent: [],
      recursive: [],
    };
    await zk.get('/app/jobs', (event) => heard.oneShot.push(show(event)));
    await zk.addWatch('/app/jobs', (event) => heard.persistent.push(show(event)), { mode: 'persistent' });
    await zk.addWatch('/app', (event) => heard.recursive.push(show(event)), {
      mode: 'persistentRecursive',
    });

    await zk.set('/app/jobs', 'busy');
    await zk.set('/app/jobs', 'idle');
    await zk.create('/app/jobs/a', 'queued');
    await zk.set('/app/jobs/a', 'running');
    await zk.delete('/app/jobs/a');
    await drain(zk);

    for (const [kind, events] of Object.entries(heard))
      console.log(`${kind.padEnd(10)} heard: ${events.join(', ')}`);
    assert.deepEqual(heard.oneShot, ['NodeDataChanged /app/jobs']);
    assert.deepEqual(heard.persistent, [
      'NodeDataChanged /app/jobs',
      'NodeDataChanged /app/jobs',
      'NodeChildrenChanged /app/jobs',
      'NodeChildrenChanged /app/jobs',
    ]);
    assert.deepEqual(heard.recursive, [
      'NodeDataChanged /app/jobs',
      'NodeDataChanged /app/jobs',
      'NodeCreated /app/jobs/a',
      'NodeDataChanged /app/jobs/a',
      'NodeDeleted /app/jobs/a',
    ]);

    // A persistent watch lasts until it is removed; its callback hears the removal.
    await zk.removeWatches('/app/jobs', 'persistent');
    await zk.removeWatches('/app', 'persistentRecursive');
    await zk.set('/app/jobs', 'busy');
    await drain(zk);
    console.log(`after removal: persistent ${heard.persistent.at(-1)}, recursive ${heard.recursive.at(-1)}`);
    assert.equal(heard.persistent.at(-1), 'PersistentWatchRemoved /app/jobs');
    assert.equal(heard.recursive.at(-1), 'PersistentWatchRemoved /app');
    assert.equal(heard.persistent.length + heard.recursive.length, 4 + 5 + 2);
  } finally {
    await zk.stop();
    await server.close();
  }
  console.log('ok: persistent-watches');
}

/**
 * Resolves once every watch event caused by this client's earlier writes has been delivered: a
 * session's events arrive in order, so when a one-shot watch set after them fires, they came.
 */
async function drain(zk: ZooKeeperClient): Promise<void> {
  const fired = new Promise<WatchedEvent>((resolve) => zk.exists('/drained', resolve));
  await zk.create('/drained');
  await fired;
  await zk.delete('/drained');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
