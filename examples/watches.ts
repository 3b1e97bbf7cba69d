// The kinds of watch side by side, on a throw-away server: kazoo's DataWatch and ChildrenWatch, a
// CuratorCache mirroring a subtree, and a recursive watch read as a stream.
// Run: npx tsc -p tsconfig.dev.json && node .build/examples/watches.js

import { EventType, ZooKeeperClient } from 'zookit';
import { startTestingServer } from 'zookit/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** An event type's name (EventType maps names to numbers). */
const typeName = (type: number): string =>
  Object.entries(EventType).find(([, value]) => value === type)?.[0] ?? String(type);

async function main(): Promise<void> {
  const server = await startTestingServer();
  const zk = new ZooKeeperClient({ hosts: server.connectString });
  const writer = new ZooKeeperClient({ hosts: server.connectString });
  try {
    await Promise.all([zk.start(), writer.start()]);
    await zk.ensurePath('/app/config');
    await zk.ensurePath('/app/members');

    // Called at once with the current state, then only when the data (mzxid) changes.
    const config = zk.DataWatch('/app/config', (data, stat) => {
      console.log(
        `DataWatch: ${stat === null ? 'no node' : `"${data?.toString()}" (version ${stat.version})`}`,
      );
    });
    // Called at once, then whenever the list differs; returning false would stop it.
    const members = zk.ChildrenWatch('/app/members', (children) => {
      console.log(`ChildrenWatch: [${[...children].sort().join(', ')}]`);
    });
    await Promise.all([config.initialized, members.initialized]);

    // An in-memory mirror of /app on one persistent recursive watch.
    const cache = zk.CuratorCache('/app');
    cache.on('nodeAdded', (node) => console.log(`cache: + ${node.path}`));
    cache.on('nodeUpdated', (node) => console.log(`cache: ~ ${node.path} = "${node.data?.toString()}"`));
    cache.on('nodeRemoved', (node) => console.log(`cache: - ${node.path}`));
    await cache.start();
    console.log(`cache initialized: ${cache.size} nodes`);

    // The same subtree as a stream of events; leaving the loop removes the watch.
    const stream = zk.watch('/app/members', { recursive: true });
    await stream.ready;
    const streamed = (async () => {
      for await (const event of stream) {
        console.log(`stream: ${typeName(event.type)} ${event.path}`);
        if (event.type === EventType.NodeDeleted) break;
      }
    })();

    await writer.set('/app/config', 'colour=blue');
    await writer.create('/app/members/a', 'host-a');
    await writer.create('/app/members/b', 'host-b');
    await writer.delete('/app/members/a');
    await streamed;
    await sleep(200);
    console.log(`cache now: /app/members → [${cache.children('/app/members')?.join(', ')}]`);

    await Promise.all([config.stop(), members.stop(), cache.close()]);
  } finally {
    await Promise.all([zk.stop(), writer.stop()]);
    await server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
