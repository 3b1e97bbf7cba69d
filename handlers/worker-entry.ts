// The worker thread of WorkerThreadsHandler: it runs spawned tasks (connection loops, of one
// client or of many when the thread is a shared pool's) so sockets, pings, read timeouts and
// reconnects go on while the main thread is busy. Each task names the module that exports it,
// loaded here on first use, so the worker knows nothing of what it runs (handlers/ imports nothing
// from lib/). Each task's channel end arrives as a transferred MessagePort. Each task runs on a
// handler of its own (TaskScopeHandler), so one task can be cancelled without touching the others.

import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import type { SpawnTask } from './handler.js';
import { PortChannelEnd, reviveBuffers } from './port-channel.js';
import { TaskScopeHandler } from './task-scope.js';
import { type FromWorker, isPortMarker, type ToWorker } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('worker-entry must run in a worker thread');

/** Each task module's tasks by name, loading or loaded: a module is imported once per worker. */
const modules = new Map<string, Promise<Map<string, SpawnTask<unknown>>>>();

function tasksOf(module: string): Promise<Map<string, SpawnTask<unknown>>> {
  let tasks = modules.get(module);
  if (tasks === undefined) {
    // Built as CommonJS (and from TypeScript sources) import() is require(), which takes a path;
    // an ES module's import() takes a URL.
    const specifier = typeof require === 'function' ? module : pathToFileURL(module).href;
    tasks = import(specifier).then((exports: { spawnTasks?: unknown }) => {
      if (!Array.isArray(exports.spawnTasks)) throw new Error(`${module} exports no spawnTasks array`);
      return new Map((exports.spawnTasks as SpawnTask<unknown>[]).map((task) => [task.name, task]));
    });
    // A module that failed to load is tried again by the next task that names it.
    tasks.catch(() => modules.delete(module));
    modules.set(module, tasks);
  }
  return tasks;
}

/** Running tasks by id, each with its own handler and channel ends, so a cancel reaches just it. */
const running = new Map<
  number,
  { handler: TaskScopeHandler; channels: PortChannelEnd<unknown, unknown>[] }
>();

/** The argument as the task expects it: channel ends for port markers, Buffers for byte arrays. */
function revive(arg: unknown, channels: PortChannelEnd<unknown, unknown>[]): unknown {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(arg as Record<string, unknown>)) {
    // spawn() marks channel ends among the argument's top-level fields only.
    if (isPortMarker(field)) {
      const channel = new PortChannelEnd(field.zookitChannelPort);
      channels.push(channel);
      out[key] = channel;
    } else out[key] = reviveBuffers(field);
  }
  return out;
}

function reply(message: FromWorker): void {
  port!.postMessage(message);
}

function spawn(message: Extract<ToWorker, { t: 'spawn' }>): void {
  const handler = new TaskScopeHandler();
  handler.start();
  const channels: PortChannelEnd<unknown, unknown>[] = [];
  const arg = revive(message.arg, channels);
  running.set(message.id, { handler, channels });
  tasksOf(message.module)
    .then((tasks) => {
      const task = tasks.get(message.task);
      if (task === undefined) throw new Error(`no task named ${message.task} in ${message.module}`);
      return task.run(arg, handler);
    })
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
    )
    .finally(() => running.delete(message.id));
}

/** Ends one task: its sleeps abort, its sockets close, its channel closes; the thread goes on. */
function cancel(id: number): void {
  const task = running.get(id);
  if (task === undefined) return;
  running.delete(id);
  task.handler.cancel(new Error('the task was cancelled: its handler was stopped'));
  for (const channel of task.channels) channel.close();
}

port.on('message', (message: ToWorker) => {
  if (message.t === 'cancel') cancel(message.id);
  else spawn(message);
});
