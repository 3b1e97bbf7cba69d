// When a decoded byte string may share the frame's memory (a large frame the accumulator
// assembled, decoded by the session, which drops the frame) and when it must be a copy.

import { OpCode } from '../../protocol/constants.js';
import { FrameAccumulator } from '../../protocol/frame-accumulator.js';
import { type ClientOp, decodeReply, encodeReply } from '../../protocol/operations.js';
import { stat } from '../lib/fake-server.js';

/** A getData reply frame with `size` bytes of data, as the accumulator returns it from 64 KB reads. */
function assembledFrame(size: number): Buffer {
  const wire = encodeReply({ xid: 7, zxid: 9n, err: 0 }, OpCode.getData, {
    data: Buffer.alloc(size, 0x61),
    stat: stat({ czxid: 1n, mzxid: 2n, pzxid: 1n }),
  });
  const acc = new FrameAccumulator(2 * 1024 * 1024);
  for (let i = 0; i < wire.length; i += 65536) acc.push(Buffer.from(wire.subarray(i, i + 65536)));
  const frame = acc.next();
  if (frame === undefined) throw new Error('no frame');
  return frame;
}

const getData = (): ClientOp => OpCode.getData;

function dataOf(frame: Buffer, payloadIsDropped: boolean): Buffer {
  const reply = decodeReply(frame, getData, { payloadIsDropped });
  if (reply.kind !== 'response') throw new Error('not a response');
  return (reply.body as { data: Buffer }).data;
}

describe('large values and the frame they came in', () => {
  it('shares the memory of a 1 MB frame assembled from several reads, when the caller drops it', () => {
    const frame = assembledFrame(1_000_000);
    const data = dataOf(frame, true);
    expect(data.length).toBe(1_000_000);
    expect(data.buffer).toBe(frame.buffer);
    expect(data.every((b) => b === 0x61)).toBe(true);
  });

  it('copies when the caller keeps the frame (the default)', () => {
    const frame = assembledFrame(1_000_000);
    const data = dataOf(frame, false);
    expect(data.buffer).not.toBe(frame.buffer);
    frame.fill(0);
    expect(data[0]).toBe(0x61);
  });

  it('copies a value that is only part of a larger buffer (a socket read holding other replies)', () => {
    const frame = assembledFrame(200_000);
    const inBigger = Buffer.concat([Buffer.alloc(16), frame, Buffer.alloc(16)]).subarray(
      16,
      16 + frame.length,
    );
    const data = dataOf(inBigger, true);
    expect(data.buffer).not.toBe(inBigger.buffer);
    expect(data.length).toBe(200_000);
  });

  it('copies a small value even from a frame of its own', () => {
    const frame = Buffer.from(assembledFrame(1000));
    const owned = Buffer.alloc(frame.length);
    frame.copy(owned);
    const data = dataOf(owned, true);
    expect(data.buffer).not.toBe(owned.buffer);
    expect(data.length).toBe(1000);
  });
});
