// Every record and op body survives encode → decode unchanged, for fixed samples and for random
// values derived from the codec's own field list.

import fc from 'fast-check';
import type { Codec } from '../../protocol/codec.js';
import { OpCode } from '../../protocol/constants.js';
import { JuteReader, JuteWriter } from '../../protocol/jute.js';
import { MultiReadRequest, MultiRequest, MultiResponse } from '../../protocol/multi.js';
import {
  type ClientOp,
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  Operations,
} from '../../protocol/operations.js';
import * as records from '../../protocol/records.js';
import { arbitraryFor } from './arbitraries.js';

function roundTrip<T>(codec: Codec<T>, value: T): T {
  const w = new JuteWriter(1); // start tiny so growth is exercised too
  codec.write(w, value);
  const r = new JuteReader(w.bytes());
  const back = codec.read(r);
  expect(r.remaining).toBe(0);
  return back;
}

const recordCodecs = (Object.entries(records) as Array<[string, unknown]>).filter(
  (entry): entry is [string, Codec<unknown>] =>
    typeof entry[1] === 'object' && entry[1] !== null && 'shape' in entry[1],
);
const allCodecs: Array<[string, Codec<unknown>]> = [
  ...recordCodecs,
  ['MultiRequest', MultiRequest as Codec<unknown>],
  ['MultiReadRequest', MultiReadRequest as Codec<unknown>],
  ['MultiResponse', MultiResponse as Codec<unknown>],
];

describe('record round trips', () => {
  it('covers every record of zookeeper.jute a 3.8 client uses', () => {
    expect(recordCodecs.map(([name]) => name).sort()).toEqual(
      [
        'ACL',
        'AddWatchRequest',
        'AuthPacket',
        'CheckVersionRequest',
        'CheckWatchesRequest',
        'ClientInfo',
        'ConnectRequest',
        'ConnectResponse',
        'Create2Response',
        'CreateRequest',
        'CreateResponse',
        'CreateTTLRequest',
        'DeleteRequest',
        'ErrorResponse',
        'ExistsRequest',
        'ExistsResponse',
        'GetACLRequest',
        'GetACLResponse',
        'GetAllChildrenNumberRequest',
        'GetAllChildrenNumberResponse',
        'GetChildren2Request',
        'GetChildren2Response',
        'GetChildrenRequest',
        'GetChildrenResponse',
        'GetDataRequest',
        'GetDataResponse',
        'GetEphemeralsRequest',
        'GetEphemeralsResponse',
        'GetSASLRequest',
        'Id',
        'MultiHeader',
        'ReconfigRequest',
        'RemoveWatchesRequest',
        'ReplyHeader',
        'RequestHeader',
        'SetACLRequest',
        'SetACLResponse',
        'SetDataRequest',
        'SetDataResponse',
        'SetSASLResponse',
        'SetWatches',
        'SetWatches2',
        'Stat',
        'SyncRequest',
        'SyncResponse',
        'WatcherEvent',
        'WhoAmIResponse',
      ].sort(),
    );
  });

  it.each(allCodecs)('%s: random values decode to what was encoded', (_name, codec) => {
    fc.assert(
      fc.property(arbitraryFor(codec), (value) => {
        expect(roundTrip(codec, value)).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps null buffers and strings apart from empty ones', () => {
    const ids = [null, '', 'x'];
    for (const token of [null, Buffer.alloc(0), Buffer.from([0])]) {
      expect(roundTrip(records.GetSASLRequest, { token })).toEqual({ token });
    }
    for (const s of ids) {
      const req = { joiningServers: s, leavingServers: null, newMembers: s, curConfigId: -1n };
      expect(roundTrip(records.ReconfigRequest, req)).toEqual(req);
    }
  });

  it('keeps 64-bit values exact at the edges of the signed range', () => {
    for (const v of [-(2n ** 63n), -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n]) {
      const h = { xid: -1, zxid: v, err: 0 };
      expect(roundTrip(records.ReplyHeader, h)).toEqual(h);
    }
  });

  it('encodes non-ASCII paths as UTF-8 with a byte length prefix', () => {
    const w = new JuteWriter();
    records.SyncRequest.write(w, { path: '/é/日本/🦓' });
    const expectedBytes = Buffer.from('/é/日本/🦓', 'utf8');
    expect(w.bytes().readInt32BE(0)).toBe(expectedBytes.length);
    expect(w.bytes().subarray(4)).toEqual(expectedBytes);
  });
});

describe('op table', () => {
  const ops = Object.keys(Operations).map(Number) as ClientOp[];

  it('has a request and response record for every client op code', () => {
    const expected = Object.values(OpCode).filter(
      (c) =>
        ![OpCode.notification, OpCode.deleteContainer, OpCode.createSession, OpCode.error].includes(
          c as never,
        ),
    );
    expect(ops.sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
  });

  it.each(ops.filter((op) => op !== OpCode.check))(
    'op %i: random requests survive encodeRequest/decodeRequest',
    (op) => {
      const codec = Operations[op].request as Codec<unknown>;
      fc.assert(
        fc.property(arbitraryFor(codec), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (request, xid) => {
          const frame = encodeRequest(xid, op, request as never, { maxBufferBytes: 2 ** 30 });
          expect(frame.readInt32BE(0)).toBe(frame.length - 4);
          const back = decodeRequest(frame.subarray(4));
          expect(back.header).toEqual({ xid, type: op });
          expect(back.request).toEqual(request);
        }),
        { numRuns: 100 },
      );
    },
  );

  it.each(ops)('op %i: random replies survive encodeReply/decodeReply', (op) => {
    const codec = Operations[op].response as Codec<unknown>;
    fc.assert(
      fc.property(arbitraryFor(codec), fc.integer({ min: 1, max: 1000 }), fc.bigInt(), (body, xid, zxid) => {
        const header = { xid, zxid: BigInt.asIntN(64, zxid), err: 0 };
        const frame = encodeReply(header, op, body as never);
        const reply = decodeReply(frame.subarray(4), (x) => (x === xid ? op : undefined));
        expect(reply).toEqual({ kind: 'response', header, op, body });
      }),
      { numRuns: 100 },
    );
  });
});
