// Why WorkerThreadsHandler exists: with a 4 s session timeout, the main thread blocks for 10 s.
// Under the worker handler the connection loop keeps pinging from its thread and the session and
// its ephemeral node survive; under the default sequential handler the session expires.
// Run: npx tsc -p tsconfig.dev.json && node .build/examples/busy-main-thread.js

import { type Handler, SequentialMicrotaskHandler, WorkerThreadsHandler, ZooKeeperClient } from 'zookit';
import { startTestingServer } from 'zookit/testing';

function blockFor(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // a long synchronous computation
  }
}

async function tryWith(name: string, handler: Handler, connectString: string): Promise<void> {
  const zk = new ZooKeeperClient({ hosts: connectString, sessionTimeout: 4000, handler });
  const states: string[] = [];
  zk.on('state', (state) => states.push(state));
  await zk.start();
  const before = zk.clientId?.sessionId;
  const path = await zk.create('/busy-', 'held', { ephemeral: true, sequence: true });
  const pending = zk.get(path).then(
    ([data]) => `answered "${data?.toString()}"`,
    (error: Error) => `failed: ${error.name}`,
  );
  blockFor(10_000);
  const outcome = await pending;
  await zk.sync('/').catch(() => undefined); // let the client catch up with what happened
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const same = zk.clientId?.sessionId === before;
  const exists = (await zk.exists(path)) !== null;
  console.log(
    `${name}: request issued before the block ${outcome}; states ${states.join(' → ')}; ` +
      `${same ? 'same session' : 'NEW session'}; ephemeral ${exists ? 'still there' : 'gone'}`,
  );
  await zk.stop();
  await handler.stop();
}

async function main(): Promise<void> {
  const server = await startTestingServer();
  try {
    await tryWith('WorkerThreadsHandler      ', new WorkerThreadsHandler(), server.connectString);
    await tryWith('SequentialMicrotaskHandler', new SequentialMicrotaskHandler(), server.connectString);
  } finally {
    await server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
