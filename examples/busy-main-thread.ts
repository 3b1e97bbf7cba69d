// Why WorkerThreadsHandler exists: a main thread busy for longer than the session timeout.
// With a 4 s session timeout the main thread blocks for 8 s. Under the worker handler the
// connection loop keeps pinging from its own thread, and the session and its ephemeral node
// survive; under the default sequential handler no ping goes out, the server expires the session
// and the ephemeral node is gone. The example asserts both. Run: npm run example -- busy-main-thread

import assert from 'node:assert/strict';
import { type Handler, SequentialMicrotaskHandler, WorkerThreadsHandler, ZooKeeperClient } from 'zookit';
import { startTestingServer } from 'zookit/testing';

const SESSION_TIMEOUT_MS = 4000;
const BLOCK_MS = 8000;

function blockFor(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // a long synchronous computation
  }
}

interface Outcome {
  /** What became of a request issued just before the block. */
  request: string;
  states: string[];
  sameSession: boolean;
  ephemeralExists: boolean;
}

async function tryWith(name: string, handler: Handler, connectString: string): Promise<Outcome> {
  const zk = new ZooKeeperClient({ hosts: connectString, sessionTimeout: SESSION_TIMEOUT_MS, handler });
  const states: string[] = [];
  zk.on('state', (state) => states.push(state));
  try {
    await zk.start();
    const before = zk.clientId?.sessionId;
    const path = await zk.create('/busy-', 'held', { ephemeral: true, sequence: true });
    const pending = zk.get(path).then(
      ([data]) => `answered "${data?.toString()}"`,
      (error: Error) => `failed: ${error.name}`,
    );
    blockFor(BLOCK_MS);
    const request = await pending;
    await zk.sync('/').catch(() => undefined); // let the client catch up with what happened
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const outcome = {
      request,
      states: [...states], // before stop() adds LOST
      sameSession: zk.clientId?.sessionId === before,
      ephemeralExists: (await zk.exists(path)) !== null,
    };
    console.log(
      `${name}: request issued before the block ${request}; states ${states.join(' → ')}; ` +
        `${outcome.sameSession ? 'same session' : 'NEW session'}; ephemeral ${outcome.ephemeralExists ? 'still there' : 'gone'}`,
    );
    return outcome;
  } finally {
    await zk.stop();
    await handler.stop();
  }
}

async function main(): Promise<void> {
  // tickTime 1 s: the server expires a silent session within a second of its timeout.
  const server = await startTestingServer({ tickTimeMs: 1000 });
  try {
    const worker = await tryWith(
      'WorkerThreadsHandler      ',
      new WorkerThreadsHandler(),
      server.connectString,
    );
    assert.deepEqual(worker, {
      request: 'answered "held"',
      states: ['CONNECTED'],
      sameSession: true,
      ephemeralExists: true,
    });
    const sequential = await tryWith(
      'SequentialMicrotaskHandler',
      new SequentialMicrotaskHandler(),
      server.connectString,
    );
    assert.ok(sequential.states.includes('LOST'), 'the sequential handler lost its session');
    assert.equal(sequential.sameSession, false);
    assert.equal(sequential.ephemeralExists, false);
  } finally {
    await server.close();
  }
  console.log('ok: busy-main-thread');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
