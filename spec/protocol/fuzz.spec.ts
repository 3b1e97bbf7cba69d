// Hostile bytes: whatever a server (or a corrupted stream) sends, decoding fails only with
// ProtocolError, and it always ends. 100,000 frames in all, random and mutated.

import fc from 'fast-check';
import type { Codec } from '../../protocol/codec.js';
import { OpCode } from '../../protocol/constants.js';
import { FrameAccumulator } from '../../protocol/frame-accumulator.js';
import {
  type ClientOp,
  decodeConnectResponse,
  decodeReply,
  encodeReply,
  Operations,
} from '../../protocol/operations.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { arbitraryFor } from './arbitraries.js';

const ops = Object.keys(Operations).map(Number) as ClientOp[];

/** Decodes as the client would; returns the error thrown, if any. */
function decodeAll(payload: Buffer, op: ClientOp): unknown {
  try {
    decodeReply(payload, () => op);
    return undefined;
  } catch (e) {
    return e;
  }
}

function expectOnlyProtocolErrors(payload: Buffer, op: ClientOp): void {
  const err = decodeAll(payload, op);
  if (err !== undefined && !(err instanceof ProtocolError)) {
    throw new Error(`op ${op}, payload ${payload.toString('hex')}: ${String(err)}`);
  }
  try {
    decodeConnectResponse(payload);
  } catch (e) {
    if (!(e instanceof ProtocolError))
      throw new Error(`connect, payload ${payload.toString('hex')}: ${String(e)}`);
  }
}

// Valid replies of every op, as seeds for mutation.
const validReply = fc.constantFrom(...ops).chain((op) =>
  arbitraryFor(Operations[op].response as Codec<unknown>).map((body) => ({
    op,
    frame: encodeReply({ xid: 1, zxid: 1n, err: 0 }, op, body as never).subarray(4),
  })),
);

const mutation = fc.record({
  kind: fc.constantFrom('flip', 'truncate', 'extend', 'overwriteInt'),
  at: fc.nat(),
  value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  byte: fc.integer({ min: 0, max: 255 }),
});

type Mutation = { kind: string; at: number; value: number; byte: number };

function mutate(frame: Buffer, m: Mutation): Buffer {
  const b = Buffer.from(frame);
  if (b.length === 0) return Buffer.from([m.byte]);
  const at = m.at % b.length;
  switch (m.kind) {
    case 'flip':
      b[at] = m.byte;
      return b;
    case 'truncate':
      return b.subarray(0, at);
    case 'extend':
      return Buffer.concat([b, Buffer.from([m.byte, m.byte, m.byte])]);
    default:
      // Overwrite 4 bytes: forged lengths and counts (huge, negative, -1) land here.
      if (at + 4 <= b.length) b.writeInt32BE(m.value, at);
      return b;
  }
}

describe('decoding hostile frames', () => {
  it('throws only ProtocolError for 50,000 random byte strings, for every op', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), fc.constantFrom(...ops), (bytes, op) => {
        expectOnlyProtocolErrors(Buffer.from(bytes), op);
      }),
      { numRuns: 50_000 },
    );
  });

  it('throws only ProtocolError for 50,000 mutated valid replies', () => {
    fc.assert(
      fc.property(
        validReply,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        ({ op, frame }, mutations) => {
          let bytes = frame;
          for (const m of mutations) bytes = mutate(bytes, m);
          expectOnlyProtocolErrors(bytes, op);
        },
      ),
      { numRuns: 50_000 },
    );
  });

  it('rejects a vector count far beyond the frame without allocating it', () => {
    // getChildren reply claiming 2^31-1 children in a 4-byte body.
    const payload = Buffer.from('000000010000000000000001000000007fffffff', 'hex');
    expect(() => decodeReply(payload, () => OpCode.getChildren)).toThrow(ProtocolError);
  });

  it('rejects a reply for an xid nobody waits for', () => {
    const payload = Buffer.from('0000000900000000000000010000000000', 'hex');
    expect(() => decodeReply(payload, () => undefined)).toThrow(/xid 9/);
  });

  it('feeds random streams to the accumulator and decoder and only sees ProtocolError', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const acc = new FrameAccumulator(4096);
        try {
          for (const c of chunks) {
            acc.push(Buffer.from(c));
            for (let f = acc.next(); f !== undefined; f = acc.next()) decodeReply(f, () => OpCode.getData);
          }
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
        }
      }),
      { numRuns: 5_000 },
    );
  });
});
