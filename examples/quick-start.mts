// Quick start: connect, create, read, update by version, a watch, children, delete, stop. It starts
// its own throw-away ZooKeeper (zookit/testing: ZK_CONNECT, else a local install, else Docker).
// The README's Quick start is this file from the first import on, and runs as pasted: it is plain
// JavaScript that is also TypeScript (spec/examples.spec.ts runs it both ways).
// Run: npm run example -- quick-start

import { strict as assert } from 'node:assert';
import { EventType, ZooKeeperClient } from 'zookit';
import { startTestingServer } from 'zookit/testing';

const server = await startTestingServer(); // a throw-away server; with yours, use its hosts below
const zk = new ZooKeeperClient({ hosts: server.connectString }); // 'h1:2181,h2:2181/chroot'
zk.on('state', (state) => console.log(`state: ${state}`)); // CONNECTED, SUSPENDED, LOST
try {
  await zk.start();
  await zk.create('/app', 'v1');
  const [data, stat] = await zk.get('/app');
  console.log(`/app = "${data}" at version ${stat.version}`);

  // A one-shot watch, then a write that succeeds only if nobody wrote since our read.
  const changed = new Promise((resolve) => zk.exists('/app', (event) => resolve(event.type)));
  await zk.set('/app', 'v2', { version: stat.version }); // else BadVersionError
  assert.equal(await changed, EventType.NodeDataChanged);

  const me = await zk.create('/app/worker-', 'host-a', { ephemeral: true, sequence: true });
  assert.deepEqual(await zk.getChildren('/app'), [me.slice('/app/'.length)]);
  console.log(`created ${me}`);

  await zk.delete('/app', { recursive: true });
  assert.equal(await zk.exists('/app'), null);
} finally {
  await zk.stop(); // closeSession: the ephemeral node goes at once
  await server.close();
}
console.log('ok: quick-start');
