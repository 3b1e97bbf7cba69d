import fc from 'fast-check';
import { DEFAULT_MAX_INBOUND_FRAME_BYTES } from '../../protocol/constants.js';
import { FrameAccumulator } from '../../protocol/frame-accumulator.js';
import { InboundFrameTooLargeError, ProtocolError } from '../../protocol/protocol-error.js';
import { framed } from './bytes.js';

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

function drain(acc: FrameAccumulator, chunks: Buffer[]): Buffer[] {
  const frames: Buffer[] = [];
  for (const c of chunks) {
    acc.push(c);
    for (let f = acc.next(); f !== undefined; f = acc.next()) frames.push(Buffer.from(f));
  }
  return frames;
}

describe('FrameAccumulator', () => {
  it('gives the same frames for any chunking of the same bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => framed(Buffer.from(p))));
          const frames = drain(new FrameAccumulator(), chunk(stream, cuts));
          expect(frames).toEqual(payloads.map((p) => Buffer.from(p)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('delivers frames one byte at a time and keeps nothing afterwards', () => {
    const stream = Buffer.concat([
      framed(Buffer.from('abc')),
      framed(Buffer.alloc(0)),
      framed(Buffer.from('z')),
    ]);
    const acc = new FrameAccumulator();
    const frames = drain(
      acc,
      [...stream].map((b) => Buffer.from([b])),
    );
    expect(frames.map((f) => f.toString())).toEqual(['abc', '', 'z']);
    expect(acc.bufferedBytes).toBe(0);
    expect(acc.next()).toBeUndefined();
  });

  it('returns a frame inside one chunk as a view, without copying', () => {
    const stream = framed(Buffer.from('hello'));
    const acc = new FrameAccumulator();
    acc.push(stream);
    const f = acc.next()!;
    expect(f.buffer).toBe(stream.buffer);
    expect(f.toString()).toBe('hello');
  });

  it('accepts a frame of exactly the limit and refuses one byte more', () => {
    const acc = new FrameAccumulator(10);
    acc.push(framed(Buffer.alloc(10, 1)));
    expect(acc.next()?.length).toBe(10);
    acc.push(framed(Buffer.alloc(11, 1)));
    expect(() => acc.next()).toThrow(InboundFrameTooLargeError);
  });

  it('refuses a negative length as a ProtocolError', () => {
    const acc = new FrameAccumulator();
    acc.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    expect(() => acc.next()).toThrow(ProtocolError);
  });

  it('defaults its limit to jute.maxbuffer plus a reply header', () => {
    expect(new FrameAccumulator().maxFrameBytes).toBe(0xfffff + 16);
    expect(DEFAULT_MAX_INBOUND_FRAME_BYTES).toBe(1048591);
  });

  it('reassembles a 1 MB frame that arrives in 64 KB chunks with one copy', () => {
    const payload = Buffer.alloc(0xfffff, 7);
    const stream = framed(payload);
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 65536) chunks.push(stream.subarray(i, i + 65536));
    const frames = drain(new FrameAccumulator(), chunks);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.equals(payload)).toBe(true);
  });

  it('reassembles a 1 MB frame that arrives one byte per chunk in linear time', () => {
    // Once quadratic (a shift() per chunk on a million-element array): minutes, not milliseconds.
    const payload = Buffer.alloc(0xfffff);
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
    const stream = framed(payload);
    const acc = new FrameAccumulator();
    let frame: Buffer | undefined;
    for (let i = 0; i < stream.length; i++) {
      acc.push(stream.subarray(i, i + 1));
      frame ??= acc.next();
    }
    expect(frame?.equals(payload)).toBe(true);
    expect(acc.bufferedBytes).toBe(0);
  }, 20_000);
});
