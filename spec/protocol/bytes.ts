// Helpers for writing expected byte layouts by hand in tests.

/** Concatenates big-endian fields: numbers are int32, bigints int64, strings raw ASCII/UTF-8. */
export function be(...parts: Array<number | bigint | string | Buffer | number[]>): Buffer {
  return Buffer.concat(
    parts.map((p) => {
      if (typeof p === 'number') {
        const b = Buffer.alloc(4);
        b.writeInt32BE(p);
        return b;
      }
      if (typeof p === 'bigint') {
        const b = Buffer.alloc(8);
        b.writeBigInt64BE(p);
        return b;
      }
      if (typeof p === 'string') return Buffer.from(p, 'utf8');
      if (Array.isArray(p)) return Buffer.from(p);
      return p;
    }),
  );
}

/** A single byte (booleans). */
export const byte = (v: number): number[] => [v];

/** A jute ustring: int32 length then UTF-8 bytes. */
export function str(s: string): Buffer {
  return be(Buffer.byteLength(s), s);
}

/** A 4-byte length prefix followed by the payload. */
export function framed(payload: Buffer): Buffer {
  return be(payload.length, payload);
}
