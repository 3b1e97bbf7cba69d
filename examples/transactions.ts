// Transactions: writes that commit together or not at all, and how to tell which op failed.
// A transfer between two accounts commits; the same transfer with a stale version is refused
// whole, and its results name the op that failed. Run: npm run example -- transactions

import assert from 'node:assert/strict';
import { BadVersionError, RolledBackError, type TransactionResult, ZooKeeperClient } from 'zookit';
import { startTestingServer } from 'zookit/testing';

/** One result as a word: what the op returned, or the name of its error. */
function describe(result: TransactionResult): string {
  if (result instanceof Error) return result.name;
  if (typeof result === 'object') return `Stat (version ${result.version})`;
  return String(result);
}

async function main(): Promise<void> {
  const server = await startTestingServer();
  const zk = new ZooKeeperClient({ hosts: server.connectString });
  try {
    await zk.start();
    await zk.create('/accounts/alice', '100', { makepath: true });
    await zk.create('/accounts/bob', '0');
    const [, alice] = await zk.get('/accounts/alice');
    const [, bob] = await zk.get('/accounts/bob');

    // Each setData names the version it read: another writer in between fails the whole multi.
    const committed = await zk
      .transaction()
      .create('/accounts/log-', 'alice→bob 30', { sequence: true })
      .setData('/accounts/alice', '70', alice.version)
      .setData('/accounts/bob', '30', bob.version)
      .commit();
    console.log(`transfer 1: ${committed.map(describe).join(', ')}`);
    assert.ok(committed.every((result) => !(result instanceof Error)));

    // The same versions again are stale now: nothing is applied, and one result per op says why.
    const refused = await zk
      .transaction()
      .create('/accounts/log-', 'alice→bob 30', { sequence: true })
      .setData('/accounts/alice', '40', alice.version)
      .setData('/accounts/bob', '60', bob.version)
      .commit();
    console.log(`transfer 2: ${refused.map(describe).join(', ')}`);
    // The failed op is the first error that is not RolledBackError (the ops before it were undone,
    // the ops after it never ran: RuntimeInconsistencyError).
    const failed = refused.findIndex(
      (result) => result instanceof Error && !(result instanceof RolledBackError),
    );
    assert.equal(failed, 1);
    assert.ok(refused[0] instanceof RolledBackError);
    assert.ok(refused[failed] instanceof BadVersionError);
    console.log(`transfer 2 failed at op ${failed} (${describe(refused[failed]!)}); nothing was applied`);

    const balances = await Promise.all(['alice', 'bob'].map((name) => zk.get(`/accounts/${name}`)));
    assert.deepEqual(
      balances.map(([data]) => data?.toString()),
      ['70', '30'],
    );
    assert.equal((await zk.getChildren('/accounts')).filter((name) => name.startsWith('log-')).length, 1);
    console.log(`balances: alice ${balances[0]![0]}, bob ${balances[1]![0]}; one log entry`);
  } finally {
    await zk.stop();
    await server.close();
  }
  console.log('ok: transactions');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
