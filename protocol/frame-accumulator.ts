import { DEFAULT_MAX_INBOUND_FRAME_BYTES } from './constants.js';
import { InboundFrameTooLargeError } from './protocol-error.js';

/**
 * Cuts a byte stream into frames (4-byte big-endian length, then payload), however the stream was
 * split into chunks. A frame that lies inside one chunk is returned as a view of it, without a
 * copy; one that spans chunks is copied once, when its last byte has arrived.
 *
 *     acc.push(chunk);
 *     for (let f = acc.next(); f !== undefined; f = acc.next()) handle(f);
 *
 * A length over `maxFrameBytes`, or negative, throws InboundFrameTooLargeError (a ProtocolError):
 * the connection must then be dropped, as the Java client does for jute.maxbuffer.
 */
export class FrameAccumulator {
  private chunks: Buffer[] = [];
  /** Read offset into chunks[0]. */
  private head = 0;
  /** Bytes held and not yet returned. */
  private buffered = 0;
  /** Payload length of the frame being assembled, or -1 while its prefix is incomplete. */
  private pending = -1;

  constructor(
    /** Largest payload accepted, in bytes. Default 0xfffff + 16 (jute.maxbuffer + ReplyHeader). */
    readonly maxFrameBytes: number = DEFAULT_MAX_INBOUND_FRAME_BYTES,
  ) {}

  /** Bytes received and not yet returned as part of a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds bytes as they came off the socket. The chunk must not be reused by the caller. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame's payload, or undefined until more bytes arrive. */
  next(): Buffer | undefined {
    if (this.pending < 0) {
      if (this.buffered < 4) return undefined;
      const len = this.takeLength();
      if (len < 0 || len > this.maxFrameBytes) {
        this.reset();
        throw new InboundFrameTooLargeError(len, this.maxFrameBytes);
      }
      this.pending = len;
    }
    if (this.buffered < this.pending) return undefined;
    const frame = this.take(this.pending);
    this.pending = -1;
    return frame;
  }

  /** Forgets everything buffered (after a disconnect). */
  reset(): void {
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    this.pending = -1;
  }

  /**
   * Removes the 4-byte length prefix (buffered ≥ 4) and returns it. Read in place when it lies in
   * one chunk, as it nearly always does: a view just to read it would cost a Buffer per frame.
   */
  private takeLength(): number {
    const first = this.chunks[0]!;
    const p = this.head;
    if (first.length - p < 4) return this.take(4).readInt32BE(0);
    const len = (first[p]! << 24) | (first[p + 1]! << 16) | (first[p + 2]! << 8) | first[p + 3]!;
    this.buffered -= 4;
    this.head = p + 4;
    if (this.head === first.length) {
      this.chunks.shift();
      this.head = 0;
    }
    return len;
  }

  /** Removes n buffered bytes (n ≤ buffered) from the front. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      return out;
    }
    // The chunks used up are dropped with one splice, not one shift each: a frame that came in
    // many small chunks (1-byte reads behind a slicing proxy) would otherwise cost O(chunks²),
    // as shift() on a long array moves every element.
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let used = 0;
    while (filled < n) {
      const chunk = this.chunks[used]!;
      const count = Math.min(chunk.length - this.head, n - filled);
      chunk.copy(out, filled, this.head, this.head + count);
      filled += count;
      this.head += count;
      if (this.head === chunk.length) {
        used++;
        this.head = 0;
      }
    }
    this.chunks.splice(0, used);
    return out;
  }
}
