// WorkerThreadsHandler's own machinery: the cross-thread channel (batches of frames packed into
// one transferred buffer, Buffers revived), events shared with the worker, how a task's failure
// and the worker's death reach the spawner, and stop().

import { join } from 'node:path';
import type { ChannelEnd, Spawned, SpawnTask } from '../../handlers/handler.js';
import { decodePortMessage, encodePortMessage } from '../../handlers/port-channel.js';
import { SharedEvent } from '../../handlers/shared-event.js';
import {
  WorkerArgumentError,
  WorkerExitError,
  WorkerTaskError,
  WorkerThreadsHandler,
} from '../../handlers/worker-threads.js';

const TEST_TASKS = join(__dirname, 'worker-test-tasks.ts');
const OTHER_TASKS = join(__dirname, 'worker-other-tasks.ts');
/** A task of `module` (default worker-test-tasks.ts) as the main thread names it: it runs only in the worker. */
const task = <A>(name: string, module = TEST_TASKS): SpawnTask<A> => ({
  name,
  module,
  run: () => Promise.reject(new Error('runs in the worker only')),
});

let handler: WorkerThreadsHandler;
beforeEach(() => {
  handler = new WorkerThreadsHandler();
  handler.start();
});
afterEach(async () => {
  await handler.stop();
});

/** The next `count` messages a channel end receives. */
function collect(end: ChannelEnd<unknown, unknown>, count: number): Promise<Array<Record<string, unknown>>> {
  const got: Array<Record<string, unknown>> = [];
  return new Promise((resolve) => {
    end.onMessage((message) => {
      got.push(message as Record<string, unknown>);
      if (got.length === count) resolve(got);
    });
  });
}

describe('the port message codec', () => {
  it('packs a frames array into one buffer of just their bytes and gives back equal Buffers', () => {
    // Views into one larger buffer, as frames sliced from a socket read are.
    const backing = Buffer.from('0123456789abcdefghij');
    const frames = [backing.subarray(2, 5), backing.subarray(10, 10), backing.subarray(12, 20)];
    const { wire, transfer } = encodePortMessage({ t: 'frames', epoch: 3, frames });
    expect(transfer).toHaveLength(0); // this small, cloned (spec/handlers/port-channel.spec.ts)
    const packed = (wire as { frames: { packed: Uint8Array } }).frames.packed;
    expect(packed.buffer.byteLength).toBe(3 + 0 + 8); // only the frames' bytes, not the backing store
    const decoded = decodePortMessage<{ t: string; epoch: number; frames: Buffer[] }>(structuredClone(wire));
    expect(decoded.t).toBe('frames');
    expect(decoded.epoch).toBe(3);
    expect(decoded.frames.map((f) => f.toString())).toEqual(['234', '', 'cdefghij']);
    expect(decoded.frames.every((f) => Buffer.isBuffer(f))).toBe(true);
  });

  it('transfers a large frame that is a whole ArrayBuffer of its own as it is, without packing it', () => {
    const small = Buffer.from('abc');
    const own = Buffer.alloc(100_000, 7); // a Buffer this size is its own ArrayBuffer
    const view = Buffer.alloc(200_000, 9).subarray(10, 100_010); // as large, but a view: packed
    const { wire, transfer } = encodePortMessage({ t: 'frames', epoch: 1, frames: [small, own, view] });
    expect(transfer).toHaveLength(2);
    expect(transfer[0]!.byteLength).toBe(3 + 100_000);
    expect(transfer[1]).toBe(own.buffer);
    const decoded = decodePortMessage<{ frames: Buffer[] }>(structuredClone(wire, { transfer }));
    // Given away, not copied: the sender's frame is detached.
    expect(own.byteLength).toBe(0);
    const [a, b, c] = decoded.frames;
    expect(a!.toString()).toBe('abc');
    expect(b!.length).toBe(100_000);
    expect(b!.every((x) => x === 7)).toBe(true);
    expect(b!.buffer.byteLength).toBe(100_000); // still a whole buffer: the reader may share it
    expect(c!.length).toBe(100_000);
    expect(c!.every((x) => x === 9)).toBe(true);
  });

  it('leaves a message without frames as it is, and revives top-level byte arrays as Buffers', () => {
    const passwd = Buffer.alloc(16, 7);
    const { wire, transfer } = encodePortMessage({ t: 'handshake', sessionId: 5n, passwd });
    expect(transfer).toEqual([]);
    const decoded = decodePortMessage<{ sessionId: bigint; passwd: Buffer }>(structuredClone(wire));
    expect(decoded.sessionId).toBe(5n);
    expect(Buffer.isBuffer(decoded.passwd)).toBe(true);
    expect(decoded.passwd.equals(passwd)).toBe(true);
  });
});

describe('WorkerThreadsHandler', () => {
  it('carries frames both ways between this thread and a task in the worker, in order, as Buffers', async () => {
    const [mine, theirs] = handler.createSocketPair<unknown, unknown>();
    const replies = collect(mine, 1 + 200);
    const spawned = handler.spawn(task('test-echo'), { channel: theirs, passwd: Buffer.alloc(16, 1) });
    for (let n = 0; n < 200; n++) {
      mine.post({ t: 'echo', n, frames: [Buffer.from(`a${n}`), Buffer.from(`bb${n}`)] });
    }
    const [init, ...echoes] = await replies;
    expect(init).toMatchObject({ t: 'init', passwdIsBuffer: true });
    expect(Buffer.isBuffer(init!.passwd)).toBe(true);
    expect(echoes.map((m) => m.n)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    for (const [n, m] of echoes.entries()) {
      expect(m.framesAreBuffers).toBe(true);
      expect((m.frames as Buffer[]).map((f) => f.toString())).toEqual([`a${n}`, `bb${n}`]);
    }
    mine.post({ t: 'stop' });
    await spawned.done;
  });

  it('shares an event with the worker: a set there wakes a waiter here', async () => {
    const event = handler.eventObject() as SharedEvent;
    const waiting = event.wait(10_000);
    handler.spawn(task('test-set-event'), { buffer: event.buffer, delayMs: 50 });
    expect(await waiting).toBe(true);
    expect(event.isSet()).toBe(true);
    // Another view of the same memory sees the same flag.
    const twin = new SharedEvent(handler, event.buffer);
    twin.clear();
    expect(event.isSet()).toBe(false);
  });

  it('rejects done with WorkerTaskError, keeping the task’s error name and message, when the task rejects', async () => {
    const error = await handler.spawn(task('test-reject'), {}).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerTaskError);
    expect((error as Error).message).toBe('RangeError: the task failed on purpose');
  });

  it('rejects done with WorkerExitError when the worker thread dies, and runs the next task in a new worker', async () => {
    const hanging = handler.spawn(task('test-hang'), {});
    const crashing = handler.spawn(task('test-crash'), {});
    for (const spawned of [hanging, crashing]) {
      const error = await spawned.done.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkerExitError);
      expect((error as Error).message).toMatch(/uncaught in the worker on purpose/);
    }
    const event = handler.eventObject() as SharedEvent;
    await handler.spawn(task('test-set-event'), { buffer: event.buffer, delayMs: 0 }).done;
    expect(event.isSet()).toBe(true);
  });

  it('throws WorkerArgumentError from spawn when the argument cannot cross threads', () => {
    expect(() => handler.spawn(task('test-echo'), { callback: () => 1 })).toThrow(WorkerArgumentError);
  });

  it('ends running tasks with WorkerExitError on stop()', async () => {
    const spawned: Spawned = handler.spawn(task('test-hang'), {});
    await handler.stop();
    expect(await spawned.done.catch((e: unknown) => e)).toBeInstanceOf(WorkerExitError);
    expect(handler.running).toBe(false);
  });

  it('reports a task its module does not export as a WorkerTaskError naming both', async () => {
    const error = await handler.spawn(task('no-such-task'), {}).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerTaskError);
    expect((error as Error).message).toBe(`Error: no task named no-such-task in ${TEST_TASKS}`);
  });

  it('finds each task in the module it names, loading each module once', async () => {
    const ask = async <T>(name: string, module?: string): Promise<T> => {
      const [mine, theirs] = handler.createSocketPair<T, unknown>();
      const answer = collect(mine, 1);
      await handler.spawn(task(name, module), { channel: theirs }).done;
      const [message] = await answer;
      mine.close();
      return message as T;
    };
    // Two modules with a task of the same name, in one worker.
    expect(await ask('test-whoami', OTHER_TASKS)).toBe('worker-other-tasks');
    expect(await ask('test-whoami')).toBe('worker-test-tasks');
    expect(await ask('test-whoami', OTHER_TASKS)).toBe('worker-other-tasks');
    expect(await ask('test-evaluations')).toBe(1);
    expect(await ask('test-evaluations')).toBe(1);
  });

  it('reports a module it cannot load as a WorkerTaskError naming it, and goes on running other tasks', async () => {
    const missing = join(__dirname, 'no-such-task-module.ts');
    const error = await handler.spawn(task('test-echo', missing), {}).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerTaskError);
    expect((error as Error).message).toContain(missing);
    const event = handler.eventObject() as SharedEvent;
    await handler.spawn(task('test-set-event'), { buffer: event.buffer, delayMs: 0 }).done;
    expect(event.isSet()).toBe(true);
  });

  it('reports a module without a spawnTasks array as a WorkerTaskError', async () => {
    const notTasks = join(__dirname, 'support.ts');
    const error = await handler.spawn(task('test-echo', notTasks), {}).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerTaskError);
    expect((error as Error).message).toBe(`Error: ${notTasks} exports no spawnTasks array`);
  });
});
