// The channel of WorkerThreadsHandler (handlers/port-channel.ts): which shape each frames message
// takes on the port (one small frame as a copy of its bytes, several packed, large ones
// transferred), and, through a real worker, that every shape arrives in order, as Buffers, equal
// to what was sent — 1 MB frames included — and that a worker dying right after a burst loses
// none of it and repeats none of it.

import { join } from 'node:path';
import type { ChannelEnd, SpawnTask } from '../../handlers/handler.js';
import { decodePortMessage, encodePortMessage } from '../../handlers/port-channel.js';
import { WorkerExitError, WorkerThreadsHandler } from '../../handlers/worker-threads.js';
import type { FromTask, ToTask } from './port-channel-tasks.js';

const TASKS = join(__dirname, 'port-channel-tasks.ts');
const task = <A>(name: string): SpawnTask<A> => ({
  name,
  module: TASKS,
  run: () => Promise.reject(new Error('runs in the worker only')),
});

/**
 * The message after a trip through the port's structured clone, transferring what the codec says,
 * with what was transferred and each transferred buffer's size before it was given away.
 */
function roundTrip<T>(message: unknown): { decoded: T; transfer: ArrayBuffer[]; transferSizes: number[] } {
  const { wire, transfer } = encodePortMessage(message);
  const transferSizes = transfer.map((buffer) => buffer.byteLength);
  return { decoded: decodePortMessage<T>(structuredClone(wire, { transfer })), transfer, transferSizes };
}

describe('the port message codec', () => {
  it('sends one small frame as a copy of just its bytes, transferring nothing', () => {
    const slab = Buffer.alloc(8192, 1);
    slab.write('hello', 100);
    const frame = slab.subarray(100, 105); // a view into a socket read or a pool slab
    const { wire, transfer } = encodePortMessage({ t: 'write', epoch: 2, frames: [frame] });
    expect(transfer).toEqual([]);
    const sent = (wire as { frames: Uint8Array[] }).frames;
    expect(sent).toHaveLength(1);
    expect(sent[0]!.buffer.byteLength).toBe(5); // not the 8 KB slab
    const { decoded } = roundTrip<{ t: string; epoch: number; frames: Buffer[] }>({
      t: 'write',
      epoch: 2,
      frames: [frame],
    });
    expect(decoded).toMatchObject({ t: 'write', epoch: 2 });
    expect(Buffer.isBuffer(decoded.frames[0])).toBe(true);
    expect(decoded.frames[0]!.toString()).toBe('hello');
    expect(frame.toString()).toBe('hello'); // the sender's frame is untouched
  });

  it('clones a small frame that is a whole buffer of its own without copying it first', () => {
    const frame = Buffer.alloc(100, 3); // Buffer.alloc never slices the pool
    const { wire } = encodePortMessage({ t: 'write', epoch: 1, frames: [frame] });
    expect((wire as { frames: Uint8Array[] }).frames[0]).toBe(frame);
    const { decoded } = roundTrip<{ frames: Buffer[] }>({ t: 'write', epoch: 1, frames: [frame] });
    expect(decoded.frames[0]!.equals(frame)).toBe(true);
    expect(frame.length).toBe(100); // cloned, not given away
  });

  it('transfers the packed bytes of several frames once they are too many to copy cheaply', () => {
    const frames = [Buffer.alloc(3000, 1), Buffer.alloc(3000, 2)];
    const { decoded, transferSizes } = roundTrip<{ frames: Buffer[] }>({ t: 'frames', epoch: 1, frames });
    expect(transferSizes).toEqual([6000]);
    expect(decoded.frames.map((f) => [f.length, f[0], f[f.length - 1]])).toEqual([
      [3000, 1, 1],
      [3000, 2, 2],
    ]);
  });

  it('packs one frame too large to copy cheaply, and transfers a large whole buffer as it is', () => {
    const view = Buffer.alloc(20_000, 5).subarray(1, 10_001);
    const packed = roundTrip<{ frames: Buffer[] }>({ t: 'frames', epoch: 1, frames: [view] });
    expect(packed.transferSizes).toEqual([10_000]);
    expect(packed.decoded.frames[0]!.equals(view)).toBe(true);

    const whole = Buffer.alloc(1 << 20, 6); // a Buffer this size owns its ArrayBuffer
    const alone = roundTrip<{ frames: Buffer[] }>({ t: 'frames', epoch: 1, frames: [whole] });
    expect(alone.transfer).toContain(whole.buffer);
    expect(whole.byteLength).toBe(0); // given away, not copied
    expect(alone.decoded.frames[0]!.length).toBe(1 << 20);
    expect(alone.decoded.frames[0]!.every((b) => b === 6)).toBe(true);
  });

  it('carries an empty frames array, and an empty frame', () => {
    expect(roundTrip<{ frames: Buffer[] }>({ t: 'frames', frames: [] }).decoded.frames).toEqual([]);
    const one = roundTrip<{ frames: Buffer[] }>({ t: 'frames', frames: [Buffer.alloc(0)] }).decoded;
    expect(one.frames).toHaveLength(1);
    expect(Buffer.isBuffer(one.frames[0])).toBe(true);
    expect(one.frames[0]!.length).toBe(0);
  });
});

describe('a PortChannelEnd pair across the worker thread', () => {
  let handler: WorkerThreadsHandler;
  beforeEach(() => {
    handler = new WorkerThreadsHandler();
    handler.start();
  });
  afterEach(async () => {
    await handler.stop();
  });

  /** Collects what `end` receives until `count` messages came. */
  function collect(end: ChannelEnd<FromTask, unknown>, count: number): Promise<FromTask[]> {
    const got: FromTask[] = [];
    return new Promise((resolve) => {
      end.onMessage((message) => {
        got.push(message);
        if (got.length === count) resolve(got);
      });
    });
  }

  it('delivers every shape in order and equal both ways: single frames, batches, 1 MB frames', async () => {
    const [mine, theirs] = handler.createSocketPair<ToTask, FromTask>();
    const spawned = handler.spawn(task('channel-echo'), { channel: theirs });
    const sent: Buffer[][] = [];
    const shapes = [
      (n: number) => [Buffer.from(`one ${n}`)],
      (n: number) => [Buffer.from(`a${n}`), Buffer.alloc(0), Buffer.from(`c${n}`)],
      (n: number) => [Buffer.alloc(5000, n % 256)], // one frame, packed and transferred
      (n: number) => [Buffer.from(`s${n}`), Buffer.alloc(1 << 20, n % 256)], // travels alone
      (n: number) => [Buffer.alloc(300, 1).subarray(10, 20 + (n % 50))], // a view into a larger buffer
    ];
    const count = 200;
    const replies = collect(mine, count);
    for (let n = 0; n < count; n++) {
      const frames = shapes[n % shapes.length]!(n);
      sent.push(frames.map((f) => Buffer.from(f))); // kept apart: a sent frame may be given away
      mine.post({ t: 'frames', n, frames });
    }
    const got = await replies;
    expect(got.map((m) => m.n)).toEqual(Array.from({ length: count }, (_, n) => n));
    for (const [n, message] of got.entries()) {
      expect(message.allBuffers).toBe(true); // as the worker received them
      expect(message.frames.every((f) => Buffer.isBuffer(f))).toBe(true); // as they came back
      expect(message.frames.map((f) => f.length)).toEqual(sent[n]!.map((f) => f.length));
      expect(message.frames.every((f, i) => f.equals(sent[n]![i]!))).toBe(true);
    }
    mine.post({ t: 'stop' });
    await spawned.done;
  });

  it('delivers everything a worker posted before it died, once each and in order, then fails its task', async () => {
    const [mine, theirs] = handler.createSocketPair<never, FromTask>();
    const got: FromTask[] = [];
    mine.onMessage((message) => got.push(message));
    const count = 500;
    const error = await handler
      .spawn(task('channel-burst-then-die'), { channel: theirs, count })
      .done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    // Messages already on the port still arrive after the worker is gone.
    for (let turn = 0; got.length < count && turn < 100; turn++) await new Promise((r) => setTimeout(r, 10));
    expect(got.map((m) => m.n)).toEqual(Array.from({ length: count }, (_, n) => n));
    for (const { n, frames } of got) {
      const frame = Buffer.alloc(n + 1, n % 256);
      const expected = n % 7 === 0 ? [frame, Buffer.from('x'), frame] : [frame];
      expect(frames).toHaveLength(expected.length);
      expect(frames.every((f, i) => f.equals(expected[i]!))).toBe(true);
    }
  });
});
