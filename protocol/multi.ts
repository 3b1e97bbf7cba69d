// multi (14) and multiRead (22): a list of ops, each behind a MultiHeader, ended by a `done`
// header; the reply mirrors it with one result per op. docs/protocol.md#multi.

import { type Codec, custom, expect } from './codec.js';
import { OpCode } from './constants.js';
import type { JuteReader, JuteWriter } from './jute.js';
import {
  CheckVersionRequest,
  Create2Response,
  CreateRequest,
  CreateResponse,
  CreateTTLRequest,
  DeleteRequest,
  ErrorResponse,
  GetChildrenRequest,
  GetChildrenResponse,
  GetDataRequest,
  GetDataResponse,
  MultiHeader,
  SetDataRequest,
  SetDataResponse,
  type Stat,
} from './records.js';

/** One write inside a transaction (multi): the op code and its request record. */
export type MultiOp =
  | {
      type: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer;
      request: CreateRequest;
    }
  | { type: typeof OpCode.createTTL; request: CreateTTLRequest }
  | { type: typeof OpCode.delete; request: DeleteRequest }
  | { type: typeof OpCode.setData; request: SetDataRequest }
  | { type: typeof OpCode.check; request: CheckVersionRequest };

/** One read inside multiRead. */
export type MultiReadOp =
  | { type: typeof OpCode.getData; request: GetDataRequest }
  | { type: typeof OpCode.getChildren; request: GetChildrenRequest };

/**
 * One result of multi or multiRead. A 3.8.0 server answers create2 inside multi as a plain
 * `create` (path only); 3.9+ answers create2, createContainer and createTTL with a Stat.
 */
export type MultiResult =
  | { type: typeof OpCode.create; path: string }
  | {
      type: typeof OpCode.create2 | typeof OpCode.createContainer | typeof OpCode.createTTL;
      path: string;
      stat: Stat;
    }
  | { type: typeof OpCode.delete | typeof OpCode.check }
  | { type: typeof OpCode.setData; stat: Stat }
  | { type: typeof OpCode.getData; data: Buffer | null; stat: Stat }
  | { type: typeof OpCode.getChildren; children: string[] }
  | { type: typeof OpCode.error; err: number };

// biome-ignore lint/suspicious/noExplicitAny: a table of codecs of different record types
const requestCodecs: Record<number, Codec<any>> = {
  [OpCode.create]: CreateRequest,
  [OpCode.create2]: CreateRequest,
  [OpCode.createContainer]: CreateRequest,
  [OpCode.createTTL]: CreateTTLRequest,
  [OpCode.delete]: DeleteRequest,
  [OpCode.setData]: SetDataRequest,
  [OpCode.check]: CheckVersionRequest,
};

// biome-ignore lint/suspicious/noExplicitAny: a table of codecs of different record types
const readRequestCodecs: Record<number, Codec<any>> = {
  [OpCode.getData]: GetDataRequest,
  [OpCode.getChildren]: GetChildrenRequest,
};

const END = { type: -1, done: true, err: -1 } as const;

function opListCodec<T extends { type: number; request: unknown }>(
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: a table of codecs of different record types
  codecs: Record<number, Codec<any>>,
): Codec<T[]> {
  return custom<T[]>(
    name,
    (w: JuteWriter, ops) => {
      for (const op of ops) {
        const codec = codecs[op.type];
        // Only reachable by bypassing the types: the server would answer MARSHALLINGERROR.
        if (codec === undefined) throw new TypeError(`op type ${op.type} is not allowed in ${name}`);
        MultiHeader.write(w, { type: op.type, done: false, err: -1 });
        codec.write(w, op.request);
      }
      MultiHeader.write(w, END);
    },
    (r: JuteReader) => {
      const ops: T[] = [];
      for (;;) {
        const h = MultiHeader.read(r);
        if (h.done) return ops;
        const codec = codecs[h.type];
        expect(codec !== undefined, `op type ${h.type} is not allowed in ${name}`);
        ops.push({ type: h.type, request: codec.read(r) } as T);
      }
    },
  );
}

/** The body of a multi request. */
export const MultiRequest: Codec<MultiOp[]> = opListCodec<MultiOp>('MultiRequest', requestCodecs);

/** The body of a multiRead request. */
export const MultiReadRequest: Codec<MultiReadOp[]> = opListCodec<MultiReadOp>(
  'MultiReadRequest',
  readRequestCodecs,
);

function writeResult(w: JuteWriter, res: MultiResult): void {
  const err = res.type === OpCode.error ? res.err : 0;
  MultiHeader.write(w, { type: res.type, done: false, err });
  switch (res.type) {
    case OpCode.create:
      CreateResponse.write(w, res);
      break;
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      Create2Response.write(w, res);
      break;
    case OpCode.setData:
      SetDataResponse.write(w, res);
      break;
    case OpCode.getData:
      GetDataResponse.write(w, res);
      break;
    case OpCode.getChildren:
      GetChildrenResponse.write(w, res);
      break;
    case OpCode.error:
      ErrorResponse.write(w, res);
      break;
    // delete and check results have no body.
  }
}

function readResult(r: JuteReader, type: number): MultiResult {
  switch (type) {
    case OpCode.create:
      return { type, ...CreateResponse.read(r) };
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { type, ...Create2Response.read(r) };
    case OpCode.delete:
    case OpCode.check:
      return { type };
    case OpCode.setData:
      return { type, ...SetDataResponse.read(r) };
    case OpCode.getData:
      return { type, ...GetDataResponse.read(r) };
    case OpCode.getChildren:
      return { type, ...GetChildrenResponse.read(r) };
    case OpCode.error:
      return { type, ...ErrorResponse.read(r) };
    default:
      expect(false, `unknown result type ${type} in a multi response`);
  }
}

/**
 * The body of a multi or multiRead reply. A failed multi still has ReplyHeader.err 0: every
 * result is then an `error` result (0 before the failing op, its code, then -2 after it).
 */
export const MultiResponse: Codec<MultiResult[]> = custom<MultiResult[]>(
  'MultiResponse',
  (w, results) => {
    for (const res of results) writeResult(w, res);
    MultiHeader.write(w, END);
  },
  (r) => {
    const results: MultiResult[] = [];
    for (;;) {
      const h = MultiHeader.read(r);
      if (h.done) return results;
      results.push(readResult(r, h.type));
    }
  },
);
