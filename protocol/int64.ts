// Reading a jute long (big-endian int64) into a bigint with as few allocations as possible. Kept
// out of the public `zookit/protocol` entry: JuteReader.long() is the public way to read one.

/** The largest |high word| whose long fits a double exactly: |value| < 2^53. */
const EXACT_HIGH_WORD = 0x200000;

/**
 * The big-endian int64 at `p` as a bigint (the caller has checked that 8 bytes are there).
 * Buffer.readBigInt64BE builds it from four bigints; zxids, times and versions (and any value
 * below 2^53) are built here from one exact double instead, so a Stat costs six bigints, not 24
 * (docs/internals.md#decoding-longs). Zero, every persistent node's ephemeralOwner, is the literal.
 */
export function longAt(buf: Uint8Array, p: number): bigint {
  const high = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
  const low = ((buf[p + 4]! << 24) | (buf[p + 5]! << 16) | (buf[p + 6]! << 8) | buf[p + 7]!) >>> 0;
  if (high >= -EXACT_HIGH_WORD && high < EXACT_HIGH_WORD) {
    return high === 0 && low === 0 ? 0n : BigInt(high * 0x100000000 + low);
  }
  return (BigInt(high) << 32n) | BigInt(low);
}
