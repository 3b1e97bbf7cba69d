// A child process of the herd's multi-process variant: one fleet of sessions on the built package
// (`zookit` resolves to dist/ through package.json's self-reference), driven by the spec over IPC
// (spec/herd/child-protocol.ts). spec/herd/children.ts compiles it to .build/herd/child/ and forks
// it. When the spec goes away (the IPC channel closes) the child exits at once, so no fleet
// outlives a crashed jest worker. No jest here: this runs under plain node.

import { ZooKeeperClient } from 'zookit';
import type { FromChild, ToChild } from './child-protocol.js';
import { Fleet } from './fleet.js';

let fleet: Fleet | undefined;

function send(message: FromChild): void {
  process.send?.(message);
}

async function step(message: ToChild): Promise<void> {
  switch (message.t) {
    case 'start':
      fleet = await Fleet.start(
        message.fleet,
        (options) => new ZooKeeperClient(options),
        'SequentialMicrotaskHandler, one per client',
      );
      fleet.startWriting();
      send({ t: 'ready', servers: fleet.servers() });
      return;
    case 'finish': {
      const running = requireFleet();
      await running.awaitRecovery(message.victim, message.recoveryTimeoutMs);
      await new Promise((resolve) => setTimeout(resolve, message.afterMs));
      send({ t: 'report', report: await running.finish(message.settleMs) });
      return;
    }
    case 'close':
      await fleet?.close();
      fleet = undefined;
      send({ t: 'closed' });
      process.disconnect();
      return;
  }
}

function requireFleet(): Fleet {
  if (fleet === undefined) throw new Error('no fleet: start first');
  return fleet;
}

// Exit code 3: the spec went away while the fleet was still open.
process.on('disconnect', () => process.exit(fleet === undefined ? 0 : 3));
process.on('message', (message: ToChild) => {
  step(message).catch((error: unknown) =>
    send({ t: 'failed', message: `${message.t}: ${(error as Error)?.stack ?? String(error)}` }),
  );
});
