// The lease_holder codec against what kazoo writes: for the same holder and end, our bytes equal
// Python's `json.dumps({...}).encode('utf-8')` (run with /usr/bin/python3, kazoo's own call), and
// Python's `json.loads` and `strptime` read ours back. docs/recipes.md#leases
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import {
  decodeLeaseHolder,
  encodeLeaseHolder,
  formatLeaseEnd,
  parseLeaseEnd,
} from '../../recipes/lease-holder.js';

/**
 * Python's bytes for each [holder, end] pair, as kazoo's `_encode` makes them, hex per line (so
 * no newline or encoding of the terminal gets in the way).
 */
function pythonEncode(cases: ReadonlyArray<[holder: string, end: string]>): Buffer[] {
  const script = [
    'import json, sys',
    'for holder, end in json.load(sys.stdin):',
    "    print(json.dumps({'version': 1, 'holder': holder, 'end': end}).encode('utf-8').hex())",
  ].join('\n');
  // JSON carries lone surrogates to Python as \\uXXXX escapes, which json.load keeps as they are.
  const out = execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(cases) });
  return out
    .toString('ascii')
    .trim()
    .split('\n')
    .map((hex) => Buffer.from(hex, 'hex'));
}

/** What Python reads back from our bytes: [version, holder, end as strptime's isoformat]. */
function pythonDecode(encoded: readonly Buffer[]): Array<[number, string, string]> {
  const script = [
    'import json, sys, datetime',
    'out = []',
    'for hex in json.load(sys.stdin):',
    "    d = json.loads(bytes.fromhex(hex).decode('utf-8'))",
    "    end = datetime.datetime.strptime(d['end'], '%Y-%m-%dT%H:%M:%S')",
    "    out.append([d['version'], d['holder'], end.strftime('%Y-%m-%dT%H:%M:%S')])",
    'print(json.dumps(out))',
  ].join('\n');
  const input = JSON.stringify(encoded.map((b) => b.toString('hex')));
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input }).toString('utf8'));
}

const END = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 999));

describe('lease_holder', () => {
  it('writes the bytes kazoo writes, non-ASCII, quotes, backslashes and control characters escaped as json.dumps does', () => {
    const holders = [
      'host-1.example.com',
      '',
      'ünïcode 日本語',
      'emoji 😀 and a lone surrogate \ud800',
      'quote " backslash \\ slash / tab \t newline \n cr \r bell \u0007 nul \u0000 del \u007f',
      '\u2028\u2029\u00a0\ufeff',
    ];
    const expected = pythonEncode(holders.map((h) => [h, '2024-01-02T03:04:05']));
    const ours = holders.map((h) => encodeLeaseHolder(h, END));
    expect(ours.map((b) => b.toString('latin1'))).toEqual(expected.map((b) => b.toString('latin1')));
    expect(ours[0]?.toString()).toBe(
      '{"version": 1, "holder": "host-1.example.com", "end": "2024-01-02T03:04:05"}',
    );
  });

  it('agrees with json.dumps for any string holder', () => {
    const holders = fc.sample(fc.string({ unit: 'binary', maxLength: 20 }), { numRuns: 200, seed: 15 });
    const expected = pythonEncode(holders.map((h) => [h, '2001-02-03T04:05:06']));
    const end = new Date(Date.UTC(2001, 1, 3, 4, 5, 6));
    expect(holders.map((h) => encodeLeaseHolder(h, end).toString('latin1'))).toEqual(
      expected.map((b) => b.toString('latin1')),
    );
  });

  it('is read back by json.loads and strptime, and reads itself back', () => {
    const holders = ['zookit', 'ünï 😀', 'a"b\\c'];
    const encoded = holders.map((h) => encodeLeaseHolder(h, END));
    expect(pythonDecode(encoded)).toEqual(holders.map((h) => [1, h, '2024-01-02T03:04:05']));
    for (const [i, bytes] of encoded.entries()) {
      expect(decodeLeaseHolder(bytes)).toEqual({
        version: 1,
        holder: holders[i],
        end: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
      });
    }
  });

  it('truncates the end to whole seconds of UTC, as strftime of a naive utcnow() does', () => {
    expect(formatLeaseEnd(new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)))).toBe('1999-12-31T23:59:59');
    expect(formatLeaseEnd(new Date('2024-03-10T02:30:00.500-05:00'))).toBe('2024-03-10T07:30:00');
  });

  it('parses what strptime parses and refuses what it refuses', () => {
    expect(parseLeaseEnd('2024-01-02T03:04:05')).toEqual(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
    expect(parseLeaseEnd('2024-1-2T3:4:5')).toEqual(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
    expect(parseLeaseEnd('0099-01-01T00:00:00')?.getUTCFullYear()).toBe(99);
    for (const bad of ['2024-02-30T00:00:00', '2024-13-01T00:00:00', '2024-01-02 03:04:05', '', 5, null]) {
      expect(parseLeaseEnd(bad)).toBeUndefined();
    }
  });

  it('reads what is not a JSON object as unreadable, and a missing or bad end as no end', () => {
    expect(decodeLeaseHolder(null)).toBeUndefined();
    expect(decodeLeaseHolder(Buffer.from('not json'))).toBeUndefined();
    expect(decodeLeaseHolder(Buffer.from('[1]'))).toBeUndefined();
    expect(decodeLeaseHolder(Buffer.from('{"version": 2, "holder": "x"}'))).toEqual({
      version: 2,
      holder: 'x',
      end: undefined,
    });
  });
});
