// The numbers Curator keeps in a znode's data, written as Java's ByteBuffer writes them: big-endian
// two's complement, an int in 4 bytes (SharedCount, DistributedAtomicInteger) and a long in 8
// (DistributedAtomicLong). A zookit recipe that shares a node with a Curator one reads and writes
// these bytes and no others; kazoo's Counter with `supportCurator` uses the int form too.
//
// Reading follows ByteBuffer as well: a value is read from the first 4 (or 8) bytes and longer
// data is not an error, shorter data is (Java's BufferUnderflowException). DistributedAtomicLong
// alone reads missing or empty data as 0.

import { InvalidArgumentError } from '../../lib/recipe-client.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Curator's 4 bytes of a Java int. Throws RangeError outside -2^31..2^31-1 or for a non-integer. */
export function encodeCuratorInt(value: number, what = 'the value'): Buffer {
  if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX)
    throw new RangeError(`${value} does not fit Curator's 4-byte int (${what})`);
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}

/** The Java int in the first 4 bytes. Throws InvalidArgumentError when there are fewer. */
export function decodeCuratorInt(data: Uint8Array | null, what = 'the node'): number {
  if (data === null || data.length < 4)
    throw new InvalidArgumentError(
      'data',
      `${what} holds ${data?.length ?? 0} bytes, not Curator's 4-byte int`,
    );
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).readInt32BE(0);
}

/**
 * Curator's 8 bytes of a Java long. A bigint outside the signed 64-bit range wraps as Java's
 * arithmetic does (`Long.MAX_VALUE + 1` is `Long.MIN_VALUE`); a number must be a safe integer.
 */
export function encodeCuratorLong(value: bigint | number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(BigInt.asIntN(64, toBigInt(value)));
  return bytes;
}

/**
 * The Java long in the first 8 bytes; missing or empty data is 0 (DistributedAtomicLong's reading).
 * Throws InvalidArgumentError for 1 to 7 bytes (Curator: "Corrupted data for node").
 */
export function decodeCuratorLong(data: Uint8Array | null, what = 'the node'): bigint {
  if (data === null || data.length === 0) return 0n;
  if (data.length < 8) {
    const hex = [...data].map((byte) => `0x${byte.toString(16)}`).join(', ');
    throw new InvalidArgumentError(
      'data',
      `corrupted data for ${what}: [${hex}] is not Curator's 8-byte long`,
    );
  }
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).readBigInt64BE(0);
}

/** `value` as a bigint; a number must be a safe integer. */
export function toBigInt(value: bigint | number): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value))
    throw new InvalidArgumentError('value', `${value} is not a safe integer; pass a bigint`);
  return BigInt(value);
}
