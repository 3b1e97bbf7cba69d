// Tasks the worker-thread tests ask WorkerThreadsHandler to run: each names this module, which the
// worker loads to find it.

import type { ChannelEnd, SpawnTask } from '../../handlers/handler.js';
import { SharedEvent } from '../../handlers/shared-event.js';

type Echo = { t: 'echo'; frames?: Buffer[]; passwd?: Buffer; n?: number } | { t: 'stop' };

/** Sends back every message with `isBuffer` facts about what arrived, until told to stop. */
const echo: SpawnTask<{ channel: ChannelEnd<Echo, unknown>; passwd: Buffer }> = {
  name: 'test-echo',
  module: __filename,
  run: ({ channel, passwd }) =>
    new Promise<void>((resolve) => {
      channel.post({ t: 'init', passwdIsBuffer: Buffer.isBuffer(passwd), passwd });
      channel.onMessage((message) => {
        if (message.t === 'stop') {
          channel.close();
          resolve();
          return;
        }
        channel.post({
          ...message,
          framesAreBuffers: (message.frames ?? []).every((f) => Buffer.isBuffer(f)),
          passwdIsBuffer: message.passwd === undefined || Buffer.isBuffer(message.passwd),
        });
      });
    }),
};

/** Sets the shared event after `delayMs` on the worker's clock. */
const setEvent: SpawnTask<{ buffer: SharedArrayBuffer; delayMs: number }> = {
  name: 'test-set-event',
  module: __filename,
  run: async ({ buffer, delayMs }, handler) => {
    await handler.sleep(delayMs);
    new SharedEvent(handler, buffer).set();
  },
};

const rejects: SpawnTask<Record<string, never>> = {
  name: 'test-reject',
  module: __filename,
  run: async () => {
    throw new RangeError('the task failed on purpose');
  },
};

/** Throws outside any promise the worker watches: the worker thread itself dies. */
const crashes: SpawnTask<Record<string, never>> = {
  name: 'test-crash',
  module: __filename,
  run: () =>
    new Promise<void>(() => {
      setTimeout(() => {
        throw new Error('uncaught in the worker on purpose');
      }, 10);
    }),
};

/** Runs until the worker is terminated. */
const hangs: SpawnTask<Record<string, never>> = {
  name: 'test-hang',
  module: __filename,
  run: () => new Promise<void>(() => setInterval(() => {}, 1000)),
};

/** Posts which module it came from (worker-other-tasks.ts has a task of the same name). */
const whoami: SpawnTask<{ channel: ChannelEnd<unknown, string> }> = {
  name: 'test-whoami',
  module: __filename,
  run: async ({ channel }) => {
    channel.post('worker-test-tasks');
  },
};

/**
 * Sleeps for a day on its handler and sets the shared event when that sleep is aborted: how a
 * shared pool's cancel of one task shows in the worker.
 */
const sleepsUntilCancelled: SpawnTask<{ buffer: SharedArrayBuffer }> = {
  name: 'test-sleep-until-cancelled',
  module: __filename,
  run: async ({ buffer }, handler) => {
    try {
      await handler.sleep(86_400_000);
    } catch {
      new SharedEvent(handler, buffer).set();
    }
  },
};

/** How many times this module was evaluated in this thread. */
let evaluations = (globalThis as { zookitTestTaskEvaluations?: number }).zookitTestTaskEvaluations ?? 0;
(globalThis as { zookitTestTaskEvaluations?: number }).zookitTestTaskEvaluations = ++evaluations;

/** Posts how many times this module was evaluated in the worker. */
const evaluated: SpawnTask<{ channel: ChannelEnd<unknown, number> }> = {
  name: 'test-evaluations',
  module: __filename,
  run: async ({ channel }) => {
    channel.post(evaluations);
  },
};

export const spawnTasks: SpawnTask<never>[] = [
  echo,
  sleepsUntilCancelled as SpawnTask<never>,
  setEvent,
  rejects,
  crashes,
  hangs,
  whoami,
  evaluated,
] as SpawnTask<never>[];

/**
 * A second client, in its own thread, that checks every `intervalMs` for `durationMs` whether
 * `path` exists and posts what it saw: it keeps looking while the test's main thread is blocked.
 */
const observeNode: SpawnTask<{
  channel: ChannelEnd<unknown, { at: number; exists: boolean | string }>;
  hosts: string;
  path: string;
  durationMs: number;
  intervalMs: number;
}> = {
  name: 'test-observe-node',
  module: __filename,
  run: async ({ channel, hosts, path, durationMs, intervalMs }, handler) => {
    const { ZooKeeperClient } = await import('../../lib/client/client.js');
    const zk = new ZooKeeperClient({ hosts, handler });
    await zk.start();
    const end = Date.now() + durationMs;
    while (Date.now() < end) {
      const exists = await zk.exists(path).then(
        (stat) => stat !== null,
        (error: Error) => error.name,
      );
      channel.post({ at: Date.now(), exists });
      await handler.sleep(intervalMs);
    }
    await zk.stop();
  },
};

spawnTasks.push(observeNode as SpawnTask<never>);
