// `make demo`: starts a throw-away ZooKeeper on a free loopback port and walks through the client:
// connect, create, watch, a transaction, then a clean stop.

import { BadVersionError, ZooKeeperClient } from 'zookit';
import { startTestingServer } from 'zookit/testing';

async function main(): Promise<void> {
  const server = await startTestingServer();
  const zk = new ZooKeeperClient({ hosts: server.connectString, sessionTimeout: 10_000 });
  zk.on('state', (state) => console.log(`  state → ${state}`));
  try {
    console.log(`ZooKeeper serving at ${server.connectString} (${server.backend} backend)`);
    await zk.start();
    console.log(
      `server version ${(await zk.serverVersion()).join('.')}, session 0x${zk.clientId?.sessionId.toString(16)}, timeout ${zk.sessionTimeout} ms`,
    );

    await zk.ensurePath('/demo/config');
    await zk.get('/demo/config', (event) =>
      console.log(`  watch fired: type ${event.type} on ${event.path}`),
    );
    const stat = await zk.set('/demo/config', 'colour=blue');
    console.log(`set /demo/config → version ${stat.version}`);

    const me = await zk.create('/demo/worker-', 'hello', { ephemeral: true, sequence: true });
    console.log(
      `created ephemeral ${me}; children of /demo: ${(await zk.getChildren('/demo')).sort().join(', ')}`,
    );

    const results = await zk
      .transaction()
      .check('/demo/config', 1)
      .setData('/demo/config', 'colour=green')
      .create('/demo/audit', 'changed')
      .commit();
    console.log(
      `transaction: ${results.map((r) => (r instanceof Error ? r.name : typeof r === 'object' ? `stat v${r.version}` : String(r))).join(', ')}`,
    );
    const failed = await zk.transaction().check('/demo/config', 99).delete('/demo/audit').commit();
    console.log(
      `stale transaction: ${failed.map((r) => (r instanceof Error ? r.name : String(r))).join(', ')} (${failed.some((r) => r instanceof BadVersionError) ? 'nothing applied' : '?'})`,
    );
    console.log(`whoAmI: ${(await zk.whoAmI()).map((c) => `${c.authScheme}:${c.user}`).join(', ')}`);
  } finally {
    await zk.stop();
    await server.close();
  }
  console.log('stopped');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
