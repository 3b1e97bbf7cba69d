// A second task module for the worker-thread tests: its task has the same name as one in
// worker-test-tasks.ts, so a test can tell that the worker looks a task up in the module it names.

import type { ChannelEnd, SpawnTask } from '../../handlers/handler.js';

/** Posts which module it came from. */
const whoami: SpawnTask<{ channel: ChannelEnd<unknown, string> }> = {
  name: 'test-whoami',
  module: __filename,
  run: async ({ channel }) => {
    channel.post('worker-other-tasks');
  },
};

export const spawnTasks: SpawnTask<never>[] = [whoami as SpawnTask<never>];
