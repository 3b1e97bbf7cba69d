// Byte layouts computed by hand from zookeeper.jute and docs/protocol.md#records, compared with what the codec
// writes and reads. Hex is grouped by field so each expectation can be checked by eye.

import { OpCode, Perm } from '../../protocol/constants.js';
import { JuteReader, JuteWriter } from '../../protocol/jute.js';
import { MultiRequest, MultiResponse } from '../../protocol/multi.js';
import {
  decodeConnectResponse,
  decodeReply,
  encodeConnectRequest,
  encodeReply,
  encodeRequest,
} from '../../protocol/operations.js';
import { ConnectRequest, ConnectResponse, type Stat } from '../../protocol/records.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const OPEN_ACL = [{ perms: Perm.ALL, id: { scheme: 'world', id: 'anyone' } }];
// int32 5 "world", int32 6 "anyone"
const WORLD_ANYONE = '00000005 776f726c64  00000006 616e796f6e65';

describe('connect handshake layout', () => {
  it('encodes a new-session ConnectRequest as a 45-byte payload with the readOnly byte last', () => {
    const frame = encodeConnectRequest({
      protocolVersion: 0,
      lastZxidSeen: 0x1234n,
      timeOut: 30000,
      sessionId: 0n,
      passwd: Buffer.alloc(16),
      readOnly: true,
    });
    expect(frame).toEqual(
      hex(`0000002d
           00000000
           0000000000001234
           00007530
           0000000000000000
           00000010 ${'00'.repeat(16)}
           01`),
    );
  });

  it('decodes a 37-byte ConnectResponse with the readOnly byte and a 36-byte one without it', () => {
    const body = `00000000 00009c40 0100000000000abc 00000010 ${'ab'.repeat(16)}`;
    const withFlag = decodeConnectResponse(hex(`${body} 00`));
    expect(withFlag).toEqual({
      protocolVersion: 0,
      timeOut: 40000,
      sessionId: 0x0100000000000abcn,
      passwd: Buffer.alloc(16, 0xab),
      readOnly: false,
    });
    const without = decodeConnectResponse(hex(body));
    expect(without.readOnly).toBeUndefined();
    expect(without.sessionId).toBe(0x0100000000000abcn);
    // The session id keeps all 64 bits (above 2^53).
    expect(without.sessionId > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('reads the expired-session answer: timeOut 0, session 0, a zeroed password', () => {
    const res = decodeConnectResponse(
      hex(`00000000 00000000 0000000000000000 00000010 ${'00'.repeat(16)} 00`),
    );
    expect(res.timeOut).toBe(0);
    expect(res.sessionId).toBe(0n);
  });

  it('writes and reads the same ConnectRequest record', () => {
    const w = new JuteWriter();
    const req = {
      protocolVersion: 0,
      lastZxidSeen: -1n,
      timeOut: 1,
      sessionId: 2n,
      passwd: null,
      readOnly: undefined,
    };
    ConnectRequest.write(w, req);
    expect(w.length).toBe(4 + 8 + 4 + 8 + 4);
    expect(ConnectRequest.read(new JuteReader(w.bytes()))).toEqual(req);
    expect(ConnectResponse.shape.fields.map(([n]) => n)).toEqual([
      'protocolVersion',
      'timeOut',
      'sessionId',
      'passwd',
      'readOnly',
    ]);
  });
});

describe('request layouts', () => {
  it('encodes create of an ephemeral node with data and the open ACL', () => {
    const frame = encodeRequest(1, OpCode.create, {
      path: '/a',
      data: Buffer.from('hi'),
      acl: OPEN_ACL,
      flags: 1,
    });
    expect(frame).toEqual(
      hex(`00000033
           00000001 00000001
           00000002 2f61
           00000002 6869
           00000001 0000001f ${WORLD_ANYONE}
           00000001`),
    );
  });

  it('encodes null data as length -1, distinct from empty data', () => {
    const nul = encodeRequest(2, OpCode.setData, { path: '/', data: null, version: -1 });
    const emptyData = encodeRequest(2, OpCode.setData, { path: '/', data: Buffer.alloc(0), version: -1 });
    expect(nul).toEqual(hex('00000015 00000002 00000005 00000001 2f ffffffff ffffffff'));
    expect(emptyData).toEqual(hex('00000015 00000002 00000005 00000001 2f 00000000 ffffffff'));
  });

  it('encodes getData with the watch flag as one byte', () => {
    const frame = encodeRequest(7, OpCode.getData, { path: '/zk', watch: true });
    expect(frame).toEqual(hex('00000010 00000007 00000004 00000003 2f7a6b 01'));
  });

  it('encodes ping, closeSession and whoAmI as a bare header', () => {
    expect(encodeRequest(-2, OpCode.ping, {})).toEqual(hex('00000008 fffffffe 0000000b'));
    expect(encodeRequest(9, OpCode.closeSession, {})).toEqual(hex('00000008 00000009 fffffff5'));
    expect(encodeRequest(3, OpCode.whoAmI, {})).toEqual(hex('00000008 00000003 0000006b'));
  });

  it('encodes a multi of create, delete and check, each behind a MultiHeader, ended by done', () => {
    const w = new JuteWriter();
    MultiRequest.write(w, [
      { type: OpCode.create, request: { path: '/m', data: null, acl: OPEN_ACL, flags: 0 } },
      { type: OpCode.delete, request: { path: '/d', version: -1 } },
      { type: OpCode.check, request: { path: '/c', version: 3 } },
    ]);
    expect(w.bytes()).toEqual(
      hex(`00000001 00 ffffffff
           00000002 2f6d ffffffff 00000001 0000001f ${WORLD_ANYONE} 00000000
           00000002 00 ffffffff
           00000002 2f64 ffffffff
           0000000d 00 ffffffff
           00000002 2f63 00000003
           ffffffff 01 ffffffff`),
    );
    const frame = encodeRequest(5, OpCode.multi, []);
    expect(frame).toEqual(hex('00000011 00000005 0000000e ffffffff 01 ffffffff'));
  });
});

describe('reply layouts', () => {
  const statHex = `0000000000000010 0000000000000011 0000018c00000001 0000018c00000002
                   00000003 00000004 00000005 0000000000000000 00000001 00000000 0000000000000012`;
  const stat: Stat = {
    czxid: 0x10n,
    mzxid: 0x11n,
    ctime: 0x18c00000001n,
    mtime: 0x18c00000002n,
    version: 3,
    cversion: 4,
    aversion: 5,
    ephemeralOwner: 0n,
    dataLength: 1,
    numChildren: 0,
    pzxid: 0x12n,
  };

  it('decodes a getData reply: header, data, then the 68-byte Stat', () => {
    const payload = hex(`00000007 0000000000000011 00000000 00000001 76 ${statHex}`);
    expect(hex(statHex).length).toBe(68);
    const reply = decodeReply(payload, (xid) => (xid === 7 ? OpCode.getData : undefined));
    expect(reply).toEqual({
      kind: 'response',
      header: { xid: 7, zxid: 0x11n, err: 0 },
      op: OpCode.getData,
      body: { data: Buffer.from('v'), stat },
    });
  });

  it('reads no body after a non-zero error code', () => {
    const reply = decodeReply(hex('00000007 0000000000000011 ffffff9b'), () => OpCode.getData);
    expect(reply).toEqual({
      kind: 'response',
      header: { xid: 7, zxid: 0x11n, err: -101 },
      op: 4,
      body: undefined,
    });
  });

  it('decodes a watch notification: xid -1, zxid -1 (3.8), type, state, server path', () => {
    const payload = hex('ffffffff ffffffffffffffff 00000000 00000003 00000003 00000002 2f77');
    const reply = decodeReply(payload, () => undefined);
    expect(reply).toEqual({
      kind: 'notification',
      header: { xid: -1, zxid: -1n, err: 0 },
      event: { type: 3, state: 3, path: '/w' },
    });
  });

  it('decodes a failed multi: header err 0 and one error result per op (0, the code, then -2)', () => {
    const payload = hex(`00000005 0000000000000020 00000000
                         ffffffff 00 00000000 00000000
                         ffffffff 00 ffffff99 ffffff99
                         ffffffff 00 fffffffe fffffffe
                         ffffffff 01 ffffffff`);
    const reply = decodeReply(payload, () => OpCode.multi);
    expect(reply.kind === 'response' && reply.body).toEqual([
      { type: -1, err: 0 },
      { type: -1, err: -103 },
      { type: -1, err: -2 },
    ]);
    const w = new JuteWriter();
    MultiResponse.write(w, reply.kind === 'response' ? (reply.body as never) : []);
    expect(w.bytes()).toEqual(payload.subarray(16));
  });

  it('decodes create2 inside multi as a 3.8.0 server sends it: type 1, path only', () => {
    const payload = hex(`00000005 0000000000000021 00000000
                         00000001 00 00000000 00000002 2f6e
                         ffffffff 01 ffffffff`);
    const reply = decodeReply(payload, () => OpCode.multi);
    expect(reply.kind === 'response' && reply.body).toEqual([{ type: OpCode.create, path: '/n' }]);
  });

  it('encodes the replies it decodes (for servers written in tests)', () => {
    const frame = encodeReply({ xid: 3, zxid: 5n, err: 0 }, OpCode.exists, { stat });
    expect(frame).toEqual(hex(`00000054 00000003 0000000000000005 00000000 ${statHex}`));
  });
});
