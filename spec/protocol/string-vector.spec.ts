// vector<ustring> has a fast path for all-ASCII vectors; both paths must decode the same thing.

import fc from 'fast-check';
import { JuteReader, JuteWriter } from '../../protocol/jute.js';
import { ProtocolError } from '../../protocol/protocol-error.js';
import { GetChildrenResponse } from '../../protocol/records.js';
import { be } from './bytes.js';

function decode(children: string[]): string[] {
  const w = new JuteWriter();
  GetChildrenResponse.write(w, { children });
  const r = new JuteReader(w.bytes());
  const out = GetChildrenResponse.read(r).children;
  expect(r.remaining).toBe(0);
  return out;
}

describe('vector of strings', () => {
  it('decodes ASCII, non-ASCII and mixed vectors exactly', () => {
    expect(decode(['a', 'lock-0000000001', ''])).toEqual(['a', 'lock-0000000001', '']);
    expect(decode(['é', '日本', 'x'])).toEqual(['é', '日本', 'x']);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.string({ unit: 'grapheme', maxLength: 6 })), { maxLength: 30 }),
        (names) => {
          expect(decode(names)).toEqual(names);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads a null entry (-1) as an empty string and keeps reading after it', () => {
    const bytes = be(3, 1, 'a', -1, 2, 'bc');
    expect(GetChildrenResponse.read(new JuteReader(bytes)).children).toEqual(['a', '', 'bc']);
  });

  it('refuses entries that do not fit the frame, and a count beyond it', () => {
    expect(() => GetChildrenResponse.read(new JuteReader(be(2, 1, 'a', 5, 'ab')))).toThrow(ProtocolError);
    expect(() => GetChildrenResponse.read(new JuteReader(be(2, 1, 'a')))).toThrow(ProtocolError);
    expect(() => GetChildrenResponse.read(new JuteReader(be(1, -2)))).toThrow(ProtocolError);
    expect(() => GetChildrenResponse.read(new JuteReader(be(1000, 1, 'a')))).toThrow(ProtocolError);
  });
});
