// The kinds of watch side by side: DataWatch, ChildrenWatch, a CuratorCache and a watch stream.
// kazoo's DataWatch and ChildrenWatch, a CuratorCache mirroring a subtree, and a recursive watch
// read as a stream follow the same writes of another client; the example asserts that each one
// ends up with what was written. Run: npm run example -- watches

import assert from 'node:assert/strict';
import { EventType, ZooKeeperClient } from 'zookit';
import { startTestingServer } from 'zookit/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** An event type's name (EventType maps names to numbers). */
const typeName = (type: number): string =>
  Object.entries(EventType).find(([, value]) => value === type)?.[0] ?? String(type);

/** Waits until `done()` holds (polling every 10 ms); throws naming `what` after `ms` milliseconds. */
async function waitFor(what: string, done: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !done(); await sleep(10)) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
}

async function main(): Promise<void> {
  const server = await startTestingServer();
  const zk = new ZooKeeperClient({ hosts: server.connectString });
  const writer = new ZooKeeperClient({ hosts: server.connectString });
  try {
    await Promise.all([zk.start(), writer.start()]);
    await zk.ensurePath('/app/config');
    await zk.ensurePath('/app/members');

    // Called at once with the current state, then only when the data (mzxid) changes.
    let lastData: string | null | undefined;
    const config = zk.DataWatch('/app/config', (data, stat) => {
      lastData = stat === null ? null : (data?.toString() ?? '');
      console.log(`DataWatch: ${stat === null ? 'no node' : `"${lastData}" (version ${stat.version})`}`);
    });
    // Called at once, then whenever the list differs (quick changes may come as one call);
    // returning false would stop it.
    let lastChildren: string[] = [];
    const members = zk.ChildrenWatch('/app/members', (children) => {
      lastChildren = [...children].sort();
      console.log(`ChildrenWatch: [${lastChildren.join(', ')}]`);
    });
    await Promise.all([config.initialized, members.initialized]);

    // An in-memory mirror of /app on one persistent recursive watch.
    const cache = zk.CuratorCache('/app');
    cache.on('nodeAdded', (node) => console.log(`cache: + ${node.path}`));
    cache.on('nodeUpdated', (node) => console.log(`cache: ~ ${node.path} = "${node.data?.toString()}"`));
    cache.on('nodeRemoved', (node) => console.log(`cache: - ${node.path}`));
    await cache.start();
    console.log(`cache initialized: ${cache.size} nodes`);
    assert.equal(cache.size, 3);

    // The same subtree as a stream of events; leaving the loop removes the watch.
    const stream = zk.watch('/app/members', { recursive: true });
    await stream.ready;
    const streamed: string[] = [];
    const streaming = (async () => {
      for await (const event of stream) {
        streamed.push(`${typeName(event.type)} ${event.path}`);
        console.log(`stream: ${streamed.at(-1)}`);
        if (event.type === EventType.NodeDeleted) break;
      }
    })();

    await writer.set('/app/config', 'colour=blue');
    await writer.create('/app/members/a', 'host-a');
    await writer.create('/app/members/b', 'host-b');
    await writer.delete('/app/members/a');

    await streaming;
    assert.deepEqual(streamed, [
      'NodeCreated /app/members/a',
      'NodeCreated /app/members/b',
      'NodeDeleted /app/members/a',
    ]);
    await waitFor('DataWatch to see colour=blue', () => lastData === 'colour=blue');
    await waitFor('ChildrenWatch to see [b]', () => lastChildren.join() === 'b');
    await waitFor(
      'the cache to hold /app/members/b alone',
      () => cache.children('/app/members')?.join() === 'b',
    );
    console.log(`cache now: /app/members → [${cache.children('/app/members')?.join(', ')}]`);

    await Promise.all([config.stop(), members.stop(), cache.close()]);
  } finally {
    await Promise.all([zk.stop(), writer.stop()]);
    await server.close();
  }
  console.log('ok: watches');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
