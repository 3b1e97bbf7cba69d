// Tasks the port channel specs run in WorkerThreadsHandler's worker: each names this module, which
// the worker loads to find it. They talk through a PortChannelEnd, as the connection loop does.

import type { ChannelEnd, SpawnTask } from '../../handlers/handler.js';

/** What the specs send: frames to echo, or the word to stop. */
export type ToTask = { t: 'frames'; n: number; frames: Buffer[] } | { t: 'stop' };

/** What the tasks send back: each message's number and the frames as they arrived. */
export type FromTask = { t: 'frames'; n: number; frames: Buffer[]; allBuffers: boolean };

/** Sends back every frames message as it arrived, until told to stop. */
const echoFrames: SpawnTask<{ channel: ChannelEnd<ToTask, FromTask> }> = {
  name: 'channel-echo',
  module: __filename,
  run: ({ channel }) =>
    new Promise<void>((resolve) => {
      channel.onMessage((message) => {
        if (message.t === 'stop') {
          channel.close();
          resolve();
          return;
        }
        const allBuffers = message.frames.every((f) => Buffer.isBuffer(f));
        channel.post({ t: 'frames', n: message.n, frames: message.frames, allBuffers });
      });
    }),
};

/**
 * Posts `count` frames messages in one synchronous burst (message n holds one frame of n+1 bytes,
 * every byte n % 256, every seventh holds three frames), then kills its own thread the way a crash
 * would: nothing after the burst runs, and nothing before it may be lost.
 */
const burstThenDie: SpawnTask<{ channel: ChannelEnd<never, FromTask>; count: number }> = {
  name: 'channel-burst-then-die',
  module: __filename,
  run: async ({ channel, count }) => {
    for (let n = 0; n < count; n++) {
      const frame = Buffer.alloc(n + 1, n % 256);
      const frames = n % 7 === 0 ? [frame, Buffer.from('x'), frame] : [frame];
      channel.post({ t: 'frames', n, frames, allBuffers: true });
    }
    process.exit(3);
  },
};

export const spawnTasks = [echoFrames, burstThenDie];
