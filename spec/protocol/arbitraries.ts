// fast-check arbitraries derived from a codec's declared shape, so every record gets random
// values without a second, hand-written description that could drift from the codec.

import fc from 'fast-check';
import type { Codec, Shape } from '../../protocol/codec.js';
import { OpCode } from '../../protocol/constants.js';
import type { MultiOp, MultiReadOp, MultiResult } from '../../protocol/multi.js';
import * as records from '../../protocol/records.js';

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
// Valid Unicode only: a lone surrogate cannot survive UTF-8 (and ZooKeeper rejects it in paths).
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme', maxLength: 8 }));
const bytes = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));

/** Random values for any codec built from the primitives, vectors and records. */
export function arbitraryFor<T>(codec: Codec<T>): fc.Arbitrary<T> {
  return fromShape(codec.shape) as fc.Arbitrary<T>;
}

function fromShape(shape: Shape): fc.Arbitrary<unknown> {
  switch (shape.kind) {
    case 'int':
      return int32;
    case 'long':
      return int64;
    case 'bool':
      return fc.boolean();
    case 'buffer':
      return fc.option(bytes, { nil: null });
    case 'ustring':
      return fc.option(text, { nil: null });
    case 'string':
      return text;
    case 'vector':
      return fc.array(fromShape(shape.item.shape), { maxLength: 5 });
    case 'optional':
      return fc.option(fromShape(shape.item.shape), { nil: undefined });
    case 'record':
      return fc.record(Object.fromEntries(shape.fields.map(([name, c]) => [name, fromShape(c.shape)])));
    case 'custom':
      return customArbitraries[shape.name] ?? fc.constant(undefined);
  }
}

const multiOp: fc.Arbitrary<MultiOp> = fc.oneof(
  fc
    .record({
      type: fc.constantFrom(OpCode.create, OpCode.create2, OpCode.createContainer),
      request: arbitraryFor(records.CreateRequest),
    })
    .map((o) => o as MultiOp),
  arbitraryFor(records.CreateTTLRequest).map((request): MultiOp => ({ type: OpCode.createTTL, request })),
  arbitraryFor(records.DeleteRequest).map((request): MultiOp => ({ type: OpCode.delete, request })),
  arbitraryFor(records.SetDataRequest).map((request): MultiOp => ({ type: OpCode.setData, request })),
  arbitraryFor(records.CheckVersionRequest).map((request): MultiOp => ({ type: OpCode.check, request })),
);

const multiReadOp: fc.Arbitrary<MultiReadOp> = fc.oneof(
  arbitraryFor(records.GetDataRequest).map((request): MultiReadOp => ({ type: OpCode.getData, request })),
  arbitraryFor(records.GetChildrenRequest).map(
    (request): MultiReadOp => ({ type: OpCode.getChildren, request }),
  ),
);

const stat = arbitraryFor(records.Stat);
const multiResult: fc.Arbitrary<MultiResult> = fc.oneof(
  text.map((path): MultiResult => ({ type: OpCode.create, path })),
  fc
    .record({
      type: fc.constantFrom(OpCode.create2, OpCode.createContainer, OpCode.createTTL),
      path: text,
      stat,
    })
    .map((o) => o as MultiResult),
  fc.constantFrom(OpCode.delete, OpCode.check).map((type) => ({ type }) as MultiResult),
  stat.map((s): MultiResult => ({ type: OpCode.setData, stat: s })),
  fc
    .record({ data: fc.option(bytes, { nil: null }), stat })
    .map((o): MultiResult => ({ type: OpCode.getData, ...o })),
  fc.array(text, { maxLength: 4 }).map((children): MultiResult => ({ type: OpCode.getChildren, children })),
  int32.map((err): MultiResult => ({ type: OpCode.error, err })),
);

const customArbitraries: Record<string, fc.Arbitrary<unknown>> = {
  MultiRequest: fc.array(multiOp, { maxLength: 5 }),
  MultiReadRequest: fc.array(multiReadOp, { maxLength: 5 }),
  MultiResponse: fc.array(multiResult, { maxLength: 5 }),
};
