// Tasks the worker-thread tests ask WorkerThreadsHandler to run (loaded in the worker through
// the handler's `taskModules` option).

import type { ChannelEnd, SpawnTask } from '../../handlers/handler.js';
import { SharedEvent } from '../../handlers/shared-event.js';

type Echo = { t: 'echo'; frames?: Buffer[]; passwd?: Buffer; n?: number } | { t: 'stop' };

/** Sends back every message with `isBuffer` facts about what arrived, until told to stop. */
const echo: SpawnTask<{ channel: ChannelEnd<Echo, unknown>; passwd: Buffer }> = {
  name: 'test-echo',
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
  run: async ({ buffer, delayMs }, handler) => {
    await handler.sleep(delayMs);
    new SharedEvent(handler, buffer).set();
  },
};

const rejects: SpawnTask<Record<string, never>> = {
  name: 'test-reject',
  run: async () => {
    throw new RangeError('the task failed on purpose');
  },
};

/** Throws outside any promise the worker watches: the worker thread itself dies. */
const crashes: SpawnTask<Record<string, never>> = {
  name: 'test-crash',
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
  run: () => new Promise<void>(() => setInterval(() => {}, 1000)),
};

export const spawnTasks: SpawnTask<never>[] = [echo, setEvent, rejects, crashes, hangs] as SpawnTask<never>[];

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
