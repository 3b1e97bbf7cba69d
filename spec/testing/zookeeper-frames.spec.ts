// The frame tracker FaultProxy uses to find a request and its reply: the same frames whatever the
// chunking, offsets that point at each frame's length prefix, and never a throw on garbage.
import fc from 'fast-check';
import { type FrameSource, FrameTracker, type TrackedFrame } from '../../testing/zookeeper-frames.js';
import { handshake, reply, request } from './frames.js';

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function chunk(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}

function track(source: FrameSource, chunks: Buffer[]): { frames: TrackedFrame[]; tracker: FrameTracker } {
  const tracker = new FrameTracker(source);
  const frames = chunks.flatMap((c) => tracker.push(c));
  return { frames, tracker };
}

describe('FrameTracker', () => {
  it('finds every request, with its offset, xid and opcode, however the stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ xid: fc.integer(), op: fc.integer(), body: fc.uint8Array({ maxLength: 64 }) }), {
          maxLength: 10,
        }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (requests, cuts) => {
          const frames = [handshake(45), ...requests.map((r) => request(r.xid, r.op, Buffer.from(r.body)))];
          const stream = Buffer.concat(frames);
          const expected: TrackedFrame[] = [];
          let offset = 0;
          for (const [i, frame] of frames.entries()) {
            const length = frame.length - 4;
            const r = requests[i - 1];
            expected.push(
              r === undefined
                ? { kind: 'connect', offset, length }
                : { kind: 'request', offset, length, xid: r.xid, op: r.op },
            );
            offset += frame.length;
          }
          const { frames: found, tracker } = track('client', chunk(stream, cuts));
          expect(found).toEqual(expected);
          expect(tracker.lost).toBe(false);
          expect(tracker.identifiedOffset).toBe(stream.length);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('finds every reply with its xid, zxid and error code, one byte at a time', () => {
    const stream = Buffer.concat([
      handshake(36),
      reply(1, 5n, 0, Buffer.from('data')),
      reply(-1, -1n, 0, Buffer.from('/watched')),
      reply(-2, 5n, 0),
      reply(2, 0x1_0000_0001n, -101),
    ]);
    const { frames } = track(
      'server',
      [...stream].map((b) => Buffer.from([b])),
    );
    expect(frames).toEqual([
      { kind: 'connect', offset: 0, length: 36 },
      { kind: 'reply', offset: 40, length: 20, xid: 1, zxid: 5n, err: 0 },
      { kind: 'reply', offset: 64, length: 24, xid: -1, zxid: -1n, err: 0 },
      { kind: 'reply', offset: 92, length: 16, xid: -2, zxid: 5n, err: 0 },
      { kind: 'reply', offset: 112, length: 16, xid: 2, zxid: 0x1_0000_0001n, err: -101 },
    ]);
  });

  it('reports the start of a frame whose header is incomplete as the identified offset', () => {
    const tracker = new FrameTracker('server');
    const first = Buffer.concat([handshake(36), reply(1, 1n, 0)]);
    const second = reply(7, 2n, 0, Buffer.from('payload'));
    expect(tracker.push(Buffer.concat([first, second.subarray(0, 10)]))).toHaveLength(2);
    // 10 bytes of the second reply are in, its header (20 bytes with the prefix) is not.
    expect(tracker.identifiedOffset).toBe(first.length);
    expect(tracker.push(second.subarray(10, 20))).toEqual([
      { kind: 'reply', offset: first.length, length: 23, xid: 7, zxid: 2n, err: 0 },
    ]);
    // Inside the payload, everything fed is identified.
    expect(tracker.identifiedOffset).toBe(first.length + 20);
  });

  it.each([
    ['a four-letter word', 'client', Buffer.from('ruok')],
    ['a negative length', 'client', Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3])],
    ['a handshake too short to be one', 'server', handshake(8)],
    ['a request too short for its header', 'client', Buffer.concat([handshake(45), handshake(4)])],
    ['a reply too short for its header', 'server', Buffer.concat([handshake(36), request(1, 2)])],
  ] as const)('stops tracking for good on %s, and keeps counting what it is fed', (_, source, garbage) => {
    const tracker = new FrameTracker(source);
    tracker.push(garbage);
    expect(tracker.lost).toBe(true);
    expect(tracker.push(request(1, 1))).toEqual([]);
    expect(tracker.consumed).toBe(garbage.length + 12);
    expect(tracker.identifiedOffset).toBe(tracker.consumed);
  });

  it('never throws on arbitrary bytes, from either side, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<FrameSource>('client', 'server'),
        fc.uint8Array({ maxLength: 400 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (source, bytes, cuts) => {
          const stream = Buffer.from(bytes);
          const { frames, tracker } = track(source, chunk(stream, cuts));
          expect(tracker.consumed).toBe(stream.length);
          for (const frame of frames) expect(frame.offset).toBeLessThan(stream.length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('takes a frame up to its limit and calls a longer one garbage', () => {
    const tracker = new FrameTracker('client', 100);
    tracker.push(handshake(100));
    expect(tracker.lost).toBe(false);
    tracker.push(handshake(101).subarray(0, 4));
    expect(tracker.lost).toBe(true);
  });
});
