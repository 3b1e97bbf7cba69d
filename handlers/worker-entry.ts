// The worker thread of WorkerThreadsHandler: it runs spawned tasks (the connection loop) on a
// SequentialMicrotaskHandler of its own, so sockets, pings, read timeouts and reconnects go on
// while the main thread is busy. Each task's channel end arrives as a transferred MessagePort.

import { parentPort, workerData } from 'node:worker_threads';
import { connectionLoopTask } from '../lib/session/connection-loop.js';
import type { SpawnTask } from './handler.js';
import { PortChannelEnd, reviveBuffers } from './port-channel.js';
import { SequentialMicrotaskHandler } from './sequential-microtask.js';
import { type FromWorker, isPortMarker, type ToWorker, type WorkerBoot } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('worker-entry must run in a worker thread');

const boot = workerData as WorkerBoot;
const tasks = new Map<string, SpawnTask<unknown>>([
  [connectionLoopTask.name, connectionLoopTask as SpawnTask<unknown>],
]);
/** Extra tasks (tests use this to run a task that misbehaves). */
const tasksLoaded = Promise.all(
  boot.taskModules.map(async (module) => {
    const { spawnTasks } = (await import(module)) as { spawnTasks: SpawnTask<unknown>[] };
    for (const task of spawnTasks) tasks.set(task.name, task);
  }),
);

const handler = new SequentialMicrotaskHandler();
handler.start();

/** The argument as the task expects it: channel ends for port markers, Buffers for byte arrays. */
function revive(arg: unknown): unknown {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(arg as Record<string, unknown>)) {
    // spawn() marks channel ends among the argument's top-level fields only.
    out[key] = isPortMarker(field) ? new PortChannelEnd(field.zookitChannelPort) : reviveBuffers(field);
  }
  return out;
}

function reply(message: FromWorker): void {
  port!.postMessage(message);
}

port.on('message', async (message: ToWorker) => {
  await tasksLoaded;
  const task = tasks.get(message.task);
  if (task === undefined) {
    reply({
      t: 'failed',
      id: message.id,
      error: { name: 'Error', message: `no task named ${message.task}` },
    });
    return;
  }
  Promise.resolve()
    .then(() => task.run(revive(message.arg), handler))
    .then(
      () => reply({ t: 'done', id: message.id }),
      (error: Error) =>
        reply({
          t: 'failed',
          id: message.id,
          error: {
            name: error?.name ?? 'Error',
            message: error?.message ?? String(error),
            stack: error?.stack,
          },
        }),
    );
});
