// Decoded records print and serialise: JSON.stringify gives every bigint field (zxids, times,
// session ids) as a decimal string instead of throwing, util.inspect names the record, and none of
// it adds an own property to the decoded object. docs/values.md#json

import { inspect } from 'node:util';
import { JuteReader, JuteWriter } from '../../protocol/jute.js';
import { GetACLResponse, GetDataResponse, ReplyHeader, Stat } from '../../protocol/records.js';

const stat: Stat = {
  czxid: 2n ** 60n + 7n, // past 2^53: a JSON number would lose the last digits
  mzxid: 0x1_0000_0002n,
  ctime: 1_700_000_000_000n,
  mtime: 1_700_000_000_123n,
  version: 3,
  cversion: 1,
  aversion: 0,
  ephemeralOwner: 0x1000_0012_3400_0001n,
  dataLength: 5,
  numChildren: 0,
  pzxid: -1n,
};

function decode<T>(codec: { write(w: JuteWriter, v: T): void; read(r: JuteReader): T }, value: T): T {
  const w = new JuteWriter();
  codec.write(w, value);
  return codec.read(new JuteReader(w.bytes()));
}

describe('a decoded record', () => {
  it('serialises with JSON.stringify, bigints as decimal strings that BigInt() reads back', () => {
    const json = JSON.parse(JSON.stringify(decode(Stat, stat)));
    expect(json).toEqual({
      czxid: '1152921504606846983',
      mzxid: '4294967298',
      ctime: '1700000000000',
      mtime: '1700000000123',
      version: 3,
      cversion: 1,
      aversion: 0,
      ephemeralOwner: '1152921582788673537',
      dataLength: 5,
      numChildren: 0,
      pzxid: '-1',
    });
    expect(BigInt(json.czxid)).toBe(stat.czxid);
  });

  it('serialises inside the results people log: [data, stat] pairs and [acl, stat] pairs', () => {
    const reply = decode(GetDataResponse, { data: Buffer.from('hi'), stat });
    expect(JSON.parse(JSON.stringify([reply.data, reply.stat]))).toEqual([
      { type: 'Buffer', data: [104, 105] },
      expect.objectContaining({ czxid: '1152921504606846983', version: 3 }),
    ]);
    const acls = decode(GetACLResponse, {
      acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
      stat,
    });
    expect(JSON.parse(JSON.stringify([acls.acl, acls.stat]))).toEqual([
      [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
      expect.objectContaining({ pzxid: '-1' }),
    ]);
  });

  it('prints under its record name with its fields, bigints as bigints', () => {
    expect(inspect(decode(Stat, stat))).toMatch(
      /^Stat \{\s+czxid: 1152921504606846983n,\s+mzxid: 4294967298n,/,
    );
    expect(inspect(decode(ReplyHeader, { xid: 1, zxid: 5n, err: 0 }))).toBe(
      'ReplyHeader { xid: 1, zxid: 5n, err: 0 }',
    );
  });

  it('has only its fields as own properties, so spreads, Object.keys and toEqual see the fields alone', () => {
    const decoded = decode(Stat, stat);
    expect(Object.keys(decoded)).toEqual(Object.keys(stat));
    expect({ ...decoded }).toEqual(stat);
    expect(decoded).toEqual(stat);
    expect(Object.keys(decoded)).not.toContain('toJSON');
  });
});
