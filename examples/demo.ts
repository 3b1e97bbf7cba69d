// A tour of the client (`make demo`): connect, a watch, an ephemeral node, a transaction, stop.
// It starts a throw-away ZooKeeper on a free loopback port, asserts what each step shows and
// stops everything it started. Run: npm run example -- demo (or npm run demo)

import assert from 'node:assert/strict';
import {
  BadVersionError,
  EventType,
  RuntimeInconsistencyError,
  type TransactionResult,
  type WatchedEvent,
  ZooKeeperClient,
} from 'zookit';
import { startTestingServer } from 'zookit/testing';

/** One transaction result as a word: the created path, a Stat's version, or the error's name. */
function describe(result: TransactionResult): string {
  if (result instanceof Error) return result.name;
  return typeof result === 'object' ? `stat v${result.version}` : String(result);
}

async function main(): Promise<void> {
  const server = await startTestingServer();
  const zk = new ZooKeeperClient({ hosts: server.connectString, sessionTimeout: 10_000 });
  const states: string[] = [];
  zk.on('state', (state) => {
    states.push(state);
    console.log(`  state → ${state}`);
  });
  try {
    console.log(`ZooKeeper serving at ${server.connectString} (${server.backend} backend)`);
    await zk.start();
    console.log(
      `server version ${(await zk.serverVersion()).join('.')}, session 0x${zk.clientId?.sessionId.toString(16)}, timeout ${zk.sessionTimeout} ms`,
    );

    await zk.ensurePath('/demo/config');
    const fired = new Promise<WatchedEvent>((resolve) => zk.get('/demo/config', resolve));
    const stat = await zk.set('/demo/config', 'colour=blue');
    console.log(`set /demo/config → version ${stat.version}`);
    const event = await fired;
    console.log(`  watch fired: type ${event.type} (NodeDataChanged) on ${event.path}`);
    assert.deepEqual([event.type, event.path], [EventType.NodeDataChanged, '/demo/config']);

    const me = await zk.create('/demo/worker-', 'hello', { ephemeral: true, sequence: true });
    const children = (await zk.getChildren('/demo')).sort();
    console.log(`created ephemeral ${me}; children of /demo: ${children.join(', ')}`);
    assert.deepEqual(children, ['config', me.slice('/demo/'.length)]);

    const results = await zk
      .transaction()
      .check('/demo/config', 1)
      .setData('/demo/config', 'colour=green')
      .create('/demo/audit', 'changed')
      .commit();
    console.log(`transaction: ${results.map(describe).join(', ')}`);
    assert.deepEqual(results.map(describe), ['true', 'stat v2', '/demo/audit']);

    const stale = await zk.transaction().check('/demo/config', 99).delete('/demo/audit').commit();
    const [config] = await zk.get('/demo/config');
    const audit = await zk.exists('/demo/audit');
    console.log(
      `stale transaction: ${stale.map(describe).join(', ')}; config still "${config}", /demo/audit still there: nothing applied`,
    );
    assert.ok(stale[0] instanceof BadVersionError && stale[1] instanceof RuntimeInconsistencyError);
    assert.equal(config?.toString(), 'colour=green');
    assert.notEqual(audit, null);

    const identities = (await zk.whoAmI()).map((c) => `${c.authScheme}:${c.user}`);
    console.log(`whoAmI: ${identities.join(', ')}`);
    assert.ok(identities.some((identity) => identity.startsWith('ip:'))); // the address it came from
  } finally {
    await zk.stop();
    await server.close();
  }
  assert.ok(!states.includes('SUSPENDED'), 'the connection never dropped');
  console.log('stopped');
  console.log('ok: demo');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
