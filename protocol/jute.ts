import { isAscii } from 'node:buffer';
import { longAt } from './int64.js';
import { ProtocolError } from './protocol-error.js';

/** Byte strings shorter than this are always copied: the copy costs less than a view would keep alive. */
const SHARE_MIN_BYTES = 64 * 1024;

/** The big-endian int32 at `p` (the caller has checked that 4 bytes are there). */
function int32At(buf: Buffer, p: number): number {
  return (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
}

/**
 * Reads jute's binary encoding (big-endian, length-prefixed, no tags) from one frame. Every read
 * is bounds-checked against the end of the frame and fails with ProtocolError, never RangeError,
 * so a malformed frame cannot escape as an unexpected exception.
 */
export class JuteReader {
  private pos: number;

  /**
   * With `shareOwnedBuffer`, a large byte string is returned as a view of `buf` instead of a copy
   * when `buf` is a whole ArrayBuffer of its own (a frame the accumulator assembled from several
   * socket reads), so a 1 MB getData reply is not copied a second time. Only a reader whose
   * caller drops `buf` afterwards may set it: the view shares its memory.
   */
  constructor(
    private readonly buf: Buffer,
    offset = 0,
    private readonly end: number = buf.length,
    private readonly shareOwnedBuffer = false,
  ) {
    this.pos = offset;
  }

  /** Bytes left before the end of the frame. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** The read position within the underlying buffer, in bytes. */
  get offset(): number {
    return this.pos;
  }

  int(): number {
    this.need(4, 'int');
    const v = int32At(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  long(): bigint {
    this.need(8, 'long');
    const v = longAt(this.buf, this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    this.need(1, 'boolean');
    return this.buf[this.pos++] !== 0;
  }

  /**
   * A length-prefixed byte string; -1 is null. The bytes are copied out of the frame, so a small
   * value never pins a whole socket read (and the other replies in it); see the constructor for
   * the one exception.
   */
  buffer(): Buffer | null {
    const len = this.length('buffer');
    if (len < 0) return null;
    const start = this.pos;
    this.pos += len;
    const buf = this.buf;
    if (
      this.shareOwnedBuffer &&
      len >= SHARE_MIN_BYTES &&
      buf.byteOffset === 0 &&
      buf.byteLength === buf.buffer.byteLength
    ) {
      return buf.subarray(start, start + len);
    }
    const out = Buffer.allocUnsafe(len);
    buf.copy(out, 0, start, start + len);
    return out;
  }

  /** A length-prefixed UTF-8 string; -1 is null. */
  ustring(): string | null {
    const len = this.length('ustring');
    if (len < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** A ustring where ZooKeeper always sends one (paths, names): a null reads as ''. */
  string(): string {
    return this.ustring() ?? '';
  }

  /**
   * A vector of non-null strings (children, ephemerals): -1 entries read as ''. When the whole
   * vector is ASCII, as ZooKeeper names nearly always are, it is decoded with one native call and
   * cut into substrings, which is several times faster than one UTF-8 decode per name.
   */
  stringVector(): string[] {
    const n = this.vectorLength();
    const buf = this.buf;
    const end = this.end;
    const start = this.pos;
    // Length prefixes are read byte by byte: in this loop (a thousand names per getChildren)
    // that is several times cheaper than Buffer.readInt32BE's call and checks.
    let p = start;
    for (let i = 0; i < n; i++) {
      if (end - p < 4) throw new ProtocolError(`frame ends inside a string vector (entry ${i} of ${n})`);
      const len = int32At(buf, p);
      p += 4;
      if (len === -1) continue;
      if (len < -1 || len > end - p) {
        throw new ProtocolError(`ustring length ${len} does not fit the ${end - p} bytes left`);
      }
      p += len;
    }
    // One native check over names and length prefixes alike; a prefix byte over 0x7f (a name of
    // 128+ bytes) only sends the vector down the per-name path. latin1 keeps one char per byte,
    // so the names' byte offsets are their offsets in `whole`.
    const ascii = isAscii(buf.subarray(start, p));
    const whole = ascii ? buf.toString('latin1', start, p) : '';
    const out = new Array<string>(n);
    let q = start;
    for (let i = 0; i < n; i++) {
      const len = int32At(buf, q);
      q += 4;
      if (len <= 0) {
        out[i] = '';
        continue;
      }
      out[i] = ascii ? whole.slice(q - start, q - start + len) : buf.toString('utf8', q, q + len);
      q += len;
    }
    this.pos = p;
    return out;
  }

  /**
   * The element count of a vector; -1 (null) reads as 0. The count is checked against the bytes
   * left (every element takes at least one byte), so a forged count cannot make us allocate or
   * loop billions of times.
   */
  vectorLength(): number {
    const n = this.int();
    if (n === -1) return 0;
    if (n < -1 || n > this.remaining) {
      throw new ProtocolError(`vector count ${n} does not fit the ${this.remaining} bytes left`);
    }
    return n;
  }

  /** Reads and checks a length prefix: -1 or a length that fits what is left. */
  private length(what: string): number {
    const len = this.int();
    if (len === -1) return -1;
    if (len < -1 || len > this.remaining) {
      throw new ProtocolError(`${what} length ${len} does not fit the ${this.remaining} bytes left`);
    }
    return len;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      throw new ProtocolError(`frame ends inside a ${what} (${this.remaining} of ${n} bytes left)`);
    }
  }
}

const INITIAL_CAPACITY = 256;

/**
 * Writes jute's binary encoding into a growing buffer. `frame()` writes the 4-byte length prefix
 * that `reserveFramePrefix()` left room for, so a whole request is encoded in one pass with one
 * allocation in the common case.
 */
export class JuteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  int(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  long(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  buffer(v: Uint8Array | null): void {
    if (v === null) {
      this.int(-1);
      return;
    }
    this.int(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  ustring(v: string | null): void {
    if (v === null) {
      this.int(-1);
      return;
    }
    // Most strings are ASCII paths: reserve the worst case and write once instead of measuring.
    this.ensure(4 + v.length * 3);
    const n = this.buf.write(v, this.pos + 4, 'utf8');
    this.buf.writeInt32BE(n, this.pos);
    this.pos += 4 + n;
  }

  /** A ustring that is never null (paths, names). */
  string(v: string): void {
    this.ustring(v);
  }

  /** Raw bytes with no length prefix (the four-letter words, pre-encoded records). */
  raw(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Leaves room for the 4-byte frame length; call first, then `frame()` when done. */
  reserveFramePrefix(): void {
    this.ensure(4);
    this.pos += 4;
  }

  /** Fills in the frame length (everything after the prefix) and returns the finished frame. */
  frame(): Buffer {
    this.buf.writeInt32BE(this.pos - 4, 0);
    return this.buf.subarray(0, this.pos);
  }

  /** The bytes written, without a frame prefix. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * Hands over a copy of everything written so far and starts again on the same buffer. The copy
   * is exact-size (small ones come from Node's buffer pool), so a batch of a few frames costs a
   * few hundred bytes, not a fresh buffer of the writer's capacity.
   */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }

  /** Drops everything written after `offset` (a refused frame). */
  truncate(offset: number): void {
    this.pos = Math.min(this.pos, offset);
  }

  /** Overwrites the int at `offset` (a frame's length prefix, once its size is known). */
  patchInt(offset: number, v: number): void {
    this.buf.writeInt32BE(v, offset);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
