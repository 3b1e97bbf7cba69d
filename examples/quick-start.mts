// Quick start: connect, create, read, update by version, list, watch, delete, stop.
// It starts its own throw-away ZooKeeper (zookit/testing finds ZK_CONNECT, a local install or Docker).
// Run: npm run example -- quick-start

import assert from 'node:assert/strict';
import { EventType, type WatchedEvent, ZooKeeperClient } from 'zookit';
import { startTestingServer } from 'zookit/testing';

const server = await startTestingServer();
const zk = new ZooKeeperClient({ hosts: server.connectString, sessionTimeout: 10_000 });
try {
  await zk.start();
  console.log(`${zk.state} to ${server.connectString}, session 0x${zk.clientId?.sessionId.toString(16)}`);
  await zk.create('/app', 'v1');
  const [data, stat] = await zk.get('/app');
  console.log(`/app = "${data}" at version ${stat.version}`);

  const changed = new Promise<WatchedEvent>((resolve) => zk.exists('/app', resolve)); // one-shot watch
  await zk.set('/app', 'v2', { version: stat.version }); // BadVersionError if someone wrote meanwhile
  const event = await changed;
  assert.equal(event.type, EventType.NodeDataChanged);
  console.log(`watch fired: NodeDataChanged on ${event.path}`);

  const me = await zk.create('/app/worker-', 'host-a', { ephemeral: true, sequence: true });
  assert.deepEqual(await zk.getChildren('/app'), [me.slice('/app/'.length)]);
  console.log(`created ${me}; children of /app: ${await zk.getChildren('/app')}`);

  await zk.delete('/app', { recursive: true });
  assert.equal(await zk.exists('/app'), null);
} finally {
  await zk.stop(); // closeSession: the ephemeral node goes at once
  await server.close();
}
console.log('ok: quick-start');
